//! The embedded `Store`: one SQLite file (`<data_dir>/frontdesk.db`) in WAL mode. One connection
//! behind a mutex, used from `spawn_blocking`, because SQLite serialises writers anyway and a
//! single connection keeps every write ordered and durable before the HTTP reply goes out.

mod daily;
mod migrations;
pub mod postgres;
mod privacy;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::{
    Analytics, CustomerExport, DailyAnalytics, ErasureReport, ErasureSubject, HandoffRecord,
    HandoffState, OutboxItem, StoredMessage, UnansweredQuestion, WebhookConfig,
};
use frontdesk_core::{ConversationState, ConversationStatus, EscalationReason, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

pub const DB_FILE: &str = "frontdesk.db";

pub(crate) fn now_text() -> String {
    time_text(Utc::now())
}

/// Fixed-width UTC timestamps so that text order is time order in SQL.
fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Backend(format!("bad timestamp {s:?} in database: {e}")))
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn speaker_str(s: Speaker) -> &'static str {
    match s {
        Speaker::Customer => "customer",
        Speaker::Bot => "bot",
        Speaker::Agent => "agent",
        Speaker::System => "system",
    }
}

fn parse_speaker(s: &str) -> Result<Speaker, StoreError> {
    Ok(match s {
        "customer" => Speaker::Customer,
        "bot" => Speaker::Bot,
        "agent" => Speaker::Agent,
        "system" => Speaker::System,
        other => {
            return Err(StoreError::Backend(format!(
                "unknown speaker {other:?} in database"
            )))
        }
    })
}

fn handoff_state_str(s: HandoffState) -> &'static str {
    match s {
        HandoffState::Waiting => "waiting",
        HandoffState::Claimed => "claimed",
        HandoffState::Resolved => "resolved",
    }
}

fn parse_handoff_state(s: &str) -> Result<HandoffState, StoreError> {
    Ok(match s {
        "waiting" => HandoffState::Waiting,
        "claimed" => HandoffState::Claimed,
        "resolved" => HandoffState::Resolved,
        other => {
            return Err(StoreError::Backend(format!(
                "unknown handoff state {other:?} in database"
            )))
        }
    })
}

#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/frontdesk.db` and applies pending migrations.
    pub fn open_in(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        Self::open(&data_dir.join(DB_FILE))
    }

    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path).map_err(|e| {
            StoreError::Backend(format!("cannot open database {}: {e}", path.display()))
        })?;
        // WAL + NORMAL survives a killed process (not a power cut) without an fsync per commit.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        // Deleted rows are overwritten with zeros, so an erased customer's text does not
        // linger in free pages (the erasure then checkpoints the WAL for the same reason).
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        migrations::migrate(&mut conn)
            .map_err(|e| StoreError::Backend(format!("database migration failed: {e}")))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                StoreError::Backend("database mutex poisoned by an earlier panic".into())
            })?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))?
    }
}

fn read_handoff(row: &rusqlite::Row<'_>) -> rusqlite::Result<HandoffRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

type HandoffRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    String,
    Option<String>,
);

fn handoff_from_row(r: HandoffRow) -> Result<HandoffRecord, StoreError> {
    let (
        id,
        conversation_id,
        reason,
        summary,
        state,
        agent,
        ticket,
        created_at,
        updated_at,
        claimed_at,
    ) = r;
    Ok(HandoffRecord {
        reason: EscalationReason::parse(&reason).ok_or_else(|| {
            StoreError::Backend(format!("unknown escalation reason {reason:?} in database"))
        })?,
        state: parse_handoff_state(&state)?,
        created_at: parse_time(&created_at)?,
        updated_at: parse_time(&updated_at)?,
        claimed_at: claimed_at.as_deref().map(parse_time).transpose()?,
        id,
        conversation_id,
        summary,
        agent,
        ticket,
    })
}

const HANDOFF_COLS: &str =
    "id, conversation_id, reason, summary, state, agent, ticket, created_at, updated_at, claimed_at";

fn load_handoff(conn: &Connection, id: &str) -> Result<HandoffRecord, StoreError> {
    let row = conn
        .query_row(
            &format!("SELECT {HANDOFF_COLS} FROM handoffs WHERE id = ?1"),
            [id],
            read_handoff,
        )
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound {
            what: "handoff",
            id: id.to_string(),
        })?;
    handoff_from_row(row)
}

fn message_from_row(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(i64, String, String, String, String, String)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn to_message(
    r: (i64, String, String, String, String, String),
) -> Result<StoredMessage, StoreError> {
    let (id, conversation_id, speaker, text, at, meta) = r;
    Ok(StoredMessage {
        id,
        conversation_id,
        speaker: parse_speaker(&speaker)?,
        text,
        at: parse_time(&at)?,
        meta: serde_json::from_str(&meta).map_err(backend)?,
    })
}

/// The indexed customer column: only an identity the engine verified, never a claimed one.
fn verified_customer_id(state: &ConversationState) -> Option<String> {
    state.customer.as_ref().map(|c| c.customer_id.clone())
}

fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_conversation(
        &self,
        state: &ConversationState,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(state).map_err(backend)?;
        let (id, status, channel, hash) = (
            state.id.clone(),
            state.status.as_str(),
            serde_json::to_value(state.channel).map_err(backend)?,
            token_hash.to_string(),
        );
        let channel = channel.as_str().unwrap_or("chat").to_string();
        let customer_id = verified_customer_id(state);
        self.with(move |c| {
            let now = now_text();
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO conversations (id, token_hash, status, channel, state, created_at, updated_at, customer_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                    params![id, hash, status, channel, json, now, customer_id],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::Conflict(format!("conversation {id} already exists")));
            }
            Ok(())
        })
        .await
    }

    async fn conversation(&self, id: &str) -> Result<(ConversationState, String), StoreError> {
        let id = id.to_string();
        self.with(move |c| {
            let (state, hash): (String, String) = c
                .query_row(
                    "SELECT state, token_hash FROM conversations WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?
                .ok_or_else(|| StoreError::NotFound {
                    what: "conversation",
                    id: id.clone(),
                })?;
            let state: ConversationState = serde_json::from_str(&state).map_err(|e| {
                StoreError::Backend(format!("conversation {id} state is not valid JSON: {e}"))
            })?;
            Ok((state, hash))
        })
        .await
    }

    async fn save_state(&self, state: &ConversationState) -> Result<(), StoreError> {
        let json = serde_json::to_string(state).map_err(backend)?;
        let (id, status) = (state.id.clone(), state.status.as_str());
        let customer_id = verified_customer_id(state);
        self.with(move |c| {
            let n = c
                .execute("UPDATE conversations SET state = ?2, status = ?3, updated_at = ?4, customer_id = ?5 WHERE id = ?1", params![id, json, status, now_text(), customer_id])
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "conversation", id });
            }
            Ok(())
        })
        .await
    }

    async fn set_status(&self, id: &str, status: ConversationStatus) -> Result<(), StoreError> {
        let id = id.to_string();
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE conversations SET status = ?2, state = json_set(state, '$.status', ?2), updated_at = ?3 WHERE id = ?1",
                    params![id, status.as_str(), now_text()],
                )
                .map_err(backend)?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "conversation", id });
            }
            Ok(())
        })
        .await
    }

    async fn append_message(
        &self,
        conversation_id: &str,
        speaker: Speaker,
        text: &str,
        meta: serde_json::Value,
    ) -> Result<i64, StoreError> {
        let (cid, text, meta) = (
            conversation_id.to_string(),
            text.to_string(),
            meta.to_string(),
        );
        // Only customer messages wait for an answer; the rest are born processed.
        let processed = speaker != Speaker::Customer;
        self.with(move |c| {
            c.execute(
                "INSERT INTO messages (conversation_id, speaker, text, at, meta, processed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![cid, speaker_str(speaker), text, now_text(), meta, processed],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    StoreError::NotFound { what: "conversation", id: cid.clone() }
                }
                e => backend(e),
            })?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    async fn messages(&self, conversation_id: &str) -> Result<Vec<StoredMessage>, StoreError> {
        let cid = conversation_id.to_string();
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT id, conversation_id, speaker, text, at, meta FROM messages WHERE conversation_id = ?1 ORDER BY id")
                .map_err(backend)?;
            let rows = stmt.query_map([&cid], message_from_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(to_message)).collect()
        })
        .await
    }

    async fn open_conversations(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT id FROM conversations WHERE status != 'closed' ORDER BY created_at",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }

    async fn create_handoff(&self, r: &HandoffRecord) -> Result<(), StoreError> {
        let r = r.clone();
        self.with(move |c| {
            c.execute(
                &format!("INSERT INTO handoffs ({HANDOFF_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                params![
                    r.id,
                    r.conversation_id,
                    r.reason.as_str(),
                    r.summary,
                    handoff_state_str(r.state),
                    r.agent,
                    r.ticket,
                    time_text(r.created_at),
                    time_text(r.updated_at),
                    r.claimed_at.map(time_text)
                ],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn handoff(&self, id: &str) -> Result<HandoffRecord, StoreError> {
        let id = id.to_string();
        self.with(move |c| load_handoff(c, &id)).await
    }

    async fn handoffs(
        &self,
        state: Option<HandoffState>,
    ) -> Result<Vec<HandoffRecord>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {HANDOFF_COLS} FROM handoffs WHERE (?1 IS NULL OR state = ?1) ORDER BY created_at, id"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([state.map(handoff_state_str)], read_handoff).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(handoff_from_row)).collect()
        })
        .await
    }

    async fn handoffs_since(&self, since: DateTime<Utc>) -> Result<Vec<HandoffRecord>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {HANDOFF_COLS} FROM handoffs WHERE created_at >= ?1 ORDER BY created_at, id"
                ))
                .map_err(backend)?;
            let rows = stmt.query_map([time_text(since)], read_handoff).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(handoff_from_row)).collect()
        })
        .await
    }

    /// Enforces the queue's transitions atomically so two agents cannot both claim one handoff:
    /// waiting → claimed, claimed → claimed (same agent only), waiting|claimed → resolved.
    async fn update_handoff(
        &self,
        id: &str,
        state: HandoffState,
        agent: Option<&str>,
    ) -> Result<HandoffRecord, StoreError> {
        let (id, agent) = (id.to_string(), agent.map(str::to_string));
        self.with(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let current = load_handoff(&tx, &id)?;
            match (current.state, state) {
                (HandoffState::Resolved, _) => {
                    return Err(StoreError::Conflict(format!(
                        "handoff {id} is already resolved"
                    )))
                }
                (HandoffState::Claimed, HandoffState::Claimed) if current.agent != agent => {
                    return Err(StoreError::Conflict(format!(
                        "handoff {id} is already claimed by {}",
                        current.agent.as_deref().unwrap_or("another agent")
                    )))
                }
                (_, HandoffState::Waiting) => {
                    return Err(StoreError::Conflict(format!(
                        "handoff {id} cannot go back to waiting"
                    )))
                }
                _ => {}
            }
            let agent = agent.or(current.agent);
            tx.execute(
                "UPDATE handoffs SET state = ?2, agent = ?3, updated_at = ?4,
                 claimed_at = CASE WHEN ?2 = 'claimed' AND claimed_at IS NULL THEN ?4 ELSE claimed_at END
                 WHERE id = ?1",
                params![id, handoff_state_str(state), agent, now_text()],
            )
            .map_err(backend)?;
            let updated = load_handoff(&tx, &id)?;
            tx.commit().map_err(backend)?;
            Ok(updated)
        })
        .await
    }

    async fn add_feedback(
        &self,
        conversation_id: &str,
        rating: u8,
        comment: &str,
    ) -> Result<(), StoreError> {
        let (cid, comment) = (conversation_id.to_string(), comment.to_string());
        self.with(move |c| {
            c.execute(
                "INSERT INTO feedback (conversation_id, rating, comment, at) VALUES (?1, ?2, ?3, ?4)",
                params![cid, rating, comment, now_text()],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn audit(
        &self,
        conversation_id: &str,
        action: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let (cid, action, detail) = (
            conversation_id.to_string(),
            action.to_string(),
            detail.to_string(),
        );
        self.with(move |c| {
            c.execute("INSERT INTO audit_log (conversation_id, action, detail, at) VALUES (?1, ?2, ?3, ?4)", params![cid, action, detail, now_text()])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn mark_processed(&self, message_id: i64) -> Result<(), StoreError> {
        self.with(move |c| {
            c.execute(
                "UPDATE messages SET processed = 1 WHERE id = ?1",
                [message_id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn is_unprocessed(&self, message_id: i64) -> Result<bool, StoreError> {
        self.with(move |c| {
            let pending: Option<i64> = c
                .query_row(
                    "SELECT 1 FROM messages WHERE id = ?1 AND processed = 0",
                    [message_id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            Ok(pending.is_some())
        })
        .await
    }

    async fn withdraw_message(&self, message_id: i64) -> Result<(), StoreError> {
        self.with(move |c| {
            c.execute(
                "DELETE FROM messages WHERE id = ?1 AND processed = 0",
                [message_id],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn unprocessed_messages(&self) -> Result<Vec<StoredMessage>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT m.id, m.conversation_id, m.speaker, m.text, m.at, m.meta FROM messages m
                     JOIN conversations c ON c.id = m.conversation_id
                     WHERE m.processed = 0 AND c.status != 'closed' ORDER BY m.id",
                )
                .map_err(backend)?;
            let rows = stmt.query_map([], message_from_row).map_err(backend)?;
            rows.map(|r| r.map_err(backend).and_then(to_message))
                .collect()
        })
        .await
    }

    async fn webhooks(&self) -> Result<Vec<WebhookConfig>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare("SELECT url, secret, events FROM webhooks ORDER BY id")
                .map_err(backend)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(backend)?;
            rows.map(|r| {
                let (url, secret, events) = r.map_err(backend)?;
                Ok(WebhookConfig {
                    url,
                    secret,
                    events: serde_json::from_str(&events).map_err(backend)?,
                })
            })
            .collect()
        })
        .await
    }

    async fn set_webhooks(&self, hooks: &[WebhookConfig]) -> Result<(), StoreError> {
        let hooks = hooks.to_vec();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend)?;
            tx.execute("DELETE FROM webhooks", []).map_err(backend)?;
            for h in &hooks {
                let events = serde_json::to_string(&h.events).map_err(backend)?;
                tx.execute(
                    "INSERT INTO webhooks (url, secret, events) VALUES (?1, ?2, ?3)",
                    params![h.url, h.secret, events],
                )
                .map_err(backend)?;
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn enqueue_event(
        &self,
        event: &str,
        payload: &serde_json::Value,
    ) -> Result<usize, StoreError> {
        let hooks = self.webhooks().await?;
        let conversation_id = privacy::payload_conversation(payload);
        let (event, payload) = (event.to_string(), payload.to_string());
        self.with(move |c| {
            let tx = c.transaction().map_err(backend)?;
            let now = now_text();
            let mut n = 0;
            for h in hooks.iter().filter(|h| h.events.iter().any(|e| e == &event || e == "*")) {
                tx.execute(
                    "INSERT INTO outbox (url, secret, event, payload, next_attempt_at, created_at, conversation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                    params![h.url, h.secret, event, payload, now, conversation_id],
                )
                .map_err(backend)?;
                n += 1;
            }
            tx.commit().map_err(backend)?;
            Ok(n)
        })
        .await
    }

    async fn due_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT id, url, secret, event, payload, attempts FROM outbox
                     WHERE delivered_at IS NULL AND dead = 0 AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![time_text(now), limit as i64], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, u32>(5)?))
                })
                .map_err(backend)?;
            rows.map(|r| {
                let (id, url, secret, event, payload, attempts) = r.map_err(backend)?;
                Ok(OutboxItem { id, url, secret, event, payload: serde_json::from_str(&payload).map_err(backend)?, attempts })
            })
            .collect()
        })
        .await
    }

    async fn outbox_delivered(&self, id: i64) -> Result<(), StoreError> {
        self.with(move |c| {
            c.execute(
                "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1 WHERE id = ?1",
                params![id, now_text()],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn outbox_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let error = error.to_string();
        self.with(move |c| {
            let (next, dead) = match next_attempt_at {
                Some(t) => (time_text(t), false),
                None => (now_text(), true),
            };
            c.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, dead = ?4 WHERE id = ?1",
                params![id, error, next, dead],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn analytics(&self) -> Result<Analytics, StoreError> {
        self.with(|c| {
            let count = |sql: &str| -> Result<u64, StoreError> { c.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(backend) };
            let conversations = count("SELECT COUNT(*) FROM conversations")?;
            let active = count("SELECT COUNT(DISTINCT conversation_id) FROM messages WHERE speaker = 'customer'")?;
            let escalated = count("SELECT COUNT(DISTINCT conversation_id) FROM handoffs")?;
            let mut by_reason = BTreeMap::new();
            let mut stmt = c.prepare("SELECT reason, COUNT(*) FROM handoffs GROUP BY reason").map_err(backend)?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(backend)? {
                let (reason, n) = row.map_err(backend)?;
                by_reason.insert(reason, n as u64);
            }
            let mut stmt = c
                .prepare(
                    "SELECT json_extract(meta, '$.question') AS q, COUNT(*) AS n FROM messages
                     WHERE speaker = 'bot' AND json_extract(meta, '$.unanswered') = 1 AND q IS NOT NULL
                     GROUP BY lower(q) ORDER BY n DESC, q LIMIT 50",
                )
                .map_err(backend)?;
            let unanswered = stmt
                .query_map([], |r| Ok(UnansweredQuestion { text: r.get(0)?, count: r.get::<_, i64>(1)? as u64 }))
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            let (csat_average, csat_count): (Option<f64>, i64) =
                c.query_row("SELECT AVG(rating), COUNT(*) FROM feedback", [], |r| Ok((r.get(0)?, r.get(1)?))).map_err(backend)?;
            let mut stmt = c
                .prepare("SELECT json_extract(meta, '$.latency_ms') FROM messages WHERE speaker = 'bot' AND json_extract(meta, '$.latency_ms') IS NOT NULL")
                .map_err(backend)?;
            let mut latencies = stmt
                .query_map([], |r| r.get::<_, i64>(0))
                .map_err(backend)?
                .map(|r| r.map(|v| v.max(0) as u64).map_err(backend))
                .collect::<Result<Vec<_>, _>>()?;
            latencies.sort_unstable();
            Ok(Analytics {
                conversations,
                active_conversations: active,
                escalated_conversations: escalated,
                containment_rate: if active == 0 { 0.0 } else { active.saturating_sub(escalated) as f64 / active as f64 },
                escalations_by_reason: by_reason,
                unanswered_questions: unanswered,
                csat_average,
                csat_count: csat_count as u64,
                bot_turns: latencies.len() as u64,
                latency_p50_ms: percentile(&latencies, 0.5),
                latency_p95_ms: percentile(&latencies, 0.95),
            })
        })
        .await
    }

    async fn daily_analytics(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<DailyAnalytics>, StoreError> {
        self.with(move |c| {
            let from = time_text(since);
            let per_day = |sql: &str| -> Result<Vec<(String, u64)>, StoreError> {
                let mut stmt = c.prepare(sql).map_err(backend)?;
                let rows = stmt
                    .query_map([&from], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)))
                    .map_err(backend)?;
                rows.map(|r| r.map_err(backend)).collect()
            };
            let active = per_day(
                "SELECT substr(at, 1, 10) AS d, COUNT(DISTINCT conversation_id) FROM messages
                 WHERE speaker = 'customer' AND at >= ?1 GROUP BY d",
            )?;
            let contained = per_day(
                "SELECT d, COUNT(*) FROM (SELECT DISTINCT substr(at, 1, 10) AS d, conversation_id AS c
                   FROM messages WHERE speaker = 'customer' AND at >= ?1) AS x
                 WHERE NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.conversation_id = x.c AND substr(h.created_at, 1, 10) = x.d)
                 GROUP BY d",
            )?;
            let escalated = per_day(
                "SELECT substr(created_at, 1, 10) AS d, COUNT(DISTINCT conversation_id) FROM handoffs
                 WHERE created_at >= ?1 GROUP BY d",
            )?;
            let mut stmt = c
                .prepare("SELECT substr(created_at, 1, 10) AS d, reason, COUNT(*) FROM handoffs WHERE created_at >= ?1 GROUP BY d, reason")
                .map_err(backend)?;
            let by_reason = stmt
                .query_map([&from], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?.max(0) as u64)))
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            let mut stmt = c
                .prepare("SELECT substr(at, 1, 10) AS d, AVG(rating), COUNT(*) FROM feedback WHERE at >= ?1 GROUP BY d")
                .map_err(backend)?;
            let csat = stmt
                .query_map([&from], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?, r.get::<_, i64>(2)?.max(0) as u64)))
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            let latencies = per_day(
                "SELECT substr(at, 1, 10), json_extract(meta, '$.latency_ms') FROM messages
                 WHERE speaker = 'bot' AND at >= ?1 AND json_extract(meta, '$.latency_ms') IS NOT NULL",
            )?;
            Ok(daily::daily_series(
                since,
                Utc::now(),
                daily::DailyFacts { active, contained, escalated, by_reason, csat, latencies },
            ))
        })
        .await
    }

    async fn customer_conversations(&self, customer_id: &str) -> Result<Vec<String>, StoreError> {
        let customer_id = customer_id.to_string();
        self.with(move |c| privacy::customer_conversations(c, &customer_id))
            .await
    }

    async fn customer_export(&self, customer_id: &str) -> Result<CustomerExport, StoreError> {
        let customer_id = customer_id.to_string();
        self.with(move |c| privacy::customer_export(c, &customer_id))
            .await
    }

    async fn expired_conversations(
        &self,
        idle_since: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.with(move |c| privacy::expired_conversations(c, idle_since))
            .await
    }

    async fn erase_conversations(
        &self,
        ids: &[String],
        subject: &ErasureSubject,
    ) -> Result<ErasureReport, StoreError> {
        let (ids, subject) = (ids.to_vec(), subject.clone());
        self.with(move |c| privacy::erase_conversations(c, &ids, &subject))
            .await
    }

    /// A read from the database file: fails on an I/O or corruption error, or when an earlier
    /// panic poisoned the connection's mutex.
    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| {
            c.query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|_| ())
            .map_err(backend)
        })
        .await
    }
}
