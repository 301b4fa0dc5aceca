//! A minimal assistant that only runs the action flows: drives the harness in tests and gives
//! the action suite a baseline without the knowledge base or any model.

use async_trait::async_trait;
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::conversation::{AnswerSource, Decision, Speaker, TurnOutcome, TurnRecord};
use frontdesk_core::{Assistant, ConversationState, TurnEvent};
use frontdesk_engine::flows::{self, FlowContext, FlowOutcome};
use tokio::sync::mpsc;

use super::TaskStore;

pub struct FlowAssistant {
    pub store: TaskStore,
}

#[async_trait]
impl Assistant for FlowAssistant {
    async fn respond(
        &self,
        state: &mut ConversationState,
        message: &str,
        events: mpsc::Sender<TurnEvent>,
    ) -> Result<TurnOutcome, AssistantError> {
        let u = frontdesk_engine::understand(message, state, None, &[]);
        let lang = u.lang;
        state.lang = Some(lang);
        state.turns.push(TurnRecord::now(
            Speaker::Customer,
            message,
            Some(lang),
            None,
        ));
        let id = state.id.clone();
        let ctx = FlowContext {
            commerce: self.store.commerce.as_ref(),
            policy: &self.store.policy,
            audit: Some(self.store.audit.as_ref()),
            conversation_id: &id,
            lang,
            related_passages: Vec::new(),
            // No model here: unnamed items are asked for.
            item_reader: None,
        };
        let reply = if flows::wants(&u, state) {
            flows::step(&ctx, state, &u).await
        } else {
            FlowOutcome::NotHandled
        };
        let (text, executed, handoff, decision, pending_action, awaiting) = match reply {
            FlowOutcome::Reply(r) => {
                for e in r.events {
                    let _ = events.send(TurnEvent::Action(e)).await;
                }
                let decision = match &r.escalate {
                    Some(h) => Decision::Escalate { reason: h.reason },
                    None => Decision::StartAction {
                        action: "flow".into(),
                    },
                };
                (
                    r.text,
                    r.executed,
                    r.escalate,
                    decision,
                    r.pending_action,
                    r.awaiting,
                )
            }
            FlowOutcome::NotHandled => (
                "I can only help with orders here.".to_string(),
                vec![],
                None,
                Decision::Clarify,
                None,
                None,
            ),
        };
        state.turns.push(TurnRecord::now(
            Speaker::Bot,
            text.clone(),
            Some(lang),
            None,
        ));
        let outcome = TurnOutcome {
            text: text.clone(),
            voice_text: text,
            lang,
            citations: vec![],
            decision,
            source: AnswerSource::Action,
            intent: None,
            status: state.status,
            handoff,
            retrieved: vec![],
            retrieved_doc_ids: vec![],
            executed_actions: executed,
            pending_action,
            awaiting,
            latency_ms: 0,
            ttft_ms: None,
        };
        let _ = events.send(TurnEvent::Done(outcome.clone())).await;
        Ok(outcome)
    }
}
