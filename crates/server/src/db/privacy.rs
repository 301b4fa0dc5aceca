//! Customer data rights on the embedded store: find a verified customer's conversations by the
//! indexed `customer_id` column, export everything stored about them, and erase conversations
//! (on request or when their retention period ran out) so that no erased text remains in the
//! database files.
//!
//! What an erasure keeps: an `erasures` row (the tombstone: when, why, how many, and for a
//! request the sha256 of the customer id, never the id) and each audit row's action and time
//! with its detail replaced by a pointer to that tombstone. The shop's own database (orders,
//! customers, its action audit) is a business record the shop must keep and is not touched.

use super::{
    backend, handoff_from_row, message_from_row, now_text, parse_time, read_handoff, to_message,
    HANDOFF_COLS,
};
use chrono::{DateTime, Utc};
use frontdesk_core::store::{
    AuditRecord, ConversationExport, CustomerExport, ErasureReason, ErasureRecord, ErasureReport,
    ErasureSubject, FeedbackRecord,
};
use frontdesk_core::{Channel, ConversationState, ConversationStatus, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The conversation a webhook payload is about (`conversation.resolved` names it at the top,
/// `handoff.created` inside the handoff), so its outbox row can be erased with it.
pub(super) fn payload_conversation(payload: &Value) -> Option<String> {
    payload
        .get("conversation_id")
        .or_else(|| payload.get("handoff")?.get("conversation_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// How a customer's erasures are found again without keeping the customer id (both stores use
/// this key, so an export reads the same from either).
pub(super) fn subject_key(customer_id: &str) -> String {
    hex::encode(Sha256::digest(format!("customer:{customer_id}").as_bytes()))
}

pub(super) fn subject_text(subject: &ErasureSubject) -> (String, ErasureReason) {
    match subject {
        ErasureSubject::Customer(id) => (subject_key(id), ErasureReason::Request),
        ErasureSubject::Retention => ("retention".into(), ErasureReason::Retention),
    }
}

pub(super) fn parse_reason(s: &str) -> Result<ErasureReason, StoreError> {
    match s {
        "request" => Ok(ErasureReason::Request),
        "retention" => Ok(ErasureReason::Retention),
        other => Err(StoreError::Backend(format!(
            "unknown erasure reason {other:?} in database"
        ))),
    }
}

pub(super) fn customer_conversations(
    c: &Connection,
    customer_id: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id FROM conversations WHERE customer_id = ?1 ORDER BY created_at, id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([customer_id], |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

pub(super) fn customer_export(
    c: &Connection,
    customer_id: &str,
) -> Result<CustomerExport, StoreError> {
    let conversations = customer_conversations(c, customer_id)?
        .iter()
        .filter_map(|id| conversation_export(c, id).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = c
        .prepare_cached(
            "SELECT id, reason, conversations, erased_at FROM erasures WHERE subject = ?1 ORDER BY id",
        )
        .map_err(backend)?;
    let erasures = stmt
        .query_map([subject_key(customer_id)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(backend)?
        .map(|r| {
            let (id, reason, n, at) = r.map_err(backend)?;
            Ok(ErasureRecord {
                id,
                reason: parse_reason(&reason)?,
                conversations: n.max(0) as u64,
                erased_at: parse_time(&at)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(CustomerExport {
        customer_id: customer_id.to_string(),
        conversations,
        erasures,
    })
}

/// One conversation and every row that belongs to it; `None` if it is gone (erased meanwhile).
fn conversation_export(c: &Connection, id: &str) -> Result<Option<ConversationExport>, StoreError> {
    let Some((status, channel, state, created_at, updated_at)) = c
        .query_row(
            "SELECT status, channel, state, created_at, updated_at FROM conversations WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            },
        )
        .optional()
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let state: ConversationState = serde_json::from_str(&state).map_err(|e| {
        StoreError::Backend(format!("conversation {id} state is not valid JSON: {e}"))
    })?;
    let status = ConversationStatus::parse(&status).ok_or_else(|| {
        StoreError::Backend(format!(
            "unknown conversation status {status:?} in database"
        ))
    })?;
    let channel: Channel = serde_json::from_value(Value::String(channel))
        .map_err(|e| StoreError::Backend(format!("conversation {id} channel: {e}")))?;

    let mut stmt = c
        .prepare_cached("SELECT id, conversation_id, speaker, text, at, meta FROM messages WHERE conversation_id = ?1 ORDER BY id")
        .map_err(backend)?;
    let messages = stmt
        .query_map([id], message_from_row)
        .map_err(backend)?
        .map(|r| r.map_err(backend).and_then(to_message))
        .collect::<Result<Vec<_>, _>>()?;

    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {HANDOFF_COLS} FROM handoffs WHERE conversation_id = ?1 ORDER BY created_at, id"
        ))
        .map_err(backend)?;
    let handoffs = stmt
        .query_map([id], read_handoff)
        .map_err(backend)?
        .map(|r| r.map_err(backend).and_then(handoff_from_row))
        .collect::<Result<Vec<_>, _>>()?;

    let mut stmt = c
        .prepare_cached(
            "SELECT rating, comment, at FROM feedback WHERE conversation_id = ?1 ORDER BY id",
        )
        .map_err(backend)?;
    let feedback = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(backend)?
        .map(|r| {
            let (rating, comment, at) = r.map_err(backend)?;
            Ok(FeedbackRecord {
                rating: u8::try_from(rating).unwrap_or(0),
                comment,
                at: parse_time(&at)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    let mut stmt = c
        .prepare_cached(
            "SELECT action, detail, at FROM audit_log WHERE conversation_id = ?1 ORDER BY id",
        )
        .map_err(backend)?;
    let audit = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(backend)?
        .map(|r| {
            let (action, detail, at) = r.map_err(backend)?;
            Ok(AuditRecord {
                action,
                detail: serde_json::from_str(&detail).map_err(backend)?,
                at: parse_time(&at)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    Ok(Some(ConversationExport {
        id: id.to_string(),
        status,
        channel,
        customer: state.customer,
        created_at: parse_time(&created_at)?,
        updated_at: parse_time(&updated_at)?,
        messages,
        handoffs,
        feedback,
        audit,
    }))
}

/// Conversations nobody has touched since `idle_since`: neither their state nor any message.
pub(super) fn expired_conversations(
    c: &Connection,
    idle_since: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let cutoff = super::time_text(idle_since);
    let mut stmt = c
        .prepare_cached(
            "SELECT c.id FROM conversations c
             WHERE c.updated_at < ?1
               AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.at >= ?1)
             ORDER BY c.updated_at, c.id",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([cutoff], |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

fn count(n: usize) -> u64 {
    n as u64
}

pub(super) fn erase_conversations(
    c: &mut Connection,
    ids: &[String],
    subject: &ErasureSubject,
) -> Result<ErasureReport, StoreError> {
    let mut report = ErasureReport::default();
    let tx = c.transaction().map_err(backend)?;
    let mut erased = Vec::new();
    for id in ids {
        if erased.contains(id) {
            continue;
        }
        let run = |sql: &str| tx.execute(sql, [id]).map(count).map_err(backend);
        report.messages += run("DELETE FROM messages WHERE conversation_id = ?1")?;
        report.feedback += run("DELETE FROM feedback WHERE conversation_id = ?1")?;
        report.handoffs += run("DELETE FROM handoffs WHERE conversation_id = ?1")?;
        report.webhook_deliveries_dropped += run(
            "DELETE FROM outbox WHERE conversation_id = ?1 AND delivered_at IS NULL AND dead = 0",
        )?;
        report.webhook_records_erased += run("DELETE FROM outbox WHERE conversation_id = ?1")?;
        if run("DELETE FROM conversations WHERE id = ?1")? > 0 {
            erased.push(id.clone());
        }
    }
    report.conversations = erased.len() as u64;
    if erased.is_empty() {
        tx.commit().map_err(backend)?;
        return Ok(report);
    }
    let (subject, reason) = subject_text(subject);
    tx.execute(
        "INSERT INTO erasures (subject, reason, conversations, erased_at) VALUES (?1, ?2, ?3, ?4)",
        params![subject, reason.as_str(), erased.len() as i64, now_text()],
    )
    .map_err(backend)?;
    let erasure_id = tx.last_insert_rowid();
    let tombstone = serde_json::json!({"erased": true, "erasure_id": erasure_id}).to_string();
    for id in &erased {
        report.audit_rows_tombstoned += tx
            .execute(
                "UPDATE audit_log SET detail = ?2 WHERE conversation_id = ?1",
                params![id, tombstone],
            )
            .map(count)
            .map_err(backend)?;
    }
    tx.commit().map_err(backend)?;
    report.erasure_id = Some(erasure_id);
    report.wal_checkpointed = checkpoint(c)?;
    Ok(report)
}

/// Copies the WAL into the database file and truncates it: the WAL still holds the pages as
/// they were before the erasure (secure_delete zeroes the database's copy, not the log's).
/// Returns false when a reader (an online backup, say) kept it from completing.
pub(super) fn checkpoint(c: &Connection) -> Result<bool, StoreError> {
    let (busy, _log, _done): (i64, i64, i64) = c
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(backend)?;
    Ok(busy == 0)
}
