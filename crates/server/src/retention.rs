//! Erasing conversations while the service runs: on a customer's request (admin route) and
//! when `server.retention_days` have passed without activity (a background job).
//!
//! Each conversation's turn lock is held during its erasure, so a turn in flight finishes (and
//! writes its reply and audit rows) before the erasure, never after it.

use crate::error::ApiError;
use crate::state::AppState;
use chrono::Utc;
use frontdesk_core::store::{ErasureReport, ErasureSubject};
use std::time::Duration;
use tokio::sync::watch;

/// Conversations erased per transaction by the retention job, so a large backlog does not
/// hold the database (and the turn locks) for long.
const RETENTION_BATCH: usize = 200;

/// Erases `ids` under their turn locks.
pub async fn erase_conversations(
    state: &AppState,
    ids: &[String],
    subject: &ErasureSubject,
) -> Result<ErasureReport, ApiError> {
    let mut ids = ids.to_vec();
    // One order for every caller, so two erasures cannot wait on each other's locks.
    ids.sort();
    ids.dedup();
    let locks: Vec<_> = ids.iter().map(|id| state.conversation_lock(id)).collect();
    let mut guards = Vec::with_capacity(locks.len());
    for lock in &locks {
        guards.push(lock.lock().await);
    }
    Ok(state.store.erase_conversations(&ids, subject).await?)
}

/// How long conversations are kept and how often the job looks for expired ones.
#[derive(Debug, Clone, Copy)]
pub struct RetentionOptions {
    /// A conversation idle this long is erased.
    pub keep_for: Duration,
    pub check_every: Duration,
}

impl RetentionOptions {
    /// From `server.retention_days` (checked hourly); `None` when retention is off (0 days).
    pub fn from_days(days: u32) -> Option<Self> {
        (days > 0).then(|| Self {
            keep_for: Duration::from_secs(u64::from(days) * 86_400),
            check_every: Duration::from_secs(3600),
        })
    }
}

/// One pass: erases every conversation idle for longer than `keep_for`; returns what it erased.
pub async fn erase_expired(
    state: &AppState,
    keep_for: Duration,
) -> Result<ErasureReport, ApiError> {
    let keep_for = chrono::Duration::from_std(keep_for)
        .map_err(|e| ApiError::Internal(format!("retention period out of range: {e}")))?;
    let idle_since = Utc::now() - keep_for;
    let expired = state.store.expired_conversations(idle_since).await?;
    let mut total = ErasureReport::default();
    for batch in expired.chunks(RETENTION_BATCH) {
        let r = erase_conversations(state, batch, &ErasureSubject::Retention).await?;
        total.erasure_id = r.erasure_id.or(total.erasure_id);
        total.conversations += r.conversations;
        total.messages += r.messages;
        total.handoffs += r.handoffs;
        total.feedback += r.feedback;
        total.audit_rows_tombstoned += r.audit_rows_tombstoned;
        total.webhook_deliveries_dropped += r.webhook_deliveries_dropped;
        total.webhook_records_erased += r.webhook_records_erased;
        total.wal_checkpointed = r.wal_checkpointed;
    }
    Ok(total)
}

/// Runs a retention pass at start and every `check_every` until `shutdown` turns true.
pub fn spawn_retention_worker(
    state: AppState,
    opts: RetentionOptions,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match erase_expired(&state, opts.keep_for).await {
                Ok(r) if r.conversations > 0 => tracing::info!(
                    conversations = r.conversations,
                    messages = r.messages,
                    "retention: erased conversations idle for longer than the retention period"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("retention pass failed (retried next pass): {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(opts.check_every) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RetentionOptions;

    #[test]
    fn zero_days_turns_retention_off() {
        assert!(RetentionOptions::from_days(0).is_none());
        let o = RetentionOptions::from_days(365).unwrap();
        assert_eq!(o.keep_for.as_secs(), 365 * 86_400);
    }
}
