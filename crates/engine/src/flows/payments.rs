//! Payment methods: which one an order was paid with, which a refund may go to, which the
//! customer chose, and the change of an order's payment method.

use super::*;
use crate::understanding::{PaymentMention, Request};
use frontdesk_core::commerce::PaymentMethod;

pub(super) fn original_pm(order: &Order) -> Option<String> {
    order
        .payment_history
        .iter()
        .find(|t| t.transaction_type == "payment")
        .map(|t| t.payment_method_id.clone())
}

/// The method the order is paid with now (after any payment change).
pub(super) fn current_pm(order: &Order) -> Option<String> {
    order
        .payment_history
        .iter()
        .rev()
        .find(|t| t.transaction_type == "payment")
        .map(|t| t.payment_method_id.clone())
}

pub(super) fn paid_total(order: &Order) -> f64 {
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

pub(super) fn refund_allowed(
    policy: &CommercePolicy,
    order: &Order,
    customer: &Customer,
    pm: &str,
) -> bool {
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

/// The customer's payment method the message names: by its id, or by its kind when the
/// customer has one method of that kind, or one whose last four digits the message gives.
pub(super) fn method_named(mention: &PaymentMention, customer: &Customer) -> Option<String> {
    if let Some(pm) = customer
        .payment_methods
        .keys()
        .find(|id| mention.names(id.as_str()))
    {
        return Some(pm.clone());
    }
    let kind = mention.kind?.source();
    let of_kind: Vec<&PaymentMethod> = customer
        .payment_methods
        .values()
        .filter(|m| m.source == kind)
        .collect();
    if let [only] = of_kind.as_slice() {
        return Some(only.id.clone());
    }
    of_kind
        .iter()
        .find(|m| m.last_four.as_deref().is_some_and(|l| mention.names(l)))
        .map(|m| m.id.clone())
}

/// Payment method for a refund / price difference: named, or `default` (the original method
/// for refunds, the current one for price differences) when the customer doesn't mind or it
/// is the only choice.
pub(super) fn pick_payment(
    fs: &mut FlowState,
    customer: &Customer,
    request: &Request,
    default: Option<String>,
    only_choice: bool,
) {
    if let Some(pm) = method_named(&request.payment, customer) {
        fs.payment_method_id = Some(pm);
    } else if fs.payment_method_id.is_none()
        && (only_choice || request.wants_default_payment || fs.awaiting == Some(Slot::Payment))
    {
        fs.payment_method_id = default.filter(|p| customer.payment_methods.contains_key(p));
    }
}

pub(super) fn payment(act: CustomerTurn<'_, '_>, order: &Order) -> FlowOutcome {
    let (turn, fs, customer, u) = act.parts();
    let current = current_pm(order).unwrap_or_default();
    if let Some(pm) = method_named(&u.request.payment, customer).filter(|p| p != &current) {
        fs.payment_method_id = Some(pm);
    }
    let Some(pm) = fs.payment_method_id.clone() else {
        return ask_payment(turn, fs, customer, &|id| id != current);
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
    let call = ActionCall::ModifyPendingOrderPayment {
        order_id: order.order_id.clone(),
        payment_method_id: pm,
    };
    let plan = Plan::new(call, summary);
    confirm(turn, fs, plan)
}

/// Asks which of the customer's methods (those `allowed`) to use.
pub(super) fn ask_payment(
    turn: Turn<'_, '_>,
    fs: &mut FlowState,
    customer: &Customer,
    allowed: &dyn Fn(&str) -> bool,
) -> FlowOutcome {
    let methods = methods_list(customer, allowed);
    if methods.is_empty() {
        // Nothing to choose from (the account holds only the method the order already uses):
        // say so and end the request, rather than ask with an empty list.
        let text = turn.say("no_other_payment", &[]);
        return turn.reply(text, true);
    }
    fs.ask(Slot::Payment);
    let text = turn.say("ask_payment", &[("methods", &methods)]);
    turn.reply(text, false)
}
