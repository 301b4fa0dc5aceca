//! The mixed soak workload, run briefly against the service with the fake assistant: every
//! kind of traffic happens (knowledge, orders, handoffs the scripted agent closes, SSE clients
//! that drop, voice, OpenAI-compatible), nothing but 2xx or overload 503s comes back, every
//! accepted message is in its transcript and each sample has the server's memory and
//! descriptors from `/metrics`. The real-model soak and its CI smoke run the same code through
//! `frontdesk bench load --workload mixed` (`scripts/soak-smoke`).

mod common;

use common::*;
use frontdesk_server::soak::{run, SoakOptions, DEFAULT_QUESTIONS};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_mixed_soak_has_every_kind_of_traffic_and_no_error() {
    let f = fixture_with(FakeAssistant::slow(Duration::from_millis(2)), |c| {
        c.server.max_concurrent_turns = 4;
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(frontdesk_server::serve(
        listener,
        f.state.clone(),
        std::future::pending(),
        Duration::from_secs(1),
    ));
    let opts = SoakOptions {
        base_url: base,
        duration: Duration::from_secs(8),
        sample_every: Duration::from_secs(2),
        customers: 12,
        questions: DEFAULT_QUESTIONS.iter().map(|q| q.to_string()).collect(),
        agent_key: AGENT_KEY.into(),
        channel_key: CHANNEL_KEY.into(),
        database_files: vec![
            f.dir.path().join("frontdesk.db"),
            f.dir.path().join("frontdesk.db-wal"),
        ],
    };
    let report = run(opts, |_| {}).await;
    assert_eq!(report.samples.len(), 4);
    for kind in [
        "knowledge",
        "order",
        "handoff",
        "sse_events",
        "sse_message",
        "voice",
        "openai",
        "agent",
    ] {
        let ok: usize = report.statuses.get(kind).map_or(0, |s| {
            s.iter()
                .filter(|(k, _)| k.starts_with('2'))
                .map(|(_, n)| n)
                .sum()
        });
        assert!(
            ok > 0,
            "no successful {kind} traffic: {:?}",
            report.statuses
        );
    }
    assert_eq!(report.errors, 0, "{:?}", report.statuses);
    assert!(
        report.lost_messages.is_empty(),
        "{:?}",
        report.lost_messages
    );
    assert!(
        report.accepted_messages > 20 && report.handoffs_closed > 0 && report.sse_dropped > 0,
        "{report:?}"
    );
    assert!(
        report
            .samples
            .iter()
            .all(|s| s.rss_mb.is_some_and(|m| m > 1.0) && s.open_fds.is_some() && s.db_mb > 0.0),
        "{:?}",
        report.samples
    );
    assert!(
        !report.trends.judged && report.failures.is_empty(),
        "{:?}",
        report.failures
    );
}

const SERVER_ENV: &str = "FRONTDESK_SOAK_SERVER_DIR";

/// Server mode for a longer soak without model files (run by hand; see the server README):
/// serves the fake assistant over the database in `$FRONTDESK_SOAK_SERVER_DIR` on
/// 127.0.0.1:0, writes the address to `addr` there and runs until killed. A no-op otherwise.
#[test]
#[ignore = "a server for `frontdesk bench load --workload mixed`, started by hand"]
fn soak_server_with_the_fake_assistant() {
    let Some(dir) = std::env::var_os(SERVER_ENV) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store = std::sync::Arc::new(frontdesk_server::SqliteStore::open_in(&dir).unwrap());
        let mut config = test_config(&dir);
        config.server.max_concurrent_turns = 4;
        let state = frontdesk_server::AppState::builder(
            config,
            std::sync::Arc::new(FakeAssistant::slow(Duration::from_millis(2))),
            store,
        )
        .build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        std::fs::write(dir.join("addr"), listener.local_addr().unwrap().to_string()).unwrap();
        frontdesk_server::serve(
            listener,
            state,
            std::future::pending(),
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    });
}
