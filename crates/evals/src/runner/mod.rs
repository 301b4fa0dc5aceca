//! Runs suites through a [`Backend`] (in-process) or a [`Target`] (a live server) and turns the
//! outcomes into [`SuiteReport`]s. Order is stable: results are collected in input order
//! whatever the concurrency.

mod conversations;
mod intents;
mod retrieval;

pub use conversations::{check_turn, run_conversations};
pub use intents::run_intents;
pub use retrieval::run_retrieval;

use crate::backend::Backend;
use crate::error::EvalError;
use crate::manifest::{Suite, SuiteSpec};
use crate::report::SuiteReport;
use crate::target::Target;
use frontdesk_core::Embedder;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use std::future::Future;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Caps every suite's size (the smaller of this and the manifest's `limit` wins).
    pub limit: Option<usize>,
    /// False: never use the chat LM (direct and extractive answers only), whatever the suite says.
    pub use_llm: bool,
    /// Requests in flight at once (the machine has two cores: keep it small).
    pub concurrency: usize,
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            limit: None,
            use_llm: true,
            concurrency: 2,
            progress: false,
        }
    }
}

/// Runs action-task suites (`kind = "actions"`); supplied by whoever builds the context because
/// it needs the shop's commerce implementation.
#[async_trait::async_trait]
pub trait ActionsRunner: Send + Sync {
    async fn run(&self, suite: &Suite, options: &RunOptions) -> Result<SuiteReport, EvalError>;
}

pub struct EvalContext {
    pub backend: Arc<dyn Backend>,
    /// Embeds answers and references for `answer_similarity` (absent: metric skipped).
    pub embedder: Option<Arc<dyn Embedder>>,
    /// A live server; when set, conversation and retrieval suites are sent there as messages.
    pub target: Option<(String, Arc<dyn Target>)>,
    pub actions: Option<Arc<dyn ActionsRunner>>,
    pub options: RunOptions,
}

impl EvalContext {
    pub fn target_name(&self) -> String {
        self.target
            .as_ref()
            .map(|(u, _)| u.clone())
            .unwrap_or_else(|| "in-process".into())
    }

    pub(crate) fn limit(&self, suite: &Suite) -> Option<usize> {
        match (suite.limit, self.options.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn progress(&self, len: usize, label: &str) -> ProgressBar {
        if !self.options.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len as u64);
        let style = ProgressStyle::with_template(
            "{prefix:>28} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        pb.set_style(style.progress_chars("=> "));
        pb.set_prefix(label.to_string());
        pb
    }

    /// `f` over `items` with `concurrency` in flight, results in input order.
    pub(crate) async fn map_ordered<T, R, F, Fut>(
        &self,
        items: Vec<T>,
        pb: &ProgressBar,
        f: F,
    ) -> Vec<R>
    where
        F: Fn(T) -> Fut,
        Fut: Future<Output = R>,
    {
        let n = self.options.concurrency.max(1);
        futures::stream::iter(items.into_iter().map(|it| {
            let fut = f(it);
            async move {
                let r = fut.await;
                pb.inc(1);
                r
            }
        }))
        .buffered(n)
        .collect()
        .await
    }
}

/// Runs one suite; a suite-level failure (missing file, backend error) is an error, a failing
/// case is not.
pub async fn run_suite(ctx: &EvalContext, suite: &Suite) -> Result<Vec<SuiteReport>, EvalError> {
    let mut reports = match &suite.spec {
        SuiteSpec::Retrieval { .. } => run_retrieval(ctx, suite).await?,
        SuiteSpec::Intents { .. } => vec![run_intents(ctx, suite).await?],
        SuiteSpec::Conversations { .. } => vec![run_conversations(ctx, suite).await?],
        SuiteSpec::Actions { .. } => match &ctx.actions {
            Some(a) => vec![a.run(suite, &ctx.options).await?],
            None => {
                return Err(EvalError::suite(
                    &suite.name,
                    "action suites need the commerce runner, which this build does not provide",
                ))
            }
        },
    };
    for r in &mut reports {
        r.source = suite.source.display().to_string();
    }
    Ok(reports)
}

/// At most `n` of `items`, spread evenly over them (every len/n-th, in order): a limited run
/// sees the whole file — every intent, document and kind of case — not just its first rows.
pub fn spread<T>(items: Vec<T>, n: usize) -> Vec<T> {
    let len = items.len();
    if n >= len {
        return items;
    }
    let mut want = (0..n).map(|i| i * len / n).peekable();
    items
        .into_iter()
        .enumerate()
        .filter_map(|(i, x)| {
            if want.peek() == Some(&i) {
                want.next();
                Some(x)
            } else {
                None
            }
        })
        .collect()
}

/// Guesses the language of a text when the data does not say: Cyrillic letters → sr-Cyrl,
/// Serbian Latin diacritics → sr-Latn, else en. Only used to break metrics down.
pub fn guess_lang(text: &str) -> &'static str {
    if text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
        "sr-Cyrl"
    } else if text.chars().any(|c| "čćžšđČĆŽŠĐ".contains(c)) {
        "sr-Latn"
    } else {
        "en"
    }
}

/// The language of a record: its own label when it has one (bare `sr` is resolved by script,
/// since data sets write `sr` for Latin text too), else a guess from the text.
pub fn lang_of(label: Option<&str>, text: &str) -> String {
    match label.map(str::trim).filter(|l| !l.is_empty()) {
        Some("sr") => if text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)) {
            "sr-Cyrl"
        } else {
            "sr-Latn"
        }
        .to_string(),
        Some(l) => l
            .parse::<frontdesk_core::Lang>()
            .map(|l| l.code().to_string())
            .unwrap_or_else(|_| l.to_string()),
        None => guess_lang(text).to_string(),
    }
}

/// Latency percentiles under their pinned names: over all turns, then per answer source
/// (`direct_latency_p50_ms`, `generated_ttft_p95_ms`, …) so knowledge-base answers and
/// LM-written ones are reported apart.
pub(crate) fn latency_metrics<'a>(
    out: &mut crate::report::Metrics,
    turns: impl IntoIterator<Item = &'a crate::target::TurnResult>,
) {
    use frontdesk_core::metrics as m;
    let turns: Vec<&crate::target::TurnResult> = turns.into_iter().collect();
    let mut groups: Vec<(String, Vec<&crate::target::TurnResult>)> =
        vec![(String::new(), turns.clone())];
    for source in m::LATENCY_SOURCES {
        let of_source: Vec<_> = turns
            .iter()
            .copied()
            .filter(|t| t.source.as_deref() == Some(*source))
            .collect();
        if !of_source.is_empty() {
            groups.push((format!("{source}_"), of_source));
        }
    }
    for (prefix, group) in groups {
        let latencies: Vec<f64> = group.iter().map(|t| t.latency_ms).collect();
        let ttfts: Vec<f64> = group.iter().filter_map(|t| t.ttft_ms).collect();
        percentile_metrics(out, &prefix, &latencies, &ttfts);
    }
}

/// `latency_p50_ms` … `ttft_p95_ms` (nearest rank) of the given samples, names prefixed.
pub(crate) fn percentile_metrics(
    out: &mut crate::report::Metrics,
    prefix: &str,
    latencies: &[f64],
    ttfts: &[f64],
) {
    use crate::metrics::stats::percentile;
    use frontdesk_core::metrics as m;
    for (name, values, p) in [
        (m::LATENCY_P50_MS, latencies, 50.0),
        (m::LATENCY_P95_MS, latencies, 95.0),
        (m::LATENCY_P99_MS, latencies, 99.0),
        (m::TTFT_P50_MS, ttfts, 50.0),
        (m::TTFT_P95_MS, ttfts, 95.0),
    ] {
        if let Some(v) = percentile(values, p) {
            out.insert(format!("{prefix}{name}"), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn spread_table() {
        let v: Vec<usize> = (0..10).collect();
        // (n, expected)
        let cases: &[(usize, &[usize])] = &[
            (0, &[]),
            (1, &[0]),
            (2, &[0, 5]),
            (3, &[0, 3, 6]),
            (4, &[0, 2, 5, 7]),
            (10, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
            (20, &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        ];
        for (n, want) in cases {
            assert_eq!(&spread(v.clone(), *n), want, "n = {n}");
        }
    }
}
