use frontdesk_core::{InferenceError, RetrievalError};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot read intent catalogue {path}: {source}")]
    ReadIntents {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("intent catalogue {path}, line {line}: {message} (expected JSON {{\"text\",\"intent\",\"in_scope\"}})")]
    ParseIntents {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("intent catalogue is empty: add example rows {{\"text\",\"intent\",\"in_scope\"}} to train the classifier")]
    NoIntents,
    #[error("embedding failed: {0}")]
    Embed(#[from] InferenceError),
    #[error("retrieval failed: {0}")]
    Retrieval(#[from] RetrievalError),
    #[error("invalid engine configuration: {0}")]
    Config(String),
}
