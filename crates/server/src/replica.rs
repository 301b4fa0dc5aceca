//! The background jobs every `frontdesk serve` process runs beside its HTTP listener: the
//! webhook outbox worker, the sweep for unanswered messages, the relay of other replicas' live
//! events, the follower of the shared index version and the retention job. One place starts them, so the binary and the multi-process
//! tests run the same replica.

use crate::reindex::spawn_index_follower;
use crate::retention::{spawn_retention_worker, RetentionOptions};
use crate::state::AppState;
use crate::turn::spawn_unanswered_sweep;
use crate::webhooks::{spawn_outbox_worker, OutboxOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The jobs of one replica; [`ReplicaJobs::stop`] ends them.
pub struct ReplicaJobs {
    stop: watch::Sender<bool>,
    stoppable: Vec<JoinHandle<()>>,
    relay: JoinHandle<()>,
}

impl ReplicaJobs {
    /// Starts the jobs for `state` (its store, config and clients).
    pub fn start(state: &AppState) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let mut stoppable = vec![
            spawn_outbox_worker(
                state.store.clone(),
                OutboxOptions::default(),
                stop_rx.clone(),
            ),
            spawn_unanswered_sweep(state.clone(), stop_rx.clone()),
            spawn_index_follower(state.clone(), stop_rx.clone()),
        ];
        if let Some(opts) = RetentionOptions::from_days(state.config().server.retention_days) {
            stoppable.push(spawn_retention_worker(state.clone(), opts, stop_rx));
        }
        // Other replicas' live events (PostgreSQL only) reach this replica's streams.
        let relay_state = state.clone();
        let relay = tokio::spawn(async move {
            if let Err(e) = relay_state.relay_shared_events().await {
                tracing::warn!(
                    "other replicas' live events will not reach this replica's streams: {e}"
                );
            }
        });
        Self {
            stop,
            stoppable,
            relay,
        }
    }

    /// Asks every job to stop and waits for those that finish their pass (the relay is ended).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        self.relay.abort();
        for job in self.stoppable {
            let _ = job.await;
        }
    }
}
