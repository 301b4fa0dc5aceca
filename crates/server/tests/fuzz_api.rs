//! Fuzz harness for the request extractors and wire types: requests built from the API's own
//! parts (every route, the right and wrong credentials, content types, JSON bodies of the
//! right shape with values of every type, broken JSON, oversized bodies, odd path segments and
//! query strings) go through `app(state)` with the fake assistant. Every answer must be a
//! status the API documents with the JSON error body (never a 500), and a customer message
//! answered with an error must not be stored: bad input loses nothing and adds nothing.
//!
//! Short in `cargo test`; long runs: `FRONTDESK_FUZZ_CASES=1000000 cargo test --release -p
//! frontdesk-server --test fuzz_api` (see crates/server/README.md).

mod common;

use common::*;
use frontdesk_core::conversation::Speaker;
use frontdesk_fuzzing::{check_time, config, regex, MAX_INPUT_BYTES};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

const CI_CASES: u32 = 300;

struct World {
    rt: tokio::runtime::Runtime,
    f: Fixture,
    /// The conversation requests aim at; replaced when it grows long, so a long run keeps
    /// measuring parsing rather than an ever larger saved state.
    conversation: Mutex<(String, String)>,
    handoff: String,
}

/// Accepted customer messages after which the target conversation is replaced.
const MESSAGES_PER_CONVERSATION: usize = 200;

/// One service for the whole run (a fresh one per case would measure SQLite, not parsing):
/// a conversation and a claimed handoff to aim requests at.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let f = fixture_with(FakeAssistant::new(), |c| {
            c.server.max_body_bytes = 16 * 1024;
            c.server.max_message_chars = 2000;
        });
        let (conversation, handoff) = rt.block_on(async {
            let conversation = new_conversation(&f.state).await;
            let (escalated, token) = new_conversation(&f.state).await;
            let path = format!("/v1/conversations/{escalated}/messages");
            let r = call(
                &f.state,
                "POST",
                &path,
                Some(&token),
                Some(json!({"text": "a human please"})),
                None,
            )
            .await;
            let handoff = r.json()["handoff"]["id"].as_str().unwrap().to_string();
            let claim = format!("/v1/handoffs/{handoff}/claim");
            call(&f.state, "POST", &claim, Some(AGENT_KEY), None, None).await;
            (conversation, handoff)
        });
        World {
            rt,
            f,
            conversation: Mutex::new(conversation),
            handoff,
        }
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        regex("\\PC{0,40}").prop_map(Value::String),
        Just(Value::String("hello, what are your opening hours?".into())),
        Just(Value::String(String::new())),
        Just(Value::String("  \n\t ".into())),
        Just(Value::String("x".repeat(2001))),
    ];
    // Compiled once: proptest calls this closure again for every value it generates.
    let key = regex("[a-z_]{1,10}").boxed();
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object with the route's own field names (and some others), any values.
fn shaped_body(fields: &'static [&'static str]) -> impl Strategy<Value = String> {
    let key = prop_oneof![4 => prop::sample::select(fields), 1 => Just("unexpected")];
    prop::collection::btree_map(key, json_value(), 0..fields.len() + 2).prop_map(|m| {
        Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()).to_string()
    })
}

fn body() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        6 => prop_oneof![
            shaped_body(&["text"]),
            shaped_body(&["channel", "lang"]),
            shaped_body(&["rating", "comment"]),
            shaped_body(&["conversation_id", "text", "lang", "ssml"]),
            shaped_body(&["model", "messages", "stream", "user"]),
            shaped_body(&["webhooks"]),
            (prop::collection::vec((prop::sample::select(vec!["system", "user", "assistant", "tool", ""]), json_value()), 0..4))
                .prop_map(|m| json!({"messages": m.into_iter().map(|(r, c)| json!({"role": r, "content": c})).collect::<Vec<_>>()}).to_string()),
            json_value().prop_map(|v| v.to_string()),
        ].prop_map(Some),
        2 => regex("\\PC{0,200}").prop_map(Some),
        1 => prop::sample::select(vec!["{", "{\"text\": ", "{\"text\": \"a\"", "[]", "null", "\"text\"", "{\"text\": \"\\ud800\"}", "{\"text\": \"a\", \"text\": \"b\"}"]).prop_map(|s| Some(s.to_string())),
        1 => (1usize..4).prop_map(|n| Some(format!("{{\"text\": \"{}\"}}", "a".repeat(n * 8 * 1024)))),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Auth {
    None,
    Customer,
    WrongToken,
    Agent,
    Admin,
    Channel,
    Garbage,
}

fn request() -> impl Strategy<Value = (String, String, Auth, Option<String>, bool)> {
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]);
    let route = prop::sample::select(vec![
        "/v1/conversations",
        "/v1/conversations/{c}",
        "/v1/conversations/{c}/messages",
        "/v1/conversations/{c}/feedback",
        "/v1/voice/turn",
        "/v1/chat/completions",
        "/v1/handoffs",
        "/v1/handoffs?state={s}",
        "/v1/handoffs/{h}",
        "/v1/handoffs/{h}/messages",
        "/v1/handoffs/{h}/claim",
        "/v1/admin/webhooks",
        "/v1/admin/customers/{s}",
        "/v1/{s}",
    ]);
    let segment = prop_oneof![
        regex("[a-zA-Z0-9_-]{0,12}"),
        Just("%00".to_string()),
        Just("%2F..%2F".to_string()),
        Just("%FF%FE".to_string()),
        Just("..".to_string()),
        Just("a%20b".to_string()),
    ];
    let auth = prop::sample::select(vec![
        Auth::None,
        Auth::Customer,
        Auth::WrongToken,
        Auth::Agent,
        Auth::Admin,
        Auth::Channel,
        Auth::Garbage,
    ]);
    (
        method,
        route,
        segment,
        any::<bool>(),
        auth,
        body(),
        any::<bool>(),
    )
        .prop_map(|(m, route, seg, real_ids, auth, body, sse)| {
            let w = world();
            let (c, h) = if real_ids {
                (w.conversation.lock().unwrap().0.clone(), w.handoff.clone())
            } else {
                (seg.clone(), seg.clone())
            };
            let path = route
                .replace("{c}", &c)
                .replace("{h}", &h)
                .replace("{s}", &seg);
            (m.to_string(), path, auth, body, sse)
        })
}

fn customer_messages(w: &World, id: &str) -> usize {
    w.rt.block_on(w.f.state.store.messages(id))
        .unwrap()
        .iter()
        .filter(|m| m.speaker == Speaker::Customer)
        .count()
}

/// Regression (fuzz finding): a path segment that is not UTF-8 once decoded, or a method a
/// route does not take, was answered by the framework in plain text; every error now has the
/// JSON body.
#[test]
fn framework_rejections_have_the_json_error_body() {
    let w = world();
    for (method, path, want) in [
        ("POST", "/v1/handoffs/%FF%FE/claim", 400),
        ("GET", "/v1/conversations/%FF", 400),
        ("DELETE", "/v1/conversations", 405),
        ("PUT", "/v1/handoffs/x/claim", 405),
        ("GET", "/v1/handoffs?state=%FF", 400),
    ] {
        let r = w.rt.block_on(call_raw(
            &w.f.state,
            method,
            path,
            Some(AGENT_KEY),
            None,
            None,
        ));
        assert_eq!(r.status.as_u16(), want, "{method} {path}: {}", r.text);
        let v: Value = serde_json::from_str(&r.text)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", r.text));
        assert!(
            v["error"]["code"].is_string() && v["error"]["message"].is_string(),
            "{}",
            r.text
        );
    }
}

proptest! {
    #![proptest_config(config(CI_CASES))]

    #[test]
    fn every_request_gets_a_documented_status_and_bad_messages_are_not_stored(
        (method, path, auth, body, sse) in request()
    ) {
        let w = world();
        prop_assume!(body.as_ref().is_none_or(|b| b.len() <= MAX_INPUT_BYTES));
        let (conversation, token) = w.conversation.lock().unwrap().clone();
        let key = match auth {
            Auth::None => None,
            Auth::Customer => Some(token.as_str()),
            Auth::WrongToken => Some("not-the-token"),
            Auth::Agent => Some(AGENT_KEY),
            Auth::Admin => Some(ADMIN_KEY),
            Auth::Channel => Some(CHANNEL_KEY),
            Auth::Garbage => Some("x\" ,; \\ 0123456789abcdef0123456789"),
        };
        let before = customer_messages(w, &conversation);
        let started = Instant::now();
        let accept = sse.then_some("text/event-stream");
        let r = w.rt.block_on(call_raw(&w.f.state, &method, &path, key, body.clone(), accept));
        check_time(started, "the request")?;
        let status = r.status.as_u16();
        prop_assert!(
            [200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503].contains(&status),
            "{} {} answered {}: {}", method, path, status, r.text
        );
        if status >= 400 {
            let v: Value = serde_json::from_str(&r.text).map_err(|e| TestCaseError::fail(format!("{method} {path} {status}: not JSON ({e}): {}", r.text)))?;
            prop_assert!(v["error"]["code"].is_string() && v["error"]["message"].is_string(), "{}", r.text);
        }
        let after = customer_messages(w, &conversation);
        if after >= MESSAGES_PER_CONVERSATION {
            *w.conversation.lock().unwrap() = w.rt.block_on(new_conversation(&w.f.state));
        }
        let is_message = method == "POST" && path == format!("/v1/conversations/{conversation}/messages");
        if is_message && status == 200 {
            prop_assert_eq!(after, before + 1);
        } else {
            prop_assert_eq!(after, before, "{} {} ({}) changed the stored messages", method, path, status);
        }
    }
}
