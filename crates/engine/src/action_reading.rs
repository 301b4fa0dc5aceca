//! The order or account action a message asks for (`understanding::Action`), read from
//! examples instead of keywords: "has it left your warehouse yet?" asks for the order's
//! status and "it's too tight, could I have a bigger one" for an exchange without the words a
//! keyword table holds, while "how many days until refunded money shows up?" asks for none.
//!
//! The examples (`acts/actions.jsonl`: each action the flows carry out, and "none" — questions
//! about policies that use the actions' words, product questions, reports of an action that
//! already happened —, in English and Serbian in both scripts, written for no eval set) are
//! part of the engine, since the flows are; a business's intent catalogue adds its rows (an
//! action intent's rows as that action, every other row as none). The reading is the intent
//! classifier's model fitted on those examples ([`ActionModel`]), applied to the same
//! embedding of the message as the acts; how it combines with the keywords and the intent
//! classifier: `flows::requested_action`.

use crate::label_model::LabelModel;
use crate::understanding::Action;
use frontdesk_core::Embedder;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The built-in examples, one JSON object per line: `{"text", "action", "lang"}` with `action`
/// an action intent's name (`cancel_order`, `return_items`, …) or `none`.
const EXAMPLES: &str = include_str!("acts/actions.jsonl");

/// How much the action's probability must lead every other label's to be read. Chosen on the
/// dev half of `evals/action-requests` (the `action_choice_eval` example), with and without
/// the demo catalogue.
pub const ACTION_MARGIN: f32 = 0.4;

/// Every label the reading tells apart: no action, then each action the flows carry out.
#[cfg(test)]
const LABELS: [Option<Action>; 9] = [
    None,
    Some(Action::Status),
    Some(Action::Refund),
    Some(Action::ChangeItems),
    Some(Action::Payment),
    Some(Action::OrderAddress),
    Some(Action::UserAddress),
    Some(Action::PlaceOrder),
    Some(Action::Recommend),
];

/// What the examples read a message as: the label that scores best (an action, or none) and how
/// far it leads the next.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActionReading {
    pub action: Option<Action>,
    pub lead: f32,
}

impl ActionReading {
    /// The action read, when it leads by `margin`.
    pub fn action_by(&self, margin: f32) -> Option<Action> {
        self.action.filter(|_| self.lead >= margin)
    }
    /// Whether the examples read no action, leading by `margin`.
    pub fn none_by(&self, margin: f32) -> bool {
        self.action.is_none() && self.lead >= margin
    }
}

#[derive(Deserialize)]
struct Row {
    text: String,
    action: String,
}

/// The label of an example or a catalogue row: the action of an action intent, none for any
/// other name.
pub fn label_of(intent: &str) -> Option<Action> {
    Action::from_intent(intent)
}

/// Parses examples in the JSONL form of `acts/actions.jsonl`; a line that does not parse, or
/// names neither an action intent nor `none`, is an error with its line number.
pub fn parse_action_examples(text: &str) -> Result<Vec<(String, Option<Action>)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: Row = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        let label = label_of(&row.action);
        if label.is_none() && row.action != "none" {
            return Err(format!("line {}: unknown action {}", i + 1, row.action));
        }
        out.push((row.text, label));
    }
    Ok(out)
}

/// The built-in action examples.
pub fn builtin_action_examples() -> Result<Vec<(String, Option<Action>)>, String> {
    parse_action_examples(EXAMPLES).map_err(|e| format!("acts/actions.jsonl {e}"))
}

/// The reading of the vector `v` against embedded examples.
/// The reading as a model: a [`LabelModel`] fitted on the embedded examples, each label a
/// class; its lead is the best class's probability less the second's. Chosen over scoring the
/// nearest examples (`knn.rs`, as the yes/no reading does) on the dev half of
/// `evals/action-requests` (crates/engine/README.md, "Which action a message asks for").
pub struct ActionModel {
    model: Arc<LabelModel>,
}

impl ActionModel {
    /// The model of `examples` (vectors from `embedder`), fitted once per process for the same
    /// examples; None when there are none.
    pub fn fitted(
        examples: &[(Vec<f32>, Option<Action>)],
        embedder: Arc<dyn Embedder>,
    ) -> Option<ActionModel> {
        let labelled: Vec<(&[f32], &str)> = examples
            .iter()
            .map(|(v, label)| (v.as_slice(), class_of(*label)))
            .collect();
        LabelModel::fitted(&labelled, embedder).map(|model| ActionModel { model })
    }

    /// The reading of the message's vector `v`.
    pub fn read(&self, v: &[f32]) -> ActionReading {
        match self.model.best(v) {
            Some((class, lead)) => ActionReading {
                action: action_of_class(class),
                lead,
            },
            None => ActionReading {
                action: None,
                lead: 0.0,
            },
        }
    }
}

/// The class a label is fitted as: one intent name per action (cancel and return are one flow,
/// as are exchange and modify), and a name of its own for none.
fn class_of(label: Option<Action>) -> &'static str {
    use frontdesk_core::intents as i;
    match label {
        None => NO_ACTION,
        Some(Action::Status) => i::ORDER_STATUS,
        Some(Action::Refund) => i::CANCEL_ORDER,
        Some(Action::ChangeItems) => i::EXCHANGE_ITEMS,
        Some(Action::Payment) => i::CHANGE_PAYMENT_METHOD,
        Some(Action::OrderAddress) => i::CHANGE_ORDER_ADDRESS,
        Some(Action::UserAddress) => i::CHANGE_DEFAULT_ADDRESS,
        Some(Action::PlaceOrder) => i::PLACE_ORDER,
        Some(Action::Recommend) => i::RECOMMEND_PRODUCT,
    }
}

fn action_of_class(class: &str) -> Option<Action> {
    (class != NO_ACTION)
        .then(|| Action::from_intent(class))
        .flatten()
}

/// The class of the examples that ask for no action (not an intent name of the catalogue's).
const NO_ACTION: &str = "no_action";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_examples_parse_and_cover_every_label_in_every_language() {
        let rows: Vec<serde_json::Value> = EXAMPLES
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let examples = builtin_action_examples().unwrap();
        for lang in ["en", "sr-Latn", "sr-Cyrl"] {
            for label in LABELS {
                let n = rows
                    .iter()
                    .zip(&examples)
                    .filter(|(r, (_, l))| r["lang"] == lang && *l == label)
                    .count();
                assert!(n >= 5, "{lang} {label:?}: {n} examples");
            }
        }
    }

    #[test]
    fn a_bad_line_names_its_number() {
        let err = parse_action_examples(
            "{\"text\":\"where is it\",\"action\":\"order_status\"}\n{\"text\":\"x\",\"action\":\"fly\"}",
        )
        .unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
    }

    #[test]
    fn the_model_reads_the_nearest_label_with_its_lead() {
        // Two clusters of examples around two directions; a message near one is read as it.
        let around = |x: f32, y: f32, n: usize| -> Vec<Vec<f32>> {
            (0..n)
                .map(|i| {
                    let d = 0.05 * i as f32;
                    let v = [x + d, y - d, d];
                    let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt();
                    v.iter().map(|a| a / norm).collect()
                })
                .collect()
        };
        let mut examples: Vec<(Vec<f32>, Option<Action>)> = around(1.0, 0.0, 6)
            .into_iter()
            .map(|v| (v, Some(Action::Status)))
            .collect();
        examples.extend(around(0.0, 1.0, 6).into_iter().map(|v| (v, None)));
        let embedder = Arc::new(frontdesk_core::testing::HashEmbedder::new(3));
        let model = ActionModel::fitted(&examples, embedder.clone()).unwrap();
        let r = model.read(&[0.95, 0.1, 0.0]);
        assert_eq!(r.action, Some(Action::Status));
        assert!(r.lead > 0.0 && r.lead <= 1.0, "{}", r.lead);
        assert_eq!(r.action_by(0.0), Some(Action::Status));
        assert_eq!(r.action_by(1.01), None);
        let none = model.read(&[0.1, 0.95, 0.0]);
        assert!(none.none_by(0.0) && none.action_by(0.0).is_none());
        // Fitted once per set of examples.
        let a = ActionModel::fitted(&examples, embedder.clone()).unwrap();
        let b = ActionModel::fitted(&examples, embedder).unwrap();
        assert!(Arc::ptr_eq(&a.model, &b.model));
        assert!(
            ActionModel::fitted(&[], Arc::new(frontdesk_core::testing::HashEmbedder::new(3)))
                .is_none()
        );
    }
}
