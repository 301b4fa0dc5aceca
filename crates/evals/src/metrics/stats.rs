//! Latency statistics.

/// Nearest-rank percentile (`p` in 0..=100): the smallest value with at least p% of the data at
/// or below it. `None` for no data.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Bucket counts for a histogram with `buckets` equal-width bins from 0 to the maximum.
pub fn histogram(values: &[f64], buckets: usize) -> (f64, Vec<usize>) {
    let max = values.iter().copied().fold(0.0f64, f64::max);
    let buckets = buckets.max(1);
    let width = if max > 0.0 { max / buckets as f64 } else { 1.0 };
    let mut counts = vec![0usize; buckets];
    for v in values {
        let i = ((v / width) as usize).min(buckets - 1);
        counts[i] += 1;
    }
    (width, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        for (p, want) in [
            (50.0, 5.0),
            (95.0, 10.0),
            (90.0, 9.0),
            (0.0, 1.0),
            (100.0, 10.0),
            (11.0, 2.0),
        ] {
            assert_eq!(percentile(&v, p), Some(want), "p{p}");
        }
        assert_eq!(percentile(&[7.0, 3.0], 50.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn histogram_puts_the_maximum_in_the_last_bucket() {
        let (width, counts) = histogram(&[0.0, 1.0, 2.0, 4.0], 4);
        assert_eq!(width, 1.0);
        assert_eq!(counts, vec![1, 1, 1, 1]);
    }
}
