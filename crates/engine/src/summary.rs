//! The handoff summary for the human agent, built from the state without the LM: who, in
//! which language, what they want, the intent and slots, what was tried and why it stopped.

use crate::understanding::Understanding;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::{ConversationState, EscalationReason};

pub fn handoff_summary(
    state: &ConversationState,
    u: &Understanding,
    reason: EscalationReason,
    tried: &[String],
) -> String {
    let mut lines = Vec::new();
    let who = match &state.customer {
        Some(c) => format!("{} (verified, id {})", c.display_name, c.customer_id),
        None => "not verified".to_string(),
    };
    lines.push(format!("Reason: {}", reason.as_str()));
    lines.push(format!("Customer: {who}; language: {}", u.lang.code()));
    let mut recent: Vec<&str> = state
        .turns
        .iter()
        .rev()
        .filter(|t| t.speaker == Speaker::Customer)
        .take(3)
        .map(|t| t.text.as_str())
        .collect();
    recent.reverse();
    lines.push(format!(
        "Wants: {}",
        recent
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" → ")
    ));
    let intent = u
        .intent
        .as_ref()
        .map(|p| format!("{} ({:.2})", p.intent, p.score))
        .unwrap_or_else(|| "unknown".into());
    lines.push(format!("Intent: {intent}"));
    let e = &u.entities;
    let mut slots: Vec<String> = state
        .slots
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for (k, vals) in [
        ("order", &e.order_ids),
        ("email", &e.emails),
        ("name", &e.names),
        ("postcode", &e.postcodes),
        ("product", &e.products),
    ] {
        if !vals.is_empty() {
            slots.push(format!("{k}={}", vals.join(",")));
        }
    }
    if !slots.is_empty() {
        lines.push(format!("Slots: {}", slots.join("; ")));
    }
    let f = &u.flags;
    let signals: Vec<&str> = [
        (f.complaint, "complaint"),
        (f.frustration, "frustration"),
        (f.abuse, "abuse"),
        (f.threat_to_leave, "threat to leave"),
        (f.sensitive, "sensitive topic"),
        (f.repeated, "repeated question"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| *n)
    .collect();
    if !signals.is_empty() {
        lines.push(format!("Signals: {}", signals.join(", ")));
    }
    lines.push(format!(
        "Failed turns in a row: {}; frustration signals: {}",
        state.consecutive_failures, state.frustration_signals
    ));
    if !tried.is_empty() {
        lines.push(format!("Tried: {}", tried.join("; ")));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understanding::{understand, Flags};
    use chrono::Utc;
    use frontdesk_core::conversation::VerifiedCustomer;
    use frontdesk_core::{Lang, TurnRecord};

    #[test]
    fn summary_names_who_what_and_why() {
        let mut state = ConversationState {
            customer: Some(VerifiedCustomer {
                customer_id: "u1".into(),
                display_name: "Ana Petrović".into(),
            }),
            ..ConversationState::default()
        };
        for t in ["Gde je porudžbina #K1001?", "ništa ne radi!!!"] {
            state.turns.push(TurnRecord {
                speaker: Speaker::Customer,
                text: t.into(),
                at: Utc::now(),
                lang: None,
                citations: vec![],
                intent: None,
            });
        }
        let mut u = understand("ništa ne radi!!!", &ConversationState::default(), None, &[]);
        u.lang = Lang::SrLatn;
        u.flags = Flags {
            frustration: true,
            ..u.flags
        };
        let s = handoff_summary(
            &state,
            &u,
            EscalationReason::Frustration,
            &["retrieved shipping.md".into()],
        );
        for want in [
            "Reason: frustration",
            "Ana Petrović (verified",
            "language: sr-Latn",
            "#K1001",
            "Signals: frustration",
            "Tried: retrieved shipping.md",
        ] {
            assert!(s.contains(want), "missing {want:?} in\n{s}");
        }
    }
}
