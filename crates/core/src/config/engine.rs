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
    /// Consecutive failed turns before handing over.
    pub max_consecutive_failures: u32,
    /// Frustration signals (complaints, caps, repeats, threats to leave) before handing over.
    pub max_frustration: u32,
}

impl Default for EscalationThresholds {
    fn default() -> Self {
        Self {
            direct_answer: 0.75,
            min_answer: 0.35,
            out_of_scope: 0.5,
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
    /// Passages given to the LM.
    pub max_passages: usize,
    /// Voice replies are cut to this many sentences.
    pub voice_max_sentences: usize,
    /// Intent catalogue (JSONL `{"text","intent","in_scope"}` or the demo store's file).
    pub intents: Option<std::path::PathBuf>,
    /// Suggest related products after fitting answers.
    pub recommendations: bool,
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
        }
    }
}
