//! Small talk — a message that is only a greeting, thanks or a goodbye —: the word lists (with
//! the intent classifier, as `Understanding::is_small_talk` reads them) against the learned
//! reading of the whole message (`acts.rs`) and the ways of combining the two, on labelled
//! messages.
//!
//!   cargo run -p frontdesk-engine --release --example small_talk_eval -- \
//!     evals/small-talk/dev.jsonl [evals/small-talk/test.jsonl]
//!
//! Each row is `{"text", "act", "lang"}` with act `greeting`, `thanks`, `goodbye` or `other`.
//! A message is counted right when it is read as small talk of its own kind (the kind the
//! engine would answer: a goodbye before thanks before a greeting), or as no small talk when
//! it is `other`. `CATALOGUE=path` merges a business's intent catalogue as the engine does: its
//! greeting / thanks / goodbye rows join the act examples, and its intent classifier (trained
//! and calibrated as `frontdesk serve` does, without a companion embedder) gives
//! `is_small_talk` its intent. The margin sweep is printed for the first file only: that is
//! where the margin is chosen. `SHOW=1` prints the rows the engine's reading gets wrong.

mod common;

use frontdesk_core::ConversationState;
use frontdesk_engine::acts::{
    builtin_messages, builtin_replies, catalogue_act, Act, ActClassifier, ActExample,
};
use frontdesk_engine::intents::IntentClassifier;
use frontdesk_engine::understanding::understand;
use std::collections::BTreeMap;

/// The kind of small talk a reading names, `None` for none.
type Kind = Option<Act>;

fn kind_name(k: Kind) -> &'static str {
    k.map(Act::name).unwrap_or("other")
}

#[derive(Default)]
struct Tally {
    small_talk: usize,
    small_talk_right: usize,
    other: usize,
    false_small_talk: usize,
}

impl Tally {
    fn add(&mut self, want: Kind, got: Kind) {
        if want.is_some() {
            self.small_talk += 1;
            self.small_talk_right += usize::from(got == want);
        } else {
            self.other += 1;
            self.false_small_talk += usize::from(got.is_some());
        }
    }
    fn line(&self) -> String {
        let recall = if self.small_talk == 0 {
            f32::NAN
        } else {
            self.small_talk_right as f32 / self.small_talk as f32
        };
        let right = self.small_talk_right + self.other - self.false_small_talk;
        let all = self.small_talk + self.other;
        format!(
            "small talk read right {recall:.3} ({}/{})  false small talk {} of {}  accuracy {:.3}",
            self.small_talk_right,
            self.small_talk,
            self.false_small_talk,
            self.other,
            right as f32 / all.max(1) as f32
        )
    }
}

/// One labelled message with what each reading made of it.
struct Read {
    lang: String,
    want: Kind,
    /// `is_small_talk` on the word lists (and the intent), with the kind the flags give.
    lists: Kind,
    /// The learned reading's best small-talk act and its lead over every other act.
    learned: Option<(Act, f32)>,
    /// The engine as built: lists and learned combined by `Flags::apply_message_acts`.
    engine: Kind,
}

/// The ways of combining compared, by name: from the lists' kind, the learned best act and its
/// lead, and the margin.
type Rule = (&'static str, fn(Kind, Option<(Act, f32)>, f32) -> Kind);
const RULES: &[Rule] = &[
    ("lists", |lists, _, _| lists),
    ("learned", |_, learned, m| {
        learned.filter(|(_, l)| *l >= m).map(|(a, _)| a)
    }),
    ("lists or learned", |lists, learned, m| {
        learned.filter(|(_, l)| *l >= m).map(|(a, _)| a).or(lists)
    }),
    ("lists unless learned reads other", |lists, learned, m| {
        lists.filter(|_| learned.is_some_and(|(_, l)| l >= -m))
    }),
    (
        "learned, or lists unless another act leads by 0.01",
        |lists, learned, m| either(lists, learned, m, 0.01),
    ),
    (
        "learned, or lists unless another act leads by 0.02",
        |lists, learned, m| either(lists, learned, m, 0.02),
    ),
    (
        "learned, or lists unless another act leads by 0.03",
        |lists, learned, m| either(lists, learned, m, 0.03),
    ),
];

/// Small talk when the learned act leads by `m`, or when the lists read it and no other act
/// leads the best small-talk act by `veto`; the kind is the learned act's when it leads at all.
fn either(lists: Kind, learned: Option<(Act, f32)>, m: f32, veto: f32) -> Kind {
    let (act, lead) = learned?;
    if lead >= m {
        return Some(act);
    }
    lists
        .filter(|_| lead >= -veto)
        .map(|k| if lead >= 0.0 { act } else { k })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let embedder = common::e5_embedder()?;
    let mut examples = builtin_replies()?;
    let mut intents = None;
    if let Ok(path) = std::env::var("CATALOGUE") {
        let rows = frontdesk_engine::load_intents_jsonl(std::path::Path::new(&path))?;
        for row in &rows {
            examples.push((row.text.clone(), catalogue_act(&row.intent)));
        }
        let mut clf =
            IntentClassifier::train_configured(rows, embedder.clone(), None, &Default::default())
                .await?;
        clf.calibrate_cv(5);
        intents = Some(clf);
    }
    let clf = ActClassifier::train(embedder, &examples, 0.0)
        .await?
        .with_messages(&builtin_messages()?)
        .await?;
    let state = ConversationState::default();
    for (i, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path)?;
        let mut reads = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let ex: ActExample = serde_json::from_str(line)?;
            let want = Act::parse(&ex.act).filter(|a| a.is_small_talk());
            let intent = match &intents {
                Some(c) => Some(c.classify(&ex.text).await?),
                None => None,
            };
            let mut u = understand(&ex.text, &state, intent, &[]);
            let lists = u.is_small_talk().then(|| u.small_talk_kind());
            let acts = clf.read_message(&ex.text).await?;
            u.flags.apply_message_acts(acts);
            let engine = u.is_small_talk().then(|| u.small_talk_kind());
            let learned = clf.message_leads(&ex.text).await?.small_talk;
            reads.push(Read {
                lang: ex.lang,
                want,
                lists,
                learned,
                engine,
            });
        }
        println!("\n{path}: {} messages", reads.len());
        let margins: &[f32] = if i == 0 {
            &[0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
        } else {
            std::slice::from_ref(&frontdesk_engine::acts::SMALL_TALK_MARGIN)
        };
        for &m in margins {
            for (name, rule) in RULES {
                if *name == "lists" && m != margins[0] {
                    continue;
                }
                let mut tallies = BTreeMap::<String, Tally>::new();
                for r in &reads {
                    let got = rule(r.lists, r.learned, m);
                    tallies.entry(r.lang.clone()).or_default().add(r.want, got);
                    tallies.entry("all".into()).or_default().add(r.want, got);
                }
                println!("  margin {m:+.2} {name}:");
                for (group, t) in &tallies {
                    println!("    {group:<8} {}", t.line());
                }
            }
        }
        let mut tallies = BTreeMap::<String, Tally>::new();
        for r in &reads {
            tallies
                .entry(r.lang.clone())
                .or_default()
                .add(r.want, r.engine);
            tallies
                .entry("all".into())
                .or_default()
                .add(r.want, r.engine);
        }
        println!("  the engine's reading:");
        for (group, t) in &tallies {
            println!("    {group:<8} {}", t.line());
        }
        if std::env::var("SHOW").is_ok() {
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            for (r, line) in reads.iter().zip(lines) {
                if r.engine != r.want || r.lists != r.want {
                    let ex: ActExample = serde_json::from_str(line)?;
                    println!(
                        "  want {} lists {} engine {} learned {:?} | {}",
                        kind_name(r.want),
                        kind_name(r.lists),
                        kind_name(r.engine),
                        r.learned
                            .map(|(a, l)| (a.name(), (l * 1000.0).round() / 1000.0)),
                        ex.text
                    );
                }
            }
        }
    }
    Ok(())
}
