//! Building answers from retrieved knowledge: follow-up query rewriting and extractive answers
//! (the most relevant sentences of a passage).

use crate::lang::fold;
use crate::verify::sentences;
use frontdesk_core::retrieval::{ChunkKind, Hit};
use frontdesk_core::{ConversationState, Lang};

/// Words that make a short message depend on the previous topic ("and how long does that take?").
const ANAPHORA: &[&str] = &[
    "that",
    "it",
    "this",
    "those",
    "these",
    "they",
    "them",
    "there",
    "and",
    "also",
    "what about",
    "how about",
    "to",
    "ono",
    "ovo",
    "taj",
    "ta",
    "te",
    "tamo",
    "a",
    "i",
    "koliko",
    "onda",
    "njega",
    "nju",
    "njih",
];

/// The search text for `message`: short or anaphoric follow-ups are searched together with the
/// conversation's topic, so "a koliko košta?" after a question about shipping finds shipping.
pub fn rewrite_query(message: &str, state: &ConversationState) -> String {
    let Some(topic) = state.topic.as_deref().filter(|t| !t.trim().is_empty()) else {
        return message.to_string();
    };
    if is_follow_up(message) {
        format!("{topic} {message}")
    } else {
        message.to_string()
    }
}

/// Short messages, or ones that lean on a pronoun, continue the previous topic.
pub fn is_follow_up(message: &str) -> bool {
    let folded = fold(message);
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() <= 2 {
        return true;
    }
    words.len() <= 7 && words.iter().any(|w| ANAPHORA.contains(w))
}

fn stems(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// `text` without a leading "Yes" or "No" (English or Serbian, either script) and the
/// punctuation after it, its next letter upper-cased: "Yes. Delivered items …" → "Delivered
/// items …". "No returns after 30 days" keeps its "No", which is not an answer word there.
pub fn without_yes_or_no(text: String) -> String {
    let trimmed = text.trim_start();
    let word_end = trimmed
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(trimmed.len());
    let word = trimmed[..word_end].to_lowercase();
    if !matches!(word.as_str(), "yes" | "no" | "da" | "ne" | "да" | "не") {
        return text;
    }
    let after = &trimmed[word_end..];
    let Some(rest) = after
        .strip_prefix(['.', ',', '!', ';', ':'])
        .or_else(|| after.trim_start().strip_prefix(['—', '–']))
    else {
        return text;
    };
    let rest = rest.trim_start();
    let mut chars = rest.chars();
    match chars.next() {
        Some(first) if first.is_alphanumeric() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

/// The answer text of a hit given verbatim: FAQ answers whole, passages cut to their
/// `max_sentences` most query-relevant sentences (kept in document order).
pub fn extract(hit: &Hit, query: &str, max_sentences: usize) -> String {
    if hit.kind == ChunkKind::Faq {
        return hit.text.trim().to_string();
    }
    let q: Vec<String> = stems(query);
    let sents = sentences(&hit.text);
    let mut scored: Vec<(usize, f32)> = sents
        .iter()
        .enumerate()
        .filter(|(_, s)| s.chars().count() >= 15 && !s.starts_with('#'))
        .map(|(i, s)| {
            let st = stems(s);
            let overlap = q.iter().filter(|w| st.contains(w)).count() as f32;
            // Earlier sentences usually state the rule; later ones qualify it.
            (i, overlap - i as f32 * 0.01)
        })
        .collect();
    if scored.is_empty() {
        return hit.text.trim().to_string();
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut keep: Vec<usize> = scored
        .iter()
        .take(max_sentences.max(1))
        .map(|(i, _)| *i)
        .collect();
    keep.sort_unstable();
    keep.iter()
        .map(|&i| sents[i].trim_start_matches(['-', '*', ' ']).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`extract`] for a customer writing in `lang`: a question typed in Latin-script Serbian gets a
/// Cyrillic page's sentences in Latin. The other way is left alone: a Latin page carries e-mail
/// addresses, SKUs and brand names that must not be transliterated, and readers of Cyrillic
/// read Latin too.
pub fn extract_in_script(hit: &Hit, query: &str, max_sentences: usize, lang: Lang) -> String {
    in_customers_script(extract(hit, query, max_sentences), hit.lang, lang)
}

/// `text` quoted from a page in `page` for a customer writing in `customer`: Cyrillic in Latin
/// for a Latin-script customer, anything else as written (see [`extract_in_script`]).
pub fn in_customers_script(text: String, page: Lang, customer: Lang) -> String {
    if page == Lang::SrCyrl && customer == Lang::SrLatn {
        crate::lang::cyr_to_lat(&text)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::retrieval::HitScores;

    pub(crate) fn hit(kind: ChunkKind, text: &str) -> Hit {
        Hit {
            chunk_id: "c1".into(),
            doc_id: "d1".into(),
            title: "Returns".into(),
            url: None,
            source: "policies/returns.md".into(),
            lang: Lang::En,
            tags: vec![],
            kind,
            section: String::new(),
            question: None,
            text: text.into(),
            scores: HitScores::default(),
            confidence: 0.9,
            unit_vectors: None,
        }
    }

    #[test]
    fn extract_follows_the_customers_script_table() {
        let page = |lang| Hit {
            lang,
            ..hit(
                ChunkKind::Passage,
                "Враћање из Србије је бесплатно. Пишите на info@shop.example.",
            )
        };
        let latin_page = Hit {
            lang: Lang::SrLatn,
            ..hit(
                ChunkKind::Passage,
                "Vraćanje je besplatno. Pišite na info@shop.example.",
            )
        };
        // (page, customer's language, expected first words)
        let cases = [
            (
                page(Lang::SrCyrl),
                Lang::SrLatn,
                "Vraćanje iz Srbije je besplatno.",
            ),
            (
                page(Lang::SrCyrl),
                Lang::SrCyrl,
                "Враћање из Србије је бесплатно.",
            ),
            (
                page(Lang::SrCyrl),
                Lang::En,
                "Враћање из Србије је бесплатно.",
            ),
            (latin_page.clone(), Lang::SrCyrl, "Vraćanje je besplatno."),
        ];
        for (h, lang, want) in cases {
            let got = extract_in_script(&h, "vraćanje besplatno", 2, lang);
            assert!(got.starts_with(want), "{lang:?}: {got}");
        }
        assert!(
            extract_in_script(&page(Lang::SrCyrl), "pišite", 2, Lang::SrLatn)
                .contains("info@shop.example")
        );
    }

    #[test]
    fn follow_up_rewriting_table() {
        let with_topic = ConversationState {
            topic: Some("return policy for shoes".into()),
            ..Default::default()
        };
        let cases = [
            (
                "and how long does that take?",
                "return policy for shoes and how long does that take?",
            ),
            (
                "a koliko to košta?",
                "return policy for shoes a koliko to košta?",
            ),
            ("the refund?", "return policy for shoes the refund?"),
            (
                "Do you ship to Canada and how much is express delivery?",
                "Do you ship to Canada and how much is express delivery?",
            ),
        ];
        for (msg, want) in cases {
            assert_eq!(rewrite_query(msg, &with_topic), want, "{msg}");
        }
        assert_eq!(
            rewrite_query("and that?", &ConversationState::default()),
            "and that?"
        );
    }

    #[test]
    fn without_yes_or_no_table() {
        for (text, want) in [
            (
                "Yes. Delivered items can be exchanged.",
                "Delivered items can be exchanged.",
            ),
            (
                "No, exchanges are only for another size.",
                "Exchanges are only for another size.",
            ),
            ("Да, само у Србији.", "Само у Србији."),
            ("Ne — samo u Srbiji.", "Samo u Srbiji."),
            ("No returns after 30 days.", "No returns after 30 days."),
            (
                "Yesterday's orders ship today.",
                "Yesterday's orders ship today.",
            ),
            ("Yes.", "Yes."),
        ] {
            assert_eq!(without_yes_or_no(text.to_string()), want, "{text}");
        }
    }

    #[test]
    fn extracts_relevant_sentences() {
        let h = hit(
            ChunkKind::Passage,
            "Our shop sells outdoor gear. Unworn items can be returned within 30 days. Refunds take 5–7 business days. We love hiking.",
        );
        assert_eq!(
            extract(&h, "how many days to return unworn items", 1),
            "Unworn items can be returned within 30 days."
        );
        assert_eq!(
            extract(&h, "how long do refunds take after I return items", 2),
            "Unworn items can be returned within 30 days. Refunds take 5–7 business days."
        );
        let faq = hit(ChunkKind::Faq, "Yes, within 30 days.");
        assert_eq!(extract(&faq, "anything", 1), "Yes, within 30 days.");
    }
}
