//! Machine translation of a customer's question between the languages the bot serves: the seam
//! a search uses to meet pages written in another language than the question. Query side only:
//! a translation is one more way of searching, never text a customer is shown.

use crate::Lang;
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TranslationError {
    /// The translator cannot run here (not installed, a language pair it lacks).
    #[error("translation unavailable: {0}")]
    Unavailable(String),
    /// It ran and failed (crashed, timed out, wrote no text).
    #[error("translation failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait Translator: Send + Sync {
    /// Whether `from` → `to` is a pair this translator has (Serbian's scripts count as one
    /// language on both sides).
    fn translates(&self, from: Lang, to: Lang) -> bool;
    /// `text` in `to` (Serbian written in Latin script).
    async fn translate(&self, text: &str, from: Lang, to: Lang)
        -> Result<String, TranslationError>;
}
