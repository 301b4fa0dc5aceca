//! JSONL knowledge: `{"id","title","text"}` rows are documents (the shape of the external eval
//! sets); `{"question","answer"}` rows are FAQ pairs, gathered into one FAQ document per file.

use crate::document::{detect_lang, Body, Document, FaqPair, LoadIssue, Section};
use frontdesk_core::retrieval::ChunkKind;
use frontdesk_core::Lang;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Row {
    id: Option<String>,
    title: Option<String>,
    text: Option<String>,
    question: Option<String>,
    answer: Option<String>,
    url: Option<String>,
    lang: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

pub fn parse_jsonl(
    text: &str,
    path: &Path,
    default_id: &str,
    stem: &str,
    source: &str,
) -> (Vec<Document>, Vec<LoadIssue>) {
    let mut docs = Vec::new();
    let mut issues = Vec::new();
    let mut faq = Vec::new();
    let mut faq_langs = String::new();
    let issue = |line: usize, message: String| LoadIssue {
        path: path.to_path_buf(),
        line: Some(line),
        message,
    };
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let row: Row = match serde_json::from_str(raw) {
            Ok(r) => r,
            Err(e) => {
                issues.push(issue(line_no, format!("not a JSON object: {e}")));
                continue;
            }
        };
        let lang = match row.lang.as_deref().map(str::parse::<Lang>) {
            Some(Ok(l)) => Some(l),
            Some(Err(e)) => {
                issues.push(issue(line_no, e.to_string()));
                continue;
            }
            None => None,
        };
        match (row.question, row.answer, row.text) {
            (Some(q), Some(a), _) => {
                faq_langs.push_str(&q);
                faq.push(FaqPair {
                    question: q,
                    answer: a,
                });
            }
            (_, _, Some(text)) => {
                let Some(id) = row.id else {
                    issues.push(issue(line_no, "row has `text` but no `id`".into()));
                    continue;
                };
                let title = row.title.unwrap_or_else(|| id.clone());
                docs.push(Document {
                    lang: lang.unwrap_or_else(|| detect_lang(&text)),
                    id,
                    title,
                    url: row.url,
                    tags: row.tags,
                    kind: ChunkKind::Passage,
                    source: source.to_string(),
                    body: Body::Sections(vec![Section {
                        path: Vec::new(),
                        text,
                    }]),
                });
            }
            _ => issues.push(issue(
                line_no,
                "row needs `id`+`text` (a document) or `question`+`answer` (a FAQ pair)".into(),
            )),
        }
    }
    if !faq.is_empty() {
        docs.push(Document {
            id: default_id.to_string(),
            title: stem.to_string(),
            url: None,
            lang: detect_lang(&faq_langs),
            tags: Vec::new(),
            kind: ChunkKind::Faq,
            source: source.to_string(),
            body: Body::Faq(faq),
        });
    }
    (docs, issues)
}
