//! Documents as loaded from the knowledge base, before chunking.

use frontdesk_core::retrieval::ChunkKind;
use frontdesk_core::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Heading path below the title ("Returns", "Worn footwear"); empty for text before any heading.
    pub path: Vec<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaqPair {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    Sections(Vec<Section>),
    Faq(Vec<FaqPair>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub lang: Lang,
    pub tags: Vec<String>,
    pub kind: ChunkKind,
    /// Source file relative to its knowledge root, `/`-separated.
    pub source: String,
    pub body: Body,
}

impl Document {
    /// A plain page with one untitled section (the JSONL `{"id","title","text"}` shape).
    pub fn page(id: impl Into<String>, title: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            id: id.into(),
            title: title.into(),
            url: None,
            lang: detect_lang(&text),
            tags: Vec::new(),
            kind: ChunkKind::Passage,
            source: String::new(),
            body: Body::Sections(vec![Section {
                path: Vec::new(),
                text,
            }]),
        }
    }

    /// sha256 over everything that reaches a chunk, so a metadata edit (title, tags) also re-indexes.
    pub fn content_hash(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }
}

/// Script-based guess: Cyrillic letters mean Serbian Cyrillic; Serbian Latin diacritics mean
/// Serbian Latin; anything else is English.
pub fn detect_lang(text: &str) -> Lang {
    let (mut cyr, mut latin, mut sr_marks) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            cyr += 1;
        } else if c.is_alphabetic() {
            latin += 1;
            if matches!(c, 'č' | 'ć' | 'š' | 'ž' | 'đ' | 'Č' | 'Ć' | 'Š' | 'Ž' | 'Đ') {
                sr_marks += 1;
            }
        }
    }
    if cyr > 0 && cyr * 3 >= latin {
        Lang::SrCyrl
    } else if sr_marks >= 2 || (sr_marks == 1 && latin < 40) {
        Lang::SrLatn
    } else {
        Lang::En
    }
}

/// A knowledge file (or a line of one) that could not be read; it is skipped, the rest is indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadIssue {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_language_by_script() {
        let cases = [
            ("Шаљемо у Србију", Lang::SrCyrl),
            (
                "Šaljemo u Srbiju i Crnu Goru, plaćanje karticom",
                Lang::SrLatn,
            ),
            ("We ship to Serbia", Lang::En),
            ("", Lang::En),
        ];
        for (text, want) in cases {
            assert_eq!(detect_lang(text), want, "{text:?}");
        }
    }

    #[test]
    fn hash_changes_with_content_and_metadata() {
        let a = Document::page("a", "A", "text");
        let mut b = a.clone();
        assert_eq!(a.content_hash(), b.content_hash());
        b.tags.push("x".into());
        assert_ne!(a.content_hash(), b.content_hash());
    }
}
