//! Local models on CPU. The only crate that names candle or tokenizers.
//! - `embed`: multilingual-e5-small (E5S1 4-bit file) and all-MiniLM-L6-v2 behind `Embedder`.
//! - `chat`: GGUF Qwen2/Llama chat models behind `ChatModel`.
//! - `catalog`: the model catalog, fetching from package registries, verification, and loading by name.

pub mod catalog;
pub mod chat;
pub mod embed;
pub mod kernels;

pub use catalog::{load_chat, load_embedder, model_dir, model_file_for_test};
