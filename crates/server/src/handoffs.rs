//! The human handoff inbox: opening handoffs from turns, and the agents' routes.

use crate::error::ApiError;
use crate::extract::{ApiJson, RoleKey, AGENT};
use crate::hours;
use crate::state::AppState;
use crate::turn::append_turn_record;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, FixedOffset, Utc};
use frontdesk_core::config::ApiRole;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::{HandoffRecord, HandoffState};
use frontdesk_core::{ConversationStatus, EscalationReason, HandoffInfo, Lang};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What the customer learns about a handoff (the agent's summary stays with the agents).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HandoffView {
    pub id: String,
    pub reason: EscalationReason,
    /// Outside business hours the handoff waits as a ticket.
    pub ticket: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human_available_at: Option<String>,
    #[serde(skip)]
    pub notice: Option<String>,
}

fn closed_notice(lang: Lang, at: Option<DateTime<FixedOffset>>) -> String {
    let when = at.map(|t| t.format("%d.%m.%Y %H:%M").to_string());
    match (lang, when) {
        (Lang::En, Some(w)) => format!("Our team is offline right now. A person will answer from {w}; your request is saved as a ticket."),
        (Lang::En, None) => "Our team is offline right now. A person will answer as soon as they are back; your request is saved as a ticket.".into(),
        (Lang::SrLatn, Some(w)) => format!("Naš tim trenutno nije dostupan. Osoba će vam odgovoriti od {w}; vaš zahtev je sačuvan kao tiket."),
        (Lang::SrLatn, None) => "Naš tim trenutno nije dostupan. Osoba će vam odgovoriti čim se vrati; vaš zahtev je sačuvan kao tiket.".into(),
        (Lang::SrCyrl, Some(w)) => format!("Наш тим тренутно није доступан. Особа ће вам одговорити од {w}; ваш захтев је сачуван као тикет."),
        (Lang::SrCyrl, None) => "Наш тим тренутно није доступан. Особа ће вам одговорити чим се врати; ваш захтев је сачуван као тикет.".into(),
    }
}

fn handoff_json(r: &HandoffRecord) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}

/// Queues a handoff the engine asked for; outside business hours it becomes a ticket and the
/// customer is told when a person will answer.
pub async fn open_handoff(
    state: &AppState,
    conversation_id: &str,
    info: &HandoffInfo,
    lang: Lang,
) -> Result<HandoffView, ApiError> {
    open_handoff_at(state, conversation_id, info, lang, Utc::now()).await
}

pub async fn open_handoff_at(
    state: &AppState,
    conversation_id: &str,
    info: &HandoffInfo,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<HandoffView, ApiError> {
    let hours_cfg = state.config().server.business_hours.clone();
    let open = hours::is_open(&hours_cfg, now);
    let next = if open {
        None
    } else {
        hours::next_open(&hours_cfg, now)
    };
    let record = HandoffRecord {
        id: uuid::Uuid::new_v4().to_string(),
        conversation_id: conversation_id.to_string(),
        reason: info.reason,
        summary: info.summary.clone(),
        state: HandoffState::Waiting,
        agent: None,
        created_at: now,
        updated_at: now,
        ticket: !open,
    };
    state.store.create_handoff(&record).await?;
    let notice = (!open).then(|| closed_notice(lang, next));
    if let Some(n) = &notice {
        state
            .store
            .append_message(
                conversation_id,
                Speaker::System,
                n,
                json!({"handoff_id": record.id}),
            )
            .await?;
    }
    state.metrics.record_escalation(info.reason.as_str());
    state
        .store
        .audit(
            conversation_id,
            "handoff_created",
            &json!({"handoff_id": record.id, "reason": info.reason, "ticket": !open}),
        )
        .await?;
    state
        .store
        .enqueue_event(
            "handoff.created",
            &json!({"event": "handoff.created", "handoff": handoff_json(&record)}),
        )
        .await?;
    state.notify_agents("handoff", handoff_json(&record));
    Ok(HandoffView {
        id: record.id,
        reason: info.reason,
        ticket: !open,
        human_available_at: next.map(|t| t.to_rfc3339()),
        notice,
    })
}

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

#[cfg(test)]
mod tests {
    use super::closed_notice;
    use frontdesk_core::Lang;

    #[test]
    fn notices_are_in_the_customers_language() {
        for (lang, word) in [
            (Lang::En, "offline"),
            (Lang::SrLatn, "tiket"),
            (Lang::SrCyrl, "тикет"),
        ] {
            assert!(closed_notice(lang, None).contains(word), "{lang}");
        }
    }
}
