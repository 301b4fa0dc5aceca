//! What a flow carries between turns (`FlowState`, serialised into `ConversationState::flow`),
//! the plan a customer is asked to confirm, and how both are saved and loaded.

use super::*;

/// A write the customer is asked to confirm, exactly as it will be executed. Saved as the
/// action's name and tau-retail arguments (`PlanWire`), so a saved plan reads the same as the
/// audit row it becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PlanWire", into = "PlanWire")]
pub(super) struct Plan {
    pub(super) call: ActionCall,
    pub(super) summary: String,
    /// A refund above the policy's approval limit: the customer confirms the plan, then a
    /// colleague approves and carries it out (the flow escalates instead of executing).
    pub(super) approval_amount: Option<f64>,
}

impl Plan {
    pub(super) fn new(call: ActionCall, summary: String) -> Self {
        Self {
            call,
            summary,
            approval_amount: None,
        }
    }

    /// The plan as the reply's `pending_action` shows it.
    pub(super) fn pending(&self) -> PendingAction {
        PendingAction {
            action: self.call.name().to_string(),
            arguments: self.call.arguments(),
            summary: self.summary.clone(),
            approval_amount: self.approval_amount,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PlanWire {
    action: String,
    args: serde_json::Value,
    summary: String,
    #[serde(default)]
    approval_amount: Option<f64>,
}

impl TryFrom<PlanWire> for Plan {
    type Error = CommerceError;
    fn try_from(w: PlanWire) -> Result<Self, Self::Error> {
        Ok(Plan {
            call: ActionCall::from_wire(&w.action, &w.args)?,
            summary: w.summary,
            approval_amount: w.approval_amount,
        })
    }
}

impl From<Plan> for PlanWire {
    fn from(p: Plan) -> Self {
        PlanWire {
            action: p.call.name().to_string(),
            args: p.call.arguments(),
            summary: p.summary,
            approval_amount: p.approval_amount,
        }
    }
}

/// What a flow carries between turns (serialised into `state.flow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub(super) struct FlowState {
    pub(super) action: Option<Action>,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) zip: Option<String>,
    /// Pairs of capitalised words said before the postcode was given, tried as the name with
    /// it (`Request::name_candidates`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) name_candidates: Vec<(String, String)>,
    pub(super) order_id: Option<String>,
    pub(super) item_ids: Vec<String>,
    /// Parallel to `item_ids`; empty string: not chosen yet.
    pub(super) new_item_ids: Vec<String>,
    pub(super) reason: Option<String>,
    pub(super) payment_method_id: Option<String>,
    pub(super) address: Option<Address>,
    pub(super) product_id: Option<String>,
    pub(super) variant_id: Option<String>,
    pub(super) quantity: Option<u32>,
    /// The slot asked for last, so a bare answer ("the original one") fills it.
    pub(super) awaiting: Option<Slot>,
    /// The slot asked for in this turn (the reply's `awaiting`); not saved.
    #[serde(skip)]
    pub(super) asked_now: Option<Slot>,
    pub(super) confirming: Option<Plan>,
    /// An order number given before identity was verified, checked once verified.
    #[serde(default)]
    pub(super) mentioned_order: Option<String>,
    /// What the customer wrote before identity was verified ("I want to buy the Beam 350 in
    /// orange"), read together with the message that verifies them, so nothing said up front
    /// has to be said again.
    #[serde(default)]
    pub(super) said_before_identity: Vec<String>,
    /// The message(s) that asked for this action; after it is done, further requests in them
    /// ("… Cancel order #W2 as well.") are taken up without being asked again.
    #[serde(default)]
    pub(super) request: Option<String>,
    /// Orders this flow has worked on, so a follow-up never repeats a request on them.
    #[serde(default)]
    pub(super) orders_touched: Vec<String>,
}

impl FlowState {
    /// Asks the customer for `slot`: a bare answer next turn fills it.
    pub(super) fn ask(&mut self, slot: Slot) {
        self.awaiting = Some(slot);
        self.asked_now = Some(slot);
    }
}

/// A saved flow state that no longer reads (written by another version, or damaged). It is
/// surfaced, never silently replaced by a fresh flow.
#[derive(Debug)]
pub(super) struct UnreadableFlowState(pub(super) String);

/// The flow in progress, if any.
pub(super) fn load(state: &ConversationState) -> Result<Option<FlowState>, UnreadableFlowState> {
    match &state.flow {
        None => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| UnreadableFlowState(e.to_string())),
    }
}

pub(super) fn save(state: &mut ConversationState, fs: &FlowState) {
    state.flow = serde_json::to_value(fs).ok();
}
