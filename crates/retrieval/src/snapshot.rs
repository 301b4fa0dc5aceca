//! One immutable, complete index generation: documents, chunks, vectors, the dense graph and
//! the lexical index. Searches hold an `Arc` to one snapshot, so a re-index never shows a mix.

use crate::bm25::{Bm25Index, Bm25Params};
use crate::chunker::{Chunk, ChunkerSettings};
use crate::dense::{DenseIndex, HnswParams};
use crate::language_shift::LanguageShift;
use frontdesk_core::retrieval::{ChunkKind, SearchFilters, UnitVectors};
use frontdesk_core::Lang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// A document's metadata as kept in the index (its text lives in its chunks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocMeta {
    pub id: String,
    pub title: String,
    pub url: Option<String>,
    pub lang: Lang,
    pub tags: Vec<String>,
    pub kind: ChunkKind,
    pub source: String,
    /// sha256 of the loaded document; unchanged hash → stored chunks and vectors are reused.
    pub hash: String,
}

pub struct Snapshot {
    pub model_id: String,
    pub chunker: ChunkerSettings,
    pub docs: Vec<DocMeta>,
    pub chunks: Vec<Chunk>,
    /// Row of `chunks` → its units' vectors (`frontdesk_core::text::unit_inputs`), which
    /// every hit carries to the reader.
    pub unit_vectors: Vec<Arc<UnitVectors>>,
    /// Row of `chunks` → row of `docs`.
    pub chunk_doc: Vec<usize>,
    pub dense: DenseIndex,
    pub bm25: Bm25Index,
    /// Takes the language out of query–chunk cosines when the index holds several languages.
    pub language_shift: LanguageShift,
    /// Whether any document is in Serbian (either script): an English question is then also
    /// searched through the English → Serbian map (`language_map.rs`).
    pub holds_serbian: bool,
    /// Whether any document is in English: a Serbian question is then also searched as its
    /// translation into English, when a translator is configured.
    pub holds_english: bool,
    doc_by_id: HashMap<String, usize>,
    chunk_by_id: HashMap<String, usize>,
}

impl Snapshot {
    /// `vectors`: one row of `dim` floats per chunk, in chunk order. `unit_vectors`: each
    /// chunk's units' vectors, in chunk order. `bm25`: a stored lexical index for exactly these
    /// chunks, or None to build one.
    #[allow(clippy::too_many_arguments)]
    pub fn assemble(
        model_id: String,
        chunker: ChunkerSettings,
        docs: Vec<DocMeta>,
        chunks: Vec<Chunk>,
        dim: usize,
        vectors: Vec<f32>,
        unit_vectors: Vec<Arc<UnitVectors>>,
        bm25: Option<Bm25Index>,
        hnsw: HnswParams,
    ) -> Self {
        let doc_by_id: HashMap<String, usize> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        let chunk_by_id = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let chunk_doc: Vec<usize> = chunks
            .iter()
            .map(|c| doc_by_id.get(&c.doc_id).copied().unwrap_or(0))
            .collect();
        let row_lang: Vec<Lang> = chunk_doc
            .iter()
            .map(|&d| docs.get(d).map_or(Lang::En, |doc| doc.lang))
            .collect();
        let language_shift = LanguageShift::build(dim, &vectors, &row_lang);
        let bm25 = match bm25 {
            Some(b) if b.len() == chunks.len() => b,
            _ => Bm25Index::build(
                chunks
                    .iter()
                    .map(|c| c.embed_text.as_str())
                    .zip(row_lang.iter().copied()),
                Bm25Params::default(),
            ),
        };
        let dense = DenseIndex::build(dim, vectors, hnsw);
        let holds_serbian = docs.iter().any(|d| d.lang.is_serbian());
        let holds_english = docs.iter().any(|d| d.lang == Lang::En);
        Self {
            model_id,
            chunker,
            docs,
            chunks,
            unit_vectors,
            chunk_doc,
            dense,
            bm25,
            language_shift,
            holds_serbian,
            holds_english,
            doc_by_id,
            chunk_by_id,
        }
    }

    pub fn doc(&self, id: &str) -> Option<&DocMeta> {
        self.doc_by_id.get(id).map(|&i| &self.docs[i])
    }

    pub fn chunk(&self, id: &str) -> Option<&Chunk> {
        self.chunk_by_id.get(id).map(|&i| &self.chunks[i])
    }

    /// Rows of the chunks of one document, in order.
    pub fn doc_chunk_rows(&self, doc_id: &str) -> Vec<usize> {
        self.chunks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.doc_id == doc_id)
            .map(|(i, _)| i)
            .collect()
    }

    pub fn doc_of_row(&self, row: usize) -> &DocMeta {
        &self.docs[self.chunk_doc[row]]
    }

    /// Whether a chunk passes the filters (language of its document, all tags present).
    pub fn allows(&self, row: usize, filters: &SearchFilters) -> bool {
        let doc = self.doc_of_row(row);
        (filters.langs.is_empty() || filters.langs.contains(&doc.lang))
            && filters
                .tags
                .iter()
                .all(|t| doc.tags.iter().any(|d| d.eq_ignore_ascii_case(t)))
    }
}
