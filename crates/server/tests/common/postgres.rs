//! Throw-away PostgreSQL databases for the tests that need one: `FRONTDESK_TEST_POSTGRES_URL`
//! names a server (`postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own
//! database (`fd_t_<random hex>`) there and drops it afterwards, so tests run in parallel.
//! Without the URL the PostgreSQL tests are skipped, unless `FRONTDESK_REQUIRE_POSTGRES=1`
//! (CI), which makes them fail instead.

pub const PG_URL_VAR: &str = "FRONTDESK_TEST_POSTGRES_URL";
pub const PG_REQUIRED_VAR: &str = "FRONTDESK_REQUIRE_POSTGRES";

/// A throw-away database on the test server, dropped (best effort) when the test ends, also
/// when it panics.
pub struct PgDatabase {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Our own runtime on our own thread: Drop may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let client = pg_connect(&admin).await.ok()?;
                let forced = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                if client.batch_execute(&forced).await.is_err() {
                    // Before PostgreSQL 13 there is no FORCE; the pool is gone by now anyway.
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                        .await;
                }
                Some(())
            })
        })
        .join();
    }
}

pub async fn pg_connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// `url` with its database name replaced (query string kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

/// Creates `fd_t_<hex>` on the server named by `FRONTDESK_TEST_POSTGRES_URL`.
pub async fn pg_database() -> Option<PgDatabase> {
    let admin_url = match std::env::var(PG_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => u,
        _ => {
            if std::env::var(PG_REQUIRED_VAR).as_deref() == Ok("1") {
                panic!("{PG_REQUIRED_VAR}=1 but {PG_URL_VAR} is not set: the PostgreSQL tests cannot run");
            }
            eprintln!("{PG_URL_VAR} is not set: skipping the PostgreSQL run of this test");
            return None;
        }
    };
    let name = format!("fd_t_{:016x}", rand::random::<u64>());
    let admin = pg_connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {PG_URL_VAR}: {e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    let url = with_database(&admin_url, &name);
    Some(PgDatabase {
        admin_url,
        name,
        url,
    })
}
