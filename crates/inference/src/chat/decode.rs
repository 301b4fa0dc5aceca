//! The token loop every generation runs (the worker's requests and `frontdesk bench inference`):
//! choose a token from a logits row (repeat penalty, constraint mask, greedy or sampled choice),
//! hand it on, feed it back. Fed one token per pass, or — greedy only, with a [`Speculation`] —
//! the chosen token followed by a drafted continuation, all scored in one batched pass.
//!
//! **Speculation.** A drafter guesses what comes next: prompt lookup (a grounded answer copies
//! stretches of its passages, so the tokens after the latest earlier occurrence of the last few
//! tokens are a good guess) or a smaller draft model with the same vocabulary
//! (`speculation.rs`, `draft.rs`). Either way the check below is the same: the pass over
//! `[next, d₁ … d_k]` returns one logits row per position; the rows are
//! walked in order exactly as plain decoding would (penalty over the tokens accepted so far,
//! the constraint's mask, greedy choice) and a draft token is kept while it equals the choice.
//! The first choice that differs is the next token (it is correct: its row saw only accepted
//! tokens), and the KV cache is cut back to the accepted positions. So the output is plain
//! greedy decoding's, up to the rounding by which a batched pass's logits differ from a
//! one-token pass's (the prompt kernels and the one-row kernels sum in other orders). A draft
//! token the constraint does not allow is never chosen, so it ends the draft there; the
//! constraint only ever advances with chosen tokens.

use super::constraint::Constrained;
use super::engine::{backend, Engine};
use super::speculation::Speculation;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use frontdesk_core::chat::FinishReason;
use frontdesk_core::{InferenceError, SamplingParams};
use std::time::{Duration, Instant};

/// What the caller does after a token is handed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// End here (a stop string was found); the finish reason is `Stop`.
    Stop,
    /// The receiver went away: abandon the request.
    Cancelled,
}

/// How a generation ended, and what speculation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub reason: FinishReason,
    /// Prompt tokens reused from the KV cache.
    pub cached: usize,
    pub generated: usize,
    /// Forward passes after the prompt.
    pub passes: usize,
    pub drafted: usize,
    pub accepted: usize,
    /// Time spent drafting (a draft model's passes, its first over the prompt included), and
    /// in the request's first draft alone.
    pub drafting: Duration,
    pub first_draft: Duration,
}

/// Chooses a token from a logits row as the request asks.
struct Chooser<'a> {
    params: &'a SamplingParams,
    greedy: bool,
    sampler: LogitsProcessor,
    constraint: Option<&'a mut Constrained>,
}

impl Chooser<'_> {
    /// The token for this row after `history`; `None` when the constraint allows nothing.
    fn choose(
        &mut self,
        row: &mut [f32],
        history: &[u32],
        remaining: usize,
    ) -> Result<Option<u32>, InferenceError> {
        let p = self.params;
        if p.repeat_penalty != 1.0 && p.repeat_last_n > 0 {
            let start = history.len().saturating_sub(p.repeat_last_n);
            apply_repeat_penalty(row, p.repeat_penalty, &history[start..]);
        }
        let (greedy, sampler) = (self.greedy, &mut self.sampler);
        let mut pick = |row: &[f32]| -> candle_core::Result<u32> {
            if greedy {
                Ok(argmax(row))
            } else {
                sampler.sample(&Tensor::from_slice(row, row.len(), &Device::Cpu)?)
            }
        };
        match self.constraint.as_deref_mut() {
            None => pick(row).map(Some).map_err(backend),
            Some(c) => c.choose_row(row, remaining, pick).map_err(backend),
        }
    }
}

/// Divides positive and multiplies negative logits of every token seen in `context` (each
/// once) by `penalty`: candle's `apply_repeat_penalty`, in place on a row.
pub(crate) fn apply_repeat_penalty(row: &mut [f32], penalty: f32, context: &[u32]) {
    let mut seen: Vec<u32> = context.to_vec();
    seen.sort_unstable();
    seen.dedup();
    for t in seen {
        if let Some(l) = row.get_mut(t as usize) {
            if *l >= 0.0 {
                *l /= penalty;
            } else {
                *l *= penalty;
            }
        }
    }
}

/// Greedy choice (the first of equal maxima; −∞ never wins while anything is allowed).
pub(crate) fn argmax(row: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best as u32
}

/// The state of one generation between passes.
struct Run<'a, F> {
    params: &'a SamplingParams,
    eos: &'a [u32],
    history: Vec<u32>,
    generated: usize,
    on_token: F,
}

/// Why a run stops after a token.
enum End {
    Finished(FinishReason),
    Cancelled,
}

impl<F: FnMut(u32) -> Flow> Run<'_, F> {
    /// Hands on a chosen token. `Some` when generation ends with it (an end-of-sequence token
    /// ends it before: not counted, not handed on).
    fn emit(&mut self, token: u32, constraint_complete: impl Fn() -> bool) -> Option<End> {
        if self.eos.contains(&token) {
            return Some(End::Finished(FinishReason::Eos));
        }
        self.generated += 1;
        self.history.push(token);
        match (self.on_token)(token) {
            Flow::Continue => {}
            Flow::Stop => return Some(End::Finished(FinishReason::Stop)),
            Flow::Cancelled => return Some(End::Cancelled),
        }
        if constraint_complete() {
            return Some(End::Finished(FinishReason::Stop));
        }
        (self.generated >= self.params.max_tokens).then_some(End::Finished(FinishReason::Length))
    }
}

/// Generates after `prompt` (reusing the cached prefix), handing each token to `on_token`.
/// `speculation` drafts when the choice is greedy (sampled choices are never speculated: a
/// draft would change which random numbers each position gets). `Ok(None)`: cancelled.
#[allow(clippy::too_many_arguments)]
pub(crate) fn generate(
    engine: &mut Engine,
    prompt: &[u32],
    params: &SamplingParams,
    constraint: Option<&mut Constrained>,
    speculation: Option<&mut Speculation>,
    eos: &[u32],
    on_token: impl FnMut(u32) -> Flow,
    cancelled: impl Fn() -> bool,
) -> Result<Option<Outcome>, InferenceError> {
    let (first, cached) = engine.prefill(prompt)?;
    let mut out = Outcome {
        reason: FinishReason::Length,
        cached,
        generated: 0,
        passes: 0,
        drafted: 0,
        accepted: 0,
        drafting: Duration::ZERO,
        first_draft: Duration::ZERO,
    };
    if params.max_tokens == 0 {
        return Ok(Some(out));
    }
    let kind = super::worker::sampling_of(params);
    let greedy = matches!(kind, Sampling::ArgMax);
    let mut speculation = speculation.filter(|_| greedy);
    let mut run = Run {
        params,
        eos,
        history: prompt.to_vec(),
        generated: 0,
        on_token,
    };
    let mut chooser = Chooser {
        params,
        greedy,
        sampler: LogitsProcessor::from_sampling(params.seed, kind),
        constraint,
    };
    if cancelled() {
        return Ok(None);
    }
    let mut row = first.to_vec1::<f32>().map_err(backend)?;
    let Some(mut next) = chooser.choose(&mut row, &run.history, params.max_tokens)? else {
        // Nothing allowed (a custom constraint ran dry): end here.
        out.reason = FinishReason::Stop;
        return Ok(Some(out));
    };
    let vocab = engine.vocab_size();
    let mut draft = Vec::new();
    let mut fed = Vec::new();
    loop {
        // `next` is chosen but neither handed on nor fed.
        let end = run.emit(next, || {
            chooser
                .constraint
                .as_deref()
                .is_some_and(Constrained::is_complete)
        });
        if let Some(end) = end {
            match end {
                End::Finished(r) => out.reason = r,
                End::Cancelled => return Ok(None),
            }
            break;
        }
        if cancelled() {
            return Ok(None);
        }
        let remaining = params.max_tokens - run.generated;
        match speculation.as_deref_mut() {
            Some(s) => {
                let started = Instant::now();
                // Each drafted token, if accepted, is followed by one more chosen token.
                s.draft(&run.history, params, remaining - 1, &mut draft)?;
                let took = started.elapsed();
                if out.passes == 0 {
                    out.first_draft = took;
                }
                out.drafting += took;
            }
            None => draft.clear(),
        }
        fed.clear();
        fed.push(next);
        fed.extend_from_slice(&draft);
        let base = engine.cached_len();
        let mut rows = engine.step_many(&fed)?;
        out.passes += 1;
        out.drafted += draft.len();
        let mut accepted = 0;
        let mut ended = None;
        for (i, row) in rows.chunks_exact_mut(vocab).enumerate() {
            let remaining = params.max_tokens - run.generated;
            let Some(c) = chooser.choose(row, &run.history, remaining)? else {
                ended = Some(End::Finished(FinishReason::Stop));
                break;
            };
            if draft.get(i) == Some(&c) {
                accepted += 1;
                ended = run.emit(c, || {
                    chooser
                        .constraint
                        .as_deref()
                        .is_some_and(Constrained::is_complete)
                });
                if ended.is_some() {
                    break;
                }
            } else {
                next = c;
                break;
            }
        }
        // Keep the positions of `next` and the accepted draft; the rest were guesses.
        engine.truncate(base + 1 + accepted);
        out.accepted += accepted;
        match ended {
            Some(End::Finished(r)) => {
                out.reason = r;
                break;
            }
            Some(End::Cancelled) => return Ok(None),
            None => {}
        }
    }
    out.generated = run.generated;
    Ok(Some(out))
}
