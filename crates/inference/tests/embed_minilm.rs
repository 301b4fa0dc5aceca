//! all-MiniLM-L6-v2 through its worker handle: shape, unit length, batch invariance and a
//! ranking sanity check. Needs the real model; skipped when absent unless
//! FRONTDESK_REQUIRE_MODELS=1.

use frontdesk_core::embed::dot;
use frontdesk_core::{EmbedKind, Embedder};
use frontdesk_inference::embed::{spawn_minilm, EmbedWorkerOptions};
use std::path::PathBuf;

fn model_dir() -> Option<PathBuf> {
    frontdesk_inference::model_file_for_test("all-minilm-l6-v2/model.safetensors")
        .and_then(|f| f.parent().map(PathBuf::from))
}

#[tokio::test]
async fn minilm_embeds_and_ranks_sensibly() {
    let Some(dir) = model_dir() else { return };
    let h = spawn_minilm(&dir, &EmbedWorkerOptions::default()).expect("spawn");
    assert_eq!(
        (h.info().model_id.as_str(), h.info().dim),
        ("all-minilm-l6-v2", 384)
    );

    let passages: Vec<String> = [
        "Returns are accepted within 30 days of delivery if the item is unused.",
        "We ship to the EU and the Western Balkans; delivery takes 2-5 business days.",
        "Our warranty covers manufacturing defects for two years.",
    ]
    .map(String::from)
    .to_vec();
    let p = h
        .embed(passages.clone(), EmbedKind::Passage)
        .await
        .expect("passages");
    let cases = [
        ("How do I send back shoes I do not want?", 0),
        ("Do you deliver to Germany, and how long does it take?", 1),
        ("My kettle broke after a month, is that covered?", 2),
    ];
    for (query, want) in cases {
        let q = h
            .embed(vec![query.to_string()], EmbedKind::Query)
            .await
            .expect("query");
        let scores: Vec<f32> = p.iter().map(|v| dot(&q[0], v)).collect();
        let best = (0..scores.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        assert_eq!(best, Some(want), "{query}: scores {scores:?}");
        let norm = dot(&q[0], &q[0]).sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }

    // Padding must not leak: the short text alone equals it next to a long one.
    let alone = h
        .embed(vec![passages[2].clone()], EmbedKind::Passage)
        .await
        .expect("alone");
    let long = "word ".repeat(300);
    let batch = h
        .embed(vec![long, passages[2].clone()], EmbedKind::Passage)
        .await
        .expect("batch");
    assert!(
        dot(&alone[0], &batch[1]) > 0.9999,
        "cosine {}",
        dot(&alone[0], &batch[1])
    );
}
