//! One customer message through the flows: abort, start or switch an action, identity,
//! confirmation, then the action's own step; and further requests in the same message.

use super::*;
use crate::understanding::detect_action;

/// One customer message through the action flows. See the module doc for the protocol.
///
/// When an action is carried out and the message that asked for it held further requests on
/// other orders, the next one starts in the same reply, so a customer who lists several
/// things at once is not asked to repeat them.
pub async fn step(
    ctx: &FlowContext<'_>,
    state: &mut ConversationState,
    understanding: &Understanding,
) -> FlowOutcome {
    let (mut outcome, mut follow_up) = step_once(ctx, state, understanding).await;
    // Bounded: each follow-up is a strictly shorter remainder of the first request.
    for _ in 0..4 {
        let (Some(text), FlowOutcome::Reply(done)) = (follow_up.take(), &mut outcome) else {
            break;
        };
        if !done.finished || done.executed.is_empty() || state.flow.is_some() {
            break;
        }
        let u = crate::understanding::understand(&text, state, None, &[]);
        let (next, more) = step_once(ctx, state, &u).await;
        let FlowOutcome::Reply(next) = next else {
            break;
        };
        done.text = format!("{}\n\n{}", done.text, next.text);
        done.events.extend(next.events);
        done.executed.extend(next.executed);
        done.escalate = next.escalate;
        done.finished = next.finished;
        done.pending_action = next.pending_action;
        done.awaiting = next.awaiting;
        follow_up = more;
    }
    outcome
}

/// Sentences of `request` that ask for an action on an order this flow has not touched, with
/// the sentences that follow them: "Cancel order #W1 because …. Cancel order #W2 because …."
/// after #W1 is done gives the second sentence.
pub(super) fn follow_up(request: &str, touched: &[String]) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let mut taking = false;
    // Clauses as written, semicolons kept: the follow-up is the customer's own words, re-read
    // as a message of its own. The saved request is read with the readers `understand` uses.
    for sentence in frontdesk_core::text::clauses_as_written(request)
        .into_iter()
        .filter(|s| s.len() > 1)
    {
        let ids = crate::order_ids::find(sentence);
        if ids.is_empty() {
            if taking {
                out.push(sentence);
            }
            continue;
        }
        taking = detect_action(sentence).is_some() && ids.iter().all(|id| !touched.contains(id));
        if taking {
            out.push(sentence);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

pub(super) async fn step_once(
    ctx: &FlowContext<'_>,
    state: &mut ConversationState,
    understanding: &Understanding,
) -> (FlowOutcome, Option<String>) {
    let mut turn = Turn {
        ctx,
        prefix: String::new(),
        events: vec![],
    };
    let mut fs = match load(state) {
        Ok(fs) => fs.unwrap_or_default(),
        Err(UnreadableFlowState(error)) => {
            // Nothing of it can be trusted, so nothing of it is carried out; the customer is
            // told and asked again, and the operator sees the error.
            tracing::error!(conversation = ctx.conversation_id, %error, "saved action flow state is unreadable; dropped");
            state.flow = None;
            turn.events.push(event(
                "flow",
                "failed",
                json!({ "error": format!("saved flow state is unreadable: {error}") }),
            ));
            let text = turn.say("flow_state_lost", &[]);
            return (turn.reply(text, true), None);
        }
    };
    let detected = requested_action(understanding);
    let pending = fs.action.is_some();

    if understanding.flags.human_request {
        return (FlowOutcome::NotHandled, None);
    }
    if pending && fs.confirming.is_none() && understanding.request.abort
        || fs.confirming.is_some()
            && understanding.flags.negative
            && !understanding.flags.affirmative
    {
        // The write the customer declined, when a plan was on the table.
        let action = match &fs.confirming {
            Some(plan) => plan.call.name().to_string(),
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
            fs.request = Some(understanding.text.clone());
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
                request: Some(understanding.text.clone()),
                ..FlowState::default()
            };
            turn.events.push(event(a.name(), "started", json!({})));
        }
        (Some(_), None) => {
            let e = &understanding.entities;
            let unrelated = understanding.flags.question
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
        let outcome = recommend(turn, customer.as_ref(), understanding, ctx).await;
        state.flow = None;
        return (outcome, None);
    }

    // Identity first, always, for everything that reads or changes an account.
    if state.customer.is_none() {
        if let Some(id) = understanding.entities.order_ids.first().cloned() {
            fs.mentioned_order = Some(id);
        }
    }
    let verified_before = state.customer.is_some();
    let customer = match verify(&mut turn, state, &mut fs, understanding).await {
        Ok(c) => c,
        Err(mut outcome) => {
            fs.said_before_identity.push(understanding.text.clone());
            save(state, &fs);
            annotate(&mut outcome, &fs);
            return (outcome, None);
        }
    };
    let earlier = std::mem::take(&mut fs.said_before_identity);
    let with_earlier;
    let understanding = if verified_before || earlier.is_empty() {
        understanding
    } else {
        with_earlier = with_earlier_messages(&earlier, understanding);
        fs.request = Some(with_earlier.text.clone());
        &with_earlier
    };

    if let Some(plan) = fs.confirming.clone() {
        if understanding.flags.affirmative {
            if let Some(amount) = plan.approval_amount {
                state.flow = None;
                return (needs_approval(turn, &customer, plan, amount), None);
            }
            if let Some(order) = plan.call.order_id() {
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

    let act = CustomerTurn {
        turn,
        fs: &mut fs,
        customer: &customer,
        u: understanding,
    };
    let outcome = match action {
        Action::Status => status(act).await,
        Action::UserAddress => change_address(act, AddressTarget::Profile),
        Action::PlaceOrder => place_order(act).await,
        _ => order_action(act, action).await,
    };
    if let Some(order) = &fs.order_id {
        if !fs.orders_touched.contains(order) {
            fs.orders_touched.push(order.clone());
        }
    }
    let mut outcome = outcome;
    match &outcome {
        FlowOutcome::Reply(r) if r.finished => state.flow = None,
        _ => save(state, &fs),
    }
    annotate(&mut outcome, &fs);
    (outcome, None)
}

/// A reply that leaves the flow waiting says for what: the slot asked for in this turn, and
/// the plan when it is a yes to that plan.
fn annotate(outcome: &mut FlowOutcome, fs: &FlowState) {
    if let FlowOutcome::Reply(r) = outcome {
        if !r.finished {
            r.awaiting = fs.asked_now;
            r.pending_action = fs
                .confirming
                .as_ref()
                .filter(|_| fs.asked_now == Some(Slot::Confirmation))
                .map(Plan::pending);
        }
    }
}

/// The message read after what was said before identity was verified: earlier order numbers
/// count beside the message's own, and earlier quantities when the message gives none.
pub(super) fn with_earlier_messages(earlier: &[String], u: &Understanding) -> Understanding {
    // An order number in this message replaces the ones said before ("sorry, the order is
    // #W2"), so earlier order numbers are masked then.
    let names_order = !u.entities.order_ids.is_empty();
    let earlier: Vec<String> = earlier
        .iter()
        .map(|m| match names_order {
            true => crate::order_ids::mask(m),
            false => m.clone(),
        })
        .collect();
    let text = earlier
        .iter()
        .map(String::as_str)
        .chain([u.text.as_str()])
        .collect::<Vec<_>>()
        .join("\n");
    let before = crate::understanding::entities(&earlier.join("\n"), &[]);
    let mut entities = u.entities.clone();
    for id in before.order_ids {
        if !entities.order_ids.contains(&id) {
            entities.order_ids.push(id);
        }
    }
    if entities.quantities.is_empty() {
        entities.quantities = before.quantities;
    }
    u.over(text, entities)
}
