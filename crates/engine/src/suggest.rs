//! `Engine::suggest`: the bot's answer to a customer's question drafted for an agent, through
//! the knowledge phase's own search, reader and drafting, on a copy of the conversation and
//! with its events going nowhere — no turn is recorded, no flow runs, nothing is written.

use crate::engine::{Engine, TurnOut};
use crate::policy::{answer_confidence, knowledge_answers, RetrievalSignal};
use crate::understanding::understand;
use frontdesk_core::assistant::{AssistantError, SuggestedPassage, Suggestion};
use frontdesk_core::ConversationState;
use std::time::Instant;
use tokio::sync::mpsc;

/// Passages shown beside the draft.
const PASSAGES: usize = 3;

impl Engine {
    pub(crate) async fn suggest_reply(
        &self,
        state: &ConversationState,
        question: &str,
    ) -> Result<Suggestion, AssistantError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(AssistantError::InvalidInput(
                "there is no customer question to draft an answer for".into(),
            ));
        }
        let prediction = self.classify(question).await?;
        let u = understand(question, state, prediction, &[]);
        let (query, hits) = self.search_in_context(question, state, &u, None).await?;
        let confidence = answer_confidence(
            &self.deps.policy,
            &u,
            hits.first().map_or(0.0, |h| h.confidence),
        );
        // The draft's events have no listener: a closed channel never stops the drafting.
        let (events, closed) = mpsc::channel(1);
        drop(closed);
        let mut out = TurnOut {
            events,
            text: String::new(),
            citations: Vec::new(),
            started: Instant::now(),
            ttft_ms: None,
        };
        // The same test as a customer's turn (`policy::knowledge_answers`), on the same reading.
        let reading = if hits.is_empty() {
            None
        } else {
            match self.read(&query, &hits, u.lang, Some(&u)).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "reader unavailable for a suggestion");
                    None
                }
            }
        };
        let signal = RetrievalSignal::of(confidence, &hits, reading.as_ref());
        if knowledge_answers(&self.deps.policy, &signal) {
            self.draft_answer(&mut out, &u, &query, &hits, confidence, reading)
                .await;
        }
        let draft = Some(out.text.trim().to_string()).filter(|t| !t.is_empty());
        Ok(Suggestion {
            question: question.to_string(),
            lang: u.lang,
            citations: if draft.is_some() {
                out.citations
            } else {
                Vec::new()
            },
            draft,
            passages: hits
                .iter()
                .take(PASSAGES)
                .map(|h| SuggestedPassage {
                    doc_id: h.doc_id.clone(),
                    title: h.title.clone(),
                    url: h.url.clone(),
                    text: h.text.clone(),
                    confidence: h.confidence,
                })
                .collect(),
        })
    }
}
