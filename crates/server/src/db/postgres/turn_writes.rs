//! A turn's database work in as few statements as its guarantees allow. A knowledge turn
//! sends four: the conversation read that authorises the request, `accept` (the turn lock,
//! the customer's message, the state — one call of `frontdesk_accept_message`), `finish` (the
//! reply, the new state and the question marked answered — one statement of three
//! data-modifying CTEs) and the lock's release.
//!
//! Why the lock, the insert and the read are one server-side function: the read must see the
//! state the previous turn committed, so it must start after the lock is granted, and a plain
//! statement reads one snapshot taken before it waited. A `VOLATILE` PL/pgSQL function takes a
//! new snapshot for each statement inside it, after the lock. The lock comes before the insert
//! so that a turn waiting for it holds no row lock (an erasure waiting for the conversation's
//! row could otherwise close a cycle with the turn holding the lock), and so a message is
//! stored — committed when the call returns — only once its turn holds the conversation.
//!
//! The release stays its own statement: a lock let go inside `finish` would free the next
//! turn before `finish` commits, and that turn would read the state before it.

use super::conversations::parse_state;
use super::turn_lock::{HeldTurnLock, LOCK_CLASS};
use super::{backend, is_code, pg_json, pg_text, to_json, PgStore};
use crate::db::verified_customer_id;
use chrono::Utc;
use frontdesk_core::store::AcceptedMessage;
use frontdesk_core::{ConversationState, StoreError};
use serde_json::Value;
use tokio_postgres::error::SqlState;

/// The function `accept` calls (created by migration 2).
pub(super) const ACCEPT_FUNCTION: &str = r#"
CREATE FUNCTION frontdesk_accept_message(
    lock_class INTEGER, conversation TEXT, message TEXT, received TIMESTAMPTZ
) RETURNS TABLE (accepted_id BIGINT, accepted_state JSONB)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    new_id BIGINT;
BEGIN
    PERFORM pg_advisory_lock(lock_class, hashtext(conversation));
    INSERT INTO messages (conversation_id, speaker, text, at, meta, processed)
        VALUES (conversation, 'customer', message, received, '{}'::jsonb, FALSE)
        RETURNING id INTO new_id;
    RETURN QUERY SELECT new_id, c.state FROM conversations c WHERE c.id = conversation;
END
$$;
"#;

const ACCEPT: &str =
    "SELECT accepted_id, accepted_state FROM frontdesk_accept_message($1, $2, $3, $4)";

const FINISH: &str = "WITH reply AS (
        INSERT INTO messages (conversation_id, speaker, text, at, meta, processed)
        VALUES ($1, 'bot', $2, $3, $4, TRUE) RETURNING id
    ), saved AS (
        UPDATE conversations SET state = $5, status = $6, updated_at = $3, customer_id = $7
        WHERE id = $1 RETURNING id
    ), answered AS (
        UPDATE messages SET processed = TRUE WHERE id = $8 RETURNING id
    )
    SELECT (SELECT id FROM reply), (SELECT COUNT(*) FROM saved)";

fn conversation_not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "conversation",
        id: id.to_string(),
    }
}

impl PgStore {
    pub(super) async fn accept_customer_message(
        &self,
        conversation_id: &str,
        text: &str,
    ) -> Result<AcceptedMessage, StoreError> {
        // The guard owns the connection before the lock is asked for: whatever happens to the
        // call (an error, the caller gone), dropping it releases a lock the session got.
        let guard = HeldTurnLock::on(self.client().await?, conversation_id);
        let row = {
            let client = guard.client();
            let stmt = client.prepare_cached(ACCEPT).await.map_err(backend)?;
            client
                .query_one(
                    &stmt,
                    &[
                        &LOCK_CLASS,
                        &pg_text(conversation_id),
                        &pg_text(text),
                        &Utc::now(),
                    ],
                )
                .await
                .map_err(|e| {
                    if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                        conversation_not_found(conversation_id)
                    } else {
                        backend(e)
                    }
                })?
        };
        let state: Option<Value> = row.get(1);
        let state = state.ok_or_else(|| conversation_not_found(conversation_id))?;
        Ok(AcceptedMessage {
            message_id: row.get(0),
            turns: Box::new(guard),
            state: Some(parse_state(conversation_id, state)?),
        })
    }

    pub(super) async fn finish_answered_turn(
        &self,
        state: &ConversationState,
        answered: i64,
        reply: &str,
        meta: &Value,
    ) -> Result<i64, StoreError> {
        let json = to_json(state)?;
        let customer_id = verified_customer_id(state).map(|c| pg_text(&c).into_owned());
        let c = self.client().await?;
        let stmt = c.prepare_cached(FINISH).await.map_err(backend)?;
        let row = c
            .query_one(
                &stmt,
                &[
                    &pg_text(&state.id),
                    &pg_text(reply),
                    &Utc::now(),
                    &pg_json(meta).as_ref(),
                    &json,
                    &state.status.as_str(),
                    &customer_id,
                    &answered,
                ],
            )
            .await
            .map_err(|e| {
                if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                    conversation_not_found(&state.id)
                } else {
                    backend(e)
                }
            })?;
        if row.get::<_, i64>(1) == 0 {
            return Err(conversation_not_found(&state.id));
        }
        Ok(row.get(0))
    }
}
