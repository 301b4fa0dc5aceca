//! The LM reader: the chat model writes the answer from the units the embedding reader ranks
//! closest to the question (`Reader::candidates`), under a copy constraint, so that numbers,
//! names, units and links can only be copied from those units, never made up.
//!
//! The units are given as plain lines — no numbers, no page titles in brackets — so there is
//! no prompt furniture to echo; which units were copied (reported by the constraint while
//! decoding) says what the answer cites. A line "NOT_FOUND" is what the model writes when the
//! units do not answer; it is offered as a span too, since the copy constraint would otherwise
//! forbid its capitals.

use crate::lang::cyr_to_lat;
use crate::reader::Candidate;
use frontdesk_core::chat::{ConstraintReport, CopySpans, DecodeConstraintSpec};
use frontdesk_core::{ChatMessage, GenerateRequest, Lang, SamplingParams};

/// The same text every turn, so the model's KV prefix cache is reused.
pub const SYSTEM_PROMPT: &str = "You are a customer-service assistant. Answer the customer's question using only the \
facts in the message. Write one or two short sentences in the language the message asks for. Copy numbers, prices, \
names and time limits exactly as the facts write them. If the facts do not answer the question, write only: NOT_FOUND";

/// What the model writes when the facts do not answer the question.
pub const NOT_FOUND: &str = "NOT_FOUND";

/// Tokens the LM may write for one answer.
pub const MAX_ANSWER_TOKENS: usize = 96;

/// One line given to the model: a unit with its passage's heading in front, in the script the
/// customer reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// Index into the hits the candidates were read from.
    pub hit: usize,
    pub text: String,
}

/// The facts for `lang` from the reader's candidates (best first, repeats dropped). A
/// customer writing Serbian in Latin gets Cyrillic units transliterated, so what the model
/// copies is in the customer's script.
pub fn facts(candidates: &[Candidate], lang: Lang) -> Vec<Fact> {
    let mut out: Vec<Fact> = Vec::new();
    for c in candidates {
        let unit = c.text.trim();
        if unit.is_empty() {
            continue;
        }
        let head = c.heading.trim();
        let line = if head.is_empty() || unit.starts_with(head) {
            unit.to_string()
        } else {
            format!("{head}: {unit}")
        };
        let line = if lang == Lang::SrLatn {
            cyr_to_lat(&line)
        } else {
            line
        };
        if !out.iter().any(|f| f.text == line) {
            out.push(Fact {
                hit: c.hit,
                text: line,
            });
        }
    }
    out
}

/// The chat messages: the fixed system prompt, then the facts one per line and the question.
pub fn prompt(question: &str, facts: &[Fact], lang: Lang) -> Vec<ChatMessage> {
    let mut user = String::from("Facts:\n");
    for f in facts {
        user.push_str(f.text.trim());
        user.push('\n');
    }
    user.push_str(&format!(
        "\nQuestion: {}\nAnswer in {}.",
        question.trim(),
        lang.prompt_name()
    ));
    vec![ChatMessage::system(SYSTEM_PROMPT), ChatMessage::user(user)]
}

/// The generation request: greedy, copy-constrained to the facts (and the NOT_FOUND marker,
/// the last span), stopping at a blank line or the marker.
pub fn request(question: &str, facts: &[Fact], lang: Lang) -> GenerateRequest {
    let mut spans: Vec<String> = facts.iter().map(|f| f.text.clone()).collect();
    spans.push(NOT_FOUND.to_string());
    GenerateRequest {
        messages: prompt(question, facts, lang),
        params: SamplingParams {
            max_tokens: MAX_ANSWER_TOKENS,
            stop: vec!["\n\n".into(), NOT_FOUND.into()],
            constraint: Some(DecodeConstraintSpec::Copy(CopySpans::new(spans))),
            ..SamplingParams::default()
        },
    }
}

/// The facts an answer copied from (indices into `facts`, in order of first copy); the
/// NOT_FOUND span is not a fact.
pub fn copied_facts(report: &ConstraintReport, facts: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for c in &report.copies {
        if c.span < facts && !out.contains(&c.span) {
            out.push(c.span);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::chat::CopiedStretch;

    fn cand(hit: usize, heading: &str, text: &str) -> Candidate {
        Candidate {
            hit,
            heading: heading.into(),
            text: text.into(),
            score: 0.9,
        }
    }

    #[test]
    fn facts_carry_their_heading_in_the_readers_script_without_repeats() {
        let c = [
            cand(0, "Достава", "Пакет стиже за 3 дана."),
            cand(1, "Достава", "Пакет стиже за 3 дана."),
            cand(1, "", "Orders ship from Novi Sad."),
            cand(2, "Returns", "Returns: within 30 days."),
        ];
        let latin = facts(&c, Lang::SrLatn);
        assert_eq!(
            latin
                .iter()
                .map(|f| (f.hit, f.text.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (0, "Dostava: Paket stiže za 3 dana."),
                (1, "Orders ship from Novi Sad."),
                (2, "Returns: within 30 days."),
            ]
        );
        assert_eq!(
            facts(&c, Lang::SrCyrl)[0].text,
            "Достава: Пакет стиже за 3 дана."
        );
    }

    #[test]
    fn the_prompt_is_plain_lines_and_the_marker_is_the_last_span() {
        let f = facts(&[cand(0, "Tents", "The tent weighs 2.1 kg.")], Lang::En);
        let r = request("how heavy is the tent?", &f, Lang::En);
        let user = &r.messages[1].content;
        assert!(
            user.contains("Facts:\nTents: The tent weighs 2.1 kg.\n"),
            "{user}"
        );
        assert!(!user.contains('['), "{user}");
        assert!(user.ends_with("Answer in English."), "{user}");
        let Some(DecodeConstraintSpec::Copy(spans)) = &r.params.constraint else {
            panic!("copy constraint expected");
        };
        assert_eq!(spans.spans.last().map(String::as_str), Some(NOT_FOUND));
        assert_eq!(spans.spans.len(), 2);
    }

    #[test]
    fn citations_are_the_facts_copied_from() {
        let stretch = |span| CopiedStretch {
            span,
            source: 0..2,
            output: 0..2,
        };
        let report = ConstraintReport {
            complete: true,
            copies: vec![stretch(2), stretch(0), stretch(2), stretch(3)],
        };
        assert_eq!(copied_facts(&report, 3), vec![2, 0]);
    }
}
