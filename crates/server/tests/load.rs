//! Loopback load figures (run by hand: `cargo test -p frontdesk-server --release --test load
//! -- --ignored --nocapture`): requests/s and p50/p99 for /healthz and for direct answers with
//! the fake assistant, and behaviour at 10x the answer capacity.

mod common;

use common::http_client::transcript;
use common::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

async fn serve(state: frontdesk_server::AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(frontdesk_server::serve(
        listener,
        state,
        std::future::pending(),
        Duration::from_secs(1),
    ));
    base
}

/// Runs `total` requests with `concurrency` workers; returns (elapsed, sorted latencies, statuses).
async fn drive<F, Fut>(
    total: usize,
    concurrency: usize,
    make: F,
) -> (Duration, Vec<Duration>, Vec<(u16, bool)>)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (u16, bool)> + Send,
{
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let s = make(i).await;
                out.push((t.elapsed(), s));
            }
            out
        }));
    }
    let mut lat = Vec::new();
    let mut statuses = Vec::new();
    for t in tasks {
        for (d, s) in t.await.unwrap() {
            lat.push(d);
            statuses.push(s);
        }
    }
    let elapsed = started.elapsed();
    lat.sort();
    (elapsed, lat, statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load figures; run by hand with --release"]
async fn loopback_load_figures() {
    let f = fixture_with(FakeAssistant::new(), |c| c.server.max_concurrent_turns = 8);
    let base = serve(f.state.clone()).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();

    let (h, b) = (http.clone(), base.clone());
    let (el, lat, _) = drive(20_000, 32, move |_| {
        let (h, b) = (h.clone(), b.clone());
        async move {
            (
                h.get(format!("{b}/healthz"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
                false,
            )
        }
    })
    .await;
    println!(
        "healthz: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms (32 connections)",
        20_000.0 / el.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );

    let mut convs = Vec::new();
    for _ in 0..64 {
        let c: Value = http
            .post(format!("{base}/v1/conversations"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        convs.push((
            c["id"].as_str().unwrap().to_string(),
            c["token"].as_str().unwrap().to_string(),
        ));
    }
    let convs = Arc::new(convs);
    let (h, b, cv) = (http.clone(), base.clone(), convs.clone());
    let (el, lat, st) = drive(4_000, 8, move |i| {
        let (h, b, cv) = (h.clone(), b.clone(), cv.clone());
        async move {
            let (id, tok) = &cv[i % cv.len()];
            let r = h
                .post(format!("{b}/v1/conversations/{id}/messages"))
                .bearer_auth(tok)
                .json(&json!({"text": "opening hours?"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), false)
        }
    })
    .await;
    let ok = st.iter().filter(|(s, _)| *s == 200).count();
    println!("direct answer (fake assistant, 8 clients): {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {ok}/4000 ok", 4_000.0 / el.as_secs_f64(), pct(&lat, 0.5), pct(&lat, 0.99));

    // 10x capacity: 2 answer slots, 100 ms turns, 20 concurrent clients.
    let g = fixture_with(FakeAssistant::slow(Duration::from_millis(10)), |c| {
        c.server.max_concurrent_turns = 2
    });
    let base = serve(g.state.clone()).await;
    let mut convs = Vec::new();
    for _ in 0..20 {
        let c: Value = http
            .post(format!("{base}/v1/conversations"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        convs.push((
            c["id"].as_str().unwrap().to_string(),
            c["token"].as_str().unwrap().to_string(),
        ));
    }
    let convs = Arc::new(convs);
    let rss0 = rss_kib();
    let (h, b, cv) = (http.clone(), base.clone(), convs.clone());
    let (el, _, st) = drive(3_000, 20, move |i| {
        let (h, b, cv) = (h.clone(), b.clone(), cv.clone());
        async move {
            let (id, tok) = &cv[i % cv.len()];
            let r = h
                .post(format!("{b}/v1/conversations/{id}/messages"))
                .bearer_auth(tok)
                .json(&json!({"text": format!("opening hours {i}")}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        }
    })
    .await;
    let ok = st.iter().filter(|(s, _)| *s == 200).count();
    let busy = st.iter().filter(|(s, _)| *s == 503).count();
    let busy_with_retry = st.iter().filter(|(s, r)| *s == 503 && *r).count();
    assert_eq!(ok + busy, st.len(), "only 200 or 503 under overload");
    assert_eq!(busy, busy_with_retry, "every 503 carries Retry-After");
    let mut stored = 0;
    for conv in convs.iter() {
        stored += transcript(&http, &base, conv)
            .await
            .iter()
            .filter(|(speaker, _)| speaker == "customer")
            .count();
    }
    assert_eq!(
        stored, ok,
        "stored customer messages == accepted (2xx) messages"
    );
    println!(
        "10x capacity (2 slots, ~100 ms turns, 20 clients, {:.1} s): {ok} answered, {busy} 503 (all with Retry-After), stored == accepted ({stored}), RSS {} -> {} KiB",
        el.as_secs_f64(),
        rss0,
        rss_kib()
    );
}
