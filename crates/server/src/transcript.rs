//! The conversation's transcript as the engine and the agent console see it: turns appended
//! outside the engine (a customer message while a person holds the conversation, an agent's
//! message) under the conversation's lock.

use crate::error::ApiError;
use crate::state::AppState;
use frontdesk_core::conversation::Speaker;

/// Adds a non-bot turn (customer while a human holds it, agent, system) to the saved state so
/// the engine sees the whole dialogue when the bot takes over again.
pub async fn append_turn_record(
    state: &AppState,
    conversation_id: &str,
    speaker: Speaker,
    text: &str,
) -> Result<(), ApiError> {
    let lock = state.conversation_lock(conversation_id);
    let _guard = lock.lock().await;
    let (mut conv, _) = state.store.conversation(conversation_id).await?;
    conv.turns
        .push(frontdesk_core::TurnRecord::now(speaker, text, None, None));
    state.store.save_state(&conv).await?;
    Ok(())
}
