//! `frontdesk serve`: opens the database (PostgreSQL when `server.database_url` is set, else
//! SQLite in `data_dir`), resumes open conversations, starts the webhook
//! outbox worker, the sweep for unanswered messages and the retention job (`server.retention_days`) and serves HTTP until SIGTERM / ctrl-c, then drains in-flight turns.

use super::stack::{Stack, StackOptions};
use anyhow::Context;
use frontdesk_core::{Assistant, Commerce, Config, Store};
use frontdesk_retrieval::HybridIndex;
use frontdesk_server::db::postgres::redact_url;
use frontdesk_server::replica::ReplicaJobs;
use frontdesk_server::{AppState, ConfigReloader, PgStore, Readiness, Reindexer, SqliteStore};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Listen address (HOST:PORT); default from config `server.addr`.
    #[arg(long)]
    pub addr: Option<String>,
    /// Seconds to wait for in-flight turns on shutdown.
    #[arg(long, default_value_t = 30)]
    pub drain_secs: u64,
}

/// What the stack hands the server: the assistant and, when a knowledge index is attached,
/// the re-index hook.
pub struct ServeParts {
    pub assistant: Arc<dyn Assistant>,
    pub reindexer: Option<Arc<dyn Reindexer>>,
    /// The shop the agent console reads a verified customer's orders from.
    pub commerce: Option<Arc<dyn Commerce>>,
}

pub fn run(config: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let parts = assistant_from_stack(&config).await?;
        serve_with(config, args, parts).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The engine comes from `cli/stack.rs` (models fetched and the demo KB indexed on first start).
async fn assistant_from_stack(config: &Config) -> anyhow::Result<ServeParts> {
    let stack = Stack::load(
        config.clone(),
        StackOptions {
            with_chat: true,
            progress: true,
        },
    )
    .await?;
    let reindexer: Arc<dyn Reindexer> = Arc::new(IndexReindexer {
        index: stack.index.clone(),
        roots: config.knowledge.clone(),
    });
    Ok(ServeParts {
        assistant: stack.engine.clone(),
        reindexer: Some(reindexer),
        commerce: Some(stack.commerce.clone()),
    })
}

/// Admin re-index: rebuilds changed documents and swaps the index atomically.
struct IndexReindexer {
    index: Arc<HybridIndex>,
    roots: Vec<PathBuf>,
}

#[async_trait::async_trait]
impl Reindexer for IndexReindexer {
    async fn reindex(&self) -> Result<serde_json::Value, String> {
        let report = self
            .index
            .reindex(&self.roots, None)
            .await
            .map_err(|e| e.to_string())?;
        Ok(serde_json::json!({
            "documents": report.documents,
            "chunks": report.chunks,
            "embedded_chunks": report.embedded_chunks,
            "reused_chunks": report.reused_chunks,
            "removed_documents": report.removed_documents,
            "issues": report.issues.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            "elapsed_ms": report.elapsed.as_millis() as u64,
        }))
    }
}

struct FileReloader(Option<PathBuf>, PathBuf);

impl ConfigReloader for FileReloader {
    fn reload(&self) -> Result<Config, String> {
        let mut c = Config::load(self.0.as_deref()).map_err(|e| e.to_string())?;
        c.data_dir = self.1.clone();
        Ok(c)
    }
}

pub async fn serve_with(config: Config, args: ServeArgs, parts: ServeParts) -> anyhow::Result<()> {
    let addr = args
        .addr
        .clone()
        .unwrap_or_else(|| config.server.addr.clone());
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}; pick another with --addr HOST:PORT"))?;
    let config_file = std::env::var_os("FRONTDESK_CONFIG").map(PathBuf::from);
    let mut builder = AppState::builder(config.clone(), parts.assistant, store.clone())
        .env_keys_from_process()
        .readiness(Readiness::ready())
        .reloader(Arc::new(FileReloader(config_file, config.data_dir.clone())));
    if let Some(r) = parts.reindexer {
        builder = builder.reindexer(r);
    }
    if let Some(c) = parts.commerce {
        builder = builder.commerce(c);
    }
    let state = builder.build();

    let jobs = ReplicaJobs::start(&state);
    tracing::info!(
        "frontdesk serving on http://{} (widget /, agent console /agent, API /openapi.json)",
        listener.local_addr()?
    );
    eprintln!("frontdesk serving on http://{}", listener.local_addr()?);
    frontdesk_server::serve(
        listener,
        state,
        shutdown_signal(),
        Duration::from_secs(args.drain_secs),
    )
    .await
    .context("serving HTTP")?;
    jobs.stop().await;
    Ok(())
}

/// PostgreSQL when `server.database_url` is set (and not blank), else SQLite in `data_dir`.
/// Only the URL without its password is ever shown.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config
        .server
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty());
    Ok(match url {
        Some(url) => {
            let shown = redact_url(url);
            let store = PgStore::connect(url)
                .await
                .with_context(|| format!("opening the PostgreSQL database {shown}"))?;
            tracing::info!("conversations are stored in PostgreSQL at {shown}");
            Arc::new(store)
        }
        None => {
            Arc::new(SqliteStore::open_in(&config.data_dir).with_context(|| {
                format!("opening the database in {}", config.data_dir.display())
            })?)
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight turns");
}
