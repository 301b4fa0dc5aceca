use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Model cache (default: the user's cache dir + `frontdesk/models`).
    pub model_dir: Option<PathBuf>,
    /// Catalog name of the chat model, or a path to a GGUF file.
    pub chat: String,
    /// Catalog name of the embedding model, or a path to a model folder/file.
    pub embed: String,
    /// Catalog file (models/catalog.toml in the repository; embedded copy when absent).
    pub catalog: Option<PathBuf>,
    /// Fetch missing models on start.
    pub auto_fetch: bool,
    /// Compute threads per model worker.
    pub threads: usize,
    /// Bounded request queue per model worker.
    pub chat_queue: usize,
    pub embed_queue: usize,
    /// Largest embedding micro-batch assembled from concurrent callers.
    pub embed_batch: usize,
}

impl Default for ModelsConfig {
    fn default() -> Self {
        Self {
            model_dir: None,
            chat: "qwen2.5-coder-0.5b-instruct".into(),
            embed: "multilingual-e5-small".into(),
            catalog: None,
            auto_fetch: true,
            threads: 2,
            chat_queue: 4,
            embed_queue: 64,
            embed_batch: 32,
        }
    }
}
