//! `frontdesk bench inference`: the shared peer workloads (../shared/peers/workload) measured the
//! way the peers measure them, printed as one JSON object with the peers' keys.
//!
//! Each chat repetition and each embedding model runs in a child process of this binary, as the
//! peers do, so `load_s` and `peak_rss_mb` are per model and per fresh process.

use anyhow::{bail, Context};
use frontdesk_core::{ChatMessage, Config, EmbedKind, Embedder, Lang, SamplingParams};
use frontdesk_engine::lm_reader::{self, Fact};
use frontdesk_inference::catalog::{self, Role};
use frontdesk_inference::chat::bench::BenchModel;
use frontdesk_inference::chat::{
    PromptLookup, Speculation, SpeculationSpec, DEFAULT_DRAFT_MODEL_MAX_DRAFT, DEFAULT_MAX_DRAFT,
};
use frontdesk_inference::embed::{spawn_e5, spawn_minilm, EmbedWorkerOptions};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchInferenceArgs {
    /// Print only the JSON object (otherwise also a short human summary on stderr).
    #[arg(long)]
    json: bool,
    /// Repetitions (chat: fresh processes; embeddings: rounds in one process).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Folder with prompt.txt and sentences.txt.
    #[arg(
        long,
        env = "FRONTDESK_BENCH_WORKLOAD",
        default_value = "../shared/peers/workload"
    )]
    workload: PathBuf,
    /// Prompt tokens for the prefill measurement.
    #[arg(long, default_value_t = 256)]
    prompt_tokens: usize,
    /// Greedy decode steps.
    #[arg(long, default_value_t = 64)]
    gen_tokens: usize,
    /// Chat model (catalog name or GGUF path); default: the configured one.
    #[arg(long)]
    chat_model: Option<String>,
    /// Skip the chat or the embedding part.
    #[arg(long, value_parser = ["chat", "embed"])]
    only: Option<String>,
    /// Grounded-answer workload: a JSONL file of `{"question", "lang", "passages": [{"title",
    /// "text"}]}`, each turned into the engine's own answer prompt and answered as the engine
    /// asks (greedy, its repeat penalty, up to `--answer-tokens`); effective decode tok/s.
    #[arg(long)]
    answers: Option<PathBuf>,
    /// Longest answer of the `--answers` workload, in tokens (the engine's own limit).
    #[arg(long, default_value_t = 120)]
    answer_tokens: usize,
    /// Speculative decoding to measure beside plain decoding on the `--answers` workload, one
    /// or both (`lookup,draft`): `lookup` drafts from the prompt (prompt-lookup decoding),
    /// `draft` with the draft model (`--draft-model`).
    #[arg(long, value_parser = ["lookup", "draft"], value_delimiter = ',')]
    speculative: Vec<String>,
    /// Draft model for `--speculative draft` (catalog name or GGUF path; default: the
    /// configured `models.draft`). It must share the chat model's vocabulary.
    #[arg(long)]
    draft_model: Option<String>,
    /// Drafted tokens per pass (default: 3 for lookup, the draft model's default for draft).
    #[arg(long)]
    max_draft: Option<usize>,
    /// Only the embedding model of this name (`multilingual-e5-small` or `all-minilm-l6-v2`).
    #[arg(long, hide = true)]
    embed_model: Option<String>,
    /// Internal: run one measurement in this process and print its JSON line.
    #[arg(long, hide = true, value_parser = ["chat", "e5", "minilm"])]
    child: Option<String>,
}

pub fn run(config: Config, args: BenchInferenceArgs) -> anyhow::Result<ExitCode> {
    if let Some(which) = args.child.as_deref() {
        let out = match which {
            "chat" => chat_rep(&config, &args)?,
            "e5" => embed_run(&config, &args, "multilingual-e5-small")?,
            _ => embed_run(&config, &args, "all-minilm-l6-v2")?,
        };
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    for f in ["prompt.txt", "sentences.txt"] {
        if !args.workload.join(f).is_file() {
            bail!(
                "{} not found; pass --workload DIR (the peers' workload folder)",
                args.workload.join(f).display()
            );
        }
    }
    let mut out = Map::new();
    out.insert("engine".into(), json!("frontdesk"));
    out.insert(
        "threads".into(),
        json!(std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)),
    );
    out.insert("reps".into(), json!(args.reps));
    if args.only.as_deref() != Some("chat") {
        let mut emb = Map::new();
        for (child, name) in [
            ("e5", "multilingual-e5-small"),
            ("minilm", "all-minilm-l6-v2"),
        ] {
            if args.embed_model.as_deref().is_some_and(|m| m != name) {
                continue;
            }
            emb.insert(name.into(), child_json(&args, child)?);
        }
        out.insert("embeddings".into(), Value::Object(emb));
    }
    if args.only.as_deref() != Some("embed") {
        let runs: Vec<Value> = (0..args.reps.max(1))
            .map(|_| child_json(&args, "chat"))
            .collect::<anyhow::Result<_>>()?;
        let mut chat = Map::new();
        for k in [
            "model",
            "prompt_tokens",
            "gen_tokens",
            "prompt_file_tokens",
            "prompt_ids_head",
            "ttft_prompt_tokens",
            "ttft_cached_tokens",
            "generated_text",
        ] {
            chat.insert(k.into(), runs[0][k].clone());
        }
        let mut first_run_keys = vec![
            "answers_prompts".to_string(),
            "answers_tokens".into(),
            "answers_draft_model".into(),
        ];
        let mut stat_keys = vec![
            ("prefill_tok_s".to_string(), 2),
            ("decode_tok_s".into(), 2),
            ("load_s".into(), 3),
            ("peak_rss_mb".into(), 1),
            ("ttft_ms".into(), 1),
            ("ttft_cached_prefix_ms".into(), 1),
            ("answers_decode_tok_s".into(), 2),
            ("answers_complete_s".into(), 3),
            ("answers_decode_s".into(), 3),
            ("answers_draft_load_s".into(), 3),
            ("answers_peak_rss_mb".into(), 1),
        ];
        for mode in &args.speculative {
            for k in [
                "max_draft",
                "identical",
                "differing",
                "accepted_share",
                "draft_acceptance",
                "tokens_per_pass",
            ] {
                first_run_keys.push(format!("answers_{mode}_{k}"));
            }
            for (k, nd) in [
                ("decode_tok_s", 2),
                ("speedup", 3),
                ("complete_s", 3),
                ("drafting_s", 3),
                ("first_draft_s", 3),
                ("decode_s", 3),
            ] {
                stat_keys.push((format!("answers_{mode}_{k}"), nd));
            }
        }
        for k in &first_run_keys {
            if let Some(v) = runs[0].get(k) {
                chat.insert(k.clone(), v.clone());
            }
        }
        for (k, nd) in &stat_keys {
            stats(
                &mut chat,
                k,
                &runs
                    .iter()
                    .filter_map(|r| r[k].as_f64())
                    .collect::<Vec<_>>(),
                *nd,
            );
        }
        chat.insert("runs".into(), Value::Array(runs.iter().map(|r| {
            json!({"load_s": r["load_s"], "prefill_tok_s": r["prefill_tok_s"], "decode_tok_s": r["decode_tok_s"], "peak_rss_mb": r["peak_rss_mb"]})
        }).collect()));
        out.insert("chat".into(), Value::Object(chat));
    }
    out.insert("cpu".into(), json!(cpu_name()));
    out.insert(
        "time_utc".into(),
        json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    let out = Value::Object(out);
    if !args.json {
        eprintln!("{}", serde_json::to_string_pretty(&out)?);
    }
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn child_json(args: &BenchInferenceArgs, which: &str) -> anyhow::Result<Value> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let mut cmd = std::process::Command::new(exe);
    // Global flags (config file, data dir) travel through the environment the parent got.
    cmd.args(["bench", "inference", "--child", which, "--reps"])
        .arg(args.reps.to_string())
        .arg("--workload")
        .arg(&args.workload)
        .args([
            "--prompt-tokens",
            &args.prompt_tokens.to_string(),
            "--gen-tokens",
            &args.gen_tokens.to_string(),
            "--answer-tokens",
            &args.answer_tokens.to_string(),
        ]);
    if let Some(k) = args.max_draft {
        cmd.args(["--max-draft", &k.to_string()]);
    }
    if let Some(d) = &args.draft_model {
        cmd.args(["--draft-model", d]);
    }
    if let Some(m) = &args.chat_model {
        cmd.args(["--chat-model", m]);
    }
    if let Some(a) = &args.answers {
        cmd.arg("--answers").arg(a);
    }
    if !args.speculative.is_empty() {
        cmd.args(["--speculative", &args.speculative.join(",")]);
    }
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running a benchmark child process")?;
    if !out.status.success() {
        bail!("benchmark child `{which}` failed ({})", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("child `{which}` printed no JSON: {line}"))
}

fn stats(out: &mut Map<String, Value>, key: &str, xs: &[f64], nd: i32) {
    if xs.is_empty() {
        return;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    let r = |x: f64| (x * 10f64.powi(nd)).round() / 10f64.powi(nd);
    out.insert(key.into(), json!(r(median)));
    out.insert(format!("{key}_min"), json!(r(v[0])));
    out.insert(format!("{key}_max"), json!(r(v[n - 1])));
}

/// Peak resident set of this process in MB (what getrusage's ru_maxrss reports).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// One fresh-process repetition of the generation workload (llamacpp_bench.py's steps).
fn chat_rep(config: &Config, args: &BenchInferenceArgs) -> anyhow::Result<Value> {
    let mut cfg = config.models.clone();
    if let Some(m) = &args.chat_model {
        cfg.chat = m.clone();
    }
    let resolved = catalog::ensure_model(&cfg, &cfg.chat, Role::Chat)?;
    let t = Instant::now();
    let mut m = BenchModel::load(&resolved.path, catalog::CHAT_MAX_CONTEXT)?;
    let load_s = t.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(args.workload.join("prompt.txt"))?;
    let p = args.prompt_tokens;
    let mut ids = m.encode_raw(&text)?;
    let file_tokens = ids.len();
    let mut reps = 1;
    while ids.len() < p {
        reps += 1;
        ids = m.encode_raw(&vec![text.as_str(); reps].join("\n\n"))?;
    }
    ids.truncate(p);

    // Warm-up: touch the weights and spin up the thread pool, then start clean.
    let (mut tok, _) = m.prefill_greedy(&ids[..16.min(ids.len())])?;
    for _ in 0..4 {
        tok = m.step_greedy(tok)?;
    }
    m.clear_cache();

    let t = Instant::now();
    let (mut next, _) = m.prefill_greedy(&ids)?;
    let prefill_s = t.elapsed().as_secs_f64();
    let mut generated = Vec::with_capacity(args.gen_tokens);
    let t = Instant::now();
    for _ in 0..args.gen_tokens {
        generated.push(next);
        next = m.step_greedy(next)?;
    }
    let decode_s = t.elapsed().as_secs_f64();

    // Time to first token for a grounded chat prompt: cold, then with the system turn cached
    // (the cache holds an earlier question's prompt; only the new question is processed).
    let paragraphs: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let system = paragraphs
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    let question = paragraphs
        .last()
        .copied()
        .unwrap_or_default()
        .trim_start_matches("Customer question:")
        .trim();
    let msgs = |q: &str| vec![ChatMessage::system(system.clone()), ChatMessage::user(q)];
    let prompt = m.encode_chat(&msgs(question))?;
    m.clear_cache();
    let t = Instant::now();
    m.prefill_greedy(&prompt)?;
    let ttft_ms = ms(t);
    m.clear_cache();
    m.prefill_greedy(&m.encode_chat(&msgs("Do you ship to Serbia, and how long does it take?"))?)?;
    let t = Instant::now();
    let (_, cached) = m.prefill_greedy(&prompt)?;
    let ttft_cached_ms = ms(t);

    let mut out = json!({
        "model": resolved.name,
        "prompt_tokens": p,
        "gen_tokens": args.gen_tokens,
        "prompt_file_tokens": file_tokens,
        "prompt_ids_head": &ids[..8.min(ids.len())],
        "load_s": load_s,
        "prefill_tok_s": p as f64 / prefill_s,
        "decode_tok_s": args.gen_tokens as f64 / decode_s,
        "ttft_ms": ttft_ms,
        "ttft_cached_prefix_ms": ttft_cached_ms,
        "ttft_prompt_tokens": prompt.len(),
        "ttft_cached_tokens": cached,
        "peak_rss_mb": peak_rss_mb(),
        "generated_text": m.decode(&generated),
    });
    if let Some(file) = &args.answers {
        // Loaded after the peers' figures above, so `peak_rss_mb` stays the chat model's own.
        let mut info = Map::new();
        let mut modes = Vec::new();
        for mode in &args.speculative {
            let spec = match mode.as_str() {
                "lookup" => SpeculationSpec::Lookup(PromptLookup {
                    max_draft: args.max_draft.unwrap_or(DEFAULT_MAX_DRAFT),
                    ..PromptLookup::default()
                }),
                _ => {
                    let Some(name) = args.draft_model.as_ref().or(cfg.draft.as_ref()) else {
                        bail!("--speculative draft needs --draft-model NAME (or models.draft)");
                    };
                    let draft = catalog::ensure_model(&cfg, name, Role::Chat)?;
                    info.insert("answers_draft_model".into(), json!(draft.name));
                    SpeculationSpec::Draft {
                        path: draft.path,
                        max_draft: args.max_draft.unwrap_or(DEFAULT_DRAFT_MODEL_MAX_DRAFT),
                    }
                }
            };
            let t = Instant::now();
            let speculation = m.open_speculation(&spec)?;
            if mode == "draft" {
                info.insert(
                    "answers_draft_load_s".into(),
                    json!(t.elapsed().as_secs_f64()),
                );
            }
            modes.push((mode.clone(), speculation));
        }
        let answers = answers_run(&mut m, file, args.answer_tokens, &mut modes)?;
        if let Value::Object(o) = &mut out {
            o.extend(info);
            o.extend(answers);
            o.insert("answers_peak_rss_mb".into(), json!(peak_rss_mb()));
        }
    }
    Ok(out)
}

/// One question of the `--answers` workload.
#[derive(serde::Deserialize)]
struct AnswerCase {
    question: String,
    lang: Lang,
    passages: Vec<AnswerPassage>,
}

#[derive(serde::Deserialize)]
struct AnswerPassage {
    title: String,
    text: String,
}

/// The engine's answer prompt for a case: its passages as the facts the LM reader is given.
fn answer_prompt(case: &AnswerCase) -> Vec<ChatMessage> {
    let facts: Vec<Fact> = case
        .passages
        .iter()
        .enumerate()
        .map(|(i, p)| Fact {
            hit: i,
            text: format!("{}: {}", p.title, p.text),
        })
        .collect();
    lm_reader::prompt(&case.question, &facts, case.lang)
}

/// Every case answered plainly and with each of `modes` (named drafters), each from a cache
/// holding only the system prompt (as between the engine's turns; a draft model's cache too).
/// Effective decode tok/s is generated tokens after the first over the time from the first to
/// the last.
fn answers_run(
    m: &mut BenchModel,
    file: &std::path::Path,
    max_tokens: usize,
    modes: &mut [(String, Speculation)],
) -> anyhow::Result<Map<String, Value>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the answers workload {}", file.display()))?;
    let cases: Vec<AnswerCase> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{} line {}", file.display(), i + 1))
        })
        .collect::<anyhow::Result<_>>()?;
    if cases.is_empty() {
        bail!("{} holds no questions", file.display());
    }
    let prompts: Vec<Vec<u32>> = cases
        .iter()
        .map(|c| m.encode_chat(&answer_prompt(c)))
        .collect::<Result<_, _>>()?;
    let system = m.encode_chat(&[ChatMessage::system(lm_reader::SYSTEM_PROMPT)])?;
    let params = SamplingParams {
        max_tokens,
        ..SamplingParams::default()
    };
    /// What one way of decoding did over the whole workload.
    #[derive(Default)]
    struct Totals {
        /// Tokens after each answer's first, and the seconds from its first token to its last.
        decoded: usize,
        decode_s: f64,
        /// Seconds from each request to its complete answer.
        complete_s: f64,
        generated: usize,
        passes: usize,
        drafted: usize,
        accepted: usize,
        /// Seconds spent drafting, and in each answer's first draft.
        drafting_s: f64,
        first_draft_s: f64,
        identical: usize,
        /// Where the answer parts from plain decoding's: the token index and the gap between
        /// the two choices' logits.
        differing: Vec<Value>,
    }
    let mut plain_totals = Totals::default();
    let mut totals: Vec<Totals> = modes.iter().map(|_| Totals::default()).collect();
    // Warm-up on the first case, untimed.
    m.clear_cache();
    m.generate(&prompts[0], &params, None)?;
    for (i, prompt) in prompts.iter().enumerate() {
        let answer = |m: &mut BenchModel,
                      mut speculation: Option<&mut Speculation>,
                      t: &mut Totals|
         -> anyhow::Result<Vec<u32>> {
            m.clear_cache();
            m.prefill_greedy(&system)?;
            if let Some(s) = speculation.as_deref_mut() {
                s.start_from(&system)?;
            }
            let g = m.generate(prompt, &params, speculation)?;
            t.decoded += g.tokens.len().saturating_sub(1);
            t.decode_s += g.decode_s;
            t.complete_s += g.first_token_s + g.decode_s;
            t.generated += g.tokens.len();
            t.passes += g.passes;
            t.drafted += g.drafted;
            t.accepted += g.accepted;
            t.drafting_s += g.drafting_s;
            t.first_draft_s += g.first_draft_s;
            Ok(g.tokens)
        };
        let plain = answer(m, None, &mut plain_totals)?;
        for ((_, speculation), t) in modes.iter_mut().zip(&mut totals) {
            let spec = answer(m, Some(speculation), t)?;
            let j = plain.iter().zip(&spec).take_while(|(a, b)| a == b).count();
            if j == plain.len() && j == spec.len() {
                t.identical += 1;
                continue;
            }
            // The one that stopped at j chose an end-of-sequence token there.
            let eos = m.eos_ids().to_vec();
            let choices = |g: &[u32]| g.get(j).map_or(eos.clone(), |&t| vec![t]);
            let mut context = prompt.clone();
            context.extend_from_slice(&plain[..j]);
            let mut gap = f32::INFINITY;
            for a in choices(&plain) {
                for b in choices(&spec) {
                    gap = gap.min(m.choice_gap(&context, a, b, &params)?);
                }
            }
            t.differing
                .push(json!({"prompt": i, "at": j, "logit_gap": gap}));
        }
    }
    let n = prompts.len() as f64;
    let plain_rate = plain_totals.decoded as f64 / plain_totals.decode_s;
    let mut out = Map::new();
    out.insert("answers_prompts".into(), json!(prompts.len()));
    out.insert("answers_tokens".into(), json!(plain_totals.generated));
    out.insert("answers_decode_tok_s".into(), json!(plain_rate));
    out.insert(
        "answers_complete_s".into(),
        json!(plain_totals.complete_s / n),
    );
    out.insert("answers_decode_s".into(), json!(plain_totals.decode_s / n));
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    for ((mode, speculation), t) in modes.iter().zip(totals) {
        let rate = t.decoded as f64 / t.decode_s;
        let key = |k: &str| format!("answers_{mode}_{k}");
        out.insert(key("max_draft"), json!(speculation.max_draft()));
        out.insert(key("decode_tok_s"), json!(rate));
        out.insert(key("speedup"), json!(rate / plain_rate));
        out.insert(key("complete_s"), json!(t.complete_s / n));
        out.insert(key("identical"), json!(t.identical));
        out.insert(key("differing"), Value::Array(t.differing));
        // Share of the answers' tokens that came from accepted drafts, and of the drafted
        // tokens that were accepted.
        out.insert(
            key("accepted_share"),
            json!(round(t.accepted as f64 / t.generated.max(1) as f64, 3)),
        );
        out.insert(
            key("draft_acceptance"),
            json!(round(t.accepted as f64 / t.drafted.max(1) as f64, 3)),
        );
        // Per answer: drafting time, of it the first draft (a draft model's pass over the new
        // part of the prompt), and the decode time it is part of.
        out.insert(key("drafting_s"), json!(round(t.drafting_s / n, 3)));
        out.insert(key("first_draft_s"), json!(round(t.first_draft_s / n, 3)));
        out.insert(key("decode_s"), json!(round(t.decode_s / n, 3)));
        out.insert(
            key("tokens_per_pass"),
            json!(round(t.generated as f64 / t.passes.max(1) as f64, 2)),
        );
    }
    Ok(out)
}

/// One process per embedding model: load, warm up, then `reps` rounds (embed_bench.py's steps).
fn embed_run(config: &Config, args: &BenchInferenceArgs, name: &str) -> anyhow::Result<Value> {
    let resolved = catalog::ensure_model(&config.models, name, Role::Embed)?;
    let text = std::fs::read_to_string(args.workload.join("sentences.txt"))?;
    let sentences: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let step = (sentences.len() / 64).max(1);
    let singles: Vec<String> = sentences.iter().step_by(step).take(64).cloned().collect();
    let opts = EmbedWorkerOptions {
        threads: 2,
        queue: 8,
        max_batch: 64,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let t = Instant::now();
    let model: Box<dyn Embedder> = if name == "all-minilm-l6-v2" {
        Box::new(spawn_minilm(&resolved.path, &opts)?)
    } else {
        Box::new(spawn_e5(&resolved.path, &opts)?)
    };
    let load_s = t.elapsed().as_secs_f64();
    rt.block_on(async {
        let embed = |texts: Vec<String>| model.embed(texts, EmbedKind::Passage);
        let dim = embed(sentences[..64.min(sentences.len())].to_vec())
            .await?
            .first()
            .map_or(0, Vec::len);
        for s in singles.iter().take(4) {
            embed(vec![s.clone()]).await?;
        }
        let (mut tput, mut single) = (Vec::new(), Vec::new());
        for _ in 0..args.reps.max(1) {
            let t = Instant::now();
            for chunk in sentences.chunks(64) {
                embed(chunk.to_vec()).await?;
            }
            tput.push(sentences.len() as f64 / t.elapsed().as_secs_f64());
            let t = Instant::now();
            for s in &singles {
                embed(vec![s.clone()]).await?;
            }
            single.push(ms(t) / singles.len() as f64);
        }
        let mut out = Map::new();
        out.insert("model".into(), json!(name));
        out.insert("dim".into(), json!(dim));
        out.insert("sentences".into(), json!(sentences.len()));
        out.insert("batch".into(), json!(64));
        out.insert(
            "prefix".into(),
            json!(if name == "all-minilm-l6-v2" {
                ""
            } else {
                "passage: "
            }),
        );
        stats(&mut out, "sentences_per_s", &tput, 2);
        stats(&mut out, "single_ms", &single, 3);
        out.insert("load_s".into(), json!((load_s * 1000.0).round() / 1000.0));
        out.insert(
            "peak_rss_mb".into(),
            json!((peak_rss_mb() * 10.0).round() / 10.0),
        );
        Ok::<Value, anyhow::Error>(Value::Object(out))
    })
}
