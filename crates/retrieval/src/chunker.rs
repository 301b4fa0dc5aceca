//! Heading-following chunking. Each chunk is self-contained for the embedder: its title and
//! heading path are prepended ("Title > Section: text"), long sections are split at paragraph,
//! then sentence, then word boundaries within a token budget, with overlap between neighbours.
//! FAQ pairs are never split.

use crate::document::{Body, Document};
use frontdesk_core::retrieval::ChunkKind;
use frontdesk_core::text::{is_table_line, is_table_separator};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// `<doc_id>#<ordinal>`: stable while the document does not change.
    pub id: String,
    pub doc_id: String,
    pub ordinal: usize,
    pub kind: ChunkKind,
    /// Heading path inside the document ("Returns > Worn footwear").
    pub section: String,
    pub question: Option<String>,
    /// What a reader is shown (for FAQ chunks: the answer).
    pub text: String,
    /// What is embedded and lexically indexed (title and path prepended).
    pub embed_text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerSettings {
    pub chunk_tokens: usize,
    pub chunk_overlap: usize,
}

/// Words × 1.3 approximates subword tokens for English and Serbian closely enough to budget by.
pub fn approx_tokens(text: &str) -> usize {
    (text.split_whitespace().count() * 13).div_ceil(10)
}

fn words_for_tokens(tokens: usize) -> usize {
    (tokens * 10 / 13).max(1)
}

/// Units no larger than the budget: paragraphs, else sentences, else word windows; a table
/// too long for the budget is cut between rows, each piece under the table's header.
fn units(text: &str, budget: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        if approx_tokens(para) <= budget {
            out.push(para.to_string());
            continue;
        }
        if para.lines().all(is_table_line) {
            out.extend(table_pieces(para, budget));
            continue;
        }
        let mut sentence = String::new();
        for word in para.split_whitespace() {
            if !sentence.is_empty() {
                sentence.push(' ');
            }
            sentence.push_str(word);
            if word.ends_with(['.', '!', '?', ':', ';']) {
                out.extend(split_words(&sentence, budget));
                sentence.clear();
            }
        }
        if !sentence.is_empty() {
            out.extend(split_words(&sentence, budget));
        }
    }
    out
}

/// A table's rows in pieces within `budget` tokens (a longer row is a piece alone), each piece
/// led by the header and its separator line when the table has them, so every row keeps the
/// names of its columns.
fn table_pieces(table: &str, budget: usize) -> Vec<String> {
    let lines: Vec<&str> = table.lines().collect();
    let header_len = if lines.len() >= 2 && is_table_separator(lines[1]) {
        2
    } else {
        0
    };
    let header = lines[..header_len].join("\n");
    let mut out = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    let piece = |rows: &[&str]| {
        let body = rows.join("\n");
        if header.is_empty() {
            body
        } else {
            format!("{header}\n{body}")
        }
    };
    for row in &lines[header_len..] {
        rows.push(row);
        if rows.len() > 1 && approx_tokens(&piece(&rows)) > budget {
            rows.pop();
            out.push(piece(&rows));
            rows = vec![row];
        }
    }
    if !rows.is_empty() {
        out.push(piece(&rows));
    }
    out
}

fn split_words(sentence: &str, budget: usize) -> Vec<String> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    words
        .chunks(words_for_tokens(budget))
        .map(|w| w.join(" "))
        .collect()
}

fn tail_words(text: &str, tokens: usize) -> String {
    if tokens == 0 {
        return String::new();
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let n = words_for_tokens(tokens).min(words.len());
    words[words.len() - n..].join(" ")
}

/// Packs a section's text into pieces within `budget` tokens; each piece after the first starts
/// with the last `overlap` tokens of its predecessor so no sentence loses its context.
pub fn pack(text: &str, budget: usize, overlap: usize) -> Vec<String> {
    let budget = budget.max(8);
    let overlap = overlap.min(budget / 2);
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut fresh = true; // current holds only overlap text
    for unit in units(text, budget.saturating_sub(overlap).max(4)) {
        if !fresh && approx_tokens(&current) + approx_tokens(&unit) > budget {
            let tail = tail_words(&current, overlap);
            pieces.push(std::mem::take(&mut current));
            current = tail;
        }
        if !current.is_empty() {
            // A table must start on a line of its own to stay a table.
            current.push_str(if fresh && !pieces.is_empty() && !is_table_line(&unit) {
                " … "
            } else {
                "\n\n"
            });
        }
        current.push_str(&unit);
        fresh = false;
    }
    if !fresh {
        pieces.push(current);
    }
    pieces
}

pub fn chunk_document(doc: &Document, settings: ChunkerSettings) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut push = |section: String, question: Option<String>, text: String, embed_text: String| {
        let ordinal = chunks.len();
        chunks.push(Chunk {
            id: format!("{}#{}", doc.id, ordinal),
            doc_id: doc.id.clone(),
            ordinal,
            kind: doc.kind,
            section,
            question,
            text,
            embed_text,
        });
    };
    match &doc.body {
        Body::Faq(pairs) => {
            for p in pairs {
                let embed = format!("{} > Q: {} A: {}", doc.title, p.question, p.answer);
                push(
                    String::new(),
                    Some(p.question.clone()),
                    p.answer.clone(),
                    embed,
                );
            }
        }
        Body::Sections(sections) => {
            for s in sections {
                let section = s.path.join(" > ");
                let prefix = if section.is_empty() {
                    doc.title.clone()
                } else {
                    format!("{} > {}", doc.title, section)
                };
                let budget = settings.chunk_tokens.saturating_sub(approx_tokens(&prefix));
                for piece in pack(&s.text, budget, settings.chunk_overlap) {
                    let embed = format!("{prefix}: {piece}");
                    push(section.clone(), None, piece, embed);
                }
            }
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{FaqPair, Section};

    fn words(n: usize, tag: &str) -> String {
        (0..n)
            .map(|i| format!("{tag}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_long_table_is_cut_between_rows_under_its_header() {
        let mut table = String::from("| Weight | Price |\n|---|---|\n");
        for i in 0..30 {
            table.push_str(&format!("| up to {i} kg | {i}00 RSD |\n"));
        }
        let text = format!("Intro sentence here.\n\n{table}");
        let pieces = pack(&text, 60, 8);
        assert!(pieces.len() >= 3, "{pieces:#?}");
        for p in &pieces[1..] {
            let table_start = p.find("| Weight | Price |\n|---|---|\n| up to");
            assert!(table_start.is_some(), "every piece keeps the header: {p}");
            // The overlap never glues text to the header's line.
            let header_line = p[..table_start.unwrap()].rsplit('\n').next().unwrap();
            assert!(header_line.is_empty(), "{p}");
        }
        let rows: usize = pieces.iter().map(|p| p.matches(" kg |").count()).sum();
        assert!(rows >= 30, "no row lost: {pieces:#?}");
    }

    #[test]
    fn pack_table() {
        // (text, budget, overlap, expected piece word counts)
        let long_para = words(100, "w");
        let two_paras = format!("{}\n\n{}", words(30, "a"), words(30, "b"));
        let sentences = format!(
            "{}. {}. {}.",
            words(20, "x"),
            words(20, "y"),
            words(20, "z")
        );
        let cases: Vec<(&str, usize, usize, Vec<usize>)> = vec![
            ("short text", 50, 10, vec![2]),
            ("", 50, 10, vec![]),
            (&two_paras, 100, 10, vec![60]),
            (&two_paras, 45, 0, vec![30, 30]),
            (&two_paras, 60, 13, vec![30, 40]),
            (&long_para, 52, 0, vec![40, 40, 20]),
            (&sentences, 30, 0, vec![20, 20, 20]),
        ];
        for (text, budget, overlap, want) in cases {
            let got: Vec<usize> = pack(text, budget, overlap)
                .iter()
                .map(|p| p.split_whitespace().filter(|w| *w != "…").count())
                .collect();
            assert_eq!(
                got, want,
                "budget {budget} overlap {overlap} text {:.30}",
                text
            );
            for piece in pack(text, budget, overlap) {
                assert!(
                    approx_tokens(&piece) <= budget + 2,
                    "piece over budget: {piece}"
                );
            }
        }
    }

    #[test]
    fn overlap_repeats_the_tail_of_the_previous_piece() {
        let text = format!("{}\n\n{}", words(30, "a"), words(30, "b"));
        let pieces = pack(&text, 60, 13);
        assert!(pieces[1].starts_with("a20 a21"), "{}", pieces[1]);
        assert!(pieces[1].contains("b0"));
    }

    fn doc(body: Body) -> Document {
        Document {
            title: "Returns".into(),
            ..Document::page("policies/returns", "Returns", "")
        }
        .with_body(body)
    }

    impl Document {
        fn with_body(mut self, body: Body) -> Self {
            self.body = body;
            self
        }
    }

    #[test]
    fn chunks_carry_title_path_and_stable_ids() {
        let d = doc(Body::Sections(vec![
            Section {
                path: vec![],
                text: "Intro.".into(),
            },
            Section {
                path: vec!["Worn footwear".into(), "Exceptions".into()],
                text: "Only if faulty.".into(),
            },
        ]));
        let s = ChunkerSettings {
            chunk_tokens: 220,
            chunk_overlap: 40,
        };
        let c = chunk_document(&d, s);
        let got: Vec<(&str, &str, &str)> = c
            .iter()
            .map(|c| (c.id.as_str(), c.section.as_str(), c.embed_text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("policies/returns#0", "", "Returns: Intro."),
                (
                    "policies/returns#1",
                    "Worn footwear > Exceptions",
                    "Returns > Worn footwear > Exceptions: Only if faulty."
                ),
            ]
        );
        assert_eq!(chunk_document(&d, s), c, "chunking is deterministic");
    }

    #[test]
    fn faq_pairs_stay_whole_even_when_long() {
        let answer = words(500, "w");
        let d = Document {
            kind: ChunkKind::Faq,
            ..doc(Body::Faq(vec![FaqPair {
                question: "Why?".into(),
                answer: answer.clone(),
            }]))
        };
        let c = chunk_document(
            &d,
            ChunkerSettings {
                chunk_tokens: 50,
                chunk_overlap: 10,
            },
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, answer);
        assert_eq!(c[0].question.as_deref(), Some("Why?"));
        assert_eq!(c[0].kind, ChunkKind::Faq);
        assert!(c[0].embed_text.starts_with("Returns > Q: Why? A: w0"));
    }
}
