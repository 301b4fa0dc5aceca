//! Test fixtures: a table-driven fake assistant and an `AppState` on a temporary database.
#![allow(dead_code)]

pub mod child_server;
pub mod http_client;
pub mod postgres;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use frontdesk_core::assistant::{AssistantError, SuggestedPassage, Suggestion};
use frontdesk_core::config::{ApiKey, ApiRole, BusinessHours};
use frontdesk_core::conversation::{
    AnswerSource, ExecutedAction, PendingAction, Slot, Speaker, TurnOutcome, VerifiedCustomer,
};
use frontdesk_core::{
    Assistant, Citation, Config, ConversationState, ConversationStatus, Decision, EscalationReason,
    HandoffInfo, Lang, TurnEvent, TurnRecord,
};
use frontdesk_server::{AppState, SqliteStore};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub const AGENT_KEY: &str = "agent-key-0123456789";
pub const ADMIN_KEY: &str = "admin-key-0123456789";
pub const CHANNEL_KEY: &str = "channel-key-0123456789";

/// Answers from a tiny table, streams word tokens, escalates on "human", reports overload on
/// "overload", verifies the customer on "verify me as ID", runs an audited address change on
/// "move to ADDRESS", states a plan on "plan" and carries it out on the next message's "yes"
/// (drops it on "no"), and waits `delay` per token so tests can hold turns open. Its
/// suggestions draft from the same table without touching the conversation.
pub struct FakeAssistant {
    pub delay: Duration,
    pub calls: AtomicUsize,
}

impl FakeAssistant {
    pub fn new() -> Self {
        Self {
            delay: Duration::ZERO,
            calls: AtomicUsize::new(0),
        }
    }
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay,
            calls: AtomicUsize::new(0),
        }
    }
}

fn record(speaker: Speaker, text: &str) -> TurnRecord {
    TurnRecord {
        speaker,
        text: text.into(),
        at: chrono::Utc::now(),
        lang: Some(Lang::En),
        citations: vec![],
        intent: None,
    }
}

#[async_trait]
impl Assistant for FakeAssistant {
    async fn respond(
        &self,
        state: &mut ConversationState,
        message: &str,
        events: mpsc::Sender<TurnEvent>,
    ) -> Result<TurnOutcome, AssistantError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if state.status != ConversationStatus::Bot {
            return Err(AssistantError::NotWithBot("with a human"));
        }
        let lower = message.to_lowercase();
        if lower.contains("overload") {
            return Err(AssistantError::Overloaded("fake queue full".into()));
        }
        let mut executed_actions = Vec::new();
        // A yes or no to the plan the previous reply stated.
        let planned = state.flow.take();
        if let Some(plan) = planned.filter(|_| lower == "yes" || lower == "no") {
            let text = if lower == "yes" {
                executed_actions.push(ExecutedAction {
                    name: plan["action"].as_str().unwrap_or_default().into(),
                    arguments: plan["arguments"].clone(),
                    result: serde_json::json!({"status": "cancelled"}),
                });
                "Done: order #W1 is cancelled."
            } else {
                "All right, I left the order as it is."
            };
            state.turns.push(record(Speaker::Customer, message));
            state.turns.push(record(Speaker::Bot, text));
            for piece in text.split_inclusive(' ') {
                let _ = events.send(TurnEvent::Token(piece.to_string())).await;
            }
            let outcome = TurnOutcome {
                voice_text: text.into(),
                text: text.into(),
                lang: Lang::En,
                citations: vec![],
                decision: Decision::Answer,
                source: AnswerSource::Action,
                intent: None,
                status: state.status,
                handoff: None,
                retrieved: vec![],
                retrieved_doc_ids: vec![],
                executed_actions,
                pending_action: None,
                awaiting: None,
                latency_ms: 3,
                ttft_ms: Some(1),
            };
            let _ = events.send(TurnEvent::Done(outcome.clone())).await;
            return Ok(outcome);
        }
        // "… plan …": a reply that states a write and waits for the customer's yes.
        let (pending_action, awaiting) = if lower.contains("plan") {
            (
                Some(PendingAction {
                    action: "cancel_pending_order".into(),
                    arguments: serde_json::json!({"order_id": "#W1", "reason": "no longer needed"}),
                    summary: "cancel order #W1".into(),
                    approval_amount: None,
                }),
                Some(Slot::Confirmation),
            )
        } else {
            (None, None)
        };
        if let Some(p) = &pending_action {
            state.flow = Some(serde_json::json!({"action": p.action, "arguments": p.arguments}));
        }
        let (text, citations, decision, handoff) = if let Some(at) = lower.find("verify me as ") {
            let id = message[at + "verify me as ".len()..].trim().to_string();
            state.customer = Some(VerifiedCustomer {
                display_name: format!("Customer {id}"),
                customer_id: id,
            });
            (
                "Thanks, you are verified.".to_string(),
                vec![],
                Decision::Answer,
                None,
            )
        } else if let Some(at) = lower.find("move to ") {
            let address = message[at + "move to ".len()..].trim().to_string();
            executed_actions.push(ExecutedAction {
                name: "modify_user_address".into(),
                arguments: serde_json::json!({ "address": address }),
                result: serde_json::json!({ "ok": true }),
            });
            (
                "Your address is updated.".to_string(),
                vec![],
                Decision::StartAction {
                    action: "modify_user_address".into(),
                },
                None,
            )
        } else if lower.contains("human") {
            let info = HandoffInfo {
                reason: EscalationReason::CustomerRequest,
                summary: format!("Customer asked for a person after: {message}"),
            };
            (
                "I am connecting you with a person.".to_string(),
                vec![],
                Decision::Escalate {
                    reason: EscalationReason::CustomerRequest,
                },
                Some(info),
            )
        } else if lower.contains("hours") || lower.contains("open") {
            let c = Citation {
                index: 1,
                doc_id: "hours".into(),
                title: "Opening hours".into(),
                url: Some("https://shop.example/hours".into()),
                chunk_id: "hours#0".into(),
            };
            (
                "We are open every day from 8 to 20 [1].".to_string(),
                vec![c],
                Decision::Answer,
                None,
            )
        } else if lower.contains("quantum") {
            let info = HandoffInfo {
                reason: EscalationReason::LowConfidence,
                summary: "No answer found".into(),
            };
            (
                "I could not find that; a person will help.".to_string(),
                vec![],
                Decision::Escalate {
                    reason: EscalationReason::LowConfidence,
                },
                Some(info),
            )
        } else {
            (
                format!("You said: {message}"),
                vec![],
                Decision::Answer,
                None,
            )
        };
        state.turns.push(record(Speaker::Customer, message));
        for piece in text.split_inclusive(' ') {
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let _ = events.send(TurnEvent::Token(piece.to_string())).await;
        }
        for c in &citations {
            let _ = events.send(TurnEvent::Citation(c.clone())).await;
        }
        let status = if handoff.is_some() {
            ConversationStatus::WaitingForHuman
        } else {
            ConversationStatus::Bot
        };
        state.status = status;
        // Cyrillic in, Serbian Cyrillic out (the widget follows the reply's language).
        let lang = if message
            .chars()
            .any(|c| ('\u{400}'..='\u{4ff}').contains(&c))
        {
            Lang::SrCyrl
        } else {
            Lang::En
        };
        state.lang = Some(lang);
        state.turns.push(record(Speaker::Bot, &text));
        let outcome = TurnOutcome {
            voice_text: text.replace(" [1]", ""),
            text,
            lang,
            citations,
            decision,
            source: AnswerSource::Direct,
            intent: None,
            status,
            handoff,
            retrieved: vec![],
            retrieved_doc_ids: vec![],
            executed_actions,
            pending_action,
            awaiting,
            latency_ms: 3,
            ttft_ms: Some(1),
        };
        let _ = events.send(TurnEvent::Done(outcome.clone())).await;
        Ok(outcome)
    }

    /// A draft for questions about opening hours (with its passage), passages only for
    /// anything about returns, nothing else; `state` is only read.
    async fn suggest(
        &self,
        state: &ConversationState,
        question: &str,
    ) -> Result<Suggestion, AssistantError> {
        let lower = question.to_lowercase();
        let hours = SuggestedPassage {
            doc_id: "hours".into(),
            title: "Opening hours".into(),
            url: Some("https://shop.example/hours".into()),
            text: "The shop is open every day from 8 to 20.".into(),
            confidence: 0.91,
        };
        let returns = SuggestedPassage {
            doc_id: "returns".into(),
            title: "Returns".into(),
            url: None,
            text: "Unworn items go back within 30 days.".into(),
            confidence: 0.42,
        };
        let (draft, citations, passages) = if lower.contains("hours") || lower.contains("open") {
            (
                Some("We are open every day from 8 to 20 [1].".to_string()),
                vec![Citation {
                    index: 1,
                    doc_id: "hours".into(),
                    title: "Opening hours".into(),
                    url: hours.url.clone(),
                    chunk_id: "hours#0".into(),
                }],
                vec![hours, returns],
            )
        } else if lower.contains("return") {
            (None, vec![], vec![returns])
        } else {
            (None, vec![], vec![])
        };
        Ok(Suggestion {
            question: question.to_string(),
            lang: state.lang.unwrap_or(Lang::En),
            draft,
            citations,
            passages,
        })
    }
}

pub fn test_config(data_dir: &std::path::Path) -> Config {
    let mut c = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    c.server.api_keys = vec![
        ApiKey {
            name: "ana".into(),
            key: AGENT_KEY.into(),
            role: ApiRole::Agent,
        },
        ApiKey {
            name: "ops".into(),
            key: ADMIN_KEY.into(),
            role: ApiRole::Admin,
        },
        ApiKey {
            name: "voice".into(),
            key: CHANNEL_KEY.into(),
            role: ApiRole::Channel,
        },
    ];
    // Always open, so handoffs are live unless a test says otherwise.
    c.server.business_hours = BusinessHours {
        utc_offset_minutes: 0,
        open: "00:00".into(),
        close: "23:59".into(),
        days: vec![1, 2, 3, 4, 5, 6, 7],
    };
    c.server.rate_limit_per_minute = 0;
    c
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub assistant: Arc<FakeAssistant>,
}

pub fn fixture_with(assistant: FakeAssistant, tweak: impl FnOnce(&mut Config)) -> Fixture {
    fixture_with_shop(assistant, tweak, None)
}

/// A fixture whose server reads a shop (the agent console's customer and orders).
pub fn fixture_with_shop(
    assistant: FakeAssistant,
    tweak: impl FnOnce(&mut Config),
    shop: Option<Arc<dyn frontdesk_core::Commerce>>,
) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = test_config(dir.path());
    tweak(&mut config);
    let store = Arc::new(SqliteStore::open_in(dir.path()).expect("open store"));
    let assistant = Arc::new(assistant);
    let mut builder = AppState::builder(config, assistant.clone(), store);
    if let Some(shop) = shop {
        builder = builder.commerce(shop);
    }
    let state = builder.build();
    Fixture {
        dir,
        state,
        assistant,
    }
}

pub fn fixture() -> Fixture {
    fixture_with(FakeAssistant::new(), |_| {})
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// (event, data) pairs of an SSE body.
    pub fn sse(&self) -> Vec<(String, String)> {
        parse_sse(&self.text)
    }
}

pub fn parse_sse(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_string();
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = n.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
                }
            }
            (!data.is_empty()).then(|| (name, data.join("\n")))
        })
        .collect()
}

pub async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: Option<Value>,
    accept: Option<&str>,
) -> Resp {
    call_raw(
        state,
        method,
        uri,
        auth,
        body.map(|b| b.to_string()),
        accept,
    )
    .await
}

pub async fn call_raw(
    state: &AppState,
    method: &str,
    uri: &str,
    auth: Option<&str>,
    body: Option<String>,
    accept: Option<&str>,
) -> Resp {
    use tower::ServiceExt;
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(a) = auth {
        req = req.header("authorization", format!("Bearer {a}"));
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b)),
        None => req.body(Body::empty()),
    }
    .expect("request");
    let resp = frontdesk_server::app(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Creates a conversation; returns (id, token).
pub async fn new_conversation(state: &AppState) -> (String, String) {
    let r = call(state, "POST", "/v1/conversations", None, None, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let v = r.json();
    (
        v["id"].as_str().unwrap().to_string(),
        v["token"].as_str().unwrap().to_string(),
    )
}

/// An embedded shop with one invented customer (`mila_zoric_7`, two orders) and no products.
pub fn invented_shop() -> Arc<dyn frontdesk_core::Commerce> {
    let dir = tempfile::tempdir().expect("tempdir");
    let address = serde_json::json!({"address1": "Lipa 3", "city": "Subotica", "country": "Serbia", "zip": "24000"});
    let users = serde_json::json!({"mila_zoric_7": {
        "name": {"first_name": "Mila", "last_name": "Zorić"},
        "address": address,
        "email": "mila.zoric@example.org",
        "payment_methods": {"paypal_1": {"source": "paypal", "id": "paypal_1"}},
        "orders": ["#T501", "#T502"],
    }});
    let order = |id: &str, status: &str, item: &str, price: f64| {
        serde_json::json!({
            "order_id": id, "user_id": "mila_zoric_7", "address": address, "status": status,
            "items": [{"name": item, "product_id": "p1", "item_id": format!("i{id}"), "price": price, "options": {}}],
            "fulfillments": [], "payment_history": [],
        })
    };
    let orders = serde_json::json!({
        "#T501": order("#T501", "delivered", "Tin lantern", 24.5),
        "#T502": order("#T502", "pending", "Wool blanket", 61.0),
    });
    for (name, v) in [
        ("users.json", users),
        ("orders.json", orders),
        ("products.json", serde_json::json!({})),
    ] {
        std::fs::write(dir.path().join(name), v.to_string()).expect("write seed");
    }
    let shop = frontdesk_commerce::SqliteCommerce::in_memory().expect("shop");
    shop.seed_from_dir(dir.path()).expect("seed");
    Arc::new(shop)
}
