//! Customer-service action flows: deterministic slot filling over the `Commerce` seam.
//! Every flow verifies identity first, collects what is missing, states exactly what will
//! happen, waits for an explicit yes, executes once (idempotent through the audit log) and
//! confirms. The LM takes no part in any decision here.
//!
//! Rooms: `routing` (is this message for the flows, which action), `step` (one message through
//! a flow), `state` (what is carried between turns), `identity`, `confirm` (plan, yes,
//! execution, approval), `payments`, `render` (how things are written), `turn` (the reply
//! being built), `matching` (which of an order's items, the catalogue's products and a
//! product's variants the message names) and `actions/` (order edits, items, addresses,
//! shopping); `texts` holds the reply templates.
//!
//! A flow reads the message only through its `Understanding` (built once, by
//! `understanding::understand`): the action and the details it gives are `Understanding::request`,
//! its words for matching names are `Understanding::tokens`. What depends on the account (which
//! of the customer's payment methods, orders or items the message names) is decided here, from
//! those readings. Text read again is state or a piece of the message: the saved request (its
//! follow-ups, the write a refusal names) and, when a message names several items, the clauses
//! about each one.

mod actions;
mod confirm;
mod identity;
pub mod item_reader;
pub mod matching;
mod payments;
mod render;
mod routing;
mod state;
mod step;
#[cfg(test)]
mod tests;
pub mod texts;
mod turn;

use crate::understanding::{Action, Understanding};
use actions::{change_address, order_action, place_order, recommend, status, AddressTarget};
use confirm::{confirm, execute, needs_approval, over_limit};
use frontdesk_core::action_call::{execute_action, ActionCall};
pub use frontdesk_core::commerce::AuditLog;
use frontdesk_core::commerce::{Address, Customer, Order, OrderLine, Product};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::conversation::{
    ActionEvent, ExecutedAction, HandoffInfo, PendingAction, Slot, VerifiedCustomer,
};
use frontdesk_core::{Commerce, CommerceError, ConversationState, EscalationReason, Lang};
use identity::verify;
use matching::VariantChoice;
use payments::{
    ask_payment, current_pm, method_named, original_pm, paid_total, payment, pick_payment,
    refund_allowed,
};
use render::{address_text, items_text, methods_list, money, orders_list, pm_label};
use routing::switches_action;
pub use routing::{
    asks_about_action, awaits_confirmation, catalogue_query, is_shopping, keyword_action, offer,
    offers_action, requested_action, wants, wants_recommendation,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use state::{load, save, FlowState, Plan, UnreadableFlowState};
pub use step::step;
use texts::{render, render_phrase};
use turn::{error_text, event, fail, CustomerTurn, Turn};

pub struct FlowContext<'a> {
    pub commerce: &'a dyn Commerce,
    pub policy: &'a CommercePolicy,
    pub audit: Option<&'a dyn AuditLog>,
    pub conversation_id: &'a str,
    pub lang: Lang,
    /// Knowledge-base passages found for the message, best first (the engine searches when
    /// the message asks for a suggestion): products they name are what the need describes.
    pub related_passages: Vec<String>,
    /// Reads which order item a message means when no item's name shares a word with it;
    /// `None` asks the customer instead.
    pub item_reader: Option<&'a dyn item_reader::ItemReader>,
}

// One per message, returned up one call: boxing the reply would save nothing worth an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum FlowOutcome {
    /// Not an action message (or an unrelated question mid-flow: the flow stays pending).
    NotHandled,
    Reply(FlowReply),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlowReply {
    pub text: String,
    pub events: Vec<ActionEvent>,
    pub executed: Vec<ExecutedAction>,
    pub escalate: Option<HandoffInfo>,
    /// The flow ended (done, aborted, escalated); `state.flow` is cleared.
    pub finished: bool,
    /// The plan the reply asks the customer to confirm.
    pub pending_action: Option<PendingAction>,
    /// What the reply asks the customer for.
    pub awaiting: Option<Slot>,
}
