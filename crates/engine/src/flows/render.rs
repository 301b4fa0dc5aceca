//! How orders, items, addresses, payment methods and money are written in flow replies.

use super::*;

pub(super) fn money(amount: f64, policy: &CommercePolicy) -> String {
    format!("{amount:.2} {}", policy.currency)
}

pub(super) fn pm_label(customer: &Customer, id: &str) -> String {
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

pub(super) fn address_text(a: &Address) -> String {
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

pub(super) fn items_text(order: &Order, ids: &[String]) -> String {
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

pub(super) fn orders_list(orders: &[Order]) -> String {
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

pub(super) fn methods_list(customer: &Customer, filter: &dyn Fn(&str) -> bool) -> String {
    customer
        .payment_methods
        .keys()
        .filter(|id| filter(id))
        .map(|id| pm_label(customer, id))
        .collect::<Vec<_>>()
        .join("; ")
}
