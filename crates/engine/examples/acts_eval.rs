//! Yes / no / something else in a reply to the bot's question: the word lists
//! (`understanding::flags`) against the learned act classifier (`acts.rs`) and both together,
//! on labelled replies.
//!
//!   cargo run -p frontdesk-engine --release --example acts_eval -- evals/acts/dev.jsonl \
//!     [evals/acts/test.jsonl] [../shared/evaldata/dev/intents_clinc150_valid.jsonl]
//!
//! A CLINC150 file counts its `yes` rows as yes, `no` as no, and `maybe` plus every other
//! in-scope row as something else (a question or request, as a customer might answer). The
//! margin sweep is printed for the first file only: that is where the margin is chosen.

mod common;

use frontdesk_engine::acts::{builtin_replies, catalogue_act, Act, ActClassifier, ActExample};
use frontdesk_engine::understanding::flags;
use std::collections::BTreeMap;

fn load(path: &str) -> Vec<(String, Act, String)> {
    let text = std::fs::read_to_string(path).expect("readable file");
    let clinc = path.contains("clinc150");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            if clinc {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                if v["in_scope"] != serde_json::Value::Bool(true) {
                    return None;
                }
                let act = match v["intent"].as_str()? {
                    "yes" => Act::Affirm,
                    "no" => Act::Deny,
                    _ => Act::Other,
                };
                Some((v["text"].as_str()?.to_string(), act, "en".to_string()))
            } else {
                let ex: ActExample = serde_json::from_str(l).ok()?;
                Some((ex.text, Act::parse(&ex.act)?, ex.lang))
            }
        })
        .collect()
}

/// The word lists' reading: a yes or a no as the flags give it, else something else.
fn by_words(text: &str) -> Act {
    let f = flags(text, &[]);
    if f.affirmative && !f.negative {
        Act::Affirm
    } else if f.negative && !f.affirmative {
        Act::Deny
    } else {
        Act::Other
    }
}

/// Both: the learned reading where one act stands out (never a yes or a no to a question),
/// else the word lists.
fn combined(text: &str, learned: Option<Act>) -> Act {
    let f = flags(text, &[]);
    match learned {
        Some(Act::Affirm | Act::Deny) if f.question => Act::Other,
        // A request for a person is neither a yes nor a no (`Flags::apply_act`).
        Some(Act::Person) => Act::Other,
        Some(act) => act,
        None => by_words(text),
    }
}

#[derive(Default)]
struct Tally {
    n: usize,
    right: usize,
    false_yes: usize,
    yes: usize,
    yes_found: usize,
    no: usize,
    no_found: usize,
}

impl Tally {
    fn add(&mut self, want: Act, got: Act) {
        self.n += 1;
        self.right += usize::from(want == got);
        self.false_yes += usize::from(got == Act::Affirm && want != Act::Affirm);
        if want == Act::Affirm {
            self.yes += 1;
            self.yes_found += usize::from(got == Act::Affirm);
        }
        if want == Act::Deny {
            self.no += 1;
            self.no_found += usize::from(got == Act::Deny);
        }
    }
    fn line(&self) -> String {
        let r = |a: usize, b: usize| {
            if b == 0 {
                f32::NAN
            } else {
                a as f32 / b as f32
            }
        };
        format!(
            "accuracy {:.3}  yes recall {:.3}  no recall {:.3}  false yes {} of {}",
            r(self.right, self.n),
            r(self.yes_found, self.yes),
            r(self.no_found, self.no),
            self.false_yes,
            self.n - self.yes
        )
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let embedder = common::e5_embedder()?;
    let mut examples = builtin_replies()?;
    // CATALOGUE=path: a business's intent catalogue, every row an example of "something else",
    // as the engine merges it.
    if let Ok(path) = std::env::var("CATALOGUE") {
        for row in frontdesk_engine::load_intents_jsonl(std::path::Path::new(&path))? {
            examples.push((row.text, catalogue_act(&row.intent)));
        }
    }
    let clf = ActClassifier::train(embedder, &examples, 0.0).await?;
    for (i, path) in files.iter().enumerate() {
        let rows = load(path);
        let mut scores = Vec::new();
        for (text, _, _) in &rows {
            scores.push(clf.scores(text).await?);
        }
        println!("\n{path}: {} replies", rows.len());
        let margins: &[f32] = if i == 0 {
            &[0.0, 0.01, 0.02, 0.03, 0.04, 0.06]
        } else {
            &[0.0, frontdesk_engine::acts::DEFAULT_MARGIN]
        };
        let mut words = BTreeMap::<String, Tally>::new();
        for (text, want, lang) in &rows {
            words
                .entry(lang.clone())
                .or_default()
                .add(*want, by_words(text));
            words
                .entry("all".into())
                .or_default()
                .add(*want, by_words(text));
        }
        for (lang, t) in &words {
            println!("  word lists          {lang:<8} {}", t.line());
        }
        for &m in margins {
            let mut learned = BTreeMap::<String, Tally>::new();
            let mut both = BTreeMap::<String, Tally>::new();
            for ((text, want, lang), s) in rows.iter().zip(&scores) {
                let got = match s.decide(m) {
                    Some(Act::Person) | None => Act::Other,
                    Some(act) => act,
                };
                let c = combined(text, s.decide(m));
                for key in [lang.as_str(), "all"] {
                    learned.entry(key.into()).or_default().add(*want, got);
                    both.entry(key.into()).or_default().add(*want, c);
                }
            }
            for (lang, t) in &learned {
                println!("  learned m={m:<5}     {lang:<8} {}", t.line());
            }
            for (lang, t) in &both {
                println!("  lists+learned m={m:<5} {lang:<8} {}", t.line());
            }
        }
        if std::env::var("SHOW").is_ok() {
            for ((text, want, _), s) in rows.iter().zip(&scores) {
                let c = combined(text, s.decide(frontdesk_engine::acts::DEFAULT_MARGIN));
                if c != *want {
                    println!(
                        "    want {:<6} got {:<6} {:.3}/{:.3}/{:.3} {text}",
                        want.name(),
                        c.name(),
                        s.affirm,
                        s.deny,
                        s.other
                    );
                }
            }
        }
    }
    Ok(())
}
