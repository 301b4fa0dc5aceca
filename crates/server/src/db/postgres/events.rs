//! Live events across replicas: each replica `NOTIFY`s what it broadcasts to its own clients
//! (an agent's message, a handoff, a taken-over answer) on one channel, and one listening
//! connection per replica hands what the others sent to its clients. A customer's stream and
//! an agent's inbox then see every replica's events, whichever replica they are connected to.
//!
//! `NOTIFY` delivers to the sessions listening at commit time and keeps nothing: a replica that
//! is reconnecting misses what was sent meanwhile, as a client that reconnects misses events
//! (the transcript and the handoff list are the record; the streams are hints to refresh).

use super::{backend, PgStore};
use frontdesk_core::store::SharedEvent;
use frontdesk_core::StoreError;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

const CHANNEL: &str = "frontdesk_events";
/// PostgreSQL refuses a `NOTIFY` payload of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;
/// Events waiting for the process's subscriber; beyond this the oldest are not waited for.
const QUEUE: usize = 1024;
/// Pause before the listening connection is opened again after it failed.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// What goes over the channel: the event and the replica that sent it (which skips its own).
#[derive(Serialize, Deserialize)]
struct Wire {
    origin: String,
    #[serde(flatten)]
    event: SharedEvent,
}

/// The payload for `event`; an event too large for `NOTIFY` goes without its data, marked
/// `truncated`, so a client knows to read the transcript or the handoff.
fn payload(origin: &str, event: &SharedEvent) -> String {
    let mut wire = Wire {
        origin: origin.to_string(),
        event: event.clone(),
    };
    let text = serde_json::to_string(&wire).unwrap_or_default();
    if text.len() <= MAX_PAYLOAD {
        return text;
    }
    wire.event.data = serde_json::json!({
        "conversation_id": event.conversation_id,
        "truncated": true,
    });
    serde_json::to_string(&wire).unwrap_or_default()
}

impl PgStore {
    pub(super) async fn notify_event(&self, event: &SharedEvent) -> Result<(), StoreError> {
        let text = payload(&self.origin, event);
        let c = self.client().await?;
        c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &text])
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Opens a connection of its own that `LISTEN`s, and keeps it open (reconnecting after a
    /// failure) until the receiver is dropped.
    pub(super) async fn listen_events(&self) -> Result<mpsc::Receiver<SharedEvent>, StoreError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let config = self.config.clone();
        let origin = self.origin.clone();
        // The first connection is opened here, so a caller learns at once when it cannot be.
        let first = listen(&config).await?;
        tokio::spawn(async move {
            let mut next = Some(first);
            loop {
                let notifications = match next.take() {
                    Some(n) => n,
                    None => match listen(&config).await {
                        Ok(n) => n,
                        Err(e) => {
                            tracing::warn!(
                                "cannot listen for other replicas' events (retrying): {e}"
                            );
                            tokio::time::sleep(RECONNECT_AFTER).await;
                            if tx.is_closed() {
                                return;
                            }
                            continue;
                        }
                    },
                };
                let (_client, mut notifications) = notifications;
                while let Some(text) = notifications.recv().await {
                    let Ok(wire) = serde_json::from_str::<Wire>(&text) else {
                        tracing::warn!("ignored an unreadable event on {CHANNEL}");
                        continue;
                    };
                    if wire.origin == origin {
                        continue;
                    }
                    if tx.send(wire.event).await.is_err() {
                        return;
                    }
                }
                if tx.is_closed() {
                    return;
                }
                tracing::warn!(
                    "lost the connection listening for other replicas' events; reconnecting"
                );
                tokio::time::sleep(RECONNECT_AFTER).await;
            }
        });
        Ok(rx)
    }
}

/// A fresh connection listening on the channel: its client (the connection closes when it is
/// dropped) and the payloads it receives, until it closes.
async fn listen(config: &tokio_postgres::Config) -> Result<Listening, StoreError> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(backend)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_string()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("event connection failed: {}", super::pg_message(&e));
                    return;
                }
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(backend)?;
    Ok((client, rx))
}

type Listening = (tokio_postgres::Client, mpsc::UnboundedReceiver<String>);
