//! Regression check against a stored report, metric by metric.

use super::Report;
use std::collections::BTreeMap;

/// Metrics where lower is better; every other gated metric is higher-is-better.
pub fn lower_is_better(metric: &str) -> bool {
    use frontdesk_core::metrics as m;
    relative(metric)
        || [
            m::FALSE_ESCALATION_RATE,
            m::WRONG_ANSWER_RATE,
            m::UNANSWERABLE_ANSWERED_RATE,
            m::CUSTOMER_DEPARTURE_RATE,
        ]
        .contains(&metric)
}

/// Sizes compared relatively (`latency_tolerance`): latencies, which depend on the machine, and
/// reply lengths, which a small wording change moves by many characters.
fn relative(metric: &str) -> bool {
    metric.ends_with("_ms") || metric.ends_with("_chars")
}

/// Metrics recorded but not gated because neither direction is a regression on its own: fewer
/// declined answers is good when they became correct and bad when they became wrong, which the
/// gated correct and wrong rates already tell. Likewise how often a simulated customer ended its
/// conversation itself: task success tells whether that was right.
pub fn ungated(metric: &str) -> bool {
    use frontdesk_core::metrics as m;
    [m::DECLINED_RATE, m::CUSTOMER_ENDED_RATE].contains(&metric)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub suite: String,
    pub metric: String,
    pub baseline: f64,
    /// `None`: the metric (or the whole suite) is missing from the new report.
    pub current: Option<f64>,
}

impl std::fmt::Display for Regression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.current {
            Some(c) => write!(
                f,
                "{} {}: {:.4} → {:.4} ({:+.4})",
                self.suite,
                self.metric,
                self.baseline,
                c,
                c - self.baseline
            ),
            None => write!(
                f,
                "{} {}: {:.4} in the baseline, missing now",
                self.suite, self.metric, self.baseline
            ),
        }
    }
}

/// Tolerances: rates may drop by `tolerance` (absolute); latencies may grow by
/// `latency_tolerance` (relative, since they depend on the machine).
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub absolute: f64,
    pub latency_relative: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Self {
            absolute: 0.02,
            latency_relative: 0.5,
        }
    }
}

fn suite_key(s: &super::SuiteReport) -> String {
    match &s.mode {
        Some(m) => format!("{}/{m}", s.name),
        None => s.name.clone(),
    }
}

/// Latencies, as opposed to the other relatively compared sizes.
fn latency(metric: &str) -> bool {
    metric.ends_with("_ms")
}

/// Every (suite, metric) of `baseline` that got worse beyond the tolerance or disappeared.
/// Suites only in `current` are ignored (new suites cannot regress). Latencies are skipped unless
/// both reports were made by binaries of the same build profile (`Report::same_build`).
pub fn compare(baseline: &Report, current: &Report, tol: Tolerance) -> Vec<Regression> {
    let compare_latency = baseline.same_build(current);
    let now: BTreeMap<String, &super::SuiteReport> =
        current.suites.iter().map(|s| (suite_key(s), s)).collect();
    let mut out = Vec::new();
    for b in &baseline.suites {
        let key = suite_key(b);
        for (metric, &old) in &b.metrics {
            if ungated(metric) || (latency(metric) && !compare_latency) {
                continue;
            }
            let cur = now.get(&key).and_then(|s| s.metrics.get(metric)).copied();
            let worse = match cur {
                None => true,
                Some(c) if relative(metric) => c > old * (1.0 + tol.latency_relative) + 1.0,
                Some(c) if lower_is_better(metric) => c > old + tol.absolute + 1e-9,
                Some(c) => c < old - tol.absolute - 1e-9,
            };
            if worse {
                out.push(Regression {
                    suite: key.clone(),
                    metric: metric.clone(),
                    baseline: old,
                    current: cur,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::SuiteReport;

    fn report(metrics: &[(&str, f64)]) -> Report {
        let s = SuiteReport {
            name: "s".into(),
            kind: "retrieval".into(),
            mode: Some("hybrid".into()),
            metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..Default::default()
        };
        Report::new("in-process".into(), vec![s])
    }

    #[test]
    fn regression_table() {
        let tol = Tolerance::default();
        // (baseline, current, regressed metric names)
        type Case<'a> = (Vec<(&'a str, f64)>, Vec<(&'a str, f64)>, Vec<&'a str>);
        let cases: Vec<Case> = vec![
            (vec![("mrr", 0.80)], vec![("mrr", 0.79)], vec![]),
            (vec![("mrr", 0.80)], vec![("mrr", 0.77)], vec!["mrr"]),
            (vec![("mrr", 0.80)], vec![("mrr", 0.95)], vec![]),
            (
                vec![("false_escalation_rate", 0.10)],
                vec![("false_escalation_rate", 0.13)],
                vec!["false_escalation_rate"],
            ),
            (
                vec![("false_escalation_rate", 0.10)],
                vec![("false_escalation_rate", 0.01)],
                vec![],
            ),
            (
                vec![("latency_p95_ms", 100.0)],
                vec![("latency_p95_ms", 140.0)],
                vec![],
            ),
            (
                vec![("latency_p95_ms", 100.0)],
                vec![("latency_p95_ms", 200.0)],
                vec!["latency_p95_ms"],
            ),
            (
                vec![("wrong_answer_rate", 0.10)],
                vec![("wrong_answer_rate", 0.13)],
                vec!["wrong_answer_rate"],
            ),
            (
                vec![("wrong_answer_rate", 0.10)],
                vec![("wrong_answer_rate", 0.02)],
                vec![],
            ),
            (
                vec![("unanswerable_answered_rate", 0.40)],
                vec![("unanswerable_answered_rate", 0.50)],
                vec!["unanswerable_answered_rate"],
            ),
            (
                vec![("correct_answer_rate", 0.40)],
                vec![("correct_answer_rate", 0.30)],
                vec!["correct_answer_rate"],
            ),
            // Declined answers are recorded, not gated: either direction can be an improvement.
            (
                vec![("declined_rate", 0.40)],
                vec![("declined_rate", 0.10)],
                vec![],
            ),
            (vec![("declined_rate", 0.40)], vec![], vec![]),
            (
                vec![("reply_length_p50_chars", 200.0)],
                vec![("reply_length_p50_chars", 260.0)],
                vec![],
            ),
            (
                vec![("reply_length_p50_chars", 200.0)],
                vec![("reply_length_p50_chars", 420.0)],
                vec!["reply_length_p50_chars"],
            ),
            (
                vec![("mrr", 0.8), ("recall_at_1", 0.7)],
                vec![("mrr", 0.8)],
                vec!["recall_at_1"],
            ),
        ];
        for (b, c, want) in cases {
            let got: Vec<String> = compare(&report(&b), &report(&c), tol)
                .into_iter()
                .map(|r| r.metric)
                .collect();
            assert_eq!(got, want, "{b:?} → {c:?}");
        }
    }

    #[test]
    fn latencies_compare_only_between_binaries_of_one_build_profile() {
        let b = report(&[("latency_p95_ms", 100.0), ("reply_length_p50_chars", 200.0)]);
        let c = report(&[("latency_p95_ms", 300.0), ("reply_length_p50_chars", 420.0)]);
        let metrics = |b: &Report, c: &Report| -> Vec<String> {
            compare(b, c, Tolerance::default())
                .into_iter()
                .map(|r| r.metric)
                .collect()
        };
        assert_eq!(
            metrics(&b, &c),
            vec!["latency_p95_ms", "reply_length_p50_chars"]
        );
        for (old, new) in [
            (Some("release"), Some("dev")),
            (None, Some("dev")),
            (None, None),
        ] {
            let (mut b, mut c) = (b.clone(), c.clone());
            b.build = old.map(String::from);
            c.build = new.map(String::from);
            assert_eq!(
                metrics(&b, &c),
                vec!["reply_length_p50_chars"],
                "{old:?} → {new:?}"
            );
        }
    }

    #[test]
    fn a_missing_suite_regresses_every_metric() {
        let b = report(&[("mrr", 0.5)]);
        let mut c = b.clone();
        c.suites[0].mode = Some("dense".into());
        let r = compare(&b, &c, Tolerance::default());
        assert_eq!(r.len(), 1);
        assert!(r[0].to_string().contains("missing"), "{}", r[0]);
    }
}
