//! Conversations, their messages, feedback and audit rows.

use super::{backend, is_code, pg_json, pg_text, to_json, PgStore};
use crate::db::{parse_speaker, speaker_str, verified_customer_id};
use chrono::Utc;
use deadpool_postgres::GenericClient;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::StoredMessage;
use frontdesk_core::{ConversationState, ConversationStatus, StoreError};
use serde_json::Value;
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

pub(super) const MESSAGE_COLS: &str = "id, conversation_id, speaker, text, at, meta";

pub(super) fn message_from_row(r: &Row) -> Result<StoredMessage, StoreError> {
    Ok(StoredMessage {
        id: r.get(0),
        conversation_id: r.get(1),
        speaker: parse_speaker(r.get(2))?,
        text: r.get(3),
        at: r.get(4),
        meta: r.get(5),
    })
}

pub(super) fn parse_state(id: &str, state: Value) -> Result<ConversationState, StoreError> {
    serde_json::from_value(state)
        .map_err(|e| StoreError::Backend(format!("conversation {id} state is not valid JSON: {e}")))
}

/// The messages of one conversation in the order they were stored.
pub(super) async fn messages_of(
    c: &impl GenericClient,
    conversation_id: &str,
) -> Result<Vec<StoredMessage>, StoreError> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 ORDER BY id"
        ))
        .await
        .map_err(backend)?;
    c.query(&stmt, &[&pg_text(conversation_id)])
        .await
        .map_err(backend)?
        .iter()
        .map(message_from_row)
        .collect()
}

impl PgStore {
    pub(super) async fn create_conversation_row(
        &self,
        state: &ConversationState,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let json = to_json(state)?;
        let channel =
            serde_json::to_value(state.channel).map_err(|e| StoreError::Backend(e.to_string()))?;
        let channel = channel.as_str().unwrap_or("chat");
        let customer_id = verified_customer_id(state).map(|c| pg_text(&c).into_owned());
        let now = Utc::now();
        let c = self.client().await?;
        let n = c
            .execute(
                "INSERT INTO conversations (id, token_hash, status, channel, state, created_at, updated_at, customer_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7) ON CONFLICT (id) DO NOTHING",
                &[
                    &pg_text(&state.id),
                    &token_hash,
                    &state.status.as_str(),
                    &channel,
                    &json,
                    &now,
                    &customer_id,
                ],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::Conflict(format!(
                "conversation {} already exists",
                state.id
            )));
        }
        Ok(())
    }

    pub(super) async fn load_conversation(
        &self,
        id: &str,
    ) -> Result<(ConversationState, String), StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT state, token_hash FROM conversations WHERE id = $1")
            .await
            .map_err(backend)?;
        let row = c
            .query_opt(&stmt, &[&pg_text(id)])
            .await
            .map_err(backend)?
            .ok_or_else(|| StoreError::NotFound {
                what: "conversation",
                id: id.to_string(),
            })?;
        Ok((parse_state(id, row.get(0))?, row.get(1)))
    }

    pub(super) async fn save_conversation_state(
        &self,
        state: &ConversationState,
    ) -> Result<(), StoreError> {
        let json = to_json(state)?;
        let customer_id = verified_customer_id(state).map(|c| pg_text(&c).into_owned());
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "UPDATE conversations SET state = $2, status = $3, updated_at = $4, customer_id = $5 WHERE id = $1",
            )
            .await
            .map_err(backend)?;
        let n = c
            .execute(
                &stmt,
                &[
                    &pg_text(&state.id),
                    &json,
                    &state.status.as_str(),
                    &Utc::now(),
                    &customer_id,
                ],
            )
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "conversation",
                id: state.id.clone(),
            });
        }
        Ok(())
    }

    pub(super) async fn set_conversation_status(
        &self,
        id: &str,
        status: ConversationStatus,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "UPDATE conversations SET status = $2, state = jsonb_set(state, '{status}', to_jsonb($2::text)), updated_at = $3 WHERE id = $1",
            )
            .await
            .map_err(backend)?;
        let n = c
            .execute(&stmt, &[&pg_text(id), &status.as_str(), &Utc::now()])
            .await
            .map_err(backend)?;
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "conversation",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    pub(super) async fn insert_message(
        &self,
        conversation_id: &str,
        speaker: Speaker,
        text: &str,
        meta: &Value,
    ) -> Result<i64, StoreError> {
        // Only customer messages wait for an answer; the rest are born processed.
        let processed = speaker != Speaker::Customer;
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO messages (conversation_id, speaker, text, at, meta, processed) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .await
            .map_err(backend)?;
        let row = c
            .query_one(
                &stmt,
                &[
                    &pg_text(conversation_id),
                    &speaker_str(speaker),
                    &pg_text(text),
                    &Utc::now(),
                    &pg_json(meta).as_ref(),
                    &processed,
                ],
            )
            .await
            .map_err(|e| {
                if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                    StoreError::NotFound {
                        what: "conversation",
                        id: conversation_id.to_string(),
                    }
                } else {
                    backend(e)
                }
            })?;
        Ok(row.get(0))
    }

    pub(super) async fn conversation_messages(
        &self,
        conversation_id: &str,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let c = self.client().await?;
        messages_of(&c, conversation_id).await
    }

    pub(super) async fn open_conversation_ids(&self) -> Result<Vec<String>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id FROM conversations WHERE status <> 'closed' ORDER BY created_at, id",
                &[],
            )
            .await
            .map_err(backend)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    pub(super) async fn mark_message_processed(&self, message_id: i64) -> Result<(), StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("UPDATE messages SET processed = TRUE WHERE id = $1")
            .await
            .map_err(backend)?;
        c.execute(&stmt, &[&message_id]).await.map_err(backend)?;
        Ok(())
    }

    pub(super) async fn message_unprocessed(&self, message_id: i64) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT NOT processed FROM messages WHERE id = $1")
            .await
            .map_err(backend)?;
        let row = c.query_opt(&stmt, &[&message_id]).await.map_err(backend)?;
        Ok(row.is_some_and(|r| r.get::<_, bool>(0)))
    }

    pub(super) async fn delete_unprocessed_message(
        &self,
        message_id: i64,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM messages WHERE id = $1 AND NOT processed",
            &[&message_id],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    pub(super) async fn list_unprocessed_messages(&self) -> Result<Vec<StoredMessage>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT m.id, m.conversation_id, m.speaker, m.text, m.at, m.meta FROM messages m
                 JOIN conversations c ON c.id = m.conversation_id
                 WHERE NOT m.processed AND c.status <> 'closed' ORDER BY m.id",
                &[],
            )
            .await
            .map_err(backend)?;
        rows.iter().map(message_from_row).collect()
    }

    pub(super) async fn insert_feedback(
        &self,
        conversation_id: &str,
        rating: u8,
        comment: &str,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO feedback (conversation_id, rating, comment, at) VALUES ($1, $2, $3, $4)",
            &[
                &pg_text(conversation_id),
                &i16::from(rating),
                &pg_text(comment),
                &Utc::now(),
            ],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    pub(super) async fn insert_audit(
        &self,
        conversation_id: &str,
        action: &str,
        detail: &Value,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO audit_log (conversation_id, action, detail, at) VALUES ($1, $2, $3, $4)",
            )
            .await
            .map_err(backend)?;
        c.execute(
            &stmt,
            &[
                &pg_text(conversation_id),
                &pg_text(action),
                &pg_json(detail).as_ref(),
                &Utc::now(),
            ],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }
}
