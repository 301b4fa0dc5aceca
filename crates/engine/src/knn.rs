//! Nearest-example scoring, shared by every reading learned from labelled examples (the acts of
//! a message, the action it asks for): a text's score for a label is the mean cosine of its
//! `top` nearest examples of that label, and a label is read when it leads every other label by
//! a margin.

use frontdesk_core::embed::dot;

/// The score of each of `labels` for the vector `v`: the mean cosine of its `top` nearest
/// examples of that label (`f32::MIN` for a label without examples).
pub fn label_scores<'a, L: PartialEq + 'a>(
    v: &[f32],
    examples: impl Iterator<Item = &'a (Vec<f32>, L)> + Clone,
    labels: &[L],
    top: usize,
) -> Vec<f32> {
    labels
        .iter()
        .map(|label| {
            let mut sims: Vec<f32> = examples
                .clone()
                .filter(|(_, l)| l == label)
                .map(|(e, _)| dot(v, e))
                .collect();
            sims.sort_by(|a, b| b.total_cmp(a));
            let best = &sims[..sims.len().min(top)];
            if best.is_empty() {
                f32::MIN
            } else {
                best.iter().sum::<f32>() / best.len() as f32
            }
        })
        .collect()
}

/// How far the score at `i` stands above the best other score.
pub fn lead(scores: &[f32], i: usize) -> f32 {
    let best_other = scores
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, s)| *s)
        .fold(f32::MIN, f32::max);
    scores[i] - best_other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_scores_the_mean_of_its_nearest_examples() {
        let examples = [
            (vec![1.0, 0.0], "a"),
            (vec![0.8, 0.6], "a"),
            (vec![0.0, 1.0], "a"),
            (vec![0.6, 0.8], "b"),
        ];
        let s = label_scores(&[1.0, 0.0], examples.iter(), &["a", "b", "c"], 2);
        assert!((s[0] - 0.9).abs() < 1e-6, "{s:?}");
        assert!((s[1] - 0.6).abs() < 1e-6, "{s:?}");
        assert_eq!(s[2], f32::MIN);
        assert!((lead(&s, 0) - 0.3).abs() < 1e-6);
        assert!((lead(&s, 1) + 0.3).abs() < 1e-6);
    }
}
