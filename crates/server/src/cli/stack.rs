//! Assembles the running system from config: models (fetched on first start), the knowledge
//! index (built on first start, updated incrementally after), the commerce store and the engine.
//! Shared by `serve`, `chat` and `eval`. Each crate's owner wires its own part here.

#![allow(dead_code)] // parts are wired in as their crates land

use frontdesk_core::{ChatModel, Config, Embedder};
use std::sync::Arc;

pub struct StackOptions {
    /// Load the chat LM (false: direct/extractive answers only, e.g. fast evals).
    pub with_chat: bool,
    /// Show progress bars on stderr.
    pub progress: bool,
}

pub struct Stack {
    pub config: Config,
    pub embedder: Arc<dyn Embedder>,
    pub chat: Option<Arc<dyn ChatModel>>,
}
