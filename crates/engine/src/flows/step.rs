//! One customer message through the flows: abort, start or switch an action, identity,
//! confirmation, then the action's own step; and further requests in the same message.

use super::*;

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
    // Sentences, cut again at semicolons keeping them: the follow-up is the customer's own
    // words, re-read as a message of its own.
    for sentence in frontdesk_core::text::sentences(request)
        .into_iter()
        .flat_map(|s| s.split_inclusive(';'))
        .map(str::trim)
        .filter(|s| s.len() > 1)
    {
        let ids = crate::order_ids::find(sentence);
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

pub(super) async fn step_once(
    ctx: &FlowContext<'_>,
    state: &mut ConversationState,
    message: &str,
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
    let detected = keyword_action(understanding)
        .or_else(|| understanding.intent_name().and_then(Action::from_intent));
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
        let outcome = recommend(turn, customer.as_ref(), message, ctx).await;
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
    let customer = match verify(&mut turn, state, &mut fs, message, understanding).await {
        Ok(c) => c,
        Err(mut outcome) => {
            fs.said_before_identity.push(message.to_string());
            save(state, &fs);
            annotate(&mut outcome, &fs);
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

    let outcome = match action {
        Action::Status => status(turn, &mut fs, &customer, message, understanding).await,
        Action::UserAddress => {
            change_address(turn, &mut fs, message, AddressTarget::Profile(&customer))
        }
        Action::PlaceOrder => place_order(turn, &mut fs, &customer, message, understanding).await,
        _ => order_action(turn, &mut fs, &customer, message, understanding, action).await,
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

/// The understanding of `message` read after what was said before identity was verified:
/// earlier order numbers and quantities count when the current message has none.
pub(super) fn with_earlier_messages(
    earlier: &[String],
    message: &str,
    u: &Understanding,
) -> Understanding {
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
