//! Errors that cross crate boundaries through the seam traits. Each says what went wrong in
//! words an operator can act on; transport layers map them to status codes exhaustively.

use thiserror::Error;

#[derive(Debug, Error, Clone)]
pub enum InferenceError {
    /// The model's bounded queue is full: callers must back off (HTTP 503 + Retry-After).
    #[error("the {model} model is busy (queue of {capacity} full); retry shortly")]
    Overloaded { model: String, capacity: usize },
    #[error("model {model} is not available: {why}")]
    ModelUnavailable { model: String, why: String },
    #[error("input rejected: {0}")]
    InvalidInput(String),
    #[error("the model worker stopped")]
    WorkerGone,
    #[error("inference failed: {0}")]
    Backend(String),
}

#[derive(Debug, Error, Clone)]
pub enum RetrievalError {
    #[error("the knowledge index is not ready yet")]
    NotReady,
    #[error("the knowledge base is empty: {0}")]
    EmptyKnowledgeBase(String),
    #[error("index at {path} was built with embedding model {found} (dim {found_dim}), but {expected} (dim {expected_dim}) is configured; re-index with --rebuild")]
    ModelMismatch {
        path: String,
        found: String,
        found_dim: usize,
        expected: String,
        expected_dim: usize,
    },
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error("index I/O error: {0}")]
    Io(String),
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}

#[derive(Debug, Error, Clone)]
pub enum StoreError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("storage error: {0}")]
    Backend(String),
}

/// Typed commerce failures: the flows turn each into a clear sentence for the customer.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CommerceError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("not allowed: {0}")]
    NotAllowed(String),
    #[error("out of stock: {0}")]
    OutOfStock(String),
    #[error("payment method invalid: {0}")]
    PaymentMethodInvalid(String),
    #[error("policy limit: {0}")]
    PolicyLimit(String),
    #[error("this customer may not access {0}")]
    Forbidden(String),
    #[error("commerce backend error: {0}")]
    Backend(String),
}
