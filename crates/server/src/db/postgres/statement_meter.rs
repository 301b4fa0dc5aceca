//! Counts the statements this process sends to PostgreSQL, for `frontdesk_db_statements_total`
//! in `/metrics` and for the tests that hold the statements of a turn to a budget.
//!
//! The count is taken on the wire, not at the call sites: every pooled connection (the service
//! store's and the embedded shop's) runs over a socket that reads the frontend messages going
//! out and counts each `Execute` (one statement of the extended protocol, which every query
//! of `tokio-postgres` with parameters uses) and each simple `Query` (one message, possibly
//! holding several statements: only the migrations send those). A `Parse` of a statement
//! being prepared is not counted; a statement run is, however it was prepared. So no query
//! can be missed by a call site that forgot to count it.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures::future::BoxFuture;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::Host;
use tokio_postgres::NoTls;

/// Statements sent by every metered pool of this process.
static PROCESS_STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// Statements this process has sent to PostgreSQL so far (all its metered pools).
pub fn process_statements() -> u64 {
    PROCESS_STATEMENTS.load(Ordering::Relaxed)
}

/// The statements sent through one pool's connections (the process total counts them too).
#[derive(Clone, Default, Debug)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
        PROCESS_STATEMENTS.fetch_add(n, Ordering::Relaxed);
    }
}

/// A pool of `size` connections to `config` whose statements are counted in `count`, with
/// `wait` as the limit to get, open or recycle a connection.
pub fn metered_pool(
    config: tokio_postgres::Config,
    size: usize,
    wait: Option<Duration>,
    count: StatementCount,
) -> Result<Pool, deadpool_postgres::BuildError> {
    let manager = Manager::from_connect(
        config,
        MeteredConnect { count },
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(wait)
        .create_timeout(wait)
        .recycle_timeout(wait)
        .build()
}

/// Opens connections over a [`MeteredSocket`]. Connections are plain TCP or a Unix socket
/// (no TLS, as everywhere else here); the URL's hosts are tried in order with their ports and
/// its connect timeout, as the driver does. What the driver's own connect would add is not
/// applied: `hostaddr`, `target_session_attrs` and TCP keepalives (a dead replica's locks are
/// released by the server noticing the closed socket, not by keepalives).
struct MeteredConnect {
    count: StatementCount,
}

impl deadpool_postgres::Connect for MeteredConnect {
    fn connect(
        &self,
        pg_config: &tokio_postgres::Config,
    ) -> BoxFuture<
        '_,
        Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), tokio_postgres::Error>,
    > {
        let pg_config = pg_config.clone();
        let count = self.count.clone();
        Box::pin(async move {
            // A socket that could not be opened still goes to the driver, which then reports
            // the I/O error in its own error type (the only one this trait may return).
            let socket = MeteredSocket {
                inner: open_socket(&pg_config).await,
                outgoing: FrontendMessages::default(),
                count,
            };
            let (client, connection) = pg_config.connect_raw(socket, NoTls).await?;
            let task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!("database connection ended: {e}");
                }
            });
            Ok((client, task))
        })
    }
}

trait Socket: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Socket for T {}

/// The first host of `config` that accepts a connection, within its connect timeout.
async fn open_socket(config: &tokio_postgres::Config) -> io::Result<Box<dyn Socket>> {
    let ports = config.get_ports();
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "the URL names no host");
    for (i, host) in config.get_hosts().iter().enumerate() {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        let attempt = async {
            match host {
                Host::Tcp(name) => {
                    let s = tokio::net::TcpStream::connect((name.as_str(), port)).await?;
                    // As the driver does: a statement is one small write, never held back.
                    s.set_nodelay(true)?;
                    Ok::<Box<dyn Socket>, io::Error>(Box::new(s))
                }
                #[cfg(unix)]
                Host::Unix(dir) => {
                    let path = dir.join(format!(".s.PGSQL.{port}"));
                    let s = tokio::net::UnixStream::connect(path).await?;
                    Ok(Box::new(s) as Box<dyn Socket>)
                }
            }
        };
        let result = match config.get_connect_timeout() {
            Some(limit) => tokio::time::timeout(*limit, attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "timed out connecting to the database",
                    ))
                }),
            None => attempt.await,
        };
        match result {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A connection's socket that counts the statements written to it.
struct MeteredSocket {
    inner: io::Result<Box<dyn Socket>>,
    outgoing: FrontendMessages,
    count: StatementCount,
}

fn failed(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

impl AsyncRead for MeteredSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Ok(s) => Pin::new(s).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(failed(e))),
        }
    }
}

impl AsyncWrite for MeteredSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let written = match &mut this.inner {
            Ok(s) => Pin::new(s).poll_write(cx, buf),
            Err(e) => return Poll::Ready(Err(failed(e))),
        };
        if let Poll::Ready(Ok(n)) = written {
            let statements = this.outgoing.feed(&buf[..n]);
            if statements > 0 {
                this.count.add(statements);
            }
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Ok(s) => Pin::new(s).poll_flush(cx),
            Err(e) => Poll::Ready(Err(failed(e))),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Ok(s) => Pin::new(s).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(failed(e))),
        }
    }
}

/// Splits the bytes a client sends into protocol messages, whatever the write boundaries.
/// The first message (the startup message) has no type byte: a length, then its body; every
/// later one is a type byte, a length (which counts itself) and the body.
#[derive(Default)]
struct FrontendMessages {
    started: bool,
    header: [u8; 5],
    header_len: usize,
    body_left: usize,
}

impl FrontendMessages {
    /// Reads `bytes`; returns how many statements (`Execute` and `Query` messages) began.
    fn feed(&mut self, mut bytes: &[u8]) -> u64 {
        let mut statements = 0;
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let skip = self.body_left.min(bytes.len());
                self.body_left -= skip;
                bytes = &bytes[skip..];
                continue;
            }
            let header_size = if self.started { 5 } else { 4 };
            let take = (header_size - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&bytes[..take]);
            self.header_len += take;
            bytes = &bytes[take..];
            if self.header_len < header_size {
                break;
            }
            let length_at = header_size - 4;
            let length = u32::from_be_bytes([
                self.header[length_at],
                self.header[length_at + 1],
                self.header[length_at + 2],
                self.header[length_at + 3],
            ]) as usize;
            if self.started && matches!(self.header[0], b'E' | b'Q') {
                statements += 1;
            }
            self.body_left = length.saturating_sub(4);
            self.header_len = 0;
            self.started = true;
        }
        statements
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn executes_and_queries_are_counted_across_any_write_boundaries() {
        let mut stream = Vec::new();
        // Startup: length, protocol 3.0, "user\0postgres\0\0".
        let startup_body = b"\x00\x03\x00\x00user\x00postgres\x00\x00";
        stream.extend_from_slice(&(startup_body.len() as u32 + 4).to_be_bytes());
        stream.extend_from_slice(startup_body);
        // A password message whose body holds the letters E and Q, which are not messages.
        stream.extend(message(b'p', b"EQEQ\x00"));
        // A prepared statement run twice (Parse, Describe, Sync; then Bind, Execute, Sync ×2),
        // and one simple query.
        stream.extend(message(b'P', b"\x00SELECT 1\x00\x00\x00"));
        stream.extend(message(b'D', b"S\x00"));
        stream.extend(message(b'S', b""));
        for _ in 0..2 {
            stream.extend(message(b'B', b"\x00\x00\x00\x00\x00\x00\x00"));
            stream.extend(message(b'E', b"\x00\x00\x00\x00\x00"));
            stream.extend(message(b'S', b""));
        }
        stream.extend(message(b'Q', b"SELECT 1; SELECT 2\x00"));
        for chunk in [1, 2, 3, 7, stream.len()] {
            let mut parser = FrontendMessages::default();
            let counted: u64 = stream.chunks(chunk).map(|c| parser.feed(c)).sum();
            assert_eq!(counted, 3, "written {chunk} bytes at a time");
        }
    }
}
