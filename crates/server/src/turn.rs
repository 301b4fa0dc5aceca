//! One customer turn: validate, admit (bounded), store durably, answer, persist, escalate.
//! The answering runs in its own task so a dropped client never leaves a half-saved turn, and
//! graceful shutdown can wait for it through the turn semaphore.

use crate::error::ApiError;
use crate::handoff_queue::{open_handoff, HandoffView};
use crate::pii::mask_pii;
use crate::state::AppState;
use crate::transcript::append_turn_record;
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::conversation::{AnswerSource, PendingAction, Slot, Speaker, TurnOutcome};
use frontdesk_core::store::{AcceptedMessage, TurnLock};
use frontdesk_core::{
    Citation, ConversationState, ConversationStatus, EscalationReason, Lang, TurnEvent,
};
use serde::Serialize;
use serde_json::json;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CitationView {
    pub doc_id: String,
    pub title: String,
    pub url: Option<String>,
}

impl From<&Citation> for CitationView {
    fn from(c: &Citation) -> Self {
        Self {
            doc_id: c.doc_id.clone(),
            title: c.title.clone(),
            url: c.url.clone(),
        }
    }
}

/// The reply to one customer message (the JSON body, and the SSE `done` event's data).
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub conversation_id: String,
    pub message_id: i64,
    pub text: String,
    pub lang: Option<Lang>,
    pub citations: Vec<CitationView>,
    pub status: ConversationStatus,
    /// How the bot produced the reply; absent when no bot turn ran (a human holds it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<AnswerSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffView>,
    /// The plan awaiting the customer's yes or no (the same action and arguments as the SSE
    /// `action` event with state `awaiting_confirmation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_action: Option<PendingAction>,
    /// What the bot asked the customer for (`identity`, `order`, …, `confirmation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<Slot>,
    /// Speakable rendering for voice front ends.
    #[serde(skip)]
    pub voice_text: String,
}

/// A turn in progress: live events, then the final reply.
pub struct TurnHandle {
    pub events: mpsc::Receiver<TurnEvent>,
    pub reply: oneshot::Receiver<Result<Reply, ApiError>>,
}

pub fn validate_text(state: &AppState, text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::Unprocessable(
            "`text` is empty; send the customer's message".into(),
        ));
    }
    let max = state.config().server.max_message_chars;
    let n = text.chars().count();
    if n > max {
        return Err(ApiError::Unprocessable(format!(
            "message is {n} characters; the limit is {max} (server.max_message_chars)"
        )));
    }
    Ok(text.to_string())
}

/// Admits and starts a turn. A 503 here means the message was NOT stored; any `Ok` means it was.
pub async fn start_turn(
    state: &AppState,
    conversation_id: &str,
    text: &str,
) -> Result<TurnHandle, ApiError> {
    let (conv, _) = state.store.conversation(conversation_id).await?;
    start_turn_of(state, conv, text).await
}

/// [`start_turn`] for a conversation the caller has just read (to check the customer's token),
/// so it is not read again.
pub async fn start_turn_of(
    state: &AppState,
    conv: ConversationState,
    text: &str,
) -> Result<TurnHandle, ApiError> {
    let text = validate_text(state, text)?;
    let conversation_id = conv.id.as_str();
    if conv.status == ConversationStatus::Closed {
        return Err(ApiError::Conflict(format!(
            "conversation {conversation_id} is closed; start a new one"
        )));
    }
    let (ev_tx, ev_rx) = mpsc::channel(256);
    let (reply_tx, reply_rx) = oneshot::channel();
    if conv.status != ConversationStatus::Bot {
        // A human holds it: store, tell the agents, keep the bot quiet.
        let id = state
            .store
            .append_message(conversation_id, Speaker::Customer, &text, json!({}))
            .await?;
        state.store.mark_processed(id).await?;
        append_turn_record(state, conversation_id, Speaker::Customer, &text).await?;
        state.notify_agents(
            "customer_message",
            json!({"conversation_id": conversation_id, "text": text, "message_id": id}),
        );
        let reply = Reply {
            conversation_id: conversation_id.to_string(),
            message_id: id,
            text: String::new(),
            lang: conv.lang,
            citations: Vec::new(),
            status: conv.status,
            source: None,
            handoff: None,
            pending_action: None,
            awaiting: None,
            voice_text: String::new(),
        };
        let _ = reply_tx.send(Ok(reply));
        return Ok(TurnHandle {
            events: ev_rx,
            reply: reply_rx,
        });
    }
    let permit = state.turns.clone().try_acquire_owned().map_err(|_| {
        state.metrics.turn_rejected();
        ApiError::busy(format!(
            "all {} answer slots are busy; retry shortly",
            state.max_turns
        ))
    })?;
    // Stored, and the conversation's turns held across replicas (PostgreSQL: waiting here for
    // a turn of it another replica is answering). A client that leaves while this waits may
    // leave the message stored and unanswered: the sweep answers it, as after a crash.
    let accepted = state.store.accept_message(conversation_id, &text).await?;
    let claim = state.claim_message(accepted.message_id);
    let st = state.clone();
    let cid = conversation_id.to_string();
    tokio::spawn(async move {
        let _claim = claim;
        let result = run_turn(&st, &cid, accepted, &text, ev_tx, permit).await;
        let _ = reply_tx.send(result);
    });
    Ok(TurnHandle {
        events: ev_rx,
        reply: reply_rx,
    })
}

/// Answers an accepted customer message and persists everything the turn produced.
async fn run_turn(
    state: &AppState,
    conversation_id: &str,
    accepted: AcceptedMessage,
    text: &str,
    client: mpsc::Sender<TurnEvent>,
    _permit: OwnedSemaphorePermit,
) -> Result<Reply, ApiError> {
    let lock = state.conversation_lock(conversation_id);
    let guard = lock.lock_owned().await;
    run_locked_turn(
        state,
        conversation_id,
        accepted.message_id,
        accepted.state,
        text,
        client,
        TurnLocks {
            _permit,
            _conversation: guard,
            _replicas: accepted.turns,
        },
        false,
    )
    .await
}

/// What a turn holds while it runs: an answer slot, this process's lock of the conversation
/// and every other replica's.
struct TurnLocks {
    _permit: OwnedSemaphorePermit,
    _conversation: tokio::sync::OwnedMutexGuard<()>,
    _replicas: TurnLock,
}

/// Runs a turn under its locks. `fresh` is the conversation's state when it was read under
/// those locks after the message was last known unanswered; `None` reads both here.
#[allow(clippy::too_many_arguments)]
async fn run_locked_turn(
    state: &AppState,
    conversation_id: &str,
    message_id: i64,
    fresh: Option<ConversationState>,
    text: &str,
    client: mpsc::Sender<TurnEvent>,
    _locks: TurnLocks,
    resuming: bool,
) -> Result<Reply, ApiError> {
    let mut conv = match fresh {
        Some(conv) => conv,
        None => {
            // Another replica may have taken the message over while this one queued for the
            // locks (it counted as abandoned): answered once is enough.
            if !state.store.is_unprocessed(message_id).await? {
                return Err(ApiError::Conflict(format!(
                    "message {message_id} was already answered by another replica sharing the \
                     database; read the conversation's transcript"
                )));
            }
            state.store.conversation(conversation_id).await?.0
        }
    };
    let started = Instant::now();
    state.metrics.turn_started();
    let (tx, mut rx) = mpsc::channel::<TurnEvent>(256);
    let forward = async {
        let mut tokens = 0u64;
        let mut client_gone = false;
        while let Some(ev) = rx.recv().await {
            if matches!(ev, TurnEvent::Token(_)) {
                tokens += 1;
            }
            // The final `done` comes from the server (with the stored reply), not the engine.
            if matches!(ev, TurnEvent::Done(_)) || client_gone {
                continue;
            }
            client_gone = client.send(ev).await.is_err();
        }
        tokens
    };
    let (result, tokens) = tokio::join!(state.assistant.respond(&mut conv, text, tx), forward);
    state
        .metrics
        .turn_finished(tokens, started.elapsed().as_secs_f64());
    match result {
        Ok(outcome) => finish_turn(state, conv, message_id, text, outcome, &client).await,
        Err(AssistantError::Overloaded(m)) => {
            state.metrics.turn_rejected();
            // A live request answers 503, so the message was not accepted. A resumed one was
            // accepted before the restart: it stays pending for the next start.
            if !resuming {
                state.store.withdraw_message(message_id).await?;
            }
            Err(ApiError::busy(format!(
                "the assistant is busy ({m}); retry shortly"
            )))
        }
        Err(AssistantError::NotWithBot(s)) => {
            state.store.mark_processed(message_id).await?;
            Err(ApiError::Conflict(format!(
                "conversation is {s}; the bot does not reply"
            )))
        }
        Err(e) => {
            state.store.mark_processed(message_id).await?;
            state
                .store
                .audit(
                    conversation_id,
                    "turn_failed",
                    &json!({"message_id": message_id, "error": mask_pii(&e.to_string())}),
                )
                .await?;
            Err(e.into())
        }
    }
}

async fn finish_turn(
    state: &AppState,
    mut conv: frontdesk_core::ConversationState,
    message_id: i64,
    question: &str,
    outcome: TurnOutcome,
    client: &mpsc::Sender<TurnEvent>,
) -> Result<Reply, ApiError> {
    let conversation_id = conv.id.clone();
    let mut text = outcome.text.clone();
    let mut voice_text = outcome.voice_text.clone();
    let mut handoff = None;
    conv.status = outcome.status;
    if let Some(info) = &outcome.handoff {
        let lang = outcome.lang;
        let view = open_handoff(state, &conversation_id, info, lang).await?;
        if let Some(note) = &view.notice {
            text = format!("{text}\n\n{note}").trim().to_string();
            voice_text = format!("{voice_text} {note}").trim().to_string();
            let _ = client.send(TurnEvent::Token(format!("\n\n{note}"))).await;
        }
        let _ = client.send(TurnEvent::Handoff(info.clone())).await;
        conv.status = ConversationStatus::WaitingForHuman;
        handoff = Some(view);
    }
    // A question the knowledge base could not answer: handed over for it, or answered with
    // the offer of a person (the conversation stays with the bot).
    let unanswered = outcome.awaiting == Some(Slot::Handoff)
        || matches!(
            outcome.handoff.as_ref().map(|h| h.reason),
            Some(
                EscalationReason::LowConfidence
                    | EscalationReason::OutOfScope
                    | EscalationReason::RepeatedFailure
            )
        );
    let meta = json!({
        "lang": outcome.lang,
        "citations": outcome.citations,
        "intent": outcome.intent,
        "decision": outcome.decision,
        "source": outcome.source,
        "latency_ms": outcome.latency_ms,
        "ttft_ms": outcome.ttft_ms,
        "question": question,
        "unanswered": unanswered,
        "reply_to": message_id,
        "pending_action": outcome.pending_action,
        "awaiting": outcome.awaiting,
    });
    let bot_id = state
        .store
        .finish_turn(&conv, message_id, &text, meta)
        .await?;
    for action in &outcome.executed_actions {
        state
            .store
            .audit(
                &conversation_id,
                &action.name,
                &json!({"arguments": action.arguments, "result": action.result}),
            )
            .await?;
    }
    Ok(Reply {
        conversation_id,
        message_id: bot_id,
        text,
        lang: Some(outcome.lang),
        citations: outcome.citations.iter().map(CitationView::from).collect(),
        status: conv.status,
        source: Some(outcome.source),
        handoff,
        pending_action: outcome.pending_action.clone(),
        awaiting: outcome.awaiting,
        voice_text,
    })
}

/// Answers customer messages that were accepted and never answered: left by a crash or a
/// restart of this process, or by another replica sharing the database that died mid-turn (its
/// turn lock went with its connections). A message is taken when it is at least `min_age` old,
/// this process is not answering it, and no process holds its conversation's turns — a live
/// replica's turn in progress is left to it. Messages of a conversation a human now holds are
/// marked instead. Answers reach the customer's live stream as `done` events and the
/// transcript. Returns how many messages were taken.
pub async fn resume_unprocessed(
    state: &AppState,
    min_age: std::time::Duration,
) -> Result<usize, ApiError> {
    let cutoff = chrono::Utc::now()
        - chrono::Duration::from_std(min_age).unwrap_or_else(|_| chrono::Duration::zero());
    let pending = state.store.unprocessed_messages().await?;
    let mut taken = 0;
    for msg in pending.into_iter().filter(|m| m.at <= cutoff) {
        let Some(_claim) = state.claim_message(msg.id) else {
            continue;
        };
        let Ok(guard) = state
            .conversation_lock(&msg.conversation_id)
            .try_lock_owned()
        else {
            continue;
        };
        let Some(replicas) = state.store.try_lock_turns(&msg.conversation_id).await? else {
            continue;
        };
        if !state.store.is_unprocessed(msg.id).await? {
            continue;
        }
        taken += 1;
        let (conv, _) = state.store.conversation(&msg.conversation_id).await?;
        if conv.status != ConversationStatus::Bot {
            state.store.mark_processed(msg.id).await?;
            continue;
        }
        let permit = state
            .turns
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal("turn semaphore closed during resume".into()))?;
        let (tx, _rx) = mpsc::channel(256);
        let locks = TurnLocks {
            _permit: permit,
            _conversation: guard,
            _replicas: replicas,
        };
        match run_locked_turn(
            state,
            &msg.conversation_id,
            msg.id,
            Some(conv),
            &msg.text,
            tx,
            locks,
            true,
        )
        .await
        {
            Ok(reply) => {
                let data = serde_json::to_value(&reply).unwrap_or_default();
                state.notify_customer(&msg.conversation_id, "done", data);
            }
            Err(e) => {
                tracing::warn!(conversation = %msg.conversation_id, error = %mask_pii(&e.to_string()), "could not answer a message left unanswered")
            }
        }
    }
    Ok(taken)
}

/// At start, answers what this process left unanswered (any age: nothing of this process is
/// in flight yet); then, every `server.unanswered_sweep_secs` (30 s by default), what a
/// replica that died left behind, once it is `server.takeover_after_secs` old (2 minutes by
/// default: well above the time a message queues behind the turns before it on a live
/// replica; a takeover that loses that race anyway is caught by the re-check in
/// `run_locked_turn`, so a message is never answered twice). Both are read at each pass, so a
/// config reload changes them. Stops when `shutdown` turns true.
pub fn spawn_unanswered_sweep(
    state: AppState,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut min_age = std::time::Duration::ZERO;
        loop {
            match resume_unprocessed(&state, min_age).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("answered {n} message(s) accepted and left unanswered"),
                Err(e) => {
                    tracing::warn!("sweep for unanswered messages failed (retried next pass): {e}")
                }
            }
            let server = state.config().server.clone();
            min_age = std::time::Duration::from_secs(server.takeover_after_secs);
            // At least a second apart, so a zero setting cannot spin.
            let period = std::time::Duration::from_secs(server.unanswered_sweep_secs.max(1));
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}
