//! Walks knowledge roots and parses each file by extension. Bad files become `LoadIssue`s and
//! are skipped; the rest is loaded, less any paragraph that speaks to the assistant
//! (`injection.rs`), which is reported as an issue too.

mod html;
mod jsonl;
mod markdown;

pub use html::html_to_markdown;
pub use markdown::parse_markdown;

use crate::document::{Document, LoadIssue};
use crate::injection::leave_out_instructions;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Loads every knowledge document under `roots` (files or folders). Order is deterministic
/// (roots in order, paths sorted); a duplicate document id keeps the first and reports the rest.
pub fn load_documents(roots: &[PathBuf]) -> (Vec<Document>, Vec<LoadIssue>) {
    let mut docs = Vec::new();
    let mut issues = Vec::new();
    for root in roots {
        if root.is_file() {
            let base = root.parent().unwrap_or(Path::new(""));
            load_file(root, base, &mut docs, &mut issues);
            continue;
        }
        if !root.is_dir() {
            issues.push(LoadIssue {
                path: root.clone(),
                line: None,
                message: "knowledge root does not exist".into(),
            });
            continue;
        }
        let mut files = Vec::new();
        walk(root, root, &mut files, &mut issues);
        files.sort();
        for file in files {
            load_file(&file, root, &mut docs, &mut issues);
        }
    }
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(docs.len());
    for mut doc in docs {
        for left_out in leave_out_instructions(&mut doc) {
            issues.push(LoadIssue {
                path: PathBuf::from(&doc.source),
                line: None,
                message: format!(
                    "left out a paragraph that speaks to the assistant instead of informing customers (a prompt injection?): {left_out:?}"
                ),
            });
        }
        if seen.insert(doc.id.clone()) {
            unique.push(doc);
        } else {
            issues.push(LoadIssue {
                path: PathBuf::from(&doc.source),
                line: None,
                message: format!(
                    "duplicate document id {:?}; give it a distinct `id` in its front matter",
                    doc.id
                ),
            });
        }
    }
    (unique, issues)
}

/// Whether a path below a root is knowledge at all (not hidden, not the shop's seed data, not
/// the KB's own README, not the intent catalogue).
fn is_knowledge(path: &Path, root: &Path, is_dir: bool) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') {
        return false;
    }
    if is_dir {
        return name != "store";
    }
    if name == "intents.jsonl" {
        return false;
    }
    !(name.eq_ignore_ascii_case("README.md") && path.parent() == Some(root))
}

fn walk(dir: &Path, root: &Path, files: &mut Vec<PathBuf>, issues: &mut Vec<LoadIssue>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            issues.push(LoadIssue {
                path: dir.to_path_buf(),
                line: None,
                message: format!("cannot list folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = path.is_dir();
        if !is_knowledge(&path, root, is_dir) {
            continue;
        }
        if is_dir {
            walk(&path, root, files, issues);
        } else {
            files.push(path);
        }
    }
}

fn load_file(path: &Path, root: &Path, docs: &mut Vec<Document>, issues: &mut Vec<LoadIssue>) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(
        ext.as_str(),
        "md" | "markdown" | "jsonl" | "html" | "htm" | "txt"
    ) {
        return;
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let source = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let default_id = source
        .rsplit_once('.')
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| source.clone());
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("document")
        .to_string();
    let text = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(_)) => {
            issues.push(LoadIssue {
                path: path.to_path_buf(),
                line: None,
                message: "not UTF-8 text".into(),
            });
            return;
        }
        Err(e) => {
            issues.push(LoadIssue {
                path: path.to_path_buf(),
                line: None,
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    let parsed = match ext.as_str() {
        "jsonl" => {
            let (mut d, mut i) = jsonl::parse_jsonl(&text, path, &default_id, &stem, &source);
            docs.append(&mut d);
            issues.append(&mut i);
            return;
        }
        "html" | "htm" => {
            let (title, md) = html_to_markdown(&text);
            parse_markdown(&md, &default_id, &stem, &source).map(|mut d| {
                if let Some(t) = title {
                    d.title = t;
                }
                d
            })
        }
        "txt" => Ok(Document {
            source: source.clone(),
            ..Document::page(&default_id, &stem, text.trim())
        }),
        _ => parse_markdown(&text, &default_id, &stem, &source),
    };
    match parsed {
        Ok(doc) if doc_is_empty(&doc) => issues.push(LoadIssue {
            path: path.to_path_buf(),
            line: None,
            message: "no text to index".into(),
        }),
        Ok(doc) => docs.push(doc),
        Err(e) => issues.push(LoadIssue {
            path: path.to_path_buf(),
            line: e.line,
            message: e.message,
        }),
    }
}

fn doc_is_empty(doc: &Document) -> bool {
    match &doc.body {
        crate::document::Body::Sections(s) => s.iter().all(|s| s.text.trim().is_empty()),
        crate::document::Body::Faq(p) => p.is_empty(),
    }
}
