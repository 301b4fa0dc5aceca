//! The customer's details read from a message while a flow collects them: the payment
//! method named, "whatever you had" for the default, an order number's ending, a name, an
//! address. `detect` re-exports them for the flows.

use super::detect::has;
use crate::lang::fold;
use frontdesk_core::commerce::{Address, Customer, PaymentMethod};
use regex::Regex;
use std::sync::OnceLock;

/// A payment method of the customer named in the text: an id (`paypal_123`), or a kind
/// ("paypal", "credit card", "gift card"/"store credit") with one method of that kind.
pub fn detect_payment(text: &str, customer: &Customer) -> Option<String> {
    let lower = text.to_lowercase();
    if let Some(pm) = customer
        .payment_methods
        .keys()
        .find(|id| lower.contains(id.as_str()))
    {
        return Some(pm.clone());
    }
    let f = fold(text);
    let kind = if has(&f, &["paypal", "pay pal"]) {
        "paypal"
    } else if has(
        &f,
        &[
            "gift card",
            "giftcard",
            "gc",
            "store credit",
            "website credit",
            "site credit",
            "poklon kartic",
            "vaucer",
        ],
    ) {
        "gift_card"
    } else if has(
        &f,
        &[
            "credit card",
            "card ending",
            "visa",
            "mastercard",
            "kreditn",
            "karticom",
            "kartic",
        ],
    ) {
        "credit_card"
    } else {
        return None;
    };
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
        .find(|m| m.last_four.as_deref().is_some_and(|l| lower.contains(l)))
        .map(|m| m.id.clone())
}

/// "I don't care / whatever / the original one": use the default.
pub fn wants_default(text: &str) -> bool {
    has(
        &fold(text),
        &[
            "don't care",
            "do not care",
            "doesn't matter",
            "whatever",
            "original",
            "same card",
            "same payment",
            "same method",
            "default",
            "svejedno",
            "isti nacin",
            "originaln",
            "nije bitno",
        ],
    )
}

/// "ends in 66" / "ending with 66": an order number suffix.
pub fn order_suffix(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)(?:ends? (?:in|with)|ending (?:in|with)|zavrsava (?:se )?(?:na|sa))\s*(\d{2,6})").ok()).as_ref()?;
    re.captures(&fold(text)).map(|c| c[1].to_string())
}

/// "first last" after "my name is" / "name: " (the engine's name entity misses lower case).
pub fn name_parts(names: &[String], text: &str) -> Option<(String, String)> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let found = names.first().cloned().or_else(|| {
        let re = RE.get_or_init(|| Regex::new(r"(?i)(?:name is|name's|zovem se|ime mi je|зовем се|име ми је)\s+([\p{L}'-]+\s+[\p{L}'-]+)").ok()).as_ref()?;
        re.captures(text).map(|c| c[1].to_string())
    })?;
    let mut parts = found.split_whitespace();
    let first = parts.next()?.to_string();
    let last = parts.last()?.to_string();
    Some((first, last))
}

/// A name written bare beside a postcode ("Lukas Weber, zip code 80802"): the message's words
/// once postcode labels and greetings are dropped, when two or three remain.
pub fn bare_name(text: &str) -> Option<(String, String)> {
    const NOT_NAME: &[&str] = &[
        "zip",
        "code",
        "postcode",
        "postal",
        "post",
        "is",
        "my",
        "name",
        "and",
        "i",
        "am",
        "im",
        "it",
        "its",
        "the",
        "hi",
        "hello",
        "hey",
        "here",
        "this",
        "ime",
        "prezime",
        "postanski",
        "broj",
        "je",
        "moj",
        "moje",
        "i",
        "zdravo",
        "ja",
        "sam",
        "zovem",
        "se",
        "pozdrav",
    ];
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '-' || c == '@'))
        .filter(|w| !w.is_empty() && !w.contains('@'))
        .filter(|w| {
            let f = fold(w).replace('\'', "");
            !NOT_NAME.contains(&f.as_str())
        })
        .collect();
    match words.as_slice() {
        [first, .., last] if (2..=3).contains(&words.len()) => {
            Some((first.to_string(), last.to_string()))
        }
        _ => None,
    }
}

/// An address as `key: 'value'` pairs (address1, address2, city, state, country, zip) or as
/// "street, [unit,] city, state zip, country".
pub fn parse_address(text: &str) -> Option<Address> {
    static KV: OnceLock<Option<Regex>> = OnceLock::new();
    if let Some(re) = KV
        .get_or_init(|| {
            Regex::new(
                r#"['"]?(address1|address2|city|state|country|zip)['"]?\s*[:=]\s*['"]([^'"]*)['"]"#,
            )
            .ok()
        })
        .as_ref()
    {
        let mut a = Address::default();
        let mut any = false;
        for c in re.captures_iter(text) {
            any = true;
            let v = c[2].trim().to_string();
            match &c[1] {
                "address1" => a.address1 = v,
                "address2" => a.address2 = v,
                "city" => a.city = v,
                "state" => a.state = v,
                "country" => a.country = v,
                _ => a.zip = v,
            }
        }
        if any && !a.address1.is_empty() && !a.city.is_empty() && !a.zip.is_empty() {
            return Some(a);
        }
    }
    static ZIP: OnceLock<Option<Regex>> = OnceLock::new();
    let zip_re = ZIP
        .get_or_init(|| Regex::new(r"^(?:([\p{L} .]+?)\s+)?(\d{5})$").ok())
        .as_ref()?;
    let body = text.rsplit(':').next().unwrap_or(text);
    let parts: Vec<&str> = body
        .split(',')
        .map(|p| p.trim().trim_end_matches('.'))
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(a) = european_address(&parts) {
        return Some(a);
    }
    let zip_pos = parts.iter().position(|p| zip_re.is_match(p))?;
    if zip_pos < 2 || !parts[0].chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let caps = zip_re.captures(parts[zip_pos])?;
    let state = caps
        .get(1)
        .map(|m| m.as_str().trim().to_string())
        .unwrap_or_default();
    let (city, address2) = if zip_pos >= 3 {
        (
            parts[zip_pos - 1].to_string(),
            parts[1..zip_pos - 1].join(", "),
        )
    } else {
        (parts[1].to_string(), String::new())
    };
    let (city, state) = if state.is_empty() && zip_pos >= 3 && city.len() <= 3 {
        (parts[zip_pos - 2].to_string(), city)
    } else {
        (city, state)
    };
    Some(Address {
        address1: parts[0].to_string(),
        address2,
        city,
        state,
        zip: caps[2].to_string(),
        country: parts
            .get(zip_pos + 1)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    })
}

/// "street number, [unit,] postcode city[, country]", the way most of Europe writes it.
fn european_address(parts: &[&str]) -> Option<Address> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r"^(\d{4,5})\s+(\p{L}[\p{L} .'-]*)$").ok())
        .as_ref()?;
    let zip_pos = 1 + parts.get(1..)?.iter().position(|p| re.is_match(p))?;
    if !parts[0].chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let caps = re.captures(parts[zip_pos])?;
    Some(Address {
        address1: parts[0].to_string(),
        address2: parts[1..zip_pos].join(", "),
        city: caps[2].trim().to_string(),
        state: String::new(),
        zip: caps[1].to_string(),
        country: parts
            .get(zip_pos + 1)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    })
}
