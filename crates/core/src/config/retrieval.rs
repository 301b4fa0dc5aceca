use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Chunk budget in (approximate) tokens, and overlap between consecutive chunks.
    pub chunk_tokens: usize,
    pub chunk_overlap: usize,
    /// Candidates taken from each of the dense and lexical lists before fusion.
    pub candidates: usize,
    /// Reciprocal-rank-fusion constant.
    pub rrf_k: f32,
    /// Weight of the dense list in the fusion (lexical gets 1 - dense_weight).
    pub dense_weight: f32,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        Self {
            chunk_tokens: 220,
            chunk_overlap: 40,
            candidates: 50,
            rrf_k: 60.0,
            dense_weight: 0.5,
        }
    }
}
