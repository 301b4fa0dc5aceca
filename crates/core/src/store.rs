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

#[async_trait]
pub trait Store: Send + Sync {
    async fn create_conversation(&self, state: &ConversationState, token_hash: &str) -> Result<(), StoreError>;
    async fn conversation(&self, id: &str) -> Result<(ConversationState, String), StoreError>;
    async fn save_state(&self, state: &ConversationState) -> Result<(), StoreError>;
    async fn set_status(&self, id: &str, status: ConversationStatus) -> Result<(), StoreError>;
    /// Appends a message durably before it is processed; returns its id.
    async fn append_message(&self, conversation_id: &str, speaker: Speaker, text: &str, meta: serde_json::Value) -> Result<i64, StoreError>;
    async fn messages(&self, conversation_id: &str) -> Result<Vec<StoredMessage>, StoreError>;
    async fn open_conversations(&self) -> Result<Vec<String>, StoreError>;

    async fn create_handoff(&self, record: &HandoffRecord) -> Result<(), StoreError>;
    async fn handoff(&self, id: &str) -> Result<HandoffRecord, StoreError>;
    async fn handoffs(&self, state: Option<HandoffState>) -> Result<Vec<HandoffRecord>, StoreError>;
    async fn update_handoff(&self, id: &str, state: HandoffState, agent: Option<&str>) -> Result<HandoffRecord, StoreError>;

    async fn add_feedback(&self, conversation_id: &str, rating: u8, comment: &str) -> Result<(), StoreError>;
    async fn audit(&self, conversation_id: &str, action: &str, detail: &serde_json::Value) -> Result<(), StoreError>;
}
