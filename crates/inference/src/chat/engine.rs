//! One loaded chat model plus the token ids its KV cache currently holds, so a request that
//! shares a prefix with the previous one only runs the new suffix.

use super::gguf::{self, LoadedGguf};
use super::model::Decoder;
use super::template::ChatTemplate;
use candle_core::Tensor;
use frontdesk_core::{ChatMessage, InferenceError};
use std::path::Path;
use std::sync::Arc;
use tokenizers::Tokenizer;

/// Prompt tokens run per forward pass: large enough for efficient matmuls, small enough that the
/// attention scores (chunk × context × heads) stay around 100 MB.
const PREFILL_CHUNK: usize = 512;

pub(crate) struct Engine {
    pub decoder: Decoder,
    /// Token ids in the KV cache, in order; always `decoder.cache_len()` long.
    cached: Vec<u32>,
}

/// The parts of a loaded model that callers on other threads need (prompt building, counting).
pub(crate) struct Frontend {
    pub tokenizer: Arc<Tokenizer>,
    pub template: ChatTemplate,
    pub eos_ids: Vec<u32>,
    pub add_bos: Option<u32>,
    pub architecture: String,
    pub context: usize,
}

pub(crate) fn backend(e: candle_core::Error) -> InferenceError {
    InferenceError::Backend(e.to_string())
}

pub(crate) fn open(path: &Path, max_context: usize) -> Result<(Engine, Frontend), InferenceError> {
    let LoadedGguf {
        decoder,
        tokenizer,
        template,
        bos_token,
        eos_token,
        eos_ids,
        add_bos,
    } = gguf::load(path, max_context)?;
    let template = ChatTemplate::new(template.as_deref(), &bos_token, &eos_token)?;
    let front = Frontend {
        tokenizer: Arc::new(tokenizer),
        template,
        eos_ids,
        add_bos,
        architecture: decoder.config().arch.clone(),
        context: decoder.config().context,
    };
    Ok((
        Engine {
            decoder,
            cached: Vec::new(),
        },
        front,
    ))
}

impl Frontend {
    /// Raw text to ids, as the model's own tokenizer does it (no template; BOS only if the GGUF asks).
    pub fn encode_raw(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| InferenceError::InvalidInput(format!("cannot tokenize: {e}")))?;
        let mut ids: Vec<u32> = self.add_bos.into_iter().collect();
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// The conversation rendered with the model's chat template, as ids.
    pub fn encode_chat(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, InferenceError> {
        let text = self.template.render(messages)?;
        // Templates that start with the BOS text already carry it.
        let enc = self
            .tokenizer
            .encode(text.as_str(), false)
            .map_err(|e| InferenceError::InvalidInput(format!("cannot tokenize: {e}")))?;
        let ids = enc.get_ids();
        let mut out: Vec<u32> = Vec::with_capacity(ids.len() + 1);
        if let Some(b) = self.add_bos {
            if ids.first() != Some(&b) {
                out.push(b);
            }
        }
        out.extend_from_slice(ids);
        Ok(out)
    }
}

fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl Engine {
    pub fn cached_len(&self) -> usize {
        self.cached.len()
    }

    /// Brings the KV cache to hold `prompt` and returns the last position's logits and how many
    /// prompt tokens were already cached (not recomputed).
    pub fn prefill(&mut self, prompt: &[u32]) -> Result<(Tensor, usize), InferenceError> {
        if prompt.is_empty() {
            return Err(InferenceError::InvalidInput("empty prompt".into()));
        }
        // At least one token must run to produce logits for the next position.
        let reuse = common_prefix(&self.cached, prompt).min(prompt.len() - 1);
        self.truncate(reuse);
        let mut logits = None;
        for chunk in prompt[reuse..].chunks(PREFILL_CHUNK) {
            logits = Some(self.run(chunk)?);
        }
        match logits {
            Some(l) => Ok((l, reuse)),
            None => Err(InferenceError::InvalidInput("empty prompt".into())),
        }
    }

    /// Feeds one generated token; returns the next logits.
    pub fn step(&mut self, token: u32) -> Result<Tensor, InferenceError> {
        self.run(&[token])
    }

    /// Feeds `tokens` in one pass and returns the logits after each of them, `[tokens][vocab]`:
    /// row `i` scores the position after `tokens[i]` (how a speculative draft is checked).
    pub fn step_many(&mut self, tokens: &[u32]) -> Result<Vec<f32>, InferenceError> {
        self.feed(tokens, tokens.len())
    }

    pub fn vocab_size(&self) -> usize {
        self.decoder.vocab_size()
    }

    pub fn truncate(&mut self, len: usize) {
        self.decoder.truncate_cache(len);
        self.cached.truncate(self.decoder.cache_len());
    }

    fn run(&mut self, tokens: &[u32]) -> Result<Tensor, InferenceError> {
        let logits = self.feed(tokens, 1)?;
        let n = logits.len();
        Tensor::from_vec(logits, n, &candle_core::Device::Cpu).map_err(backend)
    }

    /// Runs `tokens` after the cache and returns the logits of the last `rows` of them.
    fn feed(&mut self, tokens: &[u32], rows: usize) -> Result<Vec<f32>, InferenceError> {
        match self.decoder.forward_last(tokens, rows) {
            Ok(l) => {
                self.cached.extend_from_slice(tokens);
                Ok(l)
            }
            Err(e) => {
                // Start clean: the next prompt is run in full.
                self.truncate(0);
                Err(backend(e))
            }
        }
    }
}
