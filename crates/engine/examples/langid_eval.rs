//! Measures `detect_language` on a labelled set (`evals/langid/*.jsonl`): accuracy per label and
//! overall, and the confusion matrix (label × answer). A row is
//! `{"text": ..., "lang": "en"|"sr-Latn"|"sr-Cyrl"|"other", "previous": optional, "note": optional}`;
//! "other" languages are answered in English, so their expected answer is `en`. The detector is
//! called with the row's `previous` language (none when absent).
//!
//!   cargo run --release -p frontdesk-engine --example langid_eval -- evals/langid/dev.jsonl [--misses]
//!
//! `--misses` also prints every row the detector got wrong.

use frontdesk_core::Lang;
use frontdesk_engine::lang::detect_language;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Row {
    text: String,
    lang: String,
    #[serde(default)]
    previous: Option<Lang>,
}

const LABELS: [&str; 4] = ["en", "sr-Latn", "sr-Cyrl", "other"];
const ANSWERS: [Lang; 3] = [Lang::En, Lang::SrLatn, Lang::SrCyrl];

fn expected(label: &str) -> Lang {
    match label {
        "other" => Lang::En,
        code => code
            .parse()
            .unwrap_or_else(|e| panic!("bad label {code:?}: {e}")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show_misses = args.iter().any(|a| a == "--misses");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if paths.is_empty() {
        eprintln!("usage: langid_eval FILE.jsonl... [--misses]");
        std::process::exit(2);
    }
    for path in paths {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let rows: Vec<Row> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}: {l}")))
            .collect();
        // label -> answer -> count
        let mut confusion: BTreeMap<&str, BTreeMap<Lang, usize>> = BTreeMap::new();
        let mut misses = Vec::new();
        let mut right = 0usize;
        for row in &rows {
            let label = LABELS
                .iter()
                .find(|l| **l == row.lang)
                .unwrap_or_else(|| panic!("unknown label {:?}", row.lang));
            let got = detect_language(&row.text, row.previous);
            *confusion.entry(label).or_default().entry(got).or_default() += 1;
            if got == expected(label) {
                right += 1;
            } else {
                misses.push((label, row.previous, got, &row.text));
            }
        }
        println!("{path}: {} rows", rows.len());
        println!("  label      n   accuracy   -> en  sr-Latn  sr-Cyrl");
        for label in LABELS {
            let Some(answers) = confusion.get(label) else {
                continue;
            };
            let n: usize = answers.values().sum();
            let ok = answers.get(&expected(label)).copied().unwrap_or(0);
            let cells: Vec<String> = ANSWERS
                .iter()
                .map(|a| format!("{:>7}", answers.get(a).copied().unwrap_or(0)))
                .collect();
            println!(
                "  {label:<8} {n:>4}   {:.3}  {}",
                ok as f64 / n as f64,
                cells.join(" ")
            );
        }
        println!(
            "  overall  {:>4}   {:.3}  ({} misses)",
            rows.len(),
            right as f64 / rows.len().max(1) as f64,
            misses.len()
        );
        if show_misses {
            for (label, previous, got, text) in misses {
                let prev = previous.map(|p| p.code()).unwrap_or("-");
                println!(
                    "  MISS {label:<8} prev={prev:<8} got={:<8} {text:?}",
                    got.code()
                );
            }
        }
    }
}
