//! Small deterministic fakes for other crates' unit tests (no model files, milliseconds).

use crate::action_call::ActionCall;
use crate::chat::{
    ChatModel, ChatModelInfo, FinishReason, GenerateRequest, GenerationEvent, TokenStream,
};
use crate::commerce::{action_key, check_execute_record, AuditEntry, AuditLog, Commerce, Executed};
use crate::embed::{EmbedKind, Embedder, EmbedderInfo};
use crate::error::{CommerceError, InferenceError};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// Bag-of-words embedder: each lower-cased word (and its 4-char prefix, so "returns" meets
/// "return") is hashed into `dim` buckets, then L2-normalised. Texts sharing words are similar.
pub struct HashEmbedder {
    pub dim: usize,
}

impl HashEmbedder {
    pub fn new(dim: usize) -> Self {
        Self { dim }
    }

    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        for word in text
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let prefix: String = word.chars().take(4).collect();
            for (piece, weight) in [(word, 1.0f32), (prefix.as_str(), 0.5)] {
                let h = fnv1a(piece.as_bytes());
                v[(h % self.dim as u64) as usize] += weight;
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

#[async_trait]
impl Embedder for HashEmbedder {
    fn info(&self) -> EmbedderInfo {
        EmbedderInfo {
            model_id: format!("hash-{}", self.dim),
            dim: self.dim,
            max_tokens: 512,
        }
    }
    async fn embed(
        &self,
        texts: Vec<String>,
        _kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

/// A [`HashEmbedder`] that counts the texts it is asked to embed (to check what a cache
/// spares).
pub struct CountingEmbedder {
    inner: HashEmbedder,
    texts: std::sync::atomic::AtomicUsize,
}

impl CountingEmbedder {
    pub fn new(dim: usize) -> Self {
        Self {
            inner: HashEmbedder::new(dim),
            texts: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Texts embedded so far.
    pub fn texts(&self) -> usize {
        self.texts.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait]
impl Embedder for CountingEmbedder {
    fn info(&self) -> EmbedderInfo {
        self.inner.info()
    }
    async fn embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        self.texts
            .fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
        self.inner.embed(texts, kind).await
    }
}

/// Chat model that replies with a fixed text (split into word pieces), whatever it is asked.
pub struct ScriptedChat {
    pub reply: String,
}

#[async_trait]
impl ChatModel for ScriptedChat {
    fn info(&self) -> ChatModelInfo {
        ChatModelInfo {
            model_id: "scripted".into(),
            architecture: "none".into(),
            context_length: 4096,
        }
    }
    async fn generate(&self, request: GenerateRequest) -> Result<TokenStream, InferenceError> {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let reply = self.reply.clone();
        let prompt_tokens = request
            .messages
            .iter()
            .map(|m| m.content.split_whitespace().count())
            .sum();
        tokio::spawn(async move {
            let mut n = 0;
            for piece in reply.split_inclusive(' ') {
                n += 1;
                if tx
                    .send(Ok(GenerationEvent::Text(piece.to_string())))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            let _ = tx
                .send(Ok(GenerationEvent::Finished {
                    reason: FinishReason::Eos,
                    prompt_tokens,
                    cached_prompt_tokens: 0,
                    generated_tokens: n,
                    constraint: None,
                }))
                .await;
        });
        Ok(rx)
    }
}

/// Chat model that replies with queued texts in order (the last one again when they run out)
/// and keeps every request it was given: for callers that hold a conversation with a model.
pub struct ReplayChat {
    pub replies: Vec<(String, FinishReason)>,
    pub requests: Mutex<Vec<GenerateRequest>>,
}

impl ReplayChat {
    /// Replies that each end with `FinishReason::Eos`.
    pub fn new(replies: &[&str]) -> Self {
        Self {
            replies: replies
                .iter()
                .map(|r| (r.to_string(), FinishReason::Eos))
                .collect(),
            requests: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl ChatModel for ReplayChat {
    fn info(&self) -> ChatModelInfo {
        ChatModelInfo {
            model_id: "replay".into(),
            architecture: "none".into(),
            context_length: 4096,
        }
    }
    async fn generate(&self, request: GenerateRequest) -> Result<TokenStream, InferenceError> {
        let n = {
            let mut reqs = self.requests.lock().expect("requests lock");
            reqs.push(request);
            reqs.len()
        };
        let (text, reason) = self
            .replies
            .get((n - 1).min(self.replies.len().saturating_sub(1)))
            .cloned()
            .unwrap_or_else(|| (String::new(), FinishReason::Eos));
        let pieces: Vec<String> = text.split_inclusive(' ').map(str::to_string).collect();
        let (tx, rx) = tokio::sync::mpsc::channel(pieces.len() + 1);
        let generated_tokens = pieces.len();
        for piece in pieces {
            let _ = tx.send(Ok(GenerationEvent::Text(piece))).await;
        }
        let _ = tx
            .send(Ok(GenerationEvent::Finished {
                reason,
                prompt_tokens: 0,
                cached_prompt_tokens: 0,
                generated_tokens,
                constraint: None,
            }))
            .await;
        Ok(rx)
    }
}

/// How often each `AuditLog` method of a [`MemoryAuditLog`] was called.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditCalls {
    pub execute_once: usize,
    pub executed: usize,
    pub record: usize,
}

#[derive(Default)]
struct AuditState {
    results: HashMap<String, serde_json::Value>,
    entries: Vec<AuditEntry>,
    calls: AuditCalls,
}

/// Audit log in memory with the trait's non-atomic `execute_once` (`check_execute_record`,
/// what an audit log without its own override gets), counting the calls of each method so a
/// test sees which path a write took. `failing_records` makes every `record` fail.
#[derive(Default)]
pub struct MemoryAuditLog {
    state: Mutex<AuditState>,
    fail_records: bool,
}

impl MemoryAuditLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every `record` fails with a backend error (a write then stands unrecorded).
    pub fn failing_records(mut self) -> Self {
        self.fail_records = true;
        self
    }

    pub fn calls(&self) -> AuditCalls {
        self.lock().calls
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuditState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl AuditLog for MemoryAuditLog {
    async fn executed(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, CommerceError> {
        let mut state = self.lock();
        state.calls.executed += 1;
        let key = action_key(conversation_id, action, arguments);
        Ok(state.results.get(&key).cloned())
    }

    async fn record(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
        result: &serde_json::Value,
    ) -> Result<(), CommerceError> {
        let mut state = self.lock();
        state.calls.record += 1;
        if self.fail_records {
            return Err(CommerceError::Backend(
                "the audit log is unavailable".into(),
            ));
        }
        let key = action_key(conversation_id, action, arguments);
        state.results.entry(key).or_insert_with(|| result.clone());
        state.entries.push(AuditEntry {
            conversation_id: conversation_id.into(),
            action: action.into(),
            arguments: arguments.clone(),
            result: result.clone(),
            at: chrono::Utc::now().to_rfc3339(),
        });
        Ok(())
    }

    async fn entries(&self, conversation_id: &str) -> Result<Vec<AuditEntry>, CommerceError> {
        Ok(self
            .lock()
            .entries
            .iter()
            .filter(|e| e.conversation_id == conversation_id)
            .cloned()
            .collect())
    }

    /// Counts, then runs the default path.
    async fn execute_once(
        &self,
        commerce: &dyn Commerce,
        conversation_id: &str,
        call: &ActionCall,
    ) -> Result<Executed, CommerceError> {
        self.lock().calls.execute_once += 1;
        check_execute_record(self, commerce, conversation_id, call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::dot;

    #[test]
    fn hash_embedder_prefers_shared_words() {
        let e = HashEmbedder::new(256);
        let q = e.embed_one("how do I return shoes");
        let near = e.embed_one("Returns: shoes can be returned within 30 days");
        let far = e.embed_one("We accept Visa and PayPal");
        assert!(dot(&q, &near) > dot(&q, &far));
    }
}
