//! `HybridIndex`: the persisted, incrementally updated knowledge index behind `Retriever`.

use crate::chunker::{chunk_document, Chunk, ChunkerSettings};
use crate::dense::{dot, HnswParams};
use crate::document::{Document, LoadIssue};
use crate::fusion::{
    convex_fusion, reciprocal_rank_fusion, ConfidenceFeatures, ConfidenceModel, Fused,
};
use crate::language_map::LanguageMaps;
use crate::language_shift::QueryShift;
use crate::loader::load_documents;
use crate::persist;
use crate::snapshot::{DocMeta, Snapshot};
use async_trait::async_trait;
use frontdesk_core::config::{Fusion, RetrievalConfig};
use frontdesk_core::retrieval::{ChunkKind, HitScores, SearchFilters, UnitVectors};
use frontdesk_core::text::{unit_heading, unit_inputs};
use frontdesk_core::{
    EmbedKind, Embedder, Hit, InferenceError, Lang, RetrievalError, Retriever, SearchQuery,
    Translator,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Which ranking a search uses; evals report all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    #[default]
    Hybrid,
    Dense,
    /// BM25 only: no query embedding, so `confidence` is 0 and `scores.dense` is None.
    Lexical,
}

impl std::str::FromStr for SearchMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "hybrid" => Ok(Self::Hybrid),
            "dense" => Ok(Self::Dense),
            "lexical" | "bm25" => Ok(Self::Lexical),
            other => Err(format!(
                "unknown search mode {other:?}; use hybrid, dense or lexical"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexStage {
    Loading,
    Embedding,
    Building,
    Saving,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexProgress {
    pub stage: IndexStage,
    pub done: usize,
    pub total: usize,
}

/// Progress callback; `Sync` so indexing futures stay `Send`.
pub type ProgressFn<'a> = &'a (dyn Fn(IndexProgress) + Send + Sync);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexReport {
    pub documents: usize,
    pub chunks: usize,
    pub embedded_chunks: usize,
    pub reused_chunks: usize,
    pub removed_documents: usize,
    pub issues: Vec<LoadIssue>,
    pub elapsed: Duration,
}

const EMBED_BATCH: usize = 32;

pub struct HybridIndex {
    current: RwLock<Arc<Snapshot>>,
    embedder: Arc<dyn Embedder>,
    cfg: RetrievalConfig,
    hnsw: HnswParams,
    confidence: ConfidenceModel,
    /// Serbian ↔ English in the embedder's space (`language_map.rs`): a Serbian question's
    /// image is searched as one more variant, as an English question, and an English
    /// question's as a Serbian one when the index holds Serbian pages.
    language_map: Option<Arc<LanguageMaps>>,
    /// Translates a question into the other language the index holds pages in, searched as
    /// one more variant (`translation.rs`; from `retrieval.translate_questions`).
    translator: Option<Arc<dyn Translator>>,
    data_dir: Option<PathBuf>,
    /// One re-index at a time; searches never wait on it.
    reindexing: tokio::sync::Mutex<()>,
}

fn settings(cfg: &RetrievalConfig) -> ChunkerSettings {
    ChunkerSettings {
        chunk_tokens: cfg.chunk_tokens,
        chunk_overlap: cfg.chunk_overlap,
    }
}

fn report(progress: Option<ProgressFn<'_>>, stage: IndexStage, done: usize, total: usize) {
    if let Some(p) = progress {
        p(IndexProgress { stage, done, total });
    }
}

impl HybridIndex {
    /// Loads the index persisted under `data_dir` and brings it up to date with `roots`:
    /// only new or changed documents are embedded. An index built with another embedding
    /// model is refused (`ModelMismatch`); use `rebuild` for that.
    pub async fn open_or_build(
        data_dir: &Path,
        roots: &[PathBuf],
        embedder: Arc<dyn Embedder>,
        cfg: &RetrievalConfig,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<(HybridIndex, IndexReport), RetrievalError> {
        let base = load_persisted(data_dir, embedder.as_ref(), cfg, HnswParams::default()).await?;
        Self::build_from(Some(data_dir), base, roots, embedder, cfg, progress).await
    }

    /// Like `open_or_build`, but ignores (and replaces) whatever index is stored.
    pub async fn rebuild(
        data_dir: &Path,
        roots: &[PathBuf],
        embedder: Arc<dyn Embedder>,
        cfg: &RetrievalConfig,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<(HybridIndex, IndexReport), RetrievalError> {
        Self::build_from(Some(data_dir), None, roots, embedder, cfg, progress).await
    }

    /// Opens the stored index as is, without looking at the knowledge files (for `search`).
    pub async fn open(
        data_dir: &Path,
        embedder: Arc<dyn Embedder>,
        cfg: &RetrievalConfig,
    ) -> Result<HybridIndex, RetrievalError> {
        let snap = load_persisted(data_dir, embedder.as_ref(), cfg, HnswParams::default())
            .await?
            .ok_or(RetrievalError::NotReady)?;
        Ok(Self::from_snapshot(
            snap,
            embedder,
            cfg,
            Some(data_dir.to_path_buf()),
        ))
    }

    /// An index that lives only in memory (evals over a JSONL KB, tests).
    pub async fn build_in_memory(
        docs: Vec<Document>,
        embedder: Arc<dyn Embedder>,
        cfg: &RetrievalConfig,
    ) -> Result<HybridIndex, RetrievalError> {
        if docs.is_empty() {
            return Err(RetrievalError::EmptyKnowledgeBase(
                "no documents were given".into(),
            ));
        }
        let (snap, _) = build_snapshot(
            None,
            docs,
            embedder.as_ref(),
            cfg,
            HnswParams::default(),
            None,
        )
        .await?;
        Ok(Self::from_snapshot(snap, embedder, cfg, None))
    }

    async fn build_from(
        data_dir: Option<&Path>,
        base: Option<Snapshot>,
        roots: &[PathBuf],
        embedder: Arc<dyn Embedder>,
        cfg: &RetrievalConfig,
        progress: Option<ProgressFn<'_>>,
    ) -> Result<(HybridIndex, IndexReport), RetrievalError> {
        let started = Instant::now();
        let docs = load_checked(roots, progress)?;
        let (snap, mut rep) = build_snapshot(
            base.as_ref(),
            docs.0,
            embedder.as_ref(),
            cfg,
            HnswParams::default(),
            progress,
        )
        .await?;
        let snap = Arc::new(snap);
        if let Some(dir) = data_dir {
            save(dir, &snap, progress).await?;
        }
        rep.issues = docs.1;
        rep.elapsed = started.elapsed();
        let index = HybridIndex {
            current: RwLock::new(snap),
            embedder,
            cfg: cfg.clone(),
            hnsw: HnswParams::default(),
            confidence: ConfidenceModel::default(),
            language_map: None,
            translator: crate::translation::from_config(cfg),
            data_dir: data_dir.map(Path::to_path_buf),
            reindexing: tokio::sync::Mutex::new(()),
        };
        Ok((index, rep))
    }

    fn from_snapshot(
        snap: Snapshot,
        embedder: Arc<dyn Embedder>,
        cfg: &RetrievalConfig,
        data_dir: Option<PathBuf>,
    ) -> Self {
        HybridIndex {
            current: RwLock::new(Arc::new(snap)),
            embedder,
            cfg: cfg.clone(),
            hnsw: HnswParams::default(),
            confidence: ConfidenceModel::default(),
            language_map: None,
            translator: crate::translation::from_config(cfg),
            data_dir,
            reindexing: tokio::sync::Mutex::new(()),
        }
    }

    /// Replaces the question translator the configuration chose (None: no translations).
    pub fn with_translator(mut self, translator: Option<Arc<dyn Translator>>) -> Self {
        self.translator = translator;
        self
    }

    /// Searches a question's image in the other language beside the question itself (maps of
    /// another dimension than the index's are ignored).
    pub fn with_language_map(mut self, map: Arc<LanguageMaps>) -> Self {
        if map.to_english.dim() == self.snapshot().dense.dim() {
            self.language_map = Some(map);
        } else {
            tracing::warn!(
                map = map.to_english.dim(),
                index = self.snapshot().dense.dim(),
                "the language map does not fit this embedder; not used"
            );
        }
        self
    }

    /// Replaces the confidence calibration (e.g. one refitted for another embedder).
    pub fn with_confidence(mut self, model: ConfidenceModel) -> Self {
        self.confidence = model;
        self
    }

    pub fn confidence_model(&self) -> ConfidenceModel {
        self.confidence
    }

    /// Re-reads `roots`, embeds only new or changed documents, persists the new generation (for
    /// a persisted index) and swaps it in atomically; searches meanwhile use the old one.
    pub async fn reindex(
        &self,
        roots: &[PathBuf],
        progress: Option<ProgressFn<'_>>,
    ) -> Result<IndexReport, RetrievalError> {
        let _one_at_a_time = self.reindexing.lock().await;
        let started = Instant::now();
        let (docs, issues) = load_checked(roots, progress)?;
        let base = self.snapshot();
        let (snap, mut rep) = build_snapshot(
            Some(&base),
            docs,
            self.embedder.as_ref(),
            &self.cfg,
            self.hnsw,
            progress,
        )
        .await?;
        let snap = Arc::new(snap);
        if let Some(dir) = &self.data_dir {
            save(dir, &snap, progress).await?;
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = snap;
        rep.issues = issues;
        rep.elapsed = started.elapsed();
        Ok(rep)
    }

    /// The generation searches currently see.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn chunk(&self, chunk_id: &str) -> Option<Chunk> {
        self.snapshot().chunk(chunk_id).cloned()
    }

    pub fn document(&self, doc_id: &str) -> Option<DocMeta> {
        self.snapshot().doc(doc_id).cloned()
    }

    /// Number of (documents, chunks) in the current generation.
    pub fn len(&self) -> (usize, usize) {
        let s = self.snapshot();
        (s.docs.len(), s.chunks.len())
    }

    pub fn is_empty(&self) -> bool {
        self.snapshot().chunks.is_empty()
    }

    pub async fn search_modes(
        &self,
        query: &str,
        k: usize,
        mode: SearchMode,
    ) -> Result<Vec<Hit>, RetrievalError> {
        self.search_with(&SearchQuery::new(query, k), mode).await
    }

    pub async fn search_with(
        &self,
        query: &SearchQuery,
        mode: SearchMode,
    ) -> Result<Vec<Hit>, RetrievalError> {
        let text = query.text.trim();
        if text.is_empty() {
            return Err(RetrievalError::InvalidQuery("the query is empty".into()));
        }
        if query.k == 0 {
            return Ok(Vec::new());
        }
        let snap = self.snapshot();
        let lang = query
            .lang
            .unwrap_or_else(|| crate::document::detect_lang(text));
        let texts: Vec<String> = std::iter::once(text)
            .chain(query.variants.iter().map(|v| v.trim()))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        // The question's translation is made while the question itself is embedded.
        let (qvecs, translation) = tokio::join!(
            self.embed_query(&snap, texts, mode),
            self.translate(&snap, text, lang)
        );
        let mut qvecs = qvecs?;
        // Each vector's language, for the language shift: the question's and its variants'
        // is the query's; the translated and the mapped ones are searched as the language
        // they were put into.
        let mut langs: Vec<Option<Lang>> = vec![query.lang; qvecs.len()];
        if let (Some(maps), Some(first)) = (&self.language_map, qvecs.first()) {
            let mapped = if lang.is_serbian() {
                Some((maps.to_english.apply(first), Lang::En))
            } else if lang == Lang::En && snap.holds_serbian {
                Some((maps.to_serbian.apply(first), Lang::SrLatn))
            } else {
                None
            };
            if let Some((v, l)) = mapped {
                qvecs.push(v);
                langs.push(Some(l));
            }
        }
        let mut lexical_text = text.to_string();
        if let Some((translated, to)) = translation {
            let v = self
                .embed_query(&snap, vec![translated.clone()], mode)
                .await?;
            langs.extend(v.iter().map(|_| Some(to)));
            qvecs.extend(v);
            // The lexical side reads the question's words and its translation's together.
            lexical_text = format!("{text} {translated}");
        }
        let refs: Vec<&[f32]> = qvecs.iter().map(Vec::as_slice).collect();
        let ranked = rank(
            &snap,
            &lexical_text,
            &refs,
            &langs,
            query,
            mode,
            &self.cfg,
            &self.confidence,
        );
        Ok(ranked.into_iter().map(|(h, _)| h).collect())
    }

    /// The vectors of `texts` as queries (none in lexical mode).
    async fn embed_query(
        &self,
        snap: &Snapshot,
        texts: Vec<String>,
        mode: SearchMode,
    ) -> Result<Vec<Vec<f32>>, RetrievalError> {
        if mode == SearchMode::Lexical || texts.is_empty() {
            return Ok(Vec::new());
        }
        let want = texts.len();
        let vecs = self.embedder.embed(texts, EmbedKind::Query).await?;
        if vecs.len() != want {
            return Err(InferenceError::Backend(format!(
                "the embedder returned {} vectors for {want} texts",
                vecs.len()
            ))
            .into());
        }
        if let Some(v) = vecs.iter().find(|v| v.len() != snap.dense.dim()) {
            return Err(InferenceError::Backend(format!(
                "query vector has dim {}, index has {}",
                v.len(),
                snap.dense.dim()
            ))
            .into());
        }
        Ok(vecs)
    }

    /// The question in the other language the index holds pages in, when a translator is
    /// configured and has that pair: Serbian into English, English into Serbian. A failed
    /// translation is logged and the search goes on without it.
    async fn translate(&self, snap: &Snapshot, text: &str, lang: Lang) -> Option<(String, Lang)> {
        let translator = self.translator.as_ref()?;
        let to = if lang.is_serbian() && snap.holds_english {
            Lang::En
        } else if lang == Lang::En && snap.holds_serbian {
            Lang::SrLatn
        } else {
            return None;
        };
        if !translator.translates(lang, to) {
            return None;
        }
        match translator.translate(text, lang, to).await {
            Ok(t) => Some((t, to)),
            Err(e) => {
                tracing::warn!(error = %e, "searching without the question's translation");
                None
            }
        }
    }

    /// Search with a query vector embedded by the caller (`EmbedKind::Query`), e.g. evals that
    /// embed every question once in batches and compare modes; each hit comes with the
    /// features its confidence was computed from.
    pub fn search_embedded(
        &self,
        query: &SearchQuery,
        qvec: Option<&[f32]>,
        mode: SearchMode,
    ) -> Vec<(Hit, Option<ConfidenceFeatures>)> {
        let snap = self.snapshot();
        let qvecs: Vec<&[f32]> = qvec
            .filter(|v| v.len() == snap.dense.dim())
            .into_iter()
            .collect();
        let langs = vec![query.lang; qvecs.len()];
        rank(
            &snap,
            query.text.trim(),
            &qvecs,
            &langs,
            query,
            mode,
            &self.cfg,
            &self.confidence,
        )
    }

    /// Replaces the fusion/candidate settings of a live index (chunking settings only take
    /// effect on the next re-index).
    pub fn with_retrieval_config(mut self, cfg: RetrievalConfig) -> Self {
        self.cfg = cfg;
        self
    }

    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }
}

#[async_trait]
impl Retriever for HybridIndex {
    async fn search(&self, query: &SearchQuery) -> Result<Vec<Hit>, RetrievalError> {
        self.search_with(query, SearchMode::Hybrid).await
    }
}

/// Ranks one query against one snapshot (pure: no embedding, no locks). `lexical_text` is what
/// the lexical side searches (the question, with its translation when it has one), `qvecs` the
/// vectors of the query and of its variants (none: no dense side), `qlangs` the
/// language each is searched as; a chunk's cosine is its best over them. Each hit comes with the features its
/// confidence was computed from (None when there is no query vector).
#[allow(clippy::too_many_arguments)]
fn rank(
    snap: &Snapshot,
    lexical_text: &str,
    qvecs: &[&[f32]],
    qlangs: &[Option<Lang>],
    query: &SearchQuery,
    mode: SearchMode,
    cfg: &RetrievalConfig,
    confidence: &ConfidenceModel,
) -> Vec<(Hit, Option<ConfidenceFeatures>)> {
    let filters: &SearchFilters = &query.filters;
    let filtered = !filters.langs.is_empty() || !filters.tags.is_empty();
    let allow_fn = |row: usize| snap.allows(row, filters);
    let allow: Option<&dyn Fn(usize) -> bool> = if filtered { Some(&allow_fn) } else { None };
    let n = cfg.candidates.max(query.k);
    let shifts: Vec<QueryShift> = qvecs
        .iter()
        .zip(qlangs.iter().chain(std::iter::repeat(&None)))
        .map(|(q, lang)| snap.language_shift.for_query_in(q, *lang))
        .collect();
    let dense = match mode {
        SearchMode::Lexical => Vec::new(),
        _ => dense_candidates(snap, qvecs, &shifts, n, allow),
    };
    let lexical = match mode {
        SearchMode::Dense => Vec::new(),
        _ => snap.bm25.search(lexical_text, n, allow),
    };
    let fused: Vec<Fused> = match mode {
        SearchMode::Hybrid => match cfg.fusion {
            Fusion::Rrf => reciprocal_rank_fusion(&dense, &lexical, cfg.rrf_k, cfg.dense_weight),
            Fusion::Convex => convex_fusion(&dense, &lexical, cfg.dense_weight),
        },
        SearchMode::Dense => reciprocal_rank_fusion(&dense, &[], cfg.rrf_k, 1.0),
        SearchMode::Lexical => reciprocal_rank_fusion(&[], &lexical, cfg.rrf_k, 0.0),
    };
    // Exact cosines of all fused candidates (lexical-only candidates have none from the
    // graph), with the language taken out as the dense list's were.
    let cosines: Vec<Option<f32>> = fused
        .iter()
        .map(|f| {
            let v = snap.dense.vector(f.row)?;
            qvecs
                .iter()
                .zip(&shifts)
                .map(|(q, s)| snap.language_shift.adjust(s, f.row, dot(q, v)))
                .reduce(f32::max)
        })
        .collect();
    fused
        .iter()
        .zip(&cosines)
        .take(query.k)
        .map(|(f, cos)| {
            let features = cos.map(|c| ConfidenceFeatures {
                cosine: c,
                margin: margin_over_rivals(snap, &fused, &cosines, f.row, c),
                top_in_both: f.dense_rank == Some(1) && f.lexical_rank == Some(1),
            });
            let conf = features.map_or(0.0, |x| confidence.predict(&x));
            (to_hit(snap, f, *cos, conf), features)
        })
        .collect()
}

/// The `n` best chunks by their best cosine over the query vectors (language taken out),
/// best first. With several languages in the index the graph is asked for twice as many, so
/// a chunk the shift lifts past others is still among the candidates.
fn dense_candidates(
    snap: &Snapshot,
    qvecs: &[&[f32]],
    shifts: &[QueryShift],
    n: usize,
    allow: Option<&dyn Fn(usize) -> bool>,
) -> Vec<(usize, f32)> {
    let shift = &snap.language_shift;
    let fetch = if shift.is_active() { n * 2 } else { n };
    let mut best: HashMap<usize, f32> = HashMap::new();
    for (q, s) in qvecs.iter().zip(shifts) {
        for (row, c) in snap.dense.search(q, fetch, allow) {
            let c = shift.adjust(s, row, c);
            let e = best.entry(row).or_insert(c);
            *e = e.max(c);
        }
    }
    let mut out: Vec<(usize, f32)> = best.into_iter().collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(n);
    out
}

/// Chunks at least this similar to each other say the same thing: an FAQ answer restating a
/// policy paragraph measures 0.93–0.98 with multilingual-e5-small on the demo shop, passages on
/// different topics of the same shop 0.80–0.90.
const AGREEING_CHUNKS: f32 = 0.92;

/// Cosine of the hit minus the best cosine among its rivals: candidates from other documents
/// that do not restate it (chunk-to-chunk cosine below [`AGREEING_CHUNKS`]). Another chunk of
/// the same document, or a page that repeats the answer, is agreement, not competition; a
/// knowledge base that says one thing in two places must not lose confidence for it.
fn margin_over_rivals(
    snap: &Snapshot,
    fused: &[Fused],
    cosines: &[Option<f32>],
    row: usize,
    cosine: f32,
) -> f32 {
    let doc = snap.chunk_doc[row];
    let own = snap.dense.vector(row);
    let rival = fused
        .iter()
        .zip(cosines)
        .filter_map(|(other, c)| Some((other.row, (*c)?)))
        .filter(|(r, _)| snap.chunk_doc[*r] != doc)
        .filter(|(r, _)| match (own, snap.dense.vector(*r)) {
            (Some(a), Some(b)) => dot(a, b) < AGREEING_CHUNKS,
            _ => true,
        })
        .map(|(_, c)| c)
        .fold(f32::MIN, f32::max);
    // A lone candidate has no rival: treat it as clearly ahead.
    if rival == f32::MIN {
        0.1
    } else {
        cosine - rival
    }
}

fn to_hit(snap: &Snapshot, f: &Fused, cosine: Option<f32>, confidence: f32) -> Hit {
    let chunk = &snap.chunks[f.row];
    let doc = snap.doc_of_row(f.row);
    Hit {
        chunk_id: chunk.id.clone(),
        doc_id: doc.id.clone(),
        title: doc.title.clone(),
        url: doc.url.clone(),
        source: doc.source.clone(),
        lang: doc.lang,
        tags: doc.tags.clone(),
        kind: chunk.kind,
        section: chunk.section.clone(),
        question: chunk.question.clone(),
        text: chunk.text.clone(),
        scores: HitScores {
            dense: cosine.or(f.dense),
            lexical: f.lexical,
            fused: f.fused,
        },
        confidence,
        unit_vectors: snap.unit_vectors.get(f.row).cloned(),
    }
}

fn load_checked(
    roots: &[PathBuf],
    progress: Option<ProgressFn<'_>>,
) -> Result<(Vec<Document>, Vec<LoadIssue>), RetrievalError> {
    report(progress, IndexStage::Loading, 0, 1);
    let (docs, issues) = load_documents(roots);
    report(progress, IndexStage::Loading, 1, 1);
    if docs.is_empty() {
        let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        let mut msg = format!(
            "no knowledge documents found under {}",
            if roots.is_empty() {
                "(no roots given)".into()
            } else {
                roots.join(", ")
            }
        );
        if !issues.is_empty() {
            msg.push_str(&format!(
                "; {} file(s) could not be read: {}",
                issues.len(),
                issues
                    .iter()
                    .take(3)
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        msg.push_str(
            " (add .md, .html, .txt or .jsonl files, or point --kb / `knowledge` at them)",
        );
        return Err(RetrievalError::EmptyKnowledgeBase(msg));
    }
    Ok((docs, issues))
}

async fn load_persisted(
    data_dir: &Path,
    embedder: &dyn Embedder,
    cfg: &RetrievalConfig,
    hnsw: HnswParams,
) -> Result<Option<Snapshot>, RetrievalError> {
    let root = persist::index_dir(data_dir);
    let Some(gen) = persist::current_generation(&root)? else {
        return Ok(None);
    };
    if !gen.join("manifest.json").exists() {
        // A pointer to a generation that is gone (an older build's clean-up raced another
        // process): the index is derived data, so it is built again rather than refused.
        tracing::warn!(
            generation = %gen.display(),
            "the current index generation is missing; rebuilding the index"
        );
        return Ok(None);
    }
    let manifest = persist::read_manifest(&gen)?;
    if manifest.format_version != persist::FORMAT_VERSION {
        tracing::warn!(
            found = manifest.format_version,
            "index format changed; rebuilding the index"
        );
        return Ok(None);
    }
    let info = embedder.info();
    if manifest.embedding_model != info.model_id || manifest.dim != info.dim {
        return Err(RetrievalError::ModelMismatch {
            path: root.display().to_string(),
            found: manifest.embedding_model,
            found_dim: manifest.dim,
            expected: info.model_id,
            expected_dim: info.dim,
        });
    }
    let chunker = settings(cfg);
    let stored = tokio::task::spawn_blocking(move || {
        let stored = persist::read_generation(&gen, manifest)?;
        let model_id = stored.manifest.embedding_model;
        let unit_vectors = stored
            .unit_vectors
            .into_iter()
            .map(|vectors| {
                Arc::new(UnitVectors {
                    model_id: model_id.clone(),
                    vectors,
                })
            })
            .collect();
        Ok::<_, RetrievalError>(Snapshot::assemble(
            model_id,
            stored.manifest.chunker,
            stored.docs,
            stored.chunks,
            stored.manifest.dim,
            stored.vectors,
            unit_vectors,
            stored.bm25,
            hnsw,
        ))
    })
    .await
    .map_err(|e| RetrievalError::Io(format!("index loader stopped: {e}")))??;
    if stored.chunker != chunker {
        tracing::info!(
            "chunker settings changed; every document will be re-chunked and re-embedded"
        );
    }
    Ok(Some(stored))
}

async fn save(
    data_dir: &Path,
    snap: &Arc<Snapshot>,
    progress: Option<ProgressFn<'_>>,
) -> Result<(), RetrievalError> {
    report(progress, IndexStage::Saving, 0, 1);
    let (dir, snap) = (data_dir.to_path_buf(), snap.clone());
    tokio::task::spawn_blocking(move || persist::write_generation(&dir, &snap))
        .await
        .map_err(|e| RetrievalError::Io(format!("index writer stopped: {e}")))??;
    report(progress, IndexStage::Saving, 1, 1);
    Ok(())
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Builds a snapshot from `docs`, reusing chunks and vectors of unchanged documents in `base`.
async fn build_snapshot(
    base: Option<&Snapshot>,
    docs: Vec<Document>,
    embedder: &dyn Embedder,
    cfg: &RetrievalConfig,
    hnsw: HnswParams,
    progress: Option<ProgressFn<'_>>,
) -> Result<(Snapshot, IndexReport), RetrievalError> {
    let info = embedder.info();
    let chunker = settings(cfg);
    let base = base.filter(|b| {
        b.model_id == info.model_id && b.dense.dim() == info.dim && b.chunker == chunker
    });
    let dim = info.dim;

    // Per document: reused rows from the base, or freshly chunked text to embed.
    enum Source {
        Reused(Vec<usize>),
        Fresh(Vec<Chunk>),
    }
    let mut metas = Vec::with_capacity(docs.len());
    let mut sources = Vec::with_capacity(docs.len());
    let mut to_embed: Vec<String> = Vec::new();
    // Each fresh chunk's units, embedded now so that no question waits for them.
    let mut units_to_embed: Vec<Vec<String>> = Vec::new();
    for doc in &docs {
        let hash = doc.content_hash();
        let reused = base.and_then(|b| {
            b.doc(&doc.id)
                .filter(|m| m.hash == hash)
                .map(|_| b.doc_chunk_rows(&doc.id))
        });
        match reused {
            Some(rows) => sources.push(Source::Reused(rows)),
            None => {
                let chunks = chunk_document(doc, chunker);
                to_embed.extend(chunks.iter().map(|c| c.embed_text.clone()));
                units_to_embed.extend(chunks.iter().map(|c| {
                    let heading = unit_heading(c.question.as_deref(), &c.section, &doc.title);
                    unit_inputs(&c.text, c.kind == ChunkKind::Faq, heading)
                }));
                sources.push(Source::Fresh(chunks));
            }
        }
        metas.push(DocMeta {
            id: doc.id.clone(),
            title: doc.title.clone(),
            url: doc.url.clone(),
            lang: doc.lang,
            tags: doc.tags.clone(),
            kind: doc.kind,
            source: doc.source.clone(),
            hash,
        });
    }

    let total = to_embed.len();
    let unit_total: usize = units_to_embed.iter().map(Vec::len).sum();
    let progress_total = total + unit_total;
    report(progress, IndexStage::Embedding, 0, progress_total);
    let mut fresh_vectors: Vec<f32> = Vec::with_capacity(total * dim);
    for mut v in embed_passages(embedder, &to_embed, dim, progress, 0, progress_total).await? {
        normalise(&mut v);
        fresh_vectors.extend_from_slice(&v);
    }
    let flat_units: Vec<String> = units_to_embed.iter().flatten().cloned().collect();
    let mut unit_rows = embed_passages(embedder, &flat_units, dim, progress, total, progress_total)
        .await?
        .into_iter();
    let fresh_units: Vec<Arc<UnitVectors>> = units_to_embed
        .iter()
        .map(|inputs| {
            Arc::new(UnitVectors {
                model_id: info.model_id.clone(),
                vectors: unit_rows.by_ref().take(inputs.len()).collect(),
            })
        })
        .collect();

    let mut chunks = Vec::new();
    let mut unit_vectors = Vec::new();
    let mut vectors = Vec::with_capacity((total + base.map_or(0, |b| b.chunks.len())) * dim);
    let mut fresh_at = 0usize;
    let mut reused_chunks = 0;
    for source in sources {
        match source {
            Source::Reused(rows) => {
                let Some(b) = base else { continue };
                for row in rows {
                    chunks.push(b.chunks[row].clone());
                    unit_vectors.push(b.unit_vectors[row].clone());
                    vectors.extend_from_slice(b.dense.vector(row).unwrap_or(&[]));
                    reused_chunks += 1;
                }
            }
            Source::Fresh(cs) => {
                for c in cs {
                    chunks.push(c);
                    unit_vectors.push(fresh_units[fresh_at].clone());
                    vectors.extend_from_slice(&fresh_vectors[fresh_at * dim..(fresh_at + 1) * dim]);
                    fresh_at += 1;
                }
            }
        }
    }
    let present: std::collections::HashSet<&str> = metas.iter().map(|m| m.id.as_str()).collect();
    let removed_documents = base.map_or(0, |b| {
        b.docs
            .iter()
            .filter(|d| !present.contains(d.id.as_str()))
            .count()
    });
    let rep = IndexReport {
        documents: metas.len(),
        chunks: chunks.len(),
        embedded_chunks: total,
        reused_chunks,
        removed_documents,
        issues: Vec::new(),
        elapsed: Duration::ZERO,
    };
    report(progress, IndexStage::Building, 0, 1);
    let model_id = info.model_id;
    let snap = tokio::task::spawn_blocking(move || {
        Snapshot::assemble(
            model_id,
            chunker,
            metas,
            chunks,
            dim,
            vectors,
            unit_vectors,
            None,
            hnsw,
        )
    })
    .await
    .map_err(|e| RetrievalError::Io(format!("index builder stopped: {e}")))?;
    report(progress, IndexStage::Building, 1, 1);
    Ok((snap, rep))
}

/// `texts` embedded as passages in batches, each vector checked to have `dim` floats; progress
/// is reported as `done_before` + the texts embedded so far, of `total`.
async fn embed_passages(
    embedder: &dyn Embedder,
    texts: &[String],
    dim: usize,
    progress: Option<ProgressFn<'_>>,
    done_before: usize,
    total: usize,
) -> Result<Vec<Vec<f32>>, RetrievalError> {
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(EMBED_BATCH) {
        let vectors = embedder.embed(batch.to_vec(), EmbedKind::Passage).await?;
        if vectors.len() != batch.len() {
            return Err(InferenceError::Backend(format!(
                "embedder returned {} vectors for {} texts",
                vectors.len(),
                batch.len()
            ))
            .into());
        }
        if let Some(v) = vectors.iter().find(|v| v.len() != dim) {
            return Err(InferenceError::Backend(format!(
                "embedder returned dim {}, it declares {dim}",
                v.len()
            ))
            .into());
        }
        out.extend(vectors);
        report(
            progress,
            IndexStage::Embedding,
            done_before + out.len(),
            total,
        );
    }
    Ok(out)
}

/// Document ids of `hits` in rank order without repeats (several chunks of one document count once).
pub fn ranked_doc_ids(hits: &[Hit]) -> Vec<&str> {
    let mut seen = HashMap::new();
    hits.iter()
        .filter(|h| seen.insert(h.doc_id.as_str(), ()).is_none())
        .map(|h| h.doc_id.as_str())
        .collect()
}
