//! The sentence splitter: the unit the verifier checks, the reader quotes, the voice rendering
//! counts and a TTS engine starts on. One splitter, so that a sentence the engine verified is
//! the same sentence the voice channel speaks.

use super::fold::fold;

/// Abbreviations (folded, without their final full stop) after which a full stop does not end
/// a sentence: "e.g. a tent", "npr. šator". Only ones that rarely end a sentence;
/// "etc." and "itd." often do, so they stay ordinary words.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "vs", "approx", "incl", "mr", "mrs", "dr", "npr", "tj", "br", "tzv", "tel",
];

/// The sentences of `text`, trimmed, in order, each with its closing punctuation.
///
/// A sentence ends at a line break (list items and spec lines are units of their own) and at
/// `.`, `!`, `?` or `…` followed by white space or the end of the text. So a full stop inside a
/// number ("1.5 kg", "49.90"), a code ("v2.1") or an address ("shop.example/returns",
/// "help@shop.example") never ends one, and neither does a comma ("1,800 W"). Two exceptions
/// keep a sentence whole: a full stop after a known abbreviation ("e.g.", "npr."), and an
/// ellipsis ("…", "...") followed by a lower-case word, which pauses a sentence rather than
/// ending it. A list number ("1. Submit …") ends as a piece of its own, which the callers drop
/// as too short to say anything.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let after = i + c.len_utf8();
        if c == '\n' {
            push_trimmed(&mut out, &text[start..i]);
            start = after;
        } else if ends_sentence(&text[..i], c, &text[after..]) {
            push_trimmed(&mut out, &text[start..after]);
            start = after;
        }
    }
    push_trimmed(&mut out, &text[start..]);
    out
}

/// Adds `piece` without its surrounding white space, unless nothing else is left.
fn push_trimmed<'a>(out: &mut Vec<&'a str>, piece: &'a str) {
    let piece = piece.trim();
    if !piece.is_empty() {
        out.push(piece);
    }
}

/// The clauses of `text`: its sentences, cut again at semicolons. A run-on request ("modify
/// the helmet to …; the hose to …") names one thing per clause.
pub fn clauses(text: &str) -> Vec<&str> {
    clauses_as_written(text)
        .into_iter()
        .map(|c| c.strip_suffix(';').unwrap_or(c).trim_end())
        .filter(|c| !c.is_empty())
        .collect()
}

/// The clauses of `text` as it was written: each keeps the semicolon that closes it, so a
/// clause taken out of a request reads as the customer wrote it ("return the lamp;").
pub fn clauses_as_written(text: &str) -> Vec<&str> {
    sentences(text)
        .into_iter()
        .flat_map(|s| s.split_inclusive(';'))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// Whether the character `c`, between `before` and `rest`, closes a sentence.
fn ends_sentence(before: &str, c: char, rest: &str) -> bool {
    if !matches!(c, '.' | '!' | '?' | '…') || !rest.chars().next().is_none_or(char::is_whitespace)
    {
        return false;
    }
    let ellipsis = c == '…' || (c == '.' && before.ends_with('.'));
    if ellipsis {
        return !rest
            .trim_start()
            .chars()
            .next()
            .is_some_and(char::is_lowercase);
    }
    !(c == '.' && is_abbreviation(before))
}

/// Whether the word that ends `before` (opening brackets and quotes aside) is in
/// [`ABBREVIATIONS`], in either script and any case.
fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or(before)
        .trim_start_matches(['(', '[', '"', '\'', '«', '„', '“', '‘']);
    !word.is_empty() && ABBREVIATIONS.contains(&fold(word).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_table() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \n\n ", &[]),
            (
                "It costs €49.90. Ships in 2 days! Ok?",
                &["It costs €49.90.", "Ships in 2 days!", "Ok?"],
            ),
            (
                "Hello. How are you? Fine!",
                &["Hello.", "How are you?", "Fine!"],
            ),
            ("no terminator at the end", &["no terminator at the end"]),
            // Decimals, thousands and codes stay whole.
            (
                "Packed weight is 1.5 kg. Power: 1,800 W. Firmware v2.1 fixes it.",
                &[
                    "Packed weight is 1.5 kg.",
                    "Power: 1,800 W.",
                    "Firmware v2.1 fixes it.",
                ],
            ),
            ("Price is 1.5 euros. Ok", &["Price is 1.5 euros.", "Ok"]),
            (
                "Cena je 1.299,50 din. Hvala",
                &["Cena je 1.299,50 din.", "Hvala"],
            ),
            // Serbian in both scripts.
            ("Здраво. Како сте?", &["Здраво.", "Како сте?"]),
            (
                "Dostava traje 2 dana. Plaćanje je pouzećem!",
                &["Dostava traje 2 dana.", "Plaćanje je pouzećem!"],
            ),
            // Abbreviations, in either script and case.
            (
                "Take a light tent, e.g. the Alpina 2. It weighs 2.1 kg.",
                &["Take a light tent, e.g. the Alpina 2.", "It weighs 2.1 kg."],
            ),
            (
                "Potrebna su dva štapa, npr. Kestrel Ridge. Dužina je 120 cm.",
                &[
                    "Potrebna su dva štapa, npr. Kestrel Ridge.",
                    "Dužina je 120 cm.",
                ],
            ),
            (
                "Crag teži 410 g (br. 42). Нпр. овај.",
                &["Crag teži 410 g (br. 42).", "Нпр. овај."],
            ),
            (
                "Boots, socks etc. Then pay.",
                &["Boots, socks etc.", "Then pay."],
            ),
            // List lines, spec lines and headings are units of their own.
            (
                "Specifications:\n\n- Packed weight: 2.1 kg\n- Capacity: 2 people\n",
                &[
                    "Specifications:",
                    "- Packed weight: 2.1 kg",
                    "- Capacity: 2 people",
                ],
            ),
            (
                "Steps:\r\n1. Submit a request.\r\n2. Wait for the code.",
                &[
                    "Steps:",
                    "1.",
                    "Submit a request.",
                    "2.",
                    "Wait for the code.",
                ],
            ),
            // Addresses: the full stops inside them end nothing; one after them does.
            (
                "See https://shop.example/returns?lang=en. Or write to help@shop.example. Thanks",
                &[
                    "See https://shop.example/returns?lang=en.",
                    "Or write to help@shop.example.",
                    "Thanks",
                ],
            ),
            // An ellipsis pauses before a lower-case word and ends before anything else.
            (
                "I was… tired. Wait... what? Checking... Done.",
                &["I was… tired.", "Wait... what?", "Checking...", "Done."],
            ),
            ("Hmm… Ok… fine", &["Hmm…", "Ok… fine"]),
            // Only white space after the mark ends a sentence.
            ("Really?!  Yes.", &["Really?!", "Yes."]),
            ("#K1001?Yes", &["#K1001?Yes"]),
        ];
        for (text, want) in cases {
            assert_eq!(sentences(text), *want, "{text:?}");
        }
    }

    #[test]
    fn clauses_table() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (
                "exchange Digital Camera {'zoom': '3x'} to {'zoom': '5x'};",
                &["exchange Digital Camera {'zoom': '3x'} to {'zoom': '5x'}"],
            ),
            (
                "Modify the helmet to high; the hose to 1.5L. Pay by paypal.",
                &[
                    "Modify the helmet to high",
                    "the hose to 1.5L.",
                    "Pay by paypal.",
                ],
            ),
            ("a;;b", &["a", "b"]),
        ];
        for (text, want) in cases {
            assert_eq!(clauses(text), *want, "{text:?}");
        }
    }

    #[test]
    fn clauses_as_written_table() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (
                "Swap the kettle for the red one ; keep the mug. Thanks",
                &[
                    "Swap the kettle for the red one ;",
                    "keep the mug.",
                    "Thanks",
                ],
            ),
            ("a;;b;", &["a;", ";", "b;"]),
        ];
        for (text, want) in cases {
            assert_eq!(clauses_as_written(text), *want, "{text:?}");
        }
    }
}
