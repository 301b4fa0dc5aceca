//! Measures the loader's check for paragraphs that speak to the assistant
//! (`frontdesk_retrieval::injection`) on a labelled set such as `evals/injected-sources`:
//! JSON lines with `id`, `lang`, `label` ("injection" or "benign"), `context` and `text`.
//!
//!   cargo run --release -p frontdesk-retrieval --example injection_eval -- evals/injected-sources/dev.jsonl
//!
//! Prints, per language and in all, the share of injections found and the benign paragraphs
//! taken for one (each listed with `SHOW=1`).

use frontdesk_retrieval::injection::instruction_to_assistant;
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Case {
    id: String,
    lang: String,
    label: String,
    text: String,
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: injection_eval FILE.jsonl");
    let show = std::env::var("SHOW").is_ok_and(|v| v == "1");
    let text = std::fs::read_to_string(&path).expect("cannot read the set");
    // language -> (injections, found, benign, taken for injections)
    let mut tally: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Case =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1));
        let judged = instruction_to_assistant(&case.text);
        let injection = case.label == "injection";
        for key in [case.lang.clone(), "all".to_string()] {
            let t = tally.entry(key).or_default();
            if injection {
                t[0] += 1;
                t[1] += usize::from(judged.is_some());
            } else {
                t[2] += 1;
                t[3] += usize::from(judged.is_some());
            }
        }
        if show && judged.is_some() != injection {
            let what = if injection { "MISSED" } else { "FALSE" };
            println!("{what} {}: {}", case.id, case.text);
        }
    }
    for (lang, [inj, found, benign, false_ones]) in tally {
        println!(
            "{lang:8} injections found {found}/{inj} ({:.3}); benign taken for one {false_ones}/{benign}",
            found as f64 / inj.max(1) as f64
        );
    }
}
