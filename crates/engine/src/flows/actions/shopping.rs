//! Shopping: placing an order for a catalogue product, and product suggestions.

use super::*;
use crate::understanding::tokens;

/// Catalogue products the message names (full name, else the most distinctive words of one).
pub(in crate::flows) fn products_named<'p>(
    u: &Understanding,
    products: &'p [Product],
) -> Vec<&'p Product> {
    let t = &u.tokens;
    let full: Vec<&Product> = products
        .iter()
        .filter(|p| {
            let n = tokens(&p.name);
            !n.is_empty() && t.windows(n.len()).any(|w| w == n.as_slice())
        })
        .collect();
    if !full.is_empty() {
        return full;
    }
    matching::best_named(t, products, |p| p.name.as_str())
}

pub(in crate::flows) async fn place_order(act: CustomerTurn<'_, '_>) -> FlowOutcome {
    let (mut turn, fs, customer, u) = act.parts();
    let ctx = turn.ctx;
    let products = match ctx.commerce.search_products("").await {
        Ok(p) => p,
        Err(e) => return fail(&mut turn, &e),
    };
    let named = products_named(u, &products);
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
        fs.ask(Slot::Product);
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
    match matching::choose_variant(&u.tokens, product, &blank) {
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
        fs.ask(Slot::Variant);
        let text = turn.say(
            "ask_variant",
            &[("item", &product.name), ("variants", &list())],
        );
        return turn.reply(text, false);
    };
    if let Some(q) = u.request.quantity {
        fs.quantity = Some(q);
    }
    let quantity = fs.quantity.unwrap_or(1).max(1);
    if let Some(a) = u.request.address.clone() {
        fs.address = Some(a);
    }
    let address = fs
        .address
        .clone()
        .unwrap_or_else(|| customer.address.clone());
    if let Some(pm) = method_named(&u.request.payment, customer) {
        fs.payment_method_id = Some(pm);
    } else if fs.payment_method_id.is_none() && customer.payment_methods.len() == 1 {
        fs.payment_method_id = customer.payment_methods.keys().next().cloned();
    }
    let Some(pm) = fs.payment_method_id.clone() else {
        return ask_payment(turn, fs, customer, &|_| true);
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
    let call = ActionCall::PlaceOrder {
        user_id: customer.user_id.clone(),
        lines: vec![OrderLine {
            item_id: variant.item_id.clone(),
            quantity,
        }],
        address,
        payment_method_id: pm,
    };
    confirm(turn, fs, Plan::new(call, summary))
}

/// Catalogue products named in `passages`, ordered by a rank-weighted count (a product in the
/// best passage, near its start, first).
pub(in crate::flows) fn described_products<'p>(
    passages: &[String],
    products: &'p [Product],
) -> Vec<(f64, &'p Product)> {
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

pub(in crate::flows) async fn recommend(
    mut turn: Turn<'_, '_>,
    customer: Option<&Customer>,
    u: &Understanding,
    ctx: &FlowContext<'_>,
) -> FlowOutcome {
    let products = match ctx.commerce.search_products("").await {
        Ok(p) => p,
        Err(e) => return fail(&mut turn, &e),
    };
    let budget = u.entities.money.first().map(|m| m.amount);
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
    let named = products_named(u, &products);
    if !described.is_empty() && !u.request.asks_for_accessories {
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
                .filter(|p| tokens(&p.name).iter().any(|t| t == w))
                .count()
                * 2
                > products.len()
    };
    let seed_words: Vec<String> = seeds
        .iter()
        .flat_map(|p| tokens(&p.name))
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
                tokens(&p.name)
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
