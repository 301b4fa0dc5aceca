//! The parts of a question: "Is the tent in stock, and how heavy is it?" asks two things, and
//! an answer that states one of them leaves the other unanswered. The reader looks for a unit
//! per part.
//!
//! A part is a sentence of the message, cut again where a coordinating conjunction joins two
//! clauses. Only conjunctions that join clauses in the supported languages are cut at, and only
//! where both sides are long enough to be clauses, so "black and red", "plava i zelena" or
//! "sleep and rest" stay whole: the words on each side of a cut must hold a verb-sized clause
//! ([`MIN_PART_WORDS`] words), which a coordinated noun phrase seldom does.

use super::fold::fold;
use super::sentences::sentences;
use crate::Lang;

/// Folded conjunctions that may join two clauses of one English question.
const ENGLISH_CLAUSE_CONJUNCTIONS: &[&str] = &["and", "also", "plus"];

/// The same for Serbian in either script (folding brings Cyrillic to Latin). Kept apart from the
/// English ones: "i" and "a" are also the English "I" and "a", which join nothing.
const SERBIAN_CLAUSE_CONJUNCTIONS: &[&str] = &["i", "a", "te", "pa"];

/// Words each side of a cut needs, so a cut joins clauses, not nouns.
const MIN_PART_WORDS: usize = 3;

/// The parts of `question`, written in `lang`, in order (the question itself when it has one
/// part).
pub fn question_parts(question: &str, lang: Lang) -> Vec<&str> {
    let conjunctions = if lang.is_serbian() {
        SERBIAN_CLAUSE_CONJUNCTIONS
    } else {
        ENGLISH_CLAUSE_CONJUNCTIONS
    };
    let mut parts = Vec::new();
    for sentence in sentences(question) {
        let mut start = 0;
        let words = word_spans(sentence);
        let mut last_cut_word = 0;
        for (w, &(b, e)) in words.iter().enumerate() {
            let word = fold(&sentence[b..e]);
            if !conjunctions.contains(&word.as_str()) {
                continue;
            }
            let before = w - last_cut_word;
            let after = words.len() - w - 1;
            if before >= MIN_PART_WORDS && after >= MIN_PART_WORDS {
                push_part(&mut parts, &sentence[start..b]);
                start = b;
                last_cut_word = w;
            }
        }
        push_part(&mut parts, &sentence[start..]);
    }
    parts
}

/// Byte spans of the words of `s` (runs of letters and digits).
fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                out.push((b, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(b) = start {
        out.push((b, s.len()));
    }
    out
}

fn push_part<'a>(out: &mut Vec<&'a str>, piece: &'a str) {
    let piece = piece.trim().trim_end_matches(',').trim();
    if piece.chars().any(char::is_alphanumeric) {
        out.push(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_cut_where_a_conjunction_joins_two_clauses() {
        let cases: &[(&str, Lang, &[&str])] = &[
            (
                "Is the tent available in green, and how long is the floor?",
                Lang::En,
                &[
                    "Is the tent available in green",
                    "and how long is the floor?",
                ],
            ),
            (
                "Koliko je težak ranac i koliko kila najviše nosi?",
                Lang::SrLatn,
                &["Koliko je težak ranac", "i koliko kila najviše nosi?"],
            ),
            (
                "Колико кошта лонац и колико је тежак?",
                Lang::SrCyrl,
                &["Колико кошта лонац", "и колико је тежак?"],
            ),
            (
                "Is the lamp dimmable? Do you ship to Austria?",
                Lang::En,
                &["Is the lamp dimmable?", "Do you ship to Austria?"],
            ),
            // Nouns joined by a conjunction are one part.
            (
                "Do you have it in black and red?",
                Lang::En,
                &["Do you have it in black and red?"],
            ),
            (
                "Imate li crnu i crvenu?",
                Lang::SrLatn,
                &["Imate li crnu i crvenu?"],
            ),
            ("and the other one?", Lang::En, &["and the other one?"]),
            // The English "i" and "a" join nothing.
            (
                "what size should i pick for a tall friend?",
                Lang::En,
                &["what size should i pick for a tall friend?"],
            ),
            ("", Lang::En, &[]),
        ];
        for (q, lang, want) in cases {
            assert_eq!(question_parts(q, *lang), *want, "{q:?}");
        }
    }
}
