//! Language and script identification measured on the held-out half of the labelled set
//! (`evals/langid/test.jsonl`, written and split as `evals/langid/README.md` says; the detector
//! was tuned on `dev.jsonl` only). "other" languages are answered in English.

use frontdesk_core::Lang;
use frontdesk_engine::lang::detect_language;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct Row {
    text: String,
    lang: String,
    #[serde(default)]
    previous: Option<Lang>,
}

/// Overall accuracy the detector must keep on the test half (measured: 0.982, 333 of 339).
const MIN_OVERALL: f64 = 0.98;
/// Accuracy each label must keep on the test half. The three languages the bot writes are at
/// 1.000; "other" (measured 0.909, 60 of 66) is below the 0.95 aimed for: a third language
/// written with no letter Serbian lacks and few listed words (Portuguese "o produto chegou
/// quebrado", Turkish "kargo ne kadar", Macedonian "ви благодарам") shares words with Serbian
/// and is read as Serbian. Raise these as the detector improves; never lower them to pass.
const MIN_PER_LABEL: [(&str, f64); 4] = [
    ("en", 0.98),
    ("sr-Latn", 0.98),
    ("sr-Cyrl", 0.98),
    ("other", 0.90),
];

fn expected(label: &str) -> Lang {
    match label {
        "other" => Lang::En,
        code => code
            .parse()
            .expect("a label is en, sr-Latn, sr-Cyrl or other"),
    }
}

#[test]
fn langid_accuracy_on_the_test_half() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../evals/langid/test.jsonl");
    let text = std::fs::read_to_string(&path).expect("evals/langid/test.jsonl");
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a langid row"))
        .collect();
    assert!(rows.len() >= 300, "test half shrank to {} rows", rows.len());
    let mut per_label: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for row in &rows {
        let got = detect_language(&row.text, row.previous);
        let entry = per_label.entry(row.lang.as_str()).or_default();
        entry.1 += 1;
        if got == expected(&row.lang) {
            entry.0 += 1;
        } else {
            misses.push(format!("{} -> {got} {:?}", row.lang, row.text));
        }
    }
    assert_eq!(per_label.len(), 4, "labels: {:?}", per_label.keys());
    let right: usize = per_label.values().map(|(ok, _)| ok).sum();
    let overall = right as f64 / rows.len() as f64;
    assert!(
        overall >= MIN_OVERALL,
        "overall accuracy {overall:.3} < {MIN_OVERALL}; misses: {misses:#?}"
    );
    for (label, min) in MIN_PER_LABEL {
        let (ok, n) = per_label[label];
        let acc = ok as f64 / n as f64;
        assert!(
            acc >= min,
            "{label}: accuracy {acc:.3} < {min}; misses: {misses:#?}"
        );
    }
}
