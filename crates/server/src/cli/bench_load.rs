//! `frontdesk bench load`: a loopback load generator against a running `frontdesk serve`, and
//! the check that follows a crash (`--verify`): every customer message that got a 2xx is in its
//! conversation's transcript.
//!
//! The `messages` workload opens a conversation per request and times only the message
//! request, so each timing is one customer turn through the real engine. The `mixed`
//! workload is the soak run (`--minutes N`, `frontdesk_server::soak`).

use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchLoadArgs {
    /// Base URL of a running `frontdesk serve`. Repeat it for replicas sharing one database:
    /// client `i` talks to the `i mod n`-th URL (the messages and health workloads).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: Vec<String>,
    #[arg(long, value_enum, default_value_t = Workload::Messages)]
    workload: Workload,
    /// Customer messages, one per line, or JSONL with a `question` or `text` field; used in
    /// turn.
    #[arg(long)]
    questions: Option<PathBuf>,
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// The server's process id: its resident memory is sampled during the run.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Appends every message that got a 2xx as a JSON line (conversation, token, text).
    #[arg(long)]
    record: Option<PathBuf>,
    /// Instead of load: checks that every message in this record is in its transcript.
    #[arg(long)]
    verify: Option<PathBuf>,
    /// Mixed workload: how long to run, in minutes.
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Mixed workload: seconds per sample (the trends are per minute).
    #[arg(long, default_value_t = 60.0)]
    sample_secs: f64,
    /// Mixed workload: the agent key the scripted agent uses.
    #[arg(long, env = "FRONTDESK_AGENT_KEY", hide_env_values = true)]
    agent_key: Option<String>,
    /// Mixed workload: the channel key for voice and OpenAI-compatible calls.
    #[arg(long, env = "FRONTDESK_CHANNEL_KEY", hide_env_values = true)]
    channel_key: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Workload {
    /// GET /healthz.
    Health,
    /// POST /v1/conversations, then a timed POST /v1/conversations/{id}/messages.
    Messages,
    /// The soak: knowledge questions, order conversations, handoffs a scripted agent claims and
    /// closes, SSE clients that drop, voice turns and OpenAI-compatible calls, for `--minutes`.
    Mixed,
}

#[derive(Serialize, Default)]
struct LoadReport {
    workload: String,
    requests: usize,
    concurrency: usize,
    /// How many servers (`--url`s) the clients were spread over.
    servers: usize,
    elapsed_s: f64,
    /// Timed requests that got a 2xx, per second of wall time.
    ok_per_s: f64,
    /// All timed requests (any status) per second.
    requests_per_s: f64,
    /// Latency of the 2xx requests.
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Latency of the rejections (non-2xx), showing that they are answered at once.
    rejected_p99_ms: f64,
    statuses: BTreeMap<String, usize>,
    /// 503 answers that carried a Retry-After header.
    retry_after: usize,
    /// 2xx replies with at least one citation (answered from the knowledge base).
    cited: usize,
    /// 2xx replies that handed the conversation over.
    handed_over: usize,
    /// Connection failures and timeouts.
    transport_errors: usize,
    rss_mb_start: Option<f64>,
    rss_mb_max: Option<f64>,
    rss_mb_end: Option<f64>,
}

#[derive(Default)]
struct Tally {
    ok: Vec<Duration>,
    rejected: Vec<Duration>,
    statuses: BTreeMap<String, usize>,
    retry_after: usize,
    cited: usize,
    handed_over: usize,
    transport_errors: usize,
}

pub fn run(config: &frontdesk_core::Config, args: BenchLoadArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        anyhow::ensure!(!args.url.is_empty(), "--url names no server");
        anyhow::ensure!(
            args.url.len() == 1 || args.workload != Workload::Mixed || args.verify.is_some(),
            "the mixed workload drives one server (its scripted agent and memory samples follow one \
             process); give one --url"
        );
        match (&args.verify, args.workload) {
            // Every replica reads the same database: any of them can show the transcripts.
            (Some(path), _) => verify(&args.url[0], path).await,
            (None, Workload::Mixed) => soak(config, &args).await,
            (None, _) => load(&args).await,
        }
    })
}

async fn soak(config: &frontdesk_core::Config, args: &BenchLoadArgs) -> anyhow::Result<ExitCode> {
    use frontdesk_server::soak::{run, SoakOptions, DEFAULT_QUESTIONS};
    anyhow::ensure!(
        args.minutes > 0.0 && args.sample_secs > 0.0,
        "--minutes and --sample-secs must be positive"
    );
    let key = |k: &Option<String>, what: &str| {
        k.clone().with_context(|| {
            format!("the mixed workload needs the server's {what} key (--{what}-key or FRONTDESK_{}_KEY)", what.to_uppercase())
        })
    };
    let questions = match &args.questions {
        Some(p) => read_questions(p)?,
        None => DEFAULT_QUESTIONS.iter().map(|q| q.to_string()).collect(),
    };
    let data = &config.data_dir;
    let shop = config
        .shop
        .database
        .clone()
        .unwrap_or_else(|| data.join("shop.db"));
    let opts = SoakOptions {
        base_url: args.url[0].clone(),
        duration: Duration::from_secs_f64(args.minutes * 60.0),
        sample_every: Duration::from_secs_f64(args.sample_secs),
        customers: args.concurrency,
        questions,
        agent_key: key(&args.agent_key, "agent")?,
        channel_key: key(&args.channel_key, "channel")?,
        database_files: vec![
            data.join("frontdesk.db"),
            data.join("frontdesk.db-wal"),
            shop,
        ],
    };
    let json = args.json;
    if !json {
        println!("minute  rss MB  fds  db MB  turns  p50 ms  p99 ms  errors  503s");
    }
    let report = run(opts, |s| {
        if !json {
            let rss = s.rss_mb.map_or("-".into(), |v| format!("{v:.0}"));
            let fds = s.open_fds.map_or("-".into(), |v| v.to_string());
            println!(
                "{:>6}  {rss:>6}  {fds:>3}  {:>5.1}  {:>5}  {:>6.0}  {:>6.0}  {:>6}  {:>4}",
                s.minute + 1,
                s.db_mb,
                s.turns,
                s.p50_ms,
                s.p99_ms,
                s.errors,
                s.overload_503
            );
        }
    })
    .await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let t = &report.trends;
        println!(
            "{:.1} min: {} turns, {} accepted messages ({} lost), {} handoffs closed, {} SSE streams dropped, {} overload 503s, {} errors",
            report.minutes, report.turns, report.accepted_messages, report.lost_messages.len(),
            report.handoffs_closed, report.sse_dropped, report.overload_503, report.errors
        );
        println!(
            "trends after warm-up: memory {} MB/h, descriptors {}..{}, p99 first {} min {:.0} ms, last {} min {:.0} ms ({:.2}x)",
            t.rss_slope_mb_per_hour.map_or("-".into(), |v| format!("{v:+.1}")),
            t.fds_min_after_warmup.map_or("-".into(), |v| v.to_string()),
            t.fds_max_after_warmup.map_or("-".into(), |v| v.to_string()),
            t.window_minutes, t.p99_first_window_ms, t.window_minutes, t.p99_last_window_ms, t.p99_ratio
        );
        println!("statuses: {:?}", report.statuses);
        for f in &report.failures {
            println!("FAILED: {f}");
        }
    }
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_questions(path: &PathBuf) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading questions from {}", path.display()))?;
    let questions: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) if v.is_object() => v
                .get("question")
                .or_else(|| v.get("text"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_default(),
            _ => l.to_string(),
        })
        .filter(|q| !q.is_empty())
        .collect();
    anyhow::ensure!(
        !questions.is_empty(),
        "{} holds no questions",
        path.display()
    );
    Ok(questions)
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

async fn load(args: &BenchLoadArgs) -> anyhow::Result<ExitCode> {
    let questions = match (args.workload, &args.questions) {
        (Workload::Messages, Some(p)) => Arc::new(read_questions(p)?),
        (Workload::Messages, None) => anyhow::bail!("the messages workload needs --questions"),
        (Workload::Health | Workload::Mixed, _) => Arc::new(Vec::new()),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let bases: Vec<String> = args
        .url
        .iter()
        .map(|u| u.trim_end_matches('/').to_string())
        .collect();
    let record = match &args.record {
        Some(p) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("opening {}", p.display()))?,
        ))),
        None => None,
    };

    let rss_start = args.server_pid.and_then(rss_mb);
    let rss_max = Arc::new(Mutex::new(rss_start));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = args.server_pid.map(|pid| {
        let (rss_max, done) = (rss_max.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(now) = rss_mb(pid) {
                    let mut m = rss_max.lock().unwrap_or_else(|e| e.into_inner());
                    *m = Some(m.map_or(now, |x: f64| x.max(now)));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });

    let tally = Arc::new(Mutex::new(Tally::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..args.concurrency.max(1) {
        let (client, base, questions, tally, next, record) = (
            client.clone(),
            server_for(&bases, worker).to_string(),
            questions.clone(),
            tally.clone(),
            next.clone(),
            record.clone(),
        );
        let (workload, total) = (args.workload, args.requests);
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let outcome = match workload {
                    Workload::Health => health(&client, &base).await,
                    Workload::Messages | Workload::Mixed => {
                        message(&client, &base, &questions[i % questions.len()]).await
                    }
                };
                let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
                match outcome {
                    Err(_) => t.transport_errors += 1,
                    Ok(o) => {
                        *t.statuses.entry(o.status.to_string()).or_default() += 1;
                        if (200..300).contains(&o.status) {
                            t.ok.push(o.elapsed);
                            t.cited += usize::from(o.cited);
                            t.handed_over += usize::from(o.handed_over);
                            if let (Some(file), Some(line)) = (&record, o.accepted) {
                                let mut f = file.lock().unwrap_or_else(|e| e.into_inner());
                                let _ = writeln!(f, "{line}");
                            }
                        } else {
                            t.rejected.push(o.elapsed);
                            t.retry_after += usize::from(o.status == 503 && o.retry_after);
                        }
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        s.await?;
    }

    let mut t = std::mem::take(&mut *tally.lock().unwrap_or_else(|e| e.into_inner()));
    t.ok.sort();
    t.rejected.sort();
    let secs = elapsed.as_secs_f64();
    let timed = t.ok.len() + t.rejected.len();
    let report = LoadReport {
        workload: match args.workload {
            Workload::Health => "health".into(),
            Workload::Messages | Workload::Mixed => "messages".into(),
        },
        requests: args.requests,
        concurrency: args.concurrency,
        servers: bases.len(),
        elapsed_s: secs,
        ok_per_s: t.ok.len() as f64 / secs,
        requests_per_s: timed as f64 / secs,
        p50_ms: percentile_ms(&t.ok, 0.50),
        p90_ms: percentile_ms(&t.ok, 0.90),
        p99_ms: percentile_ms(&t.ok, 0.99),
        max_ms: percentile_ms(&t.ok, 1.0),
        rejected_p99_ms: percentile_ms(&t.rejected, 0.99),
        statuses: t.statuses,
        retry_after: t.retry_after,
        cited: t.cited,
        handed_over: t.handed_over,
        transport_errors: t.transport_errors,
        rss_mb_start: rss_start,
        rss_mb_max: *rss_max.lock().unwrap_or_else(|e| e.into_inner()),
        rss_mb_end: args.server_pid.and_then(rss_mb),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} × {} at concurrency {} over {} server(s): {:.1} ok/s ({:.1} req/s), p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms; statuses {:?}; 503 with Retry-After {}; cited {}; handed over {}; transport errors {}",
            report.requests,
            report.workload,
            report.concurrency,
            report.servers,
            report.ok_per_s,
            report.requests_per_s,
            report.p50_ms,
            report.p90_ms,
            report.p99_ms,
            report.statuses,
            report.retry_after,
            report.cited,
            report.handed_over,
            report.transport_errors
        );
        if let (Some(a), Some(m), Some(b)) =
            (report.rss_mb_start, report.rss_mb_max, report.rss_mb_end)
        {
            println!("server RSS: {a:.0} MB at start, {m:.0} MB max, {b:.0} MB at end");
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct Outcome {
    status: u16,
    elapsed: Duration,
    retry_after: bool,
    cited: bool,
    handed_over: bool,
    /// The record line of an accepted customer message.
    accepted: Option<String>,
}

/// The server a load client talks to: clients are dealt round the URLs given.
fn server_for(bases: &[String], worker: usize) -> &str {
    &bases[worker % bases.len()]
}

async fn health(client: &reqwest::Client, base: &str) -> reqwest::Result<Outcome> {
    let t0 = Instant::now();
    let r = client.get(format!("{base}/healthz")).send().await?;
    let status = r.status().as_u16();
    r.bytes().await?;
    Ok(Outcome {
        status,
        elapsed: t0.elapsed(),
        retry_after: false,
        cited: false,
        handed_over: false,
        accepted: None,
    })
}

async fn message(client: &reqwest::Client, base: &str, text: &str) -> reqwest::Result<Outcome> {
    let created: Value = client
        .post(format!("{base}/v1/conversations"))
        .json(&json!({}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = created["id"].as_str().unwrap_or_default();
    let token = created["token"].as_str().unwrap_or_default();
    let t0 = Instant::now();
    let r = client
        .post(format!("{base}/v1/conversations/{id}/messages"))
        .bearer_auth(token)
        .json(&json!({ "text": text }))
        .send()
        .await?;
    let status = r.status().as_u16();
    let retry_after = r.headers().contains_key(reqwest::header::RETRY_AFTER);
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let elapsed = t0.elapsed();
    let ok = (200..300).contains(&status);
    Ok(Outcome {
        status,
        elapsed,
        retry_after,
        cited: body["citations"].as_array().is_some_and(|c| !c.is_empty()),
        handed_over: !body["handoff"].is_null(),
        accepted: ok
            .then(|| json!({ "conversation": id, "token": token, "text": text }).to_string()),
    })
}

/// After a crash and restart: every recorded (accepted) message must be in its transcript.
async fn verify(base: &str, path: &PathBuf) -> anyhow::Result<ExitCode> {
    let base = base.trim_end_matches('/');
    let client = reqwest::Client::new();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the record {}", path.display()))?;
    let (mut checked, mut missing) = (0usize, Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let rec: Value = serde_json::from_str(line).context("a record line is not JSON")?;
        let id = rec["conversation"].as_str().unwrap_or_default();
        let transcript: Value = client
            .get(format!("{base}/v1/conversations/{id}"))
            .bearer_auth(rec["token"].as_str().unwrap_or_default())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let found = transcript["messages"].as_array().is_some_and(|ms| {
            ms.iter()
                .any(|m| m["speaker"] == "customer" && m["text"] == rec["text"])
        });
        checked += 1;
        if !found {
            missing.push(id.to_string());
        }
    }
    println!(
        "{checked} accepted messages checked, {} missing from their transcripts{}",
        missing.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!(": {}", missing.join(", "))
        }
    );
    Ok(if missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_dealt_round_the_servers() {
        let bases: Vec<String> = ["http://a", "http://b"].map(String::from).to_vec();
        let got: Vec<&str> = (0..5).map(|w| server_for(&bases, w)).collect();
        assert_eq!(
            got,
            ["http://a", "http://b", "http://a", "http://b", "http://a"]
        );
        let one = vec!["http://only".to_string()];
        assert!((0..3).all(|w| server_for(&one, w) == "http://only"));
    }

    #[test]
    fn url_repeats() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            load: BenchLoadArgs,
        }
        let cli = Cli::parse_from(["bench", "--url", "http://a:1", "--url", "http://b:2"]);
        assert_eq!(cli.load.url, ["http://a:1", "http://b:2"]);
        let cli = Cli::parse_from(["bench"]);
        assert_eq!(cli.load.url, ["http://127.0.0.1:8080"]);
    }
}
