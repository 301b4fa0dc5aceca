//! Rule-based reading of a customer message for the action flows: which action, and slot
//! values (reason, payment method, address, order ids, identity). Matched on folded text so
//! one list covers English and both Serbian scripts.

use crate::lang::fold;
use frontdesk_core::commerce::{Address, Customer, PaymentMethod};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Status,
    /// Cancel a pending order or return delivered items: the order's status decides which.
    Refund,
    /// Modify a pending order's items or exchange delivered ones: the status decides which.
    ChangeItems,
    Payment,
    OrderAddress,
    UserAddress,
    PlaceOrder,
    Recommend,
}

impl Action {
    pub fn from_intent(intent: &str) -> Option<Action> {
        use frontdesk_core::intents as i;
        Some(match intent {
            i::ORDER_STATUS => Action::Status,
            i::CANCEL_ORDER | i::RETURN_ITEMS => Action::Refund,
            i::EXCHANGE_ITEMS | i::MODIFY_ORDER_ITEMS => Action::ChangeItems,
            i::CHANGE_PAYMENT_METHOD => Action::Payment,
            i::CHANGE_ORDER_ADDRESS => Action::OrderAddress,
            i::CHANGE_DEFAULT_ADDRESS => Action::UserAddress,
            i::PLACE_ORDER => Action::PlaceOrder,
            i::RECOMMEND_PRODUCT => Action::Recommend,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Action::Status => "order_status",
            Action::Refund => "cancel_or_return",
            Action::ChangeItems => "change_items",
            Action::Payment => "modify_pending_order_payment",
            Action::OrderAddress => "modify_pending_order_address",
            Action::UserAddress => "modify_user_address",
            Action::PlaceOrder => "place_order",
            Action::Recommend => "recommend_product",
        }
    }
}

fn has(f: &str, words: &[&str]) -> bool {
    words.iter().any(|w| phrase_at(f, w).is_some())
}

/// Byte offset of `w` in `f` at a word start (prefix match: "vrat" finds "vratim").
fn phrase_at(f: &str, w: &str) -> Option<usize> {
    let mut start = 0;
    while let Some(i) = f[start..].find(w) {
        let at = start + i;
        let before_ok = at == 0
            || !f[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
        if before_ok {
            return Some(at);
        }
        start = at + w.len();
    }
    None
}

const PAYMENT: &[&str] = &[
    "change payment",
    "change the payment",
    "change my payment",
    "update the payment",
    "update my payment",
    "switch payment",
    "switch the payment",
    "pay with a different",
    "use a different payment",
    "promeni nacin placanja",
    "promenim nacin placanja",
    "drugi nacin placanja",
    "promeni placanje",
    "promenim placanje",
];
const USER_ADDRESS: &[&str] = &[
    "default address",
    "my address in my profile",
    "profile address",
    "address on my account",
    "podrazumevanu adresu",
    "adresu na nalogu",
    "adresu u profilu",
    "adresu na mom nalogu",
    "adresu u mom profilu",
    "address on my account",
    "address in my profile",
    "address of my account",
];
const ORDER_ADDRESS: &[&str] = &[
    "change address",
    "change the address",
    "change my address",
    "shipping address",
    "change the shipping",
    "address to",
    "wrong address",
    "promeni adresu",
    "promenim adresu",
    "promenite adresu",
    "izmeni adresu",
    "izmenite adresu",
    "adresu za porudzbinu",
    "adresu porudzbine",
    "adresu isporuke",
    "adresu dostave",
    "drugu adresu",
];
const CHANGE_ITEMS: &[&str] = &[
    "exchange",
    "modify",
    "swap",
    "replace",
    "different size",
    "different color",
    "different colour",
    "change it to",
    "change the",
    "change my",
    "instead",
    "wrong size",
    "wrong color",
    "wrong deck",
    "picked the wrong",
    "zamen",
    "razmen",
    "drugu velicinu",
    "drugu boju",
    "promeni velicinu",
    "promeni boju",
];
const REFUND: &[&str] = &[
    "cancel",
    "refund",
    "return",
    "send back",
    "send it back",
    "not receive",
    "don't want to receive",
    "money back",
    "don't need",
    "do not need",
    "otkaz",
    "otkaz",
    "vrat",
    "povrat",
    "refundac",
    "ne treba mi",
    "storn",
];
const STATUS: &[&str] = &[
    "where is my order",
    "where's my order",
    "order status",
    "status of my order",
    "status of order",
    "track",
    "tracking",
    "has it shipped",
    "when will",
    "gde je moja",
    "gde je porudzbin",
    "status porudzbin",
    "pracenje",
    "kada stize",
    "kad stize",
];
const PLACE: &[&str] = &[
    "place an order",
    "place a new order",
    "i want to order",
    "i'd like to order",
    "i would like to order",
    "want to buy",
    "like to buy",
    "order a ",
    "order the ",
    "buy a ",
    "zelim da narucim",
    "narucio bih",
    "narucila bih",
    "da narucim",
    "zelim da kupim",
    "kupio bih",
    "kupila bih",
];
const RECOMMEND: &[&str] = &[
    "recommend",
    "suggest",
    "what goes with",
    "what else",
    "accessor",
    "preporu",
    "predlo",
    "sta ide uz",
    "dodatn",
];

/// A quantity above one written as a word ("two", "dva", "dve", "три"), unless it counts people
/// ("two person tent"). "One" is not read: "the black one" names a variant, and one is the
/// default anyway.
pub fn quantity_in_words(text: &str) -> Option<u32> {
    const WORDS: &[(&str, u32)] = &[
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("dva", 2),
        ("dve", 2),
        ("dvije", 2),
        ("tri", 3),
        ("cetiri", 4),
        ("pet", 5),
        ("sest", 6),
    ];
    const PEOPLE: &[&str] = &["person", "people", "man", "osob", "coveka", "clan"];
    let words: Vec<String> = fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let n = WORDS.iter().find(|(word, _)| word == w)?.1;
        let counts_people = words
            .get(i + 1)
            .is_some_and(|next| PEOPLE.iter().any(|p| next.starts_with(p)));
        (!counts_people).then_some(n)
    })
}

/// The suggestion asked for goes with something the customer has or names ("what goes with
/// the Alpina tent?", "accessories for my stove"), rather than being a product for a need.
pub fn asks_for_accessories(text: &str) -> bool {
    has(
        &fold(text),
        &[
            "goes with",
            "go with",
            "accessor",
            "for the ",
            "for my ",
            "with my ",
            "sta ide uz",
            "ide uz",
            "dodat",
            "za moj",
            "uz moj",
        ],
    )
}

/// The message asks for a product suggestion.
pub fn wants_recommendation(text: &str) -> bool {
    has(&fold(text), RECOMMEND)
}

/// The action a message asks for, by keywords (most specific first).
pub fn detect_action(text: &str) -> Option<Action> {
    let f = fold(text);
    let table: [(&[&str], Action); 8] = [
        (PAYMENT, Action::Payment),
        (USER_ADDRESS, Action::UserAddress),
        (ORDER_ADDRESS, Action::OrderAddress),
        (CHANGE_ITEMS, Action::ChangeItems),
        (REFUND, Action::Refund),
        (STATUS, Action::Status),
        (PLACE, Action::PlaceOrder),
        (RECOMMEND, Action::Recommend),
    ];
    table
        .into_iter()
        .find(|(words, _)| has(&f, words))
        .map(|(_, a)| a)
}

const ABORT: &[&str] = &[
    "never mind",
    "nevermind",
    "forget it",
    "forget about it",
    "don't do it",
    "do not do it",
    "stop",
    "changed my mind",
    "keep it",
    "keep all",
    "keep the",
    "nema veze",
    "odustajem",
    "zaboravi",
    "ne radi to",
    "predomislio",
    "predomislila",
];

/// The customer drops the request in progress.
pub fn is_abort(text: &str) -> bool {
    has(&fold(text), ABORT)
}

/// A cancellation reason from the policy's list, by keywords.
pub fn detect_reason(text: &str, allowed: &[String]) -> Option<String> {
    let f = fold(text);
    let mistake = has(
        &f,
        &[
            "mistake",
            "by accident",
            "accidentally",
            "accidental",
            "wrong item",
            "greskom",
            "slucajno",
            "pogresno",
        ],
    );
    let not_needed = has(
        &f,
        &[
            "no longer",
            "don't need",
            "do not need",
            "not need",
            "won't need",
            "won't be able",
            "not be able to receive",
            "not receive",
            "changed my mind",
            "cheaper",
            "found it",
            "other store",
            "ne treba",
            "vise mi ne",
            "nije mi potreb",
        ],
    );
    let want = if mistake {
        "mistake"
    } else if not_needed {
        "no longer"
    } else {
        return None;
    };
    allowed
        .iter()
        .find(|r| r.contains(want))
        .cloned()
        .or_else(|| {
            allowed.is_empty().then(|| {
                if mistake {
                    "ordered by mistake".into()
                } else {
                    "no longer needed".into()
                }
            })
        })
}

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

/// Order ids written without `#` ("W2307204") or with it.
pub fn order_ids(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| Regex::new(r"#?\b([A-Z]{1,2}\d{4,10})\b").ok())
        .as_ref()
    else {
        return vec![];
    };
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let id = format!("#{}", &c[1]);
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// `text` with every order number taken out (the forms `order_ids` and the entity patterns
/// read), so an older message can be read for everything but the order.
pub fn mask_order_ids(text: &str) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            Regex::new(
                r"(?i)\b(order|porud[žz]bin\w*|narud[žz]bin\w*|поруџбин\w*|наруџбин\w*)(\s*(?:number|no\.?|nr\.?|br\.?|broj|број|id)?\s*[:#]?\s*)[A-Za-z]{0,2}\d{3,10}\b|#\s?[A-Za-z]{0,2}\d{3,10}\b|\b[A-Z]{1,2}\d{4,10}\b",
            )
            .ok()
        })
        .as_ref()
    else {
        return text.to_string();
    };
    re.replace_all(text, "$1").into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_actions_table() {
        let cases: &[(&str, Option<Action>)] = &[
            ("I want to cancel order #W123", Some(Action::Refund)),
            ("I'd like to return the lamp", Some(Action::Refund)),
            ("Želim da vratim jaknu", Some(Action::Refund)),
            ("Желим да откажем поруџбину", Some(Action::Refund)),
            (
                "Can I exchange the mouse for a white one?",
                Some(Action::ChangeItems),
            ),
            ("change payment to paypal", Some(Action::Payment)),
            (
                "Please update my default address",
                Some(Action::UserAddress),
            ),
            (
                "I need to change the shipping address of my order",
                Some(Action::OrderAddress),
            ),
            (
                "Promenite adresu za porudžbinu #K1011",
                Some(Action::OrderAddress),
            ),
            (
                "Преселио сам се, промените адресу на мом налогу",
                Some(Action::UserAddress),
            ),
            (
                "For #W1, modify Water Bottle {'color': 'red'} to {'color': 'black'}",
                Some(Action::ChangeItems),
            ),
            ("Where is my order #K1001?", Some(Action::Status)),
            ("I'd like to order a headlamp", Some(Action::PlaceOrder)),
            ("Can you recommend a tent?", Some(Action::Recommend)),
            ("What are your opening hours?", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect_action(text), *want, "{text}");
        }
    }

    #[test]
    fn reasons_and_abort() {
        let allowed = vec![
            "no longer needed".to_string(),
            "ordered by mistake".to_string(),
        ];
        assert_eq!(
            detect_reason("I accidentally placed it", &allowed).as_deref(),
            Some("ordered by mistake")
        );
        assert_eq!(
            detect_reason("I don't need the items", &allowed).as_deref(),
            Some("no longer needed")
        );
        assert_eq!(detect_reason("hello", &allowed), None);
        assert!(is_abort("never mind, keep it"));
        assert!(!is_abort("yes please"));
    }

    #[test]
    fn parses_addresses_and_ids() {
        let a = parse_address("{'address1': '320 Cedar Avenue', 'address2': 'Suite 116', 'city': 'San Antonio', 'country': 'USA', 'state': 'TX', 'zip': '78219'}");
        assert_eq!(
            a.map(|a| (a.city, a.zip, a.address2)),
            Some(("San Antonio".into(), "78219".into(), "Suite 116".into()))
        );
        let a = parse_address("New address: 12 Main St, Apt 4, Springfield, IL 62704, USA");
        assert_eq!(
            a.map(|a| (a.address1, a.address2, a.city, a.state, a.zip)),
            Some((
                "12 Main St".into(),
                "Apt 4".into(),
                "Springfield".into(),
                "IL".into(),
                "62704".into()
            ))
        );
        let a = parse_address("New address: Savska cesta 41, 10000 Zagreb, Croatia");
        assert_eq!(
            a.map(|a| (a.address1, a.city, a.zip, a.country)),
            Some((
                "Savska cesta 41".into(),
                "Zagreb".into(),
                "10000".into(),
                "Croatia".into()
            ))
        );
        let a = parse_address("1234 Main St, Springfield, IL 62704");
        assert_eq!(
            a.map(|a| (a.address1, a.city, a.state)),
            Some(("1234 Main St".into(), "Springfield".into(), "IL".into()))
        );
        assert_eq!(parse_address("no address here"), None);
        for (text, want) in [
            ("Želim da poručim dva gasna kartuša", Some(2)),
            ("Хоћу три флаше", Some(3)),
            ("a two person tent please", None),
            ("the black one", None),
            ("the blue tent", None),
        ] {
            assert_eq!(quantity_in_words(text), want, "{text}");
        }
        assert_eq!(
            mask_order_ids("cancel order #W1001, and W2002 too; porudžbina br. 1234 or #K1003"),
            "cancel order, and  too; porudžbina or "
        );
        assert_eq!(
            order_ids("cancel the order (W2307204) and #W1"),
            vec!["#W2307204".to_string()]
        );
        assert_eq!(
            order_suffix("the order number ends in 66").as_deref(),
            Some("66")
        );
        for (text, want) in [
            ("Lukas Weber, zip code 80802", Some(("Lukas", "Weber"))),
            ("ana marija petrović 11000", Some(("ana", "petrović"))),
            (
                "Ime i prezime: Ivana Kovač, poštanski broj 21000",
                Some(("Ivana", "Kovač")),
            ),
            ("80802", None),
            ("please cancel order 80802 for me now", None),
        ] {
            let got = bare_name(text);
            assert_eq!(
                got.as_ref().map(|(f, l)| (f.as_str(), l.as_str())),
                want,
                "{text}"
            );
        }
        assert_eq!(
            name_parts(&[], "hi, my name is olivia ito"),
            Some(("olivia".into(), "ito".into()))
        );
    }
}
