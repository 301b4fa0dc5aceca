//! What kind of value a question asks for, and which kinds of value a passage's unit states.
//!
//! "How heavy is it?" is answered by a weight, "how long does delivery take?" by a duration,
//! "what does it cost?" by an amount of money. The reader's cosine knows a unit's topic, not
//! whether it holds the value asked: a product's one-line blurb and its "Weight: 350 g" line
//! sit equally near "how heavy is the stove?", and a gift card's validity sits near every
//! question about gift cards. So the reader prefers units that state a value of the kind asked,
//! and an answer that states none when the question asks for one is not an answer (the attribute
//! is not in the knowledge base; the turn is declined with an offer of a person).
//!
//! The cues are the ways English and Serbian (folded: Latin, lower case, no diacritics) ask for
//! a measure — question words and the names of the measures —, and the values are numbers
//! followed (or, for money, preceded) by a unit of the kind, e-mail addresses, phone numbers
//! and clock times. Nothing here names a business or a product.

use crate::phrases::{self, Boundary};
use frontdesk_core::text::fold;

/// A kind of value a question can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Money,
    Weight,
    Duration,
    Length,
    Volume,
    Power,
    Percent,
    Email,
    Phone,
    TimeOfDay,
}

/// A set of [`Kind`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kinds(u16);

impl Kinds {
    pub fn empty() -> Self {
        Self(0)
    }

    fn bit(kind: Kind) -> u16 {
        1 << kind as u16
    }

    pub fn insert(&mut self, kind: Kind) {
        self.0 |= Self::bit(kind);
    }

    pub fn contains(self, kind: Kind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn meets(self, other: Kinds) -> bool {
        self.0 & other.0 != 0
    }
}

impl FromIterator<Kind> for Kinds {
    fn from_iter<I: IntoIterator<Item = Kind>>(iter: I) -> Self {
        let mut k = Kinds::empty();
        iter.into_iter().for_each(|x| k.insert(x));
        k
    }
}

/// Stems (matched at a word start) that ask for a value of a kind. "How long" asks for a
/// duration or a length, so it is listed under both; either satisfies the question.
const ASKS: &[(Kind, &[&str])] = &[
    (
        Kind::Weight,
        &[
            "how heavy",
            "weigh",
            "tezak",
            "teska",
            "tesko",
            "tezi ",
            "tezin",
            "kolko kila",
            "koliko kila",
            "kilaz",
        ],
    ),
    (
        Kind::Duration,
        &[
            "how long",
            "how many days",
            "how many hours",
            "how many weeks",
            "how many months",
            "how many years",
            "how many minutes",
            "how soon",
            "how quickly",
            "koliko dugo",
            "kolko dugo",
            "koliko traj",
            "kolko traj",
            "koliko dana",
            "kolko dana",
            "koliko sati",
            "koliko meseci",
            "koliko godina",
            "koliko minuta",
            "za koliko",
            "koliko vazi",
            "kolko vazi",
            "do kada vazi",
        ],
    ),
    (
        Kind::Length,
        &[
            "how long is the",
            "how long are the",
            "how wide",
            "how tall",
            "how high",
            "how big",
            "dimension",
            "koliko je dug",
            "koliko je sirok",
            "koliko je visok",
            "koliko je velik",
            "dimenzij",
            "how many cm",
            "how many inch",
            "koliko cm",
            "koliko inc",
            "koliko centimet",
        ],
    ),
    (
        Kind::Volume,
        &[
            "how many litre",
            "how many liter",
            "capacity",
            "koliko litar",
            "kolko litar",
            "zapremin",
        ],
    ),
    (Kind::Power, &["watt", "how powerful", "snaga", "snage"]),
    (
        Kind::Percent,
        &["percent", "koliko posto", "kolko posto", "procenat"],
    ),
    (
        Kind::Email,
        &[
            "email address",
            "e-mail address",
            "e mail address",
            "mail address",
            "which email",
            "which e-mail",
            "what email",
            "what e-mail",
            "imejl adres",
            "mejl adres",
            "e-mail adres",
            "email adres",
            "koji mejl",
            "koji imejl",
            "koji e-mail",
        ],
    ),
    (
        Kind::Phone,
        &[
            "phone number",
            "telephone",
            "number to call",
            "number can i call",
            "broj telefona",
            "telefon",
            "koji broj da",
        ],
    ),
    (
        Kind::TimeOfDay,
        &[
            "what time",
            "until what time",
            "opening hours",
            "open until",
            "working hours",
            "business hours",
            "do koliko sati",
            "u koliko sati",
            "radno vreme",
            "radno vrijeme",
        ],
    ),
];

/// Asks for money: the price words. "How much" asks for money only when no other measure is
/// named ("how much does it weigh" asks for a weight).
const ASKS_MONEY: &[&str] = &[
    "price",
    "cost",
    "fee ",
    "fees ",
    "charge ",
    "charges ",
    "charged ",
    "how much is",
    "how much are",
    "how much does",
    "how much do",
    "how much will",
    "how much would",
    "kost",
    "cena",
    "cene",
    "cenu",
    "cijen",
    "naplac",
    "naplat",
    "koliko plac",
    "kolko plac",
    "koliko se plac",
    "koliko bih plat",
    "koliko cu plat",
];

/// What kinds of value `question` asks for (empty when it asks for none of them: a yes/no, a
/// how-to, a where).
pub fn asked(question: &str) -> Kinds {
    // Punctuation becomes space (so "a fee?" ends its word) and a space closes the text.
    let f: String = fold(question)
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let f = format!("{f} ");
    let mut kinds: Kinds = ASKS
        .iter()
        .filter(|(_, cues)| phrases::any(&f, cues, Boundary::WordStart))
        .map(|(k, _)| *k)
        .collect();
    if kinds.is_empty() && phrases::any(&f, ASKS_MONEY, Boundary::WordStart) {
        kinds.insert(Kind::Money);
    }
    kinds
}

/// Unit words after a number, per kind (whole words of the folded text).
const UNITS_AFTER: &[(Kind, &[&str])] = &[
    (
        Kind::Money,
        &[
            "eur", "euro", "euros", "evra", "evro", "rsd", "din", "dinar", "dinara", "dinari",
            "usd", "dollars", "gbp", "bam", "chf", "€", "$",
        ],
    ),
    (
        Kind::Weight,
        &[
            "g",
            "kg",
            "gr",
            "gram",
            "grams",
            "grama",
            "kilogram",
            "kilograms",
            "kilograma",
            "kila",
            "lb",
            "lbs",
        ],
    ),
    (
        Kind::Duration,
        &[
            "min",
            "mins",
            "minute",
            "minutes",
            "minut",
            "minuta",
            "h",
            "hour",
            "hours",
            "hrs",
            "sat",
            "sata",
            "sati",
            "day",
            "days",
            "dan",
            "dana",
            "business",
            "working",
            "calendar",
            "radni",
            "radnih",
            "radna",
            "kalendarskih",
            "week",
            "weeks",
            "nedelja",
            "nedelje",
            "nedelju",
            "sedmica",
            "month",
            "months",
            "mesec",
            "meseca",
            "meseci",
            "year",
            "years",
            "godina",
            "godine",
            "godinu",
            "seconds",
            "sekundi",
        ],
    ),
    (
        Kind::Length,
        &[
            "cm",
            "mm",
            "m",
            "km",
            "inch",
            "inches",
            "inca",
            "ft",
            "metara",
            "metra",
            "metar",
            "centimetara",
        ],
    ),
    (
        Kind::Volume,
        &[
            "l", "ml", "litre", "litres", "liter", "liters", "litara", "litra",
        ],
    ),
    (
        Kind::Power,
        &["w", "kw", "wh", "mah", "watt", "watts", "vati"],
    ),
    (Kind::Percent, &["%", "percent", "posto", "odsto"]),
];

/// Currency words before a number ("EUR 10", "€10").
const MONEY_BEFORE: &[&str] = &["eur", "rsd", "usd", "€", "$", "£"];

/// Splits folded text into words, numbers and single symbols (digits and letters apart, so
/// "40cm" is "40" "cm"; "2.1" and "2,500" stay one number).
fn tokens(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = folded.as_bytes();
    let mut i = 0;
    while i < folded.len() {
        let c = folded[i..].chars().next().unwrap_or(' ');
        let len = c.len_utf8();
        if c.is_ascii_digit() {
            let start = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || ((b[i] == b'.' || b[i] == b',')
                        && i + 1 < b.len()
                        && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            out.push(&folded[start..i]);
        } else if c.is_alphabetic() {
            let start = i;
            while i < folded.len() {
                let c = folded[i..].chars().next().unwrap_or(' ');
                if !c.is_alphabetic() {
                    break;
                }
                i += c.len_utf8();
            }
            out.push(&folded[start..i]);
        } else {
            if !c.is_whitespace() {
                out.push(&folded[i..i + len]);
            }
            i += len;
        }
    }
    out
}

fn is_number(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_digit())
}

/// The kinds of value `text` states.
pub fn stated(text: &str) -> Kinds {
    let folded = fold(text);
    let toks = tokens(&folded);
    let mut kinds = Kinds::empty();
    for (i, t) in toks.iter().enumerate() {
        if !is_number(t) {
            continue;
        }
        // Past a range or a dimension ("5–7 days", "40 × 30 × 25 cm") to the word after it.
        let mut j = i + 1;
        while j + 1 < toks.len()
            && matches!(toks[j], "-" | "–" | "—" | "x" | "×" | "/" | "do" | "to")
            && is_number(toks[j + 1])
        {
            j += 2;
        }
        if let Some(next) = toks.get(j) {
            for (kind, words) in UNITS_AFTER {
                if words.contains(next) {
                    kinds.insert(*kind);
                }
            }
        }
        if i > 0 && MONEY_BEFORE.contains(&toks[i - 1]) {
            kinds.insert(Kind::Money);
        }
        if toks.get(i + 1) == Some(&":")
            && toks
                .get(i + 2)
                .is_some_and(|m| m.len() == 2 && is_number(m))
            && t.len() <= 2
        {
            kinds.insert(Kind::TimeOfDay);
        }
    }
    if text.split_whitespace().any(|w| {
        w.split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && d.contains('.'))
    }) {
        kinds.insert(Kind::Email);
    }
    if has_phone_number(text) {
        kinds.insert(Kind::Phone);
    }
    kinds
}

/// A run of at least 8 digits written with only spaces, dashes, slashes, dots, brackets or a
/// leading plus between them.
fn has_phone_number(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 8 {
                return true;
            }
        } else if !matches!(c, ' ' | '-' | '/' | '.' | '(' | ')' | '+') {
            digits = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::*;

    fn set(k: &[Kind]) -> Kinds {
        k.iter().copied().collect()
    }

    #[test]
    fn asked_table() {
        for (q, want) in [
            ("How heavy is the stove?", set(&[Weight])),
            ("koliko je težak šator", set(&[Weight])),
            ("Колико тежи ранац?", set(&[Weight])),
            ("how long does delivery take to Austria?", set(&[Duration])),
            ("how long is the cable?", set(&[Duration, Length])),
            ("Koliko dugo traje isporuka?", set(&[Duration])),
            ("What does the blue one cost?", set(&[Money])),
            ("how much does the large one weigh", set(&[Weight])),
            ("колико кошта достава", set(&[Money])),
            ("which e-mail address do I write to?", set(&[Email])),
            ("what time do you open on saturday", set(&[TimeOfDay])),
            ("do you ship to Canada?", Kinds::empty()),
            ("is there a fee?", set(&[Money])),
            ("is the charger included?", Kinds::empty()),
            ("I feel the zip is broken", Kinds::empty()),
            ("can I return worn shoes?", Kinds::empty()),
            ("Where is your shop?", Kinds::empty()),
        ] {
            assert_eq!(asked(q), want, "{q}");
        }
    }

    #[test]
    fn stated_table() {
        for (t, want) in [
            ("Weight: 350 g", set(&[Weight])),
            ("Packed weight: 2.1kg", set(&[Weight])),
            ("Price: 149.00 EUR", set(&[Money])),
            ("Delivery costs €4.90.", set(&[Money])),
            ("Dostava traje 1–2 radna dana.", set(&[Duration])),
            ("The box is 40 × 30 × 25 cm.", set(&[Length])),
            ("Volume: 65 l", set(&[Volume])),
            ("Output: 2,500 W", set(&[Power])),
            ("Write to help@shop.example.", set(&[Email])),
            ("Call +381 11 123 4567.", set(&[Phone])),
            ("Open 08:00–20:00 on weekdays.", set(&[TimeOfDay])),
            ("Returns are free.", Kinds::empty()),
            ("Order 2 of them.", Kinds::empty()),
            ("Black: 2 in stock", Kinds::empty()),
        ] {
            assert_eq!(stated(t), want, "{t}");
        }
    }

    #[test]
    fn a_weight_answers_how_heavy_and_a_blurb_does_not() {
        let q = asked("how heavy is the stove?");
        assert!(stated("Weight: 120 g").meets(q));
        assert!(!stated("A compact stove for one pot. Price: 39.00 EUR").meets(q));
    }
}
