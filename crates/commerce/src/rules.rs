//! What each write action does to orders, items, payment methods and gift-card balances,
//! rebuilt from the tau-retail shop policy. Pure functions over the data so every rule is
//! table-testable without a database.

use frontdesk_core::commerce::{Address, Customer, Order, OrderItem, PaymentTransaction, Product};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::CommerceError;

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn require_status(order: &Order, allowed: &[String], what: &str) -> Result<(), CommerceError> {
    if allowed.iter().any(|s| s == &order.status) {
        Ok(())
    } else {
        Err(CommerceError::NotAllowed(format!(
            "order {} is {:?}; it can be {what} only when {}",
            order.order_id,
            order.status,
            allowed.join(" or ")
        )))
    }
}

fn payment_method<'a>(
    customer: &'a mut Customer,
    id: &str,
) -> Result<&'a mut frontdesk_core::commerce::PaymentMethod, CommerceError> {
    customer.payment_methods.get_mut(id).ok_or_else(|| {
        CommerceError::PaymentMethodInvalid(format!(
            "{id} is not one of this customer's payment methods"
        ))
    })
}

/// Adds `delta` to a gift card's balance (negative: spend), refusing to overdraw it.
fn adjust_gift_card(customer: &mut Customer, id: &str, delta: f64) -> Result<(), CommerceError> {
    let pm = payment_method(customer, id)?;
    if pm.source != "gift_card" {
        return Ok(());
    }
    let balance = pm.balance.unwrap_or(0.0);
    if balance + delta < -1e-9 {
        return Err(CommerceError::PaymentMethodInvalid(format!(
            "gift card {id} has {balance:.2} left, not enough for {:.2}",
            -delta
        )));
    }
    pm.balance = Some(round2(balance + delta));
    Ok(())
}

/// The order's paid total per payment method (payments minus refunds), in order of first use.
fn paid_by_method(order: &Order) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for t in &order.payment_history {
        let sign = if t.transaction_type == "refund" {
            -1.0
        } else {
            1.0
        };
        match out.iter_mut().find(|(id, _)| id == &t.payment_method_id) {
            Some((_, amount)) => *amount += sign * t.amount,
            None => out.push((t.payment_method_id.clone(), sign * t.amount)),
        }
    }
    out
}

/// The payment method the order was originally paid with.
pub fn original_payment_method(order: &Order) -> Option<&str> {
    order
        .payment_history
        .iter()
        .find(|t| t.transaction_type == "payment")
        .map(|t| t.payment_method_id.as_str())
}

pub fn order_total(order: &Order) -> f64 {
    round2(order.items.iter().map(|i| i.price).sum())
}

pub fn cancel(
    policy: &CommercePolicy,
    order: &mut Order,
    customer: &mut Customer,
    reason: &str,
) -> Result<(), CommerceError> {
    require_status(order, &policy.cancellable_statuses, "cancelled")?;
    if !policy.cancel_reasons.is_empty() && !policy.cancel_reasons.iter().any(|r| r == reason) {
        return Err(CommerceError::NotAllowed(format!(
            "cancellation reason must be one of {:?}",
            policy.cancel_reasons
        )));
    }
    for (pm, amount) in paid_by_method(order) {
        let amount = round2(amount);
        if amount <= 0.0 {
            continue;
        }
        order.payment_history.push(PaymentTransaction {
            transaction_type: "refund".into(),
            amount,
            payment_method_id: pm.clone(),
        });
        if customer.payment_methods.contains_key(&pm) {
            adjust_gift_card(customer, &pm, amount)?;
        }
    }
    order.status = "cancelled".into();
    order.extra.insert("cancel_reason".into(), reason.into());
    Ok(())
}

pub fn modify_address(
    policy: &CommercePolicy,
    order: &mut Order,
    address: &Address,
) -> Result<(), CommerceError> {
    require_status(order, &policy.modifiable_statuses, "changed")?;
    order.address = address.clone();
    Ok(())
}

pub fn modify_payment(
    policy: &CommercePolicy,
    order: &mut Order,
    customer: &mut Customer,
    new_pm: &str,
) -> Result<(), CommerceError> {
    require_status(order, &policy.modifiable_statuses, "changed")?;
    let paid = paid_by_method(order);
    let [(old_pm, amount)] = paid.as_slice() else {
        return Err(CommerceError::NotAllowed(format!(
            "order {} was paid with several methods; a person must change it",
            order.order_id
        )));
    };
    if old_pm == new_pm {
        return Err(CommerceError::PaymentMethodInvalid(format!(
            "order {} is already paid with {new_pm}",
            order.order_id
        )));
    }
    let amount = round2(*amount);
    payment_method(customer, new_pm)?;
    adjust_gift_card(customer, new_pm, -amount)?;
    if customer.payment_methods.contains_key(old_pm) {
        adjust_gift_card(customer, old_pm, amount)?;
    }
    let old_pm = old_pm.clone();
    order.payment_history.push(PaymentTransaction {
        transaction_type: "payment".into(),
        amount,
        payment_method_id: new_pm.into(),
    });
    order.payment_history.push(PaymentTransaction {
        transaction_type: "refund".into(),
        amount,
        payment_method_id: old_pm,
    });
    Ok(())
}

/// Positions in `order.items` of `item_ids` (duplicates pick distinct lines).
fn item_positions(order: &Order, item_ids: &[String]) -> Result<Vec<usize>, CommerceError> {
    if item_ids.is_empty() {
        return Err(CommerceError::NotAllowed("no items given".into()));
    }
    let mut used = vec![false; order.items.len()];
    let mut out = Vec::new();
    for id in item_ids {
        let pos = order
            .items
            .iter()
            .enumerate()
            .position(|(i, it)| !used[i] && &it.item_id == id)
            .ok_or_else(|| CommerceError::NotFound {
                what: "item in order",
                id: id.clone(),
            })?;
        used[pos] = true;
        out.push(pos);
    }
    Ok(out)
}

/// Checks old → new item pairs (same product, other available variant); returns the new
/// lines and the price difference (positive: the customer pays).
fn swap_plan(
    order: &Order,
    item_ids: &[String],
    new_item_ids: &[String],
    products: &dyn Fn(&str) -> Option<Product>,
) -> Result<(Vec<(usize, OrderItem)>, f64), CommerceError> {
    if item_ids.len() != new_item_ids.len() {
        return Err(CommerceError::NotAllowed(
            "each item needs exactly one new item".into(),
        ));
    }
    let positions = item_positions(order, item_ids)?;
    let mut plan = Vec::new();
    let mut diff = 0.0;
    for (pos, new_id) in positions.into_iter().zip(new_item_ids) {
        let old = &order.items[pos];
        if &old.item_id == new_id {
            return Err(CommerceError::NotAllowed(format!(
                "new item {new_id} is the same as the old one"
            )));
        }
        let product = products(&old.product_id).ok_or_else(|| CommerceError::NotFound {
            what: "product",
            id: old.product_id.clone(),
        })?;
        let variant = product.variants.get(new_id).ok_or_else(|| {
            CommerceError::NotAllowed(format!("item {new_id} is not a variant of {} (only options of the same product can be swapped)", product.name))
        })?;
        if !variant.available {
            return Err(CommerceError::OutOfStock(format!(
                "{} {:?} ({new_id})",
                product.name, variant.options
            )));
        }
        diff += variant.price - old.price;
        plan.push((
            pos,
            OrderItem {
                name: old.name.clone(),
                product_id: old.product_id.clone(),
                item_id: new_id.clone(),
                price: variant.price,
                options: variant.options.clone(),
            },
        ));
    }
    Ok((plan, round2(diff)))
}

pub fn modify_items(
    policy: &CommercePolicy,
    order: &mut Order,
    customer: &mut Customer,
    item_ids: &[String],
    new_item_ids: &[String],
    pm: &str,
    products: &dyn Fn(&str) -> Option<Product>,
) -> Result<f64, CommerceError> {
    require_status(order, &policy.modifiable_statuses, "changed")?;
    if policy.max_exchange_items > 0 && item_ids.len() > policy.max_exchange_items {
        return Err(CommerceError::PolicyLimit(format!(
            "at most {} items per change",
            policy.max_exchange_items
        )));
    }
    let (plan, diff) = swap_plan(order, item_ids, new_item_ids, products)?;
    payment_method(customer, pm)?;
    adjust_gift_card(customer, pm, -diff)?;
    order.payment_history.push(PaymentTransaction {
        transaction_type: if diff > 0.0 { "payment" } else { "refund" }.into(),
        amount: diff.abs(),
        payment_method_id: pm.into(),
    });
    for (pos, item) in plan {
        order.items[pos] = item;
    }
    if policy.single_item_modification {
        order.status = "pending (item modified)".into();
    }
    Ok(diff)
}

fn check_return_window(
    policy: &CommercePolicy,
    order: &Order,
    today: chrono::NaiveDate,
) -> Result<(), CommerceError> {
    if policy.return_window_days == 0 {
        return Ok(());
    }
    let Some(delivered) = order.extra.get("delivered_at").and_then(|v| v.as_str()) else {
        return Ok(());
    };
    let Some(date) = delivered
        .get(..10)
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return Ok(());
    };
    if (today - date).num_days() > i64::from(policy.return_window_days) {
        return Err(CommerceError::PolicyLimit(format!(
            "order {} was delivered on {delivered}, more than {} days ago",
            order.order_id, policy.return_window_days
        )));
    }
    Ok(())
}

/// Whether refunds may go to `pm`: the original method, or a gift card, per policy.
pub fn refund_destination_allowed(
    policy: &CommercePolicy,
    order: &Order,
    customer: &Customer,
    pm: &str,
) -> bool {
    let Some(method) = customer.payment_methods.get(pm) else {
        return false;
    };
    policy.refund_destinations.iter().any(|d| match d.as_str() {
        "any" => true,
        "original" => original_payment_method(order) == Some(pm),
        "gift_card" => method.source == "gift_card",
        _ => false,
    })
}

pub fn return_items(
    policy: &CommercePolicy,
    order: &mut Order,
    customer: &Customer,
    item_ids: &[String],
    pm: &str,
    today: chrono::NaiveDate,
) -> Result<f64, CommerceError> {
    require_status(order, &policy.returnable_statuses, "returned")?;
    check_return_window(policy, order, today)?;
    let positions = item_positions(order, item_ids)?;
    if !refund_destination_allowed(policy, order, customer, pm) {
        return Err(CommerceError::PaymentMethodInvalid(format!(
            "refunds go to {:?}; {pm} is not allowed",
            policy.refund_destinations
        )));
    }
    let refund = round2(positions.iter().map(|&p| order.items[p].price).sum());
    let mut ids = item_ids.to_vec();
    ids.sort();
    order.status = "return requested".into();
    order.extra.insert("return_items".into(), ids.into());
    order
        .extra
        .insert("return_payment_method_id".into(), pm.into());
    Ok(refund)
}

// The arguments are the tau-retail tool's own, plus the store lookups it needs.
#[allow(clippy::too_many_arguments)]
pub fn exchange_items(
    policy: &CommercePolicy,
    order: &mut Order,
    customer: &mut Customer,
    item_ids: &[String],
    new_item_ids: &[String],
    pm: &str,
    products: &dyn Fn(&str) -> Option<Product>,
    today: chrono::NaiveDate,
) -> Result<f64, CommerceError> {
    require_status(order, &policy.returnable_statuses, "exchanged")?;
    check_return_window(policy, order, today)?;
    if policy.max_exchange_items > 0 && item_ids.len() > policy.max_exchange_items {
        return Err(CommerceError::PolicyLimit(format!(
            "at most {} items per exchange",
            policy.max_exchange_items
        )));
    }
    let (_, diff) = swap_plan(order, item_ids, new_item_ids, products)?;
    payment_method(customer, pm)?;
    if let Some(m) = customer.payment_methods.get(pm) {
        if m.source == "gift_card" && m.balance.unwrap_or(0.0) + 1e-9 < diff {
            return Err(CommerceError::PaymentMethodInvalid(format!(
                "gift card {pm} cannot cover the price difference {diff:.2}"
            )));
        }
    }
    let (mut ids, mut new_ids) = (item_ids.to_vec(), new_item_ids.to_vec());
    ids.sort();
    new_ids.sort();
    order.status = "exchange requested".into();
    order.extra.insert("exchange_items".into(), ids.into());
    order
        .extra
        .insert("exchange_new_items".into(), new_ids.into());
    order
        .extra
        .insert("exchange_payment_method_id".into(), pm.into());
    order
        .extra
        .insert("exchange_price_difference".into(), diff.into());
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::commerce::{PaymentMethod, Variant};
    use std::collections::BTreeMap;

    fn customer() -> Customer {
        let mut pms = BTreeMap::new();
        pms.insert(
            "cc_1".into(),
            PaymentMethod {
                id: "cc_1".into(),
                source: "credit_card".into(),
                brand: None,
                last_four: None,
                balance: None,
            },
        );
        pms.insert(
            "gc_1".into(),
            PaymentMethod {
                id: "gc_1".into(),
                source: "gift_card".into(),
                brand: None,
                last_four: None,
                balance: Some(10.0),
            },
        );
        Customer {
            user_id: "u1".into(),
            name: Default::default(),
            address: Default::default(),
            email: "u@x".into(),
            payment_methods: pms,
            orders: vec!["#1".into()],
        }
    }
    fn order(status: &str, pm: &str) -> Order {
        Order {
            order_id: "#1".into(),
            user_id: "u1".into(),
            address: Default::default(),
            items: vec![OrderItem {
                name: "Lamp".into(),
                product_id: "p1".into(),
                item_id: "a".into(),
                price: 20.0,
                options: BTreeMap::new(),
            }],
            fulfillments: vec![],
            status: status.into(),
            payment_history: vec![PaymentTransaction {
                transaction_type: "payment".into(),
                amount: 20.0,
                payment_method_id: pm.into(),
            }],
            extra: BTreeMap::new(),
        }
    }
    fn product(b_available: bool) -> Product {
        let mut variants = BTreeMap::new();
        variants.insert(
            "a".into(),
            Variant {
                item_id: "a".into(),
                options: BTreeMap::new(),
                available: true,
                price: 20.0,
            },
        );
        variants.insert(
            "b".into(),
            Variant {
                item_id: "b".into(),
                options: BTreeMap::new(),
                available: b_available,
                price: 35.0,
            },
        );
        Product {
            name: "Lamp".into(),
            product_id: "p1".into(),
            variants,
        }
    }
    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()
    }

    #[test]
    fn cancel_refunds_gift_card_balance_and_checks_status() {
        let p = CommercePolicy::default();
        for (status, pm, ok, balance) in [
            ("pending", "gc_1", true, 30.0),
            ("pending", "cc_1", true, 10.0),
            ("delivered", "gc_1", false, 10.0),
        ] {
            let (mut o, mut c) = (order(status, pm), customer());
            let r = cancel(&p, &mut o, &mut c, "no longer needed");
            assert_eq!(r.is_ok(), ok, "{status} {pm}");
            assert_eq!(c.payment_methods["gc_1"].balance, Some(balance));
            if ok {
                assert_eq!(o.status, "cancelled");
            }
        }
        assert!(cancel(
            &p,
            &mut order("pending", "cc_1"),
            &mut customer(),
            "too expensive"
        )
        .is_err());
    }

    #[test]
    fn modify_items_checks_stock_and_gift_card_balance() {
        let p = CommercePolicy::default();
        let ids = ["a".to_string()];
        let new = ["b".to_string()];
        let (mut o, mut c) = (order("pending", "cc_1"), customer());
        let r = modify_items(&p, &mut o, &mut c, &ids, &new, "cc_1", &|_| {
            Some(product(false))
        });
        assert!(matches!(r, Err(CommerceError::OutOfStock(_))));
        let r = modify_items(&p, &mut o, &mut c, &ids, &new, "gc_1", &|_| {
            Some(product(true))
        });
        assert!(
            matches!(r, Err(CommerceError::PaymentMethodInvalid(_))),
            "15.00 diff > 10.00 balance"
        );
        let r = modify_items(&p, &mut o, &mut c, &ids, &new, "cc_1", &|_| {
            Some(product(true))
        });
        assert_eq!(r.ok(), Some(15.0));
        assert_eq!(o.status, "pending (item modified)");
        assert_eq!(o.items[0].item_id, "b");
        let again = modify_items(&p, &mut o, &mut c, &new, &ids, "cc_1", &|_| {
            Some(product(true))
        });
        assert!(
            matches!(again, Err(CommerceError::NotAllowed(_))),
            "only one modification"
        );
    }

    #[test]
    fn return_refund_destination_follows_policy() {
        let p = CommercePolicy::default();
        let ids = ["a".to_string()];
        for (pm_paid, refund_to, ok) in [
            ("cc_1", "cc_1", true),
            ("cc_1", "gc_1", true),
            ("gc_1", "cc_1", false),
            ("cc_1", "other", false),
        ] {
            let mut o = order("delivered", pm_paid);
            let r = return_items(&p, &mut o, &customer(), &ids, refund_to, today());
            assert_eq!(r.is_ok(), ok, "{pm_paid} -> {refund_to}");
        }
        let mut o = order("delivered", "cc_1");
        o.extra.insert("delivered_at".into(), "2025-10-01".into());
        assert!(matches!(
            return_items(&p, &mut o, &customer(), &ids, "cc_1", today()),
            Err(CommerceError::PolicyLimit(_))
        ));
        assert!(return_items(
            &p,
            &mut order("pending", "cc_1"),
            &customer(),
            &ids,
            "cc_1",
            today()
        )
        .is_err());
    }

    #[test]
    fn modify_payment_moves_the_total() {
        let p = CommercePolicy::default();
        let (mut o, mut c) = (order("pending", "gc_1"), customer());
        modify_payment(&p, &mut o, &mut c, "cc_1").ok();
        assert_eq!(c.payment_methods["gc_1"].balance, Some(30.0));
        assert_eq!(o.payment_history.len(), 3);
        let (mut o, mut c) = (order("pending", "cc_1"), customer());
        assert!(
            modify_payment(&p, &mut o, &mut c, "gc_1").is_err(),
            "gift card 10 < 20"
        );
        assert!(
            modify_payment(&p, &mut o, &mut c, "cc_1").is_err(),
            "same method"
        );
    }
}
