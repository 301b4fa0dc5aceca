//! Items of an order: returns, and swaps for other variants (pending orders are modified,
//! delivered ones exchanged).

use super::*;
use crate::understanding::tokens;

/// The items of `order` the message is about: those it names (added to the ones chosen before
/// when it says so), else the order's only item.
pub(in crate::flows) fn pick_items(fs: &mut FlowState, u: &Understanding, order: &Order) {
    let found = matching::match_items(u, order);
    if !found.is_empty() {
        if u.request.adds_to_selection && !fs.item_ids.is_empty() {
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

/// The refusal when the order's records have no delivery date (the backend's return-window
/// check needs one) but the customer's own words put the delivery before the window: "it
/// arrived in August". A date in the records wins over any words; so does a later date said in
/// the same words.
fn outside_window(
    turn: &mut Turn<'_, '_>,
    action: &str,
    fs: &FlowState,
    u: &Understanding,
    order: &Order,
) -> Option<FlowOutcome> {
    let days = turn.ctx.policy.return_window_days;
    if days == 0 || order.extra.contains_key("delivered_at") {
        return None;
    }
    let today = chrono::Utc::now().date_naive();
    let said: Vec<&str> = fs
        .said_before_identity
        .iter()
        .map(String::as_str)
        .chain(fs.request.as_deref())
        .chain([u.text.as_str()])
        .collect();
    let date = crate::understanding::when::stated_past_date(&said.join("\n"), today)?;
    if (today - date).num_days() <= i64::from(days) {
        return None;
    }
    let date_text = date.format("%Y-%m-%d").to_string();
    turn.events.push(event(
        action,
        "failed",
        serde_json::json!({ "error": format!(
            "the customer said order {} arrived by {date_text}, more than {days} days ago",
            order.order_id
        ) }),
    ));
    let text = turn.say(
        "outside_window",
        &[
            ("days", &days.to_string()),
            ("order", &order.order_id),
            ("date", &date_text),
        ],
    );
    Some(FlowOutcome::Reply(FlowReply {
        text,
        events: std::mem::take(&mut turn.events),
        finished: true,
        ..FlowReply::default()
    }))
}

/// When neither names nor options picked an item of an order with several: the item the
/// message means in other words, if the item reader can tell.
async fn read_items(ctx: &FlowContext<'_>, fs: &mut FlowState, u: &Understanding, order: &Order) {
    // A yes or a no ("Da, može.", "No thanks.") names no item, however near one
    // item's name its vector happens to fall.
    if !fs.item_ids.is_empty() || order.items.len() < 2 || u.flags.affirmative || u.flags.negative {
        return;
    }
    if let Some(reader) = ctx.item_reader {
        fs.item_ids = reader.items_meant(&u.text, u.lang, order).await;
    }
}

pub(in crate::flows) async fn return_items(
    act: CustomerTurn<'_, '_>,
    order: &Order,
) -> FlowOutcome {
    let (mut turn, fs, customer, u) = act.parts();
    let policy = turn.ctx.policy;
    if let Some(refused) = outside_window(&mut turn, "return_delivered_order_items", fs, u, order) {
        return refused;
    }
    pick_items(fs, u, order);
    read_items(turn.ctx, fs, u, order).await;
    if fs.item_ids.is_empty() {
        return ask_items(turn, fs, order);
    }
    let allowed = |id: &str| refund_allowed(policy, order, customer, id);
    let choices = customer
        .payment_methods
        .keys()
        .filter(|id| allowed(id))
        .count();
    pick_payment(fs, customer, &u.request, original_pm(order), choices <= 1);
    let pm = match fs.payment_method_id.clone() {
        Some(pm) if allowed(&pm) => pm,
        _ => {
            fs.payment_method_id = None;
            return ask_payment(turn, fs, customer, &allowed);
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
    let call = ActionCall::ReturnDeliveredOrderItems {
        order_id: order.order_id.clone(),
        item_ids: fs.item_ids.clone(),
        payment_method_id: pm,
    };
    let plan = Plan {
        approval_amount: over_limit(policy, amount).then_some(amount),
        ..Plan::new(call, summary)
    };
    confirm(turn, fs, plan)
}

pub(in crate::flows) async fn change_items(
    act: CustomerTurn<'_, '_>,
    order: &Order,
) -> FlowOutcome {
    let (mut turn, fs, customer, u) = act.parts();
    let ctx = turn.ctx;
    let policy = ctx.policy;
    // An exchange counts from delivery like a return; a pending order's change does not.
    if !policy.modifiable_statuses.contains(&order.status) {
        if let Some(refused) =
            outside_window(&mut turn, "exchange_delivered_order_items", fs, u, order)
        {
            return refused;
        }
    }
    let before = fs.item_ids.clone();
    pick_items(fs, u, order);
    if fs.item_ids.is_empty() {
        // No item named in words the catalogue shares ("termos", "štapovi"): the new option
        // asked for may fit only one of them ("the 750 ml one").
        let mut products = Vec::with_capacity(order.items.len());
        for item in &order.items {
            match ctx.commerce.product(&item.product_id).await {
                Ok(p) => products.push(p),
                Err(e) => return fail(&mut turn, &e),
            }
        }
        if let Some(id) = matching::item_by_new_option(&u.tokens, order, &products) {
            fs.item_ids = vec![id];
        }
    }
    read_items(ctx, fs, u, order).await;
    if fs.item_ids.is_empty() {
        return ask_items(turn, fs, order);
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
    let named_items = !matching::match_items(u, order).is_empty();
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
        // The words about this item, when the message names items: "the lamp in white, the mat
        // in blue" asks white of the lamp only.
        let words = if named_items {
            tokens(&matching::segment_for(&u.text, item, order))
        } else {
            u.tokens.clone()
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
        match matching::choose_variant(&words, &product, item) {
            VariantChoice::Found(v) => fs.new_item_ids[k] = v.item_id,
            VariantChoice::OutOfStock(v) => {
                fs.ask(Slot::Variant);
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
                fs.ask(Slot::Variant);
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
        &u.request,
        current_pm(order),
        choices <= 1 || no_difference,
    );
    let Some(pm) = fs
        .payment_method_id
        .clone()
        .filter(|p| customer.payment_methods.contains_key(p))
    else {
        return ask_payment(turn, fs, customer, &|_| true);
    };
    let key = if pending { "modify_items" } else { "exchange" };
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
    let (order_id, item_ids, new_item_ids) = (
        order.order_id.clone(),
        fs.item_ids.clone(),
        fs.new_item_ids.clone(),
    );
    let call = if pending {
        ActionCall::ModifyPendingOrderItems {
            order_id,
            item_ids,
            new_item_ids,
            payment_method_id: pm,
        }
    } else {
        ActionCall::ExchangeDeliveredOrderItems {
            order_id,
            item_ids,
            new_item_ids,
            payment_method_id: pm,
        }
    };
    let plan = Plan::new(call, summary);
    confirm(turn, fs, plan)
}

/// Asks which items of the order the request is about, listing them.
fn ask_items(turn: Turn<'_, '_>, fs: &mut FlowState, order: &Order) -> FlowOutcome {
    fs.ask(Slot::Items);
    let all: Vec<String> = order.items.iter().map(|i| i.item_id.clone()).collect();
    let text = turn.say(
        "ask_items",
        &[
            ("order", &order.order_id),
            ("items", &items_text(order, &all)),
        ],
    );
    turn.reply(text, false)
}
