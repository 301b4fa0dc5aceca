//! Which action a single message asks the flows for — the keywords (`flows::keyword_action`),
//! the intent classifier, the action examples' model, and their combination as the engine
//! makes it (`flows::requested_action`) or in other orders — on labelled messages.
//!
//!   CATALOGUE=knowledge/intents.jsonl cargo run -p frontdesk-engine --release \
//!     --example action_choice_eval -- evals/action-requests/dev.jsonl [evals/action-requests/test.jsonl]
//!
//! Each row is `{"text", "action", "lang"}`; `action` is an intent name of an action
//! (`cancel_order`, `return_items`, …) or `none`. Cancel and return are one flow (`Refund`: the
//! order's status decides), as are exchange and modify (`ChangeItems`). A message is read right
//! when the action chosen is its flow, or when it is `none` and no action is chosen or the
//! engine would treat it as a question about an action (`flows::asks_about_action`: answered
//! from the knowledge base, the action only offered). Without `CATALOGUE` there is no intent.
//! `SHOW=1` prints the rows the engine's choice gets wrong.

mod common;

use frontdesk_core::ConversationState;
use frontdesk_engine::action_reading::{builtin_action_examples, label_of, ActionReading};
use frontdesk_engine::acts::{builtin_messages, builtin_replies, ActClassifier};
use frontdesk_engine::flows::{asks_about_action, keyword_action, requested_action};
use frontdesk_engine::intents::IntentClassifier;
use frontdesk_engine::understanding::{understand, Action};
use std::collections::BTreeMap;

#[derive(serde::Deserialize)]
struct Row {
    text: String,
    action: String,
    lang: String,
}

#[derive(Default)]
struct Tally {
    actions: usize,
    actions_right: usize,
    /// Requests read as another action (a write the customer did not ask for, if confirmed).
    actions_wrong: usize,
    none: usize,
    none_right: usize,
}

impl Tally {
    fn line(&self) -> String {
        let r = |a: usize, b: usize| a as f32 / b.max(1) as f32;
        format!(
            "actions right {:.3} ({}/{}), another action {}  none right {:.3} ({}/{})  all {:.3}",
            r(self.actions_right, self.actions),
            self.actions_right,
            self.actions,
            self.actions_wrong,
            r(self.none_right, self.none),
            self.none_right,
            self.none,
            r(
                self.actions_right + self.none_right,
                self.actions + self.none
            )
        )
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let embedder = common::e5_embedder()?;
    let mut action_examples = builtin_action_examples()?;
    let intents = match std::env::var("CATALOGUE") {
        Ok(path) => {
            let rows = frontdesk_engine::load_intents_jsonl(std::path::Path::new(&path))?;
            if std::env::var("NO_CATALOGUE_ACTIONS").is_err() {
                for row in &rows {
                    action_examples.push((row.text.clone(), label_of(&row.intent)));
                }
            }
            let mut clf = IntentClassifier::train_configured(
                rows,
                embedder.clone(),
                None,
                &Default::default(),
            )
            .await?;
            clf.calibrate_cv(5);
            Some(clf)
        }
        Err(_) => None,
    };
    let reader = ActClassifier::train(embedder, &builtin_replies()?, 0.0)
        .await?
        .with_messages(&builtin_messages()?)
        .await?
        .with_action_examples(&action_examples)
        .await?;
    let margins: Vec<f32> = std::env::var("MARGINS")
        .unwrap_or_else(|_| "0,0.01,0.02,0.03".into())
        .split(',')
        .map(|m| m.parse().expect("a margin"))
        .collect();
    let state = ConversationState::default();
    type Choose = fn(&frontdesk_engine::Understanding, f32) -> Option<Action>;
    fn intent(u: &frontdesk_engine::Understanding) -> Option<Action> {
        u.intent_name().and_then(Action::from_intent)
    }
    fn learned(u: &frontdesk_engine::Understanding, m: f32) -> Option<Action> {
        u.action_reading.and_then(|r| r.action_by(m))
    }
    fn learned_none(u: &frontdesk_engine::Understanding, m: f32) -> bool {
        u.action_reading.is_some_and(|r| r.none_by(m))
    }
    fn on_account(a: &Action) -> bool {
        !matches!(a, Action::PlaceOrder | Action::Recommend)
    }
    let ways: [(&str, Choose); 9] = [
        ("keywords, else intent, else learned on account", |u, m| {
            keyword_action(u)
                .or_else(|| intent(u))
                .or_else(|| learned(u, m).filter(on_account))
        }),
        ("keywords", |u, _| keyword_action(u)),
        ("intent", |u, _| intent(u)),
        ("keywords, else intent (before)", |u, _| {
            keyword_action(u).or_else(|| intent(u))
        }),
        ("engine (requested_action)", |u, _| requested_action(u)),
        ("learned", |u, m| learned(u, m)),
        ("learned, else keywords, else intent", |u, m| {
            learned(u, m)
                .or_else(|| keyword_action(u))
                .or_else(|| intent(u))
        }),
        ("keywords, else intent, else learned", |u, m| {
            keyword_action(u)
                .or_else(|| intent(u))
                .or_else(|| learned(u, m))
        }),
        (
            "learned, else (keywords, else intent) unless none leads",
            |u, m| {
                learned(u, m).or_else(|| {
                    (!learned_none(u, m))
                        .then(|| keyword_action(u).or_else(|| intent(u)))
                        .flatten()
                })
            },
        ),
    ];
    for path in &files {
        let text = std::fs::read_to_string(path)?;
        let rows: Vec<Row> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        let mut understood = Vec::new();
        for row in &rows {
            let intent = match &intents {
                Some(c) => Some(c.classify(&row.text).await?),
                None => None,
            };
            let mut u = understand(&row.text, &state, intent, &[]);
            u.action_reading = reader.read_action(&row.text).await?;
            understood.push(u);
        }
        println!("\n{path}: {} messages", rows.len());
        for (name, choose) in ways {
            for &m in &margins {
                if m != margins[0] && !name.contains("learned") {
                    continue;
                }
                let mut tallies = BTreeMap::<String, Tally>::new();
                for (row, u) in rows.iter().zip(&understood) {
                    let want = Action::from_intent(&row.action);
                    let got = choose(u, m);
                    for key in [row.lang.clone(), "all".to_string()] {
                        let t = tallies.entry(key).or_default();
                        match want {
                            Some(w) => {
                                t.actions += 1;
                                t.actions_right += usize::from(got == Some(w));
                                t.actions_wrong += usize::from(got.is_some_and(|g| g != w));
                            }
                            None => {
                                t.none += 1;
                                t.none_right +=
                                    usize::from(got.is_none() || asks_about_action(u, &state));
                            }
                        }
                    }
                    if std::env::var("SHOW").is_ok() && name.starts_with("engine") {
                        let right = match want {
                            Some(w) => got == Some(w),
                            None => got.is_none() || asks_about_action(u, &state),
                        };
                        if !right {
                            let r: Option<ActionReading> = u.action_reading;
                            println!(
                            "  want {} got {:?} (keywords {:?}, intent {:?}, learned {:?} {:+.3}) | {}",
                            row.action,
                            got.map(Action::name),
                            keyword_action(u).map(Action::name),
                            u.intent_name(),
                            r.and_then(|r| r.action).map(Action::name),
                            r.map_or(0.0, |r| r.lead),
                            row.text
                        );
                        }
                    }
                }
                println!("  margin {m:+.2} {name}:");
                for (group, t) in &tallies {
                    println!("    {group:<8} {}", t.line());
                }
            }
        }
    }
    Ok(())
}
