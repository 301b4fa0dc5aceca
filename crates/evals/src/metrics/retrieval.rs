//! Ranking metrics over one query's ranked document ids and its gold ids (binary relevance).
//! Ranked lists may repeat a document (several chunks of it); only its first position counts.

/// Document ids in first-seen order, duplicates removed.
pub fn dedup_ranked(ranked: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ranked
        .iter()
        .filter(|d| seen.insert(d.as_str()))
        .cloned()
        .collect()
}

/// 1-based rank of the first gold document, if any.
pub fn first_gold_rank(ranked: &[String], gold: &[String]) -> Option<usize> {
    dedup_ranked(ranked)
        .iter()
        .position(|d| gold.contains(d))
        .map(|i| i + 1)
}

/// 1 when a gold document is among the top `k`, else 0 (averaged over queries this is recall@k
/// in the "share of questions answered by the top k" sense used by FAQ retrieval).
pub fn recall_at_k(ranked: &[String], gold: &[String], k: usize) -> f64 {
    match first_gold_rank(ranked, gold) {
        Some(r) if r <= k => 1.0,
        _ => 0.0,
    }
}

pub fn reciprocal_rank(ranked: &[String], gold: &[String]) -> f64 {
    first_gold_rank(ranked, gold).map_or(0.0, |r| 1.0 / r as f64)
}

/// nDCG@k with binary gains: DCG = Σ rel_i / log2(i + 1), normalised by the ideal ordering of
/// min(|gold|, k) relevant documents.
pub fn ndcg_at_k(ranked: &[String], gold: &[String], k: usize) -> f64 {
    let gold_set: std::collections::HashSet<&str> = gold.iter().map(String::as_str).collect();
    if gold_set.is_empty() || k == 0 {
        return 0.0;
    }
    let dcg: f64 = dedup_ranked(ranked)
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, d)| gold_set.contains(d.as_str()))
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..gold_set.len().min(k))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .sum();
    dcg / ideal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn ranking_metrics_match_hand_computed_values() {
        // (ranked, gold, recall@1, recall@3, rr, ndcg@10)
        let log2_3 = 3f64.log2();
        let cases: Vec<(&str, &str, f64, f64, f64, f64)> = vec![
            ("a b c", "a", 1.0, 1.0, 1.0, 1.0),
            ("b a c", "a", 0.0, 1.0, 0.5, 1.0 / log2_3),
            ("b c d e", "a", 0.0, 0.0, 0.0, 0.0),
            // duplicates of b collapse: a is at rank 2, not 3
            ("b b a", "a", 0.0, 1.0, 0.5, 1.0 / log2_3),
            // two gold: hits at 1 and 3 → DCG = 1 + 1/2, IDCG = 1 + 1/log2(3)
            ("a x c", "a c", 1.0, 1.0, 1.0, 1.5 / (1.0 + 1.0 / log2_3)),
            ("", "a", 0.0, 0.0, 0.0, 0.0),
        ];
        for (ranked, gold, r1, r3, rr, ndcg) in cases {
            let (ranked, gold) = (ids(ranked), ids(gold));
            assert_eq!(recall_at_k(&ranked, &gold, 1), r1, "{ranked:?} r@1");
            assert_eq!(recall_at_k(&ranked, &gold, 3), r3, "{ranked:?} r@3");
            assert!(
                (reciprocal_rank(&ranked, &gold) - rr).abs() < 1e-12,
                "{ranked:?} rr"
            );
            assert!(
                (ndcg_at_k(&ranked, &gold, 10) - ndcg).abs() < 1e-12,
                "{ranked:?} ndcg"
            );
        }
    }

    #[test]
    fn ndcg_cuts_at_k() {
        let ranked = ids("x y a");
        assert_eq!(ndcg_at_k(&ranked, &ids("a"), 2), 0.0);
        assert!((ndcg_at_k(&ranked, &ids("a"), 3) - 0.5).abs() < 1e-12);
    }
}
