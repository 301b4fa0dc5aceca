//! Real sockets: the server on 127.0.0.1:0, a customer, an agent, the live streams, webhooks
//! delivered to a local receiver, and a restart that resumes open conversations.

mod common;

use axum::routing::post;
use common::http_client::open_conversation;
use common::*;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::Store;
use frontdesk_server::webhooks::{deliver_due, sign, OutboxOptions, SIGNATURE_HEADER};
use frontdesk_server::{AppState, SqliteStore};
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn spawn_server(
    state: AppState,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let h = tokio::spawn(async move {
        frontdesk_server::serve(
            listener,
            state,
            async {
                let _ = rx.await;
            },
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    });
    (base, tx, h)
}

/// Reads SSE events from a streaming response until `stop` says so or `timeout` passes.
async fn read_events(
    resp: reqwest::Response,
    timeout: Duration,
    stop: impl Fn(&str, &Value) -> bool,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut body = resp.bytes_stream();
    let deadline = tokio::time::Instant::now() + timeout;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(i) = buf.find("\n\n") {
            let block: String = buf.drain(..i + 2).collect();
            for (name, data) in parse_sse(&block) {
                let v: Value = serde_json::from_str(&data).unwrap_or(Value::String(data));
                let done = stop(&name, &v);
                out.push((name, v));
                if done {
                    return out;
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn customer_and_agent_over_real_sockets() {
    let f = fixture();
    let (base, stop, server) = spawn_server(f.state.clone()).await;
    let http = reqwest::Client::new();
    let (id, token) = open_conversation(&http, &base).await;

    // Streamed answer.
    let resp = http
        .post(format!("{base}/v1/conversations/{id}/messages"))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .json(&json!({"text": "opening hours"}))
        .send()
        .await
        .unwrap();
    let evs = read_events(resp, Duration::from_secs(10), |n, _| n == "done").await;
    assert!(evs.iter().any(|(n, _)| n == "token"));
    assert_eq!(evs.last().unwrap().1["status"], "bot");

    // Customer's live stream and the agents' stream.
    let cust = http
        .get(format!("{base}/v1/conversations/{id}/events?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cust.status(), 200);
    let agents = http
        .get(format!("{base}/v1/agent/events"))
        .bearer_auth(AGENT_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(agents.status(), 200);
    let agent_reader = tokio::spawn(read_events(agents, Duration::from_secs(10), |n, _| {
        n == "handoff"
    }));
    let cust_reader = tokio::spawn(read_events(cust, Duration::from_secs(10), |n, _| {
        n == "agent_message"
    }));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let r: Value = http
        .post(format!("{base}/v1/conversations/{id}/messages"))
        .bearer_auth(&token)
        .json(&json!({"text": "a human please"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hid = r["handoff"]["id"].as_str().unwrap().to_string();
    let agent_events = agent_reader.await.unwrap();
    assert_eq!(
        agent_events.last().unwrap().0,
        "handoff",
        "{agent_events:?}"
    );
    assert_eq!(agent_events.last().unwrap().1["id"], hid.as_str());

    assert_eq!(
        http.post(format!("{base}/v1/handoffs/{hid}/claim"))
            .bearer_auth(AGENT_KEY)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.post(format!("{base}/v1/handoffs/{hid}/messages"))
            .bearer_auth(AGENT_KEY)
            .json(&json!({"text": "Ana here, how can I help?"}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let cust_events = cust_reader.await.unwrap();
    let names: Vec<&str> = cust_events.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"handoff"), "{names:?}");
    assert_eq!(
        cust_events.last().unwrap().1["text"],
        "Ana here, how can I help?"
    );

    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("frontdesk_escalations_total{reason=\"customer_request\"} 1"),
        "{metrics}"
    );
    let _ = stop.send(());
    server.await.unwrap();
}

#[tokio::test]
async fn webhooks_are_signed_and_retried() {
    // A receiver that fails the first delivery, then records the rest.
    let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let failures = Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let (s2, f2) = (seen.clone(), failures.clone());
    let receiver = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let (seen, failures) = (s2.clone(), f2.clone());
            async move {
                if failures
                    .fetch_update(
                        std::sync::atomic::Ordering::SeqCst,
                        std::sync::atomic::Ordering::SeqCst,
                        |n| n.checked_sub(1),
                    )
                    .is_ok()
                {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                let sig = headers[SIGNATURE_HEADER].to_str().unwrap().to_string();
                let event = headers["x-frontdesk-event"].to_str().unwrap().to_string();
                seen.lock().unwrap().push((event, sig, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let f = fixture();
    let secret = "s3cret-s3cret-s3cret";
    let put = call(&f.state, "PUT", "/v1/admin/webhooks", Some(ADMIN_KEY), Some(json!({"webhooks": [{"url": hook_url, "secret": secret, "events": ["handoff.created", "conversation.resolved"]}]})), None).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let (id, token) = new_conversation(&f.state).await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "human"})),
        None,
    )
    .await
    .json();
    let hid = r["handoff"]["id"].as_str().unwrap().to_string();

    let opts = OutboxOptions {
        base_backoff: Duration::from_millis(50),
        ..OutboxOptions::default()
    };
    let client = reqwest::Client::new();
    let store: &dyn Store = f.state.store.as_ref();
    assert_eq!(
        deliver_due(store, &client, &opts).await.unwrap(),
        0,
        "first attempt fails"
    );
    assert_eq!(
        deliver_due(store, &client, &opts).await.unwrap(),
        0,
        "not due yet: backing off"
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        deliver_due(store, &client, &opts).await.unwrap(),
        1,
        "retried after the backoff"
    );

    call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/claim"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/close"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(deliver_due(store, &client, &opts).await.unwrap(), 1);
    assert_eq!(
        deliver_due(store, &client, &opts).await.unwrap(),
        0,
        "delivered once"
    );

    let seen = seen.lock().unwrap().clone();
    let events: Vec<&str> = seen.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(events, ["handoff.created", "conversation.resolved"]);
    for (_, sig, body) in &seen {
        assert_eq!(
            sig,
            &sign(secret, body.as_bytes()),
            "signature covers the exact body"
        );
        let v: Value = serde_json::from_str(body).unwrap();
        assert!(v["event"].is_string());
    }
}

#[tokio::test]
async fn restart_keeps_state_and_answers_pending_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (id, token);
    {
        let store = Arc::new(SqliteStore::open_in(dir.path()).unwrap());
        let state = AppState::builder(
            test_config(dir.path()),
            Arc::new(FakeAssistant::new()),
            store.clone(),
        )
        .build();
        (id, token) = new_conversation(&state).await;
        let r = call(
            &state,
            "POST",
            &format!("/v1/conversations/{id}/messages"),
            Some(&token),
            Some(json!({"text": "opening hours"})),
            None,
        )
        .await;
        assert_eq!(r.status, 200);
        // Simulate a crash mid-turn: the message is stored, never answered.
        store
            .append_message(&id, Speaker::Customer, "are you open on sunday?", json!({}))
            .await
            .unwrap();
    }
    let store = Arc::new(SqliteStore::open_in(dir.path()).unwrap());
    assert_eq!(store.open_conversations().await.unwrap(), vec![id.clone()]);
    let state = AppState::builder(
        test_config(dir.path()),
        Arc::new(FakeAssistant::new()),
        store.clone(),
    )
    .build();
    let resumed = frontdesk_server::turn::resume_unprocessed(&state, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(resumed, 1);
    assert!(store.unprocessed_messages().await.unwrap().is_empty());
    let t = call(
        &state,
        "GET",
        &format!("/v1/conversations/{id}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    let texts: Vec<(String, String)> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["speaker"].as_str().unwrap().into(),
                m["text"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert_eq!(
        texts[2],
        ("customer".into(), "are you open on sunday?".into())
    );
    assert_eq!(texts[3].0, "bot");
    // The engine's state survived: it carries every turn, old token still works.
    let (conv, _) = store.conversation(&id).await.unwrap();
    assert_eq!(conv.turns.len(), 4);
}
