//! Order edits: finding the order a message is about, its status, and cancellation; the
//! refusal of an action the order's status does not allow.

use super::*;

/// Resolves the order the message is about; `Err` is the reply to send (ask / refuse).
pub(in crate::flows) async fn resolve_order(
    act: &mut CustomerTurn<'_, '_>,
    eligible: &(dyn Fn(&Order) -> bool + Sync),
) -> Result<Order, String> {
    let CustomerTurn {
        turn,
        fs,
        customer,
        u,
    } = act;
    let orders = turn
        .ctx
        .commerce
        .orders_of(&customer.user_id)
        .await
        .map_err(|e| turn.say("failed", &[("error", &error_text(&e))]))?;
    let mut ids = u.entities.order_ids.clone();
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
    } else if let Some(suffix) = &u.request.order_suffix {
        let hits: Vec<&Order> = orders
            .iter()
            .filter(|o| o.order_id.ends_with(suffix.as_str()))
            .collect();
        if let [one] = hits.as_slice() {
            fs.order_id = Some(one.order_id.clone());
        }
    }
    if fs.order_id.is_none() {
        let eligible_orders: Vec<Order> = orders.iter().filter(|o| eligible(o)).cloned().collect();
        let named = matching::orders_mentioning(&u.tokens, &eligible_orders);
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
            fs.ask(Slot::Order);
            Err(turn.say("ask_order", &[("orders", &orders_list(&orders))]))
        }
    }
}

pub(in crate::flows) async fn status(mut act: CustomerTurn<'_, '_>) -> FlowOutcome {
    let order = match resolve_order(&mut act, &|_| false).await {
        Ok(o) => o,
        Err(text) => return act.turn.reply(text, false),
    };
    let turn = act.turn;
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
pub(in crate::flows) fn refused_action(action: Action, asked: &str) -> &'static str {
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

pub(in crate::flows) async fn order_action(
    mut act: CustomerTurn<'_, '_>,
    action: Action,
) -> FlowOutcome {
    let policy = act.turn.ctx.policy;
    let lang = act.turn.ctx.lang;
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
    let order = match resolve_order(&mut act, &eligible).await {
        Ok(o) => o,
        Err(text) => return act.turn.reply(text, false),
    };
    // The request as first made (the saved words of the message that started the action).
    let asked = act.fs.request.clone().unwrap_or_else(|| act.u.text.clone());
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
        let mut turn = act.turn;
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
        act.fs.order_id = None;
        return turn.reply(text, false);
    }
    match action {
        Action::Refund if has(&policy.cancellable_statuses, &order.status) => cancel(act, &order),
        Action::Refund => return_items(act, &order).await,
        Action::ChangeItems => change_items(act, &order).await,
        Action::Payment => payment(act, &order),
        _ => change_address(act, AddressTarget::Order(&order)),
    }
}

pub(in crate::flows) fn cancel(act: CustomerTurn<'_, '_>, order: &Order) -> FlowOutcome {
    let (turn, fs, customer, u) = act.parts();
    let policy = turn.ctx.policy;
    if let Some(r) = u
        .request
        .cancel_reason
        .and_then(|r| r.among(&policy.cancel_reasons))
    {
        fs.reason = Some(r);
    } else if fs.reason.is_none() && fs.awaiting == Some(Slot::Reason) {
        // The customer answered the question without one of the listed reasons; the plan
        // states the reason and they confirm or correct it.
        fs.reason = policy.cancel_reasons.first().cloned();
    }
    let Some(reason) = fs
        .reason
        .clone()
        .or_else(|| policy.cancel_reasons.is_empty().then(String::new))
    else {
        fs.ask(Slot::Reason);
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
    let call = ActionCall::CancelPendingOrder {
        order_id: order.order_id.clone(),
        reason,
    };
    let plan = Plan {
        approval_amount: over_limit(policy, amount).then_some(amount),
        ..Plan::new(call, summary)
    };
    confirm(turn, fs, plan)
}
