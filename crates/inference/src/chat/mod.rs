//! GGUF chat models (Qwen2 and Llama families) on CPU.
//!
//! A model lives on its own worker thread (`spawn_gguf`) behind a bounded queue; `ChatHandle`
//! implements `frontdesk_core::ChatModel`. Prompts are rendered with the GGUF's own chat template,
//! text streams out token by token, and the KV cache is reused for the prefix a request shares
//! with the previous one (the system prompt is not re-processed every turn). A request may carry
//! a decode constraint (`constraint`): JSON following a schema, or copying from given spans.
//! Greedy requests may be sped up by speculation (`speculation.rs`): prompt lookup or a smaller
//! draft model with the same vocabulary, its drafts checked in one batched pass.

pub mod bench;
pub mod constraint;
mod decode;
mod draft;
#[cfg(test)]
mod draft_tests;
mod engine;
mod gguf;
mod model;
#[cfg(test)]
mod reference_tests;
mod speculation;
#[cfg(test)]
mod speculative_tests;
mod stream;
mod template;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tiny;
mod worker;

pub use constraint::{CopyConstraint, DecodeConstraint, JsonConstraint, TokenSet, TokenVocab};
pub use draft::DraftModel;
pub use gguf::check_architecture;
pub use speculation::{
    PromptLookup, Speculation, SpeculationSpec, DEFAULT_DRAFT_MODEL_MAX_DRAFT, DEFAULT_MAX_DRAFT,
};
pub use worker::{spawn_gguf, ChatHandle, ChatWorkerOptions};
