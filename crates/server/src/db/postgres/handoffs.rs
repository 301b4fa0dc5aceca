//! The handoff queue. A state change is one conditional `UPDATE`: the row changes only if its
//! current state still allows the move, checked by the database on the row's latest version
//! (under READ COMMITTED an `UPDATE` that waited for another transaction re-checks its `WHERE`
//! on the row that transaction left). Of two agents claiming at once, on one replica or two,
//! exactly one matches; the other finds the row already claimed and gets the same `Conflict`
//! `SqliteStore` gives.

use super::{backend, pg_text, PgStore};
use crate::db::{handoff_state_str, parse_handoff_state, HANDOFF_COLS};
use chrono::Utc;
use deadpool_postgres::GenericClient;
use frontdesk_core::store::{HandoffRecord, HandoffState};
use frontdesk_core::{EscalationReason, StoreError};
use tokio_postgres::Row;

pub(super) fn handoff_from_row(r: &Row) -> Result<HandoffRecord, StoreError> {
    let reason: &str = r.get(2);
    Ok(HandoffRecord {
        id: r.get(0),
        conversation_id: r.get(1),
        reason: EscalationReason::parse(reason).ok_or_else(|| {
            StoreError::Backend(format!("unknown escalation reason {reason:?} in database"))
        })?,
        summary: r.get(3),
        state: parse_handoff_state(r.get(4))?,
        agent: r.get(5),
        ticket: r.get(6),
        created_at: r.get(7),
        updated_at: r.get(8),
        claimed_at: r.get(9),
    })
}

/// Handoffs of one conversation (or all, in state order), oldest first.
pub(super) async fn handoffs_of(
    c: &impl GenericClient,
    conversation_id: &str,
) -> Result<Vec<HandoffRecord>, StoreError> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {HANDOFF_COLS} FROM handoffs WHERE conversation_id = $1 ORDER BY created_at, id"
        ))
        .await
        .map_err(backend)?;
    c.query(&stmt, &[&pg_text(conversation_id)])
        .await
        .map_err(backend)?
        .iter()
        .map(handoff_from_row)
        .collect()
}

/// Why a handoff in `current` may not move to `target` for `agent`; `None` when it may.
/// The queue's transitions: waiting → claimed, claimed → claimed (same agent only),
/// waiting|claimed → resolved.
fn refusal(
    current: &HandoffRecord,
    target: HandoffState,
    agent: Option<&str>,
) -> Option<StoreError> {
    let id = &current.id;
    match (current.state, target) {
        (HandoffState::Resolved, _) => Some(StoreError::Conflict(format!(
            "handoff {id} is already resolved"
        ))),
        (HandoffState::Claimed, HandoffState::Claimed) if current.agent.as_deref() != agent => {
            Some(StoreError::Conflict(format!(
                "handoff {id} is already claimed by {}",
                current.agent.as_deref().unwrap_or("another agent")
            )))
        }
        (_, HandoffState::Waiting) => Some(StoreError::Conflict(format!(
            "handoff {id} cannot go back to waiting"
        ))),
        _ => None,
    }
}

impl PgStore {
    pub(super) async fn insert_handoff(&self, r: &HandoffRecord) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            &format!(
                "INSERT INTO handoffs ({HANDOFF_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &pg_text(&r.id),
                &pg_text(&r.conversation_id),
                &r.reason.as_str(),
                &pg_text(&r.summary),
                &handoff_state_str(r.state),
                &r.agent.as_deref().map(pg_text),
                &r.ticket,
                &r.created_at,
                &r.updated_at,
                &r.claimed_at,
            ],
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    pub(super) async fn load_handoff(&self, id: &str) -> Result<HandoffRecord, StoreError> {
        let c = self.client().await?;
        load(&c, id).await
    }

    pub(super) async fn list_handoffs(
        &self,
        state: Option<HandoffState>,
    ) -> Result<Vec<HandoffRecord>, StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(&format!(
                "SELECT {HANDOFF_COLS} FROM handoffs WHERE ($1::text IS NULL OR state = $1) ORDER BY created_at, id"
            ))
            .await
            .map_err(backend)?;
        c.query(&stmt, &[&state.map(handoff_state_str)])
            .await
            .map_err(backend)?
            .iter()
            .map(handoff_from_row)
            .collect()
    }

    pub(super) async fn list_handoffs_since(
        &self,
        since: chrono::DateTime<Utc>,
    ) -> Result<Vec<HandoffRecord>, StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(&format!(
                "SELECT {HANDOFF_COLS} FROM handoffs WHERE created_at >= $1 ORDER BY created_at, id"
            ))
            .await
            .map_err(backend)?;
        c.query(&stmt, &[&since])
            .await
            .map_err(backend)?
            .iter()
            .map(handoff_from_row)
            .collect()
    }

    pub(super) async fn transition_handoff(
        &self,
        id: &str,
        target: HandoffState,
        agent: Option<&str>,
    ) -> Result<HandoffRecord, StoreError> {
        let c = self.client().await?;
        let agent = agent.map(pg_text);
        if target != HandoffState::Waiting {
            let stmt = c
                .prepare_cached(&format!(
                    "UPDATE handoffs SET state = $2, agent = COALESCE($3, agent), updated_at = $4,
                        claimed_at = CASE WHEN $2 = 'claimed' AND claimed_at IS NULL THEN $4 ELSE claimed_at END
                     WHERE id = $1 AND (
                        ($2 = 'claimed' AND (state = 'waiting' OR (state = 'claimed' AND agent IS NOT DISTINCT FROM $3)))
                        OR ($2 = 'resolved' AND state IN ('waiting', 'claimed'))
                     )
                     RETURNING {HANDOFF_COLS}"
                ))
                .await
                .map_err(backend)?;
            let updated = c
                .query_opt(
                    &stmt,
                    &[
                        &pg_text(id),
                        &handoff_state_str(target),
                        &agent,
                        &Utc::now(),
                    ],
                )
                .await
                .map_err(backend)?;
            if let Some(row) = updated {
                return handoff_from_row(&row);
            }
        }
        // Not changed: say why, from the row as it is now (states only move forward, so
        // what refused the update still refuses it).
        let current = load(&c, id).await?;
        Err(
            refusal(&current, target, agent.as_deref()).unwrap_or_else(|| {
                StoreError::Conflict(format!("handoff {id} changed meanwhile; try again"))
            }),
        )
    }
}

async fn load(c: &impl GenericClient, id: &str) -> Result<HandoffRecord, StoreError> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {HANDOFF_COLS} FROM handoffs WHERE id = $1"
        ))
        .await
        .map_err(backend)?;
    let row = c
        .query_opt(&stmt, &[&pg_text(id)])
        .await
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound {
            what: "handoff",
            id: id.to_string(),
        })?;
    handoff_from_row(&row)
}
