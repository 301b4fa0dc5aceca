use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Chunk budget in (approximate) tokens, and overlap between consecutive chunks.
    pub chunk_tokens: usize,
    pub chunk_overlap: usize,
    /// Candidates taken from each of the dense and lexical lists before fusion.
    pub candidates: usize,
    /// How the dense and lexical lists become one ranking.
    pub fusion: Fusion,
    /// Reciprocal-rank-fusion constant (`fusion = "rrf"` only).
    pub rrf_k: f32,
    /// Weight of the dense list in the fusion (lexical gets 1 - dense_weight).
    pub dense_weight: f32,
    /// Also search a Serbian question as its image under the built-in Serbian → English map
    /// of the embedder's space (`frontdesk_retrieval::language_map`), so it meets the English
    /// page that answers it, and an English question as its image in Serbian when the index
    /// holds Serbian pages. Query side only: the index is the same either way.
    pub language_map: bool,
    /// Also search a question as its machine translation into the other language the index
    /// holds pages in (Serbian → English, English → Serbian): `apertium` (the rule-based
    /// translator, when installed with its Serbo-Croatian–English pair; without it a warning and
    /// no translation) or `off`. Query side only; the customer never sees the translation. (The
    /// engine's order-item reader has its own switch, `engine.item_translation`.)
    pub translate_questions: QuestionTranslator,
    /// The Apertium command (`apertium` on the PATH by default).
    pub apertium_command: String,
}

/// The machine translator questions are searched through (`retrieval.translate_questions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionTranslator {
    Off,
    Apertium,
}

/// The fusion of the dense and lexical candidate lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    /// Weighted reciprocal ranks: only the order of each list counts.
    Rrf,
    /// A convex combination of each list's scores, min-max normalised over its candidates: how
    /// far apart two candidates are counts, not only their order.
    Convex,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        Self {
            chunk_tokens: 220,
            chunk_overlap: 40,
            candidates: 50,
            fusion: Fusion::Convex,
            rrf_k: 60.0,
            dense_weight: 0.7,
            language_map: true,
            translate_questions: QuestionTranslator::Off,
            apertium_command: "apertium".into(),
        }
    }
}
