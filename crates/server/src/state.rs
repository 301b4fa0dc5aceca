//! Shared state of the service: the assistant, the store, config, metrics, live channels and
//! the hooks the binary plugs in (re-index, reload) so the server never names the index.

use crate::auth::KeyRing;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use async_trait::async_trait;
use frontdesk_core::store::SharedEvent;
use frontdesk_core::{Assistant, Commerce, Config, Store};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{broadcast, Semaphore};

/// Re-indexes the knowledge base; returns a JSON summary (documents, chunks, timings).
#[async_trait]
pub trait Reindexer: Send + Sync {
    async fn reindex(&self) -> Result<serde_json::Value, String>;
}

/// Re-reads configuration (the file and the environment).
pub trait ConfigReloader: Send + Sync {
    fn reload(&self) -> Result<Config, String>;
}

/// Something a customer's live stream shows outside a turn: an agent joined, wrote, left.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerEvent {
    pub conversation_id: String,
    /// SSE event name: `agent_message`, `handoff`.
    pub event: &'static str,
    pub data: serde_json::Value,
}

/// What the agents' stream announces: `handoff` (new), `handoff_updated`, `customer_message`.
#[derive(Debug, Clone, Serialize)]
pub struct AgentEvent {
    pub event: &'static str,
    pub data: serde_json::Value,
}

#[derive(Default)]
pub struct Readiness {
    pub models: AtomicBool,
    pub index: AtomicBool,
}

impl Readiness {
    pub fn ready() -> Self {
        Self {
            models: AtomicBool::new(true),
            index: AtomicBool::new(true),
        }
    }
    pub fn is_ready(&self) -> bool {
        self.models.load(Ordering::Acquire) && self.index.load(Ordering::Acquire)
    }
}

pub struct Shared {
    pub assistant: Arc<dyn Assistant>,
    pub store: Arc<dyn Store>,
    /// The shop, when the server has one: the agent console shows a verified customer and
    /// their orders from it (reads only; writes stay with the engine's confirmed flows).
    pub commerce: Option<Arc<dyn Commerce>>,
    config: RwLock<Arc<Config>>,
    keys: RwLock<Arc<KeyRing>>,
    env_keys: Vec<(String, String)>,
    pub metrics: Metrics,
    pub limiter: RateLimiter,
    pub turns: Arc<Semaphore>,
    pub max_turns: usize,
    pub customer_events: broadcast::Sender<CustomerEvent>,
    pub agent_events: broadcast::Sender<AgentEvent>,
    pub readiness: Readiness,
    pub reindexer: Option<Arc<dyn Reindexer>>,
    pub reloader: Option<Arc<dyn ConfigReloader>>,
    /// One lock per conversation so two messages of one customer are answered in order.
    conversation_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Customer messages this process has accepted or taken over and not yet answered.
    answering: Mutex<HashSet<i64>>,
    /// This process's events on their way to the other processes sharing the store, in order.
    to_publish: tokio::sync::mpsc::UnboundedSender<SharedEvent>,
    /// One re-index at a time in this process (the admin route's and the follower's).
    pub reindexing: tokio::sync::Mutex<()>,
    /// The shared knowledge index version this process's index was built for (`reindex.rs`).
    pub index_version: AtomicI64,
    /// The newest shared index version another replica announced.
    pub announced_index_version: tokio::sync::watch::Sender<i64>,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct AppStateBuilder {
    config: Config,
    assistant: Arc<dyn Assistant>,
    store: Arc<dyn Store>,
    commerce: Option<Arc<dyn Commerce>>,
    env_keys: Vec<(String, String)>,
    readiness: Readiness,
    reindexer: Option<Arc<dyn Reindexer>>,
    reloader: Option<Arc<dyn ConfigReloader>>,
}

impl AppStateBuilder {
    /// API-key shortcuts from the process environment (`FRONTDESK_*_KEY`).
    pub fn env_keys_from_process(mut self) -> Self {
        self.env_keys = std::env::vars()
            .filter(|(k, _)| k.starts_with("FRONTDESK_") && k.ends_with("_KEY"))
            .collect();
        self
    }
    pub fn readiness(mut self, r: Readiness) -> Self {
        self.readiness = r;
        self
    }
    pub fn reindexer(mut self, r: Arc<dyn Reindexer>) -> Self {
        self.reindexer = Some(r);
        self
    }
    pub fn reloader(mut self, r: Arc<dyn ConfigReloader>) -> Self {
        self.reloader = Some(r);
        self
    }
    /// The shop the agent console reads customers and orders from.
    pub fn commerce(mut self, c: Arc<dyn Commerce>) -> Self {
        self.commerce = Some(c);
        self
    }
    pub fn build(self) -> AppState {
        let max_turns = self.config.server.max_concurrent_turns.max(1);
        let keys = KeyRing::from_config(&self.config.server, self.env_keys.clone());
        if keys.is_empty() {
            tracing::warn!("no API keys configured: agent, admin and channel routes will refuse every call (set FRONTDESK_AGENT_KEY / FRONTDESK_ADMIN_KEY / FRONTDESK_CHANNEL_KEY or server.api_keys)");
        }
        let (to_publish, publish_queue) = tokio::sync::mpsc::unbounded_channel();
        spawn_publisher(self.store.clone(), publish_queue);
        AppState(Arc::new(Shared {
            assistant: self.assistant,
            store: self.store,
            commerce: self.commerce,
            config: RwLock::new(Arc::new(self.config)),
            keys: RwLock::new(Arc::new(keys)),
            env_keys: self.env_keys,
            metrics: Metrics::default(),
            limiter: RateLimiter::new(),
            turns: Arc::new(Semaphore::new(max_turns)),
            max_turns,
            customer_events: broadcast::channel(1024).0,
            agent_events: broadcast::channel(256).0,
            readiness: self.readiness,
            reindexer: self.reindexer,
            reloader: self.reloader,
            conversation_locks: Mutex::new(HashMap::new()),
            answering: Mutex::new(HashSet::new()),
            to_publish,
            reindexing: tokio::sync::Mutex::new(()),
            index_version: AtomicI64::new(0),
            announced_index_version: tokio::sync::watch::Sender::new(0),
        }))
    }
}

impl AppState {
    pub fn builder(
        config: Config,
        assistant: Arc<dyn Assistant>,
        store: Arc<dyn Store>,
    ) -> AppStateBuilder {
        AppStateBuilder {
            config,
            assistant,
            store,
            commerce: None,
            env_keys: Vec::new(),
            readiness: Readiness::ready(),
            reindexer: None,
            reloader: None,
        }
    }

    pub fn config(&self) -> Arc<Config> {
        self.0
            .config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn keys(&self) -> Arc<KeyRing> {
        self.0
            .keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Swaps in a new config (keys, limits, business hours). The turn limit keeps its start value.
    pub fn replace_config(&self, config: Config) {
        let keys = KeyRing::from_config(&config.server, self.0.env_keys.clone());
        *self.0.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
        *self.0.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }

    /// Marks customer message `message_id` as answered by this process until the claim is
    /// dropped; `None` when this process already answers it. The sweep for unanswered messages
    /// (`turn::resume_unprocessed`) leaves claimed messages alone.
    pub fn claim_message(&self, message_id: i64) -> Option<MessageClaim> {
        let fresh = self
            .0
            .answering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(message_id);
        fresh.then(|| MessageClaim {
            state: self.clone(),
            message_id,
        })
    }

    pub fn conversation_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .0
            .conversation_locks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(id.to_string()).or_default().clone()
    }

    pub fn notify_customer(
        &self,
        conversation_id: &str,
        event: &'static str,
        data: serde_json::Value,
    ) {
        let _ = self.to_publish.send(SharedEvent {
            conversation_id: Some(conversation_id.to_string()),
            event: event.to_string(),
            data: data.clone(),
        });
        let _ = self.customer_events.send(CustomerEvent {
            conversation_id: conversation_id.to_string(),
            event,
            data,
        });
    }

    pub fn notify_agents(&self, event: &'static str, data: serde_json::Value) {
        let _ = self.to_publish.send(SharedEvent {
            conversation_id: None,
            event: event.to_string(),
            data: data.clone(),
        });
        let _ = self.agent_events.send(AgentEvent { event, data });
    }

    /// Sends an event to the other processes sharing the store only (none of this process's
    /// clients is meant to see it).
    pub fn publish_to_other_replicas(&self, event: &str, data: serde_json::Value) {
        let _ = self.to_publish.send(SharedEvent {
            conversation_id: None,
            event: event.to_string(),
            data,
        });
    }

    /// Hands the events other processes sharing the store publish to this process's clients,
    /// until the store's subscription ends. A store one process opens has none: returns at once.
    pub async fn relay_shared_events(&self) -> Result<(), frontdesk_core::StoreError> {
        let Some(mut events) = self.store.subscribe_events().await? else {
            return Ok(());
        };
        while let Some(e) = events.recv().await {
            if e.event == crate::reindex::INDEX_VERSION_EVENT {
                if let Some(v) = e.data["version"].as_i64() {
                    self.announced_index_version.send_if_modified(|seen| {
                        let newer = v > *seen;
                        if newer {
                            *seen = v;
                        }
                        newer
                    });
                }
                continue;
            }
            let Some(event) = SHARED_EVENT_NAMES.iter().find(|n| **n == e.event) else {
                tracing::warn!(event = %e.event, "ignored an event of a kind this version does not send");
                continue;
            };
            match e.conversation_id {
                Some(conversation_id) => {
                    let _ = self.customer_events.send(CustomerEvent {
                        conversation_id,
                        event,
                        data: e.data,
                    });
                }
                None => {
                    let _ = self.agent_events.send(AgentEvent {
                        event,
                        data: e.data,
                    });
                }
            }
        }
        Ok(())
    }

    /// Waits until no turn is in flight (all permits free) or `timeout` passes.
    pub async fn drain_turns(&self, timeout: std::time::Duration) -> bool {
        let n = u32::try_from(self.max_turns).unwrap_or(u32::MAX);
        matches!(
            tokio::time::timeout(timeout, self.turns.acquire_many(n)).await,
            Ok(Ok(_))
        )
    }
}

/// This process answers a customer message while it holds this (see [`AppState::claim_message`]).
pub struct MessageClaim {
    state: AppState,
    message_id: i64,
}

impl Drop for MessageClaim {
    fn drop(&mut self) {
        self.state
            .0
            .answering
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.message_id);
    }
}

/// The SSE event names the live streams carry (customer: `agent_message`, `handoff`, `done`;
/// agents: `handoff`, `handoff_updated`, `customer_message`): what another process may relay.
const SHARED_EVENT_NAMES: &[&str] = &[
    "agent_message",
    "handoff",
    "done",
    "handoff_updated",
    "customer_message",
];

/// Publishes this process's events to the other processes sharing the store, one at a time in
/// the order they happened, until the state is gone. A failed publish is logged and dropped:
/// the streams are hints, the store holds the record.
fn spawn_publisher(
    store: Arc<dyn Store>,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<SharedEvent>,
) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    rt.spawn(async move {
        while let Some(event) = queue.recv().await {
            if let Err(e) = store.publish_event(&event).await {
                tracing::warn!(event = %event.event, "could not share an event with other replicas: {e}");
            }
        }
    });
}
