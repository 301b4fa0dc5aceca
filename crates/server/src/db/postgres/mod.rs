//! The shared `Store`: PostgreSQL, for several replicas of `frontdesk serve` behind one load
//! balancer (`server.database_url`). The same guarantees as `SqliteStore`, kept by the
//! database instead of one connection behind a mutex:
//!
//! - a handoff changes state by one conditional `UPDATE` (waiting → claimed only while still
//!   waiting, or re-claimed by the same agent), so of two agents claiming at once on two
//!   replicas exactly one wins; the other gets `StoreError::Conflict`, as with SQLite;
//! - `due_outbox` claims what it returns: the rows are picked with `FOR UPDATE SKIP LOCKED`
//!   and leased (`outbox.claimed_until`, [`OUTBOX_LEASE`] after the caller's `now`), so two
//!   replicas' webhook workers never hold the same delivery at the same time; `outbox_delivered`
//!   and `outbox_failed` end the lease, and a replica that dies mid-batch leaves its items to be
//!   picked up again when the lease runs out (delivery stays at least once, as before);
//! - an erasure deletes every row about the conversations in one transaction, with the
//!   conversations locked first so a message being stored at the same moment is refused
//!   (`NotFound`) rather than left behind (see `privacy.rs` for what PostgreSQL keeps on disk).
//!
//! Times are the application's clock (`Utc::now()`), like SQLite's, so that `due_outbox(now)`
//! and `expired_conversations(idle_since)` compare times taken by the same kind of clock.
//!
//! Files by job: `pool.rs` (connecting, the pool, the health check), `migrations.rs`,
//! `conversations.rs` (conversations, messages, feedback, audit), `turn_lock.rs` and
//! `turn_writes.rs` (a turn's lock and its writes in few statements), `statement_meter.rs`
//! (counting the statements sent), `index_version.rs` (the knowledge index version the
//! replicas serve), `handoffs.rs`, `outbox.rs`
//! (webhooks and the outbox), `privacy.rs` (export, retention, erasure), `analytics.rs`.

mod analytics;
mod conversations;
mod events;
mod handoffs;
mod index_version;
pub mod migrations;
mod outbox;
mod pool;
mod privacy;
pub mod statement_meter;
mod turn_lock;
mod turn_writes;

pub use pool::{redact_url, shop_pool};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::{
    AcceptedMessage, Analytics, CustomerExport, DailyAnalytics, ErasureReport, ErasureSubject,
    HandoffRecord, HandoffState, OutboxItem, SharedEvent, StoredMessage, WebhookConfig,
};
use frontdesk_core::{ConversationState, ConversationStatus, Store, StoreError};
use serde_json::Value;
use statement_meter::StatementCount;
use std::borrow::Cow;
use std::time::Duration;

/// How long a delivery returned by `due_outbox` stays claimed by the caller. The webhook
/// worker takes up to 32 deliveries a pass with a 10 s timeout each (at most ~5.5 minutes), so
/// a live worker always finishes an item well before another replica could take it.
pub const OUTBOX_LEASE: Duration = Duration::from_secs(15 * 60);

/// `Store` on PostgreSQL through a `deadpool-postgres` pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// For connections of its own outside the pool (the one listening for events).
    config: tokio_postgres::Config,
    /// This replica's id on the event channel (see `events.rs`).
    origin: String,
    /// The statements sent through `pool` (`statement_meter.rs`).
    statements: StatementCount,
}

impl PgStore {
    /// Builds the pool for `url` (`postgres://user:password@host:port/database?…`), checks that
    /// the database answers and applies pending migrations. Errors never contain the password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let statements = StatementCount::default();
        let (pool, config) = pool::build(url, statements.clone())?;
        let store = Self {
            pool,
            config,
            origin: uuid::Uuid::new_v4().to_string(),
            statements,
        };
        {
            let mut client = store.client().await?;
            migrations::migrate(&mut client).await.map_err(|e| {
                StoreError::Backend(format!("database migration failed: {}", pg_message(&e)))
            })?;
        }
        Ok(store)
    }

    /// How many statements this store has sent to the database (its pool's connections; the
    /// listening connection of `subscribe_events` is not counted).
    pub fn statements_sent(&self) -> u64 {
        self.statements.get()
    }

    /// A pooled connection.
    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Backend(format!("cannot get a database connection: {e}")))
    }
}

/// The words of a PostgreSQL error: the server's message when it sent one, else the driver's.
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn backend(e: tokio_postgres::Error) -> StoreError {
    StoreError::Backend(pg_message(&e))
}

fn is_code(e: &tokio_postgres::Error, code: &tokio_postgres::error::SqlState) -> bool {
    e.code() == Some(code)
}

/// PostgreSQL text and `jsonb` cannot hold U+0000 (SQLite can): it is stored as U+FFFD, the
/// replacement character, instead of failing the write.
fn pg_text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The same for every string (and key) inside a JSON value.
fn pg_json(v: &Value) -> Cow<'_, Value> {
    fn has_nul(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(a) => a.iter().any(has_nul),
            Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    fn clean(v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(pg_text(s).into_owned()),
            Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (pg_text(k).into_owned(), clean(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    if has_nul(v) {
        Cow::Owned(clean(v))
    } else {
        Cow::Borrowed(v)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, StoreError> {
    let v = serde_json::to_value(v).map_err(|e| StoreError::Backend(e.to_string()))?;
    Ok(pg_json(&v).into_owned())
}

#[async_trait]
impl Store for PgStore {
    async fn create_conversation(
        &self,
        state: &ConversationState,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        self.create_conversation_row(state, token_hash).await
    }

    async fn conversation(&self, id: &str) -> Result<(ConversationState, String), StoreError> {
        self.load_conversation(id).await
    }

    async fn save_state(&self, state: &ConversationState) -> Result<(), StoreError> {
        self.save_conversation_state(state).await
    }

    async fn set_status(&self, id: &str, status: ConversationStatus) -> Result<(), StoreError> {
        self.set_conversation_status(id, status).await
    }

    async fn append_message(
        &self,
        conversation_id: &str,
        speaker: Speaker,
        text: &str,
        meta: Value,
    ) -> Result<i64, StoreError> {
        self.insert_message(conversation_id, speaker, text, &meta)
            .await
    }

    async fn messages(&self, conversation_id: &str) -> Result<Vec<StoredMessage>, StoreError> {
        self.conversation_messages(conversation_id).await
    }

    async fn open_conversations(&self) -> Result<Vec<String>, StoreError> {
        self.open_conversation_ids().await
    }

    async fn create_handoff(&self, record: &HandoffRecord) -> Result<(), StoreError> {
        self.insert_handoff(record).await
    }

    async fn handoff(&self, id: &str) -> Result<HandoffRecord, StoreError> {
        self.load_handoff(id).await
    }

    async fn handoffs(
        &self,
        state: Option<HandoffState>,
    ) -> Result<Vec<HandoffRecord>, StoreError> {
        self.list_handoffs(state).await
    }

    async fn handoffs_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<HandoffRecord>, StoreError> {
        self.list_handoffs_since(since).await
    }

    async fn update_handoff(
        &self,
        id: &str,
        state: HandoffState,
        agent: Option<&str>,
    ) -> Result<HandoffRecord, StoreError> {
        self.transition_handoff(id, state, agent).await
    }

    async fn add_feedback(
        &self,
        conversation_id: &str,
        rating: u8,
        comment: &str,
    ) -> Result<(), StoreError> {
        self.insert_feedback(conversation_id, rating, comment).await
    }

    async fn audit(
        &self,
        conversation_id: &str,
        action: &str,
        detail: &Value,
    ) -> Result<(), StoreError> {
        self.insert_audit(conversation_id, action, detail).await
    }

    async fn mark_processed(&self, message_id: i64) -> Result<(), StoreError> {
        self.mark_message_processed(message_id).await
    }

    async fn withdraw_message(&self, message_id: i64) -> Result<(), StoreError> {
        self.delete_unprocessed_message(message_id).await
    }

    async fn unprocessed_messages(&self) -> Result<Vec<StoredMessage>, StoreError> {
        self.list_unprocessed_messages().await
    }

    async fn publish_event(&self, event: &SharedEvent) -> Result<(), StoreError> {
        self.notify_event(event).await
    }

    async fn subscribe_events(
        &self,
    ) -> Result<Option<tokio::sync::mpsc::Receiver<SharedEvent>>, StoreError> {
        self.listen_events().await.map(Some)
    }

    async fn is_unprocessed(&self, message_id: i64) -> Result<bool, StoreError> {
        self.message_unprocessed(message_id).await
    }

    async fn accept_message(
        &self,
        conversation_id: &str,
        text: &str,
    ) -> Result<AcceptedMessage, StoreError> {
        self.accept_customer_message(conversation_id, text).await
    }

    async fn index_version(&self) -> Result<Option<i64>, StoreError> {
        self.read_index_version().await.map(Some)
    }

    async fn advance_index_version(&self) -> Result<Option<i64>, StoreError> {
        self.next_index_version().await.map(Some)
    }

    async fn finish_turn(
        &self,
        state: &ConversationState,
        answered: i64,
        reply: &str,
        meta: Value,
    ) -> Result<i64, StoreError> {
        self.finish_answered_turn(state, answered, reply, &meta)
            .await
    }

    async fn webhooks(&self) -> Result<Vec<WebhookConfig>, StoreError> {
        self.list_webhooks().await
    }

    async fn set_webhooks(&self, hooks: &[WebhookConfig]) -> Result<(), StoreError> {
        self.replace_webhooks(hooks).await
    }

    async fn enqueue_event(&self, event: &str, payload: &Value) -> Result<usize, StoreError> {
        self.enqueue(event, payload).await
    }

    async fn due_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.claim_due(now, limit).await
    }

    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError> {
        self.mark_delivered(id).await
    }

    async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.mark_failed(id, error, next_attempt_at).await
    }

    async fn analytics(&self) -> Result<Analytics, StoreError> {
        self.compute_analytics().await
    }

    async fn daily_analytics(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<DailyAnalytics>, StoreError> {
        self.compute_daily_analytics(since).await
    }

    async fn customer_conversations(&self, customer_id: &str) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        privacy::customer_conversations(&client, customer_id).await
    }

    async fn customer_export(&self, customer_id: &str) -> Result<CustomerExport, StoreError> {
        self.export_customer(customer_id).await
    }

    async fn expired_conversations(
        &self,
        idle_since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.list_expired(idle_since).await
    }

    async fn erase_conversations(
        &self,
        ids: &[String],
        subject: &ErasureSubject,
    ) -> Result<ErasureReport, StoreError> {
        self.erase(ids, subject).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.health().await
    }

    async fn lock_turns(
        &self,
        conversation_id: &str,
    ) -> Result<frontdesk_core::store::TurnLock, StoreError> {
        self.take_turn_lock(conversation_id).await
    }

    async fn try_lock_turns(
        &self,
        conversation_id: &str,
    ) -> Result<Option<frontdesk_core::store::TurnLock>, StoreError> {
        self.try_take_turn_lock(conversation_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_characters_become_replacement_characters_everywhere() {
        assert!(matches!(pg_text("plain"), Cow::Borrowed("plain")));
        assert_eq!(pg_text("a\0b"), "a\u{FFFD}b");
        let v = json!({"k\0": ["x\0", {"y": "\0"}], "n": 1});
        assert_eq!(
            pg_json(&v).into_owned(),
            json!({"k\u{FFFD}": ["x\u{FFFD}", {"y": "\u{FFFD}"}], "n": 1})
        );
        let clean = json!({"a": "b"});
        assert!(matches!(pg_json(&clean), Cow::Borrowed(_)));
    }
}
