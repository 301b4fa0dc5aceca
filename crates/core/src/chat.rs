//! Chat generation. The model runs on its own thread; `generate` enqueues a request and returns
//! a stream of text pieces. Dropping the stream cancels generation.

use crate::error::InferenceError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: ChatRole::Assistant,
            content: content.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingParams {
    /// 0 means greedy.
    pub temperature: f32,
    pub top_p: f32,
    pub repeat_penalty: f32,
    pub repeat_last_n: usize,
    pub max_tokens: usize,
    pub seed: u64,
    /// Generation stops before any of these strings; the stop string is not emitted.
    pub stop: Vec<String>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: 1.0,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            max_tokens: 160,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub messages: Vec<ChatMessage>,
    pub params: SamplingParams,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Eos,
    Stop,
    Length,
}

/// One item of a generation stream.
#[derive(Debug, Clone, PartialEq)]
pub enum GenerationEvent {
    /// Decoded text (may be part of a word).
    Text(String),
    Finished {
        reason: FinishReason,
        prompt_tokens: usize,
        cached_prompt_tokens: usize,
        generated_tokens: usize,
    },
}

pub type TokenStream = tokio::sync::mpsc::Receiver<Result<GenerationEvent, InferenceError>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatModelInfo {
    pub model_id: String,
    pub architecture: String,
    pub context_length: usize,
}

#[async_trait]
pub trait ChatModel: Send + Sync {
    fn info(&self) -> ChatModelInfo;
    /// Returns at once with `Overloaded` when the queue is full.
    async fn generate(&self, request: GenerateRequest) -> Result<TokenStream, InferenceError>;
}

/// Drains a stream into a string (tests, evals, non-streaming callers).
pub async fn collect_text(mut stream: TokenStream) -> Result<String, InferenceError> {
    let mut out = String::new();
    while let Some(ev) = stream.recv().await {
        if let GenerationEvent::Text(t) = ev? {
            out.push_str(&t);
        }
    }
    Ok(out)
}
