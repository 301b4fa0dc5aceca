//! The seam between the conversation engine and its callers (server, CLI chat, evals).

use crate::conversation::{Citation, ConversationState, TurnEvent, TurnOutcome};
use crate::lang::Lang;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error, Clone)]
pub enum AssistantError {
    /// A model queue is full; the message was not processed (HTTP 503 + Retry-After).
    #[error("busy: {0}")]
    Overloaded(String),
    #[error("conversation is {0}; the bot does not reply")]
    NotWithBot(&'static str),
    #[error("invalid message: {0}")]
    InvalidInput(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// This assistant cannot do what was asked (e.g. a scripted one drafts no suggestions).
    #[error("not supported: {0}")]
    Unsupported(String),
}

/// A knowledge-base passage offered to an agent beside the bot's draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestedPassage {
    pub doc_id: String,
    pub title: String,
    pub url: Option<String>,
    pub text: String,
    /// The retrieval confidence (0..1).
    pub confidence: f32,
}

/// What the bot would answer to a question, for an agent to insert and edit
/// ([`Assistant::suggest`]). Nothing of it reached the customer or the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The question drafted for (the customer's last message).
    pub question: String,
    pub lang: Lang,
    /// The bot's answer with its citations; `None` when the knowledge base holds nothing
    /// it would answer from.
    pub draft: Option<String>,
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// The passages retrieved for the question, best first.
    pub passages: Vec<SuggestedPassage>,
}

#[async_trait]
pub trait Assistant: Send + Sync {
    /// Processes one customer message: updates `state` (turns, language, intent, slots, status)
    /// and streams events into `events`, always ending with `TurnEvent::Done` on success.
    /// A closed `events` receiver is not an error: the turn completes and the outcome is returned.
    async fn respond(
        &self,
        state: &mut ConversationState,
        message: &str,
        events: mpsc::Sender<TurnEvent>,
    ) -> Result<TurnOutcome, AssistantError>;

    /// Drafts the answer to `question` in the conversation `state` the way a turn would
    /// answer it from the knowledge base, for an agent to use: read-only — no turn is
    /// recorded, no flow runs, nothing is written anywhere. An assistant that answers from
    /// scripts rather than a knowledge base keeps the default, which says so.
    async fn suggest(
        &self,
        state: &ConversationState,
        question: &str,
    ) -> Result<Suggestion, AssistantError> {
        let _ = (state, question);
        Err(AssistantError::Unsupported(
            "this assistant drafts no suggested replies".into(),
        ))
    }
}
