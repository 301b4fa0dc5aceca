use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Model cache (default: the user's cache dir + `frontdesk/models`).
    pub model_dir: Option<PathBuf>,
    /// Catalog name of the chat model, or a path to a GGUF file.
    pub chat: String,
    /// Catalog name (or GGUF path) of a smaller chat model that drafts tokens for `chat`
    /// (draft-model speculative decoding): it runs beside the chat model, must share its
    /// vocabulary (checked at load; e.g. `qwen2.5-coder-0.5b-instruct` for
    /// `qwen2.5-coder-1.5b-instruct`) and only speeds up greedy requests, never changing their
    /// text beyond rounding. `None` (the default): prompt-lookup drafts, which need no second
    /// model. Env: `FRONTDESK_MODELS__DRAFT`.
    pub draft: Option<String>,
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
            draft: None,
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
