//! Versioned schema. Each entry runs once, in order, inside a transaction; the applied
//! versions are recorded in `schema_migrations`. Never edit an applied entry: append a new one.

use rusqlite::Connection;

pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conversations_status ON conversations(status);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    meta TEXT NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE INDEX messages_unprocessed ON messages(processed) WHERE processed = 0;
CREATE TABLE handoffs (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL,
    agent TEXT,
    ticket INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX handoffs_state ON handoffs(state, created_at);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    rating INTEGER NOT NULL,
    comment TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    dead INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE delivered_at IS NULL AND dead = 0;
"#,
    ),
    // Data rights: find a verified customer's conversations by an indexed column, find every
    // row of a conversation without a scan, and record erasures (tombstones, never content).
    (
        2,
        r#"
ALTER TABLE conversations ADD COLUMN customer_id TEXT;
UPDATE conversations SET customer_id = json_extract(state, '$.customer.customer_id');
CREATE INDEX conversations_customer ON conversations(customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX conversations_updated ON conversations(updated_at);
CREATE INDEX handoffs_conversation ON handoffs(conversation_id);
CREATE INDEX feedback_conversation ON feedback(conversation_id);
CREATE INDEX audit_log_conversation ON audit_log(conversation_id);
ALTER TABLE outbox ADD COLUMN conversation_id TEXT;
UPDATE outbox SET conversation_id = COALESCE(json_extract(payload, '$.conversation_id'), json_extract(payload, '$.handoff.conversation_id'));
CREATE INDEX outbox_conversation ON outbox(conversation_id) WHERE conversation_id IS NOT NULL;
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- sha256 of the customer id for a customer's request, 'retention' for the retention job:
    -- the tombstone can be found again by id without storing the id.
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    conversations INTEGER NOT NULL,
    erased_at TEXT NOT NULL
);
CREATE INDEX erasures_subject ON erasures(subject);
"#,
    ),
    // When an agent first claimed a handoff: the customer's wait, whose median over the last
    // day the widget shows as the expected wait. Claims before this version count from their
    // last change.
    (
        3,
        r#"
ALTER TABLE handoffs ADD COLUMN claimed_at TEXT;
UPDATE handoffs SET claimed_at = updated_at WHERE state = 'claimed';
CREATE INDEX handoffs_created ON handoffs(created_at);
"#,
    ),
];

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")?;
    for (version, sql) in MIGRATIONS {
        let done: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if done {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, super::now_text()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_2_indexes_the_verified_customer_of_existing_conversations() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            .unwrap();
        conn.execute_batch(MIGRATIONS[0].1).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (1, 'then')", [])
            .unwrap();
        for (id, customer) in [
            ("c1", r#"{"customer_id":"ana_1","display_name":"Ana"}"#),
            ("c2", "null"),
        ] {
            conn.execute(
                "INSERT INTO conversations (id, token_hash, status, channel, state, created_at, updated_at) VALUES (?1, 'h', 'bot', 'chat', ?2, 't', 't')",
                rusqlite::params![id, format!(r#"{{"id":"{id}","customer":{customer}}}"#)],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let got: Vec<(String, Option<String>)> = conn
            .prepare("SELECT id, customer_id FROM conversations ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            got,
            vec![("c1".into(), Some("ana_1".into())), ("c2".into(), None)]
        );
        // Applied once: a second run changes nothing.
        migrate(&mut conn).unwrap();
    }
}
