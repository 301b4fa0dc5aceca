//! The shop's tables in PostgreSQL and their versioned migrations. Every name starts with
//! `shop_`: the service store keeps its own tables in the same database.

use super::{db, MIGRATE_LOCK};
use frontdesk_core::CommerceError;
use tokio_postgres::Client;

/// Applied in order, each once, recorded in `shop_schema_migrations`. Append a new version;
/// never edit one that has shipped.
const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "shop tables, idempotency table, append-only audit",
    r#"
CREATE TABLE shop_customers (
    user_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    data JSONB NOT NULL
);
CREATE INDEX shop_customers_email ON shop_customers (email);
CREATE TABLE shop_orders (
    order_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    data JSONB NOT NULL
);
CREATE INDEX shop_orders_user ON shop_orders (user_id);
CREATE TABLE shop_products (
    product_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data JSONB NOT NULL
);
-- The idempotency key is `action_key` (conversation, action, arguments), which can be longer
-- than a b-tree entry may be; the primary key is its SHA-256.
CREATE TABLE shop_action_log (
    key_hash BYTEA PRIMARY KEY,
    key TEXT NOT NULL,
    result JSONB NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE shop_audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    action TEXT NOT NULL,
    arguments JSONB NOT NULL,
    result JSONB NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shop_audit_conversation ON shop_audit (conversation_id, id);
CREATE FUNCTION shop_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only';
END
$$;
CREATE TRIGGER shop_audit_no_update_delete BEFORE UPDATE OR DELETE ON shop_audit
    FOR EACH ROW EXECUTE FUNCTION shop_audit_append_only();
CREATE TRIGGER shop_audit_no_truncate BEFORE TRUNCATE ON shop_audit
    FOR EACH STATEMENT EXECUTE FUNCTION shop_audit_append_only();
"#,
)];

/// Brings the schema up to date in one transaction under an advisory lock, so replicas that
/// start together apply each migration once (the second waits, then finds nothing to do).
pub(super) async fn migrate(client: &mut Client) -> Result<(), CommerceError> {
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await
        .map_err(db)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS shop_schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await
    .map_err(db)?;
    let applied: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM shop_schema_migrations",
            &[],
        )
        .await
        .map_err(db)?
        .get(0);
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if applied > latest {
        tracing::warn!(
            applied,
            latest,
            "the shop schema is newer than this build knows; running on it unchanged"
        );
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > applied) {
        tx.batch_execute(sql).await.map_err(|e| {
            CommerceError::Backend(format!("shop migration {version} ({name}): {}", db(e)))
        })?;
        tx.execute(
            "INSERT INTO shop_schema_migrations (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await
        .map_err(db)?;
        tracing::info!(version, name, "applied shop migration");
    }
    tx.commit().await.map_err(db)
}
