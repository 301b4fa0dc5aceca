//! Low-level access for `frontdesk bench inference`: exact prefill and decode timing needs the
//! model without the worker, queue and sampler in between.

use super::decode::{self, Flow};
use super::engine::{self, backend, Engine, Frontend};
use super::speculation::{Speculation, SpeculationSpec};
use candle_core::Tensor;
use frontdesk_core::{ChatMessage, InferenceError, SamplingParams};
use std::path::Path;
use std::time::Instant;

/// One generation through the worker's own token loop, timed.
#[derive(Debug, Clone)]
pub struct TimedGeneration {
    pub tokens: Vec<u32>,
    /// Seconds from the request to the first generated token (prompt pass and choice).
    pub first_token_s: f64,
    /// Seconds from the first generated token to the last.
    pub decode_s: f64,
    /// Forward passes after the prompt's, and the drafted and accepted tokens in them.
    pub passes: usize,
    pub drafted: usize,
    pub accepted: usize,
    /// Seconds spent drafting, and in the first draft alone (a draft model's pass over the
    /// prompt is in it).
    pub drafting_s: f64,
    pub first_draft_s: f64,
}

pub struct BenchModel {
    engine: Engine,
    front: Frontend,
    max_context: usize,
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
        Ok(Self {
            engine,
            front,
            max_context,
        })
    }

    /// The drafter `spec` names for this model, as the chat worker builds it (a draft model is
    /// loaded and its vocabulary checked against this model's).
    pub fn open_speculation(&self, spec: &SpeculationSpec) -> Result<Speculation, InferenceError> {
        Speculation::open(
            spec,
            &self.front,
            self.engine.vocab_size(),
            self.max_context,
        )
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

    /// Generates after `prompt` (the cached prefix reused) as the chat worker does, with
    /// `speculation` drafting or not; ends at an end-of-sequence token or `params.max_tokens`.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        params: &SamplingParams,
        speculation: Option<&mut Speculation>,
    ) -> Result<TimedGeneration, InferenceError> {
        let start = Instant::now();
        let mut first: Option<Instant> = None;
        let mut tokens = Vec::with_capacity(params.max_tokens);
        let on_token = |t: u32| {
            first.get_or_insert_with(Instant::now);
            tokens.push(t);
            Flow::Continue
        };
        let eos = self.front.eos_ids.clone();
        let outcome = decode::generate(
            &mut self.engine,
            prompt,
            params,
            None,
            speculation,
            &eos,
            on_token,
            || false,
        )?
        .ok_or_else(|| InferenceError::Backend("generation cancelled".into()))?;
        let end = Instant::now();
        let first = first.unwrap_or(end);
        Ok(TimedGeneration {
            tokens,
            first_token_s: (first - start).as_secs_f64(),
            decode_s: (end - first).as_secs_f64(),
            passes: outcome.passes,
            drafted: outcome.drafted,
            accepted: outcome.accepted,
            drafting_s: outcome.drafting.as_secs_f64(),
            first_draft_s: outcome.first_draft.as_secs_f64(),
        })
    }

    /// How far apart tokens `a` and `b` are in the logits after `context` (one prompt pass,
    /// repeat penalty applied as `params` asks): where a speculative and a plain generation
    /// part, a gap within the kernels' disagreement between a batched and a one-token pass
    /// means rounding chose, not speculation.
    pub fn choice_gap(
        &mut self,
        context: &[u32],
        a: u32,
        b: u32,
        params: &SamplingParams,
    ) -> Result<f32, InferenceError> {
        self.clear_cache();
        let (logits, _) = self.engine.prefill(context)?;
        let mut row = logits.to_vec1::<f32>().map_err(backend)?;
        if params.repeat_penalty != 1.0 && params.repeat_last_n > 0 {
            let start = context.len().saturating_sub(params.repeat_last_n);
            decode::apply_repeat_penalty(&mut row, params.repeat_penalty, &context[start..]);
        }
        let at = |t: u32| row.get(t as usize).copied().unwrap_or(f32::NAN);
        Ok((at(a) - at(b)).abs())
    }

    /// The model's end-of-sequence ids (a generation that ends on one does not return it).
    pub fn eos_ids(&self) -> &[u32] {
        &self.front.eos_ids
    }

    /// Feeds one token and returns the greedy next one (no penalties, EOS not special).
    pub fn step_greedy(&mut self, token: u32) -> Result<u32, InferenceError> {
        argmax(&self.engine.step(token)?)
    }
}
