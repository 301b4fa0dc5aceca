//! Sentence embeddings. Implementations own their model on a worker thread; this trait is the
//! async handle the retrieval and engine crates hold.

use crate::error::InferenceError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// e5-style models embed queries and passages with different prefixes (`query: `, `passage: `);
/// models without prefixes ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbedKind {
    Query,
    Passage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedderInfo {
    /// Stable id written into index manifests (e.g. `multilingual-e5-small`); a mismatch refuses the index.
    pub model_id: String,
    pub dim: usize,
    pub max_tokens: usize,
}

#[async_trait]
pub trait Embedder: Send + Sync {
    fn info(&self) -> EmbedderInfo;
    /// L2-normalised vectors, one per text, in input order.
    async fn embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError>;
}

/// Cosine of two L2-normalised vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
