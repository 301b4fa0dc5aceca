//! Self-contained HTML report: inline CSS and SVG (score bars, latency histogram, escalation
//! confusion matrix) and the failing cases with their conversation, passages and reasons.

use super::{fmt_metric, Confusion, Report, SuiteReport};
use crate::metrics::stats::histogram;
use std::fmt::Write;

const MAX_FAILURES: usize = 50;

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}h1{margin-bottom:0}\
.meta{color:#666}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}\
th{background:#f4f4f4}section{border-top:2px solid #ccc;margin-top:2em}.fail{color:#b00}.ok{color:#070}\
details{margin:.4em 0;padding:.3em .6em;background:#fafafa;border:1px solid #eee}pre{white-space:pre-wrap;margin:.2em 0}\
.charts{display:flex;flex-wrap:wrap;gap:2em}.say{color:#036}.bot{color:#333}.psg{color:#555;font-size:90%;border-left:3px solid #ccc;padding-left:.5em}";

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(out, "<!doctype html><html><head><meta charset=\"utf-8\"><title>frontdesk eval report</title><style>{CSS}</style></head><body>");
    let _ = write!(
        out,
        "<h1>frontdesk eval report</h1><p class=\"meta\">{} · target {} · schema v{}{}</p>",
        esc(&report.generated_at),
        esc(&report.target),
        report.schema_version,
        report
            .git
            .as_ref()
            .map(|g| format!(" · git {}", esc(g)))
            .unwrap_or_default()
    );
    let _ = write!(
        out,
        "<table><tr><th>suite</th><th>kind</th><th>cases</th><th>failing</th></tr>"
    );
    for s in &report.suites {
        let failing = s.cases.iter().filter(|c| !c.passed).count();
        let _ = write!(
            out,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            anchor(s),
            esc(&title(s)),
            esc(&s.kind),
            s.cases.len(),
            failing
        );
    }
    out.push_str("</table>");
    for s in &report.suites {
        suite(&mut out, s);
    }
    out.push_str("</body></html>\n");
    out
}

fn title(s: &SuiteReport) -> String {
    match &s.mode {
        Some(m) => format!("{} ({m})", s.name),
        None => s.name.clone(),
    }
}

fn anchor(s: &SuiteReport) -> String {
    title(s)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn suite(out: &mut String, s: &SuiteReport) {
    let _ = write!(
        out,
        "<section id=\"{}\"><h2>{} <small>{}</small></h2><p class=\"meta\">{}</p>",
        anchor(s),
        esc(&title(s)),
        esc(&s.kind),
        esc(&s.source)
    );
    out.push_str("<div class=\"charts\">");
    score_bars(out, s);
    if !s.latencies_ms.is_empty() {
        latency_histogram(out, &s.latencies_ms);
    }
    if let Some(c) = &s.confusion {
        confusion(out, c);
    }
    out.push_str("</div>");
    // Metric table with the per-language breakdown.
    let langs: Vec<&String> = s.by_lang.keys().collect();
    let _ = write!(out, "<table><tr><th>metric</th><th>all</th>");
    for l in &langs {
        let _ = write!(out, "<th>{}</th>", esc(l));
    }
    out.push_str("</tr>");
    for (k, v) in &s.metrics {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td>", esc(k), fmt_metric(k, *v));
        for l in &langs {
            let cell = s
                .by_lang
                .get(*l)
                .and_then(|m| m.get(k))
                .map(|v| fmt_metric(k, *v))
                .unwrap_or_else(|| "–".into());
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    if !s.by_reason.is_empty() {
        out.push_str("<table><tr><th>escalation reason</th><th>precision</th><th>recall</th><th>f1</th></tr>");
        for (reason, m) in &s.by_reason {
            let g = |k: &str| {
                m.get(k)
                    .map(|v| format!("{v:.3}"))
                    .unwrap_or_else(|| "–".into())
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(reason),
                g("escalation_precision"),
                g("escalation_recall"),
                g("escalation_f1")
            );
        }
        out.push_str("</table>");
    }
    for n in &s.notes {
        let _ = write!(out, "<p class=\"meta\">{}</p>", esc(n));
    }
    let failed: Vec<_> = s.cases.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let _ = write!(
            out,
            "<h3 class=\"fail\">Failing cases: {} of {}</h3>",
            failed.len(),
            s.cases.len()
        );
        for c in failed.iter().take(MAX_FAILURES) {
            let _ = write!(
                out,
                "<details><summary><b>{}</b>{} — <span class=\"fail\">{}</span></summary>",
                esc(&c.id),
                c.lang
                    .as_ref()
                    .map(|l| format!(" [{}]", esc(l)))
                    .unwrap_or_default(),
                esc(&c.reasons.join("; "))
            );
            case_detail(out, &c.detail);
            out.push_str("</details>");
        }
        if failed.len() > MAX_FAILURES {
            let _ = write!(
                out,
                "<p>… {} more in the JSON report.</p>",
                failed.len() - MAX_FAILURES
            );
        }
    }
    out.push_str("</section>");
}

/// Renders a case's detail: conversation turns (`turns[].say/reply/passages`) when present,
/// else the question with its ranked documents, else the raw JSON.
fn case_detail(out: &mut String, detail: &serde_json::Value) {
    let s = |v: &serde_json::Value| {
        v.as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string())
    };
    if let Some(turns) = detail.get("turns").and_then(|t| t.as_array()) {
        for t in turns {
            let _ = write!(
                out,
                "<pre class=\"say\">customer: {}</pre>",
                esc(&t.get("say").map(s).unwrap_or_default())
            );
            let _ = write!(
                out,
                "<pre class=\"bot\">bot: {}</pre>",
                esc(&t.get("reply").map(s).unwrap_or_default())
            );
            if let Some(r) = t
                .get("reasons")
                .and_then(|r| r.as_array())
                .filter(|r| !r.is_empty())
            {
                let _ = write!(
                    out,
                    "<pre class=\"fail\">{}</pre>",
                    esc(&r.iter().map(s).collect::<Vec<_>>().join("; "))
                );
            }
            for p in t
                .get("passages")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
            {
                let _ = write!(
                    out,
                    "<pre class=\"psg\">[{}] {}</pre>",
                    esc(&p.get("doc_id").map(s).unwrap_or_default()),
                    esc(&p.get("text").map(s).unwrap_or_default())
                );
            }
        }
    } else {
        let _ = write!(
            out,
            "<pre>{}</pre>",
            esc(&serde_json::to_string_pretty(detail).unwrap_or_default())
        );
    }
}

fn score_bars(out: &mut String, s: &SuiteReport) {
    let rates: Vec<(&String, f64)> = s
        .metrics
        .iter()
        .filter(|(k, v)| !k.ends_with("_ms") && (0.0..=1.0).contains(*v))
        .map(|(k, v)| (k, *v))
        .collect();
    if rates.is_empty() {
        return;
    }
    let (row, label_w, bar_w) = (18.0, 190.0, 260.0);
    let h = rates.len() as f64 * row + 10.0;
    let _ = write!(
        out,
        "<svg width=\"{}\" height=\"{h}\" role=\"img\" aria-label=\"scores\">",
        label_w + bar_w + 50.0
    );
    for (i, (k, v)) in rates.iter().enumerate() {
        let y = i as f64 * row + 5.0;
        let colour = if *k == frontdesk_core::metrics::FALSE_ESCALATION_RATE {
            "#c66"
        } else {
            "#4a7"
        };
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bar_w}\" height=\"{}\" fill=\"#eee\"/><rect x=\"{label_w}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{v:.3}</text>",
            y + 12.0,
            esc(k),
            row - 4.0,
            v * bar_w,
            row - 4.0,
            label_w + bar_w + 4.0,
            y + 12.0
        );
    }
    out.push_str("</svg>");
}

fn latency_histogram(out: &mut String, values: &[f64]) {
    let buckets = 20;
    let (width, counts) = histogram(values, buckets);
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (w, h, bw) = (400.0, 120.0, 400.0 / buckets as f64);
    let _ = write!(out, "<svg width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"latency histogram\"><text x=\"0\" y=\"12\" font-size=\"12\">latency (ms), {} samples</text>", h + 40.0, values.len());
    for (i, c) in counts.iter().enumerate() {
        let bh = *c as f64 / max * h;
        let _ = write!(out, "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#58a\"><title>{:.0}–{:.0} ms: {c}</title></rect>", i as f64 * bw, 20.0 + h - bh, bw - 1.0, i as f64 * width, (i + 1) as f64 * width);
    }
    let _ = write!(out, "<text x=\"0\" y=\"{}\" font-size=\"11\">0</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{:.0}</text></svg>", h + 34.0, w, h + 34.0, width * buckets as f64);
}

fn confusion(out: &mut String, c: &Confusion) {
    let n = c.labels.len();
    if n == 0 {
        return;
    }
    let (cell, label_w) = (34.0, 130.0);
    let max = c.matrix.iter().flatten().copied().max().unwrap_or(1).max(1) as f64;
    let size = label_w + n as f64 * cell;
    let _ = write!(out, "<svg width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"escalation confusion\"><text x=\"0\" y=\"12\" font-size=\"12\">escalation: expected (rows) × decided (columns)</text>", size + 10.0, size + 20.0);
    for (j, l) in c.labels.iter().enumerate() {
        let x = label_w + j as f64 * cell + cell / 2.0;
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{}\" font-size=\"10\" transform=\"rotate(-45 {x} {})\">{}</text>",
            label_w - 4.0,
            label_w - 4.0,
            esc(l)
        );
    }
    for (i, row) in c.matrix.iter().enumerate() {
        let y = label_w + i as f64 * cell;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{}\" font-size=\"10\">{}</text>",
            y + cell / 2.0 + 4.0,
            esc(&c.labels[i])
        );
        for (j, v) in row.iter().enumerate() {
            let shade = (*v as f64 / max * 200.0) as u32;
            let fill = if i == j {
                format!("rgb({},{},{})", 255 - shade, 255, 255 - shade)
            } else {
                format!("rgb(255,{},{})", 255 - shade, 255 - shade)
            };
            let x = label_w + j as f64 * cell;
            let _ = write!(out, "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#ccc\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{v}</text>", x + cell / 2.0, y + cell / 2.0 + 4.0);
        }
    }
    out.push_str("</svg>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CaseRecord;

    #[test]
    fn html_is_self_contained_and_escaped() {
        let mut s = SuiteReport {
            name: "conv".into(),
            kind: "conversations".into(),
            ..Default::default()
        };
        s.metrics.insert("case_pass_rate".into(), 0.5);
        s.latencies_ms = vec![10.0, 20.0, 400.0];
        let mut c = Confusion::new(vec!["none".into()]);
        c.add("customer_request", "none");
        s.confusion = Some(c);
        s.cases.push(CaseRecord {
            id: "x<script>".into(),
            lang: Some("en".into()),
            passed: false,
            reasons: vec!["turn 1: expected escalation".into()],
            detail: serde_json::json!({"turns": [{"say": "I want a <b>person</b>", "reply": "ok", "passages": [{"doc_id": "d", "text": "p"}]}]}),
        });
        let html = render(&Report::new("in-process".into(), vec![s]));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;b&gt;person"));
        assert!(
            html.contains("<svg")
                && html.contains("latency histogram")
                && html.contains("escalation confusion")
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no external resources"
        );
    }
}
