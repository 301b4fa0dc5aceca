//! Turning a turn's events into Server-Sent Events with the pinned names.

use crate::error::ApiError;
use crate::turn::{Reply, TurnHandle};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use frontdesk_core::TurnEvent;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

pub fn event(name: &str, data: &Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

pub fn error_event(e: &ApiError) -> Event {
    event(
        "error",
        &json!({"code": e.code(), "message": e.public_message(), "status": e.status().as_u16()}),
    )
}

/// The JSON of one engine event as the client sees it (handoff summaries stay with agents).
pub fn turn_event_data(ev: &TurnEvent) -> Value {
    match ev {
        TurnEvent::Token(t) => json!({"text": t}),
        TurnEvent::Citation(c) => {
            json!({"index": c.index, "doc_id": c.doc_id, "title": c.title, "url": c.url})
        }
        TurnEvent::Action(a) => serde_json::to_value(a).unwrap_or(Value::Null),
        TurnEvent::Handoff(h) => json!({"reason": h.reason}),
        TurnEvent::AgentMessage { text, agent } => json!({"text": text, "agent": agent}),
        TurnEvent::Done(o) => json!({"text": o.text, "status": o.status}),
        TurnEvent::Error(m) => json!({"code": "turn_failed", "message": m}),
    }
}

pub fn sse_response(rx: mpsc::Receiver<Result<Event, Infallible>>) -> Response {
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Streams a turn: engine events as they come, then `done` with the stored reply (or `error`).
/// `render_done` shapes the final data (voice and OpenAI clients want their own).
pub fn stream_turn(
    handle: TurnHandle,
    render_done: impl FnOnce(&Reply) -> Vec<Event> + Send + 'static,
) -> Response {
    stream_turn_with(
        handle,
        |ev| Some(event(ev.name(), &turn_event_data(ev))),
        render_done,
        |e| vec![error_event(e)],
    )
}

/// `stream_turn` with the event shapes chosen by the caller (voice, OpenAI chunks).
pub fn stream_turn_with(
    mut handle: TurnHandle,
    map: impl Fn(&TurnEvent) -> Option<Event> + Send + 'static,
    render_done: impl FnOnce(&Reply) -> Vec<Event> + Send + 'static,
    render_error: impl FnOnce(&ApiError) -> Vec<Event> + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(64);
    tokio::spawn(async move {
        let mut client_gone = false;
        while let Some(ev) = handle.events.recv().await {
            // Keep draining after the client left: the turn still finishes and is stored.
            if client_gone {
                continue;
            }
            if let Some(e) = map(&ev) {
                client_gone = tx.send(Ok(e)).await.is_err();
            }
        }
        let final_events = match handle.reply.await {
            Ok(Ok(reply)) => render_done(&reply),
            Ok(Err(e)) => render_error(&e),
            Err(_) => render_error(&ApiError::Internal(
                "turn task ended without a reply".into(),
            )),
        };
        for ev in final_events {
            let _ = tx.send(Ok(ev)).await;
        }
    });
    sse_response(rx)
}

/// Waits for the final reply of a turn (plain JSON clients), bounded by the request timeout.
pub async fn await_reply(handle: TurnHandle, timeout_secs: u64) -> Result<Reply, ApiError> {
    let TurnHandle { mut events, reply } = handle;
    // Drain events so the turn never blocks on a full channel.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    match tokio::time::timeout(Duration::from_secs(timeout_secs.max(1)), reply).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(ApiError::Internal("turn task ended without a reply".into())),
        Err(_) => Err(ApiError::Timeout { secs: timeout_secs }),
    }
}

/// Relays a broadcast channel to one SSE client until it disconnects; `pick` filters and shapes.
pub fn forward_broadcast<T: Clone + Send + 'static>(
    mut sub: broadcast::Receiver<T>,
    first: Option<Event>,
    pick: impl Fn(&T) -> Option<Event> + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(64);
    tokio::spawn(async move {
        if let Some(f) = first {
            if tx.send(Ok(f)).await.is_err() {
                return;
            }
        }
        loop {
            let item = tokio::select! {
                _ = tx.closed() => break,
                item = sub.recv() => item,
            };
            let ev = match item {
                Ok(v) => match pick(&v) {
                    Some(ev) => ev,
                    None => continue,
                },
                Err(broadcast::error::RecvError::Lagged(n)) => event(
                    "error",
                    &json!({"code": "lagged", "message": format!("{n} events were dropped; re-read the current state")}),
                ),
                Err(broadcast::error::RecvError::Closed) => break,
            };
            if tx.send(Ok(ev)).await.is_err() {
                break;
            }
        }
    });
    sse_response(rx)
}
