//! Re-indexing across replicas. `POST /v1/admin/reindex` rebuilds this replica's index, moves
//! the shared index version on (`Store::advance_index_version`) and announces the new version
//! on the event channel; every other replica's follower (`spawn_index_follower`) hears it — or,
//! if it missed the announcement, reads the version on its next check — and rebuilds its own
//! index from the same knowledge base. No index files are shared: each replica builds (or
//! loads from its own data directory) what it serves. With a store one process opens there is
//! no shared version and nothing to follow.

use crate::error::ApiError;
use crate::state::AppState;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The event a replica publishes after it re-indexed: `{"version": N}` on the agents' side of
/// the channel (it is not relayed to any client).
pub const INDEX_VERSION_EVENT: &str = "index_version";

/// How often a follower reads the shared version, in case an announcement was missed.
const CHECK_EVERY: Duration = Duration::from_secs(30);

/// Rebuilds this replica's index and makes every replica sharing the store follow: the
/// route's work. Returns the re-index report with the new shared version (`null` when the
/// store is not shared).
pub async fn reindex_everywhere(state: &AppState) -> Result<Value, ApiError> {
    let Some(reindexer) = state.reindexer.clone() else {
        return Err(ApiError::busy(
            "re-indexing is not available in this server (no knowledge index attached)",
        ));
    };
    let _one_at_a_time = state.reindexing.lock().await;
    let report = reindexer
        .reindex()
        .await
        .map_err(|e| ApiError::Internal(format!("re-index failed: {e}")))?;
    let version = state.store.advance_index_version().await?;
    if let Some(v) = version {
        state.index_version.fetch_max(v, Ordering::AcqRel);
        state.publish_to_other_replicas(INDEX_VERSION_EVENT, json!({ "version": v }));
    }
    Ok(json!({ "report": report, "index_version": version }))
}

/// Rebuilds this replica's index whenever the shared version moves past the one it serves;
/// the version at start is taken as served (the index was built or loaded from the knowledge
/// base as it is). Ends at once for a store one process opens, and when `shutdown` turns true.
pub fn spawn_index_follower(
    state: AppState,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        match state.store.index_version().await {
            Ok(Some(v)) => {
                state.index_version.fetch_max(v, Ordering::AcqRel);
            }
            Ok(None) => return,
            Err(e) => tracing::warn!("cannot read the shared index version (retried): {e}"),
        }
        let mut announced = state.announced_index_version.subscribe();
        loop {
            tokio::select! {
                _ = announced.changed() => {}
                _ = tokio::time::sleep(CHECK_EVERY) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = follow_once(&state).await {
                tracing::warn!("could not follow the shared index version (retried): {e}");
            }
        }
    })
}

/// One check: re-indexes when the shared version is ahead of the one served.
async fn follow_once(state: &AppState) -> Result<(), ApiError> {
    let Some(shared) = state.store.index_version().await? else {
        return Ok(());
    };
    if shared <= state.index_version.load(Ordering::Acquire) {
        return Ok(());
    }
    let _one_at_a_time = state.reindexing.lock().await;
    // Re-read under the lock: this replica's own re-index may have served it meanwhile.
    if shared <= state.index_version.load(Ordering::Acquire) {
        return Ok(());
    }
    if let Some(reindexer) = state.reindexer.clone() {
        let report = reindexer
            .reindex()
            .await
            .map_err(|e| ApiError::Internal(format!("re-index failed: {e}")))?;
        tracing::info!(version = shared, %report, "re-indexed to follow another replica");
    }
    state.index_version.fetch_max(shared, Ordering::AcqRel);
    Ok(())
}
