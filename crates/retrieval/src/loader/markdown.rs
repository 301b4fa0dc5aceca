//! Markdown with optional YAML front matter; also the target of the HTML and text loaders,
//! which turn their input into heading-structured text first.

use crate::document::{detect_lang, Body, Document, FaqPair, Section};
use frontdesk_core::retrieval::ChunkKind;
use frontdesk_core::Lang;
use regex::Regex;
use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    id: Option<String>,
    title: Option<String>,
    url: Option<String>,
    lang: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(rename = "type")]
    doc_type: Option<String>,
}

/// Parse failure with the 1-based line in the file where known.
#[derive(Debug)]
pub struct ParseError {
    pub line: Option<usize>,
    pub message: String,
}

/// Splits `---` front matter from the body. Returns (yaml, body, line where the body starts).
fn split_front_matter(text: &str) -> Result<(Option<&str>, &str, usize), ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---")
        .filter(|r| r.starts_with('\n') || r.starts_with("\r\n"))
    else {
        return Ok((None, text, 1));
    };
    let mut offset = 0;
    for (n, line) in rest.split_inclusive('\n').enumerate() {
        if n > 0 && line.trim_end() == "---" {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Ok((Some(yaml), body, n + 2));
        }
        offset += line.len();
    }
    Err(ParseError {
        line: Some(1),
        message: "front matter opened with `---` is never closed by a `---` line".into(),
    })
}

fn link_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Keep link text, drop targets and image syntax: URLs only add noise to embeddings.
    RE.get_or_init(|| {
        Regex::new(r"!?\[([^\]]*)\]\([^)]*\)").unwrap_or_else(|e| panic!("static regex: {e}"))
    })
}

fn clean_line(line: &str) -> String {
    link_re().replace_all(line, "$1").into_owned()
}

/// A heading block: (level, heading text, body lines).
type Block = (usize, String, Vec<String>);

/// Lines before the first heading, and the heading blocks outside code fences.
fn split_headings(body: &str) -> (Vec<String>, Vec<Block>) {
    let mut preamble = Vec::new();
    let mut blocks: Vec<Block> = Vec::new();
    let mut in_fence = false;
    for raw in body.lines() {
        let line = raw.trim_end();
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        let is_heading = !in_fence && (1..=6).contains(&level) && line[level..].starts_with(' ');
        if is_heading {
            blocks.push((
                level,
                line[level..]
                    .trim()
                    .trim_end_matches('#')
                    .trim()
                    .to_string(),
                Vec::new(),
            ));
        } else {
            let target = match blocks.last_mut() {
                Some(b) => &mut b.2,
                None => &mut preamble,
            };
            target.push(clean_line(line));
        }
    }
    (preamble, blocks)
}

fn join_text(lines: &[String]) -> String {
    lines.join("\n").trim().to_string()
}

/// Parses one Markdown document. `default_id` is the path-derived id, `stem` the file stem.
pub fn parse_markdown(
    text: &str,
    default_id: &str,
    stem: &str,
    source: &str,
) -> Result<Document, ParseError> {
    let (yaml, body, body_line) = split_front_matter(text)?;
    let fm: FrontMatter = match yaml {
        Some(y) if !y.trim().is_empty() => serde_yaml::from_str(y).map_err(|e| ParseError {
            line: e.location().map(|l| l.line()),
            message: format!("front matter is not valid YAML: {e}"),
        })?,
        _ => FrontMatter::default(),
    };
    let lang = match fm.lang.as_deref() {
        Some(code) => code.parse::<Lang>().map_err(|e| ParseError {
            line: Some(body_line.saturating_sub(1).max(1)),
            message: format!("front matter `lang`: {e}"),
        })?,
        None => detect_lang(body),
    };
    let kind = match fm.doc_type.as_deref().unwrap_or("page") {
        "page" => ChunkKind::Passage,
        "faq" => ChunkKind::Faq,
        "product" => ChunkKind::Product,
        other => {
            return Err(ParseError {
                line: None,
                message: format!(
                    "front matter `type: {other}` is unknown; use page, faq or product"
                ),
            })
        }
    };
    let (preamble, mut blocks) = split_headings(body);
    // The first `# ` heading is the document title, not a section, when it opens the document.
    let mut title = fm.title.clone();
    if blocks.first().is_some_and(|b| b.0 == 1) && join_text(&preamble).is_empty() {
        let (_, h1, lines) = blocks.remove(0);
        title.get_or_insert(h1);
        blocks.insert(0, (0, String::new(), lines));
    }
    let title = title.unwrap_or_else(|| stem.to_string());
    let body = if kind == ChunkKind::Faq {
        let pairs: Vec<FaqPair> = blocks
            .into_iter()
            .filter(|b| b.0 == 2)
            .map(|(_, q, lines)| FaqPair {
                question: q,
                answer: join_text(&lines),
            })
            .filter(|p| !p.answer.is_empty())
            .collect();
        if pairs.is_empty() {
            return Err(ParseError {
                line: None,
                message: "FAQ file has no `## question` headings with answers".into(),
            });
        }
        Body::Faq(pairs)
    } else {
        let mut sections = Vec::new();
        let pre = join_text(&preamble);
        if !pre.is_empty() {
            sections.push(Section {
                path: Vec::new(),
                text: pre,
            });
        }
        let mut stack: Vec<(usize, String)> = Vec::new();
        for (level, heading, lines) in blocks {
            stack.retain(|(l, _)| *l < level);
            if level > 0 {
                stack.push((level, heading));
            }
            let text = join_text(&lines);
            if !text.is_empty() {
                sections.push(Section {
                    path: stack.iter().map(|(_, h)| h.clone()).collect(),
                    text,
                });
            }
        }
        Body::Sections(sections)
    };
    Ok(Document {
        id: fm.id.unwrap_or_else(|| default_id.to_string()),
        title,
        url: fm.url,
        lang,
        tags: fm.tags,
        kind,
        source: source.to_string(),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_headings_and_defaults() {
        let md = "---\nid: policies/returns\nurl: https://x.example/returns\ntags: [policy, returns]\n---\n# Returns\n\nIntro.\n\n## Worn footwear\nOnly if faulty.\n\n### Exceptions\nSocks.\n\n## Refunds\nIn 5 days.\n";
        let doc = parse_markdown(
            md,
            "policies/returns-x",
            "returns-x",
            "policies/returns-x.md",
        )
        .unwrap();
        assert_eq!(doc.id, "policies/returns");
        assert_eq!(doc.title, "Returns");
        assert_eq!(doc.tags, vec!["policy", "returns"]);
        assert_eq!(doc.lang, Lang::En);
        let Body::Sections(s) = &doc.body else {
            panic!("sections expected")
        };
        let paths: Vec<String> = s.iter().map(|s| s.path.join(" > ")).collect();
        assert_eq!(
            paths,
            vec!["", "Worn footwear", "Worn footwear > Exceptions", "Refunds"]
        );
        assert_eq!(s[0].text, "Intro.");
    }

    #[test]
    fn faq_pairs_and_errors() {
        let md = "---\ntype: faq\nlang: sr-Cyrl\n---\n# Питања\n\n## Где шаљете?\nУ Србију.\n\n## Колико кошта?\n420 динара.\n";
        let doc = parse_markdown(md, "faq/sr", "sr", "faq/sr.md").unwrap();
        assert_eq!(doc.kind, ChunkKind::Faq);
        let Body::Faq(p) = &doc.body else {
            panic!("faq expected")
        };
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].question, "Колико кошта?");

        let cases: &[(&str, Option<usize>, &str)] = &[
            ("---\ntitle: [unclosed\n---\nbody", Some(2), "YAML"),
            ("---\ntitle: x\nbody without end", Some(1), "never closed"),
            ("---\nlang: de\n---\nbody", Some(3), "lang"),
            ("---\ntype: blog\n---\nbody", None, "type"),
            ("---\ntype: faq\n---\n# only a title\n", None, "FAQ"),
        ];
        for (text, line, needle) in cases {
            let err = parse_markdown(text, "x", "x", "x.md").unwrap_err();
            assert_eq!(err.line, *line, "{text:?}: {}", err.message);
            assert!(err.message.contains(needle), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn title_falls_back_to_stem_and_code_fences_are_not_headings() {
        let doc = parse_markdown(
            "Some text\n```\n# not a heading\n```\n",
            "a/b",
            "b",
            "a/b.md",
        )
        .unwrap();
        assert_eq!(doc.title, "b");
        let Body::Sections(s) = &doc.body else {
            panic!()
        };
        assert_eq!(s.len(), 1);
        assert!(s[0].text.contains("# not a heading"));
    }
}
