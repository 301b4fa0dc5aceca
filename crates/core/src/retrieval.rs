//! Knowledge search seam: a query in, ranked hits with calibrated confidence out.

use crate::error::RetrievalError;
use crate::lang::Lang;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchFilters {
    /// Only chunks in one of these languages (empty: any).
    #[serde(default)]
    pub langs: Vec<Lang>,
    /// Only chunks whose document has all of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub text: String,
    pub k: usize,
    #[serde(default)]
    pub filters: SearchFilters,
    /// Other spellings of the same query for the dense side, e.g. a Latin-script Serbian
    /// question written in Cyrillic: a chunk's cosine is its best over `text` and these. The
    /// lexical side folds scripts itself and reads `text` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// The query's language as the caller detected it (None: the index guesses from the
    /// script). The dense side embeds a Serbian query as Serbian, whatever its spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<crate::Lang>,
}

impl SearchQuery {
    pub fn new(text: impl Into<String>, k: usize) -> Self {
        Self {
            text: text.into(),
            k,
            filters: SearchFilters::default(),
            variants: Vec::new(),
            lang: None,
        }
    }

    /// Says which language the query is in.
    pub fn with_lang(mut self, lang: crate::Lang) -> Self {
        self.lang = Some(lang);
        self
    }

    /// Adds another spelling of the query (ignored when empty or the same as `text`).
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        let v = variant.into();
        if !v.trim().is_empty() && v.trim() != self.text.trim() {
            self.variants.push(v);
        }
        self
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct HitScores {
    /// Cosine similarity of query and chunk embeddings (None: not in the dense candidates).
    pub dense: Option<f32>,
    /// BM25 score (None: not in the lexical candidates).
    pub lexical: Option<f32>,
    /// Fused rank score used for ordering.
    pub fused: f32,
}

/// Kind of knowledge a chunk came from; FAQ answers can be given verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChunkKind {
    #[default]
    Passage,
    Faq,
    Product,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub chunk_id: String,
    pub doc_id: String,
    pub title: String,
    /// Public URL when the document declares one, else None.
    pub url: Option<String>,
    /// Path of the source file relative to the knowledge root.
    pub source: String,
    pub lang: Lang,
    pub tags: Vec<String>,
    pub kind: ChunkKind,
    /// Heading path inside the document ("Returns > Worn footwear").
    pub section: String,
    /// For FAQ chunks: the question; the answer is in `text`.
    pub question: Option<String>,
    pub text: String,
    pub scores: HitScores,
    /// Calibrated probability-like confidence in [0, 1] that this hit answers the query.
    pub confidence: f32,
    /// The passage's units as the index embedded them, when it did; not part of the wire form.
    #[serde(skip)]
    pub unit_vectors: Option<Arc<UnitVectors>>,
}

/// A passage's units ([`crate::text::unit_inputs`]) embedded when the index was built, in unit
/// order, and the model that embedded them: the reader uses them instead of embedding the units
/// while the customer waits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitVectors {
    pub model_id: String,
    pub vectors: Vec<Vec<f32>>,
}

#[async_trait]
pub trait Retriever: Send + Sync {
    async fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, RetrievalError>;
}
