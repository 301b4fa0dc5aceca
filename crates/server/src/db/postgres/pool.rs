//! Connecting: the URL is parsed once into a driver config, the pool hands out connections
//! (recycled with a cheap check) and the health check is one trivial query under a time limit.
//! Nothing here puts the URL in an error or a log line: only `redact_url`'s form, which has no
//! password, may be shown.

use super::statement_meter::{metered_pool, StatementCount};
use super::{pg_message, PgStore};
use deadpool_postgres::Pool;
use frontdesk_core::StoreError;
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::config::Host;

/// Connections per replica. Turns are short and the model, not the database, is the
/// bottleneck: 16 covers `server.max_concurrent_turns` (8 by default) plus the agents' routes,
/// the webhook worker and the retention job.
const POOL_SIZE: usize = 16;
/// How long to wait for a connection (from the pool or a new one) before reporting an error.
const WAIT: Duration = Duration::from_secs(10);
/// The health check's limit: a database slower than this is treated as not ready.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

fn parse(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    // The driver's parse errors name the bad option, never its value: safe to show.
    tokio_postgres::Config::from_str(url).map_err(|e| {
        StoreError::Backend(format!(
            "server.database_url is not a valid PostgreSQL URL: {e}"
        ))
    })
}

/// `url` without its password (and without options), for logs: `postgres://user@host:port/db`.
pub fn redact_url(url: &str) -> String {
    let Ok(c) = parse(url) else {
        return "postgres://(unparseable URL)".into();
    };
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            // The driver's default when the URL names no port.
            let port = c
                .get_ports()
                .get(i)
                .or(c.get_ports().first())
                .unwrap_or(&5432);
            format!("{host}:{port}")
        })
        .collect();
    let user = c.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    format!(
        "postgres://{user}{}/{}",
        hosts.join(","),
        c.get_dbname().unwrap_or("")
    )
}

/// The pool for `url`, counting its statements in `count`, and the driver config it was
/// built from.
pub(super) fn build(
    url: &str,
    count: StatementCount,
) -> Result<(Pool, tokio_postgres::Config), StoreError> {
    let mut config = parse(url)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(WAIT);
    }
    if config.get_application_name().is_none() {
        config.application_name("frontdesk");
    }
    // TLS needs a connector crate (tokio-postgres-rustls); until one is added, connections are
    // plain TCP or a Unix socket, and `sslmode=require` fails with the driver's clear error.
    metered_pool(config.clone(), POOL_SIZE, Some(WAIT), count)
        .map(|pool| (pool, config))
        .map_err(|e| StoreError::Backend(format!("cannot build the database pool: {e}")))
}

/// A pool for the embedded shop (`PgCommerce::from_pool`) on the same database, of the
/// shop's own size, whose statements count in `frontdesk_db_statements_total` too.
pub fn shop_pool(url: &str) -> Result<Pool, StoreError> {
    build(url, StatementCount::default()).map(|(pool, _)| pool)
}

impl PgStore {
    /// `SELECT 1` on a pooled connection within `PING_TIMEOUT`. The pool's fast recycling
    /// does not notice a connection the server dropped; this query does (and the broken
    /// connection is then discarded by the pool).
    pub(super) async fn health(&self) -> Result<(), StoreError> {
        let check = async {
            let client = self.client().await?;
            client.simple_query("SELECT 1").await.map_err(|e| {
                StoreError::Backend(format!("database did not answer: {}", pg_message(&e)))
            })?;
            Ok::<(), StoreError>(())
        };
        match tokio::time::timeout(PING_TIMEOUT, check).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Backend(format!(
                "database did not answer within {} s",
                PING_TIMEOUT.as_secs()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_keep_where_but_never_the_password() {
        assert_eq!(
            redact_url("postgres://fd:s3cret-pw@db.internal:6543/frontdesk?sslmode=disable"),
            "postgres://fd@db.internal:6543/frontdesk"
        );
        assert_eq!(
            redact_url("postgresql://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        let bad = redact_url("postgres://fd:s3cret-pw@host:notaport/db");
        assert!(!bad.contains("s3cret-pw"), "{bad}");
        let err = parse("postgres://fd:s3cret-pw@host:notaport/db")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret-pw"), "{err}");
    }
}
