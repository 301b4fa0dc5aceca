//! What a greedy generation drafts with before the chat model checks the draft in one batched
//! pass (`decode.rs`): prompt lookup (the continuation of an earlier occurrence of the last few
//! tokens) or a smaller draft model that shares the chat model's vocabulary (`draft.rs`). Both
//! only propose tokens; the verify-and-accept walk is the same for either.

use super::draft::DraftModel;
use super::engine::Frontend;
use frontdesk_core::{InferenceError, SamplingParams};
use std::path::PathBuf;

/// Drafts by prompt lookup: the continuation, in the text so far (prompt and generated
/// tokens), of the latest earlier occurrence of its last `n` tokens, for the largest
/// `n ≤ max_ngram` that has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptLookup {
    /// Longest suffix matched (tried from this length down to 1).
    pub max_ngram: usize,
    /// Most tokens drafted per pass.
    pub max_draft: usize,
}

impl Default for PromptLookup {
    fn default() -> Self {
        Self {
            max_ngram: 3,
            max_draft: DEFAULT_MAX_DRAFT,
        }
    }
}

/// Drafted tokens per pass for prompt lookup, chosen by measurement on the grounded-answer
/// workload (see the crate README): a pass of 1 + 3 rows keeps the one-row kernels (up to four
/// activation rows share a streamed weight block) and costs little more than a plain step.
pub const DEFAULT_MAX_DRAFT: usize = 3;

/// Drafted tokens per pass for a draft model, chosen by measurement on the grounded-answer
/// workload with Qwen2.5-Coder-0.5B drafting for the 1.5B (crate README, "Draft model"): 2 and
/// 3 measured alike, and 3 yields more tokens per pass; each drafted token costs a step of the
/// draft model whether it is kept or not, and past 1 + 3 rows the verify pass leaves the
/// one-row kernels.
pub const DEFAULT_DRAFT_MODEL_MAX_DRAFT: usize = 3;

impl PromptLookup {
    /// Fills `out` with at most `limit.min(max_draft)` tokens (none when nothing matches).
    pub fn draft(&self, history: &[u32], limit: usize, out: &mut Vec<u32>) {
        out.clear();
        let limit = limit.min(self.max_draft);
        if limit == 0 {
            return;
        }
        let len = history.len();
        for n in (1..=self.max_ngram.min(len.saturating_sub(1))).rev() {
            let suffix = &history[len - n..];
            // Latest first: the nearest earlier occurrence is the likeliest continuation (the
            // passage being quoted, or the phrase just written). An occurrence must leave at
            // least one token after it, so it starts before `len - n`.
            if let Some(start) = (0..len - n).rev().find(|&i| &history[i..i + n] == suffix) {
                let from = start + n;
                out.extend_from_slice(&history[from..(from + limit).min(len)]);
                return;
            }
        }
    }
}

/// How a chat worker speculates, as plain data (it sits in `ChatWorkerOptions`); the worker
/// turns it into a [`Speculation`] when it starts.
#[derive(Debug, Clone, PartialEq)]
pub enum SpeculationSpec {
    Lookup(PromptLookup),
    /// A smaller GGUF chat model drafts up to `max_draft` tokens per pass. It is loaded beside
    /// the chat model and refused unless the two vocabularies match.
    Draft {
        path: PathBuf,
        max_draft: usize,
    },
}

/// A drafter ready to propose tokens: what the token loop holds.
pub enum Speculation {
    Lookup(PromptLookup),
    /// Boxed: a loaded model is large beside a lookup's two numbers.
    Draft(Box<DraftModel>),
}

impl std::fmt::Debug for Speculation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lookup(l) => f.debug_tuple("Lookup").field(l).finish(),
            Self::Draft(d) => f.debug_tuple("Draft").field(&d.max_draft()).finish(),
        }
    }
}

impl Speculation {
    /// Builds the drafter `spec` names for the chat model `target` (whose output has
    /// `target_rows` logits), loading a draft model with a cache of `max_context` tokens.
    pub(crate) fn open(
        spec: &SpeculationSpec,
        target: &Frontend,
        target_rows: usize,
        max_context: usize,
    ) -> Result<Self, InferenceError> {
        Ok(match spec {
            SpeculationSpec::Lookup(l) => Self::Lookup(*l),
            SpeculationSpec::Draft { path, max_draft } => Self::Draft(Box::new(DraftModel::open(
                path,
                *max_draft,
                max_context,
                target,
                target_rows,
            )?)),
        })
    }

    /// Most tokens drafted per pass.
    pub fn max_draft(&self) -> usize {
        match self {
            Self::Lookup(l) => l.max_draft,
            Self::Draft(d) => d.max_draft(),
        }
    }

    /// Fills `out` with at most `limit` tokens proposed to follow `history` (the prompt and
    /// the tokens accepted so far), chosen as `params` would choose them.
    pub(crate) fn draft(
        &mut self,
        history: &[u32],
        params: &SamplingParams,
        limit: usize,
        out: &mut Vec<u32>,
    ) -> Result<(), InferenceError> {
        match self {
            Self::Lookup(l) => {
                l.draft(history, limit, out);
                Ok(())
            }
            Self::Draft(d) => d.draft(history, params, limit, out),
        }
    }

    /// Leaves the drafter holding only `prefix` (a draft model's cache then holds the system
    /// prompt, as between the engine's turns); prompt lookup holds nothing between requests.
    pub fn start_from(&mut self, prefix: &[u32]) -> Result<(), InferenceError> {
        match self {
            Self::Lookup(_) => Ok(()),
            Self::Draft(d) => d.start_from(prefix),
        }
    }
}
