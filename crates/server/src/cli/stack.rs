//! Assembles the running system from config: models (fetched on first start), the knowledge
//! index (built on first start, updated incrementally after), the commerce store, the intent
//! classifier and the engine. Shared by `serve`, `chat` and `eval`: the one place that knows
//! every crate.

use anyhow::Context;
use frontdesk_commerce::{PgCommerce, SqliteCommerce};
use frontdesk_core::commerce::AuditLog;
use frontdesk_core::{Commerce, Config, Embedder};
use frontdesk_engine::{load_intents_jsonl, Engine, EngineDeps, IntentClassifier};
use frontdesk_retrieval::{HybridIndex, IndexProgress, IndexReport};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;

/// Folds of the cross-validation that sets the out-of-scope threshold when no calibration file is given.
const INTENT_CV_FOLDS: usize = 5;

pub struct StackOptions {
    /// Load the chat LM (false: direct/extractive answers only, e.g. fast evals).
    pub with_chat: bool,
    /// Show progress bars on stderr.
    pub progress: bool,
}

pub struct Stack {
    pub index: Arc<HybridIndex>,
    pub engine: Arc<Engine>,
    /// The shop the engine acts on (the server's agent console reads it too).
    pub commerce: Arc<dyn Commerce>,
}

impl Stack {
    pub async fn load(config: Config, opts: StackOptions) -> anyhow::Result<Stack> {
        let models = config.models.clone();
        let embedder =
            tokio::task::spawn_blocking(move || frontdesk_inference::load_embedder(&models))
                .await?
                .context("loading the embedding model")?;
        let chat = if opts.with_chat && config.engine.use_llm {
            let models = config.models.clone();
            Some(
                tokio::task::spawn_blocking(move || frontdesk_inference::load_chat(&models))
                    .await?
                    .context("loading the chat model")?,
            )
        } else {
            None
        };

        let (index, index_report) = open_index(&config, embedder.clone(), opts.progress).await?;
        let index = match language_map(&config, embedder.as_ref()).await? {
            Some(map) => index.with_language_map(map),
            None => index,
        };
        for issue in &index_report.issues {
            eprintln!("warning: skipped {issue}");
        }
        let index = Arc::new(index);
        let shop = open_shop(&config).await?;
        // The console reads the shop either way; the engine acts on it only when the business
        // has one (`Config::has_shop`), so a business that brings only its pages is not asked
        // for an identity check or offered an order action.
        let acts_on_shop = config.has_shop();
        let intents = train_intents(&config, embedder.clone()).await?;
        let reader_companion = reader_companion(&config).await;

        let engine = Engine::new(EngineDeps {
            retriever: index.clone(),
            embedder: embedder.clone(),
            chat: chat.clone(),
            commerce: acts_on_shop.then(|| shop.commerce.clone()),
            intents,
            policy: config.engine.clone(),
            business: config
                .business_profile()
                .context("reading the business profile")?,
            commerce_policy: config.commerce.clone(),
            audit: Some(shop.audit),
        })
        .context("configuring the engine")?
        .with_translator(frontdesk_retrieval::translation::translator(
            config.engine.item_translation,
            &config.retrieval,
        ))
        .with_reader_companion(reader_companion);
        engine.prepare().await;
        Ok(Stack {
            index,
            engine: Arc::new(engine),
            commerce: shop.commerce,
        })
    }
}

/// The knowledge index under `<data_dir>/index`, brought up to date with the configured roots.
pub async fn open_index(
    config: &Config,
    embedder: Arc<dyn Embedder>,
    progress: bool,
) -> anyhow::Result<(HybridIndex, IndexReport)> {
    let bar = progress.then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({eta})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let on_progress = |p: IndexProgress| {
        if let Some(bar) = &bar {
            bar.set_message(format!("{:?}", p.stage).to_lowercase());
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
    };
    let result = HybridIndex::open_or_build(
        &config.data_dir,
        &config.knowledge,
        embedder,
        &config.retrieval,
        Some(&on_progress),
    )
    .await
    .with_context(|| {
        format!(
            "indexing the knowledge base ({})",
            display_roots(&config.knowledge)
        )
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

/// The Serbian ↔ English maps a knowledge index searches a question's image with
/// (`retrieval.language_map`; `None` when off). Fitted on first use and cached beside the
/// models.
pub async fn language_map(
    config: &Config,
    embedder: &dyn Embedder,
) -> anyhow::Result<Option<Arc<frontdesk_retrieval::LanguageMaps>>> {
    if !config.retrieval.language_map {
        return Ok(None);
    }
    let cache = frontdesk_inference::model_dir(&config.models).join("language-maps");
    let map = frontdesk_retrieval::language_map::load_or_fit(
        embedder,
        frontdesk_retrieval::language_map::BUILTIN_PAIRS,
        Some(&cache),
    )
    .await
    .context("fitting the Serbian ↔ English language maps")?;
    Ok(Some(Arc::new(map)))
}

fn display_roots(roots: &[PathBuf]) -> String {
    roots
        .iter()
        .map(|r| r.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The shop's store and its audit log (one database behind both).
pub struct Shop {
    pub commerce: Arc<dyn Commerce>,
    pub audit: Arc<dyn AuditLog>,
}

/// The embedded shop: in PostgreSQL when `server.database_url` is set (shared by every
/// replica), else in a SQLite file. A new (empty) database is seeded from `Config::shop_seed_dir`.
pub async fn open_shop(config: &Config) -> anyhow::Result<Shop> {
    if let Some(url) = &config.server.database_url {
        // The shop's pool counts its statements in `frontdesk_db_statements_total`.
        let pool = frontdesk_server::db::postgres::shop_pool(url)
            .context("opening the shop database in PostgreSQL")?;
        let shop = Arc::new(
            PgCommerce::from_pool(pool, config.commerce.clone())
                .await
                .context("opening the shop database in PostgreSQL")?,
        );
        if let Some(seed) = &config.shop_seed_dir() {
            // Seeds only an empty shop, in one transaction under an advisory lock: replicas
            // starting together seed once, and a failed seed leaves nothing behind.
            shop.seed_from_dir(seed)
                .await
                .with_context(|| format!("seeding the shop from {}", seed.display()))?;
        }
        return Ok(Shop {
            commerce: shop.clone(),
            audit: shop,
        });
    }
    let shop = Arc::new(open_sqlite_shop(config)?);
    Ok(Shop {
        commerce: shop.clone(),
        audit: shop,
    })
}

fn open_sqlite_shop(config: &Config) -> anyhow::Result<SqliteCommerce> {
    let path = config
        .shop
        .database
        .clone()
        .unwrap_or_else(|| config.data_dir.join("shop.db"));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let fresh = !path.exists();
    let shop = SqliteCommerce::open(&path)
        .with_context(|| format!("opening the shop database {}", path.display()))?
        .with_policy(config.commerce.clone());
    if fresh {
        if let Some(seed) = &config.shop_seed_dir() {
            if let Err(e) = shop.seed_from_dir(seed) {
                // Leave no half-seeded database behind: the next start seeds again.
                drop(shop);
                let _ = std::fs::remove_file(&path);
                return Err(anyhow::anyhow!(e))
                    .with_context(|| format!("seeding the shop from {}", seed.display()));
            }
        }
    }
    Ok(shop)
}

/// Trains the intent classifier on the business's catalogue (`Config::intent_catalogue`; with
/// the configured companion embedder, when there is one) and calibrates its out-of-scope
/// thresholds by cross-validation on the catalogue itself. `None` when the business brings no
/// catalogue.
pub async fn train_intents(
    config: &Config,
    embedder: Arc<dyn Embedder>,
) -> anyhow::Result<Option<IntentClassifier>> {
    let Some(path) = config.intent_catalogue() else {
        tracing::info!("no intent catalogue configured or beside the knowledge base; the knowledge base alone decides what is in scope");
        return Ok(None);
    };
    let rows = load_intents_jsonl(&path)
        .with_context(|| format!("reading the intent catalogue {}", path.display()))?;
    let model = &config.engine.intent_model;
    let companion = match &model.companion_embedder {
        Some(name) => Some(load_named_embedder(config, name).await?),
        None => None,
    };
    let mut classifier = IntentClassifier::train_configured(rows, embedder, companion, model)
        .await
        .context("embedding the intent catalogue")?;
    classifier.calibrate_cv(INTENT_CV_FOLDS);
    Ok(Some(classifier))
}

/// The reader's English second view (`engine.reader_companion`), unless it is `"off"` (or empty)
/// or `engine.reader.companion_weight` is 0. An optional view: when it cannot be loaded the
/// reader runs on the main embedder alone, with a warning.
pub async fn reader_companion(config: &Config) -> Option<Arc<dyn Embedder>> {
    let name = config.engine.reader_companion.as_deref()?.trim();
    if name.is_empty() || name == "off" || config.engine.reader.companion_weight == 0.0 {
        return None;
    }
    match load_named_embedder(config, name).await {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::warn!(model = name, error = %format!("{e:#}"), "the reader's companion embedder is unavailable; reading with the main embedder alone");
            None
        }
    }
}

/// Loads the embedder `name` (a catalog name or path) with the configured model settings.
pub async fn load_named_embedder(config: &Config, name: &str) -> anyhow::Result<Arc<dyn Embedder>> {
    let models = frontdesk_core::config::ModelsConfig {
        embed: name.to_string(),
        ..config.models.clone()
    };
    tokio::task::spawn_blocking(move || frontdesk_inference::load_embedder(&models))
        .await?
        .with_context(|| format!("loading the embedding model {name}"))
}
