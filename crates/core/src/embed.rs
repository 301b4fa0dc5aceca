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

/// Cosine of two L2-normalised vectors. Eight independent accumulators let the compiler
/// vectorise it (a plain iterator sum does not: float addition is not associative); on x86-64
/// CPUs with AVX2 the same loop runs 8 lanes wide (chosen at run time, so the binary is portable;
/// the sums are the same, as no multiply-add is fused).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected just above.
        return unsafe { dot_avx2(a, b) };
    }
    dot_lanes(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes(a, b)
}

#[inline(always)]
fn dot_lanes(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::dot;

    #[test]
    fn dot_matches_a_plain_sum_at_every_length() {
        for len in [0usize, 3, 8, 13, 384] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "len {len}");
        }
    }
}
