//! `frontdesk paraphrase-scenarios`: style-shifted copies of tau-retail scenarios made by the
//! local chat model, each checked against its original's facts
//! (`frontdesk_evals::actions::paraphrase`). Reads `task_id` and `user_scenario` of each task
//! (nothing else), writes one JSONL record per task as it goes: the accepted rewrite
//! (`task_id`, `user_scenario`, `model`, `temperature`, `seed`, `attempt`), or
//! `"paraphrase_failed": true` without a scenario.

use anyhow::Context;
use frontdesk_core::Config;
use frontdesk_evals::actions::paraphrase::{
    check, extract_facts, paraphrase_scenario, spread, FailedRecord, Outcome, ParaphraseOptions,
};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct ParaphraseArgs {
    /// Tasks to rewrite (tau-retail JSONL: `task_id`, `user_scenario`).
    #[arg(long)]
    tasks: PathBuf,
    /// Output JSONL.
    #[arg(long)]
    out: PathBuf,
    /// Chat model (catalog name or GGUF path); default: the configured `models.chat`.
    #[arg(long)]
    model: Option<String>,
    /// Sampling temperature (0 = greedy; every attempt then differs only by its style).
    #[arg(long, default_value_t = 0.7)]
    temperature: f32,
    /// Seed of each task's first attempt; attempt k uses seed + k - 1.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rewrite only this many tasks, spread evenly over the file.
    #[arg(long)]
    limit: Option<usize>,
    /// Attempts per task before it is flagged `paraphrase_failed`.
    #[arg(long, default_value_t = 4)]
    attempts: usize,
    /// Keep the records already in `--out` and rewrite only the tasks it lacks.
    #[arg(long)]
    resume: bool,
    /// Generate nothing: check the accepted records already in `--out` again with the current
    /// fact check, and flag `paraphrase_failed` those that no longer pass.
    #[arg(long)]
    recheck: bool,
    /// Print every attempt's text and why it was rejected (stderr).
    #[arg(long)]
    verbose: bool,
}

struct Task {
    task_id: String,
    user_scenario: String,
}

fn read_tasks(path: &std::path::Path) -> anyhow::Result<Vec<Task>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut tasks = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{}:{}", path.display(), n + 1))?;
        let field = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .with_context(|| format!("{}:{}: no {k}", path.display(), n + 1))
        };
        tasks.push(Task {
            task_id: field("task_id")?,
            user_scenario: field("user_scenario")?,
        });
    }
    Ok(tasks)
}

/// Task ids already written to `path` (when resuming).
fn done_ids(path: &std::path::Path) -> anyhow::Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    if !path.exists() {
        return Ok(ids);
    }
    for line in std::fs::read_to_string(path)?.lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            if let Some(id) = v.get("task_id").and_then(|x| x.as_str()) {
                ids.insert(id.to_string());
            }
        }
    }
    Ok(ids)
}

/// `--recheck`: the accepted records of `--out` checked again against their originals.
fn recheck(args: &ParaphraseArgs) -> anyhow::Result<ExitCode> {
    let originals: BTreeMap<String, String> = read_tasks(&args.tasks)?
        .into_iter()
        .map(|t| (t.task_id, t.user_scenario))
        .collect();
    let text = std::fs::read_to_string(&args.out)
        .with_context(|| format!("reading {}", args.out.display()))?;
    let (mut kept, mut flagged, mut failed) = (0usize, 0usize, 0usize);
    let mut lines = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let (Some(id), Some(rewrite)) = (
            v.get("task_id").and_then(|x| x.as_str()),
            v.get("user_scenario").and_then(|x| x.as_str()),
        ) else {
            failed += 1;
            lines.push(line.to_string());
            continue;
        };
        let original = originals
            .get(id)
            .with_context(|| format!("{id} is not in {}", args.tasks.display()))?;
        let problems = check(&extract_facts(original), rewrite);
        if problems.is_empty() {
            kept += 1;
            lines.push(line.to_string());
            continue;
        }
        flagged += 1;
        eprintln!(
            "{id}: {}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        );
        let record = FailedRecord {
            task_id: id.to_string(),
            paraphrase_failed: true,
            model: v["model"].as_str().unwrap_or_default().to_string(),
            temperature: v["temperature"].as_f64().unwrap_or_default() as f32,
            seed: v["seed"].as_u64().unwrap_or_default(),
            attempts: v["attempt"].as_u64().unwrap_or_default() as usize,
            problems: problems.iter().map(|p| p.to_string()).collect(),
        };
        lines.push(serde_json::to_string(&record)?);
    }
    std::fs::write(&args.out, lines.join("\n") + "\n")?;
    eprintln!(
        "rechecked: {kept} still pass, {flagged} flagged paraphrase_failed now, {failed} failed before"
    );
    Ok(ExitCode::SUCCESS)
}

pub fn run(mut config: Config, args: ParaphraseArgs) -> anyhow::Result<ExitCode> {
    if args.recheck {
        return recheck(&args);
    }
    if let Some(m) = &args.model {
        config.models.chat = m.clone();
    }
    let all = read_tasks(&args.tasks)?;
    let picked: Vec<&Task> = match args.limit {
        Some(n) => spread(all.len(), n).into_iter().map(|i| &all[i]).collect(),
        None => all.iter().collect(),
    };
    let done = if args.resume {
        done_ids(&args.out)?
    } else {
        BTreeSet::new()
    };
    let todo: Vec<&Task> = picked
        .into_iter()
        .filter(|t| !done.contains(&t.task_id))
        .collect();
    let opts = ParaphraseOptions {
        temperature: args.temperature,
        seed: args.seed,
        attempts: args.attempts.max(1),
    };

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let models = config.models.clone();
        let model = tokio::task::spawn_blocking(move || frontdesk_inference::load_chat(&models))
            .await?
            .context("loading the chat model")?;
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(args.resume)
            .truncate(!args.resume)
            .open(&args.out)
            .with_context(|| format!("opening {}", args.out.display()))?;
        eprintln!(
            "paraphrasing {} tasks with {} (temperature {}, seed {}, {} attempts){}",
            todo.len(),
            model.info().model_id,
            opts.temperature,
            opts.seed,
            opts.attempts,
            if done.is_empty() {
                String::new()
            } else {
                format!(", {} already done", done.len())
            }
        );
        let started = Instant::now();
        let (mut first, mut within, mut failed, mut tried) = (0usize, 0usize, 0usize, 0usize);
        let mut rejections: BTreeMap<String, usize> = BTreeMap::new();
        for (i, task) in todo.iter().enumerate() {
            let t0 = Instant::now();
            let (outcome, log) =
                paraphrase_scenario(&model, &task.task_id, &task.user_scenario, &opts).await;
            tried += log.len();
            for a in &log {
                let kinds: BTreeSet<String> = a.problems.iter().map(|p| p.kind()).collect();
                for k in kinds {
                    *rejections.entry(k).or_default() += 1;
                }
                if args.verbose {
                    eprintln!("  [seed {} style {}] {}", a.seed, a.style, a.text);
                    for p in &a.problems {
                        eprintln!("    - {p}");
                    }
                }
            }
            let line = match &outcome {
                Outcome::Accepted(r) => {
                    within += 1;
                    if r.attempt == 1 {
                        first += 1;
                    }
                    serde_json::to_string(r)?
                }
                Outcome::Failed(f) => {
                    failed += 1;
                    serde_json::to_string(f)?
                }
            };
            writeln!(out, "{line}")?;
            out.flush()?;
            let status = match &outcome {
                Outcome::Accepted(r) => format!("ok at attempt {}", r.attempt),
                Outcome::Failed(f) => format!("FAILED ({})", f.problems.join("; ")),
            };
            eprintln!(
                "[{}/{}] {} {status} {:.1}s",
                i + 1,
                todo.len(),
                task.task_id,
                t0.elapsed().as_secs_f64()
            );
        }
        let secs = started.elapsed().as_secs_f64();
        let n = todo.len().max(1) as f64;
        eprintln!(
            "done: {} tasks, valid at first attempt {first}, valid within {} attempts {within}, \
             failed {failed}; {tried} generations; {secs:.0}s ({:.1}s per task)",
            todo.len(),
            opts.attempts,
            secs / n
        );
        if !rejections.is_empty() {
            eprintln!("rejected attempts by cause:");
            for (k, v) in &rejections {
                eprintln!("  {v:5}  {k}");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
