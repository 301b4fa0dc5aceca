//! The conversation contract shared by the engine, the server, the store and the evals:
//! status values, event names, citation fields and escalation reasons are pinned here.

use crate::lang::Lang;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who holds the conversation. Wire values: `bot`, `waiting_for_human`, `human`, `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    #[default]
    Bot,
    WaitingForHuman,
    Human,
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::WaitingForHuman => "waiting_for_human",
            Self::Human => "human",
            Self::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "bot" => Self::Bot,
            "waiting_for_human" => Self::WaitingForHuman,
            "human" => Self::Human,
            "closed" => Self::Closed,
            _ => return None,
        })
    }
}

/// Where the customer is: text chat gets markdown and citations, voice gets speakable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    Chat,
    Voice,
}

/// Why the bot hands over. Wire values are the snake_case names; metrics break down by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The customer asked for a person.
    CustomerRequest,
    /// The request is not something this shop's bot handles.
    OutOfScope,
    /// Retrieval found nothing confident enough to answer from.
    LowConfidence,
    /// Complaint, frustration, abuse or a threat to leave.
    Frustration,
    /// The bot failed several turns in a row.
    RepeatedFailure,
    /// An action needs human approval (e.g. refund above the policy limit).
    NeedsApproval,
    /// Legal threats, safety, account takeover and similar agent-only topics.
    SensitiveTopic,
}

impl EscalationReason {
    pub const ALL: [EscalationReason; 7] = [
        Self::CustomerRequest,
        Self::OutOfScope,
        Self::LowConfidence,
        Self::Frustration,
        Self::RepeatedFailure,
        Self::NeedsApproval,
        Self::SensitiveTopic,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerRequest => "customer_request",
            Self::OutOfScope => "out_of_scope",
            Self::LowConfidence => "low_confidence",
            Self::Frustration => "frustration",
            Self::RepeatedFailure => "repeated_failure",
            Self::NeedsApproval => "needs_approval",
            Self::SensitiveTopic => "sensitive_topic",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A source the reply relies on. `index` is the `[n]` marker used in the reply text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub index: usize,
    pub doc_id: String,
    pub title: String,
    pub url: Option<String>,
    #[serde(default)]
    pub chunk_id: String,
}

/// The handoff the engine asks for; the server turns it into a queue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffInfo {
    pub reason: EscalationReason,
    /// Summary for the human agent: who, what they want, what was tried, intent and slots.
    pub summary: String,
}

/// What the engine decided for a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    Answer,
    Clarify,
    StartAction { action: String },
    Escalate { reason: EscalationReason },
}

/// Action progress reported to the client (SSE event `action`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionEvent {
    /// Action name, e.g. `cancel_pending_order`.
    pub action: String,
    /// `started`, `awaiting_confirmation`, `completed`, `cancelled`, `failed`, `needs_approval`.
    pub state: String,
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// What a flow asks the customer for next (`TurnOutcome::awaiting`, the reply's `awaiting`):
/// a client can show a fitting input (a yes/no card for `confirmation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// E-mail, or name and postcode.
    Identity,
    Order,
    Reason,
    Items,
    Variant,
    Payment,
    Address,
    Product,
    /// A yes or no to the plan in `pending_action`.
    Confirmation,
    /// A yes or no to the offer of a person, made when the knowledge base had no answer; the
    /// conversation stays with the bot until the customer accepts.
    Handoff,
}

impl Slot {
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Identity => "identity",
            Slot::Order => "order",
            Slot::Reason => "reason",
            Slot::Items => "items",
            Slot::Variant => "variant",
            Slot::Payment => "payment",
            Slot::Address => "address",
            Slot::Product => "product",
            Slot::Confirmation => "confirmation",
            Slot::Handoff => "handoff",
        }
    }
}

/// A write stated to the customer and waiting for their yes (the SSE `action` event with state
/// `awaiting_confirmation` carries the same action and arguments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingAction {
    /// Action name, e.g. `cancel_pending_order`.
    pub action: String,
    /// The exact arguments it will run with.
    pub arguments: serde_json::Value,
    /// The plan as the reply states it.
    pub summary: String,
    /// Set when the refund exceeds the approval limit: a yes sends it to a colleague to approve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_amount: Option<f64>,
}

/// One event of a turn. SSE event names are `TurnEvent::name()`:
/// `token`, `citation`, `action`, `handoff`, `agent_message`, `done`, `error`.
// `Done` carries the whole outcome once per turn; boxing it would add an allocation to every
// turn to save a few hundred bytes on the channel's slots.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum TurnEvent {
    Token(String),
    Citation(Citation),
    Action(ActionEvent),
    Handoff(HandoffInfo),
    AgentMessage { text: String, agent: String },
    Done(TurnOutcome),
    Error(String),
}

impl TurnEvent {
    pub fn name(&self) -> &'static str {
        match self {
            TurnEvent::Token(_) => "token",
            TurnEvent::Citation(_) => "citation",
            TurnEvent::Action(_) => "action",
            TurnEvent::Handoff(_) => "handoff",
            TurnEvent::AgentMessage { .. } => "agent_message",
            TurnEvent::Done(_) => "done",
            TurnEvent::Error(_) => "error",
        }
    }
}

/// How the reply was produced (for analytics and evals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// Verbatim knowledge-base answer, no LM.
    #[default]
    Direct,
    /// LM-written, verified against the sources.
    Generated,
    /// Built from passage sentences after a failed verification.
    Extractive,
    /// Templates: greetings, clarifications, action prompts, handoff notices.
    Template,
    /// An action flow's reply.
    Action,
}

/// Final result of a turn: the full reply and why it was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnOutcome {
    pub text: String,
    /// Speakable rendering for voice channels (no markdown/URLs, short sentences).
    pub voice_text: String,
    pub lang: Lang,
    pub citations: Vec<Citation>,
    pub decision: Decision,
    pub source: AnswerSource,
    pub intent: Option<String>,
    pub status: ConversationStatus,
    pub handoff: Option<HandoffInfo>,
    /// Chunk ids retrieved for this turn, best first (evals score retrieval from these).
    #[serde(default)]
    pub retrieved: Vec<String>,
    #[serde(default)]
    pub retrieved_doc_ids: Vec<String>,
    /// Actions executed this turn (name + arguments), for audit and action evals.
    #[serde(default)]
    pub executed_actions: Vec<ExecutedAction>,
    /// The plan awaiting the customer's yes, when the reply asks for one.
    #[serde(default)]
    pub pending_action: Option<PendingAction>,
    /// What the reply asks the customer for, when a flow waits for something.
    #[serde(default)]
    pub awaiting: Option<Slot>,
    pub latency_ms: u64,
    pub ttft_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutedAction {
    pub name: String,
    pub arguments: serde_json::Value,
    pub result: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Customer,
    Bot,
    Agent,
    System,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub speaker: Speaker,
    pub text: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub lang: Option<Lang>,
    #[serde(default)]
    pub citations: Vec<Citation>,
    #[serde(default)]
    pub intent: Option<String>,
}

impl TurnRecord {
    /// A turn said now, citing nothing.
    pub fn now(
        speaker: Speaker,
        text: impl Into<String>,
        lang: Option<Lang>,
        intent: Option<String>,
    ) -> TurnRecord {
        TurnRecord {
            speaker,
            text: text.into(),
            at: Utc::now(),
            lang,
            citations: Vec::new(),
            intent,
        }
    }
}

/// A verified customer (identity checked by e-mail or name + postcode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCustomer {
    pub customer_id: String,
    pub display_name: String,
}

/// Everything the engine needs to carry between turns. Serialisable so the server can persist
/// it and resume open conversations after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConversationState {
    pub id: String,
    pub status: ConversationStatus,
    pub channel: Channel,
    pub lang: Option<Lang>,
    pub turns: Vec<TurnRecord>,
    pub intent: Option<String>,
    pub slots: BTreeMap<String, String>,
    pub consecutive_failures: u32,
    pub frustration_signals: u32,
    pub customer: Option<VerifiedCustomer>,
    /// Last retrieval topic (for follow-up query rewriting).
    pub topic: Option<String>,
    /// Opaque state of an action flow in progress (owned by the engine's flows module).
    #[serde(default)]
    pub flow: Option<serde_json::Value>,
}

impl ConversationState {
    pub fn new(id: impl Into<String>, channel: Channel) -> Self {
        Self {
            id: id.into(),
            channel,
            ..Self::default()
        }
    }
    pub fn last_customer_texts(&self, n: usize) -> Vec<&str> {
        self.turns
            .iter()
            .rev()
            .filter(|t| t.speaker == Speaker::Customer)
            .take(n)
            .map(|t| t.text.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_wire_names() {
        assert_eq!(
            serde_json::to_string(&ConversationStatus::WaitingForHuman).unwrap(),
            "\"waiting_for_human\""
        );
        for s in ["bot", "waiting_for_human", "human", "closed"] {
            assert_eq!(ConversationStatus::parse(s).unwrap().as_str(), s);
        }
        for r in EscalationReason::ALL {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
            assert_eq!(EscalationReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(TurnEvent::Token("x".into()).name(), "token");
        assert_eq!(
            TurnEvent::AgentMessage {
                text: String::new(),
                agent: String::new()
            }
            .name(),
            "agent_message"
        );
    }
}
