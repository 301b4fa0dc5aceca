//! A draft model for speculative decoding: a smaller chat model with the chat model's
//! vocabulary (Qwen2.5-Coder-0.5B for the 1.5B) drafts the next tokens greedily on its own KV
//! cache, and the chat model checks them in one batched pass (`decode.rs`).
//!
//! The draft cache follows the accepted text with no bookkeeping of its own: every draft
//! starts by bringing the cache to the text so far (`Engine::prefill` keeps the prefix it
//! shares with what is cached), which feeds it the tokens accepted since the last draft and
//! cuts back the drafted ones that were refused.

use super::decode::{apply_repeat_penalty, argmax};
use super::engine::{self, backend, Engine, Frontend};
use frontdesk_core::{InferenceError, SamplingParams};
use std::path::Path;

pub struct DraftModel {
    engine: Engine,
    max_draft: usize,
    /// Ids the chat model has logits for. A draft model's output may have more rows (its
    /// matrix padded past the tokenizer's ids); an id at or past this could not be verified.
    target_rows: usize,
    /// A draft ends before these: the chat model's own choice ends the generation there.
    eos: Vec<u32>,
}

impl DraftModel {
    /// Loads the GGUF at `path` as a draft model for `target` (whose output has `target_rows`
    /// logits), after checking the two vocabularies give every id the same token.
    pub(crate) fn open(
        path: &Path,
        max_draft: usize,
        max_context: usize,
        target: &Frontend,
        target_rows: usize,
    ) -> Result<Self, InferenceError> {
        let (engine, front) = engine::open(path, max_context)?;
        check_same_vocabulary(target, &front).map_err(|why| {
            InferenceError::ModelUnavailable {
                model: path.display().to_string(),
                why: format!(
                    "it cannot draft for this chat model: {why}; a draft model must use the chat model's tokenizer (e.g. Qwen2.5-Coder-0.5B for the 1.5B)"
                ),
            }
        })?;
        Ok(Self {
            engine,
            max_draft,
            target_rows,
            eos: front.eos_ids,
        })
    }

    pub fn max_draft(&self) -> usize {
        self.max_draft
    }

    /// Fills `out` with up to `limit.min(max_draft)` tokens after `history`, each the greedy
    /// choice of the draft model after the repeat penalty `params` asks for (so it chooses as
    /// the chat model will when it agrees). Ends early at an end-of-sequence choice or an id
    /// the chat model does not have.
    pub(crate) fn draft(
        &mut self,
        history: &[u32],
        params: &SamplingParams,
        limit: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), InferenceError> {
        out.clear();
        let room = self
            .engine
            .decoder
            .config()
            .context
            .saturating_sub(history.len());
        let limit = limit.min(self.max_draft).min(room);
        let rows = self.engine.vocab_size();
        // The chat model's ids beyond the draft model's rows (padding, never produced in
        // practice) cannot be fed to it: no draft then.
        if limit == 0 || history.iter().any(|&t| t as usize >= rows) {
            return Ok(());
        }
        let (logits, _) = self.engine.prefill(history)?;
        let mut row = logits.to_vec1::<f32>().map_err(backend)?;
        let penalised = params.repeat_penalty != 1.0 && params.repeat_last_n > 0;
        let mut recent = Vec::new();
        loop {
            if penalised {
                // The window the chat model's choice will see: the last `repeat_last_n` of the
                // history followed by the tokens drafted so far.
                let n = params.repeat_last_n;
                recent.clear();
                let from_history = n.saturating_sub(out.len()).min(history.len());
                recent.extend_from_slice(&history[history.len() - from_history..]);
                recent.extend_from_slice(&out[out.len().saturating_sub(n)..]);
                apply_repeat_penalty(&mut row, params.repeat_penalty, &recent);
            }
            let verifiable = &row[..rows.min(self.target_rows)];
            let token = argmax(verifiable);
            if self.eos.contains(&token) {
                break;
            }
            out.push(token);
            if out.len() == limit {
                break;
            }
            row = self.engine.step(token)?.to_vec1::<f32>().map_err(backend)?;
        }
        Ok(())
    }

    /// Leaves the cache holding only `prefix`.
    pub(crate) fn start_from(&mut self, prefix: &[u32]) -> Result<(), InferenceError> {
        self.engine.truncate(0);
        if !prefix.is_empty() {
            self.engine.prefill(prefix)?;
        }
        Ok(())
    }
}

/// `Ok` when `draft` gives every token id the same token as `target` and both end and begin
/// sequences with the same ids, so the draft model reads the chat model's prompts and its
/// drafts mean what they say; otherwise why not.
pub(crate) fn check_same_vocabulary(target: &Frontend, draft: &Frontend) -> Result<(), String> {
    let (t, d) = (&target.tokenizer, &draft.tokenizer);
    let (tn, dn) = (t.get_vocab_size(true), d.get_vocab_size(true));
    if tn != dn {
        return Err(format!(
            "its vocabulary has {dn} tokens, the chat model's {tn}"
        ));
    }
    for id in 0..tn as u32 {
        let (a, b) = (t.id_to_token(id), d.id_to_token(id));
        if a != b {
            return Err(format!(
                "token {id} is {b:?} in it but {a:?} in the chat model"
            ));
        }
    }
    let sorted = |ids: &[u32]| {
        let mut v = ids.to_vec();
        v.sort_unstable();
        v
    };
    if sorted(&target.eos_ids) != sorted(&draft.eos_ids) {
        return Err(format!(
            "its end-of-sequence ids are {:?}, the chat model's {:?}",
            draft.eos_ids, target.eos_ids
        ));
    }
    if target.add_bos != draft.add_bos {
        return Err(format!(
            "it starts a sequence with {:?}, the chat model with {:?}",
            draft.add_bos, target.add_bos
        ));
    }
    Ok(())
}
