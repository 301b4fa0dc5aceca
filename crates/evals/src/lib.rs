//! Evaluation suites and reports: read suite manifests, run them in-process (through a
//! [`Backend`]) or against a live server (a [`Target`]), score them with pure metric functions,
//! and write JSON / Markdown / HTML reports that can be compared with a stored baseline.

pub mod actions;
pub mod backend;
pub mod cache;
pub mod data;
pub mod engine_backend;
pub mod error;
pub mod manifest;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod target;

pub use backend::{Backend, IntentModel, IntentPrediction, ModeSearch};
pub use cache::CachingEmbedder;
pub use engine_backend::{AssistantFactory, EmbedderLoader, EngineBackend};
pub use error::EvalError;
pub use manifest::{load_suite, CustomerSpec, LmCustomerSpec, SearchMode, Suite, SuiteSpec};
pub use report::{Report, SuiteReport};
pub use runner::{run_suite, ActionsRunner, EvalContext, RunOptions};
pub use target::{HttpTarget, InProcessTarget, Target, TurnResult};

/// Runs `suites` in order and assembles the report. A suite that cannot run at all (missing
/// file, model error) stops the run with its error; failing cases are just reported.
pub async fn run_all(ctx: &EvalContext, suites: &[Suite]) -> Result<Report, EvalError> {
    let mut reports = Vec::new();
    for suite in suites {
        reports.extend(run_suite(ctx, suite).await?);
    }
    Ok(Report::new(ctx.target_name(), reports))
}
