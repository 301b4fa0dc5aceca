//! The conversation engine: turns a customer message into the next move.

pub mod action_reading;
pub mod acts;
pub mod answer;
pub mod answer_kinds;
pub mod engine;
pub mod error;
pub mod flows;
pub mod intents;
pub mod knn;
pub mod label_model;
pub mod lang;
pub mod lm_reader;
pub mod order_ids;
pub mod phrases;
pub mod policy;
pub mod reader;
mod respond;
mod suggest;
pub mod summary;
pub mod templates;
pub mod understanding;
pub mod verify;
pub mod voice;

pub use engine::{Engine, EngineDeps};
pub use error::EngineError;
pub use intents::{
    load_intents_jsonl, HeadParams, IntentClassifier, IntentExample, IntentPrediction,
    IntentScoring, OosScore, OosThresholds, ThresholdRule, WhitenParams,
};
pub use lang::detect_language;
pub use policy::{decide, DraftCheck, RetrievalSignal};
pub use understanding::{understand, Entities, Flags, Money, Understanding};
pub use verify::verify;
pub use voice::{render_ssml, render_voice};
