//! The knowledge index version the replicas serve: one row, moved on by the replica that
//! re-indexed (`POST /v1/admin/reindex`). The others hear of it on the event channel and, in
//! case they missed that (a listening connection being reopened), read it now and then; each
//! rebuilds its own index from the knowledge base when the version moves past the one it
//! serves (`crate::reindex`).

use super::{backend, PgStore};
use frontdesk_core::StoreError;

/// The table (created by migration 3): one row, version 0 until the first re-index.
pub(super) const INDEX_VERSION_TABLE: &str = r#"
CREATE TABLE index_version (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    version BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);
INSERT INTO index_version (version, changed_at) VALUES (0, now());
"#;

impl PgStore {
    pub(super) async fn read_index_version(&self) -> Result<i64, StoreError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT version FROM index_version")
            .await
            .map_err(backend)?;
        Ok(c.query_one(&stmt, &[]).await.map_err(backend)?.get(0))
    }

    pub(super) async fn next_index_version(&self) -> Result<i64, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_one(
                "UPDATE index_version SET version = version + 1, changed_at = $1 RETURNING version",
                &[&chrono::Utc::now()],
            )
            .await
            .map_err(backend)?;
        Ok(row.get(0))
    }
}
