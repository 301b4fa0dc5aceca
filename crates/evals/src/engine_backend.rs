//! The real [`Backend`]: knowledge indexes from `frontdesk-retrieval`, the intent classifier from
//! `frontdesk-engine`, and an assistant factory supplied by the binary (which owns the chat model
//! and the commerce store).

use crate::backend::{Backend, IntentModel, IntentPrediction, ModeSearch};
use crate::data::IntentRow;
use crate::error::EvalError;
use crate::manifest::SearchMode;
use async_trait::async_trait;
use frontdesk_core::config::IntentModelConfig;
use frontdesk_core::intents::OUT_OF_SCOPE;
use frontdesk_core::{Assistant, Config, Embedder, Hit, Lang, Retriever, SearchQuery};
use frontdesk_engine::{load_intents_jsonl, IntentClassifier, IntentExample};
use frontdesk_retrieval::{load_documents, HybridIndex};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Builds a fresh assistant answering from the given retriever; `bool` = use the chat LM.
pub type AssistantFactory = Arc<
    dyn Fn(
            Arc<dyn Retriever>,
            Option<PathBuf>,
            bool,
        ) -> BoxFuture<'static, Result<Arc<dyn Assistant>, EvalError>>
        + Send
        + Sync,
>;

/// Loads an embedder by catalog name (an intent classifier's companion view); the binary owns
/// the model catalogue.
pub type EmbedderLoader =
    Arc<dyn Fn(String) -> BoxFuture<'static, Result<Arc<dyn Embedder>, EvalError>> + Send + Sync>;

/// Folds used to calibrate the out-of-scope threshold when no calibration file is given.
pub const CALIBRATION_FOLDS: usize = 5;

/// A knowledge base path (None: the configured one) and its document limit.
type IndexKey = (Option<PathBuf>, Option<usize>);

pub struct EngineBackend {
    config: Config,
    embedder: Arc<dyn Embedder>,
    /// The Serbian → English map the knowledge indexes search with, as `frontdesk serve`'s.
    language_map: Option<Arc<frontdesk_retrieval::LanguageMaps>>,
    assistant: Option<AssistantFactory>,
    indexes: tokio::sync::Mutex<HashMap<IndexKey, Arc<dyn ModeSearch>>>,
    load_embedder: Option<EmbedderLoader>,
    /// Companion embedders loaded so far, by name.
    companions: tokio::sync::Mutex<HashMap<String, Arc<dyn Embedder>>>,
}

impl EngineBackend {
    pub fn new(
        config: Config,
        embedder: Arc<dyn Embedder>,
        assistant: Option<AssistantFactory>,
    ) -> Self {
        Self {
            config,
            language_map: None,
            embedder,
            assistant,
            indexes: tokio::sync::Mutex::new(HashMap::new()),
            load_embedder: None,
            companions: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The language map every knowledge index built here searches with.
    pub fn with_language_map(
        mut self,
        map: Option<Arc<frontdesk_retrieval::LanguageMaps>>,
    ) -> Self {
        self.language_map = map;
        self
    }

    /// Lets intent suites use companion embedders (`intent_model.companion_embedder`).
    pub fn with_embedder_loader(mut self, load: EmbedderLoader) -> Self {
        self.load_embedder = Some(load);
        self
    }

    async fn companion(&self, name: &str) -> Result<Arc<dyn Embedder>, EvalError> {
        let mut loaded = self.companions.lock().await;
        if let Some(e) = loaded.get(name) {
            return Ok(e.clone());
        }
        let load = self.load_embedder.as_ref().ok_or_else(|| {
            EvalError::Backend(format!(
                "this build cannot load the companion embedder {name}"
            ))
        })?;
        let e = load(name.to_string()).await?;
        loaded.insert(name.to_string(), e.clone());
        Ok(e)
    }

    /// The business's intent catalogue (`Config::intent_catalogue`), if it has one.
    pub fn catalogue_path(&self) -> Option<PathBuf> {
        self.config.intent_catalogue()
    }
}

struct IndexSearch(Arc<HybridIndex>);

#[async_trait]
impl ModeSearch for IndexSearch {
    async fn search(
        &self,
        query: &str,
        k: usize,
        mode: SearchMode,
        langs: &[Lang],
    ) -> Result<Vec<Hit>, EvalError> {
        let mode = match mode {
            SearchMode::Lexical => frontdesk_retrieval::SearchMode::Lexical,
            SearchMode::Dense => frontdesk_retrieval::SearchMode::Dense,
            SearchMode::Hybrid => frontdesk_retrieval::SearchMode::Hybrid,
        };
        let mut q = SearchQuery::new(query, k);
        q.filters.langs = langs.to_vec();
        self.0
            .search_with(&q, mode)
            .await
            .map_err(|e| EvalError::Backend(format!("search {query:?}: {e}")))
    }
    fn retriever(&self) -> Arc<dyn Retriever> {
        self.0.clone()
    }
    fn doc_ids(&self) -> Vec<String> {
        self.0
            .snapshot()
            .docs
            .iter()
            .map(|d| d.id.clone())
            .collect()
    }
}

struct Classifier(IntentClassifier);

#[async_trait]
impl IntentModel for Classifier {
    async fn classify(&self, texts: &[String]) -> Result<Vec<IntentPrediction>, EvalError> {
        let views = self
            .0
            .embed_views(texts)
            .await
            .map_err(|e| EvalError::Backend(format!("embedding intents: {e}")))?;
        Ok(views
            .iter()
            .map(|v| {
                let p = self.0.classify_views(v);
                IntentPrediction {
                    in_scope: p.in_scope && p.intent != OUT_OF_SCOPE,
                    intent: p.intent,
                    score: p.score,
                }
            })
            .collect())
    }
}

fn examples(rows: Vec<IntentRow>) -> Vec<IntentExample> {
    rows.into_iter()
        .map(|r| IntentExample {
            intent: if r.in_scope {
                r.intent
            } else {
                OUT_OF_SCOPE.to_string()
            },
            in_scope: r.in_scope,
            lang: r.lang.as_deref().and_then(|l| l.parse().ok()),
            text: r.text,
        })
        .collect()
}

#[async_trait]
impl Backend for EngineBackend {
    async fn index(
        &self,
        kb: Option<&Path>,
        max_docs: Option<usize>,
    ) -> Result<Arc<dyn ModeSearch>, EvalError> {
        let key = (kb.map(Path::to_path_buf), max_docs);
        let mut indexes = self.indexes.lock().await;
        if let Some(ix) = indexes.get(&key) {
            return Ok(ix.clone());
        }
        let roots: Vec<PathBuf> = match kb {
            Some(p) => vec![p.to_path_buf()],
            None => self.config.knowledge.clone(),
        };
        for r in &roots {
            if !r.exists() {
                return Err(EvalError::Backend(format!(
                    "knowledge base {} does not exist",
                    r.display()
                )));
            }
        }
        let (mut docs, issues) = load_documents(&roots);
        if let Some(n) = max_docs {
            docs = crate::runner::spread(docs, n);
        }
        for issue in issues.iter().take(5) {
            tracing::warn!("knowledge: {issue:?}");
        }
        let index =
            HybridIndex::build_in_memory(docs, self.embedder.clone(), &self.config.retrieval)
                .await
                .map_err(|e| {
                    EvalError::Backend(format!(
                        "indexing {}: {e}",
                        roots
                            .iter()
                            .map(|r| r.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
        let index = match &self.language_map {
            Some(map) => index.with_language_map(map.clone()),
            None => index,
        };
        let ix: Arc<dyn ModeSearch> = Arc::new(IndexSearch(Arc::new(index)));
        indexes.insert(key, ix.clone());
        Ok(ix)
    }

    async fn intents(
        &self,
        train: Option<Vec<IntentRow>>,
        calibrate: Option<Vec<IntentRow>>,
        model: Option<&IntentModelConfig>,
    ) -> Result<Arc<dyn IntentModel>, EvalError> {
        let rows = match train {
            Some(rows) => examples(rows),
            None => {
                let path = self.catalogue_path().ok_or_else(|| {
                    EvalError::Backend(
                        "an intents suite without `train` rows needs the business's catalogue: \
                         set engine.intents, or put intents.jsonl in a knowledge root"
                            .into(),
                    )
                })?;
                load_intents_jsonl(&path).map_err(|e| {
                    EvalError::Backend(format!("{e} (set engine.intents in the config)"))
                })?
            }
        };
        let model = model.unwrap_or(&self.config.engine.intent_model);
        let companion = match &model.companion_embedder {
            Some(name) => Some(self.companion(name).await?),
            None => None,
        };
        let mut classifier =
            IntentClassifier::train_configured(rows, self.embedder.clone(), companion, model)
                .await
                .map_err(|e| EvalError::Backend(format!("training the intent classifier: {e}")))?;
        match calibrate {
            Some(rows) => {
                classifier
                    .calibrate(&examples(rows))
                    .await
                    .map_err(|e| EvalError::Backend(format!("calibrating: {e}")))?;
            }
            None => {
                classifier.calibrate_cv(CALIBRATION_FOLDS);
            }
        }
        Ok(Arc::new(Classifier(classifier)))
    }

    async fn assistant(
        &self,
        retriever: Arc<dyn Retriever>,
        kb: Option<&Path>,
        use_llm: bool,
    ) -> Result<Arc<dyn Assistant>, EvalError> {
        match &self.assistant {
            Some(f) => f(retriever, kb.map(Path::to_path_buf), use_llm).await,
            None => Err(EvalError::Backend("this build cannot assemble the conversation engine; conversation suites need it (or use --target URL)".into())),
        }
    }
}
