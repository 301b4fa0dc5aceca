//! Matching what the customer wrote against an order's items and a product's variants:
//! product names pick items, option words pick the new variant. The message's words are its
//! `Understanding::tokens`; names and option values are read with the same `tokens`.

use crate::lang::fold;
use crate::understanding::{size_step, tokens, Understanding};
use frontdesk_core::commerce::{Order, OrderItem, Product, Variant};
use frontdesk_core::text::clauses;

/// The candidates whose names share the most distinctive words with the text ("Beam 350
/// headlamp" is the Beam 350 Headlamp, not the Beam 600 R Rechargeable Headlamp). Words in
/// every name (the brand) do not count; a single shared number is not enough.
pub fn best_named<'a, T>(
    text_tokens: &[String],
    candidates: &'a [T],
    name: impl Fn(&T) -> &str,
) -> Vec<&'a T> {
    let names: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| {
            let mut t = tokens(name(c));
            t.sort();
            t.dedup();
            t
        })
        .collect();
    let everywhere = |w: &String| names.len() > 1 && names.iter().all(|n| n.contains(w));
    let scores: Vec<(usize, bool)> = names
        .iter()
        .map(|n| {
            let shared: Vec<&String> = n
                .iter()
                .filter(|w| !everywhere(w) && text_tokens.iter().any(|t| same_word(t, w)))
                .collect();
            let has_word = shared.iter().any(|w| w.chars().any(char::is_alphabetic));
            (shared.len(), has_word)
        })
        .collect();
    let best = scores
        .iter()
        .filter(|(n, word)| *word || *n >= 2)
        .map(|(n, _)| *n)
        .max()
        .unwrap_or(0);
    if best == 0 {
        return vec![];
    }
    candidates
        .iter()
        .zip(&scores)
        .filter(|(_, (n, word))| *n == best && (*word || *n >= 2))
        .map(|(c, _)| c)
        .collect()
}

fn same_word(a: &str, b: &str) -> bool {
    a == b || a.strip_suffix('s') == Some(b) || b.strip_suffix('s') == Some(a)
}

fn contains_seq(hay: &[String], needle: &[String]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.iter().zip(needle).all(|(a, b)| same_word(a, b)))
}

/// The product-name head word ("Gaming Mouse" → "mouse"), the word customers use.
fn head(name: &str) -> Option<String> {
    tokens(name).pop()
}

/// Whether `text` mentions the item's product ("the kettle", "tea kettle", "Electric Kettle").
pub fn mentions_product(text_tokens: &[String], name: &str) -> bool {
    let name_tokens = tokens(name);
    contains_seq(text_tokens, &name_tokens)
        || head(name).is_some_and(|h| text_tokens.iter().any(|t| same_word(t, &h)))
}

/// Items of `order` the message names; "everything" names them all. A full product name beats
/// a shared head word ("Digital Camera" is not the "Action Camera"), and among several lines of
/// one product the options the message names pick the line.
pub fn match_items(u: &Understanding, order: &Order) -> Vec<String> {
    if u.request.names_all_items {
        return order.items.iter().map(|i| i.item_id.clone()).collect();
    }
    let t = &u.tokens;
    let full: Vec<&OrderItem> = order
        .items
        .iter()
        .filter(|i| contains_seq(t, &tokens(&i.name)))
        .collect();
    let full_heads: Vec<String> = full.iter().filter_map(|i| head(&i.name)).collect();
    let hits: Vec<&OrderItem> = order
        .items
        .iter()
        .filter(|i| {
            full.iter().any(|x| std::ptr::eq(*x, *i))
                || head(&i.name)
                    .is_some_and(|h| !full_heads.contains(&h) && t.iter().any(|w| same_word(w, &h)))
                || t.iter().any(|w| w == &i.item_id)
        })
        .collect();
    let named_options = |i: &OrderItem| {
        i.options
            .values()
            .filter(|v| contains_seq(t, &tokens(v)))
            .count()
    };
    if hits.is_empty() {
        // No full name and no head word ("samo štapove Ridge Alu"): the item whose name shares
        // the most distinctive words, when only one does.
        if let [one] = best_named(t, &order.items, |i| i.name.as_str()).as_slice() {
            return vec![one.item_id.clone()];
        }
    }
    let mut out = Vec::new();
    for i in &hits {
        let same: Vec<&&OrderItem> = hits
            .iter()
            .filter(|x| x.product_id == i.product_id)
            .collect();
        let best = same.iter().map(|x| named_options(x)).max().unwrap_or(0);
        if same.len() == 1 || best == 0 || named_options(i) == best {
            out.push(i.item_id.clone());
        }
    }
    out
}

/// The items whose product offers, in another variant, an option value the words name ("make
/// it the 750 ml one", "trebaju mi 43-46"), when exactly one item of the order does: the
/// customer asked for something only that item can become. `products[i]` is the product of
/// `order.items[i]`. Single-letter values ("M", "L") are left out: they are ordinary words.
pub fn item_by_new_option(words: &[String], order: &Order, products: &[Product]) -> Option<String> {
    // How many words of the longest new value named ("43-46" beats the "43" of a boot size).
    let named_words = |item: &OrderItem, product: &Product| {
        product
            .variants
            .values()
            .filter(|v| v.item_id != item.item_id)
            .flat_map(|v| v.options.iter())
            .filter(|(k, val)| {
                val.chars().filter(|c| c.is_alphanumeric()).count() >= 2
                    && item.options.get(*k) != Some(*val)
            })
            .map(|(_, val)| tokens(val))
            .filter(|t| contains_seq(words, t))
            .map(|t| t.len())
            .max()
            .unwrap_or(0)
    };
    let scored: Vec<(&OrderItem, usize)> = order
        .items
        .iter()
        .zip(products)
        .filter(|(i, p)| i.product_id == p.product_id)
        .map(|(i, p)| (i, named_words(i, p)))
        .collect();
    let best = scored.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let mut found = scored.iter().filter(|(_, n)| best > 0 && *n == best);
    match (found.next(), found.next()) {
        (Some((one, _)), None) => Some(one.item_id.clone()),
        _ => None,
    }
}

/// Where a size value sits in the usual order: letter sizes (XS … XXL, "S/M" by its first
/// part), else its leading number ("43", "39-42", "500 ml").
fn size_rank(value: &str) -> Option<f64> {
    const LETTERS: &[&str] = &["xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl"];
    let v = fold(value);
    let first = v.split(['/', ' ', '-']).next().unwrap_or("");
    if let Some(i) = LETTERS.iter().position(|l| *l == first) {
        return Some(i as f64);
    }
    let digits: String = v
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse().ok()
}

/// The option value a size up (`step` 1) or down (-1) from `current`'s in the product's
/// own order of that option's values: the option named "size", else the only option whose
/// values all have a size order and differ among the variants.
fn stepped_size(product: &Product, current: &OrderItem, step: i8) -> Option<(String, String)> {
    let keys: Vec<&String> = current.options.keys().collect();
    let orderable = |k: &String| {
        let mut values: Vec<(f64, String)> = Vec::new();
        for v in product.variants.values() {
            let val = v.options.get(k)?;
            let rank = size_rank(val)?;
            if !values.iter().any(|(_, x)| x == val) {
                values.push((rank, val.clone()));
            }
        }
        (values.len() > 1).then_some(values)
    };
    let key = keys
        .iter()
        .find(|k| fold(k) == "size")
        .copied()
        .or_else(|| {
            match keys
                .iter()
                .filter(|k| orderable(k).is_some())
                .collect::<Vec<_>>()
                .as_slice()
            {
                [one] => Some(**one),
                _ => None,
            }
        })?;
    let mut values = orderable(key)?;
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let here = current.options.get(key)?;
    let at = values.iter().position(|(_, v)| v == here)?;
    let to = at.checked_add_signed(step as isize)?;
    values.get(to).map(|(_, v)| (key.clone(), v.clone()))
}

/// Orders whose items the words (`tokens`) name (for "the order with the kettle").
pub fn orders_mentioning<'a>(words: &[String], orders: &'a [Order]) -> Vec<&'a Order> {
    orders
        .iter()
        .filter(|o| o.items.iter().any(|i| mentions_product(words, &i.name)))
        .collect()
}

/// The part of `text` about `item`: clauses (sentences, cut again at semicolons) that name its
/// product, plus following clauses that name no other product of the order.
pub fn segment_for(text: &str, item: &OrderItem, order: &Order) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut current = false;
    for sentence in clauses(text) {
        let t = tokens(sentence);
        let mine = mentions_product(&t, &item.name);
        let other = order
            .items
            .iter()
            .any(|o| o.product_id != item.product_id && mentions_product(&t, &o.name));
        // A sentence naming two products ("modify Helmet {…} to {…} Hose {…} to {…}"): the
        // stretch from this item's name to the next other product's name is about it.
        if mine && other {
            if let Some(piece) = stretch_about(sentence, item, order) {
                out.push(piece);
            }
            current = false;
            continue;
        }
        if mine {
            current = true;
        } else if other {
            current = false;
        }
        if current {
            out.push(sentence.to_string());
        }
    }
    if out.is_empty() {
        text.to_string()
    } else {
        out.join(" ")
    }
}

/// Where `name` (or its head word) first occurs in the folded `text`, and how long the match is.
fn name_at(folded: &str, name: &str) -> Option<(usize, usize)> {
    let full = fold(name);
    folded.find(&full).map(|at| (at, full.len())).or_else(|| {
        let h = head(name)?;
        folded.find(&h).map(|at| (at, h.len()))
    })
}

/// The folded part of `sentence` from `item`'s name to the next name of another product of
/// the order.
fn stretch_about(sentence: &str, item: &OrderItem, order: &Order) -> Option<String> {
    let folded = fold(sentence);
    let (start, len) = name_at(&folded, &item.name)?;
    // Another product's name counts after this one's ("Action Camera" shares "camera" with
    // "Digital Camera").
    let after = start + len;
    let end = order
        .items
        .iter()
        .filter(|o| o.product_id != item.product_id)
        .filter_map(|o| {
            let at = name_at(&folded[after..], &o.name)?.0;
            Some(after + at)
        })
        .min()
        .unwrap_or(folded.len());
    Some(folded[start..end].to_string())
}

/// Outcome of picking a new variant for an item.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantChoice {
    /// The best available variant that differs in at least one option the customer named.
    Found(Variant),
    /// What the customer named exists but is out of stock.
    OutOfStock(Variant),
    /// Nothing named; ask.
    Unknown,
}

/// Ranking key of a candidate variant (higher is better), compared lexicographically.
type VariantScore = (i64, i64, i64, i64);

/// Picks the variant of `product` the words (`tokens`) ask for instead of `current`: each
/// option value that differs from the current one and is named counts; ties prefer fewer
/// unnamed changes, or the lower price when the customer asks for the cheaper one.
pub fn choose_variant(words: &[String], product: &Product, current: &OrderItem) -> VariantChoice {
    let cheaper = words
        .iter()
        .any(|w| w == "cheaper" || w == "cheapest" || w == "jeftinij" || w == "jeftiniji");
    // "A size up": the next size counts as named, and a size the words name outright wins.
    let stepped = size_step(words).and_then(|s| stepped_size(product, current, s));
    let mut best: Option<(VariantScore, &Variant)> = None;
    for v in product
        .variants
        .values()
        .filter(|v| v.item_id != current.item_id)
    {
        let (mut named, mut unnamed) = (0i64, 0i64);
        for (k, val) in &v.options {
            if current.options.get(k) == Some(val) {
                continue;
            }
            let stepped_to = stepped
                .as_ref()
                .is_some_and(|(key, value)| key == k && value == val);
            if contains_seq(words, &tokens(val)) || stepped_to {
                named += 1;
            } else {
                unnamed += 1;
            }
        }
        if named == 0 {
            continue;
        }
        let price = (v.price * 100.0).round() as i64;
        let avail = i64::from(v.available);
        let key = if cheaper {
            (named, avail, -price, -unnamed)
        } else {
            (named, avail, -unnamed, -price)
        };
        if best.as_ref().is_none_or(|b| key > b.0) {
            best = Some((key, v));
        }
    }
    match best {
        Some((_, v)) if v.available => VariantChoice::Found(v.clone()),
        Some((_, v)) => VariantChoice::OutOfStock(v.clone()),
        None => VariantChoice::Unknown,
    }
}

pub fn options_text(options: &std::collections::BTreeMap<String, String>) -> String {
    options.values().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::ConversationState;
    use std::collections::BTreeMap;

    /// The items `text` names, read as the engine reads a message.
    fn match_items(text: &str, order: &Order) -> Vec<String> {
        let u = crate::understanding::understand(text, &ConversationState::default(), None, &[]);
        super::match_items(&u, order)
    }

    /// The variant `text` asks for, read as the engine reads a message.
    fn choose_variant(text: &str, product: &Product, current: &OrderItem) -> VariantChoice {
        super::choose_variant(&tokens(text), product, current)
    }

    #[test]
    fn each_item_of_a_run_on_request_gets_its_own_stretch() {
        let order: Order = serde_json::from_value(serde_json::json!({
            "order_id": "#W1", "user_id": "u", "status": "pending",
            "address": {"address1": "", "address2": "", "city": "", "country": "", "state": "", "zip": ""},
            "items": [
                {"name": "Cycling Helmet", "product_id": "p1", "item_id": "i1", "price": 1.0, "options": {"size": "M"}},
                {"name": "Garden Hose", "product_id": "p2", "item_id": "i2", "price": 1.0, "options": {"length": "50ft"}}
            ],
            "fulfillments": [], "payment_history": []
        }))
        .unwrap();
        let text = "For #W1, modify Cycling Helmet {'size': 'M'} to {'ventilation': 'high'} Garden Hose {'length': '50ft'} to {'capacity': '1.5L'} via paypal_1.";
        let helmet = segment_for(text, &order.items[0], &order);
        let hose = segment_for(text, &order.items[1], &order);
        assert!(
            helmet.contains("high") && !helmet.contains("1.5l"),
            "{helmet}"
        );
        assert!(hose.contains("1.5l") && !hose.contains("high"), "{hose}");

        let mut cameras = order.clone();
        cameras.items[0].name = "Digital Camera".into();
        cameras.items[1].name = "Action Camera".into();
        let text =
            "exchange Digital Camera {'zoom': '3x'} to {'zoom': '5x', 'storage': 'CF card'};";
        let digital = segment_for(text, &cameras.items[0], &cameras);
        assert!(
            digital.contains("cf card"),
            "a shared head word is not another product: {digital}"
        );
    }

    fn variant(id: &str, opts: &[(&str, &str)], available: bool, price: f64) -> Variant {
        Variant {
            item_id: id.into(),
            options: opts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            available,
            price,
        }
    }
    fn mouse() -> (Product, OrderItem) {
        let vs = [
            variant(
                "cur",
                &[
                    ("color", "black"),
                    ("sensor", "laser"),
                    ("connectivity", "wired"),
                ],
                true,
                100.0,
            ),
            variant(
                "wo_wired",
                &[
                    ("color", "white"),
                    ("sensor", "optical"),
                    ("connectivity", "wired"),
                ],
                true,
                90.0,
            ),
            variant(
                "wo_wless",
                &[
                    ("color", "white"),
                    ("sensor", "optical"),
                    ("connectivity", "wireless"),
                ],
                true,
                80.0,
            ),
            variant(
                "red",
                &[
                    ("color", "red"),
                    ("sensor", "laser"),
                    ("connectivity", "wired"),
                ],
                false,
                100.0,
            ),
        ];
        let product = Product {
            name: "Gaming Mouse".into(),
            product_id: "p".into(),
            variants: vs.iter().map(|v| (v.item_id.clone(), v.clone())).collect(),
        };
        let item = OrderItem {
            name: "Gaming Mouse".into(),
            product_id: "p".into(),
            item_id: "cur".into(),
            price: 100.0,
            options: vs[0].options.clone(),
        };
        (product, item)
    }

    #[test]
    fn variant_choice_table() {
        let (p, item) = mouse();
        let cases: &[(&str, &str)] = &[
            ("I want a white optical mouse", "wo_wired"),
            (
                "a white optical one, wired or not, whichever is cheaper",
                "wo_wless",
            ),
            ("white, optical, wireless please", "wo_wless"),
        ];
        for (text, want) in cases {
            assert_eq!(
                choose_variant(text, &p, &item),
                VariantChoice::Found(p.variants[*want].clone()),
                "{text}"
            );
        }
        assert!(matches!(
            choose_variant("the red one", &p, &item),
            VariantChoice::OutOfStock(_)
        ));
        assert_eq!(
            choose_variant("something else", &p, &item),
            VariantChoice::Unknown
        );
    }

    #[test]
    fn items_by_product_words() {
        let item = |id: &str, name: &str| OrderItem {
            name: name.into(),
            product_id: name.into(),
            item_id: id.into(),
            price: 1.0,
            options: BTreeMap::new(),
        };
        let order = Order {
            order_id: "#1".into(),
            user_id: "u".into(),
            address: Default::default(),
            items: vec![
                item("1", "Electric Kettle"),
                item("2", "Desk Lamp"),
                item("3", "Skateboard"),
            ],
            fulfillments: vec![],
            status: "delivered".into(),
            payment_history: vec![],
            extra: BTreeMap::new(),
        };
        assert_eq!(match_items("the tea kettle is ugly", &order), vec!["1"]);
        assert_eq!(
            match_items("return the skateboard and the desk lamp", &order),
            vec!["2", "3"]
        );
        assert_eq!(match_items("return everything", &order).len(), 3);
        assert!(match_items("hello", &order).is_empty());
        let seg = segment_for(
            "The kettle is fine. I want the lamp in white. Also brighter",
            &order.items[1],
            &order,
        );
        assert!(seg.contains("white") && seg.contains("brighter") && !seg.contains("kettle"));
    }

    #[test]
    fn a_size_up_or_down_follows_the_products_own_size_order() {
        let jacket = Product {
            name: "Shell Jacket".into(),
            product_id: "j".into(),
            variants: [
                variant("red_m", &[("color", "red"), ("size", "M")], true, 90.0),
                variant("red_l", &[("color", "red"), ("size", "L")], true, 90.0),
                variant("red_s", &[("color", "red"), ("size", "S")], true, 90.0),
                variant("black_l", &[("color", "black"), ("size", "L")], true, 90.0),
                variant("red_xl", &[("color", "red"), ("size", "XL")], false, 90.0),
            ]
            .into_iter()
            .map(|v| (v.item_id.clone(), v))
            .collect(),
        };
        let item = |id: &str| OrderItem {
            name: "Shell Jacket".into(),
            product_id: "j".into(),
            item_id: id.into(),
            price: 90.0,
            options: jacket.variants[id].options.clone(),
        };
        let found = |id: &str| VariantChoice::Found(jacket.variants[id].clone());
        assert_eq!(
            choose_variant("the next size up, still red", &jacket, &item("red_m")),
            found("red_l")
        );
        assert_eq!(
            choose_variant("treba mi manja", &jacket, &item("red_m")),
            found("red_s")
        );
        assert_eq!(
            choose_variant("a size up in black", &jacket, &item("red_m")),
            found("black_l")
        );
        assert!(matches!(
            choose_variant("one size bigger", &jacket, &item("red_l")),
            VariantChoice::OutOfStock(v) if v.item_id == "red_xl"
        ));
        // Nothing smaller than S.
        assert_eq!(
            choose_variant("a smaller one", &jacket, &item("red_s")),
            VariantChoice::Unknown
        );
        // Numbers order by value, ranges by their first number.
        let socks = Product {
            name: "Socks".into(),
            product_id: "s".into(),
            variants: [
                variant("s1", &[("size", "35-38")], true, 9.0),
                variant("s3", &[("size", "43-46")], true, 9.0),
                variant("s2", &[("size", "39-42")], true, 9.0),
            ]
            .into_iter()
            .map(|v| (v.item_id.clone(), v))
            .collect(),
        };
        let current = OrderItem {
            name: "Socks".into(),
            product_id: "s".into(),
            item_id: "s2".into(),
            price: 9.0,
            options: socks.variants["s2"].options.clone(),
        };
        assert_eq!(
            choose_variant("већи број", &socks, &current),
            VariantChoice::Found(socks.variants["s3"].clone())
        );
    }

    #[test]
    fn an_option_only_one_item_can_take_picks_that_item() {
        let (mouse, mouse_item) = mouse();
        let lamp = Product {
            name: "Desk Lamp".into(),
            product_id: "lamp".into(),
            variants: [
                variant("lamp_black", &[("color", "black")], true, 40.0),
                variant("lamp_white", &[("color", "white")], true, 45.0),
            ]
            .into_iter()
            .map(|v| (v.item_id.clone(), v))
            .collect(),
        };
        let lamp_item = OrderItem {
            name: "Desk Lamp".into(),
            product_id: "lamp".into(),
            item_id: "lamp_black".into(),
            price: 40.0,
            options: lamp.variants["lamp_black"].options.clone(),
        };
        let order = Order {
            order_id: "#1".into(),
            user_id: "u".into(),
            address: Default::default(),
            items: vec![mouse_item, lamp_item],
            fulfillments: vec![],
            status: "pending".into(),
            payment_history: vec![],
            extra: BTreeMap::new(),
        };
        let products = [mouse, lamp];
        let pick = |text: &str| item_by_new_option(&tokens(text), &order, &products);
        // Only the mouse comes wireless.
        assert_eq!(
            pick("can it be the wireless one instead"),
            Some("cur".into())
        );
        // Both come in white: ask.
        assert_eq!(pick("I'd like it in white"), None);
        // Black is what the lamp is already, and a mouse variant is not new to the mouse.
        assert_eq!(pick("the laser wired black"), None);
        assert_eq!(pick("hello"), None);
    }
}
