//! Fuzz harnesses for the knowledge loaders (Markdown with front matter, HTML, JSONL, plain
//! text), through the same entry the indexer uses (`load_documents` on a file, then the
//! chunker). Inputs are built from each format's own pieces (structure-aware) mixed with
//! arbitrary text and bytes. A bad file must become a `LoadIssue` or a document, never a
//! panic, a hang or a large allocation.
//!
//! Short in `cargo test`; long runs: `FRONTDESK_FUZZ_CASES=1000000 cargo test --release -p
//! frontdesk-retrieval --test fuzz_loaders` (see crates/server/README.md).

use frontdesk_fuzzing::{
    check_memory, check_time, config, measure, regex, write_case_file, MeteredAlloc,
    MAX_INPUT_BYTES,
};
use frontdesk_retrieval::chunker::{chunk_document, ChunkerSettings};
use frontdesk_retrieval::load_documents;
use proptest::prelude::*;
use std::time::Instant;

#[global_allocator]
static ALLOC: MeteredAlloc = MeteredAlloc;

const CI_CASES: u32 = 400;

fn text_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        regex("[a-zA-Z0-9 .,?!:;'\"()-]{0,40}"),
        regex("\\PC{0,24}"),
        Just("Ћирилица и латиница, šđčćž ".to_string()),
        Just("\u{200b}\u{feff}\u{0301}\u{202e}".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
    ]
}

fn assemble(pieces: Vec<String>) -> String {
    let mut s = pieces.concat();
    if s.len() > MAX_INPUT_BYTES {
        let mut cut = MAX_INPUT_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn markdown() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => text_piece(),
        1 => prop::sample::select(vec![
            "---\n", "---", "id: page-1\n", "title: \"Returns\"\n", "title: [1, 2]\n",
            "lang: sr-Latn\n", "lang: sr-Cyrl\n", "lang: xx\n", "lang: 7\n", "type: faq\n",
            "type: page\n", "type: nope\n", "tags: [a, b]\n", "tags: {a: 1}\n", "url: https://x\n",
            ": : :\n", "&anchor *alias\n", "!!binary aGk=\n", "key: |\n  block\n", "\n", "\n\n",
            "# ", "## ", "### ", "#### ", "####### ", "# Question?\n", "## How do I return?\n",
            "```\n", "```rust\n", "~~~\n", "> quote\n", "* item\n", "- item\n", "1. item\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n", "<div>", "</div>", "[link](http://x)", "![img](x)",
            "***\n", "___\n", "\\", "**bold**", "_it_",
        ]).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..300).prop_map(assemble)
}

fn html() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => text_piece(),
        2 => prop::sample::select(vec![
            "<html>", "</html>", "<head>", "<title>", "</title>", "<body>", "</body>", "<h1>",
            "</h1>", "<h2>", "</h2>", "<h3 class=\"q\">", "<p>", "</p>", "<br>", "<br/>", "<hr>",
            "<script>", "</script>", "<style>", "</style>", "<!--", "-->", "<!DOCTYPE html>",
            "<ul>", "<li>", "</li>", "</ul>", "<ol>", "<table>", "<tr>", "<td>", "</td>", "<pre>",
            "</pre>", "<code>", "<a href=\"https://x\">", "</a>", "<img src=x>", "&amp;", "&lt;",
            "&#x41;", "&#65;", "&#99999999;", "&#xD800;", "&nbsp;", "&", "&;", "<", ">", "</",
            "<![CDATA[", "]]>", "<div", " class=\"a\"", "=", "\"", "'",
        ]).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..300).prop_map(assemble)
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        regex("\\PC{0,60}").prop_map(Value::String),
        Just(Value::String("sr-Latn".into())),
        Just(Value::String("xx".into())),
    ];
    // Compiled once: proptest calls this closure again for every value it generates.
    let key = regex("[a-z]{1,8}").boxed();
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn jsonl_row() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "id", "title", "text", "question", "answer", "url", "lang", "tags", "other",
    ]);
    prop_oneof![
        4 => prop::collection::btree_map(key, json_value(), 0..7).prop_map(|m| {
            serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                .to_string()
        }),
        1 => text_piece(),
        1 => Just("{\"question\": \"Can I return?\", \"answer\": \"Yes, within 30 days.\"}".to_string()),
        1 => Just("{\"id\": \"d1\", \"title\": \"T\", \"text\": \"Body\"}".to_string()),
        1 => Just("{\"question\": ".to_string()),
    ]
}

fn jsonl() -> impl Strategy<Value = String> {
    prop::collection::vec(jsonl_row(), 0..80).prop_map(|rows| assemble(vec![rows.join("\n")]))
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..4096)
}

/// Loads `bytes` as `file` through the indexer's entry and chunks what loaded.
fn load_and_chunk(file: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = write_case_file(file, bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let started = Instant::now();
    let settings = ChunkerSettings {
        chunk_tokens: 220,
        chunk_overlap: 40,
    };
    let (((docs, issues), _chunks), peak) = measure(|| {
        let (docs, issues) = load_documents(std::slice::from_ref(&path));
        let chunks: usize = docs.iter().map(|d| chunk_document(d, settings).len()).sum();
        ((docs, issues), chunks)
    });
    check_time(started, file)?;
    check_memory(peak, bytes.len(), file)?;
    for doc in &docs {
        prop_assert!(!doc.id.is_empty(), "a document without an id from {file}");
    }
    for issue in &issues {
        // Duplicate ids are reported by the document's source (relative to its root).
        prop_assert!(
            issue.path.ends_with(file),
            "an issue about another file: {issue}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(CI_CASES))]

    #[test]
    fn markdown_loader(text in markdown()) {
        load_and_chunk("page.md", text.as_bytes())?;
    }

    #[test]
    fn html_loader(text in html()) {
        load_and_chunk("page.html", text.as_bytes())?;
    }

    #[test]
    fn jsonl_loader(text in jsonl()) {
        load_and_chunk("rows.jsonl", text.as_bytes())?;
    }

    #[test]
    fn text_loader_and_raw_bytes(bytes in any_bytes(), ext in prop::sample::select(vec!["txt", "md", "html", "jsonl"])) {
        load_and_chunk(&format!("file.{ext}"), &bytes)?;
    }
}
