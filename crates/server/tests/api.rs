//! Every route through `app(state)` with `oneshot`: happy paths, auth failures, unknown ids,
//! malformed JSON, huge bodies, queue full (503 + Retry-After), SSE event names.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn customer_flow_json_and_transcript() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "What are your opening hours?"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["text"], "We are open every day from 8 to 20 [1].");
    assert_eq!(v["lang"], "en");
    assert_eq!(v["status"], "bot");
    assert_eq!(
        v["citations"][0],
        json!({"doc_id": "hours", "title": "Opening hours", "url": "https://shop.example/hours"})
    );
    assert!(v.get("handoff").is_none());

    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    let speakers: Vec<_> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["speaker"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(speakers, ["customer", "bot"]);
    assert_eq!(t["status"], "bot");

    let fb = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/feedback"),
        Some(&token),
        Some(json!({"rating": 5, "comment": "great"})),
        None,
    )
    .await;
    assert_eq!(fb.status, StatusCode::OK);
    let bad = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/feedback"),
        Some(&token),
        Some(json!({"rating": 9})),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sse_reply_uses_pinned_event_names() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "opening hours"})),
        Some("text/event-stream"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = r.sse();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.iter().filter(|n| **n == "token").count() >= 3,
        "{names:?}"
    );
    assert!(names.contains(&"citation"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"));
    let streamed: String = events
        .iter()
        .filter(|(n, _)| n == "token")
        .map(|(_, d)| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(streamed, "We are open every day from 8 to 20 [1].");

    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "I want a human"})),
        Some("text/event-stream"),
    )
    .await;
    let names: Vec<String> = r.sse().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"handoff".to_string()), "{names:?}");
    let done = r.sse().into_iter().find(|(n, _)| n == "done").unwrap().1;
    let done: serde_json::Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["status"], "waiting_for_human");
    assert_eq!(done["handoff"]["reason"], "customer_request");
}

#[tokio::test]
async fn auth_and_unknown_ids() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    let (_, other_token) = new_conversation(&f.state).await;
    let msg = Some(json!({"text": "hi"}));
    let cases: Vec<(&str, String, Option<&str>, u16)> = vec![
        (
            "POST",
            format!("/v1/conversations/{id}/messages"),
            None,
            401,
        ),
        (
            "POST",
            format!("/v1/conversations/{id}/messages"),
            Some(other_token.as_str()),
            403,
        ),
        (
            "POST",
            "/v1/conversations/nope/messages".to_string(),
            Some(token.as_str()),
            404,
        ),
        ("GET", format!("/v1/conversations/{id}"), Some("wrong"), 403),
        ("GET", "/v1/handoffs".to_string(), None, 401),
        ("GET", "/v1/handoffs".to_string(), Some("wrong"), 401),
        ("GET", "/v1/handoffs".to_string(), Some(CHANNEL_KEY), 403),
        ("GET", "/v1/handoffs".to_string(), Some(token.as_str()), 401),
        ("GET", "/v1/handoffs/nope".to_string(), Some(AGENT_KEY), 404),
        (
            "POST",
            "/v1/handoffs/nope/claim".to_string(),
            Some(AGENT_KEY),
            404,
        ),
        (
            "GET",
            "/v1/admin/analytics".to_string(),
            Some(AGENT_KEY),
            403,
        ),
        (
            "POST",
            "/v1/admin/reindex".to_string(),
            Some(AGENT_KEY),
            403,
        ),
        ("POST", "/v1/voice/turn".to_string(), Some(AGENT_KEY), 403),
        ("POST", "/v1/chat/completions".to_string(), None, 401),
        ("GET", "/v1/no/such/route".to_string(), None, 404),
    ];
    for (method, uri, auth, want) in cases {
        let body = if method == "POST" { msg.clone() } else { None };
        let r = call(&f.state, method, &uri, auth, body, None).await;
        assert_eq!(
            r.status.as_u16(),
            want,
            "{method} {uri} with {auth:?}: {}",
            r.text
        );
        let v = r.json();
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{}",
            r.text
        );
    }
}

#[tokio::test]
async fn malformed_json_huge_body_and_long_message() {
    let f = fixture_with(FakeAssistant::new(), |c| {
        c.server.max_body_bytes = 2048;
        c.server.max_message_chars = 100;
    });
    let (id, token) = new_conversation(&f.state).await;
    let uri = format!("/v1/conversations/{id}/messages");
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, "bad_request"),
        ("{\"txt\": \"hi\"}".into(), 422, "unprocessable"),
        (
            json!({"text": "x".repeat(5000)}).to_string(),
            413,
            "payload_too_large",
        ),
        (
            json!({"text": "x".repeat(101)}).to_string(),
            422,
            "unprocessable",
        ),
        (json!({"text": "   "}).to_string(), 422, "unprocessable"),
    ];
    for (body, want, code) in cases {
        let r = call_raw(
            &f.state,
            "POST",
            &uri,
            Some(&token),
            Some(body.clone()),
            None,
        )
        .await;
        assert_eq!(r.status.as_u16(), want, "{body:.40}: {}", r.text);
        assert_eq!(r.json()["error"]["code"], code);
    }
    // None of the rejected messages was stored.
    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(t["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn queue_full_is_503_with_retry_after_and_not_stored() {
    let f = fixture_with(FakeAssistant::slow(Duration::from_millis(60)), |c| {
        c.server.max_concurrent_turns = 1
    });
    let (id1, t1) = new_conversation(&f.state).await;
    let (id2, t2) = new_conversation(&f.state).await;
    let st = f.state.clone();
    let (a, b) = (id1.clone(), t1.clone());
    let slow = tokio::spawn(async move {
        call(
            &st,
            "POST",
            &format!("/v1/conversations/{a}/messages"),
            Some(&b),
            Some(json!({"text": "opening hours"})),
            None,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id2}/messages"),
        Some(&t2),
        Some(json!({"text": "hello"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(slow.await.unwrap().status, StatusCode::OK);
    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id2}"),
        Some(&t2),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(
        t["messages"].as_array().unwrap().len(),
        0,
        "a 503'd message must not be stored"
    );

    // The engine's own overload also answers 503 and withdraws the message.
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id2}/messages"),
        Some(&t2),
        Some(json!({"text": "overload please"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers.get("retry-after").is_some());
    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id2}"),
        Some(&t2),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(t["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn handoff_lifecycle_through_agent_routes() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "human please"})),
        None,
    )
    .await
    .json();
    assert_eq!(r["status"], "waiting_for_human");
    let hid = r["handoff"]["id"].as_str().unwrap().to_string();
    assert_eq!(r["handoff"]["ticket"], false);

    let q = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=waiting",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(q["handoffs"].as_array().unwrap().len(), 1);
    assert_eq!(
        call(
            &f.state,
            "GET",
            "/v1/handoffs?state=bogus",
            Some(AGENT_KEY),
            None,
            None
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    let d = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{hid}"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert!(d["summary"].as_str().unwrap().contains("human please"));
    assert_eq!(d["conversation"]["messages"].as_array().unwrap().len(), 2);

    // Writing before claiming is a conflict; claiming twice by another agent too.
    let w = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/messages"),
        Some(AGENT_KEY),
        Some(json!({"text": "hi"})),
        None,
    )
    .await;
    assert_eq!(w.status, StatusCode::CONFLICT);
    let c = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/claim"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text);
    let c2 = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/claim"),
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(c2.status, StatusCode::CONFLICT);

    let w = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/messages"),
        Some(AGENT_KEY),
        Some(json!({"text": "Hello, Ana here."})),
        None,
    )
    .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);

    // While a human holds it, the bot stays quiet.
    let calls = f.assistant.calls.load(std::sync::atomic::Ordering::SeqCst);
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "thanks Ana"})),
        None,
    )
    .await
    .json();
    assert_eq!(r["status"], "human");
    assert_eq!(r["text"], "");
    assert_eq!(
        f.assistant.calls.load(std::sync::atomic::Ordering::SeqCst),
        calls
    );

    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    let texts: Vec<_> = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["speaker"].as_str().unwrap().to_string(),
                m["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        texts.contains(&("agent".into(), "Hello, Ana here.".into())),
        "{texts:?}"
    );
    assert_eq!(t["status"], "human");

    // Release hands back to the bot, which answers again.
    let rel = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid}/release"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(rel.status, StatusCode::OK);
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "opening hours?"})),
        None,
    )
    .await
    .json();
    assert_eq!(r["status"], "bot");
    assert!(r["text"].as_str().unwrap().contains("open"));
    assert_eq!(
        call(
            &f.state,
            "POST",
            &format!("/v1/handoffs/{hid}/close"),
            Some(AGENT_KEY),
            None,
            None
        )
        .await
        .status,
        StatusCode::CONFLICT,
        "resolved stays resolved"
    );

    // A second handoff, closed: conversation closed, further messages refused.
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "human again"})),
        None,
    )
    .await
    .json();
    let hid2 = r["handoff"]["id"].as_str().unwrap().to_string();
    call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid2}/claim"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    let cl = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{hid2}/close"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(cl.status, StatusCode::OK);
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "hello?"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let resolved = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=resolved",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(resolved["handoffs"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn outside_business_hours_handoff_is_a_ticket() {
    let f = fixture_with(FakeAssistant::new(), |c| {
        c.server.business_hours.days = vec![]; // never open
    });
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
    assert_eq!(r["handoff"]["ticket"], true);
    assert!(r["text"].as_str().unwrap().contains("ticket"), "{r}");
}

#[tokio::test]
async fn voice_turn_json_and_sse() {
    let f = fixture();
    let r = call(
        &f.state,
        "POST",
        "/v1/voice/turn",
        Some(CHANNEL_KEY),
        Some(json!({"conversation_id": "call-42", "text": "opening hours", "ssml": true})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["conversation_id"], "call-42");
    assert_eq!(v["speak"], "We are open every day from 8 to 20.");
    assert_eq!(v["transfer"], false);
    assert!(v["ssml"].as_str().unwrap().starts_with("<speak"));
    let r = call(
        &f.state,
        "POST",
        "/v1/voice/turn",
        Some(CHANNEL_KEY),
        Some(json!({"conversation_id": "call-42", "text": "get me a human. Now!"})),
        Some("text/event-stream"),
    )
    .await;
    let ev = r.sse();
    assert!(ev.iter().any(|(n, _)| n == "token"));
    let done: serde_json::Value = serde_json::from_str(&ev.last().unwrap().1).unwrap();
    assert_eq!(ev.last().unwrap().0, "done");
    assert_eq!(done["transfer"], true);
    let bad = call(
        &f.state,
        "POST",
        "/v1/voice/turn",
        Some(CHANNEL_KEY),
        Some(json!({"conversation_id": "bad id!", "text": "x"})),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn openai_compatible_completions() {
    let f = fixture();
    let body = json!({"model": "x", "user": "caller-7", "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "opening hours?"}]});
    let r = call(
        &f.state,
        "POST",
        "/v1/chat/completions",
        Some(CHANNEL_KEY),
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert!(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("open"));
    let conv = r.headers["x-conversation-id"].to_str().unwrap().to_string();

    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let r = call(
        &f.state,
        "POST",
        "/v1/chat/completions",
        Some(CHANNEL_KEY),
        Some(streamed),
        Some("text/event-stream"),
    )
    .await;
    assert_eq!(
        r.headers["x-conversation-id"].to_str().unwrap(),
        conv,
        "same user, same conversation"
    );
    let data: Vec<String> = r.sse().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data.last().unwrap(), "[DONE]");
    let first: serde_json::Value = serde_json::from_str(&data[0]).unwrap();
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    let text: String = data[..data.len() - 1]
        .iter()
        .map(|d| {
            serde_json::from_str::<serde_json::Value>(d).unwrap()["choices"][0]["delta"]["content"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(text.contains("open every day"), "{text}");

    let none = call(
        &f.state,
        "POST",
        "/v1/chat/completions",
        Some(CHANNEL_KEY),
        Some(json!({"messages": [{"role": "system", "content": "x"}]})),
        None,
    )
    .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn admin_routes() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    for text in ["opening hours", "quantum physics?", "human"] {
        call(
            &f.state,
            "POST",
            &format!("/v1/conversations/{id}/messages"),
            Some(&token),
            Some(json!({"text": text})),
            None,
        )
        .await;
    }
    call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/feedback"),
        Some(&token),
        Some(json!({"rating": 4})),
        None,
    )
    .await;
    let a = call(
        &f.state,
        "GET",
        "/v1/admin/analytics",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(a["conversations"], 1);
    assert_eq!(a["escalations_by_reason"]["low_confidence"], 1);
    assert_eq!(a["unanswered_questions"][0]["text"], "quantum physics?");
    assert_eq!(a["csat_average"], 4.0);
    assert_eq!(a["containment_rate"], 0.0);
    assert!(a["latency_p50_ms"].is_number());

    let put = call(&f.state, "PUT", "/v1/admin/webhooks", Some(ADMIN_KEY), Some(json!({"webhooks": [{"url": "http://127.0.0.1:9/x", "secret": "0123456789abcdef", "events": ["handoff.created"]}]})), None).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let get = call(
        &f.state,
        "GET",
        "/v1/admin/webhooks",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(get["webhooks"][0]["secret"], "********");
    let bad = call(
        &f.state,
        "PUT",
        "/v1/admin/webhooks",
        Some(ADMIN_KEY),
        Some(json!({"webhooks": [{"url": "ftp://x", "secret": "0123456789abcdef", "events": []}]})),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // No index or reloader attached in this state: a clear 503, not a crash.
    let r = call(
        &f.state,
        "POST",
        "/v1/admin/reindex",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let r = call(
        &f.state,
        "POST",
        "/v1/admin/reload",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

struct FixedReindex;
#[async_trait::async_trait]
impl frontdesk_server::Reindexer for FixedReindex {
    async fn reindex(&self) -> Result<serde_json::Value, String> {
        Ok(json!({"documents": 3}))
    }
}
struct Reload(frontdesk_core::Config);
impl frontdesk_server::ConfigReloader for Reload {
    fn reload(&self) -> Result<frontdesk_core::Config, String> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn reindex_and_reload_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = test_config(dir.path());
    let mut next = cfg.clone();
    next.server.api_keys.retain(|k| k.key != AGENT_KEY);
    let store = std::sync::Arc::new(frontdesk_server::SqliteStore::open_in(dir.path()).unwrap());
    let state =
        frontdesk_server::AppState::builder(cfg, std::sync::Arc::new(FakeAssistant::new()), store)
            .reindexer(std::sync::Arc::new(FixedReindex))
            .reloader(std::sync::Arc::new(Reload(next)))
            .build();
    let r = call(
        &state,
        "POST",
        "/v1/admin/reindex",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(r["report"]["documents"], 3);
    assert_eq!(
        call(&state, "GET", "/v1/handoffs", Some(AGENT_KEY), None, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(
            &state,
            "POST",
            "/v1/admin/reload",
            Some(ADMIN_KEY),
            None,
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&state, "GET", "/v1/handoffs", Some(AGENT_KEY), None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "reloaded keys apply"
    );
}

#[tokio::test]
async fn ops_routes_and_rate_limit() {
    let f = fixture_with(FakeAssistant::new(), |c| c.server.rate_limit_per_minute = 3);
    assert_eq!(
        call(&f.state, "GET", "/healthz", None, None, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&f.state, "GET", "/readyz", None, None, None)
            .await
            .status,
        StatusCode::OK
    );
    f.state
        .readiness
        .index
        .store(false, std::sync::atomic::Ordering::Release);
    let r = call(&f.state, "GET", "/readyz", None, None, None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    for page in [
        "/",
        "/agent",
        "/admin",
        "/embed.js",
        "/agent.js",
        "/admin.js",
        "/style.css",
    ] {
        let r = call(&f.state, "GET", page, None, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        assert!(r.text.len() > 200, "{page}");
    }
    for _ in 0..3 {
        assert_eq!(
            call(&f.state, "GET", "/v1/handoffs", Some(AGENT_KEY), None, None)
                .await
                .status,
            StatusCode::OK
        );
    }
    let r = call(&f.state, "GET", "/v1/handoffs", Some(AGENT_KEY), None, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.get("retry-after").is_some());
    let m = call(&f.state, "GET", "/metrics", None, None, None).await;
    assert!(
        m.text.contains(
            "frontdesk_http_requests_total{route=\"/v1/handoffs\",method=\"GET\",status=\"429\"} 1"
        ),
        "{}",
        m.text
    );
    assert!(m.text.contains("frontdesk_turn_queue_depth"));
}

#[tokio::test]
async fn openapi_covers_every_route() {
    let f = fixture();
    let doc = call(&f.state, "GET", "/openapi.json", None, None, None)
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in frontdesk_server::ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from openapi.json"
        );
        // And the route is really served (not 404 from the fallback / 405).
        let uri = path.replace("{id}", "x");
        let r = call(&f.state, &method.to_uppercase(), &uri, None, None, None).await;
        assert!(
            r.status != StatusCode::METHOD_NOT_ALLOWED
                && !(r.status == StatusCode::NOT_FOUND
                    && r.json()["error"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .contains("route")),
            "{method} {path} -> {}",
            r.status
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        frontdesk_server::ROUTES.len(),
        "openapi.json documents routes the server does not have"
    );
}

#[tokio::test]
async fn customer_event_stream_and_agent_stream_require_auth() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    assert_eq!(
        call(
            &f.state,
            "GET",
            &format!("/v1/conversations/{id}/events"),
            None,
            None,
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            &f.state,
            "GET",
            &format!("/v1/conversations/{id}/events?token=bad"),
            None,
            None,
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &f.state,
            "GET",
            "/v1/agent/events",
            Some(CHANNEL_KEY),
            None,
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let _ = token;
}

/// A reply that states a write carries the plan and what it waits for as fields, so a client
/// can show Yes / No without reading the text; the stored transcript keeps them.
#[tokio::test]
async fn reply_carries_the_pending_plan_and_what_it_awaits() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "please cancel, show me the plan"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(v["awaiting"], "confirmation");
    assert_eq!(v["pending_action"]["action"], "cancel_pending_order");
    assert_eq!(v["pending_action"]["arguments"]["order_id"], "#W1");
    assert_eq!(v["pending_action"]["summary"], "cancel order #W1");
    let plain = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{id}/messages"),
        Some(&token),
        Some(json!({"text": "What are your opening hours?"})),
        None,
    )
    .await
    .json();
    assert!(plain.get("pending_action").is_none() && plain.get("awaiting").is_none());
}

/// The transcript keeps a plan's card: the bot message that stated it carries
/// `pending_action` and `awaiting`, so a reloaded widget shows Yes / No again.
#[tokio::test]
async fn transcript_keeps_the_plan_awaiting_a_yes() {
    let f = fixture();
    let (id, token) = new_conversation(&f.state).await;
    let path = format!("/v1/conversations/{id}/messages");
    call(
        &f.state,
        "POST",
        &path,
        Some(&token),
        Some(json!({"text": "show me the plan"})),
        None,
    )
    .await;
    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    let last = t["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["speaker"], "bot");
    assert_eq!(last["awaiting"], "confirmation");
    assert_eq!(last["pending_action"]["summary"], "cancel order #W1");
    let done = call(
        &f.state,
        "POST",
        &path,
        Some(&token),
        Some(json!({"text": "yes"})),
        None,
    )
    .await
    .json();
    assert_eq!(done["text"], "Done: order #W1 is cancelled.");
    let t = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{id}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    assert!(t["messages"].as_array().unwrap().last().unwrap()["pending_action"].is_null());
}

/// The customer API answers the origins of `server.allowed_origins` (preflight and the call
/// itself) and no other; the agents' API is never cross-origin.
#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let f = fixture_with(FakeAssistant::new(), |c| {
        c.server.allowed_origins = vec!["https://shop.example".into()];
    });
    let app = || frontdesk_server::app(f.state.clone());
    use tower::ServiceExt;
    let preflight = |origin: &str, path: &str| {
        axum::http::Request::builder()
            .method("OPTIONS")
            .uri(path)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let r = app()
        .oneshot(preflight("https://shop.example", "/v1/conversations"))
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let r = app()
        .oneshot(preflight("https://elsewhere.example", "/v1/conversations"))
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = app()
        .oneshot(preflight("https://shop.example", "/v1/handoffs"))
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/conversations")
        .header("origin", "https://shop.example")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = app().oneshot(req).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
}

/// The waiting customer's figures: the configured hours and the median waiting → claimed
/// time of the last day's claimed handoffs (none claimed: no figure).
#[tokio::test]
async fn availability_gives_hours_and_the_median_wait() {
    let f = fixture();
    let a = call(&f.state, "GET", "/v1/availability", None, None, None)
        .await
        .json();
    assert_eq!(a["open_now"], true);
    assert_eq!(a["hours"]["days"], json!([1, 2, 3, 4, 5, 6, 7]));
    assert!(a["expected_wait_secs"].is_null());
    assert_eq!(a["waits_sampled"], 0);
    use frontdesk_core::store::{HandoffRecord, HandoffState};
    let now = chrono::Utc::now();
    for (i, (ago, wait)) in [
        (300, Some(40)),
        (200, Some(100)),
        (100, Some(70)),
        (50, None),
    ]
    .iter()
    .enumerate()
    {
        let (cid, _) = new_conversation(&f.state).await;
        let created = now - chrono::Duration::seconds(*ago);
        f.state
            .store
            .create_handoff(&HandoffRecord {
                id: format!("h{i}"),
                conversation_id: cid,
                reason: frontdesk_core::EscalationReason::CustomerRequest,
                summary: "invented".into(),
                state: HandoffState::Waiting,
                agent: None,
                created_at: created,
                updated_at: created,
                ticket: false,
                claimed_at: wait.map(|w| created + chrono::Duration::seconds(w)),
            })
            .await
            .unwrap();
    }
    let a = call(&f.state, "GET", "/v1/availability", None, None, None)
        .await
        .json();
    assert_eq!(a["expected_wait_secs"], 70);
    assert_eq!(a["waits_sampled"], 3);
}

async fn open_handoff(f: &Fixture, first: &str) -> (String, String, String) {
    let (cid, token) = new_conversation(&f.state).await;
    let path = format!("/v1/conversations/{cid}/messages");
    if !first.is_empty() {
        call(
            &f.state,
            "POST",
            &path,
            Some(&token),
            Some(json!({"text": first})),
            None,
        )
        .await;
    }
    let r = call(
        &f.state,
        "POST",
        &path,
        Some(&token),
        Some(json!({"text": "a human please"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let list = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=waiting",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    let h = list["handoffs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["conversation_id"] == cid.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    (cid, token, h)
}

/// The queue's counts per filter, `agent=` for one agent's claims, the claim time recorded,
/// and the caller's own name.
#[tokio::test]
async fn queue_counts_and_the_agent_filter() {
    let f = fixture();
    let (_, _, h1) = open_handoff(&f, "").await;
    let (_, _, _h2) = open_handoff(&f, "").await;
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/handoffs/{h1}/claim"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["handoff"]["claimed_at"].is_string());
    let l = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=claimed&agent=ana",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(l["me"], "ana");
    assert_eq!(
        l["counts"],
        json!({"waiting": 1, "claimed": 1, "resolved": 0, "mine": 1})
    );
    assert_eq!(l["handoffs"].as_array().unwrap().len(), 1);
    assert_eq!(l["handoffs"][0]["id"], h1.as_str());
    let l = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=claimed&agent=someone",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert!(l["handoffs"].as_array().unwrap().is_empty());
    let l = call(&f.state, "GET", "/v1/handoffs", Some(AGENT_KEY), None, None)
        .await
        .json();
    assert_eq!(l["handoffs"].as_array().unwrap().len(), 2);
    let bad = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=lost",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// A verified customer's handoff shows the shop's record of them and their orders.
#[tokio::test]
async fn handoff_detail_shows_the_verified_customer_and_orders() {
    let f = fixture_with_shop(FakeAssistant::new(), |_| {}, Some(invented_shop()));
    let (_, _, h) = open_handoff(&f, "verify me as mila_zoric_7").await;
    let d = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{h}"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(d["shop"]["customer"]["name"], "Mila Zorić");
    assert_eq!(d["shop"]["customer"]["email"], "mila.zoric@example.org");
    let orders: Vec<&str> = d["shop"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders.len(), 2);
    assert!(orders.contains(&"#T501") && orders.contains(&"#T502"));
    let pending = d["shop"]["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_id"] == "#T502")
        .unwrap();
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["total"], 61.0);
    // Unverified: no shop record.
    let (_, _, h) = open_handoff(&f, "").await;
    let d = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{h}"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    assert!(d["shop"].is_null());
    // An unknown customer id: reported, the detail still served.
    let (_, _, h) = open_handoff(&f, "verify me as nobody_here").await;
    let r = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{h}"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["shop"]["error"].is_string());
}

/// Suggested replies answer the customer's last question without committing a turn: the
/// transcript, the conversation's state and the assistant's turn count stay as they were.
#[tokio::test]
async fn suggestions_draft_without_touching_the_conversation() {
    let f = fixture();
    let (cid, token, h) = open_handoff(&f, "").await;
    // A question written while waiting for the person.
    let r = call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{cid}/messages"),
        Some(&token),
        Some(json!({"text": "meanwhile: when are you open?"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let before_msgs = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{cid}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    let (before_state, _) = f.state.store.conversation(&cid).await.unwrap();
    let calls = f.assistant.calls.load(std::sync::atomic::Ordering::SeqCst);
    let s = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{h}/suggestions"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    let s = s.json();
    assert_eq!(s["question"], "meanwhile: when are you open?");
    assert_eq!(
        s["draft"]["text"],
        "We are open every day from 8 to 20 [1]."
    );
    assert_eq!(
        s["draft"]["citations"][0]["url"],
        "https://shop.example/hours"
    );
    assert_eq!(s["passages"][0]["title"], "Opening hours");
    assert_eq!(s["passages"].as_array().unwrap().len(), 2);
    let after_msgs = call(
        &f.state,
        "GET",
        &format!("/v1/conversations/{cid}"),
        Some(&token),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(before_msgs, after_msgs);
    assert_eq!(
        f.state.store.conversation(&cid).await.unwrap().0,
        before_state
    );
    assert_eq!(
        f.assistant.calls.load(std::sync::atomic::Ordering::SeqCst),
        calls
    );
    // Auth and unknown ids.
    let r = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{h}/suggestions"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &f.state,
        "GET",
        "/v1/handoffs/nope/suggestions",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Canned responses come from `server.canned_responses`, for agents only.
#[tokio::test]
async fn canned_responses_come_from_configuration() {
    let f = fixture_with(FakeAssistant::new(), |c| {
        c.server.canned_responses = vec![frontdesk_core::config::CannedResponse {
            title: "Greeting".into(),
            text: "Hello, I am looking into it now.".into(),
            lang: Some(frontdesk_core::Lang::En),
        }];
    });
    let r = call(
        &f.state,
        "GET",
        "/v1/agent/canned-responses",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(
        r.json()["canned_responses"],
        json!([{"title": "Greeting", "text": "Hello, I am looking into it now.", "lang": "en"}])
    );
    let r = call(
        &f.state,
        "GET",
        "/v1/agent/canned-responses",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// The analytics carry a series per day for `days` days (today last); a bad `days` is a 400.
#[tokio::test]
async fn analytics_has_a_daily_series() {
    let f = fixture();
    let (_, _, _) = open_handoff(&f, "When are you open?").await;
    let a = call(
        &f.state,
        "GET",
        "/v1/admin/analytics?days=3",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let a = a.json();
    assert_eq!(a["days"], 3);
    let daily = a["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 3);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let last = daily.last().unwrap();
    assert_eq!(last["day"], today.as_str());
    assert_eq!(last["active_conversations"], 1);
    assert_eq!(last["escalated_conversations"], 1);
    assert_eq!(last["containment_rate"], 0.0);
    assert_eq!(last["escalations_by_reason"]["customer_request"], 1);
    assert_eq!(last["bot_turns"], 2);
    assert!(daily[0]["containment_rate"].is_null());
    let d = call(
        &f.state,
        "GET",
        "/v1/admin/analytics",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await
    .json();
    assert_eq!(d["daily"].as_array().unwrap().len(), 30);
    for bad in ["0", "367", "ten"] {
        let r = call(
            &f.state,
            "GET",
            &format!("/v1/admin/analytics?days={bad}"),
            Some(ADMIN_KEY),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// The pages and scripts are served: the widget script, the console and the operator page.
#[tokio::test]
async fn web_pages_are_served() {
    let f = fixture();
    for (path, needle) in [
        ("/", "embed.js"),
        ("/embed.js", "attachShadow"),
        ("/agent", "agent.js"),
        ("/agent.js", "suggestions"),
        ("/admin", "admin.js"),
        ("/admin.js", "daily"),
    ] {
        let r = call(&f.state, "GET", path, None, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.text.contains(needle), "{path}");
    }
}
