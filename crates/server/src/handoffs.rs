//! The agents' routes of the handoff inbox: list, detail, claim, message, release, close.
//! Opening a handoff is `handoff_queue`'s job.

use crate::error::ApiError;
use crate::extract::{ApiJson, RoleKey, AGENT};
use crate::handoff_queue::handoff_json;
use crate::state::AppState;
use crate::transcript::append_turn_record;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use frontdesk_core::config::ApiRole;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::HandoffState;
use frontdesk_core::ConversationStatus;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
}

pub async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Agent])?;
    let filter = match q.state.as_deref() {
        None | Some("") | Some("all") => None,
        Some("waiting") => Some(HandoffState::Waiting),
        Some("claimed") => Some(HandoffState::Claimed),
        Some("resolved") => Some(HandoffState::Resolved),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown state {other:?}; use waiting, claimed or resolved"
            )))
        }
    };
    let items = st.store.handoffs(filter).await?;
    Ok(Json(json!({"handoffs": items})))
}

pub async fn detail(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Agent])?;
    let record = st.store.handoff(&id).await?;
    let (conv, _) = st.store.conversation(&record.conversation_id).await?;
    let messages = st.store.messages(&record.conversation_id).await?;
    Ok(Json(json!({
        "handoff": record,
        "summary": record.summary,
        "conversation": {
            "id": conv.id, "status": conv.status, "lang": conv.lang, "intent": conv.intent,
            "slots": conv.slots, "customer": conv.customer, "messages": messages,
        },
    })))
}

pub async fn claim(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let agent = st.keys().authorize(&headers, &[ApiRole::Agent])?;
    let record = st
        .store
        .update_handoff(&id, HandoffState::Claimed, Some(&agent))
        .await?;
    st.store
        .set_status(&record.conversation_id, ConversationStatus::Human)
        .await?;
    st.store
        .append_message(
            &record.conversation_id,
            Speaker::System,
            &format!("{agent} joined the conversation"),
            json!({"agent": agent}),
        )
        .await?;
    st.store
        .audit(
            &record.conversation_id,
            "handoff_claimed",
            &json!({"handoff_id": id, "agent": agent}),
        )
        .await?;
    st.notify_customer(
        &record.conversation_id,
        "handoff",
        json!({"state": "claimed", "status": "human", "agent": agent}),
    );
    st.notify_agents("handoff_updated", handoff_json(&record));
    Ok(Json(
        json!({"handoff": record, "status": ConversationStatus::Human}),
    ))
}

#[derive(Deserialize)]
pub struct AgentMessage {
    text: String,
}

pub async fn message(
    State(st): State<AppState>,
    RoleKey(agent): RoleKey<AGENT>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentMessage>,
) -> Result<Json<Value>, ApiError> {
    let text = crate::turn::validate_text(&st, &body.text)?;
    let record = st.store.handoff(&id).await?;
    match (record.state, record.agent.as_deref()) {
        (HandoffState::Claimed, Some(a)) if a == agent => {}
        (HandoffState::Claimed, Some(a)) => {
            return Err(ApiError::Conflict(format!(
                "handoff {id} is claimed by {a}"
            )))
        }
        (HandoffState::Waiting, _) => {
            return Err(ApiError::Conflict(format!(
                "claim handoff {id} before writing to the customer"
            )))
        }
        _ => return Err(ApiError::Conflict(format!("handoff {id} is resolved"))),
    }
    let message_id = st
        .store
        .append_message(
            &record.conversation_id,
            Speaker::Agent,
            &text,
            json!({"agent": agent}),
        )
        .await?;
    append_turn_record(&st, &record.conversation_id, Speaker::Agent, &text).await?;
    st.notify_customer(
        &record.conversation_id,
        "agent_message",
        json!({"text": text, "agent": agent, "message_id": message_id}),
    );
    Ok(Json(
        json!({"message_id": message_id, "status": ConversationStatus::Human}),
    ))
}

async fn resolve(
    st: &AppState,
    headers: &HeaderMap,
    id: &str,
    closing: bool,
) -> Result<Json<Value>, ApiError> {
    let agent = st.keys().authorize(headers, &[ApiRole::Agent])?;
    let record = st
        .store
        .update_handoff(id, HandoffState::Resolved, Some(&agent))
        .await?;
    let (status, state_word) = if closing {
        (ConversationStatus::Closed, "closed")
    } else {
        (ConversationStatus::Bot, "released")
    };
    st.store.set_status(&record.conversation_id, status).await?;
    st.store
        .audit(
            &record.conversation_id,
            if closing {
                "conversation_closed"
            } else {
                "handoff_released"
            },
            &json!({"handoff_id": id, "agent": agent}),
        )
        .await?;
    if closing {
        st.store
            .enqueue_event(
                "conversation.resolved",
                &json!({"event": "conversation.resolved", "conversation_id": record.conversation_id, "handoff": handoff_json(&record)}),
            )
            .await?;
    }
    st.notify_customer(
        &record.conversation_id,
        "handoff",
        json!({"state": state_word, "status": status}),
    );
    st.notify_agents("handoff_updated", handoff_json(&record));
    Ok(Json(json!({"handoff": record, "status": status})))
}

pub async fn release(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    resolve(&st, &headers, &id, false).await
}

pub async fn close(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    resolve(&st, &headers, &id, true).await
}
