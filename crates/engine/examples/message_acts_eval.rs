//! The acts of a whole message — a request for a person, a complaint, abuse —: the word lists
//! (`understanding::flags`'s `human_request`, `complaint`, `abuse`) against the learned reading
//! (`acts.rs`, `ActClassifier::message_leads`) and the two together, on labelled messages.
//!
//!   cargo run -p frontdesk-engine --release --example message_acts_eval -- person \
//!     evals/person-requests/dev.jsonl [evals/person-requests/test.jsonl] \
//!     [../shared/evaldata/dev/intents_bitext.jsonl]
//!   cargo run -p frontdesk-engine --release --example message_acts_eval -- complaint \
//!     evals/complaint-abuse/dev.jsonl [evals/complaint-abuse/test.jsonl]
//!
//! The first argument is the act measured (`person`, `complaint` or `abuse`). A file of
//! `{"text", "act", "lang"}` rows counts that act as found and every other act as not. A Bitext file counts its `contact_human_agent` rows as requests and every other row as
//! none (its `contact_customer_service` rows, which ask how to reach the business, are counted
//! apart too). `CATALOGUE=path` merges a business's intent catalogue as the engine does. The
//! margin sweep is printed for the first file only: that is where the margin is chosen.

mod common;

use frontdesk_engine::acts::{
    builtin_messages, builtin_replies, catalogue_act, Act, ActClassifier, ActExample,
};
use frontdesk_engine::understanding::flags;
use std::collections::BTreeMap;

/// One labelled message: its text, whether it is the act measured, and its group for the
/// report.
struct Row {
    text: String,
    positive: bool,
    group: String,
}

fn load(path: &str, want: Act) -> Vec<Row> {
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
                    positive: intent == "contact_human_agent",
                    group: group.to_string(),
                })
            } else {
                let ex: ActExample = serde_json::from_str(l).ok()?;
                Some(Row {
                    positive: Act::parse(&ex.act)? == want,
                    text: ex.text,
                    group: ex.lang,
                })
            }
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    positive: usize,
    found: usize,
    other: usize,
    false_found: usize,
}

impl Tally {
    fn add(&mut self, want: bool, got: bool) {
        if want {
            self.positive += 1;
            self.found += usize::from(got);
        } else {
            self.other += 1;
            self.false_found += usize::from(got);
        }
    }
    fn line(&self) -> String {
        let recall = if self.positive == 0 {
            f32::NAN
        } else {
            self.found as f32 / self.positive as f32
        };
        format!(
            "recall {recall:.3} ({}/{})  false {} of {}",
            self.found, self.positive, self.false_found, self.other
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
    let mut args = std::env::args().skip(1);
    let act = args
        .next()
        .and_then(|a| Act::parse(&a))
        .ok_or("the first argument is the act: person, complaint or abuse")?;
    let files: Vec<String> = args.collect();
    let by_lists = |text: &str| {
        let f = flags(text, &[]);
        match act {
            Act::Complaint => f.complaint,
            Act::Abuse => f.abuse,
            Act::Sensitive => f.sensitive,
            _ => f.human_request,
        }
    };
    let margin_of = match act {
        Act::Complaint => frontdesk_engine::acts::COMPLAINT_MARGIN,
        Act::Abuse => frontdesk_engine::acts::ABUSE_MARGIN,
        Act::Sensitive => frontdesk_engine::acts::SENSITIVE_MARGIN,
        _ => frontdesk_engine::acts::DEFAULT_PERSON_MARGIN,
    };
    let embedder = common::e5_embedder()?;
    let mut examples = builtin_replies()?;
    if let Ok(path) = std::env::var("CATALOGUE") {
        for row in frontdesk_engine::load_intents_jsonl(std::path::Path::new(&path))? {
            examples.push((row.text, catalogue_act(&row.intent)));
        }
    }
    // PROBE=1: the act's lead read by the intent classifier's model (whitened kNN + softmax
    // head) fitted on the same examples: the act's probability less the best other one's.
    let probe = if std::env::var("PROBE").is_ok() {
        let rows: Vec<frontdesk_engine::intents::IntentExample> = examples
            .iter()
            .chain(builtin_messages()?.iter())
            .map(|(text, a)| frontdesk_engine::intents::IntentExample {
                text: text.clone(),
                intent: format!("{a:?}"),
                in_scope: true,
                lang: None,
            })
            .collect();
        Some(frontdesk_engine::intents::IntentClassifier::train(rows, embedder.clone()).await?)
    } else {
        None
    };
    let clf = ActClassifier::train(embedder, &examples, 0.0)
        .await?
        .with_messages(&builtin_messages()?)
        .await?;
    for (i, path) in files.iter().enumerate() {
        let rows = load(path, act);
        let mut leads = Vec::new();
        for row in &rows {
            if let Some(p) = &probe {
                let views = p.embed_views(std::slice::from_ref(&row.text)).await?;
                let probs = p.class_probabilities(&views[0]).unwrap_or_default();
                let name = format!("{act:?}");
                let i = p
                    .classes()
                    .iter()
                    .position(|c| *c == name)
                    .ok_or("act class")?;
                let other = (0..probs.len())
                    .filter(|&j| j != i)
                    .map(|j| probs[j])
                    .fold(0.0f32, f32::max);
                leads.push(probs[i] - other);
                continue;
            }
            let l = clf.message_leads(&row.text).await?;
            leads.push(match act {
                Act::Complaint => l.complaint,
                Act::Abuse => l.abuse,
                Act::Sensitive => l.sensitive,
                _ => l.person,
            });
        }
        println!("\n{path}: {} messages", rows.len());
        let swept: Vec<f32> = match std::env::var("MARGINS") {
            Ok(m) => m.split(',').map(|x| x.parse().expect("a margin")).collect(),
            Err(_) => vec![0.0, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04],
        };
        let margins: &[f32] = if i == 0 {
            &swept
        } else {
            std::slice::from_ref(&margin_of)
        };
        for &m in margins {
            for (name, rule) in RULES {
                if *name == "lists" && m != margins[0] {
                    continue;
                }
                let mut tallies = BTreeMap::<String, Tally>::new();
                for (row, lead) in rows.iter().zip(&leads) {
                    let got = rule(by_lists(&row.text), *lead, m);
                    tallies
                        .entry(row.group.clone())
                        .or_default()
                        .add(row.positive, got);
                    tallies
                        .entry("all".into())
                        .or_default()
                        .add(row.positive, got);
                }
                println!("  margin {m:+.2} {name}:");
                for (group, t) in &tallies {
                    println!("    {group:<26} {}", t.line());
                }
            }
        }
        if std::env::var("SHOW").is_ok() {
            for (row, lead) in rows.iter().zip(&leads) {
                let words = by_lists(&row.text);
                let learned = *lead >= margin_of;
                if words != row.positive || learned != row.positive {
                    println!(
                        "  want {} lists {} lead {lead:+.3} | {}",
                        row.positive, words, row.text
                    );
                }
            }
        }
    }
    Ok(())
}
