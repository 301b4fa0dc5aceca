//! The report: a stable JSON schema (`evals/REPORT_SCHEMA.md`), rendered also as Markdown and
//! self-contained HTML, and compared with a stored baseline.

pub mod baseline;
pub mod html;
pub mod markdown;

use crate::error::EvalError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub type Metrics = BTreeMap<String, f64>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub generated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<String>,
    /// `in-process` or the target URL.
    #[serde(default)]
    pub target: String,
    /// The cargo profile the reporting binary was built with (`release` or `dev`). Latencies are
    /// compared with a baseline only when both were measured by binaries of the same profile: a
    /// dev-profile binary (CI's gate) is more than twice as slow as a release one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    pub suites: Vec<SuiteReport>,
}

/// A labelled square matrix: `matrix[i][j]` counts gold `labels[i]` decided as `labels[j]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    pub matrix: Vec<Vec<u64>>,
}

impl Confusion {
    pub fn new(labels: Vec<String>) -> Self {
        let n = labels.len();
        Self {
            labels,
            matrix: vec![vec![0; n]; n],
        }
    }
    pub fn add(&mut self, gold: &str, pred: &str) {
        let idx = |s: &str, labels: &mut Vec<String>, matrix: &mut Vec<Vec<u64>>| match labels
            .iter()
            .position(|l| l == s)
        {
            Some(i) => i,
            None => {
                labels.push(s.to_string());
                for row in matrix.iter_mut() {
                    row.push(0);
                }
                matrix.push(vec![0; labels.len()]);
                labels.len() - 1
            }
        };
        let g = idx(gold, &mut self.labels, &mut self.matrix);
        let p = idx(pred, &mut self.labels, &mut self.matrix);
        self.matrix[g][p] += 1;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    pub passed: bool,
    /// Why it failed (empty when passed).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Kind-specific detail: the question and ranked docs, the turns with replies, …
    #[serde(default)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuiteReport {
    pub name: String,
    pub kind: String,
    /// Retrieval suites: the search mode these numbers are for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    pub source: String,
    pub metrics: Metrics,
    /// How many questions / rows / cases / turns were scored.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    #[serde(default)]
    pub by_lang: BTreeMap<String, Metrics>,
    #[serde(default)]
    pub by_reason: BTreeMap<String, Metrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Confusion>,
    /// Per-turn or per-query latencies (for the histogram).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latencies_ms: Vec<f64>,
    #[serde(default)]
    pub notes: Vec<String>,
    pub cases: Vec<CaseRecord>,
}

impl Report {
    pub fn new(target: String, suites: Vec<SuiteReport>) -> Self {
        Self {
            schema_version: frontdesk_core::metrics::REPORT_SCHEMA_VERSION,
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            git: git_describe(),
            target,
            build: Some(build_profile().to_string()),
            suites,
        }
    }

    /// Whether latencies of `self` and `other` were measured by binaries of the same profile.
    pub fn same_build(&self, other: &Report) -> bool {
        self.build.is_some() && self.build == other.build
    }

    pub fn read(path: &Path) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
        let report: Report = serde_json::from_str(&text).map_err(|e| EvalError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if report.schema_version != frontdesk_core::metrics::REPORT_SCHEMA_VERSION {
            return Err(EvalError::Parse {
                path: path.to_path_buf(),
                line: 0,
                message: format!(
                    "report schema {} but this runner writes {}; regenerate the baseline",
                    report.schema_version,
                    frontdesk_core::metrics::REPORT_SCHEMA_VERSION
                ),
            });
        }
        Ok(report)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn git_describe() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

pub fn write_file(path: &Path, text: &str) -> Result<(), EvalError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| EvalError::Report {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    std::fs::write(path, text).map_err(|e| EvalError::Report {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Formats a metric for humans: rates as 0.xxx, milliseconds as integers.
pub fn fmt_metric(name: &str, v: f64) -> String {
    if name.ends_with("_ms") {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// The cargo profile this crate was compiled with, told by its debug assertions (on in `dev` and
/// `test`, off in `release`).
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_grows_labels() {
        let mut c = Confusion::new(vec!["none".into()]);
        c.add("none", "none");
        c.add("customer_request", "none");
        c.add("customer_request", "customer_request");
        assert_eq!(c.labels, vec!["none", "customer_request"]);
        assert_eq!(c.matrix, vec![vec![1, 0], vec![1, 1]]);
    }

    #[test]
    fn json_round_trips() {
        let mut s = SuiteReport {
            name: "x".into(),
            kind: "retrieval".into(),
            ..Default::default()
        };
        s.metrics.insert("mrr".into(), 0.5);
        let r = Report::new("in-process".into(), vec![s]);
        let back: Report = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }
}
