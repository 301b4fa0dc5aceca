//! Constrained decoding: a per-request constraint that says which tokens may come next.
//!
//! A [`DecodeConstraint`] is asked, before each token, to fill a [`TokenSet`] with the tokens it
//! allows; the worker sets every other logit to −∞ before the greedy or sampled choice, and then
//! tells the constraint which token was chosen. Under every constraint the output also stays
//! valid UTF-8 (a token that would break a character is masked too), so the byte offsets a
//! constraint reports are offsets in the text the caller receives.
//!
//! Two constraints come with the crate, built from `frontdesk_core::chat::DecodeConstraintSpec`
//! (which crosses the worker channel as plain data): [`JsonConstraint`] (one JSON object
//! following a flat schema) and [`CopyConstraint`] (digits, names, units and links only while
//! copying from given spans, with the copied stretches reported back). Callers in this crate can
//! pass their own with `ChatHandle::generate_with`.
//!
//! **Speculative decoding.** The interface is per position: the mask depends only on the tokens
//! accepted so far. A verifier that scores a draft of k tokens in one batched pass walks the k+1
//! rows in order — mask row i, choose, compare with draft token i, `advance` with the chosen
//! token, stop at the first mismatch — so the constraint only ever advances with accepted
//! tokens and never needs to be rolled back ([`Constrained::choose_row`] is that step).

mod copy;
mod json;
#[cfg(test)]
pub(crate) mod tests;
mod vocab;

pub use copy::CopyConstraint;
pub use json::JsonConstraint;
pub use vocab::{TokenSet, TokenVocab};

use frontdesk_core::chat::{ConstraintReport, DecodeConstraintSpec};
use frontdesk_core::InferenceError;
use std::sync::Arc;
use vocab::Utf8Pending;

/// Which tokens may come next, given the tokens chosen so far.
///
/// A constraint is built per request and moved to the model's worker thread (hence `Send`);
/// `start` runs there, once, with the model's vocabulary (prepared once per model).
pub trait DecodeConstraint: Send {
    /// Per-request preparation against the model's vocabulary (e.g. indexing spans by token).
    fn start(&mut self, _vocab: &TokenVocab) -> Result<(), InferenceError> {
        Ok(())
    }

    /// Inserts into `allowed` (which arrives empty) every token that may come next. `remaining`
    /// is the number of tokens the request may still generate, this one included. Allowing an
    /// `eos` id lets generation end here.
    fn allow(&mut self, vocab: &TokenVocab, remaining: usize, allowed: &mut TokenSet);

    /// The token that was chosen (one that the last `allow` allowed).
    fn advance(&mut self, vocab: &TokenVocab, token: u32);

    /// True when generation must end now (the JSON object closed).
    fn is_complete(&self) -> bool {
        false
    }

    /// What comes back to the caller in `GenerationEvent::Finished::constraint`.
    fn report(&self) -> ConstraintReport {
        ConstraintReport {
            complete: true,
            copies: Vec::new(),
        }
    }
}

/// Builds the constraint a request describes. Fails on a spec that cannot be satisfied
/// (duplicate or unquotable keys, an enum without values, no spans, …).
pub fn build(spec: &DecodeConstraintSpec) -> Result<Box<dyn DecodeConstraint>, InferenceError> {
    Ok(match spec {
        DecodeConstraintSpec::Json(schema) => Box::new(JsonConstraint::new(schema)?),
        DecodeConstraintSpec::Copy(spans) => Box::new(CopyConstraint::new(spans)?),
    })
}

/// A constraint bound to a vocabulary, with the mask buffer and the UTF-8 guard: the one step a
/// decoding loop (plain or speculative) runs per position.
pub struct Constrained {
    inner: Box<dyn DecodeConstraint>,
    vocab: Arc<TokenVocab>,
    mask: TokenSet,
    utf8: Utf8Pending,
}

impl Constrained {
    pub fn new(
        mut inner: Box<dyn DecodeConstraint>,
        vocab: Arc<TokenVocab>,
    ) -> Result<Self, InferenceError> {
        inner.start(&vocab)?;
        let mask = TokenSet::empty(vocab.len());
        Ok(Self {
            inner,
            vocab,
            mask,
            utf8: Utf8Pending::default(),
        })
    }

    /// Sets every logit the constraint does not allow to −∞; false when it allows nothing.
    pub fn mask_row(&mut self, logits: &mut [f32], remaining: usize) -> bool {
        self.mask.clear();
        self.inner.allow(&self.vocab, remaining, &mut self.mask);
        self.mask.intersect_with(self.vocab.utf8_guard(self.utf8));
        if self.mask.is_empty() {
            return false;
        }
        self.mask.mask_logits(logits);
        true
    }

    /// Records the chosen token.
    pub fn advance(&mut self, token: u32) {
        self.utf8 = self.vocab.utf8_after(self.utf8, token);
        self.inner.advance(&self.vocab, token);
    }

    /// One position: mask the row, let `choose` pick from it, advance. `None` when nothing is
    /// allowed (or `choose` fails).
    pub fn choose_row<E>(
        &mut self,
        logits: &mut [f32],
        remaining: usize,
        choose: impl FnOnce(&[f32]) -> Result<u32, E>,
    ) -> Result<Option<u32>, E> {
        if !self.mask_row(logits, remaining) {
            return Ok(None);
        }
        let t = choose(logits)?;
        self.advance(t);
        Ok(Some(t))
    }

    pub fn is_complete(&self) -> bool {
        self.inner.is_complete()
    }

    pub fn report(&self) -> ConstraintReport {
        self.inner.report()
    }

    pub fn vocab(&self) -> &TokenVocab {
        &self.vocab
    }
}
