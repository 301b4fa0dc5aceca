//! OpenAI-compatible `POST /v1/chat/completions`. Only the last user message goes to the
//! engine: the conversation's history lives on the server, keyed by `X-Conversation-Id` or
//! the request's `user` field.

use crate::error::ApiError;
use crate::extract::{ApiJson, RoleKey, CHANNEL};
use crate::routes::voice::ensure_conversation;
use crate::sse::stream_turn_with;
use crate::state::AppState;
use crate::turn::{start_turn, Reply};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::Json;
use frontdesk_core::{Channel, TurnEvent};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
pub struct ChatRequest {
    #[serde(default)]
    model: Option<String>,
    messages: Vec<ChatMsg>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    user: Option<String>,
}

#[derive(Deserialize)]
struct ChatMsg {
    role: String,
    #[serde(default)]
    content: Value,
}

/// `content` is a string or a list of parts (`{"type":"text","text":...}`).
fn content_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn conversation_key(headers: &HeaderMap, user: Option<&str>) -> Option<String> {
    if let Some(id) = headers
        .get("x-conversation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
    {
        return Some(id.to_string());
    }
    // `user` may be any string (an e-mail, a phone): hash it into a safe, stable id.
    user.filter(|u| !u.is_empty())
        .map(|u| format!("oai-{}", &hex::encode(Sha256::digest(u.as_bytes()))[..32]))
}

fn completion(reply: &Reply, id: &str, model: &str, created: i64) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "frontdesk": {"conversation_id": reply.conversation_id, "status": reply.status, "lang": reply.lang, "citations": reply.citations, "handoff": reply.handoff},
    })
}

fn chunk(id: &str, model: &str, created: i64, delta: Value, finish: Option<&str>) -> Event {
    Event::default().data(
        json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string(),
    )
}

pub async fn completions(
    State(st): State<AppState>,
    _key: RoleKey<CHANNEL>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let text = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| content_text(&m.content))
        .ok_or_else(|| {
            ApiError::Unprocessable("`messages` has no message with role \"user\"".into())
        })?;
    let conversation_id = ensure_conversation(
        &st,
        conversation_key(&headers, req.user.as_deref()),
        Channel::Chat,
        None,
    )
    .await?;
    let handle = start_turn(&st, &conversation_id, &text).await?;
    let model = req.model.unwrap_or_else(|| "frontdesk".into());
    let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
    let created = chrono::Utc::now().timestamp();
    let mut resp = if req.stream {
        let (id2, m2) = (id.clone(), model.clone());
        let (id3, m3) = (id.clone(), model.clone());
        // The first content chunk carries the role, as OpenAI clients expect.
        let role_sent = std::sync::atomic::AtomicBool::new(false);
        stream_turn_with(
            handle,
            move |ev| match ev {
                TurnEvent::Token(t) => {
                    let delta = if role_sent.swap(true, std::sync::atomic::Ordering::Relaxed) {
                        json!({"content": t})
                    } else {
                        json!({"role": "assistant", "content": t})
                    };
                    Some(chunk(&id2, &m2, created, delta, None))
                }
                _ => None,
            },
            move |_reply| {
                vec![
                    chunk(&id3, &m3, created, json!({}), Some("stop")),
                    Event::default().data("[DONE]"),
                ]
            },
            |e| {
                vec![
                    Event::default().data(
                        json!({"error": {"message": e.public_message(), "code": e.code()}})
                            .to_string(),
                    ),
                    Event::default().data("[DONE]"),
                ]
            },
        )
    } else {
        let reply =
            crate::sse::await_reply(handle, st.config().server.request_timeout_secs).await?;
        Json(completion(&reply, &id, &model, created)).into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&conversation_id) {
        resp.headers_mut().insert("x-conversation-id", v);
    }
    Ok(resp)
}
