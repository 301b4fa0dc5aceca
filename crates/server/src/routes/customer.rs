//! Customer routes: conversations, messages (JSON or SSE), transcript, feedback, live events.

use crate::auth::{bearer, hash_token, new_token, token_matches};
use crate::error::ApiError;
use crate::extract::{wants_sse, ApiJson};
use crate::sse::{await_reply, event, stream_turn};
use crate::state::{AppState, CustomerEvent};
use crate::turn::start_turn_of;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use frontdesk_core::store::HandoffState;
use frontdesk_core::{Channel, ConversationState, Lang};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    lang: Option<Lang>,
}

pub async fn create(State(st): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let body: CreateBody = if body.iter().all(u8::is_ascii_whitespace) {
        CreateBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!("body is not a valid conversation request: {e}"))
        })?
    };
    let (id, token) =
        create_conversation(&st, body.channel.unwrap_or_default(), body.lang, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "token": token, "status": "bot"})),
    )
        .into_response())
}

/// Creates a conversation; returns its id and the token (shown once, stored only as a hash).
pub async fn create_conversation(
    st: &AppState,
    channel: Channel,
    lang: Option<Lang>,
    id: Option<String>,
) -> Result<(String, String), ApiError> {
    let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let token = new_token();
    let mut conv = ConversationState::new(id.clone(), channel);
    conv.lang = lang;
    st.store
        .create_conversation(&conv, &hash_token(&token))
        .await?;
    Ok((id, token))
}

/// Checks the conversation token: 401 without one, 404 unknown id, 403 wrong token.
pub async fn authorize_customer(
    st: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
    id: &str,
) -> Result<ConversationState, ApiError> {
    let token = bearer(headers, query_token).ok_or_else(|| {
        ApiError::Unauthorized("send `Authorization: Bearer <conversation token>`".into())
    })?;
    let (conv, hash) = st.store.conversation(id).await?;
    if !token_matches(&token, &hash) {
        return Err(ApiError::Forbidden(
            "this token does not grant access to this conversation".into(),
        ));
    }
    Ok(conv)
}

#[derive(Deserialize)]
pub struct MessageBody {
    pub text: String,
}

pub async fn post_message(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let conv = authorize_customer(&st, &headers, None, &id).await?;
    let handle = start_turn_of(&st, conv, &body.text).await?;
    if wants_sse(&headers) {
        return Ok(stream_turn(handle, |reply| {
            vec![event(
                "done",
                &serde_json::to_value(reply).unwrap_or(Value::Null),
            )]
        }));
    }
    let reply = await_reply(handle, st.config().server.request_timeout_secs).await?;
    Ok(Json(reply).into_response())
}

pub async fn transcript(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let conv = authorize_customer(&st, &headers, None, &id).await?;
    let messages: Vec<Value> = st
        .store
        .messages(&id)
        .await?
        .into_iter()
        .map(|m| {
            json!({
                "id": m.id, "speaker": m.speaker, "text": m.text, "at": m.at,
                "citations": m.meta.get("citations").cloned().unwrap_or(json!([])),
                "agent": m.meta.get("agent").cloned(),
                "pending_action": m.meta.get("pending_action").cloned(),
                "awaiting": m.meta.get("awaiting").cloned(),
            })
        })
        .collect();
    let open_handoff = st
        .store
        .handoffs(None)
        .await?
        .into_iter()
        .rev()
        .find(|h| h.conversation_id == id && h.state != HandoffState::Resolved)
        .map(|h| json!({"id": h.id, "reason": h.reason, "state": h.state, "ticket": h.ticket, "agent": h.agent}));
    Ok(Json(
        json!({"id": id, "status": conv.status, "lang": conv.lang, "channel": conv.channel, "messages": messages, "handoff": open_handoff}),
    ))
}

#[derive(Deserialize)]
pub struct FeedbackBody {
    rating: i64,
    #[serde(default)]
    comment: String,
}

pub async fn feedback(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> Result<Json<Value>, ApiError> {
    authorize_customer(&st, &headers, None, &id).await?;
    let rating = u8::try_from(body.rating)
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| {
            ApiError::Unprocessable(format!("rating must be 1..5, got {}", body.rating))
        })?;
    if body.comment.chars().count() > st.config().server.max_message_chars {
        return Err(ApiError::Unprocessable(
            "comment is longer than server.max_message_chars".into(),
        ));
    }
    st.store.add_feedback(&id, rating, &body.comment).await?;
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// The customer's live stream: agent messages and handoff changes (EventSource may pass the
/// token as `?token=` because it cannot set headers).
pub async fn events(
    State(st): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, ApiError> {
    let conv = authorize_customer(&st, &headers, q.token.as_deref(), &id).await?;
    let sub = st.customer_events.subscribe();
    let first = event("status", &json!({"status": conv.status}));
    Ok(crate::sse::forward_broadcast(
        sub,
        Some(first),
        move |ev: &CustomerEvent| (ev.conversation_id == id).then(|| event(ev.event, &ev.data)),
    ))
}

/// When people answer and how long a customer waits for one, for the widget's waiting status:
/// the configured hours (`server.business_hours`), whether they are open now, the next opening,
/// and the median waiting → claimed time of the last day's handoffs. Nothing personal: no key.
pub async fn availability(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    let now = chrono::Utc::now();
    let hours = st.config().server.business_hours.clone();
    let open = crate::hours::is_open(&hours, now);
    let next_open = (!open)
        .then(|| crate::hours::next_open(&hours, now))
        .flatten()
        .map(|t| t.to_rfc3339());
    let recent = st
        .store
        .handoffs_since(now - chrono::Duration::hours(crate::hours::WAIT_WINDOW_HOURS))
        .await?;
    let (wait, sampled) = crate::hours::expected_wait_secs(&recent, now);
    Ok(Json(json!({
        "open_now": open,
        "hours": hours,
        "next_open": next_open,
        "expected_wait_secs": wait,
        "waits_sampled": sampled,
    })))
}
