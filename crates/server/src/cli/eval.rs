//! `frontdesk eval SUITE…`: runs eval suites in-process (models, index, engine assembled from
//! config) or against a running frontdesk (`--target URL`), writes JSON / Markdown / HTML
//! reports, and fails when a `--baseline` metric regressed beyond the tolerance.

use anyhow::Context;
use frontdesk_commerce::SqliteCommerce;
use frontdesk_core::commerce::AuditLog;
use frontdesk_core::{Assistant, ChatModel, Commerce, Config, Embedder, Retriever};
use frontdesk_engine::{Engine, EngineDeps, IntentClassifier};
use frontdesk_evals::actions::{CommerceActionsRunner, TaskStore};
use frontdesk_evals::report::baseline::{compare, Tolerance};
use frontdesk_evals::report::{html, markdown, write_file};
use frontdesk_evals::{
    load_suite, AssistantFactory, CachingEmbedder, CustomerSpec, EngineBackend, EvalContext,
    EvalError, HttpTarget, RunOptions, Suite, SuiteSpec,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Suite manifests (.toml), bare data files (JSONL/YAML) or folders.
    #[arg(required = true)]
    pub suites: Vec<PathBuf>,
    /// Evaluate a running frontdesk (e.g. http://127.0.0.1:8080) instead of this process.
    #[arg(long)]
    pub target: Option<String>,
    /// Write the JSON report here (schema: evals/REPORT_SCHEMA.md).
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Self-contained HTML report with charts and the failing cases.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Compare with a stored JSON report; exit 1 when a metric regressed beyond the tolerance.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Allowed absolute drop of a rate (recall, accuracy, …) against the baseline.
    #[arg(long, default_value_t = 0.02)]
    pub tolerance: f64,
    /// Allowed relative growth of a latency against the baseline (0.5 = +50%).
    #[arg(long, default_value_t = 0.5)]
    pub latency_tolerance: f64,
    /// Run at most N questions / rows / cases / tasks per suite.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Never load or use the chat LM (direct and extractive answers only).
    #[arg(long)]
    pub no_llm: bool,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// What the runner gets: the model backend, the embedder (None when no suite needs models) and
/// the action-task runner.
type EvalParts = (
    Arc<dyn frontdesk_evals::Backend>,
    Option<Arc<dyn Embedder>>,
    Option<Arc<dyn frontdesk_evals::ActionsRunner>>,
);

pub fn run(config: Config, args: EvalArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(run_async(config, args))
}

/// Whether a suite needs local models: everything except what a `--target` answers.
fn needs_models(suite: &Suite, target: bool) -> bool {
    !(target
        && matches!(
            suite.spec,
            SuiteSpec::Retrieval { .. } | SuiteSpec::Conversations { .. }
        ))
}

fn needs_assistant(suite: &Suite, target: bool) -> bool {
    match &suite.spec {
        SuiteSpec::Conversations { .. } => !target,
        SuiteSpec::Retrieval { answer, .. } => *answer && !target,
        SuiteSpec::Actions { .. } => true,
        SuiteSpec::Intents { .. } => false,
    }
}

/// The chat models the suites' LM customers name (`""`: the configured chat model). They are
/// the evaluator's, loaded apart from the bot's and also under `--no-llm`, which concerns the
/// bot only.
async fn load_customer_models(
    config: &Config,
    suites: &[Suite],
) -> anyhow::Result<BTreeMap<String, Arc<dyn ChatModel>>> {
    let mut out = BTreeMap::new();
    for suite in suites {
        let SuiteSpec::Actions {
            customer: CustomerSpec::Lm(spec),
            ..
        } = &suite.spec
        else {
            continue;
        };
        let key = spec.model.clone().unwrap_or_default();
        if out.contains_key(&key) {
            continue;
        }
        let mut models = config.models.clone();
        if !key.is_empty() {
            models.chat = key.clone();
        }
        // The customer samples its messages, and sampled requests are never speculated; the
        // configured draft model may not even share this model's vocabulary.
        models.draft = None;
        let model = tokio::task::spawn_blocking(move || frontdesk_inference::load_chat(&models))
            .await?
            .with_context(|| format!("loading the customer model of suite {}", suite.name))?;
        out.insert(key, model);
    }
    Ok(out)
}

async fn run_async(config: Config, args: EvalArgs) -> anyhow::Result<ExitCode> {
    let suites: Vec<Suite> = args
        .suites
        .iter()
        .map(|p| load_suite(p))
        .collect::<Result<_, _>>()?;
    let target = args.target.is_some();
    let use_llm = !args.no_llm && config.engine.use_llm;
    let options = RunOptions {
        limit: args.limit,
        use_llm,
        concurrency: args.concurrency.max(1),
        progress: !args.quiet,
    };

    let (backend, embedder, actions): EvalParts = if suites.iter().any(|s| needs_models(s, target))
    {
        let models = config.models.clone();
        let raw = tokio::task::spawn_blocking(move || frontdesk_inference::load_embedder(&models))
            .await?
            .context("loading the embedding model")?;
        let embedder: Arc<dyn Embedder> = CachingEmbedder::new(raw);
        let wants_chat = use_llm && suites.iter().any(|s| needs_assistant(s, target));
        let chat = if wants_chat {
            let models = config.models.clone();
            Some(
                tokio::task::spawn_blocking(move || frontdesk_inference::load_chat(&models))
                    .await?
                    .context("loading the chat model (or pass --no-llm)")?,
            )
        } else {
            None
        };
        let parts = if suites.iter().any(|s| needs_assistant(s, target)) {
            Some(Arc::new(
                EngineParts::new(&config, embedder.clone(), chat).await?,
            ))
        } else {
            None
        };
        let factory = parts.clone().map(|p| -> AssistantFactory {
            Arc::new(move |retriever, kb, use_llm| {
                let p = p.clone();
                Box::pin(async move { p.assistant(retriever, kb, use_llm).await })
            })
        });
        let loader_config = config.clone();
        let load_embedder: frontdesk_evals::EmbedderLoader = Arc::new(move |name: String| {
            let config = loader_config.clone();
            Box::pin(async move {
                let raw = super::stack::load_named_embedder(&config, &name)
                    .await
                    .map_err(|e| EvalError::Backend(format!("{e:#}")))?;
                Ok(CachingEmbedder::new(raw) as Arc<dyn Embedder>)
            })
        });
        let backend = Arc::new(
            EngineBackend::new(config.clone(), embedder.clone(), factory)
                .with_embedder_loader(load_embedder)
                .with_language_map(super::stack::language_map(&config, embedder.as_ref()).await?),
        );
        let actions = match parts {
            Some(p) => {
                let backend = backend.clone();
                let retriever: Arc<dyn Retriever> = match suites
                    .iter()
                    .any(|s| matches!(s.spec, SuiteSpec::Actions { .. }))
                {
                    true => frontdesk_evals::Backend::index(backend.as_ref(), None, None)
                        .await?
                        .retriever(),
                    false => Arc::new(NoKnowledge),
                };
                let customer_models = load_customer_models(&config, &suites).await?;
                let runner: Arc<dyn frontdesk_evals::ActionsRunner> =
                    Arc::new(CommerceActionsRunner {
                        make_assistant: Arc::new(move |store: TaskStore| {
                            p.assistant_for_store(retriever.clone(), store, use_llm)
                        }),
                        customer_models,
                    });
                Some(runner)
            }
            None => None,
        };
        (backend, Some(embedder), actions)
    } else {
        (Arc::new(NoModels), None, None)
    };

    let target = match &args.target {
        Some(url) => Some((
            url.clone(),
            Arc::new(HttpTarget::new(url)?) as Arc<dyn frontdesk_evals::Target>,
        )),
        None => None,
    };
    let ctx = EvalContext {
        backend,
        embedder,
        target,
        actions,
        options,
    };
    let report = frontdesk_evals::run_all(&ctx, &suites).await?;

    if let Some(p) = &args.json {
        write_file(p, &report.to_json())?;
    }
    if let Some(p) = &args.markdown {
        write_file(p, &markdown::render(&report))?;
    }
    if let Some(p) = &args.html {
        write_file(p, &html::render(&report))?;
    }
    print_summary(&report);

    if let Some(path) = &args.baseline {
        let baseline = frontdesk_evals::Report::read(path)?;
        if !baseline.same_build(&report) {
            eprintln!(
                "latencies not compared: the baseline was measured by a {} build, this run by a {} build",
                baseline.build.as_deref().unwrap_or("unrecorded"),
                report.build.as_deref().unwrap_or("unrecorded"),
            );
        }
        let regressions = compare(
            &baseline,
            &report,
            Tolerance {
                absolute: args.tolerance,
                latency_relative: args.latency_tolerance,
            },
        );
        if !regressions.is_empty() {
            eprintln!(
                "\nREGRESSIONS against {} (tolerance {}, latency +{:.0}%):",
                path.display(),
                args.tolerance,
                args.latency_tolerance * 100.0
            );
            for r in &regressions {
                eprintln!("  {r}");
            }
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("no regressions against {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(report: &frontdesk_evals::Report) {
    for s in &report.suites {
        let title = match &s.mode {
            Some(m) => format!("{} ({m})", s.name),
            None => s.name.clone(),
        };
        let failing = s.cases.iter().filter(|c| !c.passed).count();
        println!(
            "{title} [{}] {} cases, {failing} failing",
            s.kind,
            s.cases.len()
        );
        for (k, v) in &s.metrics {
            println!("  {k:<26} {}", frontdesk_evals::report::fmt_metric(k, *v));
        }
    }
}

/// A business an assistant speaks for: its trained intent catalogue (if it has one), its
/// texts and the store its shop is seeded from (if it has one).
#[derive(Clone)]
struct Business {
    intents: Option<IntentClassifier>,
    profile: frontdesk_core::config::BusinessProfile,
    shop_seed: Option<PathBuf>,
}

impl Business {
    async fn of(config: &Config, embedder: Arc<dyn Embedder>) -> anyhow::Result<Self> {
        Ok(Business {
            intents: super::stack::train_intents(config, embedder).await?,
            profile: config.business_profile()?,
            shop_seed: config.shop_seed_dir(),
        })
    }
}

/// What every assistant built for an eval shares: the models, and per business (the configured
/// one, and each suite's own knowledge base) the intent catalogue's vectors (embedded once) and
/// calibrated thresholds. Each assistant gets a freshly seeded shop.
struct EngineParts {
    config: Config,
    embedder: Arc<dyn Embedder>,
    /// The reader's English second view (`engine.reader_companion`), cached like the main one.
    reader_companion: Option<Arc<dyn Embedder>>,
    chat: Option<Arc<dyn ChatModel>>,
    /// The configured business.
    business: Business,
    /// A suite's own knowledge base's business, built once per `kb`.
    kb_businesses: tokio::sync::Mutex<std::collections::HashMap<PathBuf, Business>>,
}

impl EngineParts {
    async fn new(
        config: &Config,
        embedder: Arc<dyn Embedder>,
        chat: Option<Arc<dyn ChatModel>>,
    ) -> anyhow::Result<Self> {
        let business = Business::of(config, embedder.clone()).await?;
        // Every case gets a fresh engine, and each builds its act reader on its first turn. Built
        // once here, its examples sit in the embedding cache, so no case's first turn pays
        // seconds for them (conversation cases have a per-turn time limit).
        frontdesk_engine::acts::ActClassifier::builtin(embedder.clone())
            .await
            .context("embedding the built-in act examples")?;
        let reader_companion = crate::cli::stack::reader_companion(config)
            .await
            .map(|raw| CachingEmbedder::new(raw) as Arc<dyn Embedder>);
        Ok(Self {
            config: config.clone(),
            embedder,
            reader_companion,
            chat,
            business,
            kb_businesses: Default::default(),
        })
    }

    /// The business of a suite's own knowledge base `kb`: what lies beside its pages, as
    /// `frontdesk serve` with `knowledge = [kb]` would find it (an explicit `engine.intents` in
    /// the config still applies).
    async fn business_of(&self, kb: &std::path::Path) -> Result<Business, EvalError> {
        let mut known = self.kb_businesses.lock().await;
        if let Some(b) = known.get(kb) {
            return Ok(b.clone());
        }
        let config = Config {
            knowledge: vec![kb.to_path_buf()],
            ..self.config.clone()
        };
        let b = Business::of(&config, self.embedder.clone())
            .await
            .map_err(|e| EvalError::Backend(format!("the business of {}: {e:#}", kb.display())))?;
        known.insert(kb.to_path_buf(), b.clone());
        Ok(b)
    }

    fn engine(
        &self,
        business: &Business,
        retriever: Arc<dyn Retriever>,
        shop: Option<(Arc<dyn Commerce>, Arc<dyn AuditLog>)>,
        commerce_policy: frontdesk_core::config::CommercePolicy,
        use_llm: bool,
    ) -> Result<Engine, EvalError> {
        let (commerce, audit) = shop.unzip();
        let mut policy = self.config.engine.clone();
        let chat = if use_llm { self.chat.clone() } else { None };
        policy.use_llm = chat.is_some();
        Engine::new(EngineDeps {
            retriever,
            embedder: self.embedder.clone(),
            chat,
            commerce,
            intents: business.intents.clone(),
            policy,
            business: business.profile.clone(),
            commerce_policy,
            audit,
        })
        .map(|e| {
            e.with_translator(frontdesk_retrieval::translation::translator(
                self.config.engine.item_translation,
                &self.config.retrieval,
            ))
            .with_reader_companion(self.reader_companion.clone())
        })
        .map_err(|e| EvalError::Backend(format!("configuring the engine: {e}")))
    }

    /// An engine over `retriever` with a fresh in-memory copy of the business's store, speaking
    /// for `kb`'s business when given (with the store beside its pages, if any), else the
    /// configured one. A business without a store has no shop.
    async fn assistant(
        &self,
        retriever: Arc<dyn Retriever>,
        kb: Option<PathBuf>,
        use_llm: bool,
    ) -> Result<Arc<dyn Assistant>, EvalError> {
        let business = match &kb {
            Some(kb) => self.business_of(kb).await?,
            None => self.business.clone(),
        };
        // A business with no store has no orders, products or customers to act on: it is
        // served with its pages alone, as the engine serves one without a commerce backend (no
        // order actions, no catalogue suggestions, no identity checks).
        let shop = match &business.shop_seed {
            Some(seed) => {
                let shop = SqliteCommerce::in_memory()
                    .map_err(|e| EvalError::Backend(format!("opening an in-memory shop: {e}")))?
                    .with_policy(self.config.commerce.clone());
                shop.seed_from_dir(seed).map_err(|e| {
                    EvalError::Backend(format!("seeding the shop from {}: {e}", seed.display()))
                })?;
                let shop = Arc::new(shop);
                Some((shop.clone() as Arc<dyn Commerce>, shop as Arc<dyn AuditLog>))
            }
            None => None,
        };
        Ok(Arc::new(self.engine(
            &business,
            retriever,
            shop,
            self.config.commerce.clone(),
            use_llm,
        )?))
    }

    /// An engine over an action task's own store (tau-retail data and policy).
    fn assistant_for_store(
        &self,
        retriever: Arc<dyn Retriever>,
        store: TaskStore,
        use_llm: bool,
    ) -> Arc<dyn Assistant> {
        match self.engine(
            &self.business,
            retriever,
            Some((store.commerce, store.audit)),
            store.policy,
            use_llm,
        ) {
            Ok(e) => Arc::new(e),
            Err(e) => Arc::new(Broken(e.to_string())),
        }
    }
}

/// Stands in when the engine cannot be configured: every turn fails with the reason, which the
/// actions report then shows per task.
struct Broken(String);

#[async_trait::async_trait]
impl Assistant for Broken {
    async fn respond(
        &self,
        _: &mut frontdesk_core::ConversationState,
        _: &str,
        _: tokio::sync::mpsc::Sender<frontdesk_core::TurnEvent>,
    ) -> Result<frontdesk_core::conversation::TurnOutcome, frontdesk_core::assistant::AssistantError>
    {
        Err(frontdesk_core::assistant::AssistantError::Internal(
            self.0.clone(),
        ))
    }
}

/// Used when no suite needs the knowledge index.
struct NoKnowledge;

#[async_trait::async_trait]
impl Retriever for NoKnowledge {
    async fn search(
        &self,
        _: &frontdesk_core::SearchQuery,
    ) -> Result<Vec<frontdesk_core::Hit>, frontdesk_core::RetrievalError> {
        Ok(Vec::new())
    }
}

/// `--target` runs whose suites all go to the server load no models.
struct NoModels;

#[async_trait::async_trait]
impl frontdesk_evals::Backend for NoModels {
    async fn index(
        &self,
        _: Option<&std::path::Path>,
        _: Option<usize>,
    ) -> Result<Arc<dyn frontdesk_evals::ModeSearch>, EvalError> {
        Err(EvalError::Backend(
            "no models loaded for a --target run".into(),
        ))
    }
    async fn intents(
        &self,
        _: Option<Vec<frontdesk_evals::data::IntentRow>>,
        _: Option<Vec<frontdesk_evals::data::IntentRow>>,
        _: Option<&frontdesk_core::config::IntentModelConfig>,
    ) -> Result<Arc<dyn frontdesk_evals::IntentModel>, EvalError> {
        Err(EvalError::Backend(
            "no models loaded for a --target run".into(),
        ))
    }
    async fn assistant(
        &self,
        _: Arc<dyn Retriever>,
        _: Option<&std::path::Path>,
        _: bool,
    ) -> Result<Arc<dyn Assistant>, EvalError> {
        Err(EvalError::Backend(
            "no models loaded for a --target run".into(),
        ))
    }
}
