//! What each write action does to orders, items, payment methods and gift-card balances,
//! rebuilt from the tau-retail shop policy. Pure functions over the data so every rule is
//! table-testable without a database.

use frontdesk_core::commerce::{
    Address, Customer, Order, OrderItem, OrderLine, PaymentTransaction, Product,
};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::text::fold;
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

/// A write on one existing order. Every backend runs it the same way: load the order and its
/// customer (locked for the transaction where the database has row locks), `apply` the edit,
/// write both back, commit. The rule for each action lives above; this is the one dispatch.
#[derive(Debug, Clone, Copy)]
pub enum OrderEdit<'a> {
    Cancel {
        reason: &'a str,
    },
    Address {
        address: &'a Address,
    },
    Items {
        item_ids: &'a [String],
        new_item_ids: &'a [String],
        payment_method_id: &'a str,
    },
    Payment {
        payment_method_id: &'a str,
    },
    Return {
        item_ids: &'a [String],
        payment_method_id: &'a str,
    },
    Exchange {
        item_ids: &'a [String],
        new_item_ids: &'a [String],
        payment_method_id: &'a str,
    },
}

impl OrderEdit<'_> {
    /// Whether `apply` looks products up (item swaps); a backend loads the order's products
    /// only then.
    pub fn needs_products(&self) -> bool {
        matches!(self, OrderEdit::Items { .. } | OrderEdit::Exchange { .. })
    }

    pub fn apply(
        &self,
        policy: &CommercePolicy,
        order: &mut Order,
        customer: &mut Customer,
        products: &dyn Fn(&str) -> Option<Product>,
        today: chrono::NaiveDate,
    ) -> Result<(), CommerceError> {
        match *self {
            OrderEdit::Cancel { reason } => cancel(policy, order, customer, reason),
            OrderEdit::Address { address } => modify_address(policy, order, address),
            OrderEdit::Items {
                item_ids,
                new_item_ids,
                payment_method_id,
            } => modify_items(
                policy,
                order,
                customer,
                item_ids,
                new_item_ids,
                payment_method_id,
                products,
            )
            .map(drop),
            OrderEdit::Payment { payment_method_id } => {
                modify_payment(policy, order, customer, payment_method_id)
            }
            OrderEdit::Return {
                item_ids,
                payment_method_id,
            } => {
                return_items(policy, order, customer, item_ids, payment_method_id, today).map(drop)
            }
            OrderEdit::Exchange {
                item_ids,
                new_item_ids,
                payment_method_id,
            } => exchange_items(
                policy,
                order,
                customer,
                item_ids,
                new_item_ids,
                payment_method_id,
                products,
                today,
            )
            .map(drop),
        }
    }
}

/// Today's date for the return window.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// A new order for `customer` from `lines`, priced from `products` (which must hold every
/// product with a variant named in `lines`; others are ignored), charged to
/// `payment_method_id` (a gift card is debited at once) and added to the customer's orders.
pub fn new_order(
    customer: &mut Customer,
    order_id: String,
    lines: &[OrderLine],
    address: &Address,
    payment_method_id: &str,
    products: &[Product],
) -> Result<Order, CommerceError> {
    if lines.is_empty() || lines.iter().any(|l| l.quantity == 0) {
        return Err(CommerceError::NotAllowed(
            "an order needs at least one line with a quantity above zero".into(),
        ));
    }
    let mut items = Vec::new();
    for line in lines {
        let (product, variant) = products
            .iter()
            .find_map(|p| p.variants.get(&line.item_id).map(|v| (p, v)))
            .ok_or_else(|| CommerceError::NotFound {
                what: "item",
                id: line.item_id.clone(),
            })?;
        if !variant.available {
            return Err(CommerceError::OutOfStock(format!(
                "{} {:?}",
                product.name, variant.options
            )));
        }
        for _ in 0..line.quantity {
            items.push(OrderItem {
                name: product.name.clone(),
                product_id: product.product_id.clone(),
                item_id: variant.item_id.clone(),
                price: variant.price,
                options: variant.options.clone(),
            });
        }
    }
    let total = round2(items.iter().map(|i| i.price).sum());
    let pm = payment_method(customer, payment_method_id)?;
    if pm.source == "gift_card" {
        let balance = pm.balance.unwrap_or(0.0);
        if balance + 1e-9 < total {
            return Err(CommerceError::PaymentMethodInvalid(format!(
                "gift card {payment_method_id} has {balance:.2}, the order costs {total:.2}"
            )));
        }
        pm.balance = Some(round2(balance - total));
    }
    let order = Order {
        order_id,
        user_id: customer.user_id.clone(),
        address: address.clone(),
        items,
        fulfillments: vec![],
        status: "pending".into(),
        payment_history: vec![PaymentTransaction {
            transaction_type: "payment".into(),
            amount: total,
            payment_method_id: payment_method_id.into(),
        }],
        extra: std::collections::BTreeMap::new(),
    };
    customer.orders.push(order.order_id.clone());
    Ok(order)
}

/// The id after the highest numbered one in `ids`, with that id's prefix (`#W1000001` when
/// there is none above a million).
pub fn next_order_id<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let (mut prefix, mut max) = (String::from("#W"), 1_000_000u64);
    for id in ids {
        let digits: String = id.chars().filter(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse::<u64>() {
            if n >= max {
                max = n;
                prefix = id.chars().take_while(|c| !c.is_ascii_digit()).collect();
            }
        }
    }
    format!("{prefix}{}", max + 1)
}

/// Whether `customer` has this name and postcode (case and surrounding spaces ignored).
pub fn matches_name_zip(customer: &Customer, first_name: &str, last_name: &str, zip: &str) -> bool {
    // One form for every spelling of a name: case, script and diacritics aside ("Дара Лукић",
    // "dara lukic" and "Dara Lukić" are one name), as `frontdesk_core::text::fold` makes it.
    let eq = |a: &str, b: &str| fold(a.trim()) == fold(b.trim());
    eq(&customer.name.first_name, first_name)
        && eq(&customer.name.last_name, last_name)
        && eq(&customer.address.zip, zip)
}

/// Whether every word of `query` occurs in the product's name or its variants' options
/// (case ignored; an empty query matches every product).
pub fn product_matches(product: &Product, query: &str) -> bool {
    let hay = format!(
        "{} {}",
        product.name,
        product
            .variants
            .values()
            .flat_map(|v| v.options.values())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    )
    .to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|w| hay.contains(w))
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
    fn order_numbers_follow_the_highest() {
        for (ids, want) in [
            (vec![], "#W1000001"),
            (vec!["#W1", "#W2"], "#W1000001"),
            (vec!["#W1000001", "#W7"], "#W1000002"),
            (vec!["#W5939391", "A1000000"], "#W5939392"),
            (vec!["#W1", "SO-2000000"], "SO-2000001"),
        ] {
            assert_eq!(next_order_id(ids.iter().copied()), want, "{ids:?}");
        }
    }

    #[test]
    fn new_order_prices_checks_and_charges() {
        let line = |id: &str, quantity| OrderLine {
            item_id: id.into(),
            quantity,
        };
        let products = [product(false)];
        let (mut c, addr) = (customer(), Address::default());
        for (lines, pm, want) in [
            (vec![], "cc_1", "not allowed"),
            (vec![line("a", 0)], "cc_1", "not allowed"),
            (vec![line("z", 1)], "cc_1", "item z not found"),
            (vec![line("b", 1)], "cc_1", "out of stock"),
            (vec![line("a", 1)], "pp_9", "payment method invalid"),
            (vec![line("a", 1)], "gc_1", "payment method invalid"),
        ] {
            let r = new_order(&mut c, "#W9".into(), &lines, &addr, pm, &products);
            assert!(
                r.as_ref()
                    .err()
                    .is_some_and(|e| e.to_string().starts_with(want)),
                "{lines:?} {pm}: {r:?}"
            );
        }
        assert_eq!(c, customer(), "a refused order changes nothing");
        let mut cheap = product(true);
        if let Some(v) = cheap.variants.get_mut("a") {
            v.price = 4.5;
        }
        let o = new_order(
            &mut c,
            "#W9".into(),
            &[line("a", 2)],
            &addr,
            "gc_1",
            &[cheap],
        )
        .expect("order");
        assert_eq!(
            (
                o.items.len(),
                o.payment_history[0].amount,
                o.status.as_str()
            ),
            (2, 9.0, "pending")
        );
        assert_eq!(c.payment_methods["gc_1"].balance, Some(1.0));
        assert_eq!(c.orders, ["#1", "#W9"]);
    }

    #[test]
    fn lookups_ignore_case_spaces_script_and_diacritics() {
        let mut c = customer();
        c.name.first_name = "Ana".into();
        c.name.last_name = "Ivić".into();
        c.address.zip = "21000".into();
        assert!(matches_name_zip(&c, " ana", "IVIĆ ", "21000"));
        assert!(matches_name_zip(&c, "ana", "ivic", "21000"));
        assert!(matches_name_zip(&c, "Ана", "Ивић", "21000"));
        assert!(!matches_name_zip(&c, "ana", "ivan", "21000"));
        assert!(!matches_name_zip(&c, "ana", "ivić", "11000"));
        let mut p = product(true);
        if let Some(v) = p.variants.get_mut("b") {
            v.options.insert("color".into(), "White".into());
        }
        for (query, want) in [("", true), ("LAMP white", true), ("lamp black", false)] {
            assert_eq!(product_matches(&p, query), want, "{query}");
        }
    }

    #[test]
    fn order_edits_dispatch_to_their_rule() {
        let p = CommercePolicy::default();
        let ids = ["a".to_string()];
        let new = ["b".to_string()];
        let lookup = |_: &str| Some(product(true));
        let cases: [(OrderEdit<'_>, &str, &str); 4] = [
            (
                OrderEdit::Cancel {
                    reason: "no longer needed",
                },
                "pending",
                "cancelled",
            ),
            (
                OrderEdit::Items {
                    item_ids: &ids,
                    new_item_ids: &new,
                    payment_method_id: "cc_1",
                },
                "pending",
                "pending (item modified)",
            ),
            (
                OrderEdit::Return {
                    item_ids: &ids,
                    payment_method_id: "cc_1",
                },
                "delivered",
                "return requested",
            ),
            (
                OrderEdit::Exchange {
                    item_ids: &ids,
                    new_item_ids: &new,
                    payment_method_id: "cc_1",
                },
                "delivered",
                "exchange requested",
            ),
        ];
        for (edit, from, to) in cases {
            let (mut o, mut c) = (order(from, "cc_1"), customer());
            edit.apply(&p, &mut o, &mut c, &lookup, today())
                .expect("applies");
            assert_eq!(o.status, to, "{edit:?}");
        }
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
