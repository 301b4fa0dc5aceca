//! Dialogue acts of a reply to the bot's own question ("Shall I go ahead?"): yes, no, or
//! something else (a correction, a question, a new request), learned from examples instead of a
//! word list.
//!
//! The examples (`acts/replies.jsonl`, English and Serbian in both scripts, written for this
//! catalogue and for no eval set) are part of the engine: acts are the same for every business,
//! so they do not come from a business's intent catalogue. Each example is embedded once when the
//! engine starts. A reply's score for an act is the mean cosine of its `TOP` nearest examples of
//! that act; the reply is that act when it beats both others by `margin`.
//!
//! This is a second reading beside the word lists in `understanding.rs`, not a replacement: a
//! listed "yes" stays a yes. The learned reading adds replies the lists do not hold ("sounds
//! good, carry on"), and is only asked where a yes or a no changes what happens next (a plan
//! awaiting confirmation, an offer of a person), since a yes there can execute a write.

use frontdesk_core::embed::dot;
use frontdesk_core::{EmbedKind, Embedder, InferenceError};
use std::sync::Arc;

/// The built-in examples, one JSON object per line: `{"text", "act", "lang"}`.
const REPLIES: &str = include_str!("acts/replies.jsonl");

/// Nearest examples averaged per act.
const TOP: usize = 3;

/// How much an act's score must exceed both others' to count. Chosen on `evals/acts/dev.jsonl`
/// (the `acts_eval` example prints the sweep); the test half and CLINC150's yes/no/maybe rows
/// are reported with it, not tuned on.
pub const DEFAULT_MARGIN: f32 = 0.02;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    Affirm,
    Deny,
    Other,
}

impl Act {
    pub fn parse(name: &str) -> Option<Act> {
        match name {
            "affirm" => Some(Act::Affirm),
            "deny" => Some(Act::Deny),
            "other" => Some(Act::Other),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Act::Affirm => "affirm",
            Act::Deny => "deny",
            Act::Other => "other",
        }
    }

    const ALL: [Act; 3] = [Act::Affirm, Act::Deny, Act::Other];
}

/// One labelled reply.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ActExample {
    pub text: String,
    pub act: String,
    #[serde(default)]
    pub lang: String,
}

/// Parses examples in the JSONL form of `acts/replies.jsonl`; a line that does not parse or
/// names an unknown act is an error with its line number.
pub fn parse_act_examples(text: &str) -> Result<Vec<(String, Act)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let ex: ActExample =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let act =
            Act::parse(&ex.act).ok_or_else(|| format!("line {}: unknown act {}", i + 1, ex.act))?;
        out.push((ex.text, act));
    }
    Ok(out)
}

/// Per-act scores of one reply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActScores {
    pub affirm: f32,
    pub deny: f32,
    pub other: f32,
}

impl ActScores {
    fn of(&self, act: Act) -> f32 {
        match act {
            Act::Affirm => self.affirm,
            Act::Deny => self.deny,
            Act::Other => self.other,
        }
    }

    /// The act that beats both others by at least `margin`, if one does.
    pub fn decide(&self, margin: f32) -> Option<Act> {
        Act::ALL.into_iter().find(|&a| {
            Act::ALL
                .into_iter()
                .filter(|&b| b != a)
                .all(|b| self.of(a) >= self.of(b) + margin)
        })
    }
}

pub struct ActClassifier {
    embedder: Arc<dyn Embedder>,
    examples: Vec<(Vec<f32>, Act)>,
    margin: f32,
}

impl std::fmt::Debug for ActClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActClassifier")
            .field("examples", &self.examples.len())
            .field("margin", &self.margin)
            .finish()
    }
}

impl ActClassifier {
    /// Embeds the built-in examples.
    pub async fn builtin(embedder: Arc<dyn Embedder>) -> Result<Self, InferenceError> {
        let examples = parse_act_examples(REPLIES)
            .map_err(|e| InferenceError::Backend(format!("built-in act examples: {e}")))?;
        Self::train(embedder, &examples, DEFAULT_MARGIN).await
    }

    /// Adds examples of "something else" already embedded by the same embedder (a business's
    /// intent catalogue: every row of it is a request or a question, not a yes or a no).
    pub fn with_other_vectors(mut self, vectors: &[Vec<f32>]) -> Self {
        self.examples
            .extend(vectors.iter().map(|v| (v.clone(), Act::Other)));
        self
    }

    pub async fn train(
        embedder: Arc<dyn Embedder>,
        examples: &[(String, Act)],
        margin: f32,
    ) -> Result<Self, InferenceError> {
        let texts = examples.iter().map(|(t, _)| t.clone()).collect();
        let vecs = embedder.embed(texts, EmbedKind::Query).await?;
        Ok(Self {
            embedder,
            examples: vecs
                .into_iter()
                .zip(examples.iter().map(|(_, a)| *a))
                .collect(),
            margin,
        })
    }

    pub fn scores_of_vector(&self, v: &[f32]) -> ActScores {
        let score = |act: Act| {
            let mut sims: Vec<f32> = self
                .examples
                .iter()
                .filter(|(_, a)| *a == act)
                .map(|(e, _)| dot(v, e))
                .collect();
            sims.sort_by(|a, b| b.total_cmp(a));
            let top = &sims[..sims.len().min(TOP)];
            if top.is_empty() {
                f32::MIN
            } else {
                top.iter().sum::<f32>() / top.len() as f32
            }
        };
        ActScores {
            affirm: score(Act::Affirm),
            deny: score(Act::Deny),
            other: score(Act::Other),
        }
    }

    pub async fn scores(&self, text: &str) -> Result<ActScores, InferenceError> {
        let v = self
            .embedder
            .embed(vec![text.to_string()], EmbedKind::Query)
            .await?
            .into_iter()
            .next()
            .unwrap_or_default();
        Ok(self.scores_of_vector(&v))
    }

    /// The reply's act, when one stands out by the margin.
    pub async fn read(&self, text: &str) -> Result<Option<Act>, InferenceError> {
        Ok(self.scores(text).await?.decide(self.margin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::testing::HashEmbedder;

    #[test]
    fn the_builtin_examples_parse_and_cover_every_act_in_every_language() {
        let rows: Vec<ActExample> = REPLIES
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for lang in ["en", "sr-Latn", "sr-Cyrl"] {
            for act in Act::ALL {
                let n = rows
                    .iter()
                    .filter(|r| r.lang == lang && r.act == act.name())
                    .count();
                assert!(n >= 5, "{lang} {}: {n} examples", act.name());
            }
        }
        assert!(parse_act_examples(REPLIES).is_ok());
    }

    #[test]
    fn a_bad_line_names_its_number() {
        let err = parse_act_examples(
            "{\"text\":\"yes\",\"act\":\"affirm\"}\n{\"text\":\"x\",\"act\":\"maybe\"}",
        )
        .unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn decide_needs_the_margin_over_both_others() {
        let s = ActScores {
            affirm: 0.90,
            deny: 0.87,
            other: 0.80,
        };
        assert_eq!(s.decide(0.02), Some(Act::Affirm));
        assert_eq!(s.decide(0.05), None);
        let tie = ActScores {
            affirm: 0.9,
            deny: 0.9,
            other: 0.9,
        };
        assert_eq!(tie.decide(0.01), None);
    }

    #[tokio::test]
    async fn an_example_reads_as_its_own_act() {
        // The hashing embedder puts a text next to itself: every example is its own nearest.
        let examples = vec![
            ("yes go ahead".to_string(), Act::Affirm),
            ("no leave it".to_string(), Act::Deny),
            ("which order is that".to_string(), Act::Other),
        ];
        let clf = ActClassifier::train(Arc::new(HashEmbedder::new(64)), &examples, 0.05)
            .await
            .unwrap();
        for (text, act) in &examples {
            assert_eq!(clf.read(text).await.unwrap(), Some(*act), "{text}");
        }
    }
}
