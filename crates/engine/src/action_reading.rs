//! The order or account action a message asks for (`understanding::Action`), read from
//! examples instead of keywords: "has it left your warehouse yet?" asks for the order's
//! status and "it's too tight, could I have a bigger one" for an exchange without the words a
//! keyword table holds, while "how many days until refunded money shows up?" asks for none.
//!
//! The examples (`acts/actions.jsonl`: each action the flows carry out, and "none" — questions
//! about policies that use the actions' words, product questions, reports of an action that
//! already happened —, in English and Serbian in both scripts, written for no eval set) are
//! part of the engine, since the flows are; a business's intent catalogue adds its rows (an
//! action intent's rows as that action, every other row as none). The reading uses the
//! nearest-example scoring of the acts (`knn.rs`) on the same embedding of the message; how
//! it combines with the keywords and the intent classifier: `flows::requested_action`.

use crate::understanding::Action;
use serde::{Deserialize, Serialize};

/// The built-in examples, one JSON object per line: `{"text", "action", "lang"}` with `action`
/// an action intent's name (`cancel_order`, `return_items`, …) or `none`.
const EXAMPLES: &str = include_str!("acts/actions.jsonl");

/// Nearest examples averaged per label.
const TOP: usize = 3;

/// How much an action (or none) must lead every other label to be read. Chosen on the dev half
/// of `evals/action-requests` (the `action_choice_eval` example).
pub const ACTION_MARGIN: f32 = 0.005;

/// Every label the reading tells apart: no action, then each action the flows carry out.
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
pub fn read_action(v: &[f32], examples: &[(Vec<f32>, Option<Action>)]) -> ActionReading {
    let scores = crate::knn::label_scores(v, examples.iter(), &LABELS, TOP);
    let best = (0..LABELS.len())
        .max_by(|a, b| scores[*a].total_cmp(&scores[*b]))
        .unwrap_or(0);
    ActionReading {
        action: LABELS[best],
        lead: crate::knn::lead(&scores, best),
    }
}

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
    fn the_leading_label_is_read_with_its_lead() {
        let examples = vec![
            (vec![1.0, 0.0], Some(Action::Status)),
            (vec![0.0, 1.0], None),
        ];
        let r = read_action(&[0.8, 0.6], &examples);
        assert_eq!(r.action, Some(Action::Status));
        assert!((r.lead - 0.2).abs() < 1e-6);
        assert_eq!(r.action_by(0.1), Some(Action::Status));
        assert_eq!(r.action_by(0.3), None);
        let none = read_action(&[0.0, 1.0], &examples);
        assert!(none.none_by(0.5) && none.action_by(0.0).is_none());
    }
}
