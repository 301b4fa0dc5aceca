//! Webhook subscriptions and the durable outbox.
//!
//! `due_outbox` claims what it returns. With SQLite one process runs one webhook worker, so a
//! plain `SELECT` is enough; here every replica runs one, and two of them must never POST the
//! same delivery at the same time. The due rows are picked with `FOR UPDATE SKIP LOCKED` (a
//! second worker passes over rows the first is claiming instead of waiting for them) and marked
//! `claimed_until = now + OUTBOX_LEASE` in the same statement; a row whose lease has not run out
//! is not due for anyone else. `outbox_delivered` / `outbox_failed` end the lease. If a worker
//! dies mid-batch, its unfinished deliveries are picked up again once the lease runs out, so
//! delivery stays at least once (receivers dedupe on `x-frontdesk-delivery`, the outbox id).

use super::{backend, pg_json, pg_text, PgStore, OUTBOX_LEASE};
use crate::db::privacy::payload_conversation;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use frontdesk_core::store::{OutboxItem, WebhookConfig};
use frontdesk_core::StoreError;
use serde_json::Value;

impl PgStore {
    pub(super) async fn list_webhooks(&self) -> Result<Vec<WebhookConfig>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query("SELECT url, secret, events FROM webhooks ORDER BY id", &[])
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(WebhookConfig {
                    url: r.get(0),
                    secret: r.get(1),
                    events: serde_json::from_value(r.get(2))
                        .map_err(|e| StoreError::Backend(format!("webhook events: {e}")))?,
                })
            })
            .collect()
    }

    /// Replaces every subscription at once (one transaction).
    pub(super) async fn replace_webhooks(&self, hooks: &[WebhookConfig]) -> Result<(), StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute("DELETE FROM webhooks", &[])
            .await
            .map_err(backend)?;
        for h in hooks {
            let events = pg_json(&Value::from(h.events.clone())).into_owned();
            tx.execute(
                "INSERT INTO webhooks (url, secret, events) VALUES ($1, $2, $3)",
                &[&pg_text(&h.url), &pg_text(&h.secret), &events],
            )
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    /// One delivery per subscribed webhook (`events` naming the event or `*`), in webhook
    /// order, queued by one statement so a concurrent `set_webhooks` is seen whole or not at all.
    pub(super) async fn enqueue(&self, event: &str, payload: &Value) -> Result<usize, StoreError> {
        let conversation_id = payload_conversation(payload).map(|c| pg_text(&c).into_owned());
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "INSERT INTO outbox (url, secret, event, payload, next_attempt_at, created_at, conversation_id)
                 SELECT url, secret, $1::text, $2::jsonb, $3::timestamptz, $3::timestamptz, $4::text
                 FROM webhooks WHERE events ? $1::text OR events ? '*'
                 ORDER BY id",
            )
            .await
            .map_err(backend)?;
        let n = c
            .execute(
                &stmt,
                &[
                    &pg_text(event),
                    &pg_json(payload).as_ref(),
                    &Utc::now(),
                    &conversation_id,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(n as usize)
    }

    /// Claims up to `limit` due deliveries (oldest first) for [`OUTBOX_LEASE`] after `now`.
    pub(super) async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let lease = chrono::Duration::from_std(OUTBOX_LEASE)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let until = now + lease;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "WITH due AS (
                    SELECT id FROM outbox
                    WHERE delivered_at IS NULL AND NOT dead AND next_attempt_at <= $1
                      AND (claimed_until IS NULL OR claimed_until <= $1)
                    ORDER BY id
                    LIMIT $2
                    FOR UPDATE SKIP LOCKED
                 )
                 UPDATE outbox o SET claimed_until = $3
                 FROM due WHERE o.id = due.id
                 RETURNING o.id, o.url, o.secret, o.event, o.payload, o.attempts",
            )
            .await
            .map_err(backend)?;
        let rows = c
            .query(&stmt, &[&now, &limit, &until])
            .await
            .map_err(backend)?;
        let mut items = rows
            .iter()
            .map(|r| {
                let attempts: i32 = r.get(5);
                OutboxItem {
                    id: r.get(0),
                    url: r.get(1),
                    secret: r.get(2),
                    event: r.get(3),
                    payload: r.get(4),
                    attempts: u32::try_from(attempts).unwrap_or(0),
                }
            })
            .collect::<Vec<_>>();
        // RETURNING has no order of its own.
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    pub(super) async fn mark_delivered(&self, id: i64) -> Result<(), StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "UPDATE outbox SET delivered_at = $2, attempts = attempts + 1, claimed_until = NULL WHERE id = $1",
            )
            .await
            .map_err(backend)?;
        c.execute(&stmt, &[&id, &Utc::now()])
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// A failed attempt: retried at `next_attempt_at`, or given up on (`dead`) when `None`.
    pub(super) async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let (next, dead) = match next_attempt_at {
            Some(t) => (t, false),
            None => (Utc::now(), true),
        };
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, dead = $4, claimed_until = NULL WHERE id = $1",
            )
            .await
            .map_err(backend)?;
        c.execute(&stmt, &[&id, &pg_text(error), &next, &dead])
            .await
            .map_err(backend)?;
        Ok(())
    }
}
