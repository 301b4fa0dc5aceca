use serde::{Deserialize, Serialize};

/// Escalation thresholds: calibrated on dev data (see ARCHITECTURE.md / README) and kept in config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EscalationThresholds {
    /// Retrieval confidence at or above which a FAQ/passage is answered directly, without the LM.
    pub direct_answer: f32,
    /// Retrieval confidence below which the bot does not answer (clarify or escalate).
    pub min_answer: f32,
    /// Intent-classifier similarity below which a message is out of scope.
    pub out_of_scope: f32,
    /// Share of questions the knowledge base can answer among those the intent classifier puts
    /// on one of the shop's own topics (a knowledge intent such as `shipping_info`, or an action). The
    /// retrieval confidence is calibrated for traffic that is half unanswerable; for such
    /// questions Bayes' rule moves its log-odds by logit(this) − logit(0.5). 0.5 turns it off.
    pub known_topic_answerable: f32,
    /// Consecutive failed turns before handing over.
    pub max_consecutive_failures: u32,
    /// Frustration signals (complaints, caps, repeats, threats to leave) before handing over.
    pub max_frustration: u32,
}

impl Default for EscalationThresholds {
    /// `direct_answer` and `min_answer` are chosen on held-out StackFAQ predictions of the
    /// retrieval confidence (the `stackfaq_eval` example of frontdesk-retrieval; each half of
    /// the FAQs scored by the model fitted on the other half, half of the questions made
    /// unanswerable): the lowest thresholds whose answered questions are right 90% of the time
    /// (direct: 58% of answerable and 5% of unanswerable questions pass) and 80% of the time
    /// (answer at all: 76% / 14%). Refit both with the confidence model (last: 2026-12-05, for
    /// the convex fusion).
    fn default() -> Self {
        Self {
            direct_answer: 0.69,
            min_answer: 0.44,
            out_of_scope: 0.5,
            known_topic_answerable: 0.9,
            max_consecutive_failures: 2,
            max_frustration: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnginePolicy {
    pub thresholds: EscalationThresholds,
    /// Use the chat LM to phrase answers (false: direct and extractive answers only).
    pub use_llm: bool,
    /// Passages whose units the LM reader is given (best first).
    pub max_passages: usize,
    /// Voice replies are cut to this many sentences.
    pub voice_max_sentences: usize,
    /// Intent catalogue (JSONL `{"text","intent","in_scope"}` or the demo store's file).
    pub intents: Option<std::path::PathBuf>,
    /// Suggest related products after fitting answers.
    pub recommendations: bool,
    /// A question about an account action ("is it free to cancel a booking?") that the knowledge
    /// base cannot answer with confidence is answered or declined as a question, with an offer
    /// to do the action; false: it starts the action (identity check first).
    pub questions_about_actions_are_questions: bool,
    /// Read a request for a person, a complaint, abuse and a sensitive topic in every message
    /// from the engine's built-in examples as well as its word lists (`crates/engine/README.md`,
    /// "Acts of a message"); false: the word lists alone. The margins were chosen on
    /// multilingual-e5-small's cosine scale.
    pub message_acts: bool,
    /// How the intent classifier is built and calibrated.
    pub intent_model: IntentModelConfig,
    /// How knowledge answers are read out of the retrieved passages.
    pub reader: ReaderConfig,
    /// When the chat LM writes a knowledge answer from the reader's units.
    pub lm_reader: LmReaderConfig,
    /// The translator the order-item reader also reads a Serbian message through, in English
    /// ("ranac" for the backpack, "majica" for the top), with `retrieval.apertium_command`:
    /// `apertium` (the default; used when installed, else one warning) or `off`. Only turns
    /// that choose an order's items pay for it (one translator process, about 0.1–0.3 s).
    pub item_translation: crate::config::QuestionTranslator,
    /// A second embedder (catalog name) the reader also reads English questions and English
    /// passages' units with, weighted by `reader.companion_weight`; `all-minilm-l6-v2` is
    /// English only. `"off"`: the main embedder alone.
    pub reader_companion: Option<String>,
}

/// The LM reader (`crates/engine/src/lm_reader.rs`): the chat model answers from the units the
/// reader ranks closest to the question, copying numbers and names from them. Used only with
/// `use_llm` and a chat model. The defaults were chosen on dev halves; see
/// `crates/engine/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LmReaderConfig {
    /// False: the LM never writes knowledge answers (quoted units only).
    pub enabled: bool,
    /// Units given to the model (best first).
    pub facts: usize,
    /// Also ask the model on turns the retrieval and reader signals would decline, when the
    /// answer confidence is at least `unsure_floor`; the model's NOT_FOUND keeps the decline.
    pub unsure: bool,
    pub unsure_floor: f32,
}

impl Default for LmReaderConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            facts: 6,
            unsure: false,
            unsure_floor: 0.0,
        }
    }
}

/// The reader (`crates/engine/src/reader.rs`): which units (sentences, list items, spec lines)
/// of the retrieved passages a knowledge answer quotes. The defaults were chosen on the fresh
/// demo questions' dev half (`evals/suites/fresh-dev.toml`); see `crates/engine/README.md`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReaderConfig {
    /// False: quote the best passage's most query-like sentences by word overlap (the engine
    /// before the reader).
    pub enabled: bool,
    /// Retrieved passages read (best first).
    pub max_hits: usize,
    /// Units in an answer at most.
    pub max_units: usize,
    /// A further unit of the chosen passage joins the answer when its score is within this much
    /// of the best unit's (a second part of the question).
    pub join_margin: f32,
    /// Score removed per retrieval rank below the first.
    pub rank_penalty: f32,
    /// Embed each unit with its section heading in front (true) or alone.
    pub unit_heading: bool,
    /// Below this score of the best unit (cosine of question and unit in the embedder's space;
    /// the scale is multilingual-e5-small's) the passages do not state what was asked, and the
    /// turn is declined rather than answered with a nearby passage. 0 turns the check off.
    pub min_score: f32,
    /// A best unit at least this close answers the question even when the retrieval
    /// confidence is below `engine.thresholds.min_answer`: the confidence reads whole chunks
    /// (fitted on FAQ items), and a fact in a table row or in a long section, or restated on an
    /// FAQ page, leaves its chunk's confidence low while a unit states it plainly. Only for a
    /// unit of an English page: Serbian texts sit closer to each other on this embedder, and
    /// the same bar answered too many wrong on Serbian pages. Above 1 turns it off. Chosen on
    /// the dev halves (see `crates/engine/README.md`).
    pub sure_score: f32,
    /// Added to a unit's score when it states a value of the kind the question asks for (a
    /// weight for "how heavy", a duration for "how long", money for "what does it cost"; see
    /// `frontdesk_engine::answer_kinds`). 0 turns the preference off.
    pub kind_bonus: f32,
    /// A question that asks for a kind of value and an answer that states none is not
    /// answered: the attribute asked is not in the passages read.
    pub require_asked_kind: bool,
    /// A question in several parts ("how heavy is it, and what does the set cost?") has each
    /// part searched on its own too, and a part the chosen passage does not answer is answered
    /// from the passage its own search finds (cited as a second source).
    pub part_search: bool,
    /// How much better (in the reader's score) a further passage's unit must answer a part than
    /// the chosen passage's best unit for it to be quoted too.
    pub part_margin: f32,
    /// Weight of the companion embedder's view (`engine.reader_companion`, English only) in
    /// choosing an English passage's units for an English question: its cosine less its mean
    /// over the units read, times this, is added to the unit's score. 0 turns it off.
    pub companion_weight: f32,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_hits: 3,
            max_units: 3,
            join_margin: 0.05,
            rank_penalty: 0.02,
            unit_heading: true,
            min_score: 0.83,
            sure_score: 0.865,
            kind_bonus: 0.03,
            require_asked_kind: false,
            part_search: true,
            part_margin: 0.0,
            companion_weight: 1.0,
        }
    }
}

/// How the intent classifier is built and how its out-of-scope thresholds are calibrated (by
/// cross-validation on the catalogue; see `crates/engine/README.md`, section 4). The defaults
/// suit a multilingual catalogue such as the demo store's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntentModelConfig {
    /// A second embedder (catalog name) whose view of the catalogue is mixed with the main
    /// embedder's. `all-minilm-l6-v2` is English only: set it for English catalogues.
    pub companion_embedder: Option<String>,
    /// Share of the catalogue's in-scope rows the class-score threshold may reject in
    /// cross-validation (the false-escalation budget).
    pub max_false_reject: f32,
    /// Share of in-scope rows the domain gate may reject: a message further from every
    /// catalogue row than that share of the rows' own nearest neighbours is off the domain
    /// (0 turns the gate off).
    pub max_domain_reject: f32,
    /// When set, the class-score threshold is the lowest that catches this share of the
    /// catalogue's own out-of-scope rows (a recall requirement); when not, the threshold that
    /// maximises the mean of in-scope accuracy and out-of-scope recall.
    pub oos_recall_target: Option<f32>,
    /// Weight of the catalogue's explicit `out_of_scope` class before the argmax (below 1, that
    /// class wins only when it clearly leads).
    pub oos_class_weight: f32,
}

impl Default for IntentModelConfig {
    fn default() -> Self {
        Self {
            companion_embedder: None,
            max_false_reject: 0.06,
            max_domain_reject: 0.0,
            oos_recall_target: None,
            oos_class_weight: 1.0,
        }
    }
}

impl Default for EnginePolicy {
    fn default() -> Self {
        Self {
            thresholds: EscalationThresholds::default(),
            use_llm: true,
            max_passages: 3,
            voice_max_sentences: 3,
            intents: None,
            recommendations: true,
            questions_about_actions_are_questions: true,
            message_acts: true,
            intent_model: IntentModelConfig::default(),
            reader: ReaderConfig::default(),
            lm_reader: LmReaderConfig::default(),
            item_translation: crate::config::QuestionTranslator::Apertium,
            reader_companion: Some("all-minilm-l6-v2".into()),
        }
    }
}
