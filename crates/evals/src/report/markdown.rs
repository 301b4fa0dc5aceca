//! Markdown summary: one table per suite, then its breakdowns and failing cases (ids and reasons).

use super::{fmt_metric, Report, SuiteReport};
use std::fmt::Write;

const MAX_FAILURES: usize = 20;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# frontdesk eval report\n");
    let _ = writeln!(
        out,
        "Generated {} · target `{}`{} · schema v{}\n",
        report.generated_at,
        report.target,
        report
            .git
            .as_ref()
            .map(|g| format!(" · git `{g}`"))
            .unwrap_or_default(),
        report.schema_version
    );
    let _ = writeln!(out, "| suite | kind | key metrics |\n|---|---|---|");
    for s in &report.suites {
        let key: Vec<String> = s
            .metrics
            .iter()
            .take(4)
            .map(|(k, v)| format!("{k} {}", fmt_metric(k, *v)))
            .collect();
        let _ = writeln!(out, "| {} | {} | {} |", title(s), s.kind, key.join(", "));
    }
    for s in &report.suites {
        suite(&mut out, s);
    }
    out
}

fn title(s: &SuiteReport) -> String {
    match &s.mode {
        Some(m) => format!("{} ({m})", s.name),
        None => s.name.clone(),
    }
}

fn suite(out: &mut String, s: &SuiteReport) {
    let _ = writeln!(out, "\n## {} — {}\n", title(s), s.kind);
    let _ = writeln!(out, "Source: `{}`  ", s.source);
    let counts: Vec<String> = s.counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "Counts: {}\n", counts.join(", "));
    }
    let langs: Vec<&String> = s.by_lang.keys().collect();
    let _ = write!(out, "| metric | all |");
    for l in &langs {
        let _ = write!(out, " {l} |");
    }
    let _ = write!(out, "\n|---|---|");
    for _ in &langs {
        let _ = write!(out, "---|");
    }
    let _ = writeln!(out);
    for (k, v) in &s.metrics {
        let _ = write!(out, "| {k} | {} |", fmt_metric(k, *v));
        for l in &langs {
            let cell = s
                .by_lang
                .get(*l)
                .and_then(|m| m.get(k))
                .map(|v| fmt_metric(k, *v))
                .unwrap_or_else(|| "–".into());
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out);
    }
    if !s.by_reason.is_empty() {
        let _ = writeln!(
            out,
            "\n| escalation reason | precision | recall | f1 |\n|---|---|---|---|"
        );
        for (reason, m) in &s.by_reason {
            let g = |k: &str| {
                m.get(k)
                    .map(|v| format!("{v:.3}"))
                    .unwrap_or_else(|| "–".into())
            };
            let _ = writeln!(
                out,
                "| {reason} | {} | {} | {} |",
                g("escalation_precision"),
                g("escalation_recall"),
                g("escalation_f1")
            );
        }
    }
    for n in &s.notes {
        let _ = writeln!(out, "\n> {n}");
    }
    let failed: Vec<_> = s.cases.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let _ = writeln!(
            out,
            "\nFailing cases ({} of {}):\n",
            failed.len(),
            s.cases.len()
        );
        for c in failed.iter().take(MAX_FAILURES) {
            let _ = writeln!(out, "- `{}`: {}", c.id, c.reasons.join("; "));
        }
        if failed.len() > MAX_FAILURES {
            let _ = writeln!(
                out,
                "- … {} more in the JSON/HTML report",
                failed.len() - MAX_FAILURES
            );
        }
    }
}
