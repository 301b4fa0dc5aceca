//! The tau-retail style actions harness (`kind = "actions"`): for each task, a fresh copy of the
//! store, a scripted customer that knows only `user_scenario` (and `user_id`, unused because the
//! customer must identify like anyone else) and sees only the structured fields of each reply
//! ([`BotReply`]: `awaiting`, `pending_action`, the actions executed — never the reply's text),
//! a conversation through an [`Assistant`] (the engine in production runs), then the store's end state compared with a second fresh copy to
//! which the task's `expected_actions` were applied. Success = identical orders and users.
//!
//! Wiring for the eval runner: build a [`CommerceActionsRunner`] with a factory that turns a
//! task's store into an assistant (normally `frontdesk_engine::Engine` with `commerce`, `audit`
//! and `commerce_policy` set), and put it in `EvalContext::actions`.

pub mod customer;
pub mod fidelity;
mod flow_assistant;
pub mod lm_customer;
pub mod paraphrase;
mod patterns;

pub use customer::{BotReply, ScriptedCustomer};
pub use flow_assistant::FlowAssistant;
pub use lm_customer::LmCustomer;

use crate::error::EvalError;
use crate::manifest::{CustomerSpec, LmCustomerSpec, Suite, SuiteSpec};
use crate::report::{CaseRecord, SuiteReport};
use crate::runner::{ActionsRunner, RunOptions};
use frontdesk_commerce::SqliteCommerce;
use frontdesk_core::action_call::execute_wire;
use frontdesk_core::commerce::AuditLog;
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::conversation::ExecutedAction;
use frontdesk_core::{Assistant, Channel, ChatModel, Commerce, ConversationState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// One task of a tau-retail style JSONL file.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionTask {
    pub task_id: String,
    pub user_id: String,
    pub user_scenario: String,
    /// Read only by the scorer, never by the scripted customer.
    #[serde(default)]
    pub expected_actions: Vec<ExpectedAction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedAction {
    pub name: String,
    pub arguments: serde_json::Value,
}

/// The store a task runs against; the factory gets both seams of it.
#[derive(Clone)]
pub struct TaskStore {
    pub commerce: Arc<dyn Commerce>,
    pub audit: Arc<dyn AuditLog>,
    pub policy: CommercePolicy,
}

/// Builds the assistant under test for one task's store.
pub type MakeAssistant = Arc<dyn Fn(TaskStore) -> Arc<dyn Assistant> + Send + Sync>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub task_id: String,
    pub passed: bool,
    /// Failure causes: `identity`, `wrong_order`, `wrong_items`, `wrong_variant`,
    /// `wrong_payment`, `wrong_reason`, `wrong_address`, `wrong_action`, `missing_action`,
    /// `extra_action`, `escalated`, `expected_action_invalid`, `state_mismatch`.
    pub causes: Vec<String>,
    pub turns: Vec<(String, String)>,
    pub executed: Vec<ExecutedAction>,
    pub expected: Vec<ExpectedAction>,
    /// Which run of the task this was (0-based; LM customers run a task several times).
    #[serde(default)]
    pub run: usize,
    /// Where the simulated customer left its scenario ([`fidelity::departures`]).
    #[serde(default)]
    pub departures: Vec<String>,
    /// The simulated customer ended the conversation itself (rather than running out of turns
    /// or being handed over).
    #[serde(default)]
    pub customer_ended: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ActionsReport {
    /// Conversations run (tasks × runs).
    pub tasks: usize,
    pub passed: usize,
    /// Share of conversations that passed (pass^1).
    pub task_success: f64,
    /// Conversations per task.
    #[serde(default = "one")]
    pub runs: usize,
    /// tau-bench's pass^k for k = `runs`: the share of tasks that passed in every run.
    #[serde(default)]
    pub pass_hat_k: f64,
    /// The customer was a simulator whose fidelity is reported (the LM customer).
    #[serde(default)]
    pub simulated: bool,
    /// Failure cause → tasks with it.
    pub causes: BTreeMap<String, usize>,
    pub records: Vec<TaskRecord>,
}

fn one() -> usize {
    1
}

pub fn load_tasks(path: &Path) -> Result<Vec<ActionTask>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        EvalError::suite(
            "actions",
            format!("cannot read tasks {}: {e}", path.display()),
        )
    })?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                EvalError::suite(
                    "actions",
                    format!("{} line {}: not a task ({e})", path.display(), i + 1),
                )
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct ScenarioRow {
    task_id: String,
    /// Absent in a row that records a failed rewrite (`paraphrase_failed`).
    user_scenario: Option<String>,
}

/// Replaces the tasks' scenarios with the rows of `path` (`{"task_id","user_scenario"}`, other
/// fields ignored); tasks without a row, or whose row has no scenario, are left out.
pub fn apply_scenarios(tasks: Vec<ActionTask>, path: &Path) -> Result<Vec<ActionTask>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        EvalError::suite(
            "actions",
            format!("cannot read scenarios {}: {e}", path.display()),
        )
    })?;
    let mut rows = BTreeMap::new();
    for (i, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let row: ScenarioRow = serde_json::from_str(l).map_err(|e| {
            EvalError::suite(
                "actions",
                format!(
                    "{} line {}: not a scenario row ({e})",
                    path.display(),
                    i + 1
                ),
            )
        })?;
        if let Some(scenario) = row.user_scenario {
            rows.insert(row.task_id, scenario);
        }
    }
    Ok(tasks
        .into_iter()
        .filter_map(|mut t| {
            let s = rows.remove(&t.task_id)?;
            t.user_scenario = s;
            Some(t)
        })
        .collect())
}

/// Reads a `CommercePolicy` TOML file.
pub fn load_policy(path: &Path) -> Result<CommercePolicy, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        EvalError::suite(
            "actions",
            format!("cannot read policy {}: {e}", path.display()),
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        EvalError::suite(
            "actions",
            format!("{} is not a CommercePolicy TOML: {e}", path.display()),
        )
    })
}

fn fresh_store(
    store_dir: &Path,
    policy: &CommercePolicy,
) -> Result<Arc<SqliteCommerce>, EvalError> {
    let s = SqliteCommerce::in_memory()
        .map_err(|e| EvalError::suite("actions", e.to_string()))?
        .with_policy(policy.clone());
    s.seed_from_dir(store_dir)
        .map_err(|e| EvalError::suite("actions", e.to_string()))?;
    Ok(Arc::new(s))
}

/// Who plays the customer in a run: the scripted rules, or a chat model (see the manifest's
/// `[customer]`).
#[derive(Clone, Default)]
pub enum CustomerSide {
    #[default]
    Scripted,
    Lm {
        model: Arc<dyn ChatModel>,
        spec: LmCustomerSpec,
    },
}

impl CustomerSide {
    fn runs(&self) -> usize {
        match self {
            Self::Scripted => 1,
            Self::Lm { spec, .. } => spec.runs.max(1),
        }
    }
}

/// The customer of one conversation.
enum Customer {
    Scripted(ScriptedCustomer),
    Lm(LmCustomer),
}

impl Customer {
    async fn opening(&mut self) -> Result<Option<String>, EvalError> {
        match self {
            Self::Scripted(c) => Ok(Some(c.opening())),
            Self::Lm(c) => c.opening().await,
        }
    }

    /// The scripted customer sees only the reply's structured fields; the LM customer only its
    /// text.
    async fn reply(&mut self, text: &str, seen: &BotReply) -> Result<Option<String>, EvalError> {
        match self {
            Self::Scripted(c) => Ok(c.reply(seen)),
            Self::Lm(c) => c.reply(text).await,
        }
    }
}

/// Runs every task (at most `limit`, spread over the file) and scores it. See the module doc.
pub async fn run_actions_suite(
    store_dir: &Path,
    tasks: &Path,
    policy: &CommercePolicy,
    make_assistant: MakeAssistant,
    limit: Option<usize>,
) -> Result<ActionsReport, EvalError> {
    let all = load_tasks(tasks)?;
    run_tasks(
        store_dir,
        all,
        policy,
        make_assistant,
        limit,
        &CustomerSide::Scripted,
    )
    .await
}

/// [`run_actions_suite`] over loaded tasks with a chosen customer; each task runs
/// `customer.runs()` times.
pub async fn run_tasks(
    store_dir: &Path,
    mut all: Vec<ActionTask>,
    policy: &CommercePolicy,
    make_assistant: MakeAssistant,
    limit: Option<usize>,
    customer: &CustomerSide,
) -> Result<ActionsReport, EvalError> {
    if let Some(n) = limit {
        all = crate::runner::spread(all, n);
    }
    let runs = customer.runs();
    let mut report = ActionsReport {
        runs,
        simulated: matches!(customer, CustomerSide::Lm { .. }),
        ..ActionsReport::default()
    };
    let mut all_runs_passed = 0usize;
    for task in &all {
        let mut every = true;
        for run in 0..runs {
            let record = run_task(store_dir, policy, &make_assistant, task, customer, run).await?;
            every &= record.passed;
            report.tasks += 1;
            if record.passed {
                report.passed += 1;
            }
            for c in &record.causes {
                *report.causes.entry(c.clone()).or_default() += 1;
            }
            report.records.push(record);
        }
        all_runs_passed += usize::from(every);
    }
    report.task_success = if report.tasks == 0 {
        0.0
    } else {
        report.passed as f64 / report.tasks as f64
    };
    report.pass_hat_k = if all.is_empty() {
        0.0
    } else {
        all_runs_passed as f64 / all.len() as f64
    };
    Ok(report)
}

async fn run_task(
    store_dir: &Path,
    policy: &CommercePolicy,
    make_assistant: &MakeAssistant,
    task: &ActionTask,
    side: &CustomerSide,
    run: usize,
) -> Result<TaskRecord, EvalError> {
    let store = fresh_store(store_dir, policy)?;
    let assistant = make_assistant(TaskStore {
        commerce: store.clone(),
        audit: store.clone(),
        policy: policy.clone(),
    });
    let conversation_id = match side {
        CustomerSide::Scripted => format!("eval-{}", task.task_id),
        CustomerSide::Lm { .. } => format!("eval-{}-run{run}", task.task_id),
    };
    let mut state = ConversationState::new(conversation_id, Channel::Chat);
    let mut customer = match side {
        CustomerSide::Scripted => Customer::Scripted(ScriptedCustomer::new(&task.user_scenario)),
        CustomerSide::Lm { model, spec } => Customer::Lm(LmCustomer::new(
            model.clone(),
            &task.user_scenario,
            spec,
            run,
        )),
    };
    let mut turns = Vec::new();
    let mut executed = Vec::new();
    let mut escalated = false;
    let mut message = customer.opening().await?;
    while let Some(msg) = message.take() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let (reply, seen) = match assistant.respond(&mut state, &msg, tx).await {
            Ok(outcome) => {
                executed.extend(outcome.executed_actions.clone());
                escalated |= outcome.handoff.is_some();
                let seen = BotReply {
                    pending_action: outcome.pending_action,
                    awaiting: outcome.awaiting,
                    executed: outcome.executed_actions,
                };
                (outcome.text, seen)
            }
            Err(e) => (format!("<error: {e}>"), BotReply::default()),
        };
        let _ = drain.await;
        turns.push((msg, reply.clone()));
        if escalated {
            break;
        }
        message = customer.reply(&reply, &seen).await?;
    }
    let (departures, customer_ended) = match &customer {
        Customer::Scripted(_) => (Vec::new(), false),
        Customer::Lm(c) => {
            let said: Vec<String> = turns.iter().map(|(m, _)| m.clone()).collect();
            (
                fidelity::departures(&task.user_scenario, &said),
                c.ended_itself,
            )
        }
    };

    let expected_store = fresh_store(store_dir, policy)?;
    let mut causes = Vec::new();
    for a in &task.expected_actions {
        if execute_wire(expected_store.as_ref(), &a.name, &a.arguments)
            .await
            .is_err()
        {
            causes.push("expected_action_invalid".to_string());
        }
    }
    let got = store
        .snapshot()
        .map_err(|e| EvalError::suite("actions", e.to_string()))?;
    let want = expected_store
        .snapshot()
        .map_err(|e| EvalError::suite("actions", e.to_string()))?;
    let passed = got == want;
    if !passed {
        causes.extend(classify(
            &state,
            &executed,
            &task.expected_actions,
            escalated,
        ));
    }
    causes.dedup();
    Ok(TaskRecord {
        task_id: task.task_id.clone(),
        passed,
        causes,
        turns,
        executed,
        expected: task.expected_actions.clone(),
        run,
        departures,
        customer_ended,
    })
}

/// Why the end states differ, from the executed vs expected action lists.
fn classify(
    state: &ConversationState,
    executed: &[ExecutedAction],
    expected: &[ExpectedAction],
    escalated: bool,
) -> Vec<String> {
    let mut causes = Vec::new();
    if state.customer.is_none() {
        causes.push("identity".to_string());
    }
    if escalated {
        causes.push("escalated".to_string());
    }
    let mut unmatched: Vec<&ExecutedAction> = executed.iter().collect();
    for want in expected {
        let same_order = |a: &&ExecutedAction| {
            a.name == want.name && a.arguments.get("order_id") == want.arguments.get("order_id")
        };
        let pos = unmatched
            .iter()
            .position(same_order)
            .or_else(|| unmatched.iter().position(|a| a.name == want.name));
        let Some(pos) = pos else {
            let other_kind = unmatched
                .iter()
                .any(|a| a.arguments.get("order_id") == want.arguments.get("order_id"));
            causes.push(
                if other_kind {
                    "wrong_action"
                } else {
                    "missing_action"
                }
                .to_string(),
            );
            continue;
        };
        let got = unmatched.remove(pos);
        let differs = |k: &str| got.arguments.get(k) != want.arguments.get(k);
        let sorted = |v: Option<&serde_json::Value>| {
            let mut l: Vec<String> = v
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            l.sort();
            l
        };
        if differs("order_id") {
            causes.push("wrong_order".into());
        } else if sorted(got.arguments.get("item_ids")) != sorted(want.arguments.get("item_ids")) {
            causes.push("wrong_items".into());
        } else if sorted(got.arguments.get("new_item_ids"))
            != sorted(want.arguments.get("new_item_ids"))
        {
            causes.push("wrong_variant".into());
        } else if differs("payment_method_id") {
            causes.push("wrong_payment".into());
        } else if differs("reason") {
            causes.push("wrong_reason".into());
        } else if ["address1", "address2", "city", "state", "zip", "country"]
            .iter()
            .any(|k| differs(k))
        {
            causes.push("wrong_address".into());
        }
    }
    if !unmatched.is_empty() {
        causes.push("extra_action".into());
    }
    if causes.is_empty() {
        causes.push("state_mismatch".into());
    }
    causes
}

impl ActionsReport {
    pub fn to_suite_report(&self, name: &str) -> SuiteReport {
        let mut metrics = BTreeMap::new();
        metrics.insert(
            frontdesk_core::metrics::TASK_SUCCESS.to_string(),
            self.task_success,
        );
        let mut counts = BTreeMap::new();
        counts.insert("tasks".to_string(), self.tasks as u64);
        counts.insert("passed".to_string(), self.passed as u64);
        if self.runs > 1 || self.simulated {
            counts.insert("runs".to_string(), self.runs as u64);
            metrics.insert(
                frontdesk_core::metrics::PASS_HAT_K.to_string(),
                self.pass_hat_k,
            );
            let n = self.records.len().max(1) as f64;
            let share = |f: &dyn Fn(&TaskRecord) -> bool| {
                self.records.iter().filter(|r| f(r)).count() as f64 / n
            };
            metrics.insert(
                frontdesk_core::metrics::CUSTOMER_DEPARTURE_RATE.to_string(),
                share(&|r| !r.departures.is_empty()),
            );
            metrics.insert(
                frontdesk_core::metrics::CUSTOMER_ENDED_RATE.to_string(),
                share(&|r| r.customer_ended),
            );
        }
        let by_reason = self
            .causes
            .iter()
            .map(|(c, n)| {
                (
                    c.clone(),
                    BTreeMap::from([("tasks".to_string(), *n as f64)]),
                )
            })
            .collect();
        let cases = self
            .records
            .iter()
            .map(|r| CaseRecord {
                id: if self.runs > 1 {
                    format!("{}/run{}", r.task_id, r.run)
                } else {
                    r.task_id.clone()
                },
                lang: Some("en".into()),
                passed: r.passed,
                reasons: r.causes.clone(),
                detail: serde_json::json!({
                    "turns": r.turns,
                    "executed": r.executed,
                    "expected": r.expected,
                    "departures": r.departures,
                    "customer_ended": r.customer_ended,
                }),
            })
            .collect();
        SuiteReport {
            name: name.into(),
            kind: "actions".into(),
            metrics,
            counts,
            by_reason,
            cases,
            ..SuiteReport::default()
        }
    }
}

/// The eval runner's `actions` suites, over the SQLite store and a supplied assistant factory.
pub struct CommerceActionsRunner {
    pub make_assistant: MakeAssistant,
    /// Chat models for `[customer] kind = "lm"` suites, by the manifest's `model` name (`""`:
    /// the manifest named none).
    pub customer_models: BTreeMap<String, Arc<dyn ChatModel>>,
}

#[async_trait::async_trait]
impl ActionsRunner for CommerceActionsRunner {
    async fn run(&self, suite: &Suite, options: &RunOptions) -> Result<SuiteReport, EvalError> {
        let SuiteSpec::Actions {
            store,
            tasks,
            policy,
            scenarios,
            customer,
        } = &suite.spec
        else {
            return Err(EvalError::suite(&suite.name, "not an actions suite"));
        };
        let policy = match policy {
            Some(p) if p.extension().is_some_and(|e| e == "toml") => load_policy(p)?,
            Some(p) => return Err(EvalError::suite(&suite.name, format!("policy {} must be a CommercePolicy TOML file (set `policy = \"policy.toml\"` in the manifest)", p.display()))),
            None => CommercePolicy::default(),
        };
        let limit = match (suite.limit, options.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut all = load_tasks(tasks)?;
        if let Some(path) = scenarios {
            all = apply_scenarios(all, path)?;
        }
        let side = match customer {
            CustomerSpec::Scripted => CustomerSide::Scripted,
            CustomerSpec::Lm(spec) => {
                let key = spec.model.clone().unwrap_or_default();
                let model = self.customer_models.get(&key).cloned().ok_or_else(|| {
                    EvalError::suite(
                        &suite.name,
                        format!("no customer model {key:?} was loaded for this suite"),
                    )
                })?;
                CustomerSide::Lm {
                    model,
                    spec: spec.clone(),
                }
            }
        };
        let report = run_tasks(
            store,
            all,
            &policy,
            self.make_assistant.clone(),
            limit,
            &side,
        )
        .await?;
        Ok(report.to_suite_report(&suite.name))
    }
}

#[cfg(test)]
mod tests;
