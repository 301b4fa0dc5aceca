//! Dialogue acts, learned from examples instead of a word list: in a reply to the bot's own
//! question ("Shall I go ahead?") yes, no, or something else (a correction, a question, a new
//! request); in any message, a request for a person ("can I talk to someone from your team?")
//! as against a question that only mentions people, hours or contacts ("are your staff there on
//! Sundays?"), a complaint as against a calm report or a question about how to complain, and
//! abuse.
//!
//! The examples (`acts/replies.jsonl` for yes and no, `acts/messages.jsonl` for the acts of any
//! message; English and Serbian in both scripts, written for this catalogue, across kinds of
//! business, and for no eval set) are part of the engine: acts are the same for every business.
//! A business's intent catalogue adds its rows: those of its `human_agent`, `complaint` and
//! `abuse` intents as those acts, every other row as something else. Each example is embedded
//! once when the engine starts. A message's score for an act is the mean cosine of its `TOP`
//! nearest examples of that act; a reply is yes or no when that act beats every other by
//! `margin`, and a message (or one of its sentences) is a request for a person, a complaint or
//! abuse when that act beats every other by its own margin.
//!
//! For yes and no this is a second reading beside the word lists in `understanding.rs`, not a
//! replacement: a listed "yes" stays a yes. The learned reading adds replies the lists do not
//! hold ("sounds good, carry on"), and is only asked where a yes or a no changes what happens
//! next (a plan awaiting confirmation, an offer of a person), since a yes there can execute a
//! write. How the acts of a message combine with the lists: `Flags::apply_message_acts`.

use crate::action_reading::{builtin_action_examples, ActionModel, ActionReading};
use crate::understanding::Action;
use frontdesk_core::{EmbedKind, Embedder, InferenceError};
use std::sync::Arc;

/// The built-in examples, one JSON object per line: `{"text", "act", "lang"}`.
const REPLIES: &str = include_str!("acts/replies.jsonl");
const MESSAGES: &str = include_str!("acts/messages.jsonl");

/// The intent a business's catalogue names requests for a person with.
pub const PERSON_INTENT: &str = "human_agent";

/// Nearest examples averaged per act.
const TOP: usize = 3;

/// How much an act's score must exceed both others' to count. Chosen on `evals/acts/dev.jsonl`
/// (the `acts_eval` example prints the sweep); the test half and CLINC150's yes/no/maybe rows
/// are reported with it, not tuned on.
pub const DEFAULT_MARGIN: f32 = 0.02;

/// How much the request for a person must lead every other act. Chosen on the dev halves (see
/// `crates/engine/README.md`, "Requests for a person").
pub const DEFAULT_PERSON_MARGIN: f32 = 0.02;

/// How much a complaint and abuse must lead every other act. Chosen on the dev half of
/// `evals/complaint-abuse` (the `message_acts_eval` example): the complaint as the message's
/// first act, abuse by the smallest lead with no false abuse with or without a catalogue.
pub const COMPLAINT_MARGIN: f32 = 0.0;
pub const ABUSE_MARGIN: f32 = 0.04;

/// How much a sensitive topic must lead every other act. Chosen on the dev half of
/// `evals/sensitive-topics`: the smallest lead with no false one with or without a catalogue.
pub const SENSITIVE_MARGIN: f32 = 0.015;

/// How much a greeting, thanks or a goodbye must lead every other act for the whole message to
/// be small talk, and by how much another act must lead for the word lists' small talk to be
/// overruled. Chosen on the dev half of `evals/small-talk` (the `small_talk_eval` example): the
/// smallest margin with no false small talk from the examples alone, then the veto that kept
/// the lists' false small talk lowest for the most small talk read.
pub const SMALL_TALK_MARGIN: f32 = 0.01;
pub const SMALL_TALK_VETO: f32 = 0.01;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Act {
    Affirm,
    Deny,
    /// A request to be put in touch with a person.
    Person,
    /// Dissatisfaction with the business, its products or its service.
    Complaint,
    /// Insults or swearing at the bot, the staff or the business.
    Abuse,
    /// Harm or a serious risk that happened to the customer, a legal threat, fraud on their
    /// account: a person's to handle.
    Sensitive,
    /// Small talk: the whole message is only a greeting, only thanks, or only a goodbye.
    Greeting,
    Thanks,
    Goodbye,
    Other,
}

impl Act {
    const EVERY: [Act; 10] = [
        Act::Affirm,
        Act::Deny,
        Act::Person,
        Act::Complaint,
        Act::Abuse,
        Act::Sensitive,
        Act::Greeting,
        Act::Thanks,
        Act::Goodbye,
        Act::Other,
    ];
    const SMALL_TALK: [Act; 3] = [Act::Greeting, Act::Thanks, Act::Goodbye];

    /// A greeting, thanks or a goodbye.
    pub fn is_small_talk(self) -> bool {
        Self::SMALL_TALK.contains(&self)
    }

    pub fn parse(name: &str) -> Option<Act> {
        match name {
            "affirm" => Some(Act::Affirm),
            "deny" => Some(Act::Deny),
            "person" => Some(Act::Person),
            "complaint" => Some(Act::Complaint),
            "abuse" => Some(Act::Abuse),
            "sensitive" => Some(Act::Sensitive),
            "greeting" => Some(Act::Greeting),
            "thanks" => Some(Act::Thanks),
            "goodbye" => Some(Act::Goodbye),
            "other" => Some(Act::Other),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Act::Affirm => "affirm",
            Act::Deny => "deny",
            Act::Person => "person",
            Act::Complaint => "complaint",
            Act::Abuse => "abuse",
            Act::Sensitive => "sensitive",
            Act::Greeting => "greeting",
            Act::Thanks => "thanks",
            Act::Goodbye => "goodbye",
            Act::Other => "other",
        }
    }
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
    pub person: f32,
    pub complaint: f32,
    pub abuse: f32,
    pub sensitive: f32,
    pub greeting: f32,
    pub thanks: f32,
    pub goodbye: f32,
    pub other: f32,
}

impl ActScores {
    fn of(&self, act: Act) -> f32 {
        match act {
            Act::Affirm => self.affirm,
            Act::Deny => self.deny,
            Act::Person => self.person,
            Act::Complaint => self.complaint,
            Act::Abuse => self.abuse,
            Act::Sensitive => self.sensitive,
            Act::Greeting => self.greeting,
            Act::Thanks => self.thanks,
            Act::Goodbye => self.goodbye,
            Act::Other => self.other,
        }
    }

    /// How far `act` stands above the best other act.
    pub fn lead(&self, act: Act) -> f32 {
        let best_other = Act::EVERY
            .into_iter()
            .filter(|&b| b != act)
            .map(|b| self.of(b))
            .fold(f32::MIN, f32::max);
        self.of(act) - best_other
    }

    /// The reading of a reply to a yes/no question: yes, no or something else, whichever beats
    /// both others by at least `margin`, if one does. Every act but yes and no (a request for a
    /// person, small talk…) is something else there.
    pub fn decide(&self, margin: f32) -> Option<Act> {
        const REPLY: [Act; 3] = [Act::Affirm, Act::Deny, Act::Other];
        let of = |a: Act| match a {
            Act::Other => Act::EVERY
                .into_iter()
                .filter(|b| !matches!(b, Act::Affirm | Act::Deny))
                .map(|b| self.of(b))
                .fold(f32::MIN, f32::max),
            a => self.of(a),
        };
        REPLY.into_iter().find(|&a| {
            REPLY
                .into_iter()
                .filter(|&b| b != a)
                .all(|b| of(a) >= of(b) + margin)
        })
    }
}

/// How far each act of a whole message leads every other (`ActClassifier::message_leads`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MessageLeads {
    pub person: f32,
    pub complaint: f32,
    pub abuse: f32,
    pub sensitive: f32,
    /// The small-talk act the whole message scores best for, and how far it leads every other
    /// act (negative when another act leads). Read on the whole message only: "Hi." beside a
    /// question is a greeting sentence in a message that is not small talk.
    pub small_talk: Option<(Act, f32)>,
}

/// The acts a message was read as from examples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MessageActs {
    pub person: bool,
    pub complaint: bool,
    pub abuse: bool,
    pub sensitive: bool,
    /// The whole message read as only a greeting, thanks or a goodbye (that act leads every
    /// other by [`SMALL_TALK_MARGIN`]).
    pub small_talk: Option<Act>,
    /// The small-talk act that leads every other act at all: the kind of small talk the word
    /// lists found, when they found some.
    pub small_talk_kind: Option<Act>,
    /// Another act leads every small-talk act by more than [`SMALL_TALK_VETO`]: what the word
    /// lists read as small talk ("hello, I need an invoice") is not.
    pub not_small_talk: bool,
    /// The whole message read as a reply to a yes/no question (`ActScores::decide`), from the
    /// same embedding.
    pub reply: Option<Act>,
    /// The order or account action the whole message asks for (`action_reading.rs`), from the
    /// same embedding; None without action examples.
    pub action: Option<ActionReading>,
}

pub struct ActClassifier {
    embedder: Arc<dyn Embedder>,
    /// What a reply to a yes/no question is read against: the reply examples and the
    /// business's catalogue rows.
    examples: Vec<(Vec<f32>, Act)>,
    /// Read only for the acts of a whole message, beside `examples`: the message examples
    /// (their "something else" rows are questions about people, hours and safety, which would
    /// make the yes/no reading less sure of a plain yes).
    message_examples: Vec<(Vec<f32>, Act)>,
    /// Read only for the action a message asks for (`action_reading.rs`): the examples, and
    /// the model fitted on them (refitted whenever examples are added).
    action_examples: Vec<(Vec<f32>, Option<Action>)>,
    action_model: std::sync::OnceLock<Option<ActionModel>>,
    margin: f32,
    person_margin: f32,
}

impl std::fmt::Debug for ActClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActClassifier")
            .field("examples", &self.examples.len())
            .field("message_examples", &self.message_examples.len())
            .field("action_examples", &self.action_examples.len())
            .field("margin", &self.margin)
            .field("person_margin", &self.person_margin)
            .finish()
    }
}

/// The built-in replies to a yes/no question (yes, no, something else).
pub fn builtin_replies() -> Result<Vec<(String, Act)>, String> {
    parse_act_examples(REPLIES).map_err(|e| format!("acts/replies.jsonl {e}"))
}

/// The built-in requests for a person and messages that are not one.
pub fn builtin_messages() -> Result<Vec<(String, Act)>, String> {
    parse_act_examples(MESSAGES).map_err(|e| format!("acts/messages.jsonl {e}"))
}

/// The act a business's catalogue row stands for: a request for a person, a complaint or abuse
/// under the intents named so ([`PERSON_INTENT`], `complaint`, `abuse`), small talk under the
/// greeting, thanks and goodbye intents, else something else (a question or a request, not a
/// yes or a no).
pub fn catalogue_act(intent: &str) -> Act {
    use frontdesk_core::intents::{GOODBYE, GREETING, THANKS};
    match intent {
        PERSON_INTENT => Act::Person,
        "complaint" => Act::Complaint,
        "abuse" => Act::Abuse,
        GREETING => Act::Greeting,
        THANKS => Act::Thanks,
        GOODBYE => Act::Goodbye,
        _ => Act::Other,
    }
}

impl ActClassifier {
    /// Embeds the built-in examples.
    pub async fn builtin(embedder: Arc<dyn Embedder>) -> Result<Self, InferenceError> {
        let bad = |e: String| InferenceError::Backend(format!("built-in act examples: {e}"));
        let replies = builtin_replies().map_err(bad)?;
        let requests = builtin_messages().map_err(bad)?;
        let actions = builtin_action_examples().map_err(bad)?;
        Self::train(embedder, &replies, DEFAULT_MARGIN)
            .await?
            .with_messages(&requests)
            .await?
            .with_action_examples(&actions)
            .await
    }

    /// Embeds `examples`, read only for the action a message asks for.
    pub async fn with_action_examples(
        mut self,
        examples: &[(String, Option<Action>)],
    ) -> Result<Self, InferenceError> {
        let texts = examples.iter().map(|(t, _)| t.clone()).collect();
        let vecs = self.embedder.embed(texts, EmbedKind::Query).await?;
        self.action_examples
            .extend(vecs.into_iter().zip(examples.iter().map(|(_, a)| *a)));
        self.action_model = Default::default();
        Ok(self)
    }

    /// Adds action examples already embedded by the same embedder (a business's intent
    /// catalogue, its rows labelled by [`crate::action_reading::label_of`]).
    pub fn with_action_vectors(
        mut self,
        examples: impl IntoIterator<Item = (Vec<f32>, Option<Action>)>,
    ) -> Self {
        self.action_examples.extend(examples);
        self.action_model = Default::default();
        self
    }

    /// The action the message asks for, as the examples read it (None without examples).
    pub async fn read_action(&self, text: &str) -> Result<Option<ActionReading>, InferenceError> {
        let vecs = self.embed_message(text).await?;
        Ok(self.action_of(&vecs))
    }

    fn action_of(&self, vecs: &[Vec<f32>]) -> Option<ActionReading> {
        let v = vecs.first()?;
        self.action_model().map(|m| m.read(v))
    }

    /// The model the action is read by, fitted on first use (after every example was added).
    pub fn action_model(&self) -> Option<&ActionModel> {
        self.action_model
            .get_or_init(|| ActionModel::fitted(&self.action_examples, self.embedder.clone()))
            .as_ref()
    }

    /// Embeds `requests`, read only for a request for a person.
    pub async fn with_messages(
        mut self,
        requests: &[(String, Act)],
    ) -> Result<Self, InferenceError> {
        let texts = requests.iter().map(|(t, _)| t.clone()).collect();
        let vecs = self.embedder.embed(texts, EmbedKind::Query).await?;
        self.message_examples
            .extend(vecs.into_iter().zip(requests.iter().map(|(_, a)| *a)));
        Ok(self)
    }

    /// Adds examples already embedded by the same embedder, each with its act (a business's
    /// intent catalogue, its rows read by [`catalogue_act`]).
    pub fn with_vectors(mut self, examples: impl IntoIterator<Item = (Vec<f32>, Act)>) -> Self {
        self.examples.extend(examples);
        self
    }

    /// Sets the lead over every other act a request for a person needs.
    pub fn with_person_margin(mut self, margin: f32) -> Self {
        self.person_margin = margin;
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
            message_examples: Vec::new(),
            action_examples: Vec::new(),
            action_model: Default::default(),
            margin,
            person_margin: DEFAULT_PERSON_MARGIN,
        })
    }

    /// Scores against the reply examples and the catalogue (the yes/no reading).
    pub fn scores_of_vector(&self, v: &[f32]) -> ActScores {
        Self::scores_among(v, self.examples.iter())
    }

    /// Scores against every example, the message examples too (the reading of a whole
    /// message's acts).
    pub fn message_scores_of_vector(&self, v: &[f32]) -> ActScores {
        Self::scores_among(v, self.examples.iter().chain(&self.message_examples))
    }

    fn scores_among<'a>(
        v: &[f32],
        examples: impl Iterator<Item = &'a (Vec<f32>, Act)> + Clone,
    ) -> ActScores {
        let s = crate::knn::label_scores(v, examples, &Act::EVERY, TOP);
        let of = |act: Act| s[Act::EVERY.iter().position(|a| *a == act).unwrap_or(0)];
        ActScores {
            affirm: of(Act::Affirm),
            deny: of(Act::Deny),
            person: of(Act::Person),
            complaint: of(Act::Complaint),
            abuse: of(Act::Abuse),
            sensitive: of(Act::Sensitive),
            greeting: of(Act::Greeting),
            thanks: of(Act::Thanks),
            goodbye: of(Act::Goodbye),
            other: of(Act::Other),
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

    /// How far each act of a message leads every other, in the message or in any one of its
    /// sentences: a request or an insult is one sentence, and beside a sentence telling the
    /// problem ("The bill is three times the usual. I need someone to call me.") the whole
    /// message reads as the problem.
    pub async fn message_leads(&self, text: &str) -> Result<MessageLeads, InferenceError> {
        Ok(self.leads_of(&self.embed_message(text).await?))
    }

    /// The message's vector, then its sentences' when it has several.
    async fn embed_message(&self, text: &str) -> Result<Vec<Vec<f32>>, InferenceError> {
        let sentences = frontdesk_core::text::sentences(text);
        let mut texts = vec![text.to_string()];
        if sentences.len() > 1 {
            texts.extend(sentences.iter().map(|s| s.to_string()));
        }
        self.embedder.embed(texts, EmbedKind::Query).await
    }

    fn leads_of(&self, vecs: &[Vec<f32>]) -> MessageLeads {
        let mut out = MessageLeads {
            person: f32::MIN,
            complaint: f32::MIN,
            abuse: f32::MIN,
            sensitive: f32::MIN,
            small_talk: None,
        };
        if let Some(v) = vecs.first() {
            let s = self.message_scores_of_vector(v);
            out.small_talk = Act::SMALL_TALK
                .into_iter()
                .max_by(|a, b| s.of(*a).total_cmp(&s.of(*b)))
                .map(|a| (a, s.lead(a)));
        }
        for v in vecs {
            let s = self.message_scores_of_vector(v);
            out.person = out.person.max(s.lead(Act::Person));
            out.complaint = out.complaint.max(s.lead(Act::Complaint));
            out.abuse = out.abuse.max(s.lead(Act::Abuse));
            out.sensitive = out.sensitive.max(s.lead(Act::Sensitive));
        }
        out
    }

    /// The acts the message's leads reach by their margins.
    pub async fn read_message(&self, text: &str) -> Result<MessageActs, InferenceError> {
        let vecs = self.embed_message(text).await?;
        let leads = self.leads_of(&vecs);
        Ok(MessageActs {
            reply: vecs
                .first()
                .and_then(|v| self.scores_of_vector(v).decide(self.margin)),
            person: leads.person >= self.person_margin,
            complaint: leads.complaint >= COMPLAINT_MARGIN,
            abuse: leads.abuse >= ABUSE_MARGIN,
            sensitive: leads.sensitive >= SENSITIVE_MARGIN,
            small_talk: leads
                .small_talk
                .filter(|(_, lead)| *lead >= SMALL_TALK_MARGIN)
                .map(|(act, _)| act),
            small_talk_kind: leads
                .small_talk
                .filter(|(_, lead)| *lead >= 0.0)
                .map(|(act, _)| act),
            not_small_talk: leads
                .small_talk
                .is_some_and(|(_, lead)| lead < -SMALL_TALK_VETO),
            action: self.action_of(&vecs),
        })
    }

    /// Whether the message asks to be put in touch with a person.
    pub async fn asks_for_person(&self, text: &str) -> Result<bool, InferenceError> {
        Ok(self.read_message(text).await?.person)
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
            .chain(MESSAGES.lines())
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for lang in ["en", "sr-Latn", "sr-Cyrl"] {
            for act in Act::EVERY {
                let n = rows
                    .iter()
                    .filter(|r| r.lang == lang && r.act == act.name())
                    .count();
                assert!(n >= 5, "{lang} {}: {n} examples", act.name());
            }
        }
        assert!(builtin_replies().is_ok() && builtin_messages().is_ok());
    }

    #[tokio::test]
    async fn a_request_in_one_sentence_of_a_longer_message_counts() {
        // The hashing embedder puts a text next to itself: the second sentence is its own
        // nearest example, while the whole message is nearer the problem it tells.
        let problem = "my parcel is three weeks late and nobody answers the phone at your depot";
        let examples = vec![
            ("connect me with a person".to_string(), Act::Person),
            (problem.to_string(), Act::Other),
            ("what time do you open".to_string(), Act::Other),
            ("yes go ahead".to_string(), Act::Affirm),
            ("no leave it".to_string(), Act::Deny),
        ];
        let clf = ActClassifier::train(Arc::new(HashEmbedder::new(64)), &examples, 0.05)
            .await
            .unwrap()
            .with_person_margin(0.2);
        let message = format!("{problem}. connect me with a person");
        let message = message.as_str();
        let whole = clf.scores(message).await.unwrap().lead(Act::Person);
        assert!(whole < 0.2, "the whole message alone leads by {whole}");
        assert!(clf.asks_for_person(message).await.unwrap());
        assert!(!clf.asks_for_person("what time do you open").await.unwrap());
    }

    #[test]
    fn a_catalogue_row_is_an_act_only_under_the_act_s_intent() {
        assert_eq!(catalogue_act(PERSON_INTENT), Act::Person);
        assert_eq!(catalogue_act("complaint"), Act::Complaint);
        assert_eq!(catalogue_act("thanks"), Act::Thanks);
        assert_eq!(catalogue_act("shipping_info"), Act::Other);
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
    fn decide_needs_the_margin_over_every_other() {
        let s = ActScores {
            affirm: 0.90,
            deny: 0.87,
            person: 0.70,
            complaint: 0.60,
            abuse: 0.50,
            sensitive: 0.40,
            greeting: 0.30,
            thanks: 0.30,
            goodbye: 0.30,
            other: 0.80,
        };
        assert_eq!(s.decide(0.02), Some(Act::Affirm));
        assert_eq!(s.decide(0.05), None);
        let tie = ActScores {
            affirm: 0.9,
            deny: 0.9,
            person: 0.9,
            complaint: 0.9,
            abuse: 0.9,
            sensitive: 0.9,
            greeting: 0.9,
            thanks: 0.9,
            goodbye: 0.9,
            other: 0.9,
        };
        assert_eq!(tie.decide(0.01), None);
        // Small talk is something else to a yes/no question.
        let thanks = ActScores { thanks: 0.95, ..s };
        assert_eq!(thanks.decide(0.02), Some(Act::Other));
    }

    #[tokio::test]
    async fn small_talk_is_read_on_the_whole_message_only() {
        // The hashing embedder puts a text next to itself: "hello there" is its own nearest
        // example, and beside a question it no longer makes the message small talk.
        let examples = vec![
            ("hello there".to_string(), Act::Greeting),
            ("many thanks".to_string(), Act::Thanks),
            ("bye for now".to_string(), Act::Goodbye),
            ("where is my parcel".to_string(), Act::Other),
            ("yes go ahead".to_string(), Act::Affirm),
        ];
        let clf = ActClassifier::train(Arc::new(HashEmbedder::new(64)), &examples, 0.05)
            .await
            .unwrap();
        for (text, act) in &examples[..3] {
            let acts = clf.read_message(text).await.unwrap();
            assert_eq!(acts.small_talk, Some(*act), "{text}");
            assert_eq!(acts.reply, Some(Act::Other), "{text}");
        }
        let mixed = clf
            .read_message("hello there. where is my parcel")
            .await
            .unwrap();
        assert_eq!(mixed.small_talk, None);
    }

    #[tokio::test]
    async fn an_example_reads_as_its_own_act() {
        // The hashing embedder puts a text next to itself: every example is its own nearest.
        let examples = vec![
            ("yes go ahead".to_string(), Act::Affirm),
            ("no leave it".to_string(), Act::Deny),
            ("which order is that".to_string(), Act::Other),
            ("get me a real person".to_string(), Act::Person),
        ];
        let clf = ActClassifier::train(Arc::new(HashEmbedder::new(64)), &examples, 0.05)
            .await
            .unwrap();
        for (text, act) in &examples {
            // A request for a person is something else to a yes/no question.
            let as_reply = if *act == Act::Person {
                Act::Other
            } else {
                *act
            };
            assert_eq!(clf.read(text).await.unwrap(), Some(as_reply), "{text}");
            assert_eq!(
                clf.asks_for_person(text).await.unwrap(),
                *act == Act::Person,
                "{text}"
            );
        }
    }
}
