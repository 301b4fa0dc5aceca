//! The mixed soak workload (`frontdesk bench load --workload mixed --minutes N`): a running
//! service gets, at once and for N minutes, knowledge questions, order conversations against
//! the demo shop, customers who ask for a person while a scripted agent claims, answers and
//! closes their handoffs, SSE clients that connect and drop, voice turns and OpenAI-compatible
//! calls. Each minute it samples the server's resident memory and open descriptors (from
//! `/metrics`), the database files' size and the turn latency, and at the end it judges the
//! trends, checks that every accepted customer message is in its transcript, and counts every
//! answer other than a 2xx or a deliberate-overload 503 as an error.

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Demo-shop questions used when no question file is given (English and Serbian, both scripts).
pub const DEFAULT_QUESTIONS: &[&str] = &[
    "What does delivery to Austria cost?",
    "How long do I have to return shoes?",
    "Do you ship to Bosnia and Herzegovina?",
    "Which payment methods do you accept?",
    "Is the Alpina 2 tent waterproof?",
    "Koliko košta dostava u Novi Sad?",
    "Како могу да вратим јакну?",
    "Can I exchange a jacket for another size?",
];

/// Order conversations, one line per customer turn (order #K1001 belongs to the demo shop's
/// first customer). Write requests end in "no", so an hour of them leaves the shop as it was.
const ORDER_SCRIPTS: &[&[&str]] = &[
    &[
        "Where is my order #K1001?",
        "ana.petrovic@example.com",
        "thanks",
    ],
    &[
        "I want to cancel order #K1001",
        "ana.petrovic@example.com",
        "no",
    ],
    &[
        "I would like to change the address of my order",
        "ana.petrovic@example.com",
        "no, leave it",
    ],
];

#[derive(Debug, Clone)]
pub struct SoakOptions {
    pub base_url: String,
    pub duration: Duration,
    /// Length of one sample (a minute; shorter in tests).
    pub sample_every: Duration,
    /// Simultaneous customers, spread over the kinds of traffic.
    pub customers: usize,
    pub questions: Vec<String>,
    pub agent_key: String,
    pub channel_key: String,
    /// Files whose size is the database size (`frontdesk.db`, its WAL, `shop.db`).
    pub database_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    pub minute: usize,
    pub rss_mb: Option<f64>,
    pub open_fds: Option<u64>,
    pub db_mb: f64,
    pub turns: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
    pub overload_503: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trends {
    /// Fitted resident-memory growth after warm-up, MB per hour.
    pub rss_slope_mb_per_hour: Option<f64>,
    /// Fitted growth over the post-warm-up window as a share of the memory at its start.
    pub rss_growth_share: Option<f64>,
    pub fds_min_after_warmup: Option<u64>,
    pub fds_max_after_warmup: Option<u64>,
    /// Minutes in each of the two windows compared (15, or a third of a shorter run).
    pub window_minutes: usize,
    pub p99_first_window_ms: f64,
    pub p99_last_window_ms: f64,
    pub p99_ratio: f64,
    /// Whether the run was long enough (`MIN_SAMPLES_FOR_TRENDS`) for the trends to count.
    pub judged: bool,
}

/// Samples below which trends are reported but not judged: a few minutes cannot show a slope
/// and one minute's p99 on a shared machine swings by more than 25%.
pub const MIN_SAMPLES_FOR_TRENDS: usize = 30;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SoakReport {
    pub minutes: f64,
    pub samples: Vec<Sample>,
    pub trends: Trends,
    /// Requests by kind of traffic and status ("transport" for connection failures).
    pub statuses: BTreeMap<String, BTreeMap<String, usize>>,
    pub turns: usize,
    pub accepted_messages: usize,
    pub lost_messages: Vec<String>,
    pub errors: usize,
    pub overload_503: usize,
    pub overload_503_without_retry_after: usize,
    pub handoffs_closed: usize,
    pub sse_dropped: usize,
    /// Which of the criteria failed (empty: all held).
    pub failures: Vec<String>,
}

#[derive(Default)]
struct Tally {
    /// (minute, latency) of each answered customer turn.
    turns: Vec<(usize, Duration)>,
    statuses: BTreeMap<String, BTreeMap<String, usize>>,
    errors_by_minute: BTreeMap<usize, usize>,
    overload_by_minute: BTreeMap<usize, usize>,
    overload_without_retry_after: usize,
    /// (conversation, token, text) of every customer message the server accepted.
    accepted: Vec<(String, String, String)>,
    handoffs_closed: usize,
    sse_dropped: usize,
}

struct Shared {
    opts: SoakOptions,
    http: reqwest::Client,
    started: Instant,
    stop: AtomicBool,
    tally: Mutex<Tally>,
}

impl Shared {
    fn minute(&self) -> usize {
        (self.started.elapsed().as_secs_f64() / self.opts.sample_every.as_secs_f64()) as usize
    }
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.opts.base_url.trim_end_matches('/'))
    }
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Counts one answer; returns whether it was a 2xx.
    fn record(&self, kind: &str, status: Option<u16>, retry_after: bool) -> bool {
        let minute = self.minute();
        let mut t = self.tally();
        let key = status.map_or_else(|| "transport".to_string(), |s| s.to_string());
        *t.statuses
            .entry(kind.to_string())
            .or_default()
            .entry(key)
            .or_default() += 1;
        match status {
            Some(200..=299) => return true,
            Some(503) => {
                *t.overload_by_minute.entry(minute).or_default() += 1;
                if !retry_after {
                    t.overload_without_retry_after += 1;
                }
            }
            _ => *t.errors_by_minute.entry(minute).or_default() += 1,
        }
        false
    }
    fn turn(&self, latency: Duration) {
        let minute = self.minute();
        self.tally().turns.push((minute, latency));
    }
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }
}

async fn new_conversation(s: &Shared) -> Option<(String, String)> {
    let r = s
        .http
        .post(s.url("/v1/conversations"))
        .json(&json!({}))
        .send()
        .await;
    let r = match r {
        Ok(r) => r,
        Err(_) => {
            s.record("conversation", None, false);
            return None;
        }
    };
    if !s.record("conversation", Some(r.status().as_u16()), false) {
        return None;
    }
    let v: Value = r.json().await.ok()?;
    Some((
        v["id"].as_str()?.to_string(),
        v["token"].as_str()?.to_string(),
    ))
}

/// One customer message as JSON; records the turn. Returns the reply when accepted.
async fn say(s: &Shared, kind: &str, id: &str, token: &str, text: &str) -> Option<Value> {
    let t0 = Instant::now();
    let r = s
        .http
        .post(s.url(&format!("/v1/conversations/{id}/messages")))
        .bearer_auth(token)
        .json(&json!({ "text": text }))
        .send()
        .await;
    let r = match r {
        Ok(r) => r,
        Err(_) => {
            s.record(kind, None, false);
            return None;
        }
    };
    let status = r.status().as_u16();
    let retry_after = r.headers().contains_key(reqwest::header::RETRY_AFTER);
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !s.record(kind, Some(status), retry_after) {
        return None;
    }
    s.turn(t0.elapsed());
    s.tally()
        .accepted
        .push((id.to_string(), token.to_string(), text.to_string()));
    Some(body)
}

async fn knowledge_customer(s: &Shared, n: usize) {
    let Some((id, token)) = new_conversation(s).await else {
        return;
    };
    let q = &s.opts.questions[n % s.opts.questions.len()];
    say(s, "knowledge", &id, &token, q).await;
}

async fn order_customer(s: &Shared, n: usize) {
    let Some((id, token)) = new_conversation(s).await else {
        return;
    };
    for line in ORDER_SCRIPTS[n % ORDER_SCRIPTS.len()] {
        let Some(reply) = say(s, "order", &id, &token, line).await else {
            return;
        };
        // A handover ends the script: the agent will close it.
        if reply["status"] != "bot" {
            return;
        }
    }
}

async fn handoff_customer(s: &Shared) {
    let Some((id, token)) = new_conversation(s).await else {
        return;
    };
    say(
        s,
        "handoff",
        &id,
        &token,
        "I want to talk to a human, please",
    )
    .await;
}

/// Opens the customer's live stream, reads its first event and drops it; then sends a message
/// as SSE and drops the stream after the first bytes (the turn still completes server-side).
async fn sse_customer(s: &Shared, n: usize) {
    let Some((id, token)) = new_conversation(s).await else {
        return;
    };
    let r = s
        .http
        .get(s.url(&format!("/v1/conversations/{id}/events")))
        .bearer_auth(&token)
        .send()
        .await;
    match r {
        Ok(mut r) => {
            if s.record("sse_events", Some(r.status().as_u16()), false) {
                let _ = tokio::time::timeout(Duration::from_secs(10), r.chunk()).await;
                s.tally().sse_dropped += 1;
            }
        }
        Err(_) => {
            s.record("sse_events", None, false);
        }
    }
    let text = &s.opts.questions[n % s.opts.questions.len()];
    let t0 = Instant::now();
    let r = s
        .http
        .post(s.url(&format!("/v1/conversations/{id}/messages")))
        .bearer_auth(&token)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .json(&json!({ "text": text }))
        .send()
        .await;
    match r {
        Ok(mut r) => {
            let retry_after = r.headers().contains_key(reqwest::header::RETRY_AFTER);
            if s.record("sse_message", Some(r.status().as_u16()), retry_after) {
                let _ = tokio::time::timeout(Duration::from_secs(30), r.chunk()).await;
                s.turn(t0.elapsed());
                s.tally().accepted.push((id, token, text.to_string()));
                s.tally().sse_dropped += 1;
            }
        }
        Err(_) => {
            s.record("sse_message", None, false);
        }
    }
}

async fn voice_caller(s: &Shared, n: usize) {
    let text = &s.opts.questions[n % s.opts.questions.len()];
    let t0 = Instant::now();
    let r = s
        .http
        .post(s.url("/v1/voice/turn"))
        .bearer_auth(&s.opts.channel_key)
        .json(&json!({ "text": text }))
        .send()
        .await;
    match r {
        Ok(r) => {
            let retry_after = r.headers().contains_key(reqwest::header::RETRY_AFTER);
            if s.record("voice", Some(r.status().as_u16()), retry_after) {
                let _ = r.bytes().await;
                s.turn(t0.elapsed());
            }
        }
        Err(_) => {
            s.record("voice", None, false);
        }
    }
}

async fn openai_client(s: &Shared, n: usize) {
    let text = &s.opts.questions[n % s.opts.questions.len()];
    let t0 = Instant::now();
    let body = json!({"model": "frontdesk", "user": format!("soak-{n}"), "messages": [{"role": "user", "content": text}]});
    let r = s
        .http
        .post(s.url("/v1/chat/completions"))
        .bearer_auth(&s.opts.channel_key)
        .json(&body)
        .send()
        .await;
    match r {
        Ok(r) => {
            let retry_after = r.headers().contains_key(reqwest::header::RETRY_AFTER);
            if s.record("openai", Some(r.status().as_u16()), retry_after) {
                let _ = r.bytes().await;
                s.turn(t0.elapsed());
            }
        }
        Err(_) => {
            s.record("openai", None, false);
        }
    }
}

/// The scripted agent: claims each waiting handoff, answers, closes it.
async fn agent(s: Arc<Shared>) {
    let key = s.opts.agent_key.clone();
    while s.running() {
        let r = s
            .http
            .get(s.url("/v1/handoffs?state=waiting"))
            .bearer_auth(&key)
            .send()
            .await;
        let waiting: Vec<String> = match r {
            Ok(r) if s.record("agent", Some(r.status().as_u16()), false) => r
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| {
                    v["handoffs"].as_array().map(|a| {
                        a.iter()
                            .filter_map(|h| h["id"].as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default(),
            Ok(_) => Vec::new(),
            Err(_) => {
                s.record("agent", None, false);
                Vec::new()
            }
        };
        for id in waiting {
            let steps = [
                ("claim", None),
                (
                    "messages",
                    Some(json!({"text": "Hello, I am here to help."})),
                ),
                ("close", None),
            ];
            for (step, body) in steps {
                let mut req = s
                    .http
                    .post(s.url(&format!("/v1/handoffs/{id}/{step}")))
                    .bearer_auth(&key);
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let ok = match req.send().await {
                    Ok(r) => s.record("agent", Some(r.status().as_u16()), false),
                    Err(_) => s.record("agent", None, false),
                };
                if !ok {
                    break;
                }
                if step == "close" {
                    s.tally().handoffs_closed += 1;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn customer(s: Arc<Shared>, index: usize) {
    let mut n = index;
    while s.running() {
        match index % 6 {
            0 => knowledge_customer(&s, n).await,
            1 => order_customer(&s, n).await,
            2 => handoff_customer(&s).await,
            3 => sse_customer(&s, n).await,
            4 => voice_caller(&s, n).await,
            _ => openai_client(&s, n).await,
        }
        n += s.opts.customers.max(1);
    }
}

async fn server_gauges(s: &Shared) -> (Option<f64>, Option<u64>) {
    let text = match s.http.get(s.url("/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => return (None, None),
    };
    let gauge = |name: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse::<f64>()
                .ok()
        })
    };
    (
        gauge("process_resident_memory_bytes").map(|b| b / 1e6),
        gauge("process_open_fds").map(|n| n as u64),
    )
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

fn latencies(turns: &[(usize, Duration)], minutes: std::ops::Range<usize>) -> Vec<Duration> {
    let mut v: Vec<Duration> = turns
        .iter()
        .filter(|(m, _)| minutes.contains(m))
        .map(|(_, d)| *d)
        .collect();
    v.sort();
    v
}

/// Least-squares slope of `ys` over `xs`.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    (den > 0.0).then(|| num / den)
}

/// Judges the samples as the issue asks: memory slope after warm-up about 0, descriptors flat,
/// the last window's p99 at most 1.25 times the first window's.
pub fn judge(samples: &[Sample], turns: &[(usize, Duration)]) -> (Trends, Vec<String>) {
    let n = samples.len();
    let window = (n / 3).clamp(1, 15);
    // Warm-up: the first window (caches, the index's lazy parts, SQLite's page cache).
    let after: Vec<&Sample> = samples
        .iter()
        .skip(window.min(n.saturating_sub(2)))
        .collect();
    let rss: Vec<(f64, f64)> = after
        .iter()
        .filter_map(|s| Some((s.minute as f64, s.rss_mb?)))
        .collect();
    let rss_slope = slope(&rss);
    let rss_growth_share = match (rss_slope, rss.first(), rss.last()) {
        (Some(k), Some(first), Some(last)) if first.1 > 0.0 => {
            Some(k * (last.0 - first.0) / first.1)
        }
        _ => None,
    };
    let fds: Vec<u64> = after.iter().filter_map(|s| s.open_fds).collect();
    let first = latencies(turns, 0..window);
    let last = latencies(turns, n.saturating_sub(window)..n);
    let (p99_first, p99_last) = (percentile_ms(&first, 0.99), percentile_ms(&last, 0.99));
    let ratio = if p99_first > 0.0 {
        p99_last / p99_first
    } else {
        0.0
    };
    let trends = Trends {
        rss_slope_mb_per_hour: rss_slope.map(|k| k * 60.0),
        rss_growth_share,
        fds_min_after_warmup: fds.iter().copied().min(),
        fds_max_after_warmup: fds.iter().copied().max(),
        window_minutes: window,
        p99_first_window_ms: p99_first,
        p99_last_window_ms: p99_last,
        p99_ratio: ratio,
        judged: n >= MIN_SAMPLES_FOR_TRENDS,
    };
    let mut failures = Vec::new();
    if !trends.judged {
        return (trends, failures);
    }
    // "About 0": the fitted growth after warm-up is under 5% of the memory then.
    if let Some(share) = rss_growth_share {
        if share > 0.05 {
            failures.push(format!(
                "memory grew {:.1}% after warm-up ({:.1} MB/h)",
                share * 100.0,
                rss_slope.unwrap_or(0.0) * 60.0
            ));
        }
    }
    // "Flat": the spread is what the connections in flight explain, not a steady climb.
    if let (Some(lo), Some(hi)) = (trends.fds_min_after_warmup, trends.fds_max_after_warmup) {
        let fd_slope = slope(
            &after
                .iter()
                .filter_map(|s| Some((s.minute as f64, s.open_fds? as f64)))
                .collect::<Vec<_>>(),
        )
        .unwrap_or(0.0);
        if hi - lo > 64 && fd_slope > 1.0 {
            failures.push(format!(
                "open descriptors climbed from {lo} to {hi} ({fd_slope:.1} per minute)"
            ));
        }
    }
    if ratio > 1.25 {
        failures.push(format!(
            "p99 of the last {window} minutes is {ratio:.2}x the first {window} minutes' ({p99_last:.0} ms vs {p99_first:.0} ms)"
        ));
    }
    (trends, failures)
}

/// After the run: every accepted customer message must be in its conversation's transcript.
async fn lost_messages(s: &Shared, accepted: &[(String, String, String)]) -> Vec<String> {
    let mut by_conversation: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
    for (id, token, text) in accepted {
        by_conversation
            .entry(id)
            .or_insert((token, Vec::new()))
            .1
            .push(text);
    }
    let mut lost = Vec::new();
    for (id, (token, texts)) in by_conversation {
        let transcript: Value = match s
            .http
            .get(s.url(&format!("/v1/conversations/{id}")))
            .bearer_auth(token)
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        let stored: Vec<&str> = transcript["messages"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter(|m| m["speaker"] == "customer")
                    .filter_map(|m| m["text"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        for t in texts {
            if !stored.contains(&t) {
                lost.push(format!("{id}: {t}"));
            }
        }
    }
    lost
}

fn database_mb(files: &[PathBuf]) -> f64 {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len() as f64 / 1e6)
        .sum()
}

/// Runs the soak; `progress` gets each sample as it is taken.
pub async fn run(opts: SoakOptions, progress: impl Fn(&Sample)) -> SoakReport {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap_or_default();
    let s = Arc::new(Shared {
        opts: opts.clone(),
        http,
        started: Instant::now(),
        stop: AtomicBool::new(false),
        tally: Mutex::new(Tally::default()),
    });
    let mut tasks = vec![tokio::spawn(agent(s.clone()))];
    for i in 0..opts.customers.max(1) {
        tasks.push(tokio::spawn(customer(s.clone(), i)));
    }
    let mut samples = Vec::new();
    let minutes = (opts.duration.as_secs_f64() / opts.sample_every.as_secs_f64()).ceil() as usize;
    for minute in 0..minutes.max(1) {
        let due = s.started + opts.sample_every * (minute as u32 + 1);
        tokio::time::sleep_until(due.into()).await;
        let (rss_mb, open_fds) = server_gauges(&s).await;
        let sample = {
            let t = s.tally();
            let lat = latencies(&t.turns, minute..minute + 1);
            Sample {
                minute,
                rss_mb,
                open_fds,
                db_mb: database_mb(&opts.database_files),
                turns: lat.len(),
                p50_ms: percentile_ms(&lat, 0.5),
                p99_ms: percentile_ms(&lat, 0.99),
                errors: t.errors_by_minute.get(&minute).copied().unwrap_or(0),
                overload_503: t.overload_by_minute.get(&minute).copied().unwrap_or(0),
            }
        };
        progress(&sample);
        samples.push(sample);
    }
    s.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let tally = std::mem::take(&mut *s.tally());
    let lost = lost_messages(&s, &tally.accepted).await;
    let (trends, mut failures) = judge(&samples, &tally.turns);
    let errors: usize = tally.errors_by_minute.values().sum();
    if errors > 0 {
        failures.push(format!(
            "{errors} answers were errors (not 2xx, not an overload 503)"
        ));
    }
    if tally.overload_without_retry_after > 0 {
        failures.push(format!(
            "{} overload 503s came without Retry-After",
            tally.overload_without_retry_after
        ));
    }
    if !lost.is_empty() {
        failures.push(format!(
            "{} accepted messages are missing from their transcripts",
            lost.len()
        ));
    }
    if tally.turns.is_empty() {
        failures.push("no customer turn was answered".into());
    }
    SoakReport {
        minutes: s.started.elapsed().as_secs_f64() / 60.0,
        samples,
        trends,
        statuses: tally.statuses,
        turns: tally.turns.len(),
        accepted_messages: tally.accepted.len(),
        lost_messages: lost,
        errors,
        overload_503: tally.overload_by_minute.values().sum(),
        overload_503_without_retry_after: tally.overload_without_retry_after,
        handoffs_closed: tally.handoffs_closed,
        sse_dropped: tally.sse_dropped,
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(minute: usize, rss: f64, fds: u64) -> Sample {
        Sample {
            minute,
            rss_mb: Some(rss),
            open_fds: Some(fds),
            db_mb: 1.0,
            turns: 10,
            p50_ms: 10.0,
            p99_ms: 20.0,
            errors: 0,
            overload_503: 0,
        }
    }

    #[test]
    fn flat_runs_pass_and_leaks_and_slowdowns_fail() {
        let turns: Vec<(usize, Duration)> = (0..60)
            .flat_map(|m| (0..100).map(move |i| (m, Duration::from_millis(100 + i))))
            .collect();
        // Warm-up growth, then flat: passes.
        let flat: Vec<Sample> = (0..60)
            .map(|m| {
                sample(
                    m,
                    if m < 10 {
                        800.0 + m as f64 * 5.0
                    } else {
                        850.0
                    },
                    20,
                )
            })
            .collect();
        let (t, failures) = judge(&flat, &turns);
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(t.window_minutes, 15);
        assert!(t.rss_slope_mb_per_hour.unwrap().abs() < 1e-9);
        // A steady leak of 2 MB a minute: fails on memory.
        let leak: Vec<Sample> = (0..60)
            .map(|m| sample(m, 800.0 + 2.0 * m as f64, 20))
            .collect();
        let (_, failures) = judge(&leak, &turns);
        assert!(
            failures.iter().any(|f| f.contains("memory")),
            "{failures:?}"
        );
        // Descriptors climbing by 3 a minute: fails on descriptors.
        let fds: Vec<Sample> = (0..60)
            .map(|m| sample(m, 850.0, 20 + 3 * m as u64))
            .collect();
        let (_, failures) = judge(&fds, &turns);
        assert!(
            failures.iter().any(|f| f.contains("descriptors")),
            "{failures:?}"
        );
        // The last 15 minutes twice as slow: fails on p99.
        let slow: Vec<(usize, Duration)> = turns
            .iter()
            .map(|(m, d)| (*m, if *m >= 45 { *d * 2 } else { *d }))
            .collect();
        let (t, failures) = judge(&flat, &slow);
        assert!(t.p99_ratio > 1.9, "{t:?}");
        assert!(failures.iter().any(|f| f.contains("p99")), "{failures:?}");
        // A short run reports the same trends without judging them.
        let (t, failures) = judge(&leak[..5], &turns);
        assert!(!t.judged && failures.is_empty());
    }
}
