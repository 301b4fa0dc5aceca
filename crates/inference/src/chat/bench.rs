//! Low-level access for `frontdesk bench inference`: exact prefill and decode timing needs the
//! model without the worker, queue and sampler in between.

use super::engine::{self, backend, Engine, Frontend};
use candle_core::Tensor;
use frontdesk_core::{ChatMessage, InferenceError};
use std::path::Path;

pub struct BenchModel {
    engine: Engine,
    front: Frontend,
}

fn argmax(logits: &Tensor) -> Result<u32, InferenceError> {
    logits
        .argmax(0)
        .and_then(|t| t.to_scalar::<u32>())
        .map_err(backend)
}

impl BenchModel {
    pub fn load(path: &Path, max_context: usize) -> Result<Self, InferenceError> {
        let (engine, front) = engine::open(path, max_context)?;
        Ok(Self { engine, front })
    }

    /// Raw text to ids with the model's own tokenizer (no chat template, special-token text not parsed specially).
    pub fn encode_raw(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        self.front.encode_raw(text)
    }

    pub fn encode_chat(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, InferenceError> {
        self.front.encode_chat(messages)
    }

    pub fn decode(&self, ids: &[u32]) -> String {
        self.front.tokenizer.decode(ids, true).unwrap_or_default()
    }

    pub fn clear_cache(&mut self) {
        self.engine.truncate(0);
    }

    /// Keeps only the first `len` cached positions (e.g. the system prompt).
    pub fn truncate_cache(&mut self, len: usize) {
        self.engine.truncate(len);
    }

    pub fn cached_len(&self) -> usize {
        self.engine.cached_len()
    }

    /// Runs the prompt (reusing any cached prefix) and returns the greedy next token and how many
    /// prompt tokens came from the cache.
    pub fn prefill_greedy(&mut self, prompt: &[u32]) -> Result<(u32, usize), InferenceError> {
        let (logits, cached) = self.engine.prefill(prompt)?;
        Ok((argmax(&logits)?, cached))
    }

    /// Feeds one token and returns the greedy next one (no penalties, EOS not special).
    pub fn step_greedy(&mut self, token: u32) -> Result<u32, InferenceError> {
        argmax(&self.engine.step(token)?)
    }
}
