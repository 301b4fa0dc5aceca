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
    /// Restricts which tokens may be generated (JSON following a schema, or copying chosen
    /// token classes from given spans); `None` generates freely. The constraint's report comes
    /// back in `GenerationEvent::Finished::constraint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint: Option<DecodeConstraintSpec>,
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
            constraint: None,
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
        /// What the request's decode constraint reports (`None` without a constraint).
        constraint: Option<ConstraintReport>,
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

/// A per-request decode constraint: which tokens the model may produce next, applied to the
/// logits before the greedy or sampled choice. The inference crate builds the constraint from
/// this description on the model's own vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecodeConstraintSpec {
    /// The output is one JSON object following the schema; generation ends when it closes
    /// (`FinishReason::Stop`).
    Json(JsonObjectSchema),
    /// Tokens of the chosen classes may only be produced while copying from the spans; the
    /// copied stretches are reported back (`ConstraintReport::copies`).
    Copy(CopySpans),
}

/// A flat JSON object: the keys it may have and their value types. Keys may come in any order,
/// each at most once; every required key must be present before the object closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonObjectSchema {
    pub fields: Vec<JsonField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: JsonKind,
    /// The key may be left out.
    #[serde(default)]
    pub optional: bool,
    /// The value may be `null`.
    #[serde(default)]
    pub nullable: bool,
}

impl JsonField {
    /// A key that must be present and must not be `null`.
    pub fn required(name: impl Into<String>, kind: JsonKind) -> Self {
        Self {
            name: name.into(),
            kind,
            optional: false,
            nullable: false,
        }
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonKind {
    String,
    Number,
    Bool,
    /// One of these strings.
    Enum(Vec<String>),
}

/// Text spans (passages, facts) the output may copy from, and the token classes that may only
/// appear while copying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopySpans {
    pub spans: Vec<String>,
    #[serde(default = "CopyClass::all")]
    pub classes: Vec<CopyClass>,
}

impl CopySpans {
    /// All classes restricted.
    pub fn new(spans: Vec<String>) -> Self {
        Self {
            spans,
            classes: CopyClass::all(),
        }
    }
}

/// Token classes a copy constraint can restrict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyClass {
    /// Tokens containing a digit (and currency signs).
    Digits,
    /// Tokens containing a capital letter, except at the start of a sentence and the word "I".
    Names,
    /// Units right after a number (`W`, `kg`, `%`, `mAh`, `watts`, `minutes`, `days`, …): only
    /// as part of the number's copy.
    Units,
    /// E-mail and URL material: `@`, `://`, `www`, `http`.
    Links,
}

impl CopyClass {
    pub fn all() -> Vec<CopyClass> {
        vec![
            CopyClass::Digits,
            CopyClass::Names,
            CopyClass::Units,
            CopyClass::Links,
        ]
    }
}

/// What a decode constraint reports at the end of generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstraintReport {
    /// The constraint was satisfied when generation ended (the JSON object closed; a copy
    /// was not cut inside a number or name).
    pub complete: bool,
    /// Copy constraint: the stretches of the output copied from the spans, in output order,
    /// not overlapping. A stretch is reported when it holds a restricted token or is at least
    /// 24 bytes long.
    pub copies: Vec<CopiedStretch>,
}

/// One stretch of generated text and where it was copied from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopiedStretch {
    /// Index into `CopySpans::spans`.
    pub span: usize,
    /// Byte range in that span.
    pub source: std::ops::Range<usize>,
    /// Byte range in the generated text (the concatenated `GenerationEvent::Text` pieces).
    pub output: std::ops::Range<usize>,
}
