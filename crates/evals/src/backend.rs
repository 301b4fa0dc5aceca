//! The seams the runner evaluates through. The binary supplies real implementations (models,
//! index, engine); tests supply tiny fakes. Nothing here loads a model.

use crate::data::IntentRow;
use crate::error::EvalError;
use crate::manifest::SearchMode;
use async_trait::async_trait;
use frontdesk_core::config::IntentModelConfig;
use frontdesk_core::{Assistant, Hit, Lang, Retriever};
use std::path::Path;
use std::sync::Arc;

/// A knowledge index that can be searched in each mode (for retrieval suites) and used as the
/// engine's retriever (for answering).
#[async_trait]
pub trait ModeSearch: Send + Sync {
    /// The top `k` chunks for `query` (only in `langs` when not empty).
    async fn search(
        &self,
        query: &str,
        k: usize,
        mode: SearchMode,
        langs: &[Lang],
    ) -> Result<Vec<Hit>, EvalError>;
    fn retriever(&self) -> Arc<dyn Retriever>;
    /// Ids of the indexed documents.
    fn doc_ids(&self) -> Vec<String>;
}

/// What an intent classifier decided for one text.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentPrediction {
    pub intent: String,
    pub score: f32,
    pub in_scope: bool,
}

#[async_trait]
pub trait IntentModel: Send + Sync {
    /// One prediction per text, in order.
    async fn classify(&self, texts: &[String]) -> Result<Vec<IntentPrediction>, EvalError>;
}

/// Builds what a suite needs.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Index the knowledge base at `kb` (file or folder, any loader format), or the configured
    /// knowledge base when `None`; with `max_docs`, at most that many of its documents, spread
    /// evenly over them in load order.
    async fn index(
        &self,
        kb: Option<&Path>,
        max_docs: Option<usize>,
    ) -> Result<Arc<dyn ModeSearch>, EvalError>;
    /// Train an intent classifier on `train` (the configured catalogue when `None`), built as
    /// `model` says (the configured `engine.intent_model` when `None`), calibrating its
    /// out-of-scope thresholds on `calibrate` when given.
    async fn intents(
        &self,
        train: Option<Vec<IntentRow>>,
        calibrate: Option<Vec<IntentRow>>,
        model: Option<&IntentModelConfig>,
    ) -> Result<Arc<dyn IntentModel>, EvalError>;
    /// A fresh assistant (with a fresh copy of the shop's data, so cases do not see each other's
    /// writes) answering from `retriever`. With `kb`, the assistant serves that knowledge base's
    /// business (its intent catalogue and texts beside its pages, or none), not the configured one.
    async fn assistant(
        &self,
        retriever: Arc<dyn Retriever>,
        kb: Option<&Path>,
        use_llm: bool,
    ) -> Result<Arc<dyn Assistant>, EvalError>;
}
