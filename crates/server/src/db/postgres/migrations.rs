//! Versioned schema for PostgreSQL. The applied versions are recorded in
//! `frontdesk_schema_migrations` (the shop keeps its own `shop_*` tables in the same database,
//! so the name says whose it is). Never edit an applied entry: append a new one.
//!
//! All pending versions run in one transaction that first takes a transaction-scoped advisory
//! lock (`pg_advisory_xact_lock`): two replicas starting at once queue on the lock, and the
//! second finds everything applied. DDL is transactional in PostgreSQL, so a failed migration
//! leaves the schema as it was. The versions are PostgreSQL's own (version 1 is the schema
//! SQLite reached with its versions 1 and 2).

use deadpool_postgres::Client;

/// The advisory lock key: "frontdes" in ASCII, so it is recognisable in `pg_locks`.
pub const LOCK_KEY: i64 = 0x6672_6f6e_7464_6573;

pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, SCHEMA),
    // A turn's lock, customer message and state read in one call (`turn_writes.rs`).
    (2, super::turn_writes::ACCEPT_FUNCTION),
    // The knowledge index version every replica serves (`index_version.rs`).
    (3, super::index_version::INDEX_VERSION_TABLE),
    // When an agent first claimed a handoff (the widget's expected wait); SQLite's version 3.
    (
        4,
        "ALTER TABLE handoffs ADD COLUMN claimed_at TIMESTAMPTZ;
         UPDATE handoffs SET claimed_at = updated_at WHERE state = 'claimed';
         CREATE INDEX handoffs_created ON handoffs (created_at);",
    ),
];

/// Version 1: the schema SQLite reached with its versions 1 and 2.
const SCHEMA: &str = r#"
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    state JSONB NOT NULL,
    -- Only an identity the engine verified (data-access requests find conversations by it).
    customer_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_status ON conversations (status);
CREATE INDEX conversations_customer ON conversations (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    meta JSONB NOT NULL,
    processed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_unprocessed ON messages (id) WHERE NOT processed;

CREATE TABLE handoffs (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    reason TEXT NOT NULL,
    summary TEXT NOT NULL,
    state TEXT NOT NULL,
    agent TEXT,
    ticket BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX handoffs_state ON handoffs (state, created_at);
CREATE INDEX handoffs_conversation ON handoffs (conversation_id);

CREATE TABLE feedback (
    id BIGSERIAL PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    rating SMALLINT NOT NULL,
    comment TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_conversation ON feedback (conversation_id);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail JSONB NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_conversation ON audit_log (conversation_id);

CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events JSONB NOT NULL
);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    event TEXT NOT NULL,
    payload JSONB NOT NULL,
    -- The conversation the payload is about, so an erasure removes it.
    conversation_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    -- Set by due_outbox: until then the delivery belongs to the worker that took it.
    claimed_until TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    dead BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL AND NOT dead;
CREATE INDEX outbox_conversation ON outbox (conversation_id) WHERE conversation_id IS NOT NULL;

CREATE TABLE erasures (
    id BIGSERIAL PRIMARY KEY,
    -- sha256 of the customer id for a customer's request, 'retention' for the retention job.
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    conversations BIGINT NOT NULL,
    erased_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX erasures_subject ON erasures (subject);
"#;

/// Applies every pending version (see the module comment for the locking).
pub async fn migrate(client: &mut Client) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS frontdesk_schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let applied: Vec<i64> = tx
        .query("SELECT version FROM frontdesk_schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO frontdesk_schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
    }
    tx.commit().await
}
