//! The agents' routes of the handoff inbox: list (with counts), detail (with the verified
//! customer's shop record), suggested replies, canned responses, claim, message, release,
//! close. Opening a handoff is `handoff_queue`'s job.

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
    /// Only handoffs this agent holds or held (the key's name).
    agent: Option<String>,
}

/// The queue, filtered by state and agent, with the count of every filter (for the console's
/// tabs) and the caller's own agent name (`me`).
pub async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let me = st.keys().authorize(&headers, &[ApiRole::Agent])?;
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
    let agent = q.agent.as_deref().filter(|a| !a.is_empty());
    let all = st.store.handoffs(None).await?;
    let count = |state: HandoffState| all.iter().filter(|h| h.state == state).count();
    let mine = all
        .iter()
        .filter(|h| h.state == HandoffState::Claimed && h.agent.as_deref() == Some(me.as_str()))
        .count();
    let counts = json!({
        "waiting": count(HandoffState::Waiting),
        "claimed": count(HandoffState::Claimed),
        "resolved": count(HandoffState::Resolved),
        "mine": mine,
    });
    let items: Vec<_> = all
        .into_iter()
        .filter(|h| filter.is_none_or(|f| h.state == f))
        .filter(|h| agent.is_none_or(|a| h.agent.as_deref() == Some(a)))
        .collect();
    Ok(Json(json!({
        "handoffs": items,
        "counts": counts,
        "me": me,
        "now": chrono::Utc::now(),
    })))
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
    let shop = match &conv.customer {
        Some(c) => shop_record(&st, &c.customer_id).await,
        None => Value::Null,
    };
    Ok(Json(json!({
        "handoff": record,
        "summary": record.summary,
        "conversation": {
            "id": conv.id, "status": conv.status, "lang": conv.lang, "intent": conv.intent,
            "slots": conv.slots, "customer": conv.customer, "messages": messages,
        },
        "shop": shop,
    })))
}

/// The verified customer as the shop knows them, with their orders, newest first; `null`
/// without a shop. A shop that fails is reported in `error` rather than failing the detail:
/// the agent still needs the conversation.
async fn shop_record(st: &AppState, customer_id: &str) -> Value {
    let Some(shop) = st.commerce.as_deref() else {
        return Value::Null;
    };
    let customer = match shop.customer(customer_id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %crate::pii::mask_pii(&e.to_string()), "the shop did not give the verified customer");
            return json!({"error": "the shop did not answer for this customer"});
        }
    };
    let orders = match shop.orders_of(customer_id).await {
        Ok(mut orders) => {
            orders.reverse();
            orders
                .into_iter()
                .map(|o| {
                    let total: f64 = o.items.iter().map(|i| i.price).sum();
                    json!({
                        "order_id": o.order_id,
                        "status": o.status,
                        "total": (total * 100.0).round() / 100.0,
                        "items": o.items.iter().map(|i| json!({"name": i.name, "price": i.price, "options": i.options})).collect::<Vec<_>>(),
                    })
                })
                .collect::<Vec<_>>()
        }
        Err(e) => {
            tracing::warn!(error = %crate::pii::mask_pii(&e.to_string()), "the shop did not list the customer's orders");
            return json!({"error": "the shop did not list this customer's orders"});
        }
    };
    json!({
        "customer": {
            "user_id": customer.user_id,
            "name": format!("{} {}", customer.name.first_name, customer.name.last_name).trim(),
            "email": customer.email,
            "address": customer.address,
        },
        "orders": orders,
    })
}

/// What the bot would answer to the customer's last message: the knowledge-base passages and
/// its draft, computed read-only (`Assistant::suggest`: no turn recorded, no state changed),
/// for the agent to insert and edit. Costs a turn's models, so it takes a turn slot (503 when
/// none is free).
pub async fn suggestions(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Agent])?;
    let record = st.store.handoff(&id).await?;
    let (conv, _) = st.store.conversation(&record.conversation_id).await?;
    let question = st
        .store
        .messages(&record.conversation_id)
        .await?
        .into_iter()
        .rev()
        .find(|m| m.speaker == Speaker::Customer)
        .map(|m| m.text)
        .ok_or_else(|| {
            ApiError::Unprocessable(format!(
                "conversation {} has no customer message to draft an answer for",
                record.conversation_id
            ))
        })?;
    let _permit = st.turns.clone().try_acquire_owned().map_err(|_| {
        ApiError::busy("every answer slot is busy; ask for suggestions again in a moment")
    })?;
    let s = st.assistant.suggest(&conv, &question).await?;
    Ok(Json(json!({
        "handoff_id": record.id,
        "question": s.question,
        "lang": s.lang,
        "draft": s.draft.map(|text| json!({"text": text, "citations": s.citations})),
        "passages": s.passages,
    })))
}

/// The ready-made answers of `server.canned_responses`.
pub async fn canned_responses(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    st.keys().authorize(&headers, &[ApiRole::Agent])?;
    Ok(Json(
        json!({"canned_responses": st.config().server.canned_responses}),
    ))
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
