//! Customer data rights on PostgreSQL: the same export, retention query and erasure as
//! `db/privacy.rs`, with the same tombstones (an `erasures` row with the sha256 of the customer
//! id, audit rows keeping action and time with `{"erased": true, "erasure_id": N}` as detail).
//!
//! What PostgreSQL keeps on disk after an erasure: the deleting transaction commits before
//! `erase_conversations` returns, and from then on no query, replica or backup taken afterwards
//! (`pg_dump`) returns the erased rows. The bytes of the deleted row versions stay in the
//! tables' pages until (auto)vacuum frees and later reuses that space, and in the write-ahead
//! log until its segments are recycled (and in WAL archives or physical replicas for as long as
//! they are kept). PostgreSQL has no equivalent of SQLite's `secure_delete` and
//! `wal_checkpoint(TRUNCATE)`; `VACUUM` cannot run inside the erasing transaction, plain `VACUUM`
//! does not overwrite freed space, and `VACUUM FULL` (which rewrites the tables into new files)
//! locks them against every reader and writer for the duration, so the store does neither:
//! `ErasureReport::wal_checkpointed` is always `false` here. Operators who must also scrub the
//! files run `VACUUM FULL` on the frontdesk tables in a maintenance window and expire WAL
//! archives, as for any PostgreSQL data.

use super::conversations::{messages_of, parse_state};
use super::handoffs::handoffs_of;
use super::{backend, pg_text, PgStore};
use crate::db::privacy::{parse_reason, subject_key, subject_text};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use frontdesk_core::store::{
    AuditRecord, ConversationExport, CustomerExport, ErasureRecord, ErasureReport, ErasureSubject,
    FeedbackRecord,
};
use frontdesk_core::{Channel, ConversationStatus, StoreError};
use serde_json::Value;
use tokio_postgres::IsolationLevel;

pub(super) async fn customer_conversations(
    c: &impl GenericClient,
    customer_id: &str,
) -> Result<Vec<String>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT id FROM conversations WHERE customer_id = $1 ORDER BY created_at, id",
        )
        .await
        .map_err(backend)?;
    Ok(c.query(&stmt, &[&pg_text(customer_id)])
        .await
        .map_err(backend)?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// One conversation and every row that belongs to it; `None` if it is gone.
async fn conversation_export(
    c: &impl GenericClient,
    id: &str,
) -> Result<Option<ConversationExport>, StoreError> {
    let Some(row) = c
        .query_opt(
            "SELECT status, channel, state, created_at, updated_at FROM conversations WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let status: &str = row.get(0);
    let status = ConversationStatus::parse(status).ok_or_else(|| {
        StoreError::Backend(format!(
            "unknown conversation status {status:?} in database"
        ))
    })?;
    let channel: Channel = serde_json::from_value(Value::String(row.get(1)))
        .map_err(|e| StoreError::Backend(format!("conversation {id} channel: {e}")))?;
    let state = parse_state(id, row.get(2))?;

    let feedback = c
        .query(
            "SELECT rating, comment, at FROM feedback WHERE conversation_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .map_err(backend)?
        .iter()
        .map(|r| FeedbackRecord {
            rating: u8::try_from(r.get::<_, i16>(0)).unwrap_or(0),
            comment: r.get(1),
            at: r.get(2),
        })
        .collect();
    let audit = c
        .query(
            "SELECT action, detail, at FROM audit_log WHERE conversation_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .map_err(backend)?
        .iter()
        .map(|r| AuditRecord {
            action: r.get(0),
            detail: r.get(1),
            at: r.get(2),
        })
        .collect();

    Ok(Some(ConversationExport {
        id: id.to_string(),
        status,
        channel,
        customer: state.customer,
        created_at: row.get(3),
        updated_at: row.get(4),
        messages: messages_of(c, id).await?,
        handoffs: handoffs_of(c, id).await?,
        feedback,
        audit,
    }))
}

impl PgStore {
    /// Read in one REPEATABLE READ snapshot, so the export is consistent even while the
    /// customer is writing or another replica is erasing.
    pub(super) async fn export_customer(
        &self,
        customer_id: &str,
    ) -> Result<CustomerExport, StoreError> {
        let mut c = self.client().await?;
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(backend)?;
        let mut conversations = Vec::new();
        for id in customer_conversations(&tx, customer_id).await? {
            if let Some(e) = conversation_export(&tx, &id).await? {
                conversations.push(e);
            }
        }
        let erasures = tx
            .query(
                "SELECT id, reason, conversations, erased_at FROM erasures WHERE subject = $1 ORDER BY id",
                &[&subject_key(customer_id)],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| {
                Ok(ErasureRecord {
                    id: r.get(0),
                    reason: parse_reason(r.get(1))?,
                    conversations: r.get::<_, i64>(2).max(0) as u64,
                    erased_at: r.get(3),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        tx.commit().await.map_err(backend)?;
        Ok(CustomerExport {
            customer_id: customer_id.to_string(),
            conversations,
            erasures,
        })
    }

    /// Conversations nobody has touched since `idle_since`: neither their state nor any message.
    pub(super) async fn list_expired(
        &self,
        idle_since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT c.id FROM conversations c
                 WHERE c.updated_at < $1
                   AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.at >= $1)
                 ORDER BY c.updated_at, c.id",
                &[&idle_since],
            )
            .await
            .map_err(backend)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Erases `ids` in one transaction. The conversations are locked first (in id order, so two
    /// erasures cannot deadlock): a message, handoff or feedback being stored for one of them
    /// at the same moment waits, then fails its foreign key (`NotFound`) instead of surviving.
    pub(super) async fn erase(
        &self,
        ids: &[String],
        subject: &ErasureSubject,
    ) -> Result<ErasureReport, StoreError> {
        let mut ids: Vec<String> = ids.iter().map(|i| pg_text(i).into_owned()).collect();
        ids.sort();
        ids.dedup();
        let mut report = ErasureReport::default();
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(backend)?;
        tx.execute(
            "SELECT id FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&ids],
        )
        .await
        .map_err(backend)?;
        let run = |sql: &'static str| {
            let (tx, ids) = (&tx, &ids);
            async move { tx.execute(sql, &[ids]).await.map_err(backend) }
        };
        report.messages = run("DELETE FROM messages WHERE conversation_id = ANY($1)").await?;
        report.feedback = run("DELETE FROM feedback WHERE conversation_id = ANY($1)").await?;
        report.handoffs = run("DELETE FROM handoffs WHERE conversation_id = ANY($1)").await?;
        report.webhook_deliveries_dropped = run(
            "DELETE FROM outbox WHERE conversation_id = ANY($1) AND delivered_at IS NULL AND NOT dead",
        )
        .await?;
        report.webhook_records_erased =
            run("DELETE FROM outbox WHERE conversation_id = ANY($1)").await?;
        let erased: Vec<String> = tx
            .query(
                "DELETE FROM conversations WHERE id = ANY($1) RETURNING id",
                &[&ids],
            )
            .await
            .map_err(backend)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        report.conversations = erased.len() as u64;
        if erased.is_empty() {
            tx.commit().await.map_err(backend)?;
            return Ok(report);
        }
        let (subject, reason) = subject_text(subject);
        let erasure_id: i64 = tx
            .query_one(
                "INSERT INTO erasures (subject, reason, conversations, erased_at) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&subject, &reason.as_str(), &(erased.len() as i64), &Utc::now()],
            )
            .await
            .map_err(backend)?
            .get(0);
        let tombstone = serde_json::json!({"erased": true, "erasure_id": erasure_id});
        report.audit_rows_tombstoned = tx
            .execute(
                "UPDATE audit_log SET detail = $2 WHERE conversation_id = ANY($1)",
                &[&erased, &tombstone],
            )
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        report.erasure_id = Some(erasure_id);
        // See the module comment: nothing like a WAL checkpoint removes the old row versions.
        report.wal_checkpointed = false;
        Ok(report)
    }
}
