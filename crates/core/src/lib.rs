//! Shared contracts of frontdesk: the domain types every crate speaks and the seam traits
//! (`Embedder`, `ChatModel`, `Retriever`, `Store`, `Commerce`, `HandoffSink`, `Assistant`)
//! behind which the heavy implementations live. Nothing here names candle or axum, so every
//! other crate can be tested against small fakes.

pub mod action_call;
pub mod assistant;
pub mod chat;
pub mod commerce;
pub mod config;
pub mod conversation;
pub mod embed;
pub mod error;
pub mod handoff;
pub mod intents;
pub mod lang;
pub mod metrics;
pub mod retrieval;
pub mod rng;
pub mod store;
pub mod testing;
pub mod text;
pub mod translation;

pub use assistant::Assistant;
pub use chat::{
    ChatMessage, ChatModel, ChatModelInfo, ChatRole, GenerateRequest, SamplingParams, TokenStream,
};
pub use commerce::Commerce;
pub use config::Config;
pub use conversation::{
    Channel, Citation, ConversationState, ConversationStatus, Decision, EscalationReason,
    HandoffInfo, TurnEvent, TurnRecord,
};
pub use embed::{EmbedKind, Embedder, EmbedderInfo};
pub use error::{CommerceError, InferenceError, RetrievalError, StoreError};
pub use handoff::HandoffSink;
pub use lang::Lang;
pub use retrieval::{Hit, Retriever, SearchFilters, SearchQuery};
pub use store::Store;
pub use translation::{TranslationError, Translator};
