//! The details a message gives a flow that collects them: the payment method it names,
//! "whatever you had" for the default, an order number's ending, a name, an address. Read
//! once, into `Request`.

use super::request::has;
use crate::lang::fold;
use frontdesk_core::commerce::Address;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A kind of payment method, named in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Paypal,
    GiftCard,
    CreditCard,
}

impl PaymentKind {
    /// The method's `source` in the shop's data.
    pub fn source(self) -> &'static str {
        match self {
            PaymentKind::Paypal => "paypal",
            PaymentKind::GiftCard => "gift_card",
            PaymentKind::CreditCard => "credit_card",
        }
    }
}

/// A payment method the message may name: a kind in words ("paypal", "credit card", "gift
/// card"/"store credit"), and the message in lower case, where a method's id ("paypal_123") or
/// a card's last four digits are looked for; which ids and cards exist is the customer's, so
/// the flow looks them up here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentMention {
    pub kind: Option<PaymentKind>,
    lowercase: String,
}

impl PaymentMention {
    pub fn read(text: &str) -> PaymentMention {
        let f = fold(text);
        let kind = if has(&f, &["paypal", "pay pal"]) {
            Some(PaymentKind::Paypal)
        } else if has(
            &f,
            &[
                "gift card",
                "giftcard",
                "gc",
                "store credit",
                "poklon kartic",
                "vaucer",
            ],
        ) {
            Some(PaymentKind::GiftCard)
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
            Some(PaymentKind::CreditCard)
        } else {
            None
        };
        PaymentMention {
            kind,
            lowercase: text.to_lowercase(),
        }
    }

    /// Whether the message holds `written` (a method's id, a card's last four digits) as the
    /// customer wrote it, in any case.
    pub fn names(&self, written: &str) -> bool {
        self.lowercase.contains(written)
    }
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

/// "ends in 58" / "ending with 58": an order number suffix.
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

/// A capitalised name written just before a postcode inside a longer message ("Dara Lukić,
/// 24000 …", "it's Tomas Berg (44135)", "Nina Ristić, poštanski broj 36000"): two or three
/// capitalised words, then at most a comma or a parenthesis and a postcode label.
pub fn name_before_postcode(text: &str) -> Option<(String, String)> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(
                r"(\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+){1,2})\s*[,(]?\s*(?i:(?:zip|post|postal)\s*code|postcode|zip|po[šs]tanski\s+broj|поштански\s+број|ptt)?\s*:?\s*\d{5}\b",
            )
            .ok()
        })
        .as_ref()?;
    let found = re.captures(text)?;
    let words: Vec<&str> = found[1].split_whitespace().collect();
    Some((words.first()?.to_string(), words.last()?.to_string()))
}

/// Every name a message may hold, for a lookup with its postcode: each pair of neighbouring
/// capitalised words, and the outer two of three ("Hi, Sofia Rossi here, postcode …",
/// "Mira Tomić iz Kraljeva, 36000", "Добар дан, Милена Јовић"). The shop's records decide
/// which pair is a name, so a greeting or a town among the candidates costs one failed lookup,
/// not a wrong customer: the lookup needs the postcode to match as well. At most `MAX`.
pub fn name_candidates(text: &str) -> Vec<(String, String)> {
    const MAX: usize = 8;
    let is_name_word = |w: &str| {
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase)
            && w.chars().filter(|c| c.is_alphabetic()).count() >= 2
            && chars.all(|c| c.is_alphabetic() || c == '\'' || c == '-')
    };
    let mut out: Vec<(String, String)> = Vec::new();
    // Runs of capitalised words, broken by anything else (punctuation, digits, lower case).
    for segment in text.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '-' || c == ' ')) {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let mut run: Vec<&str> = Vec::new();
        for w in words.iter().copied().chain([""]) {
            if !w.is_empty() && is_name_word(w) {
                run.push(w);
                continue;
            }
            for pair in run.windows(2) {
                out.push((pair[0].to_string(), pair[1].to_string()));
            }
            for triple in run.windows(3) {
                out.push((triple[0].to_string(), triple[2].to_string()));
            }
            run.clear();
        }
    }
    let mut seen = Vec::new();
    out.retain(|(f, l)| {
        let key = (fold(f), fold(l));
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    out.truncate(MAX);
    out
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

/// An address written inside a sentence, the European way: a street that starts with a
/// capital and ends with its number, then a postcode and a capitalised town ("… šaljite na
/// Vojvode Mišića 7, 34000 Kragujevac. …", "send it to Kralja Petra 12, 11000 Beograd, Serbia
/// please"). The street is the run of words before the number back to the first capitalised
/// one; lower-case words before it ("to", "na") are the sentence's, not the street's.
pub fn address_in_sentence(text: &str) -> Option<Address> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(
                r"(\p{Lu}[\p{L}.'-]*(?:\s+[\p{L}.'-]+){0,3}\s+\d{1,4}[a-zA-Z]?)\s*,\s*(?:([^,.]{1,30}),\s*)?(\d{5})\s+(\p{Lu}[\p{L}'-]*(?:\s+\p{Lu}[\p{L}'-]*)?)(?:\s*,\s*(\p{Lu}[\p{L}'-]*(?:\s+\p{Lu}[\p{L}'-]*)?))?",
            )
            .ok()
        })
        .as_ref()?;
    let c = re.captures(text)?;
    let text_of = |i: usize| {
        c.get(i)
            .map(|m| m.as_str().trim().to_string())
            .unwrap_or_default()
    };
    Some(Address {
        address1: text_of(1),
        address2: text_of(2),
        city: text_of(4),
        state: String::new(),
        zip: text_of(3),
        country: text_of(5),
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
