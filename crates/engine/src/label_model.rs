//! A model fitted on labelled example vectors: the intent classifier's (`intents.rs`:
//! whitened nearest neighbours and a softmax head), each label a class. The action reading
//! (`action_reading.rs`) reads a message's vector with it: on `evals/action-requests` it reads
//! requests in other words than its examples far better than the mean cosine of the nearest
//! examples (`knn.rs`), crates/engine/README.md, "Which action a message asks for". For the
//! request for a person it was measured and not taken (same README, "Acts of a message").

use crate::intents::{IntentClassifier, IntentExample};
use frontdesk_core::Embedder;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

pub struct LabelModel {
    classifier: IntentClassifier,
}

impl LabelModel {
    /// Fits the model on `examples` (vectors from `embedder`, each with its label); None when
    /// there are none or they cannot be fitted.
    pub fn fit(examples: &[(&[f32], &str)], embedder: Arc<dyn Embedder>) -> Option<LabelModel> {
        if examples.is_empty() {
            return None;
        }
        let rows = examples
            .iter()
            .map(|(_, label)| IntentExample {
                text: String::new(),
                intent: label.to_string(),
                in_scope: true,
                lang: None,
            })
            .collect();
        let vectors = examples.iter().map(|(v, _)| v.to_vec()).collect();
        match IntentClassifier::from_vectors(rows, vectors, embedder) {
            Ok(classifier) => Some(LabelModel { classifier }),
            Err(e) => {
                tracing::warn!(error = %e, "labelled examples could not be fitted");
                None
            }
        }
    }

    /// [`Self::fit`], remembered for the life of the process by the examples' labels and
    /// vectors: fitting takes a noticeable part of a second, and an evaluation builds an engine
    /// (with the same examples) for every case.
    pub fn fitted(
        examples: &[(&[f32], &str)],
        embedder: Arc<dyn Embedder>,
    ) -> Option<Arc<LabelModel>> {
        static FITTED: Mutex<Vec<(u64, Arc<LabelModel>)>> = Mutex::new(Vec::new());
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            for (v, label) in examples {
                label.hash(&mut h);
                v.iter().for_each(|x| x.to_bits().hash(&mut h));
            }
            h.finish()
        };
        let found = FITTED
            .lock()
            .ok()
            .and_then(|m| m.iter().find(|(k, _)| *k == key).map(|(_, m)| m.clone()));
        if found.is_some() {
            return found;
        }
        let model = Arc::new(Self::fit(examples, embedder)?);
        if let Ok(mut m) = FITTED.lock() {
            // A few sets of examples per business at most; the oldest goes first.
            if m.len() >= 16 {
                m.remove(0);
            }
            m.push((key, model.clone()));
        }
        Some(model)
    }

    /// The best label for the vector `v` and its lead: its probability less the second's.
    pub fn best(&self, v: &[f32]) -> Option<(&str, f32)> {
        let probs = self.probabilities(v);
        let mut order: Vec<usize> = (0..probs.len()).collect();
        order.sort_by(|a, b| probs[*b].total_cmp(&probs[*a]));
        let first = *order.first()?;
        let second = order.get(1).map_or(0.0, |&i| probs[i]);
        Some((
            self.classifier.classes()[first].as_str(),
            probs[first] - second,
        ))
    }

    fn probabilities(&self, v: &[f32]) -> Vec<f32> {
        self.classifier
            .class_probabilities(&[v.to_vec()])
            .unwrap_or_default()
    }
}
