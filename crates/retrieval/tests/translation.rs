//! Question translation in search: a Serbian question over English pages is also searched as
//! its English translation (dense variant and lexical words), an English one over Serbian pages
//! as its Serbian one; without a translator, or when it fails, the search is what it was. The
//! last test runs the real Apertium (required where `FRONTDESK_REQUIRE_TRANSLATOR=1`, as in CI).

use async_trait::async_trait;
use frontdesk_core::config::{QuestionTranslator, RetrievalConfig};
use frontdesk_core::testing::HashEmbedder;
use frontdesk_core::{Lang, SearchQuery, TranslationError, Translator};
use frontdesk_retrieval::translation::Apertium;
use frontdesk_retrieval::{load_documents, HybridIndex, SearchMode};
use std::sync::{Arc, Mutex};

/// Translates by a fixed table and records what it was asked.
struct TableTranslator {
    table: Vec<(&'static str, &'static str)>,
    asked: Mutex<Vec<(String, Lang, Lang)>>,
}

#[async_trait]
impl Translator for TableTranslator {
    fn translates(&self, from: Lang, to: Lang) -> bool {
        from.is_serbian() != to.is_serbian()
    }
    async fn translate(
        &self,
        text: &str,
        from: Lang,
        to: Lang,
    ) -> Result<String, TranslationError> {
        self.asked
            .lock()
            .unwrap()
            .push((text.to_string(), from, to));
        self.table
            .iter()
            .find(|(q, _)| *q == text)
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| TranslationError::Failed("not in the table".into()))
    }
}

async fn index(pages: &[(&str, &str)]) -> (HybridIndex, tempfile::TempDir) {
    let kb = tempfile::tempdir().unwrap();
    for (name, text) in pages {
        std::fs::write(kb.path().join(name), text).unwrap();
    }
    let (docs, issues) = load_documents(&[kb.path().to_path_buf()]);
    assert!(issues.is_empty(), "{issues:?}");
    let ix = HybridIndex::build_in_memory(
        docs,
        Arc::new(HashEmbedder::new(64)),
        &RetrievalConfig::default(),
    )
    .await
    .unwrap();
    (ix, kb)
}

const ENGLISH_PAGES: &[(&str, &str)] = &[
    (
        "warranty.md",
        "# Warranty\n\nEvery stove carries a guarantee of three years against defects.\n",
    ),
    (
        "payment.md",
        "# Payment\n\nPay by card or by bank transfer when you order.\n",
    ),
];

fn top(hits: &[frontdesk_core::Hit]) -> &str {
    hits.first().map(|h| h.doc_id.as_str()).unwrap_or("")
}

#[tokio::test]
async fn a_serbian_question_meets_the_english_page_through_its_translation() {
    let (ix, _kb) = index(ENGLISH_PAGES).await;
    let question = "Koliko traje garancija na rešo?";
    let translator = Arc::new(TableTranslator {
        table: vec![(question, "How long lasts guarantee on stove?")],
        asked: Mutex::new(Vec::new()),
    });
    let query = SearchQuery::new(question, 2).with_lang(Lang::SrLatn);
    let without = ix.search_with(&query, SearchMode::Lexical).await.unwrap();
    assert!(without.is_empty(), "no Serbian word is on an English page");
    let ix = ix.with_translator(Some(translator.clone()));
    let hits = ix.search_with(&query, SearchMode::Lexical).await.unwrap();
    assert_eq!(top(&hits), "warranty", "{hits:?}");
    let hits = ix.search_with(&query, SearchMode::Hybrid).await.unwrap();
    assert_eq!(top(&hits), "warranty", "{hits:?}");
    let asked = translator.asked.lock().unwrap().clone();
    assert!(asked
        .iter()
        .all(|(t, from, to)| t == question && *from == Lang::SrLatn && *to == Lang::En));
}

#[tokio::test]
async fn an_english_question_is_translated_only_when_serbian_pages_exist() {
    let translator = Arc::new(TableTranslator {
        table: vec![],
        asked: Mutex::new(Vec::new()),
    });
    let (ix, _kb) = index(ENGLISH_PAGES).await;
    let ix = ix.with_translator(Some(translator.clone()));
    let query = SearchQuery::new("How long is the guarantee?", 2).with_lang(Lang::En);
    ix.search_with(&query, SearchMode::Hybrid).await.unwrap();
    assert!(translator.asked.lock().unwrap().is_empty());

    let mut pages = ENGLISH_PAGES.to_vec();
    pages.push((
        "dostava.md",
        "---\nlang: sr-Latn\n---\n# Dostava\n\nDostava traje dva dana.\n",
    ));
    let (ix, _kb) = index(&pages).await;
    let ix = ix.with_translator(Some(translator.clone()));
    // The table has no entry: the translation fails and the search goes on without it.
    let hits = ix.search_with(&query, SearchMode::Hybrid).await.unwrap();
    assert_eq!(top(&hits), "warranty", "{hits:?}");
    let asked = translator.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!((asked[0].1, asked[0].2), (Lang::En, Lang::SrLatn));
}

#[tokio::test]
async fn the_configured_translator_is_off_by_default() {
    assert_eq!(
        RetrievalConfig::default().translate_questions,
        QuestionTranslator::Off
    );
}

/// The real translator, where it is installed: both directions give words of the other
/// language, a name that is no word and a number pass through, and Cyrillic is read.
#[tokio::test]
async fn apertium_translates_both_ways() {
    let Some(apertium) = Apertium::detect("apertium") else {
        assert!(
            std::env::var("FRONTDESK_REQUIRE_TRANSLATOR").as_deref() != Ok("1"),
            "FRONTDESK_REQUIRE_TRANSLATOR=1 but apertium with the hbs-eng pair is not installed"
        );
        eprintln!("skipped: apertium is not installed");
        return;
    };
    let en = apertium
        .translate(
            "Da li imate crvene cipele Zorvik 42?",
            Lang::SrLatn,
            Lang::En,
        )
        .await
        .unwrap();
    let words: Vec<String> = en
        .to_lowercase()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert!(words.iter().any(|w| w == "red"), "{en}");
    assert!(en.contains("Zorvik") && en.contains("42"), "{en}");
    let cyr = apertium
        .translate("Да ли имате црвене ципеле?", Lang::SrCyrl, Lang::En)
        .await
        .unwrap();
    assert!(cyr.to_lowercase().contains("red"), "{cyr}");
    let sr = apertium
        .translate("Where can I buy new shoes?", Lang::En, Lang::SrLatn)
        .await
        .unwrap();
    assert!(sr.to_lowercase().contains("cipel"), "{sr}");
}
