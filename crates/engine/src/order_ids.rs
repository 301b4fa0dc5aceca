//! Order numbers in a customer's text: the one extractor every reader of a message uses
//! (`understanding::entities`, and through it the flows), and its mask.
//!
//! Three written forms count: after a `#` ("#W1001", "# 1002"), after the word for an order in
//! English or Serbian ("order 1002", "porudžbina br. K1003", "поруџбина 1234"), and bare in the
//! shape of the shop's ids ("W2307204": one or two capitals and at least four digits).
//!
//! An id's letters may be typed on a Cyrillic keyboard ("К1003" with a Cyrillic К): they are
//! read in their Latin transliteration, the one `frontdesk_core::text` has, so the id is the
//! shop's.

use frontdesk_core::text::cyrillic_to_latin;
use regex::Regex;
use std::sync::OnceLock;

/// The words for an order, each script and declension.
const ORDER_WORD: &str = r"order|porud[žz]bin\w*|narud[žz]bin\w*|поруџбин\w*|наруџбин\w*";
/// What may stand between that word and the number ("number", "br.", ":", "#").
const NUMBER_WORD: &str = r"\s*(?:number|no\.?|nr\.?|br\.?|broj|број|id)?\s*[:#]?\s*";
/// An id after `#` or after the order word (its letters Latin or Cyrillic).
const MARKED_ID: &str = r"[A-Za-z\p{Cyrillic}]{0,2}\d{3,10}";
/// An id standing alone, in the shop's own shape (capitals, Latin or Cyrillic).
const BARE_ID: &str = r"[A-Z[\p{Cyrillic}&&\p{Lu}]]{1,2}\d{4,10}";

fn compiled(cell: &'static OnceLock<Regex>, pattern: impl FnOnce() -> String) -> &'static Regex {
    cell.get_or_init(|| Regex::new(&pattern()).expect("order id patterns are valid"))
}

/// The order numbers in `text`, in the order the forms are read (after `#`, after the order
/// word, bare), each once, written `#` + upper case.
pub fn find(text: &str) -> Vec<String> {
    static HASH: OnceLock<Regex> = OnceLock::new();
    static WORD: OnceLock<Regex> = OnceLock::new();
    static BARE: OnceLock<Regex> = OnceLock::new();
    let hash = compiled(&HASH, || format!(r"#\s?({MARKED_ID})\b"));
    let word = compiled(&WORD, || {
        format!(r"(?i)\b(?:{ORDER_WORD}){NUMBER_WORD}({MARKED_ID})\b")
    });
    let bare = compiled(&BARE, || format!(r"#?\b({BARE_ID})\b"));
    let mut out: Vec<String> = Vec::new();
    for caps in hash
        .captures_iter(text)
        .chain(word.captures_iter(text))
        .chain(bare.captures_iter(text))
    {
        let id = format!("#{}", cyrillic_to_latin(&caps[1]).to_uppercase());
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// `text` with every order number taken out (the forms `find` reads; the order word stays), so
/// an older message can be read for everything but the order.
pub fn mask(text: &str) -> String {
    static MASK: OnceLock<Regex> = OnceLock::new();
    let re = compiled(&MASK, || {
        format!(r"(?i)\b({ORDER_WORD})({NUMBER_WORD}){MARKED_ID}\b|#\s?{MARKED_ID}\b|\b{BARE_ID}\b")
    });
    re.replace_all(text, "$1").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_form_once() {
        for (text, want) in [
            (
                "Where is order #K1001? Also #W1234567 and order 1002",
                vec!["#K1001", "#W1234567", "#1002"],
            ),
            ("Gde je porudžbina broj K1003?", vec!["#K1003"]),
            ("cancel the order (W2307204) and #W1", vec!["#W2307204"]),
            ("поруџбина 4521 касни", vec!["#4521"]),
            // Letters typed on a Cyrillic keyboard: after `#`, after the order word, bare.
            ("где је #Ж2041?", vec!["#Ž2041"]),
            ("otkaži porudžbinu Т7731", vec!["#T7731"]),
            ("стигла ми је АБ55120 оштећена", vec!["#AB55120"]),
            ("ЖИВИМ У 11000", vec![]),
            ("no order here, only 2 tents", vec![]),
        ] {
            assert_eq!(find(text), want, "{text}");
        }
    }

    #[test]
    fn masks_what_it_finds() {
        assert_eq!(
            mask("cancel order #W1001, and W2002 too; porudžbina br. 1234 or #K1003"),
            "cancel order, and  too; porudžbina or "
        );
        for text in [
            "order 1002, #K1001 and W2307204",
            "поруџбина Т1003 и #Ж2004, АБ55120",
        ] {
            assert!(find(&mask(text)).is_empty(), "{}", mask(text));
        }
    }
}
