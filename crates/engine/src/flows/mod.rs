//! Customer-service action flows: deterministic slot filling over the `Commerce` seam.
//! Every flow verifies identity first, collects what is missing, states exactly what will
//! happen, waits for an explicit yes, executes once (idempotent through the audit log) and
//! confirms. The LM takes no part in any decision here.

pub mod detect;
pub mod matching;
#[cfg(test)]
mod tests;
pub mod texts;

use crate::understanding::Understanding;
use detect::Action;
pub use frontdesk_core::commerce::AuditLog;
use frontdesk_core::commerce::{execute_action, Address, Customer, Order, Product};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::conversation::{ActionEvent, ExecutedAction, HandoffInfo, VerifiedCustomer};
use frontdesk_core::{Commerce, CommerceError, ConversationState, EscalationReason, Lang};
use matching::VariantChoice;
use serde::{Deserialize, Serialize};
use serde_json::json;
use texts::{render, render_phrase};

pub struct FlowContext<'a> {
    pub commerce: &'a dyn Commerce,
    pub policy: &'a CommercePolicy,
    pub audit: Option<&'a dyn AuditLog>,
    pub conversation_id: &'a str,
    pub lang: Lang,
    /// Knowledge-base passages found for the message, best first (the engine searches when
    /// the message asks for a suggestion): products they name are what the need describes.
    pub related_passages: Vec<String>,
}

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
}

/// A write the customer is asked to confirm, exactly as it will be executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Plan {
    action: String,
    args: serde_json::Value,
    summary: String,
    /// A refund above the policy's approval limit: the customer confirms the plan, then a
    /// colleague approves and carries it out (the flow escalates instead of executing).
    #[serde(default)]
    approval_amount: Option<f64>,
}

/// What a flow carries between turns (serialised into `state.flow`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
struct FlowState {
    action: Option<Action>,
    first_name: Option<String>,
    last_name: Option<String>,
    zip: Option<String>,
    order_id: Option<String>,
    item_ids: Vec<String>,
    /// Parallel to `item_ids`; empty string: not chosen yet.
    new_item_ids: Vec<String>,
    reason: Option<String>,
    payment_method_id: Option<String>,
    address: Option<Address>,
    product_id: Option<String>,
    variant_id: Option<String>,
    quantity: Option<u32>,
    /// The slot asked for last, so a bare answer ("the original one") fills it.
    awaiting: Option<String>,
    confirming: Option<Plan>,
    /// An order number given before identity was verified, checked once verified.
    #[serde(default)]
    mentioned_order: Option<String>,
    /// What the customer wrote before identity was verified ("I want to buy the Beam 350 in
    /// orange"), read together with the message that verifies them, so nothing said up front
    /// has to be said again.
    #[serde(default)]
    said_before_identity: Vec<String>,
    /// The message(s) that asked for this action; after it is done, further requests in them
    /// ("… Cancel order #W2 as well.") are taken up without being asked again.
    #[serde(default)]
    request: Option<String>,
    /// Orders this flow has worked on, so a follow-up never repeats a request on them.
    #[serde(default)]
    orders_touched: Vec<String>,
}

/// The action the message's keywords ask for. A question the classifier reads as a knowledge
/// intent ("how long do I have to return boots?" is `returns_policy`) is not a request to act
/// unless it names an order: the words "return" or "cancel" alone are not enough.
fn keyword_action(understanding: &Understanding) -> Option<Action> {
    let action = detect::detect_action(&understanding.text)?;
    let asks_about_policy = understanding
        .intent_name()
        .is_some_and(frontdesk_core::intents::is_knowledge_intent);
    (!asks_about_policy || !understanding.entities.order_ids.is_empty()).then_some(action)
}

/// A question about an action rather than a request to do it now ("Can I swap it for a larger
/// size?", "Who pays for shipping the replacement?"): no flow is running, the message asks
/// something, carries nothing of an account (order number, e-mail, postcode) and is not a
/// request for suggestions (those are the recommendation flow's). The engine answers these
/// from the knowledge base when it can, and offers the action.
pub fn asks_about_action(understanding: &Understanding, state: &ConversationState) -> bool {
    let e = &understanding.entities;
    state.flow.is_none()
        && understanding.intent_name() != Some(frontdesk_core::intents::RECOMMEND_PRODUCT)
        && !detect::wants_recommendation(&understanding.text)
        && understanding.text.contains('?')
        && e.order_ids.is_empty()
        && e.emails.is_empty()
        && e.postcodes.is_empty()
        && detect::order_ids(&understanding.text).is_empty()
}

/// The text to search the knowledge base with when the message needs the catalogue
/// described: a request for a suggestion, or an order whose product is not known yet (then
/// with what was said before identity was verified).
pub fn catalogue_query(understanding: &Understanding, state: &ConversationState) -> Option<String> {
    if wants_recommendation(understanding, state) {
        return Some(understanding.text.clone());
    }
    let fs: Option<FlowState> = state
        .flow
        .clone()
        .and_then(|v| serde_json::from_value(v).ok());
    match fs {
        Some(fs) if fs.action == Some(Action::PlaceOrder) && fs.product_id.is_none() => Some(
            fs.said_before_identity
                .iter()
                .map(String::as_str)
                .chain(fs.request.as_deref())
                .chain([understanding.text.as_str()])
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Some(_) => None,
        None => {
            let action = keyword_action(understanding)
                .or_else(|| understanding.intent_name().and_then(Action::from_intent));
            (action == Some(Action::PlaceOrder)).then(|| understanding.text.clone())
        }
    }
}

/// Whether a message in the middle of a flow starts another action. While the flow waits for a
/// slot, the message is first of all an answer: "one piece, ship it to my default address and
/// pay with PayPal" while placing an order names that order's address and payment, it does not
/// ask to change the profile address. So only explicit keywords switch then (the classifier's
/// guess on a short answer does not), and never to an action about a slot the current one has.
fn switches_action(current: Action, new: Action, fs: &FlowState, u: &Understanding) -> bool {
    let answering_a_slot = fs.awaiting.as_deref().is_some_and(|s| s != "identity");
    if !answering_a_slot {
        return true;
    }
    let names_a_slot = matches!(
        new,
        Action::Payment | Action::OrderAddress | Action::UserAddress
    ) && !matches!(current, Action::Status | Action::Recommend);
    keyword_action(u) == Some(new) && !names_a_slot
}

/// Whether the message, in this state, asks for a product suggestion (the engine then
/// searches the knowledge base for the need it describes).
pub fn wants_recommendation(understanding: &Understanding, state: &ConversationState) -> bool {
    state.flow.is_none()
        && (keyword_action(understanding) == Some(Action::Recommend)
            || understanding.intent_name() == Some(frontdesk_core::intents::RECOMMEND_PRODUCT))
}

/// Whether this message belongs to the action flows.
pub fn wants(understanding: &Understanding, state: &ConversationState) -> bool {
    state.flow.is_some()
        || keyword_action(understanding).is_some()
        || understanding
            .intent_name()
            .and_then(Action::from_intent)
            .is_some()
}

fn event(action: &str, state: &str, detail: serde_json::Value) -> ActionEvent {
    ActionEvent {
        action: action.into(),
        state: state.into(),
        detail,
    }
}

fn money(amount: f64, policy: &CommercePolicy) -> String {
    format!("{amount:.2} {}", policy.currency)
}

fn pm_label(customer: &Customer, id: &str) -> String {
    match customer.payment_methods.get(id) {
        Some(m) if m.source == "credit_card" => format!(
            "{} card ending {} ({id})",
            m.brand.clone().unwrap_or_default(),
            m.last_four.clone().unwrap_or_default()
        ),
        Some(m) if m.source == "gift_card" => {
            format!("gift card ({id}, balance {:.2})", m.balance.unwrap_or(0.0))
        }
        Some(m) => format!("{} ({id})", m.source),
        None => id.to_string(),
    }
}

fn address_text(a: &Address) -> String {
    [
        &a.address1,
        &a.address2,
        &a.city,
        &a.state,
        &a.zip,
        &a.country,
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .map(|s| s.as_str())
    .collect::<Vec<_>>()
    .join(", ")
}

fn items_text(order: &Order, ids: &[String]) -> String {
    let mut used = vec![false; order.items.len()];
    let mut out = Vec::new();
    for id in ids {
        if let Some(p) = order
            .items
            .iter()
            .enumerate()
            .position(|(i, it)| !used[i] && &it.item_id == id)
        {
            used[p] = true;
            let it = &order.items[p];
            out.push(format!(
                "{} ({})",
                it.name,
                matching::options_text(&it.options)
            ));
        }
    }
    out.join("; ")
}

fn orders_list(orders: &[Order]) -> String {
    orders
        .iter()
        .map(|o| {
            format!(
                "{} ({}: {})",
                o.order_id,
                o.status,
                o.items
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn original_pm(order: &Order) -> Option<String> {
    order
        .payment_history
        .iter()
        .find(|t| t.transaction_type == "payment")
        .map(|t| t.payment_method_id.clone())
}

/// The method the order is paid with now (after any payment change).
fn current_pm(order: &Order) -> Option<String> {
    order
        .payment_history
        .iter()
        .rev()
        .find(|t| t.transaction_type == "payment")
        .map(|t| t.payment_method_id.clone())
}

fn paid_total(order: &Order) -> f64 {
    let t: f64 = order
        .payment_history
        .iter()
        .map(|t| {
            if t.transaction_type == "refund" {
                -t.amount
            } else {
                t.amount
            }
        })
        .sum();
    (t * 100.0).round() / 100.0
}

fn refund_allowed(policy: &CommercePolicy, order: &Order, customer: &Customer, pm: &str) -> bool {
    let Some(m) = customer.payment_methods.get(pm) else {
        return false;
    };
    policy.refund_destinations.iter().any(|d| match d.as_str() {
        "any" => true,
        "original" => original_pm(order).as_deref() == Some(pm),
        "gift_card" => m.source == "gift_card",
        _ => false,
    })
}

fn error_text(e: &CommerceError) -> String {
    e.to_string()
}

struct Turn<'a, 'b> {
    ctx: &'a FlowContext<'b>,
    prefix: String,
    events: Vec<ActionEvent>,
}

impl Turn<'_, '_> {
    fn reply(self, text: String, finished: bool) -> FlowOutcome {
        let text = if self.prefix.is_empty() {
            text
        } else {
            format!("{} {text}", self.prefix)
        };
        FlowOutcome::Reply(FlowReply {
            text,
            events: self.events,
            executed: vec![],
            escalate: None,
            finished,
        })
    }
    fn say(&self, key: &str, vars: &[(&str, &str)]) -> String {
        render(key, self.ctx.lang, vars)
    }
}

fn save(state: &mut ConversationState, fs: &FlowState) {
    state.flow = serde_json::to_value(fs).ok();
}

/// After a question about an action was answered with an offer to do it: the action waits, so
/// an order number or an e-mail address in the next message carries on with it, while another
/// question is answered as usual (see the `unrelated` check in `step`).
pub fn offer(state: &mut ConversationState, understanding: &Understanding) {
    let action = keyword_action(understanding)
        .or_else(|| understanding.intent_name().and_then(Action::from_intent));
    if let Some(action) = action {
        save(
            state,
            &FlowState {
                action: Some(action),
                ..FlowState::default()
            },
        );
    }
}

/// One customer message through the action flows. See the module doc for the protocol.
///
/// When an action is carried out and the message that asked for it held further requests on
/// other orders, the next one starts in the same reply, so a customer who lists several
/// things at once is not asked to repeat them.
pub async fn step(
    ctx: &FlowContext<'_>,
    state: &mut ConversationState,
    message: &str,
    understanding: &Understanding,
) -> FlowOutcome {
    let (mut outcome, mut follow_up) = step_once(ctx, state, message, understanding).await;
    // Bounded: each follow-up is a strictly shorter remainder of the first request.
    for _ in 0..4 {
        let (Some(text), FlowOutcome::Reply(done)) = (follow_up.take(), &mut outcome) else {
            break;
        };
        if !done.finished || done.executed.is_empty() || state.flow.is_some() {
            break;
        }
        let u = crate::understanding::understand(&text, state, None, &[]);
        let (next, more) = step_once(ctx, state, &text, &u).await;
        let FlowOutcome::Reply(next) = next else {
            break;
        };
        done.text = format!("{}\n\n{}", done.text, next.text);
        done.events.extend(next.events);
        done.executed.extend(next.executed);
        done.escalate = next.escalate;
        done.finished = next.finished;
        follow_up = more;
    }
    outcome
}

/// Sentences of `request` that ask for an action on an order this flow has not touched, with
/// the sentences that follow them: "Cancel order #W1 because …. Cancel order #W2 because …."
/// after #W1 is done gives the second sentence.
fn follow_up(request: &str, touched: &[String]) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let mut taking = false;
    for sentence in request
        .split_inclusive(['.', ';', '!', '?', '\n'])
        .map(str::trim)
        .filter(|s| s.len() > 1)
    {
        let mut ids = crate::understanding::entities(sentence, &[]).order_ids;
        ids.extend(detect::order_ids(sentence));
        if ids.is_empty() {
            if taking {
                out.push(sentence);
            }
            continue;
        }
        taking =
            detect::detect_action(sentence).is_some() && ids.iter().all(|id| !touched.contains(id));
        if taking {
            out.push(sentence);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

async fn step_once(
    ctx: &FlowContext<'_>,
    state: &mut ConversationState,
    message: &str,
    understanding: &Understanding,
) -> (FlowOutcome, Option<String>) {
    let mut fs: FlowState = state
        .flow
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let detected = keyword_action(understanding)
        .or_else(|| understanding.intent_name().and_then(Action::from_intent));
    let mut turn = Turn {
        ctx,
        prefix: String::new(),
        events: vec![],
    };
    let pending = fs.action.is_some();

    if understanding.flags.human_request {
        return (FlowOutcome::NotHandled, None);
    }
    if pending && fs.confirming.is_none() && detect::is_abort(message)
        || fs.confirming.is_some()
            && understanding.flags.negative
            && !understanding.flags.affirmative
    {
        // The write the customer declined, when a plan was on the table.
        let action = match &fs.confirming {
            Some(plan) => plan.action.clone(),
            None => fs.action.map(Action::name).unwrap_or_default().to_string(),
        };
        state.flow = None;
        turn.events.push(event(&action, "cancelled", json!({})));
        let text = turn.say("aborted", &[]);
        return (turn.reply(text, true), None);
    }
    match (fs.action, detected) {
        (None, None) => return (FlowOutcome::NotHandled, None),
        (None, Some(a)) => {
            fs.action = Some(a);
            fs.request = Some(message.to_string());
            turn.events.push(event(a.name(), "started", json!({})));
        }
        (Some(cur), Some(a))
            if a != cur
                && fs.order_id.is_none()
                && fs.confirming.is_none()
                && switches_action(cur, a, &fs, understanding) =>
        {
            fs = FlowState {
                action: Some(a),
                first_name: fs.first_name,
                last_name: fs.last_name,
                zip: fs.zip,
                request: Some(message.to_string()),
                ..FlowState::default()
            };
            turn.events.push(event(a.name(), "started", json!({})));
        }
        (Some(_), None) => {
            let e = &understanding.entities;
            let unrelated = message.contains('?')
                && understanding
                    .intent_name()
                    .is_some_and(|i| !frontdesk_core::intents::is_action_intent(i))
                && e.order_ids.is_empty()
                && e.emails.is_empty()
                && e.postcodes.is_empty();
            if unrelated {
                return (FlowOutcome::NotHandled, None);
            }
        }
        _ => {}
    }
    let Some(action) = fs.action else {
        return (FlowOutcome::NotHandled, None);
    };
    if action == Action::Recommend && understanding.flags.complaint {
        state.flow = None;
        return (FlowOutcome::NotHandled, None);
    }

    // A suggestion reveals nothing about anyone: no identity needed. A verified customer's
    // past orders seed it when the message names no product.
    if action == Action::Recommend {
        let customer = match &state.customer {
            Some(v) => ctx.commerce.customer(&v.customer_id).await.ok(),
            None => None,
        };
        let outcome = recommend(turn, customer.as_ref(), message, ctx).await;
        state.flow = None;
        return (outcome, None);
    }

    // Identity first, always, for everything that reads or changes an account.
    if state.customer.is_none() {
        let mut ids = understanding.entities.order_ids.clone();
        ids.extend(detect::order_ids(message));
        if let Some(id) = ids.into_iter().next() {
            fs.mentioned_order = Some(id);
        }
    }
    let verified_before = state.customer.is_some();
    let customer = match verify(&mut turn, state, &mut fs, message, understanding).await {
        Ok(c) => c,
        Err(outcome) => {
            fs.said_before_identity.push(message.to_string());
            save(state, &fs);
            return (outcome, None);
        }
    };
    let earlier = std::mem::take(&mut fs.said_before_identity);
    let with_earlier;
    let (message, understanding) = if verified_before || earlier.is_empty() {
        (message, understanding)
    } else {
        with_earlier = with_earlier_messages(&earlier, message, understanding);
        fs.request = Some(with_earlier.text.clone());
        (with_earlier.text.as_str(), &with_earlier)
    };

    if let Some(plan) = fs.confirming.clone() {
        if understanding.flags.affirmative {
            if let Some(amount) = plan.approval_amount {
                state.flow = None;
                return (needs_approval(turn, &customer, plan, amount), None);
            }
            if let Some(order) = plan.args.get("order_id").and_then(|v| v.as_str()) {
                fs.orders_touched.push(order.to_string());
            }
            let out = execute(turn, state, plan, &customer).await;
            let next = fs
                .request
                .as_deref()
                .and_then(|r| follow_up(r, &fs.orders_touched));
            return (out, next);
        }
        // Anything else while confirming is a correction: re-read the slots and re-confirm.
        fs.confirming = None;
    }

    let outcome = match action {
        Action::Status => status(turn, &mut fs, &customer, message, understanding).await,
        Action::UserAddress => user_address(turn, &mut fs, &customer, message).await,
        Action::PlaceOrder => place_order(turn, &mut fs, &customer, message, understanding).await,
        _ => order_action(turn, &mut fs, &customer, message, understanding, action).await,
    };
    if let Some(order) = &fs.order_id {
        if !fs.orders_touched.contains(order) {
            fs.orders_touched.push(order.clone());
        }
    }
    match &outcome {
        FlowOutcome::Reply(r) if r.finished => state.flow = None,
        _ => save(state, &fs),
    }
    (outcome, None)
}

/// The understanding of `message` read after what was said before identity was verified:
/// earlier order numbers and quantities count when the current message has none.
fn with_earlier_messages(earlier: &[String], message: &str, u: &Understanding) -> Understanding {
    // An order number in this message replaces the ones said before ("sorry, the order is
    // #W2"), so earlier order numbers are masked then.
    let names_order = !u.entities.order_ids.is_empty() || !detect::order_ids(message).is_empty();
    let earlier: Vec<String> = earlier
        .iter()
        .map(|m| match names_order {
            true => detect::mask_order_ids(m),
            false => m.clone(),
        })
        .collect();
    let text = earlier
        .iter()
        .map(String::as_str)
        .chain([message])
        .collect::<Vec<_>>()
        .join("\n");
    let before = crate::understanding::entities(&earlier.join("\n"), &[]);
    let mut out = u.clone();
    for id in before.order_ids {
        if !out.entities.order_ids.contains(&id) {
            out.entities.order_ids.push(id);
        }
    }
    if out.entities.quantities.is_empty() {
        out.entities.quantities = before.quantities;
    }
    out.text = text;
    out
}

async fn verify(
    turn: &mut Turn<'_, '_>,
    state: &mut ConversationState,
    fs: &mut FlowState,
    message: &str,
    u: &Understanding,
) -> Result<Customer, FlowOutcome> {
    let commerce = turn.ctx.commerce;
    if let Some(v) = &state.customer {
        return commerce
            .customer(&v.customer_id)
            .await
            .map_err(|e| fail(turn, &e));
    }
    let named = detect::name_parts(&u.entities.names, message).or_else(|| {
        (!u.entities.postcodes.is_empty())
            .then(|| detect::bare_name(message))
            .flatten()
    });
    if let Some((first, last)) = named {
        fs.first_name = Some(first);
        fs.last_name = Some(last);
    }
    if let Some(zip) = u.entities.postcodes.first() {
        fs.zip = Some(zip.clone());
    }
    let mut found = None;
    for email in &u.entities.emails {
        if let Ok(id) = commerce.find_customer_by_email(email).await {
            found = Some(id);
            break;
        }
    }
    let tried_name = if let (None, Some(f), Some(l), Some(z)) =
        (&found, &fs.first_name, &fs.last_name, &fs.zip)
    {
        found = commerce.find_customer_by_name_zip(f, l, z).await.ok();
        true
    } else {
        false
    };
    let Some(user_id) = found else {
        let key = if !u.entities.emails.is_empty() || tried_name {
            "identity_failed"
        } else if fs.first_name.is_some() && fs.zip.is_none() {
            "ask_zip"
        } else {
            "ask_identity"
        };
        fs.awaiting = Some("identity".into());
        let text = turn.say(key, &[]);
        return Err(Turn {
            ctx: turn.ctx,
            prefix: std::mem::take(&mut turn.prefix),
            events: std::mem::take(&mut turn.events),
        }
        .reply(text, false));
    };
    let customer = commerce
        .customer(&user_id)
        .await
        .map_err(|e| fail(turn, &e))?;
    let display = format!("{} {}", customer.name.first_name, customer.name.last_name);
    state.customer = Some(VerifiedCustomer {
        customer_id: user_id,
        display_name: display.clone(),
    });
    turn.prefix = turn.say("verified", &[("name", &display)]);
    Ok(customer)
}

fn fail(turn: &mut Turn<'_, '_>, e: &CommerceError) -> FlowOutcome {
    let text = turn.say("failed", &[("error", &error_text(e))]);
    FlowOutcome::Reply(FlowReply {
        text,
        events: std::mem::take(&mut turn.events),
        finished: true,
        ..FlowReply::default()
    })
}

fn confirm(mut turn: Turn<'_, '_>, fs: &mut FlowState, plan: Plan) -> FlowOutcome {
    turn.events.push(event(
        &plan.action,
        "awaiting_confirmation",
        plan.args.clone(),
    ));
    let text = match plan.approval_amount {
        Some(amount) => turn.say(
            "confirm_approval",
            &[
                ("plan", &plan.summary),
                ("amount", &money(amount, turn.ctx.policy)),
            ],
        ),
        None => turn.say("confirm", &[("plan", &plan.summary)]),
    };
    fs.confirming = Some(plan);
    fs.awaiting = Some("confirmation".into());
    turn.reply(text, false)
}

async fn execute(
    mut turn: Turn<'_, '_>,
    state: &mut ConversationState,
    plan: Plan,
    customer: &Customer,
) -> FlowOutcome {
    let ctx = turn.ctx;
    state.flow = None;
    let replay = match ctx.audit {
        Some(a) => a
            .executed(ctx.conversation_id, &plan.action, &plan.args)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let result = match replay {
        Some(r) => Ok(r),
        None => match execute_action(ctx.commerce, &plan.action, &plan.args).await {
            Ok(r) => {
                if let Some(a) = ctx.audit {
                    if let Err(e) = a
                        .record(ctx.conversation_id, &plan.action, &plan.args, &r)
                        .await
                    {
                        tracing::error!(error = %e, action = %plan.action, "audit log write failed after executing an action");
                    }
                }
                Ok(r)
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(r) => {
            turn.events
                .push(event(&plan.action, "completed", plan.args.clone()));
            let status = r
                .get("status")
                .and_then(|s| s.as_str())
                .map(|s| format!(" (status: {s})"))
                .unwrap_or_default();
            let text = turn.say("done", &[("result", &format!("{}{status}", plan.summary))]);
            let _ = customer;
            let executed = vec![ExecutedAction {
                name: plan.action,
                arguments: plan.args,
                result: r,
            }];
            let text = if turn.prefix.is_empty() {
                text
            } else {
                format!("{} {text}", turn.prefix)
            };
            FlowOutcome::Reply(FlowReply {
                text,
                events: turn.events,
                executed,
                escalate: None,
                finished: true,
            })
        }
        Err(e) => {
            turn.events.push(event(
                &plan.action,
                "failed",
                json!({ "error": e.to_string() }),
            ));
            let text = turn.say("failed", &[("error", &error_text(&e))]);
            turn.reply(text, true)
        }
    }
}

/// Resolves the order the message is about; `Err` is the reply to send (ask / refuse).
async fn resolve_order(
    turn: &mut Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    u: &Understanding,
    eligible: &(dyn Fn(&Order) -> bool + Sync),
) -> Result<Order, String> {
    let orders = turn
        .ctx
        .commerce
        .orders_of(&customer.user_id)
        .await
        .map_err(|e| turn.say("failed", &[("error", &error_text(&e))]))?;
    let mut ids = u.entities.order_ids.clone();
    for id in detect::order_ids(message) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        if let Some(m) = fs.mentioned_order.take() {
            ids.push(m);
        }
    }
    fs.mentioned_order = None;
    if !ids.is_empty() {
        // Only the customer's own orders exist for this conversation: nothing is revealed.
        let Some(id) = ids
            .iter()
            .find(|id| orders.iter().any(|o| &o.order_id == *id))
        else {
            fs.order_id = None;
            return Err(turn.say("not_your_order", &[("order", &ids[0])]));
        };
        if fs.order_id.as_ref() != Some(id) {
            fs.item_ids.clear();
            fs.new_item_ids.clear();
        }
        fs.order_id = Some(id.clone());
    } else if let Some(suffix) = detect::order_suffix(message) {
        let hits: Vec<&Order> = orders
            .iter()
            .filter(|o| o.order_id.ends_with(&suffix))
            .collect();
        if let [one] = hits.as_slice() {
            fs.order_id = Some(one.order_id.clone());
        }
    }
    if fs.order_id.is_none() {
        let eligible_orders: Vec<Order> = orders.iter().filter(|o| eligible(o)).cloned().collect();
        let named = matching::orders_mentioning(message, &eligible_orders);
        if let [one] = named.as_slice() {
            fs.order_id = Some(one.order_id.clone());
        } else if let [one] = eligible_orders.as_slice() {
            fs.order_id = Some(one.order_id.clone());
        }
    }
    match fs
        .order_id
        .as_ref()
        .and_then(|id| orders.iter().find(|o| &o.order_id == id))
    {
        Some(o) => Ok(o.clone()),
        None => {
            fs.awaiting = Some("order".into());
            Err(turn.say("ask_order", &[("orders", &orders_list(&orders))]))
        }
    }
}

async fn status(
    mut turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    u: &Understanding,
) -> FlowOutcome {
    let order = match resolve_order(&mut turn, fs, customer, message, u, &|_| false).await {
        Ok(o) => o,
        Err(text) => return turn.reply(text, false),
    };
    let tracking: Vec<String> = order
        .fulfillments
        .iter()
        .flat_map(|f| f.tracking_id.clone())
        .collect();
    let tracking = if tracking.is_empty() {
        String::new()
    } else {
        format!(" Tracking: {}.", tracking.join(", "))
    };
    let items = items_text(
        &order,
        &order
            .items
            .iter()
            .map(|i| i.item_id.clone())
            .collect::<Vec<_>>(),
    );
    let text = turn.say(
        "status",
        &[
            ("order", &order.order_id),
            ("status", &order.status),
            ("items", &items),
            ("tracking", &tracking),
        ],
    );
    turn.reply(text, true)
}

/// The write a refused request asked for, named as the executed action would be: "cancel
/// order #K1003" on a processed order is a refused `cancel_pending_order`.
fn refused_action(action: Action, asked: &str) -> &'static str {
    let f = crate::lang::fold(asked);
    let says = |words: &[&str]| words.iter().any(|w| f.contains(w));
    match action {
        // "Return" as a verb on a thing, not "when I return".
        Action::Refund
            if says(&[
                "return the",
                "return my",
                "return it",
                "return this",
                "return these",
                "return them",
                "return a ",
                "return an ",
                "send back",
                "send it back",
                "vratim",
                "vratiti",
                "povrat",
            ]) && !says(&["cancel", "otkaz", "storn"]) =>
        {
            "return_delivered_order_items"
        }
        Action::Refund => "cancel_pending_order",
        Action::ChangeItems if says(&["exchange", "swap", "zamen", "razmen"]) => {
            "exchange_delivered_order_items"
        }
        Action::ChangeItems => "modify_pending_order_items",
        other => other.name(),
    }
}

async fn order_action(
    mut turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    u: &Understanding,
    action: Action,
) -> FlowOutcome {
    let policy = turn.ctx.policy;
    let lang = turn.ctx.lang;
    let has = |list: &[String], s: &str| list.iter().any(|x| x == s);
    let eligible = |o: &Order| match action {
        Action::Refund => {
            has(&policy.cancellable_statuses, &o.status)
                || has(&policy.returnable_statuses, &o.status)
        }
        Action::ChangeItems => {
            has(&policy.modifiable_statuses, &o.status)
                || has(&policy.returnable_statuses, &o.status)
        }
        _ => has(&policy.modifiable_statuses, &o.status),
    };
    let order = match resolve_order(&mut turn, fs, customer, message, u, &eligible).await {
        Ok(o) => o,
        Err(text) => return turn.reply(text, false),
    };
    let asked = fs.request.clone().unwrap_or_else(|| message.to_string());
    // "Return the tent from order #K1011" on an order not yet delivered: a return is refused
    // (the reply says why), it does not silently turn into a cancellation.
    let return_of_undelivered = action == Action::Refund
        && refused_action(action, &asked) == "return_delivered_order_items"
        && !has(&policy.returnable_statuses, &order.status);
    if !eligible(&order) || return_of_undelivered {
        let what = match action {
            Action::Refund if return_of_undelivered => "what_return",
            Action::Refund => "what_cancel",
            Action::ChangeItems => "what_return",
            _ => "what_change",
        };
        let text = turn.say(
            "wrong_status",
            &[
                ("order", &order.order_id),
                ("status", &order.status),
                ("what", texts::phrase(what, lang)),
            ],
        );
        let text = crate::lang::in_script(&text, lang);
        turn.events.push(event(
            refused_action(action, &asked),
            "failed",
            json!({ "order_id": order.order_id, "status": order.status }),
        ));
        fs.order_id = None;
        return turn.reply(text, false);
    }
    match action {
        Action::Refund if has(&policy.cancellable_statuses, &order.status) => {
            cancel(turn, fs, customer, message, &order)
        }
        Action::Refund => return_items(turn, fs, customer, message, &order),
        Action::ChangeItems => change_items(turn, fs, customer, message, &order).await,
        Action::Payment => payment(turn, fs, customer, message, &order),
        _ => order_address(turn, fs, message, &order),
    }
}

fn needs_approval(
    mut turn: Turn<'_, '_>,
    customer: &Customer,
    plan: Plan,
    amount: f64,
) -> FlowOutcome {
    let policy = turn.ctx.policy;
    turn.events
        .push(event(&plan.action, "needs_approval", plan.args.clone()));
    let summary = format!(
        "{} {} ({}) asks to: {}. Refund {} exceeds the approval limit {}. Arguments: {}",
        customer.name.first_name,
        customer.name.last_name,
        customer.user_id,
        plan.summary,
        money(amount, policy),
        money(policy.refund_approval_limit, policy),
        plan.args
    );
    let text = turn.say("needs_approval", &[("amount", &money(amount, policy))]);
    let text = if turn.prefix.is_empty() {
        text
    } else {
        format!("{} {text}", turn.prefix)
    };
    FlowOutcome::Reply(FlowReply {
        text,
        events: turn.events,
        executed: vec![],
        escalate: Some(HandoffInfo {
            reason: EscalationReason::NeedsApproval,
            summary,
        }),
        finished: true,
    })
}

fn over_limit(policy: &CommercePolicy, amount: f64) -> bool {
    policy.refund_approval_limit > 0.0 && amount > policy.refund_approval_limit
}

fn cancel(
    turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    order: &Order,
) -> FlowOutcome {
    let policy = turn.ctx.policy;
    if let Some(r) = detect::detect_reason(message, &policy.cancel_reasons) {
        fs.reason = Some(r);
    } else if fs.reason.is_none() && fs.awaiting.as_deref() == Some("reason") {
        // The customer answered the question without one of the listed reasons; the plan
        // states the reason and they confirm or correct it.
        fs.reason = policy.cancel_reasons.first().cloned();
    }
    let Some(reason) = fs
        .reason
        .clone()
        .or_else(|| policy.cancel_reasons.is_empty().then(String::new))
    else {
        fs.awaiting = Some("reason".into());
        let text = turn.say(
            "ask_reason",
            &[("reasons", &policy.cancel_reasons.join(" / "))],
        );
        return turn.reply(text, false);
    };
    let amount = paid_total(order);
    let pm = original_pm(order)
        .map(|p| pm_label(customer, &p))
        .unwrap_or_default();
    let summary = render_phrase(
        "cancel",
        turn.ctx.lang,
        &[
            ("order", &order.order_id),
            ("reason", &reason),
            ("amount", &money(amount, policy)),
            ("pm", &pm),
        ],
    );
    let plan = Plan {
        action: "cancel_pending_order".into(),
        args: json!({ "order_id": order.order_id, "reason": reason }),
        summary,
        approval_amount: over_limit(policy, amount).then_some(amount),
    };
    confirm(turn, fs, plan)
}

fn adds_to_selection(message: &str) -> bool {
    let f = crate::lang::fold(message);
    [" also ", " as well", " too", "i takodje", " jos "]
        .iter()
        .any(|w| format!(" {f} ").contains(w))
}

fn pick_items(fs: &mut FlowState, message: &str, order: &Order) {
    let found = matching::match_items(message, order);
    if !found.is_empty() {
        if adds_to_selection(message) && !fs.item_ids.is_empty() {
            for id in found {
                if !fs.item_ids.contains(&id) {
                    fs.item_ids.push(id);
                }
            }
        } else {
            fs.item_ids = found;
        }
    } else if fs.item_ids.is_empty() && order.items.len() == 1 {
        fs.item_ids = vec![order.items[0].item_id.clone()];
    }
}

/// Payment method for a refund / price difference: named, or `default` (the original method
/// for refunds, the current one for price differences) when the customer doesn't mind or it
/// is the only choice.
fn pick_payment(
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    default: Option<String>,
    only_choice: bool,
) {
    if let Some(pm) = detect::detect_payment(message, customer) {
        fs.payment_method_id = Some(pm);
    } else if fs.payment_method_id.is_none()
        && (only_choice
            || detect::wants_default(message)
            || fs.awaiting.as_deref() == Some("payment"))
    {
        fs.payment_method_id = default.filter(|p| customer.payment_methods.contains_key(p));
    }
}

fn methods_list(customer: &Customer, filter: &dyn Fn(&str) -> bool) -> String {
    customer
        .payment_methods
        .keys()
        .filter(|id| filter(id))
        .map(|id| pm_label(customer, id))
        .collect::<Vec<_>>()
        .join("; ")
}

fn return_items(
    turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    order: &Order,
) -> FlowOutcome {
    let policy = turn.ctx.policy;
    pick_items(fs, message, order);
    if fs.item_ids.is_empty() {
        fs.awaiting = Some("items".into());
        let all: Vec<String> = order.items.iter().map(|i| i.item_id.clone()).collect();
        let text = turn.say(
            "ask_items",
            &[
                ("order", &order.order_id),
                ("items", &items_text(order, &all)),
            ],
        );
        return turn.reply(text, false);
    }
    let allowed = |id: &str| refund_allowed(policy, order, customer, id);
    let choices = customer
        .payment_methods
        .keys()
        .filter(|id| allowed(id))
        .count();
    pick_payment(fs, customer, message, original_pm(order), choices <= 1);
    let pm = match fs.payment_method_id.clone() {
        Some(pm) if allowed(&pm) => pm,
        _ => {
            fs.payment_method_id = None;
            fs.awaiting = Some("payment".into());
            let text = turn.say(
                "ask_payment",
                &[("methods", &methods_list(customer, &allowed))],
            );
            return turn.reply(text, false);
        }
    };
    let amount: f64 = order
        .items
        .iter()
        .filter(|i| fs.item_ids.contains(&i.item_id))
        .map(|i| i.price)
        .sum();
    let amount = (amount * 100.0).round() / 100.0;
    let summary = render_phrase(
        "return",
        turn.ctx.lang,
        &[
            ("items", &items_text(order, &fs.item_ids)),
            ("order", &order.order_id),
            ("amount", &money(amount, policy)),
            ("pm", &pm_label(customer, &pm)),
        ],
    );
    let plan = Plan {
        action: "return_delivered_order_items".into(),
        args: json!({ "order_id": order.order_id, "item_ids": fs.item_ids, "payment_method_id": pm }),
        summary,
        approval_amount: over_limit(policy, amount).then_some(amount),
    };
    confirm(turn, fs, plan)
}

async fn change_items(
    mut turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    order: &Order,
) -> FlowOutcome {
    let ctx = turn.ctx;
    let policy = ctx.policy;
    let before = fs.item_ids.clone();
    pick_items(fs, message, order);
    if fs.item_ids.is_empty() {
        fs.awaiting = Some("items".into());
        let all: Vec<String> = order.items.iter().map(|i| i.item_id.clone()).collect();
        let text = turn.say(
            "ask_items",
            &[
                ("order", &order.order_id),
                ("items", &items_text(order, &all)),
            ],
        );
        return turn.reply(text, false);
    }
    if fs.item_ids != before {
        let old: Vec<(String, String)> = before
            .iter()
            .cloned()
            .zip(fs.new_item_ids.iter().cloned())
            .collect();
        fs.new_item_ids = fs
            .item_ids
            .iter()
            .map(|id| {
                old.iter()
                    .find(|(o, _)| o == id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default()
            })
            .collect();
    }
    let named_items = !matching::match_items(message, order).is_empty();
    let mut used = vec![false; order.items.len()];
    for (k, id) in fs.item_ids.clone().iter().enumerate() {
        let Some(pos) = order
            .items
            .iter()
            .enumerate()
            .position(|(i, it)| !used[i] && &it.item_id == id)
        else {
            continue;
        };
        used[pos] = true;
        let item = &order.items[pos];
        let product: Product = match ctx.commerce.product(&item.product_id).await {
            Ok(p) => p,
            Err(e) => return fail(&mut turn, &e),
        };
        let text = if named_items {
            matching::segment_for(message, item, order)
        } else {
            message.to_string()
        };
        let available = || {
            product
                .variants
                .values()
                .filter(|v| v.available && v.item_id != item.item_id)
                .map(|v| matching::options_text(&v.options))
                .collect::<Vec<_>>()
                .join("; ")
        };
        match matching::choose_variant(&text, &product, item) {
            VariantChoice::Found(v) => fs.new_item_ids[k] = v.item_id,
            VariantChoice::OutOfStock(v) => {
                fs.awaiting = Some("variant".into());
                let t = turn.say(
                    "out_of_stock",
                    &[
                        ("item", &item.name),
                        ("options", &matching::options_text(&v.options)),
                        ("variants", &available()),
                    ],
                );
                let write = if turn.ctx.policy.returnable_statuses.contains(&order.status) {
                    "exchange_delivered_order_items"
                } else {
                    "modify_pending_order_items"
                };
                turn.events
                    .push(event(write, "failed", json!({ "out_of_stock": v.item_id })));
                return turn.reply(t, false);
            }
            VariantChoice::Unknown if fs.new_item_ids[k].is_empty() => {
                fs.awaiting = Some("variant".into());
                let t = turn.say(
                    "ask_variant",
                    &[
                        (
                            "item",
                            &format!("{} ({})", item.name, matching::options_text(&item.options)),
                        ),
                        ("variants", &available()),
                    ],
                );
                return turn.reply(t, false);
            }
            VariantChoice::Unknown => {}
        }
    }
    let pending = policy.modifiable_statuses.contains(&order.status);
    let mut diff = 0.0;
    let mut swaps = Vec::new();
    for (old, new) in fs.item_ids.iter().zip(&fs.new_item_ids) {
        let Some(item) = order.items.iter().find(|i| &i.item_id == old) else {
            continue;
        };
        let Ok(product) = ctx.commerce.product(&item.product_id).await else {
            continue;
        };
        if let Some(v) = product.variants.get(new) {
            diff += v.price - item.price;
            swaps.push(format!(
                "{} ({}) → ({})",
                item.name,
                matching::options_text(&item.options),
                matching::options_text(&v.options)
            ));
        }
    }
    let choices = customer.payment_methods.len();
    // No money moves on a same-price swap: the order's own method is used without asking.
    let no_difference = diff.abs() < 0.005;
    pick_payment(
        fs,
        customer,
        message,
        current_pm(order),
        choices <= 1 || no_difference,
    );
    let Some(pm) = fs
        .payment_method_id
        .clone()
        .filter(|p| customer.payment_methods.contains_key(p))
    else {
        fs.awaiting = Some("payment".into());
        let text = turn.say(
            "ask_payment",
            &[("methods", &methods_list(customer, &|_| true))],
        );
        return turn.reply(text, false);
    };
    let key = if pending { "modify_items" } else { "exchange" };
    let action = if pending {
        "modify_pending_order_items"
    } else {
        "exchange_delivered_order_items"
    };
    let summary = render_phrase(
        key,
        ctx.lang,
        &[
            ("order", &order.order_id),
            ("swaps", &swaps.join("; ")),
            ("amount", &money((diff * 100.0).round() / 100.0, policy)),
            ("pm", &pm_label(customer, &pm)),
        ],
    );
    let plan = Plan {
        action: action.into(),
        args: json!({ "order_id": order.order_id, "item_ids": fs.item_ids, "new_item_ids": fs.new_item_ids, "payment_method_id": pm }),
        summary,
        approval_amount: None,
    };
    confirm(turn, fs, plan)
}

fn payment(
    turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    order: &Order,
) -> FlowOutcome {
    let current = current_pm(order).unwrap_or_default();
    if let Some(pm) = detect::detect_payment(message, customer).filter(|p| p != &current) {
        fs.payment_method_id = Some(pm);
    }
    let Some(pm) = fs.payment_method_id.clone() else {
        fs.awaiting = Some("payment".into());
        let text = turn.say(
            "ask_payment",
            &[("methods", &methods_list(customer, &|id| id != current))],
        );
        return turn.reply(text, false);
    };
    let amount = money(paid_total(order), turn.ctx.policy);
    let summary = render_phrase(
        "payment",
        turn.ctx.lang,
        &[
            ("order", &order.order_id),
            ("amount", &amount),
            ("pm", &pm_label(customer, &pm)),
            ("old", &pm_label(customer, &current)),
        ],
    );
    let plan = Plan {
        action: "modify_pending_order_payment".into(),
        args: json!({ "order_id": order.order_id, "payment_method_id": pm }),
        summary,
        approval_amount: None,
    };
    confirm(turn, fs, plan)
}

fn address_args(mut base: serde_json::Value, a: &Address) -> serde_json::Value {
    if let Some(m) = base.as_object_mut() {
        for (k, v) in [
            ("address1", &a.address1),
            ("address2", &a.address2),
            ("city", &a.city),
            ("state", &a.state),
            ("country", &a.country),
            ("zip", &a.zip),
        ] {
            m.insert(k.into(), v.clone().into());
        }
    }
    base
}

fn order_address(
    turn: Turn<'_, '_>,
    fs: &mut FlowState,
    message: &str,
    order: &Order,
) -> FlowOutcome {
    if let Some(a) = detect::parse_address(message) {
        fs.address = Some(a);
    }
    let Some(a) = fs.address.clone() else {
        fs.awaiting = Some("address".into());
        let text = turn.say("ask_address", &[]);
        return turn.reply(text, false);
    };
    let summary = render_phrase(
        "order_address",
        turn.ctx.lang,
        &[("order", &order.order_id), ("address", &address_text(&a))],
    );
    let plan = Plan {
        action: "modify_pending_order_address".into(),
        args: address_args(json!({ "order_id": order.order_id }), &a),
        summary,
        approval_amount: None,
    };
    confirm(turn, fs, plan)
}

async fn user_address(
    turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
) -> FlowOutcome {
    if let Some(a) = detect::parse_address(message) {
        fs.address = Some(a);
    }
    let Some(a) = fs.address.clone() else {
        fs.awaiting = Some("address".into());
        let text = turn.say("ask_address", &[]);
        return turn.reply(text, false);
    };
    let summary = render_phrase(
        "user_address",
        turn.ctx.lang,
        &[("address", &address_text(&a))],
    );
    let plan = Plan {
        action: "modify_user_address".into(),
        args: address_args(json!({ "user_id": customer.user_id }), &a),
        summary,
        approval_amount: None,
    };
    confirm(turn, fs, plan)
}

/// Catalogue products the text names (full name or its head word).
fn products_named<'p>(message: &str, products: &'p [Product]) -> Vec<&'p Product> {
    let t = matching::tokens(message);
    let full: Vec<&Product> = products
        .iter()
        .filter(|p| {
            let n = matching::tokens(&p.name);
            !n.is_empty() && t.windows(n.len()).any(|w| w == n.as_slice())
        })
        .collect();
    if !full.is_empty() {
        return full;
    }
    matching::best_named(&t, products, |p| p.name.as_str())
}

async fn place_order(
    mut turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    message: &str,
    u: &Understanding,
) -> FlowOutcome {
    let ctx = turn.ctx;
    let products = match ctx.commerce.search_products("").await {
        Ok(p) => p,
        Err(e) => return fail(&mut turn, &e),
    };
    let named = products_named(message, &products);
    let chosen = match named.as_slice() {
        [one] => Some(*one),
        // Not named the catalogue's way ("dva gasna kartuša"): the product the passages found
        // for the message describe clearly best.
        _ if fs.product_id.is_none() => {
            match described_products(&ctx.related_passages, &products).as_slice() {
                [(_, one)] => Some(*one),
                [(a, one), (b, _), ..] if *a >= 1.5 * *b => Some(*one),
                _ => None,
            }
        }
        _ => None,
    };
    if let Some(one) = chosen {
        if fs.product_id.as_deref() != Some(one.product_id.as_str()) {
            fs.variant_id = None;
        }
        fs.product_id = Some(one.product_id.clone());
    }
    let Some(product) = fs
        .product_id
        .as_ref()
        .and_then(|id| products.iter().find(|p| &p.product_id == id))
    else {
        fs.awaiting = Some("product".into());
        let text = turn.say("ask_product", &[]);
        return turn.reply(text, false);
    };
    let available: Vec<&frontdesk_core::commerce::Variant> =
        product.variants.values().filter(|v| v.available).collect();
    let blank = frontdesk_core::commerce::OrderItem {
        name: product.name.clone(),
        product_id: product.product_id.clone(),
        item_id: String::new(),
        price: 0.0,
        options: Default::default(),
    };
    let list = || {
        available
            .iter()
            .map(|v| format!("{} ({:.2})", matching::options_text(&v.options), v.price))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match matching::choose_variant(message, product, &blank) {
        VariantChoice::Found(v) => fs.variant_id = Some(v.item_id),
        VariantChoice::OutOfStock(v) => {
            let text = turn.say(
                "out_of_stock",
                &[
                    ("item", &product.name),
                    ("options", &matching::options_text(&v.options)),
                    ("variants", &list()),
                ],
            );
            turn.events.push(event(
                "place_order",
                "failed",
                json!({ "out_of_stock": v.item_id }),
            ));
            return turn.reply(text, false);
        }
        VariantChoice::Unknown => {
            if let ([only], None) = (available.as_slice(), &fs.variant_id) {
                fs.variant_id = Some(only.item_id.clone());
            }
        }
    }
    let Some(variant) = fs
        .variant_id
        .as_ref()
        .and_then(|id| product.variants.get(id))
    else {
        fs.awaiting = Some("variant".into());
        let text = turn.say(
            "ask_variant",
            &[("item", &product.name), ("variants", &list())],
        );
        return turn.reply(text, false);
    };
    if let Some(q) = u
        .entities
        .quantities
        .first()
        .copied()
        .or_else(|| detect::quantity_in_words(message))
    {
        fs.quantity = Some(q);
    }
    let quantity = fs.quantity.unwrap_or(1).max(1);
    if let Some(a) = detect::parse_address(message) {
        fs.address = Some(a);
    }
    let address = fs
        .address
        .clone()
        .unwrap_or_else(|| customer.address.clone());
    if let Some(pm) = detect::detect_payment(message, customer) {
        fs.payment_method_id = Some(pm);
    } else if fs.payment_method_id.is_none() && customer.payment_methods.len() == 1 {
        fs.payment_method_id = customer.payment_methods.keys().next().cloned();
    }
    let Some(pm) = fs.payment_method_id.clone() else {
        fs.awaiting = Some("payment".into());
        let text = turn.say(
            "ask_payment",
            &[("methods", &methods_list(customer, &|_| true))],
        );
        return turn.reply(text, false);
    };
    let amount = money(variant.price * f64::from(quantity), ctx.policy);
    let item = format!(
        "{} ({})",
        product.name,
        matching::options_text(&variant.options)
    );
    let summary = render_phrase(
        "place_order",
        ctx.lang,
        &[
            ("quantity", &quantity.to_string()),
            ("item", &item),
            ("amount", &amount),
            ("address", &address_text(&address)),
            ("pm", &pm_label(customer, &pm)),
        ],
    );
    let args = json!({
        "user_id": customer.user_id,
        "lines": [{ "item_id": variant.item_id, "quantity": quantity }],
        "address": serde_json::to_value(&address).unwrap_or_default(),
        "payment_method_id": pm,
    });
    confirm(
        turn,
        fs,
        Plan {
            action: "place_order".into(),
            args,
            summary,
            approval_amount: None,
        },
    )
}

/// Catalogue products named in `passages`, ordered by a rank-weighted count (a product in the
/// best passage, near its start, first).
fn described_products<'p>(passages: &[String], products: &'p [Product]) -> Vec<(f64, &'p Product)> {
    let passages: Vec<String> = passages.iter().map(|t| crate::lang::fold(t)).collect();
    let mut scored: Vec<(f64, &Product)> = products
        .iter()
        .filter_map(|p| {
            let name = crate::lang::fold(&p.name);
            // Without its last word ("Kestrel Familia 4"), for pages in another language
            // ("Kestrel Familia 4 šator").
            let stem = name
                .rsplit_once(' ')
                .map(|(head, _)| head.to_string())
                .filter(|h| h.split(' ').count() >= 2);
            let score: f64 = passages
                .iter()
                .enumerate()
                .filter_map(|(rank, folded)| {
                    let at = folded
                        .find(&name)
                        .or_else(|| stem.as_ref().and_then(|s| folded.find(s.as_str())))?;
                    let early = 1.0 - (at as f64 / folded.len().max(1) as f64) * 0.5;
                    Some(early / (rank as f64 + 1.0))
                })
                .sum();
            (score > 0.0).then_some((score, p))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    scored
}

async fn recommend(
    mut turn: Turn<'_, '_>,
    customer: Option<&Customer>,
    message: &str,
    ctx: &FlowContext<'_>,
) -> FlowOutcome {
    let products = match ctx.commerce.search_products("").await {
        Ok(p) => p,
        Err(e) => return fail(&mut turn, &e),
    };
    let budget = crate::understanding::entities(message, &[])
        .money
        .first()
        .map(|m| m.amount);
    let from_price = |p: &Product| {
        p.variants
            .values()
            .filter(|v| v.available)
            .map(|v| v.price)
            .fold(f64::INFINITY, f64::min)
    };
    let affordable = |p: &Product| budget.is_none_or(|b| from_price(p) <= b);
    // A need described in words ("a light stove for a weekend hike"): the products that the
    // passages found for it name, the best-ranked passage first.
    let described = described_products(&ctx.related_passages, &products);
    let named = products_named(message, &products);
    if !described.is_empty() && !detect::asks_for_accessories(message) {
        // Products the customer named ("a rechargeable headlamp") lead, then the described.
        let mut picks: Vec<&Product> = Vec::new();
        for p in named
            .iter()
            .copied()
            .chain(described.into_iter().map(|(_, p)| p))
        {
            if !picks.iter().any(|x| x.product_id == p.product_id)
                && p.variants.values().any(|v| v.available)
                && affordable(p)
            {
                picks.push(p);
            }
        }
        picks.truncate(3);
        if !picks.is_empty() {
            let list: Vec<String> = picks
                .iter()
                .map(|p| format!("{} (from {})", p.name, money(from_price(p), ctx.policy)))
                .collect();
            let text = turn.say("recommend_for_need", &[("products", &list.join("; "))]);
            turn.events.push(event(
                "recommend_product",
                "completed",
                json!({ "products": list }),
            ));
            return turn.reply(text, true);
        }
    }
    let mut seeds: Vec<&Product> = named;
    if let (true, Some(customer)) = (seeds.is_empty(), customer) {
        if let Ok(orders) = ctx.commerce.orders_of(&customer.user_id).await {
            let ids: Vec<&str> = orders
                .iter()
                .flat_map(|o| o.items.iter().map(|i| i.product_id.as_str()))
                .collect();
            seeds = products
                .iter()
                .filter(|p| ids.contains(&p.product_id.as_str()))
                .collect();
        }
    }
    // Words shared by most product names (brands) say nothing about relatedness.
    let common = |w: &str| {
        products.len() >= 5
            && products
                .iter()
                .filter(|p| matching::tokens(&p.name).iter().any(|t| t == w))
                .count()
                * 2
                > products.len()
    };
    let seed_words: Vec<String> = seeds
        .iter()
        .flat_map(|p| matching::tokens(&p.name))
        .filter(|w| w.len() > 2 && !common(w))
        .collect();
    let seed_ids: Vec<&str> = seeds.iter().map(|p| p.product_id.as_str()).collect();
    let mut scored: Vec<(usize, &Product)> = products
        .iter()
        .filter(|p| {
            !seed_ids.contains(&p.product_id.as_str()) && p.variants.values().any(|v| v.available)
        })
        .map(|p| {
            (
                matching::tokens(&p.name)
                    .iter()
                    .filter(|t| seed_words.contains(t))
                    .count(),
                p,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
    let picks: Vec<String> = scored
        .iter()
        .filter(|(s, _)| *s > 0 || seed_words.is_empty())
        .take(3)
        .map(|(_, p)| {
            let from = p
                .variants
                .values()
                .filter(|v| v.available)
                .map(|v| v.price)
                .fold(f64::INFINITY, f64::min);
            format!("{} (from {})", p.name, money(from, ctx.policy))
        })
        .collect();
    let text = if picks.is_empty() {
        turn.say("no_recommend", &[])
    } else {
        turn.say("recommend", &[("products", &picks.join("; "))])
    };
    turn.events.push(event(
        "recommend_product",
        "completed",
        json!({ "products": picks }),
    ));
    turn.reply(text, true)
}
