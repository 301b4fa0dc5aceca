//! Checks a drafted answer against the passages it was written from. The LM is small and
//! invents facts, so a sentence is kept only when (1) every number, SKU, name and policy term
//! in it also appears in the passages and (2) enough of its content words do.

use crate::lang::fold;
use crate::policy::DraftCheck;
use std::collections::BTreeSet;

/// Share of a sentence's content words that must occur in the passages.
pub const MIN_SENTENCE_SUPPORT: f32 = 0.5;

/// Terms that change what a customer is promised; they must be in the sources when used.
const POLICY_TERMS: &[&str] = &[
    "free",
    "refund",
    "full refund",
    "store credit",
    "gift card",
    "exchange",
    "warranty",
    "guarantee",
    "non-refundable",
    "business days",
    "working days",
    "express",
    "cash on delivery",
    "restocking fee",
    "worldwide",
    "lifetime",
    "besplatn",
    "povracaj novca",
    "garancij",
    "radnih dana",
    "pouzecem",
    "pouzece",
    "zamena",
    "vaucer",
];

/// Numbers written out, English and Serbian (folded). One list for every reader of numbers in
/// words: the verifier here and `understanding::when`.
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fourteen", 14),
    ("fifteen", 15),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("ninety", 90),
    ("hundred", 100),
    ("jedan", 1),
    ("jedna", 1),
    ("jednu", 1),
    ("dva", 2),
    ("dve", 2),
    ("tri", 3),
    ("cetiri", 4),
    ("pet", 5),
    ("sest", 6),
    ("sedam", 7),
    ("osam", 8),
    ("devet", 9),
    ("deset", 10),
    ("jedanaest", 11),
    ("dvanaest", 12),
    ("cetrnaest", 14),
    ("petnaest", 15),
    ("dvadeset", 20),
    ("trideset", 30),
    ("cetrdeset", 40),
    ("pedeset", 50),
    ("sezdeset", 60),
    ("devedeset", 90),
    ("sto", 100),
];

const STOPWORDS: &[&str] = &[
    "the", "and", "for", "you", "your", "are", "our", "can", "will", "with", "this", "that",
    "from", "have", "has", "not", "but", "all", "any", "was", "were", "been", "its", "also", "may",
    "please", "yes", "they", "them", "their", "there", "here", "what", "when", "which", "who",
    "how", "about", "into", "than", "then", "would", "could", "should", "just", "more", "some",
    "such", "only", "other", "each", "does", "did", "able", "need", "want", "sta", "kako", "koji",
    "koja", "koje", "ili", "ali", "jer", "vas", "vam", "nas", "mozete", "moze", "biti", "jos",
    "sve", "svi", "ako", "kod", "samo", "ovo", "taj", "bez", "kao", "pre", "posle", "nije", "smo",
    "ste",
];

/// The number a folded word writes out ("three", "dve"), if it is one.
pub(crate) fn number_word(word: &str) -> Option<u32> {
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, n)| *n)
}

/// Numbers in `folded` text as canonical strings: "5–7" → 5, 7; "49,90" → 49.9; "thirty" → 30.
fn numbers(folded: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let chars: Vec<char> = folded.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut s = String::new();
            while i < chars.len() {
                let c = chars[i];
                let separator =
                    (c == ',' || c == '.') && chars.get(i + 1).is_some_and(char::is_ascii_digit);
                if !(c.is_ascii_digit() || separator) {
                    break;
                }
                s.push(c);
                i += 1;
            }
            out.insert(canonical_number(&s));
        } else {
            i += 1;
        }
    }
    for w in folded.split(|c: char| !c.is_alphanumeric()) {
        if let Some(n) = number_word(w) {
            out.insert(n.to_string());
        }
    }
    out
}

fn canonical_number(s: &str) -> String {
    // A separator followed by exactly 3 digits groups thousands; otherwise it is a decimal mark.
    let last = s.rfind([',', '.']);
    let value = match last {
        Some(i) if s.len() - i - 1 != 3 => {
            format!("{}.{}", s[..i].replace([',', '.'], ""), &s[i + 1..])
        }
        _ => s.replace([',', '.'], ""),
    };
    match value.parse::<f64>() {
        Ok(v) => {
            let t = format!("{v:.2}");
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        Err(_) => value,
    }
}

fn content_words(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            w.chars().count() >= 3
                && !w.chars().all(|c| c.is_ascii_digit())
                && !STOPWORDS.contains(w)
        })
        .map(str::to_string)
        .collect()
}

/// Words compared by their first 5 characters, so inflections ("returns"/"returned",
/// "porudžbina"/"porudžbinu") still match.
fn stem(w: &str) -> String {
    w.chars().take(5).collect()
}

/// Capitalised words that are not sentence-initial: product and brand names.
fn names(sentence: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut first = true;
    for w in sentence.split_whitespace() {
        let clean: String = w
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-')
            .collect();
        let starts_upper = clean.chars().next().is_some_and(char::is_uppercase);
        if !first && starts_upper && clean.chars().count() >= 3 {
            out.push(clean);
        }
        first = w.ends_with(['.', '!', '?', ':']);
    }
    out
}

/// The sentences of `text` ([`frontdesk_core::text::sentences`], the one splitter the reader
/// and the voice rendering use too), owned, for the callers that keep or stream them.
pub fn sentences(text: &str) -> Vec<String> {
    frontdesk_core::text::sentences(text)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Removes `[n]` citation markers.
pub fn strip_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close)
                if close > 0
                    && after[..close]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ',' || c == ' ') =>
            {
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Precomputed view of the passages for checking many sentences.
pub struct Sources {
    folded: String,
    numbers: BTreeSet<String>,
    stems: BTreeSet<String>,
}

impl Sources {
    pub fn new<S: AsRef<str>>(passages: &[S]) -> Self {
        let joined: String = passages
            .iter()
            .map(|p| p.as_ref())
            .collect::<Vec<_>>()
            .join("\n");
        let folded = fold(&joined).replace(['–', '—'], "-");
        let numbers = numbers(&folded);
        let stems = content_words(&folded).iter().map(|w| stem(w)).collect();
        Self {
            folded,
            numbers,
            stems,
        }
    }

    /// (unsupported facts, support share) for one sentence.
    pub fn check_sentence(&self, sentence: &str) -> (Vec<String>, f32) {
        let plain = strip_markers(sentence);
        let folded = fold(&plain).replace(['–', '—'], "-");
        let mut missing = Vec::new();
        for n in numbers(&folded) {
            if !self.numbers.contains(&n) {
                missing.push(n);
            }
        }
        for name in names(&plain) {
            let f = fold(&name);
            if !self.folded.contains(&f) {
                missing.push(name);
            }
        }
        for term in POLICY_TERMS {
            if folded.contains(term) && !self.folded.contains(term) {
                missing.push((*term).to_string());
            }
        }
        let words = content_words(&folded);
        let support = if words.is_empty() {
            1.0
        } else {
            words
                .iter()
                .filter(|w| self.stems.contains(&stem(w)))
                .count() as f32
                / words.len() as f32
        };
        (missing, support)
    }

    /// A sentence with no content words ("[1]", "Sure.") states nothing: it cannot be wrong,
    /// but on its own it is not an answer either.
    pub fn states_nothing(sentence: &str) -> bool {
        let plain = strip_markers(sentence);
        content_words(&fold(&plain).replace(['–', '—'], "-")).is_empty()
            && numbers(&fold(&plain)).is_empty()
    }

    pub fn sentence_ok(&self, sentence: &str) -> bool {
        let (missing, support) = self.check_sentence(sentence);
        missing.is_empty() && support >= MIN_SENTENCE_SUPPORT
    }
}

/// Verifies a whole answer against `passages`.
pub fn verify<S: AsRef<str>>(answer: &str, passages: &[S]) -> DraftCheck {
    let sources = Sources::new(passages);
    let mut check = DraftCheck {
        supported: true,
        min_support: 1.0,
        ..Default::default()
    };
    let sents = sentences(answer);
    if sents.is_empty() {
        return DraftCheck {
            supported: false,
            min_support: 0.0,
            ..Default::default()
        };
    }
    for s in sents {
        let (missing, support) = sources.check_sentence(&s);
        check.min_support = check.min_support.min(support);
        if !missing.is_empty() || support < MIN_SENTENCE_SUPPORT {
            check.supported = false;
            check.unsupported_sentences.push(s);
        }
        for m in missing {
            if !check.unsupported_facts.contains(&m) {
                check.unsupported_facts.push(m);
            }
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETURNS: &str = "Returns: unworn items can be returned within 30 days of delivery for a full refund. \
        Refunds are issued to the original payment method within 5–7 business days. Worn footwear can only be returned if faulty. \
        The Kestrel Trail Tent (KO-TENT-2P) costs €249,90.";
    const POVRAT: &str = "Povraćaj: nenošeni artikli mogu se vratiti u roku od 30 dana od isporuke. Novac se vraća u roku od 5-7 radnih dana.";

    #[test]
    fn verify_table() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "exact copy",
                "Unworn items can be returned within 30 days of delivery for a full refund [1].",
                true,
            ),
            (
                "number word",
                "You can return unworn items within thirty days of delivery.",
                true,
            ),
            (
                "range dash",
                "Refunds are issued within 5-7 business days [1].",
                true,
            ),
            (
                "decimal comma",
                "The Kestrel Trail Tent costs €249.90.",
                true,
            ),
            (
                "invented window",
                "Unworn items can be returned within 60 days of delivery.",
                false,
            ),
            (
                "invented range",
                "Refunds are issued within 3-5 business days.",
                false,
            ),
            (
                "invented price",
                "The Kestrel Trail Tent costs €199.",
                false,
            ),
            (
                "invented name",
                "Unworn items can be returned to Amazon within 30 days.",
                false,
            ),
            (
                "invented policy term",
                "Worn footwear can be returned for store credit.",
                false,
            ),
            (
                "unsupported sentence",
                "We also sell bicycles and offer free repairs worldwide.",
                false,
            ),
            ("sku ok", "KO-TENT-2P is the Kestrel Trail Tent.", true),
            ("empty", "", false),
        ];
        for (name, answer, want) in cases {
            let c = verify(answer, &[RETURNS]);
            assert_eq!(c.supported, *want, "{name}: {c:?}");
        }
    }

    #[test]
    fn verifies_serbian_latin_against_cyrillic_or_latin_sources() {
        assert!(
            verify(
                "Nenošene artikle možete vratiti u roku od 30 dana.",
                &[POVRAT]
            )
            .supported
        );
        assert!(
            !verify(
                "Nenošene artikle možete vratiti u roku od 14 dana.",
                &[POVRAT]
            )
            .supported
        );
        let cyr = "Повраћај: неношени артикли могу се вратити у року од 30 дана од испоруке.";
        assert!(
            verify(
                "Nenošeni artikli mogu se vratiti u roku od 30 dana.",
                &[cyr]
            )
            .supported
        );
    }

    #[test]
    fn sentence_split_and_markers() {
        assert_eq!(
            sentences("It costs €49.90. Ships in 2 days! Ok?"),
            vec!["It costs €49.90.", "Ships in 2 days!", "Ok?"]
        );
        assert_eq!(
            strip_markers("Yes [1] and [2, 3]. See [note]."),
            "Yes  and . See [note]."
        );
        assert_eq!(canonical_number("1.299,50"), "1299.5");
        assert_eq!(canonical_number("1,000"), "1000");
        assert_eq!(canonical_number("49,90"), "49.9");
    }
}
