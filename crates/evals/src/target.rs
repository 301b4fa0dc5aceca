//! Where conversation turns go: the in-process engine or a running frontdesk over HTTP. Both
//! produce the same [`TurnResult`], so one scorer serves both.

use crate::error::EvalError;
use async_trait::async_trait;
use frontdesk_core::conversation::{ActionEvent, TurnOutcome};
use frontdesk_core::error::RetrievalError;
use frontdesk_core::{
    Assistant, Channel, Citation, ConversationState, Decision, Hit, Retriever, SearchQuery,
    TurnEvent,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One cited passage with its text (in-process runs only: HTTP replies carry no passage text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    pub doc_id: String,
    pub chunk_id: String,
    pub text: String,
}

/// What a turn produced, as the scorer sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnResult {
    pub text: String,
    pub lang: Option<String>,
    pub citations: Vec<Citation>,
    pub status: String,
    /// `answer`, `clarify`, `start_action`, `escalate` (in-process only).
    pub decision: Option<String>,
    pub intent: Option<String>,
    /// Set when this turn handed the conversation over.
    pub escalation_reason: Option<String>,
    pub escalated: bool,
    pub retrieved_doc_ids: Vec<String>,
    pub actions: Vec<ActionEvent>,
    pub executed_actions: Vec<String>,
    pub passages: Vec<Passage>,
    pub latency_ms: f64,
    pub ttft_ms: Option<f64>,
    /// How the reply was produced (`direct`, `generated`, `extractive`, `template`, `action`).
    pub source: Option<String>,
    /// What the bot asked the customer for (the reply's `awaiting`: `confirmation`, `handoff`…).
    #[serde(default)]
    pub awaiting: Option<String>,
}

impl TurnResult {
    /// What the customer-view judge reads of this turn: the text and structured fields only.
    pub fn facts(&self) -> crate::metrics::answer::ReplyFacts<'_> {
        crate::metrics::answer::ReplyFacts {
            text: &self.text,
            escalated: self.escalated,
            decision: self.decision.as_deref(),
            source: self.source.as_deref(),
            cited: !self.citations.is_empty(),
        }
    }
}

#[async_trait]
pub trait Session: Send {
    async fn send(&mut self, text: &str) -> Result<TurnResult, EvalError>;
}

#[async_trait]
pub trait Target: Send + Sync {
    async fn open(&self) -> Result<Box<dyn Session>, EvalError>;
}

/// Wraps a retriever and remembers the text of every chunk it returned, so cited chunks can be
/// checked for groundedness after the turn.
pub struct RecordingRetriever {
    inner: Arc<dyn Retriever>,
    chunks: Mutex<HashMap<String, Passage>>,
}

impl RecordingRetriever {
    pub fn new(inner: Arc<dyn Retriever>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            chunks: Mutex::new(HashMap::new()),
        })
    }

    /// Texts of the cited chunks; a citation without a chunk id takes every seen chunk of its doc.
    pub fn passages_for(&self, citations: &[Citation]) -> Vec<Passage> {
        let chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<Passage> = Vec::new();
        for c in citations {
            let found: Vec<&Passage> = match chunks.get(&c.chunk_id) {
                Some(p) => vec![p],
                None => {
                    let mut v: Vec<&Passage> =
                        chunks.values().filter(|p| p.doc_id == c.doc_id).collect();
                    v.sort_by(|a, b| a.chunk_id.cmp(&b.chunk_id));
                    v
                }
            };
            for p in found {
                if !out.iter().any(|o| o.chunk_id == p.chunk_id) {
                    out.push(p.clone());
                }
            }
        }
        out
    }

    pub fn record(&self, hits: &[Hit]) {
        let mut chunks = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        for h in hits {
            let text = match &h.question {
                Some(q) => format!("{q}\n{}", h.text),
                None => h.text.clone(),
            };
            chunks.entry(h.chunk_id.clone()).or_insert_with(|| Passage {
                doc_id: h.doc_id.clone(),
                chunk_id: h.chunk_id.clone(),
                text,
            });
        }
    }
}

#[async_trait]
impl Retriever for RecordingRetriever {
    async fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, RetrievalError> {
        let hits = self.inner.search(query).await?;
        self.record(&hits);
        Ok(hits)
    }
}

/// The engine in this process.
pub struct InProcessTarget {
    pub assistant: Arc<dyn Assistant>,
    pub recorder: Option<Arc<RecordingRetriever>>,
}

struct InProcessSession {
    assistant: Arc<dyn Assistant>,
    recorder: Option<Arc<RecordingRetriever>>,
    state: ConversationState,
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[async_trait]
impl Target for InProcessTarget {
    async fn open(&self) -> Result<Box<dyn Session>, EvalError> {
        let id = format!(
            "eval-{}",
            NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        Ok(Box::new(InProcessSession {
            assistant: self.assistant.clone(),
            recorder: self.recorder.clone(),
            state: ConversationState::new(id, Channel::Chat),
        }))
    }
}

#[async_trait]
impl Session for InProcessSession {
    async fn send(&mut self, text: &str) -> Result<TurnResult, EvalError> {
        let started = Instant::now();
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        // Drain events while the turn runs: a full channel would otherwise stall the engine.
        let collect = async {
            let mut actions = Vec::new();
            let mut first_token: Option<f64> = None;
            while let Some(ev) = rx.recv().await {
                match ev {
                    TurnEvent::Action(a) => actions.push(a),
                    TurnEvent::Token(_) if first_token.is_none() => {
                        first_token = Some(started.elapsed().as_secs_f64() * 1000.0)
                    }
                    _ => {}
                }
            }
            (actions, first_token)
        };
        let before = self.state.status;
        let (outcome, (actions, first_token)) =
            tokio::join!(self.assistant.respond(&mut self.state, text, tx), collect);
        let outcome = outcome
            .map_err(|e| EvalError::Backend(format!("assistant failed on {text:?}: {e}")))?;
        let latency = started.elapsed().as_secs_f64() * 1000.0;
        let passages = self
            .recorder
            .as_ref()
            .map(|r| r.passages_for(&outcome.citations))
            .unwrap_or_default();
        Ok(from_outcome(
            outcome,
            actions,
            passages,
            before,
            latency,
            first_token,
        ))
    }
}

fn from_outcome(
    o: TurnOutcome,
    actions: Vec<ActionEvent>,
    passages: Vec<Passage>,
    before: frontdesk_core::ConversationStatus,
    latency: f64,
    first_token: Option<f64>,
) -> TurnResult {
    let decision = match &o.decision {
        Decision::Answer => "answer",
        Decision::Clarify => "clarify",
        Decision::StartAction { .. } => "start_action",
        Decision::Escalate { .. } => "escalate",
    };
    let reason = match (&o.decision, &o.handoff) {
        (_, Some(h)) => Some(h.reason.as_str().to_string()),
        (Decision::Escalate { reason }, None) => Some(reason.as_str().to_string()),
        _ => None,
    };
    let handed_over =
        o.status != before && o.status == frontdesk_core::ConversationStatus::WaitingForHuman;
    TurnResult {
        escalated: reason.is_some() || handed_over,
        escalation_reason: reason,
        text: o.text,
        lang: Some(o.lang.code().to_string()),
        citations: o.citations,
        status: o.status.as_str().to_string(),
        decision: Some(decision.to_string()),
        intent: o.intent,
        retrieved_doc_ids: o.retrieved_doc_ids,
        actions,
        executed_actions: o.executed_actions.into_iter().map(|a| a.name).collect(),
        passages,
        latency_ms: latency,
        ttft_ms: o.ttft_ms.map(|t| t as f64).or(first_token),
        source: serde_json::to_value(o.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string)),
        awaiting: o.awaiting.map(|s| s.as_str().to_string()),
    }
}

/// A running frontdesk: `POST /v1/conversations`, then `POST /v1/conversations/{id}/messages`.
pub struct HttpTarget {
    base: String,
    client: reqwest::Client,
}

impl HttpTarget {
    pub fn new(base_url: &str) -> Result<Self, EvalError> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .map_err(|e| EvalError::Http {
                url: base_url.into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_string(),
            client,
        })
    }
}

struct HttpSession {
    base: String,
    client: reqwest::Client,
    id: String,
    token: Option<String>,
    status: String,
}

#[derive(Deserialize)]
struct Created {
    #[serde(alias = "conversation_id")]
    id: String,
    #[serde(default)]
    token: Option<String>,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    text: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    citations: Vec<WireCitation>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    handoff: Option<WireHandoff>,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    actions: Vec<ActionEvent>,
    #[serde(default)]
    ttft_ms: Option<f64>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    awaiting: Option<String>,
}

#[derive(Deserialize)]
struct WireCitation {
    doc_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct WireHandoff {
    reason: String,
}

async fn read_json<T: serde::de::DeserializeOwned>(
    url: &str,
    resp: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, EvalError> {
    let err = |message: String| EvalError::Http {
        url: url.to_string(),
        message,
    };
    let resp = resp.map_err(|e| err(format!("{e}; is the server running?")))?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| err(e.to_string()))?;
    if !status.is_success() {
        return Err(err(format!(
            "HTTP {status}: {}",
            body.chars().take(300).collect::<String>()
        )));
    }
    serde_json::from_str(&body).map_err(|e| {
        err(format!(
            "unexpected reply ({e}): {}",
            body.chars().take(300).collect::<String>()
        ))
    })
}

/// Reads a turn streamed as Server-Sent Events: the time of the first `token` event (time to
/// first token as the client sees it) and the reply in the last `done` event.
async fn read_stream(
    url: &str,
    resp: Result<reqwest::Response, reqwest::Error>,
    started: Instant,
) -> Result<(Reply, Option<f64>), EvalError> {
    use futures::StreamExt;
    let err = |message: String| EvalError::Http {
        url: url.to_string(),
        message,
    };
    let resp = resp.map_err(|e| err(format!("{e}; is the server running?")))?;
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        return Err(err(format!(
            "HTTP {status}: {}",
            body.chars().take(300).collect::<String>()
        )));
    }
    let is_stream = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if !is_stream {
        // A server that answers in JSON whatever the client accepts.
        let body = resp.text().await.map_err(|e| err(e.to_string()))?;
        let reply = serde_json::from_str(&body).map_err(|e| {
            err(format!(
                "unexpected reply ({e}): {}",
                body.chars().take(300).collect::<String>()
            ))
        })?;
        return Ok((reply, None));
    }
    let mut stream = resp.bytes_stream();
    let (mut buf, mut first_token, mut done) = (Vec::<u8>::new(), None, None);
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk.map_err(|e| err(e.to_string()))?);
        while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
            let frame = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 2);
            let (mut name, mut data) = ("message", String::new());
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = match v.trim() {
                        "token" => "token",
                        "done" => "done",
                        "error" => "error",
                        _ => "other",
                    };
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            match name {
                "token" if first_token.is_none() => {
                    first_token = Some(started.elapsed().as_secs_f64() * 1000.0);
                }
                "done" => done = Some(data),
                "error" => return Err(err(format!("the turn failed: {data}"))),
                _ => {}
            }
        }
    }
    let data = done.ok_or_else(|| err("the stream ended without a `done` event".into()))?;
    let reply = serde_json::from_str(&data)
        .map_err(|e| err(format!("unexpected `done` data ({e}): {data}")))?;
    Ok((reply, first_token))
}

#[async_trait]
impl Target for HttpTarget {
    async fn open(&self) -> Result<Box<dyn Session>, EvalError> {
        let url = format!("{}/v1/conversations", self.base);
        let created: Created = read_json(
            &url,
            self.client
                .post(&url)
                .json(&serde_json::json!({"channel": "chat"}))
                .send()
                .await,
        )
        .await?;
        Ok(Box::new(HttpSession {
            base: self.base.clone(),
            client: self.client.clone(),
            id: created.id,
            token: created.token,
            status: "bot".into(),
        }))
    }
}

#[async_trait]
impl Session for HttpSession {
    async fn send(&mut self, text: &str) -> Result<TurnResult, EvalError> {
        let url = format!("{}/v1/conversations/{}/messages", self.base, self.id);
        let mut req = self
            .client
            .post(&url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&serde_json::json!({"text": text}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let started = Instant::now();
        let (reply, first_token) = read_stream(&url, req.send().await, started).await?;
        let latency = started.elapsed().as_secs_f64() * 1000.0;
        let status = reply.status.unwrap_or_else(|| self.status.clone());
        let handed_over = status != self.status && status == "waiting_for_human";
        self.status = status.clone();
        let reason = reply.handoff.map(|h| h.reason);
        let citations: Vec<Citation> = reply
            .citations
            .into_iter()
            .enumerate()
            .map(|(i, c)| Citation {
                index: i + 1,
                doc_id: c.doc_id,
                title: c.title,
                url: c.url,
                chunk_id: String::new(),
            })
            .collect();
        let executed = reply
            .actions
            .iter()
            .filter(|a| a.state == "completed")
            .map(|a| a.action.clone())
            .collect();
        Ok(TurnResult {
            escalated: reason.is_some() || handed_over,
            escalation_reason: reason,
            text: reply.text,
            lang: reply.lang,
            retrieved_doc_ids: citations.iter().map(|c| c.doc_id.clone()).collect(),
            citations,
            status,
            decision: None,
            intent: reply.intent,
            actions: reply.actions,
            executed_actions: executed,
            passages: Vec::new(),
            latency_ms: latency,
            ttft_ms: first_token.or(reply.ttft_ms),
            source: reply.source,
            awaiting: reply.awaiting,
        })
    }
}
