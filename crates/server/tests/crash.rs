//! Crash test: kill -9 the server during a burst of messages; after a restart every message
//! that got a 2xx is in its transcript, and no message answered 503 was stored.
//! The server is this test binary itself, re-run as a child in `child_server` mode.

mod common;

use common::child_server::{serve_publishing_address, start_child_server};
use common::http_client::{open_conversation, transcript};
use common::*;
use frontdesk_server::{AppState, SqliteStore};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const CHILD_ENV: &str = "FRONTDESK_CRASH_CHILD_DIR";

/// Child mode: serve on 127.0.0.1:0 over the database in `$FRONTDESK_CRASH_CHILD_DIR`, write
/// the address to `addr`, run until killed. A no-op when run normally.
#[test]
#[ignore = "child process of kill_9_during_a_burst_loses_no_accepted_message"]
fn child_server() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store = Arc::new(SqliteStore::open_in(&dir).unwrap());
        let mut config = test_config(&dir);
        config.server.max_concurrent_turns = 4;
        let state = AppState::builder(
            config,
            Arc::new(FakeAssistant::slow(Duration::from_millis(3))),
            store,
        )
        .build();
        let resume = state.clone();
        tokio::spawn(async move {
            frontdesk_server::turn::resume_unprocessed(&resume, Duration::ZERO)
                .await
                .unwrap()
        });
        serve_publishing_address(&dir, state).await;
    });
}

async fn start_child(dir: &Path) -> (tokio::process::Child, String) {
    start_child_server("child_server", dir, &[(CHILD_ENV, dir.as_os_str())]).await
}

#[tokio::test]
async fn kill_9_during_a_burst_loses_no_accepted_message() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = start_child(dir.path()).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut convs = Vec::new();
    for _ in 0..8 {
        convs.push(open_conversation(&http, &base).await);
    }
    // 16 concurrent senders against 4 answer slots: some 200, some 503, then the kill.
    let mut tasks = Vec::new();
    for w in 0..16usize {
        let (http, base, (id, token)) =
            (http.clone(), base.clone(), convs[w % convs.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut results = Vec::new();
            for i in 0..1000usize {
                let text = format!("message {w}-{i}");
                match http
                    .post(format!("{base}/v1/conversations/{id}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({"text": text}))
                    .send()
                    .await
                {
                    Ok(r) => results.push((id.clone(), text, Some(r.status().as_u16()))),
                    Err(_) => {
                        results.push((id.clone(), text, None));
                        break;
                    }
                }
            }
            results
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.start_kill().unwrap(); // SIGKILL
    let _ = child.wait().await;
    let mut results = Vec::new();
    for t in tasks {
        results.extend(t.await.unwrap());
    }
    let accepted: Vec<_> = results
        .iter()
        .filter(|(_, _, s)| matches!(s, Some(200..=299)))
        .collect();
    let rejected: Vec<_> = results.iter().filter(|(_, _, s)| *s == Some(503)).collect();
    assert!(
        accepted.len() > 10,
        "burst too small to mean anything: {} accepted",
        accepted.len()
    );

    let (_child, base) = start_child(dir.path()).await;
    let mut transcripts = std::collections::HashMap::new();
    for conv in &convs {
        let texts: std::collections::HashSet<String> = transcript(&http, &base, conv)
            .await
            .into_iter()
            .filter(|(speaker, _)| speaker == "customer")
            .map(|(_, text)| text)
            .collect();
        transcripts.insert(conv.0.clone(), texts);
    }
    for (id, text, _) in &accepted {
        assert!(
            transcripts[id].contains(text),
            "accepted message {text:?} lost after kill -9"
        );
    }
    for (id, text, _) in &rejected {
        assert!(
            !transcripts[id].contains(text),
            "503'd message {text:?} was stored"
        );
    }
    eprintln!("crash test: {} accepted, {} rejected with 503, {} cut by the kill; all accepted present after restart", accepted.len(), rejected.len(), results.len() - accepted.len() - rejected.len());
}
