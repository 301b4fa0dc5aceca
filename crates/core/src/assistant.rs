//! The seam between the conversation engine and its callers (server, CLI chat, evals).

use crate::conversation::{ConversationState, TurnEvent, TurnOutcome};
use async_trait::async_trait;
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
}
