//! What the engine's eval examples share: the embedder the engine serves with.

use std::sync::Arc;

/// multilingual-e5-small from the models directory, as `frontdesk serve` loads it by default.
pub fn e5_embedder() -> Result<Arc<dyn frontdesk_core::Embedder>, Box<dyn std::error::Error>> {
    let dir = frontdesk_inference::model_dir(&frontdesk_core::config::ModelsConfig::default());
    let file = dir.join("multilingual-e5-small/e5-small-q4.bin");
    Ok(Arc::new(frontdesk_inference::embed::spawn_e5(
        &file,
        &Default::default(),
    )?))
}
