//! Persistence seam for conversations, messages, handoffs, feedback, audit and outbox.
//! The embedded implementation is SQLite (server crate); a PostgreSQL one can follow for
//! several replicas. Owned by the server crate's needs; kept here so other crates can fake it.

use crate::conversation::{ConversationState, ConversationStatus, EscalationReason, Speaker};
use crate::error::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub id: i64,
    pub conversation_id: String,
    pub speaker: Speaker,
    pub text: String,
    pub at: DateTime<Utc>,
    /// Extra JSON (citations, language, intent, agent name).
    pub meta: serde_json::Value,
}

/// Handoff queue states. Wire values: `waiting`, `claimed`, `resolved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffState {
    Waiting,
    Claimed,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffRecord {
    pub id: String,
    pub conversation_id: String,
    pub reason: EscalationReason,
    pub summary: String,
    pub state: HandoffState,
    pub agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Created outside business hours: answered as a ticket.
    pub ticket: bool,
}

/// An outbound webhook: events named in `events` (`handoff.created`, `conversation.resolved`)
/// are POSTed to `url` as JSON signed with HMAC-SHA256 over the body using `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
}

/// One pending webhook delivery from the durable outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: serde_json::Value,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnansweredQuestion {
    pub text: String,
    pub count: u64,
}

/// Operator analytics over the whole store (the admin analytics endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Analytics {
    pub conversations: u64,
    /// Conversations with at least one customer message.
    pub active_conversations: u64,
    pub escalated_conversations: u64,
    /// Share of active conversations that never reached a human (0..1).
    pub containment_rate: f64,
    pub escalations_by_reason: std::collections::BTreeMap<String, u64>,
    pub unanswered_questions: Vec<UnansweredQuestion>,
    pub csat_average: Option<f64>,
    pub csat_count: u64,
    pub bot_turns: u64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn create_conversation(
        &self,
        state: &ConversationState,
        token_hash: &str,
    ) -> Result<(), StoreError>;
    async fn conversation(&self, id: &str) -> Result<(ConversationState, String), StoreError>;
    async fn save_state(&self, state: &ConversationState) -> Result<(), StoreError>;
    async fn set_status(&self, id: &str, status: ConversationStatus) -> Result<(), StoreError>;
    /// Appends a message durably before it is processed; returns its id.
    async fn append_message(
        &self,
        conversation_id: &str,
        speaker: Speaker,
        text: &str,
        meta: serde_json::Value,
    ) -> Result<i64, StoreError>;
    async fn messages(&self, conversation_id: &str) -> Result<Vec<StoredMessage>, StoreError>;
    async fn open_conversations(&self) -> Result<Vec<String>, StoreError>;

    async fn create_handoff(&self, record: &HandoffRecord) -> Result<(), StoreError>;
    async fn handoff(&self, id: &str) -> Result<HandoffRecord, StoreError>;
    async fn handoffs(&self, state: Option<HandoffState>)
        -> Result<Vec<HandoffRecord>, StoreError>;
    async fn update_handoff(
        &self,
        id: &str,
        state: HandoffState,
        agent: Option<&str>,
    ) -> Result<HandoffRecord, StoreError>;

    async fn add_feedback(
        &self,
        conversation_id: &str,
        rating: u8,
        comment: &str,
    ) -> Result<(), StoreError>;
    async fn audit(
        &self,
        conversation_id: &str,
        action: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// Marks a customer message as answered (or deliberately left to a human).
    async fn mark_processed(&self, message_id: i64) -> Result<(), StoreError>;
    /// Removes a message that was stored but then not accepted (e.g. the model queue was full).
    async fn withdraw_message(&self, message_id: i64) -> Result<(), StoreError>;
    /// Customer messages stored but never processed (a crash mid-turn), oldest first.
    async fn unprocessed_messages(&self) -> Result<Vec<StoredMessage>, StoreError>;

    async fn webhooks(&self) -> Result<Vec<WebhookConfig>, StoreError>;
    async fn set_webhooks(&self, hooks: &[WebhookConfig]) -> Result<(), StoreError>;
    /// Queues `event` for every webhook subscribed to it; returns how many deliveries were queued.
    async fn enqueue_event(
        &self,
        event: &str,
        payload: &serde_json::Value,
    ) -> Result<usize, StoreError>;
    async fn due_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError>;
    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError>;
    /// Records a failed attempt; `next_attempt_at: None` gives up on the delivery.
    async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    async fn analytics(&self) -> Result<Analytics, StoreError>;
}
