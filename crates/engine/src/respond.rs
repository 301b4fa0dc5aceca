//! `Engine::respond`: one customer message, read once, through three phases in order —
//! safety (hand-overs that come first), the action flows, the knowledge answer. Each phase
//! either settles the turn or passes it on; the decision policy (`policy::decide`) is asked
//! once, in the knowledge phase, with the turn's real retrieval and reader signals.

use crate::acts::Act;
use crate::answer::rewrite_query;
use crate::engine::{Engine, TurnOut};
use crate::flows::{self, FlowContext, FlowOutcome};
use crate::policy::{
    answer_confidence, clarification, decide, is_vague, safety, Clarification, RetrievalSignal,
    SLOT_OFFERED_PERSON,
};
use crate::templates::Template;
use crate::understanding::{understand, Understanding};
use crate::voice::render_voice;
use async_trait::async_trait;
use frontdesk_core::assistant::{AssistantError, Suggestion};
use frontdesk_core::conversation::{
    AnswerSource, ExecutedAction, PendingAction, Slot, Speaker, TurnOutcome,
};
use frontdesk_core::retrieval::Hit;
use frontdesk_core::{
    Assistant, ConversationState, ConversationStatus, Decision, EscalationReason, HandoffInfo,
    TurnEvent, TurnRecord,
};
use std::time::Instant;
use tokio::sync::mpsc;

/// How a phase settled the turn.
struct Settled {
    decision: Decision,
    source: AnswerSource,
    handoff: Option<HandoffInfo>,
    executed: Vec<ExecutedAction>,
    retrieved: Vec<Hit>,
    pending_action: Option<PendingAction>,
    awaiting: Option<Slot>,
}

impl Settled {
    fn new(decision: Decision, source: AnswerSource) -> Self {
        Settled {
            decision,
            source,
            handoff: None,
            executed: Vec::new(),
            retrieved: Vec::new(),
            pending_action: None,
            awaiting: None,
        }
    }
}

/// A search made by the flow phase, reused when the turn falls through to the knowledge
/// answer with the same query.
type Searched = Option<(String, Vec<Hit>)>;

enum FlowPhase {
    Settled(Settled),
    NotHandled(Searched),
    /// A question about an account action ("can I still change the address once it has shipped?")
    /// the knowledge base cannot answer with confidence: it is answered or declined as a
    /// question, with an offer to do the action for one of the customer's orders — never met
    /// with an identity check.
    QuestionAboutAction(Searched),
}

impl Engine {
    /// Safety and explicit requests come before any flow or answer.
    async fn safety_phase(
        &self,
        out: &mut TurnOut,
        state: &mut ConversationState,
        u: &Understanding,
    ) -> Option<Settled> {
        let reason = safety(&self.deps.policy, state, u)?;
        let mut settled = Settled::new(Decision::Escalate { reason }, AnswerSource::Template);
        settled.handoff = Some(self.hand_over(out, state, u, reason, &[]).await);
        Some(settled)
    }

    /// The action flows, when there is a commerce backend and the message is theirs; a question
    /// about an action is answered from the knowledge base with an offer to do it.
    async fn flow_phase(
        &self,
        out: &mut TurnOut,
        state: &mut ConversationState,
        message: &str,
        u: &Understanding,
    ) -> Result<FlowPhase, AssistantError> {
        let mut searched: Searched = None;
        let Some(commerce) = self.deps.commerce.as_deref() else {
            return Ok(FlowPhase::NotHandled(searched));
        };
        if !flows::wants(u, state) {
            return Ok(FlowPhase::NotHandled(searched));
        }
        if flows::asks_about_action(u, state) {
            // "Can I swap it for a larger size?": answer the rule, offer to do it.
            let query = rewrite_query(message, state);
            let hits = self.search(&query, u).await?;
            let best = hits.first().map_or(0.0, |h| h.confidence);
            let confidence = answer_confidence(&self.deps.policy, u, best);
            if confidence >= self.deps.policy.thresholds.min_answer {
                let drafted = self
                    .draft_answer(out, u, &query, &hits, confidence, None)
                    .await;
                state.consecutive_failures = 0;
                if !flows::is_shopping(u) && flows::offers_action(u) {
                    // "If you'd like me to do this for one of your orders…": account actions only.
                    out.token(&self.text(Template::OfferAction, u.lang)).await;
                    flows::offer(state, u);
                }
                let mut settled = Settled::new(Decision::Answer, drafted.source);
                settled.retrieved = hits;
                return Ok(FlowPhase::Settled(settled));
            }
            if flows::is_shopping(u) {
                // A question about a product the knowledge base cannot answer: the knowledge
                // phase says so and offers a person; no identity check for a question.
                return Ok(FlowPhase::NotHandled(Some((query, hits))));
            }
            if self.deps.policy.questions_about_actions_are_questions {
                return Ok(FlowPhase::QuestionAboutAction(Some((query, hits))));
            }
            searched = Some((query, hits));
        }
        let related_passages = match flows::catalogue_query(u, state) {
            Some(query) => {
                // The question-about-an-action check above may have searched this very text.
                let hits = match searched.take() {
                    Some((q, hits)) if q == query => hits,
                    _ => self.search(&query, u).await?,
                };
                let texts = hits.iter().map(|h| h.text.clone()).collect();
                searched = Some((query, hits));
                texts
            }
            None => Vec::new(),
        };
        let conversation_id = state.id.clone();
        let ctx = FlowContext {
            commerce,
            policy: &self.deps.commerce_policy,
            audit: self.deps.audit.as_deref(),
            conversation_id: &conversation_id,
            lang: u.lang,
            related_passages,
            item_reader: Some(&self.items),
        };
        let FlowOutcome::Reply(reply) = flows::step(&ctx, state, u).await else {
            return Ok(FlowPhase::NotHandled(searched));
        };
        for ev in reply.events {
            out.send(TurnEvent::Action(ev)).await;
        }
        out.sentences(&reply.text).await;
        state.consecutive_failures = 0;
        let mut settled = match reply.escalate {
            Some(info) => {
                let reason = info.reason;
                out.send(TurnEvent::Handoff(info.clone())).await;
                state.status = ConversationStatus::WaitingForHuman;
                let mut s = Settled::new(Decision::Escalate { reason }, AnswerSource::Action);
                s.handoff = Some(info);
                s
            }
            None => {
                let action = u.intent_name().unwrap_or("action").to_string();
                Settled::new(Decision::StartAction { action }, AnswerSource::Action)
            }
        };
        settled.executed = reply.executed;
        settled.pending_action = reply.pending_action;
        settled.awaiting = reply.awaiting;
        Ok(FlowPhase::Settled(settled))
    }

    /// Small talk, or an answer from the knowledge base (or a clarifying question, or a
    /// hand-over) as `decide` rules on the retrieval and reader signals.
    async fn knowledge_phase(
        &self,
        out: &mut TurnOut,
        state: &mut ConversationState,
        message: &str,
        u: &Understanding,
        searched: Searched,
    ) -> Result<Settled, AssistantError> {
        if u.is_small_talk() {
            let t = match u.small_talk_kind() {
                Act::Goodbye => Template::Goodbye,
                Act::Thanks => Template::Thanks,
                _ => Template::Greeting,
            };
            out.token(&self.text(t, u.lang)).await;
            return Ok(Settled::new(Decision::Answer, AnswerSource::Template));
        }
        let (query, retrieved) = self.search_in_context(message, state, u, searched).await?;
        let confidence = answer_confidence(
            &self.deps.policy,
            u,
            retrieved.first().map_or(0.0, |h| h.confidence),
        );
        tracing::debug!(query = %query, confidence, "answer confidence");
        // The reader runs before the decision: a passage near the question that states no
        // unit close to it is not an answer.
        let reading = if retrieved.is_empty() {
            None
        } else {
            match self.read(&query, &retrieved, u.lang, Some(u)).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "reader unavailable; deciding on retrieval alone");
                    None
                }
            }
        };
        tracing::debug!(
            query = %query,
            retrieval = retrieved.first().map_or(0.0, |h| h.confidence),
            confidence,
            reader = reading.as_ref().map_or(-1.0, |r| r.score),
            known_topic = u.intent_name().is_some(),
            same_lang = retrieved
                .first()
                .is_some_and(|h| h.lang == u.lang || (h.lang.is_serbian() && u.lang.is_serbian())),
            evidence = %serde_json::json!({
                "q_lang": u.lang,
                "intent": u.intent_name(),
                "hits": retrieved.iter().take(5).map(|h| serde_json::json!({
                    "doc": h.doc_id, "lang": h.lang, "kind": h.kind,
                    "dense": h.scores.dense, "lexical": h.scores.lexical,
                    "conf": h.confidence})).collect::<Vec<_>>(),
                "read_hit": reading.as_ref().map(|r| r.hit),
                "states_kind": reading.as_ref().map(|r| r.states_asked_kind),
                "rivals": reading.as_ref().map(|r| &r.rivals),
            }),
            "answer signals"
        );
        let signal = RetrievalSignal::of(confidence, &retrieved, reading.as_ref());
        let decision = decide(
            &self.deps.policy,
            state,
            &u.for_knowledge_answer(),
            &signal,
            None,
        );
        if self.reads_unsure(&decision, u, confidence, &retrieved) {
            // The signals would decline; the model reads the closest units and either answers
            // from them (verified, copied) or says they do not answer.
            if self.answer_with_lm(out, u, &query, &retrieved).await {
                state.consecutive_failures = 0;
                if query == message {
                    state.topic = Some(message.to_string());
                }
                let mut s = Settled::new(Decision::Answer, AnswerSource::Generated);
                s.retrieved = retrieved;
                return Ok(s);
            }
        }
        let mut settled = match decision {
            Decision::Escalate { reason } => {
                let tried: Vec<String> = retrieved
                    .iter()
                    .take(3)
                    .map(|h| format!("{} ({:.2})", h.doc_id, h.confidence))
                    .collect();
                let mut s = Settled::new(decision, AnswerSource::Template);
                s.handoff = Some(self.hand_over(out, state, u, reason, &tried).await);
                s
            }
            Decision::Clarify => {
                state.consecutive_failures += 1;
                let mut awaiting = None;
                let kind = clarification(u);
                let template = match kind {
                    Clarification::Complaint => {
                        out.token(&self.text(Template::Empathy, u.lang)).await;
                        Template::ComplaintFollowUp
                    }
                    Clarification::MoreDetail => Template::Clarify,
                    Clarification::OutOfScope | Clarification::OfferPerson => {
                        // A yes on the next turn is a request for a person (`policy::safety`).
                        state.slots.insert(SLOT_OFFERED_PERSON.into(), "1".into());
                        awaiting = Some(Slot::Handoff);
                        if kind == Clarification::OutOfScope {
                            Template::OutOfScope
                        } else {
                            Template::OfferPerson
                        }
                    }
                };
                out.token(&self.text(template, u.lang)).await;
                let mut s = Settled::new(decision, AnswerSource::Template);
                s.awaiting = awaiting;
                s
            }
            _ => {
                if u.flags.complaint || u.flags.frustration {
                    out.token(&self.text(Template::Empathy, u.lang)).await;
                }
                let drafted = self
                    .draft_answer(out, u, &query, &retrieved, confidence, reading)
                    .await;
                state.consecutive_failures = 0;
                if query == message {
                    // It stood on its own words: it is the topic a follow-up continues.
                    state.topic = Some(message.to_string());
                }
                Settled::new(Decision::Answer, drafted.source)
            }
        };
        settled.retrieved = retrieved;
        Ok(settled)
    }
}

impl Engine {
    /// Whether the LM reader is asked on a turn `decision` declines for want of an answer: not
    /// a hand-over the customer asked for or earned, not a complaint, and not below the floor.
    fn reads_unsure(
        &self,
        decision: &Decision,
        u: &Understanding,
        confidence: f32,
        retrieved: &[Hit],
    ) -> bool {
        let p = &self.deps.policy.lm_reader;
        let for_want_of_an_answer = match decision {
            Decision::Clarify => true,
            Decision::Escalate { reason } => matches!(
                reason,
                EscalationReason::RepeatedFailure | EscalationReason::OutOfScope
            ),
            _ => false,
        };
        p.unsure
            && for_want_of_an_answer
            && !retrieved.is_empty()
            && confidence >= p.unsure_floor
            && !u.flags.complaint
            && !u.flags.frustration
            && clarification(u) != Clarification::Complaint
    }
}

#[async_trait]
impl Assistant for Engine {
    async fn respond(
        &self,
        state: &mut ConversationState,
        message: &str,
        events: mpsc::Sender<TurnEvent>,
    ) -> Result<TurnOutcome, AssistantError> {
        let started = Instant::now();
        if state.status != ConversationStatus::Bot {
            return Err(AssistantError::NotWithBot(state.status.as_str()));
        }
        let message = message.trim();
        if message.is_empty() {
            return Err(AssistantError::InvalidInput("empty message".into()));
        }
        // The one reading of the message every phase works from.
        let prediction = self.classify(message).await?;
        let mut u = understand(message, state, prediction, &[]);
        // A request for a person, a complaint, abuse and a sensitive topic are also read from
        // examples (`Flags::apply_message_acts`; measured in the engine README, "Acts of a
        // message"), and where a yes or a no decides what happens next (a plan to confirm, a
        // person offered) the message as a yes or a no, from the same embedding.
        let awaits_yes_or_no =
            flows::awaits_confirmation(state) || state.slots.contains_key(SLOT_OFFERED_PERSON);
        if self.deps.policy.message_acts || awaits_yes_or_no {
            if let Some(acts) = self.read_message(message).await {
                if self.deps.policy.message_acts {
                    u.flags.apply_message_acts(acts);
                    // Only a message that may start an action: inside a flow a short answer
                    // ("the blue one") is read by the flow, and examples of whole requests
                    // would only mislead it.
                    if state.flow.is_none() {
                        u.action_reading = acts.action;
                    }
                }
                if let (true, Some(act)) = (awaits_yes_or_no, acts.reply) {
                    u.flags.apply_act(act);
                }
            }
        }
        state.lang = Some(u.lang);
        state.intent = u.intent_name().map(str::to_string);
        state.turns.push(TurnRecord::now(
            Speaker::Customer,
            message,
            Some(u.lang),
            state.intent.clone(),
        ));
        let mut out = TurnOut {
            events,
            text: String::new(),
            citations: Vec::new(),
            started,
            ttft_ms: None,
        };

        let safety = self.safety_phase(&mut out, state, &u).await;
        // The offer of a person holds for the one turn after it (safety has read it).
        let offered_person = state.slots.remove(SLOT_OFFERED_PERSON).is_some();
        let declined_person =
            offered_person && u.flags.negative && !u.flags.affirmative && is_vague(&u);
        let settled = match safety {
            Some(settled) => settled,
            None if declined_person => {
                // "No thanks" to the offer: the conversation goes on with the bot.
                out.token(&self.text(Template::AnythingElse, u.lang)).await;
                Settled::new(Decision::Answer, AnswerSource::Template)
            }
            None => match self.flow_phase(&mut out, state, message, &u).await? {
                FlowPhase::Settled(settled) => settled,
                FlowPhase::NotHandled(searched) => {
                    self.knowledge_phase(&mut out, state, message, &u, searched)
                        .await?
                }
                FlowPhase::QuestionAboutAction(searched) => {
                    let settled = self
                        .knowledge_phase(&mut out, state, message, &u, searched)
                        .await?;
                    if !matches!(settled.decision, Decision::Escalate { .. })
                        && flows::offers_action(&u)
                    {
                        // "If you'd like me to do this for one of your orders…": the next
                        // message with an order number goes on with the action.
                        out.token(&self.text(Template::OfferAction, u.lang)).await;
                        flows::offer(state, &u);
                    }
                    settled
                }
            },
        };

        if u.flags.complaint || u.flags.frustration {
            state.frustration_signals += 1;
        }
        let text = out.text.clone();
        state.turns.push(TurnRecord {
            citations: out.citations.clone(),
            ..TurnRecord::now(
                Speaker::Bot,
                text.clone(),
                Some(u.lang),
                state.intent.clone(),
            )
        });
        let outcome = TurnOutcome {
            voice_text: render_voice(&text, u.lang, self.deps.policy.voice_max_sentences),
            text,
            lang: u.lang,
            citations: out.citations.clone(),
            decision: settled.decision,
            source: settled.source,
            intent: u.intent.as_ref().map(|p| p.intent.clone()),
            status: state.status,
            handoff: settled.handoff,
            retrieved: settled
                .retrieved
                .iter()
                .map(|h| h.chunk_id.clone())
                .collect(),
            retrieved_doc_ids: settled.retrieved.iter().map(|h| h.doc_id.clone()).collect(),
            executed_actions: settled.executed,
            pending_action: settled.pending_action,
            awaiting: settled.awaiting,
            latency_ms: started.elapsed().as_millis() as u64,
            ttft_ms: out.ttft_ms,
        };
        out.send(TurnEvent::Done(outcome.clone())).await;
        Ok(outcome)
    }

    async fn suggest(
        &self,
        state: &ConversationState,
        question: &str,
    ) -> Result<Suggestion, AssistantError> {
        self.suggest_reply(state, question).await
    }
}
