//! The language maps in search: a Serbian question's image under the map is searched beside
//! the question, as an English one; an English question's image in Serbian only when the
//! index holds Serbian pages; the stored index is untouched.

use frontdesk_core::config::RetrievalConfig;
use frontdesk_core::testing::HashEmbedder;
use frontdesk_core::{Embedder, Lang, SearchQuery};
use frontdesk_retrieval::{load_documents, HybridIndex, LanguageMap, LanguageMaps, SearchMode};
use std::sync::Arc;

fn write(root: &std::path::Path, rel: &str, text: &str) {
    std::fs::write(root.join(rel), text).unwrap();
}

/// Both directions of one map fitted on a single pair (enough for the hashing embedder: the
/// map sends one language's word buckets to the other's).
fn maps(hashing: &HashEmbedder, sr: &str, en: &str) -> Arc<LanguageMaps> {
    let (sr, en) = (hashing.embed_one(sr), hashing.embed_one(en));
    Arc::new(LanguageMaps {
        to_english: LanguageMap::fit(
            std::slice::from_ref(&sr),
            std::slice::from_ref(&en),
            0.01,
            "test".into(),
        )
        .unwrap(),
        to_serbian: LanguageMap::fit(&[en], &[sr], 0.01, "test".into()).unwrap(),
    })
}

async fn index(embedder: Arc<dyn Embedder>) -> (HybridIndex, tempfile::TempDir) {
    index_with(embedder, &[]).await
}

/// The two English pages, and `extra` (file name, text) pages beside them.
async fn index_with(
    embedder: Arc<dyn Embedder>,
    extra: &[(&str, &str)],
) -> (HybridIndex, tempfile::TempDir) {
    let kb = tempfile::tempdir().unwrap();
    for (name, text) in extra {
        write(kb.path(), name, text);
    }
    write(
        kb.path(),
        "shipping.md",
        "# Shipping\n\nDelivery costs 5 EUR and takes two days.\n",
    );
    write(
        kb.path(),
        "returns.md",
        "# Returns\n\nUnused items can be sent back within 30 days for a refund.\n",
    );
    let (docs, issues) = load_documents(&[kb.path().to_path_buf()]);
    assert!(issues.is_empty(), "{issues:?}");
    let ix = HybridIndex::build_in_memory(docs, embedder, &RetrievalConfig::default())
        .await
        .unwrap();
    (ix, kb)
}

fn ids(hits: &[frontdesk_core::Hit]) -> Vec<String> {
    hits.iter().map(|h| h.doc_id.clone()).collect()
}

#[tokio::test]
async fn a_serbian_question_finds_the_english_page_through_its_mapped_image() {
    let hashing = HashEmbedder::new(256);
    let embedder: Arc<dyn Embedder> = Arc::new(HashEmbedder::new(256));
    let map = maps(
        &hashing,
        "koliko košta dostava",
        "how much does delivery cost",
    );

    let (plain, _kb) = index(embedder.clone()).await;
    let (mapped, _kb2) = index(embedder.clone()).await;
    let mapped = mapped.with_language_map(map);
    let question = SearchQuery::new("koliko košta dostava", 2);

    let before = plain
        .search_with(&question, SearchMode::Dense)
        .await
        .unwrap();
    assert!(
        before.iter().all(|h| h.scores.dense.unwrap_or(0.0) < 0.05),
        "no shared word, no similarity: {before:?}"
    );
    let after = mapped
        .search_with(&question, SearchMode::Hybrid)
        .await
        .unwrap();
    assert_eq!(after[0].doc_id, "shipping", "{:?}", ids(&after));
    let dense = |i: usize| after[i].scores.dense.unwrap_or(0.0);
    assert!(dense(0) > 0.1 && dense(0) > 3.0 * dense(1), "{after:?}");

    // Said to be English (the caller knows better than the letters): not mapped.
    let told_english = question.clone().with_lang(Lang::En);
    assert_eq!(
        mapped
            .search_with(&told_english, SearchMode::Dense)
            .await
            .unwrap(),
        plain
            .search_with(&told_english, SearchMode::Dense)
            .await
            .unwrap()
    );
    // With no Serbian page in the index, an English question is searched exactly as without
    // the map.
    let english = SearchQuery::new("can I get a refund for unused items", 2);
    assert_eq!(
        mapped
            .search_with(&english, SearchMode::Hybrid)
            .await
            .unwrap(),
        plain
            .search_with(&english, SearchMode::Hybrid)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_english_question_finds_a_serbian_page_through_its_mapped_image() {
    let hashing = HashEmbedder::new(256);
    let embedder: Arc<dyn Embedder> = Arc::new(HashEmbedder::new(256));
    let map = maps(&hashing, "gde je paketomat", "where is the parcel locker");
    let serbian_page = [(
        "paketomat.md",
        "---\nid: paketomat\nlang: sr-Latn\n---\n# Paketomat\n\ngde je paketomat najbliži vama\n",
    )];
    let (plain, _kb) = index_with(embedder.clone(), &serbian_page).await;
    let (mapped, _kb2) = index_with(embedder.clone(), &serbian_page).await;
    let mapped = mapped.with_language_map(map);
    let question = SearchQuery::new("where is the parcel locker", 3).with_lang(Lang::En);

    let before = plain
        .search_with(&question, SearchMode::Dense)
        .await
        .unwrap();
    let paketomat = |hits: &[frontdesk_core::Hit]| {
        hits.iter()
            .find(|h| h.doc_id == "paketomat")
            .and_then(|h| h.scores.dense)
            .unwrap_or(0.0)
    };
    let after = mapped
        .search_with(&question, SearchMode::Dense)
        .await
        .unwrap();
    assert_eq!(after[0].doc_id, "paketomat", "{:?}", ids(&after));
    assert!(
        paketomat(&after) > paketomat(&before) + 0.2,
        "{before:?} → {after:?}"
    );
}

#[tokio::test]
async fn a_map_for_another_dimension_is_not_used() {
    let embedder: Arc<dyn Embedder> = Arc::new(HashEmbedder::new(64));
    let v = vec![vec![1.0f32, 0.0, 0.0], vec![0.0, 1.0, 0.0]];
    let one = LanguageMap::fit(&v, &v, 1.0, "three".into()).unwrap();
    let map = Arc::new(LanguageMaps {
        to_english: one.clone(),
        to_serbian: one,
    });
    let (ix, _kb) = index(embedder).await;
    let ix = ix.with_language_map(map);
    let hits = ix
        .search_with(
            &SearchQuery::new("koliko košta dostava", 2),
            SearchMode::Hybrid,
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 2);
}
