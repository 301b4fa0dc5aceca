//! Opening a handoff: the queue entry, the ticket outside business hours (and the customer's
//! notice of when a person answers), the audit row, the webhook and the agents' live event.
//! The turn pipeline calls it; the agents' routes (`handoffs.rs`) work the queue it fills.

use crate::error::ApiError;
use crate::hours;
use crate::state::AppState;
use chrono::{DateTime, FixedOffset, Utc};
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::{HandoffRecord, HandoffState};
use frontdesk_core::{EscalationReason, HandoffInfo, Lang};
use serde::Serialize;
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

pub fn handoff_json(r: &HandoffRecord) -> Value {
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
        claimed_at: None,
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
