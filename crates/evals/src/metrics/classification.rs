//! Intent and escalation decisions: in-scope accuracy, out-of-scope recall, escalation P/R/F1.

use super::ratio;
use frontdesk_core::metrics as m;
use std::collections::BTreeMap;

/// Confusion counts of a yes/no decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BinaryCounts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl BinaryCounts {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut c = Self::default();
        for (gold, pred) in pairs {
            c.add(gold, pred);
        }
        c
    }
    pub fn add(&mut self, gold: bool, pred: bool) {
        match (gold, pred) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// F1; 0 when there were positives but none was found, absent when nothing was positive.
    pub fn f1(&self) -> Option<f64> {
        if self.tp + self.fp + self.fn_ == 0 {
            return None;
        }
        let (p, r) = (
            self.precision().unwrap_or(0.0),
            self.recall().unwrap_or(0.0),
        );
        Some(if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        })
    }
    /// Writes escalation precision/recall/F1 under their pinned names.
    pub fn write_escalation(&self, out: &mut BTreeMap<String, f64>) {
        for (name, v) in [
            (m::ESCALATION_PRECISION, self.precision()),
            (m::ESCALATION_RECALL, self.recall()),
            (m::ESCALATION_F1, self.f1()),
        ] {
            if let Some(v) = v {
                out.insert(name.to_string(), v);
            }
        }
    }
}

/// One classified row: the gold label and what the classifier decided.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentDecision {
    pub gold_intent: String,
    pub gold_in_scope: bool,
    pub pred_intent: String,
    pub pred_in_scope: bool,
    /// `id-oos` (in-domain but unsupported) or `ood-oos` (unrelated), when the data says.
    pub oos_type: Option<String>,
}

/// in_scope_accuracy: in-scope rows given the right intent and kept in scope;
/// false_escalation_rate: in-scope rows rejected as out of scope;
/// oos_recall (+ _ood / _id): out-of-scope rows rejected.
pub fn intent_metrics(rows: &[IntentDecision]) -> BTreeMap<String, f64> {
    let in_scope: Vec<&IntentDecision> = rows.iter().filter(|r| r.gold_in_scope).collect();
    let oos: Vec<&IntentDecision> = rows.iter().filter(|r| !r.gold_in_scope).collect();
    let mut out = BTreeMap::new();
    let mut put = |name: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(name.to_string(), v);
        }
    };
    put(
        m::IN_SCOPE_ACCURACY,
        ratio(
            in_scope
                .iter()
                .filter(|r| r.pred_in_scope && r.pred_intent == r.gold_intent)
                .count(),
            in_scope.len(),
        ),
    );
    put(
        m::FALSE_ESCALATION_RATE,
        ratio(
            in_scope.iter().filter(|r| !r.pred_in_scope).count(),
            in_scope.len(),
        ),
    );
    put(
        m::OOS_RECALL,
        ratio(oos.iter().filter(|r| !r.pred_in_scope).count(), oos.len()),
    );
    for (name, kind) in [(m::OOS_RECALL_OOD, "ood-oos"), (m::OOS_RECALL_ID, "id-oos")] {
        let of_kind: Vec<&&IntentDecision> = oos
            .iter()
            .filter(|r| r.oos_type.as_deref() == Some(kind))
            .collect();
        put(
            name,
            ratio(
                of_kind.iter().filter(|r| !r.pred_in_scope).count(),
                of_kind.len(),
            ),
        );
    }
    out
}

/// Share of pairs whose two decisions are identical.
pub fn agreement<T: PartialEq>(pairs: &[(T, T)]) -> Option<f64> {
    ratio(pairs.iter().filter(|(a, b)| a == b).count(), pairs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(
        gold: &str,
        gold_in: bool,
        pred: &str,
        pred_in: bool,
        oos_type: Option<&str>,
    ) -> IntentDecision {
        IntentDecision {
            gold_intent: gold.into(),
            gold_in_scope: gold_in,
            pred_intent: pred.into(),
            pred_in_scope: pred_in,
            oos_type: oos_type.map(String::from),
        }
    }

    #[test]
    fn binary_counts_table() {
        // gold, pred pairs → (precision, recall, f1)
        type Case = (Vec<(bool, bool)>, Option<f64>, Option<f64>, Option<f64>);
        let cases: Vec<Case> = vec![
            (
                vec![(true, true), (true, false), (false, true), (false, false)],
                Some(0.5),
                Some(0.5),
                Some(0.5),
            ),
            (
                vec![(true, true), (true, true), (true, false)],
                Some(1.0),
                Some(2.0 / 3.0),
                Some(0.8),
            ),
            (vec![(false, false)], None, None, None),
            (vec![(true, false)], None, Some(0.0), Some(0.0)),
        ];
        for (pairs, p, r, f) in cases {
            let c = BinaryCounts::from_pairs(pairs.clone());
            assert_eq!(c.precision(), p, "{pairs:?}");
            assert_eq!(c.recall(), r, "{pairs:?}");
            match (c.f1(), f) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{pairs:?}"),
                (a, b) => assert_eq!(a, b, "{pairs:?}"),
            }
        }
    }

    #[test]
    fn intent_metrics_hand_computed() {
        let rows = vec![
            d("card", true, "card", true, None),          // correct
            d("card", true, "transfer", true, None),      // wrong intent
            d("card", true, "out_of_scope", false, None), // false escalation
            d("card", true, "card", true, None),          // correct
            d("oos", false, "out_of_scope", false, Some("ood-oos")),
            d("oos", false, "card", true, Some("id-oos")),
            d("oos", false, "out_of_scope", false, Some("id-oos")),
        ];
        let got = intent_metrics(&rows);
        assert_eq!(got[m::IN_SCOPE_ACCURACY], 0.5);
        assert_eq!(got[m::FALSE_ESCALATION_RATE], 0.25);
        assert!((got[m::OOS_RECALL] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(got[m::OOS_RECALL_OOD], 1.0);
        assert_eq!(got[m::OOS_RECALL_ID], 0.5);
    }

    #[test]
    fn metrics_without_data_are_absent() {
        let got = intent_metrics(&[d("x", false, "out_of_scope", false, None)]);
        assert!(!got.contains_key(m::IN_SCOPE_ACCURACY));
        assert!(!got.contains_key(m::OOS_RECALL_ID));
        assert_eq!(got[m::OOS_RECALL], 1.0);
        assert_eq!(agreement(&[("a", "a"), ("a", "b")]), Some(0.5));
        assert_eq!(agreement::<&str>(&[]), None);
    }
}
