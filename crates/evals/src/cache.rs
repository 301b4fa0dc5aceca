//! An embedding cache for one eval run: cross-validation folds and repeated suites embed the
//! same texts many times; the model is the slow part, so each (kind, text) is embedded once.

use async_trait::async_trait;
use frontdesk_core::{EmbedKind, Embedder, EmbedderInfo, InferenceError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct CachingEmbedder {
    inner: Arc<dyn Embedder>,
    cache: Mutex<HashMap<(bool, String), Vec<f32>>>,
}

impl CachingEmbedder {
    pub fn new(inner: Arc<dyn Embedder>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            cache: Mutex::new(HashMap::new()),
        })
    }
    pub fn len(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn key(kind: EmbedKind, text: &str) -> (bool, String) {
    (kind == EmbedKind::Query, text.to_string())
}

#[async_trait]
impl Embedder for CachingEmbedder {
    fn info(&self) -> EmbedderInfo {
        self.inner.info()
    }

    async fn embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        let missing: Vec<String> = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            let mut seen = std::collections::HashSet::new();
            texts
                .iter()
                .filter(|t| !cache.contains_key(&key(kind, t)) && seen.insert(t.as_str()))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let vectors = self.inner.embed(missing.clone(), kind).await?;
            if vectors.len() != missing.len() {
                return Err(InferenceError::Backend(format!(
                    "embedder returned {} vectors for {} texts",
                    vectors.len(),
                    missing.len()
                )));
            }
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            for (t, v) in missing.into_iter().zip(vectors) {
                cache.insert(key(kind, &t), v);
            }
        }
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        texts
            .iter()
            .map(|t| {
                cache
                    .get(&key(kind, t))
                    .cloned()
                    .ok_or_else(|| InferenceError::Backend("embedding cache lost a vector".into()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::testing::CountingEmbedder;

    #[tokio::test]
    async fn each_text_is_embedded_once_per_kind() {
        let inner = Arc::new(CountingEmbedder::new(32));
        let cache = CachingEmbedder::new(inner.clone());
        let a = cache
            .embed(vec!["x".into(), "y".into(), "x".into()], EmbedKind::Query)
            .await
            .unwrap();
        let b = cache
            .embed(vec!["y".into()], EmbedKind::Query)
            .await
            .unwrap();
        cache
            .embed(vec!["y".into()], EmbedKind::Passage)
            .await
            .unwrap();
        assert_eq!(a[1], b[0]);
        assert_eq!(a[0], a[2]);
        assert_eq!(inner.texts(), 3);
    }
}
