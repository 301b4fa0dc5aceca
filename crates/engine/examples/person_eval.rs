//! Requests for a person: the word lists (`understanding::flags`'s `human_request`) against the
//! learned reading (`acts.rs`, `ActScores::person_lead`) and the two together, on labelled
//! messages.
//!
//!   cargo run -p frontdesk-engine --release --example person_eval -- \
//!     evals/person-requests/dev.jsonl [evals/person-requests/test.jsonl] \
//!     [../shared/evaldata/dev/intents_bitext.jsonl]
//!
//! A file of `{"text", "act", "lang"}` rows counts `person` as a request and every other act as
//! none. A Bitext file counts its `contact_human_agent` rows as requests and every other row as
//! none (its `contact_customer_service` rows, which ask how to reach the business, are counted
//! apart too). `CATALOGUE=path` merges a business's intent catalogue as the engine does. The
//! margin sweep is printed for the first file only: that is where the margin is chosen.

use frontdesk_engine::acts::{
    builtin_replies, builtin_requests, catalogue_act, Act, ActClassifier, ActExample,
};
use frontdesk_engine::understanding::flags;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

fn model_dir() -> PathBuf {
    frontdesk_inference::model_dir(&frontdesk_core::config::ModelsConfig::default())
}

/// One labelled message: its text, whether it asks for a person, and its group for the report.
struct Row {
    text: String,
    person: bool,
    group: String,
}

fn load(path: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(path).expect("readable file");
    let bitext = path.contains("bitext");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            if bitext {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                let intent = v["intent"].as_str()?;
                let group = match intent {
                    "contact_human_agent" | "contact_customer_service" | "complaint" => intent,
                    _ => "en",
                };
                Some(Row {
                    text: v["text"].as_str()?.to_string(),
                    person: intent == "contact_human_agent",
                    group: group.to_string(),
                })
            } else {
                let ex: ActExample = serde_json::from_str(l).ok()?;
                Some(Row {
                    person: Act::parse(&ex.act)? == Act::Person,
                    text: ex.text,
                    group: ex.lang,
                })
            }
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    person: usize,
    found: usize,
    other: usize,
    false_person: usize,
}

impl Tally {
    fn add(&mut self, want: bool, got: bool) {
        if want {
            self.person += 1;
            self.found += usize::from(got);
        } else {
            self.other += 1;
            self.false_person += usize::from(got);
        }
    }
    fn line(&self) -> String {
        let recall = if self.person == 0 {
            f32::NAN
        } else {
            self.found as f32 / self.person as f32
        };
        format!(
            "recall {recall:.3} ({}/{})  false {} of {}",
            self.found, self.person, self.false_person, self.other
        )
    }
}

/// The ways of deciding compared: by name, from the word lists' verdict and the learned lead.
type Rule = (&'static str, fn(bool, f32, f32) -> bool);
const RULES: &[Rule] = &[
    ("lists", |words, _, _| words),
    ("learned", |_, lead, m| lead >= m),
    ("lists or learned", |words, lead, m| words || lead >= m),
    ("lists and learned", |words, lead, m| words && lead >= m),
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let file = model_dir().join("multilingual-e5-small/e5-small-q4.bin");
    let embedder: Arc<dyn frontdesk_core::Embedder> = Arc::new(
        frontdesk_inference::embed::spawn_e5(&file, &Default::default())?,
    );
    let mut examples = builtin_replies()?;
    if let Ok(path) = std::env::var("CATALOGUE") {
        for row in frontdesk_engine::load_intents_jsonl(std::path::Path::new(&path))? {
            examples.push((row.text, catalogue_act(&row.intent)));
        }
    }
    let clf = ActClassifier::train(embedder, &examples, 0.0)
        .await?
        .with_requests(&builtin_requests()?)
        .await?;
    for (i, path) in files.iter().enumerate() {
        let rows = load(path);
        let mut leads = Vec::new();
        for row in &rows {
            leads.push(if std::env::var("WHOLE").is_ok() {
                clf.scores(&row.text).await?.person_lead()
            } else {
                clf.person_lead(&row.text).await?
            });
        }
        println!("\n{path}: {} messages", rows.len());
        let margins: &[f32] = if i == 0 {
            &[0.01, 0.015, 0.02, 0.025, 0.03]
        } else {
            &[frontdesk_engine::acts::DEFAULT_PERSON_MARGIN]
        };
        for &m in margins {
            for (name, rule) in RULES {
                if *name == "lists" && m != margins[0] {
                    continue;
                }
                let mut tallies = BTreeMap::<String, Tally>::new();
                for (row, lead) in rows.iter().zip(&leads) {
                    let got = rule(flags(&row.text, &[]).human_request, *lead, m);
                    tallies
                        .entry(row.group.clone())
                        .or_default()
                        .add(row.person, got);
                    tallies
                        .entry("all".into())
                        .or_default()
                        .add(row.person, got);
                }
                println!("  margin {m:+.2} {name}:");
                for (group, t) in &tallies {
                    println!("    {group:<26} {}", t.line());
                }
            }
        }
        if std::env::var("SHOW").is_ok() {
            for (row, lead) in rows.iter().zip(&leads) {
                let words = flags(&row.text, &[]).human_request;
                let learned = *lead >= frontdesk_engine::acts::DEFAULT_PERSON_MARGIN;
                if words != row.person || learned != row.person {
                    println!(
                        "  want {} lists {} lead {lead:+.3} | {}",
                        row.person, words, row.text
                    );
                }
            }
        }
    }
    Ok(())
}
