//! Groundedness of an answer against the passages it cites. The rules are lexical and
//! deliberately strict about numbers: a price, a day count or a percentage the customer reads
//! must appear in a source, whatever the wording around it.

use super::text::{fold, tokens};
use std::collections::HashSet;

/// Words whose presence changes what the customer may expect (refunds, fees, guarantees). If the
/// answer uses one, a cited passage must too. Matched as word prefixes, English and Serbian
/// (both scripts).
pub const POLICY_TERMS: &[&str] = &[
    "free",
    "refund",
    "non-refundable",
    "warrant",
    "guarante",
    "fee",
    "charge",
    "discount",
    "percent",
    "deadline",
    "besplat",
    "бесплат",
    "povra",
    "поврат",
    "garanc",
    "гаранц",
    "naknad",
    "накнад",
    "popust",
    "попуст",
    "procen",
    "процен",
];

/// Minimum share of a sentence's content words found in the sources for it to count as supported.
pub const SUPPORT_THRESHOLD: f64 = 0.5;

/// Drops `[1]`-style citation markers so their digits are not mistaken for claims.
fn strip_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            let rest: String = chars.clone().take_while(|c| *c != ']').collect();
            if !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
            {
                for _ in 0..=rest.chars().count() {
                    chars.next();
                }
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Numbers in `text`, with `.`/`,` separators removed so "1,000", "1.000" and "1000" agree.
pub fn numbers(text: &str) -> Vec<String> {
    let text = strip_markers(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut n = String::new();
            while i < chars.len() {
                let c = chars[i];
                let joins = (c == '.' || c == ',')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                    && !n.is_empty();
                if c.is_ascii_digit() {
                    n.push(c);
                } else if !joins {
                    break;
                }
                i += 1;
            }
            out.push(n);
        } else {
            i += 1;
        }
    }
    out
}

/// The policy terms among `words` (folded by `tokens`, so the terms are folded the same way).
fn policy_terms_in(words: &[String]) -> HashSet<String> {
    POLICY_TERMS
        .iter()
        .map(|t| fold(t))
        .filter(|t| words.iter().any(|w| w.starts_with(t.as_str())))
        .collect()
}

/// True when every number and policy term of `answer` occurs in at least one of `passages`.
pub fn is_grounded(answer: &str, passages: &[&str]) -> bool {
    let joined = passages.join("\n");
    let source_numbers: HashSet<String> = numbers(&joined).into_iter().collect();
    if !numbers(answer).iter().all(|n| source_numbers.contains(n)) {
        return false;
    }
    let source_terms = policy_terms_in(&tokens(&joined));
    policy_terms_in(&tokens(&strip_markers(answer))).is_subset(&source_terms)
}

/// Sentences of `text`: split after `.`, `!`, `?` and newlines, but not inside numbers ("4.99").
/// The metric's own splitter, not the bot's: a metric shares no code with the bot it measures.
pub fn sentences(text: &str) -> Vec<String> {
    let text = strip_markers(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let ends = match c {
            '\n' => true,
            '.' | '!' | '?' | '。' => !next.is_some_and(|n| n.is_alphanumeric()),
            _ => false,
        };
        if *c != '\n' {
            cur.push(*c);
        }
        if ends {
            let s = cur.trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            cur.clear();
        }
    }
    let s = cur.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// Inflection-tolerant word key: the first five characters (Serbian cases, English plurals).
fn stem(word: &str) -> String {
    word.chars().take(5).collect()
}

/// Sentences that carry a claim: at least one word of three or more letters or a number.
fn content_words(sentence: &str) -> Vec<String> {
    tokens(sentence)
        .into_iter()
        .filter(|w| w.chars().count() >= 3 || w.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// (supported, counted) sentences of `answer` against the `passages`. A sentence is supported
/// when its numbers all occur in the sources and at least [`SUPPORT_THRESHOLD`] of its content
/// words (by stem) do. Sentences without content words are not counted.
pub fn supported_sentences(answer: &str, passages: &[&str]) -> (usize, usize) {
    let joined = passages.join("\n");
    let source_stems: HashSet<String> = tokens(&joined).iter().map(|w| stem(w)).collect();
    let source_numbers: HashSet<String> = numbers(&joined).into_iter().collect();
    let (mut supported, mut counted) = (0, 0);
    for s in sentences(answer) {
        let words = content_words(&s);
        if words.is_empty() {
            continue;
        }
        counted += 1;
        let found = words
            .iter()
            .filter(|w| source_stems.contains(&stem(w)))
            .count();
        let numbers_ok = numbers(&s).iter().all(|n| source_numbers.contains(n));
        if numbers_ok && found as f64 / words.len() as f64 >= SUPPORT_THRESHOLD {
            supported += 1;
        }
    }
    (supported, counted)
}

/// Share of cited documents that are relevant: in `gold` when gold ids are known.
pub fn citation_precision(cited_doc_ids: &[String], gold: &[String]) -> Option<f64> {
    let cited: Vec<&String> = {
        let mut seen = HashSet::new();
        cited_doc_ids
            .iter()
            .filter(|d| seen.insert(d.as_str()))
            .collect()
    };
    if cited.is_empty() {
        return None;
    }
    Some(cited.iter().filter(|d| gold.contains(d)).count() as f64 / cited.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_ignore_markers_and_separators() {
        assert_eq!(
            numbers("Returns within 30 days [1]. Fee: 4.99 EUR, or 1,000 RSD [2, 3]"),
            vec!["30", "499", "1000"]
        );
        assert_eq!(numbers("no numbers"), Vec::<String>::new());
        assert_eq!(numbers("end of 2024."), vec!["2024"]);
    }

    #[test]
    fn grounded_answer_table() {
        let src = ["You can return unworn shoes within 30 days for a full refund."];
        let cases = [
            ("You have 30 days to return them [1].", true),
            ("You have 90 days to return them [1].", false),
            ("Returns are free within 30 days.", false), // "free" is not in the source
            ("You get a refund within 30 days.", true),
            ("Imate 30 dana.", true),
        ];
        for (answer, want) in cases {
            assert_eq!(is_grounded(answer, &src), want, "{answer}");
        }
        // Serbian in either script against a Cyrillic source: the same words.
        let src = ["Враћање из Србије је бесплатно у року од 30 дана."];
        let cases = [
            ("Vraćanje iz Srbije je besplatno [1].", true),
            ("Vracanje je besplatno u roku od 30 dana.", true),
            ("Враћање је бесплатно у року од 14 дана.", false),
            ("Dobijate popust od 10%.", false), // "popust" is not in the source
        ];
        for (answer, want) in cases {
            assert_eq!(is_grounded(answer, &src), want, "{answer}");
        }
    }

    #[test]
    fn sentences_keep_decimals_together() {
        assert_eq!(
            sentences("It costs 4.99 EUR. Shipping is free!\nAsk us [1]."),
            vec!["It costs 4.99 EUR.", "Shipping is free!", "Ask us ."]
        );
    }

    #[test]
    fn supported_sentence_counts() {
        let src = ["Unworn shoes can be returned within 30 days. Refunds go to the original card."];
        // s1: all content words found; s2: "express shipping costs" not found; "Thanks!" has 1 content word ("thanks") not found.
        let answer =
            "Unworn shoes can be returned within 30 days [1]. Express shipping costs nothing. Ok.";
        assert_eq!(supported_sentences(answer, &src), (1, 2));
        // wrong number fails the sentence even though words match
        assert_eq!(
            supported_sentences("Shoes can be returned within 60 days.", &src),
            (0, 1)
        );
    }

    #[test]
    fn citation_precision_counts_distinct_docs() {
        let g = vec!["a".to_string()];
        assert_eq!(
            citation_precision(&["a".into(), "a".into(), "b".into()], &g),
            Some(0.5)
        );
        assert_eq!(citation_precision(&[], &g), None);
    }
}
