//! Metric computations: pure functions over plain data, each checked against hand-computed values.

pub mod answer;
pub mod classification;
pub mod grounding;
pub mod retrieval;
pub mod stats;
pub mod text;

/// Mean of `values`; `None` for an empty set (a metric with no data is absent, not zero).
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// `num / den`, absent when nothing was counted.
pub fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}
