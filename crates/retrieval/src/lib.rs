//! Knowledge loading, chunking and hybrid search: an HNSW dense index and a BM25 lexical index,
//! fused by weighted reciprocal rank, with a calibrated per-hit confidence, persisted under the
//! data directory and updated incrementally (only changed documents are re-embedded).

pub mod bm25;
pub mod chunker;
pub mod dense;
pub mod document;
pub mod fusion;
pub mod index;
pub mod injection;
pub mod language_map;
pub mod language_shift;
pub mod loader;
pub mod persist;
pub mod snapshot;
pub mod translation;

pub use chunker::{Chunk, ChunkerSettings};
pub use dense::{clustered_unit_vectors, DenseIndex, HnswParams};
pub use document::{Body, Document, FaqPair, LoadIssue, Section};
pub use fusion::{fit_confidence, ConfidenceFeatures, ConfidenceModel};
pub use index::{
    ranked_doc_ids, HybridIndex, IndexProgress, IndexReport, IndexStage, ProgressFn, SearchMode,
};
pub use language_map::{LanguageMap, LanguageMaps};
pub use loader::load_documents;
pub use snapshot::{DocMeta, Snapshot};
