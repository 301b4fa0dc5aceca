//! Persistence seam for conversations, messages, handoffs, feedback, audit and outbox.
//! The embedded implementation is SQLite (server crate); PostgreSQL (same crate) serves
//! several replicas. Owned by the server crate's needs; kept here so other crates can fake it.

use crate::conversation::{
    Channel, ConversationState, ConversationStatus, EscalationReason, Speaker, VerifiedCustomer,
};
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
    /// When an agent first claimed it (the customer's wait ends then).
    #[serde(default)]
    pub claimed_at: Option<DateTime<Utc>>,
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

/// One UTC day of the operator analytics (`Store::daily_analytics`), for charts over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DailyAnalytics {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Conversations in which the customer wrote that day.
    pub active_conversations: u64,
    /// Conversations with a handoff opened that day.
    pub escalated_conversations: u64,
    /// Share of the day's active conversations without a handoff that day (0..1); `None`
    /// on a day without customers.
    pub containment_rate: Option<f64>,
    /// Handoffs opened that day by reason.
    pub escalations_by_reason: std::collections::BTreeMap<String, u64>,
    pub csat_average: Option<f64>,
    pub csat_count: u64,
    pub bot_turns: u64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
}

/// A customer's rating of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    pub rating: u8,
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// One row of the service's audit log (after an erasure `detail` is a tombstone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub action: String,
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Everything stored about one conversation, for a data-access request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationExport {
    pub id: String,
    pub status: ConversationStatus,
    pub channel: Channel,
    pub customer: Option<VerifiedCustomer>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<StoredMessage>,
    pub handoffs: Vec<HandoffRecord>,
    pub feedback: Vec<FeedbackRecord>,
    pub audit: Vec<AuditRecord>,
}

/// Why data was erased. Wire values: `request` (the customer asked), `retention` (the
/// retention period ran out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureReason {
    Request,
    Retention,
}

impl ErasureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Retention => "retention",
        }
    }
}

/// Whose data an erasure removes: one verified customer's conversations, or conversations
/// whose retention period ran out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureSubject {
    Customer(String),
    Retention,
}

/// The tombstone an erasure leaves: that it happened, when and how much, never what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErasureRecord {
    pub id: i64,
    pub reason: ErasureReason,
    pub conversations: u64,
    pub erased_at: DateTime<Utc>,
}

/// A verified customer's stored data: conversations (with messages, handoffs, feedback and
/// audit rows) and the tombstones of earlier erasures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerExport {
    pub customer_id: String,
    pub conversations: Vec<ConversationExport>,
    pub erasures: Vec<ErasureRecord>,
}

/// What one erasure removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ErasureReport {
    /// The tombstone's id; `None` when there was nothing to erase.
    pub erasure_id: Option<i64>,
    pub conversations: u64,
    pub messages: u64,
    pub handoffs: u64,
    pub feedback: u64,
    /// Audit rows kept (that an action happened, and when) with their detail replaced.
    pub audit_rows_tombstoned: u64,
    /// Webhook deliveries not yet sent, dropped so the payload never leaves.
    pub webhook_deliveries_dropped: u64,
    /// Copies of webhook payloads already delivered (or given up), removed from the outbox.
    pub webhook_records_erased: u64,
    /// Whether the write-ahead log was checkpointed and emptied, so the erased text is no
    /// longer in any database file (false: a reader held it; the next checkpoint does it).
    pub wal_checkpointed: bool,
}

/// A live event for the clients of every process sharing a store: a customer's stream
/// (`agent_message`, `handoff`, `done`) or the agents' stream (`handoff`, `handoff_updated`,
/// `customer_message`). Each process broadcasts its own events to its own clients and, through
/// [`Store::publish_event`], to the others'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedEvent {
    /// The conversation whose customer stream it is for; `None`: the agents' stream.
    pub conversation_id: Option<String>,
    /// The SSE event name.
    pub event: String,
    pub data: serde_json::Value,
}

/// Keeps other processes out of a conversation's turns while it is held; dropping it lets the
/// next turn in (see [`Store::lock_turns`]).
pub type TurnLock = Box<dyn Send>;

/// A customer message stored for its turn, with the conversation's turns held for it
/// ([`Store::accept_message`]).
pub struct AcceptedMessage {
    pub message_id: i64,
    /// Keeps other processes out of the conversation's turns until dropped.
    pub turns: TurnLock,
    /// The conversation's state, read after `turns` was granted, when the store took the lock,
    /// stored the message and read the state in one step (PostgreSQL): the turn needs no
    /// further read. `None`: the turn reads it once the process's own lock is held.
    pub state: Option<ConversationState>,
}

impl std::fmt::Debug for AcceptedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptedMessage")
            .field("message_id", &self.message_id)
            .field("state", &self.state.as_ref().map(|s| &s.id))
            .finish_non_exhaustive()
    }
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
    /// Handoffs opened at or after `since`, in any state, oldest first.
    async fn handoffs_since(&self, since: DateTime<Utc>) -> Result<Vec<HandoffRecord>, StoreError>;
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
    /// The analytics per UTC day from `since`'s day on, oldest first; days with nothing
    /// stored are included (zero counts, no rates).
    async fn daily_analytics(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<DailyAnalytics>, StoreError>;

    /// Waits until no other process is running a turn of `conversation_id`, and keeps every
    /// other process out until the returned lock is dropped or this process dies. Within one
    /// process the service orders a conversation's turns itself, so a store only one process
    /// opens (SQLite) has nothing to add.
    async fn lock_turns(&self, _conversation_id: &str) -> Result<TurnLock, StoreError> {
        Ok(Box::new(()))
    }

    /// [`Store::lock_turns`] without the wait: `None` while another process runs a turn of
    /// `conversation_id`. Used to take over a message another replica accepted and never
    /// answered without queueing behind a live one.
    async fn try_lock_turns(&self, _conversation_id: &str) -> Result<Option<TurnLock>, StoreError> {
        Ok(Some(Box::new(())))
    }

    /// Sends `event` to the other processes sharing the store (a store one process opens has
    /// no others: nothing to do).
    async fn publish_event(&self, _event: &SharedEvent) -> Result<(), StoreError> {
        Ok(())
    }

    /// The events other processes publish, from now on, for as long as the receiver is kept;
    /// `None` for a store one process opens.
    async fn subscribe_events(
        &self,
    ) -> Result<Option<tokio::sync::mpsc::Receiver<SharedEvent>>, StoreError> {
        Ok(None)
    }

    /// Whether the customer message `message_id` is still waiting for its answer (stored and
    /// not marked processed), as every process sharing the store sees it.
    async fn is_unprocessed(&self, message_id: i64) -> Result<bool, StoreError>;

    /// Stores customer message `text` for a turn and holds the conversation's turns
    /// ([`Store::lock_turns`]) for it. The default does the two one after the other. A store
    /// shared by several processes may take the lock first, then store the message and read
    /// the state in the same round trip ([`AcceptedMessage::state`]): the message is then
    /// committed once its turn holds the lock, so no other process can take it over meanwhile.
    async fn accept_message(
        &self,
        conversation_id: &str,
        text: &str,
    ) -> Result<AcceptedMessage, StoreError> {
        let message_id = self
            .append_message(
                conversation_id,
                Speaker::Customer,
                text,
                serde_json::json!({}),
            )
            .await?;
        let turns = self.lock_turns(conversation_id).await?;
        Ok(AcceptedMessage {
            message_id,
            turns,
            state: None,
        })
    }

    /// Stores a turn's answer: the bot's message (`reply`, `meta`), the conversation's new
    /// `state`, and customer message `answered` marked processed; returns the reply's id. The
    /// default makes the three writes in that order; a store may make them one statement.
    async fn finish_turn(
        &self,
        state: &ConversationState,
        answered: i64,
        reply: &str,
        meta: serde_json::Value,
    ) -> Result<i64, StoreError> {
        let reply_id = self
            .append_message(&state.id, Speaker::Bot, reply, meta)
            .await?;
        self.save_state(state).await?;
        self.mark_processed(answered).await?;
        Ok(reply_id)
    }

    /// The knowledge index version every process sharing the store serves, moved on by
    /// [`Store::advance_index_version`] after a re-index; `None` for a store one process opens.
    async fn index_version(&self) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }

    /// Moves the shared knowledge index version on by one and returns the new version
    /// (`None`: a store one process opens shares nothing).
    async fn advance_index_version(&self) -> Result<Option<i64>, StoreError> {
        Ok(None)
    }

    /// Ids of the conversations of a verified customer, oldest first.
    async fn customer_conversations(&self, customer_id: &str) -> Result<Vec<String>, StoreError>;
    /// Everything stored about a verified customer (empty lists when nothing is).
    async fn customer_export(&self, customer_id: &str) -> Result<CustomerExport, StoreError>;
    /// Ids of conversations with no activity since `idle_since` (any status), oldest first.
    async fn expired_conversations(
        &self,
        idle_since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError>;
    /// Answers a trivial query: whether the database can be used right now (the readiness
    /// probe). Implementations check the database itself; the default, for fakes, is `Ok`.
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Erases the conversations `ids` (messages, handoffs, feedback, webhook payloads), turns
    /// their audit rows into tombstones, records the erasure, and leaves no erased text in
    /// the database files.
    async fn erase_conversations(
        &self,
        ids: &[String],
        subject: &ErasureSubject,
    ) -> Result<ErasureReport, StoreError>;
}
