//! Text mechanisms the bot's crates share, each implemented once: folding (so keyword matching,
//! the lexical index and the verifier see "човек", "čovek" and "covek" as one word), Serbian
//! Cyrillic → Latin transliteration, and the sentence splitter (so the verifier, the reader and
//! the voice rendering agree on what a sentence is), the parts of a multi-part question, the readable units of a passage (so the
//! index and the reader agree on what a fact is), and the lexical terms of a text (stemmed
//! English and Serbian words; the lexical index and the reader's word overlap), and the phrase
//! matcher every word list is read with (`phrases`).
//!
//! The eval crate's metrics, judge and customer simulator keep their own versions on purpose: a
//! measure must share no code with the bot it measures, or a change here could move its score.

mod fold;
mod parts;
pub mod phrases;
mod sentences;
mod terms;
mod units;

pub use fold::{cyrillic_to_latin, fold, latin_to_cyrillic};
pub use parts::question_parts;
pub use sentences::{clauses, clauses_as_written, sentences};
pub use terms::{query_terms, terms};
pub use units::{
    is_table_line, is_table_separator, unit_embed_text, unit_heading, unit_inputs, units, Unit,
};
