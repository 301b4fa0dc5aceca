//! Two replicas on one PostgreSQL database, as processes: each test starts two children of
//! this test binary (`replica_child`), each a whole replica — `PgStore`, the shared shop
//! (`PgCommerce`), the background jobs `frontdesk serve` runs (`ReplicaJobs`: outbox worker,
//! sweep for unanswered messages, event relay) and the HTTP service on a loopback port — with
//! a fake assistant whose "index" is the list of documents in a knowledge folder both share,
//! and talks to them over HTTP only. Each test creates and drops its own
//! database on `FRONTDESK_TEST_POSTGRES_URL`; without it the tests are skipped, unless
//! `FRONTDESK_REQUIRE_POSTGRES=1` (CI), which fails them.
//!
//! The takeover of a dead replica's messages is configured to 2 s (`server.takeover_after_secs`)
//! with a sweep every second, so the kill -9 test runs in seconds.

mod common;

use async_trait::async_trait;
use common::child_server::{serve_publishing_address, start_child_server};
use common::http_client::{http, open_conversation, say, transcript};
use common::postgres::{pg_connect, pg_database, PgDatabase};
use common::*;
use frontdesk_commerce::PgCommerce;
use frontdesk_core::action_call::ActionCall;
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::commerce::{AuditLog, Commerce};
use frontdesk_core::config::{ApiKey, ApiRole};
use frontdesk_core::conversation::{Speaker, TurnOutcome};
use frontdesk_core::{Assistant, ConversationState, TurnEvent};
use frontdesk_server::replica::ReplicaJobs;
use frontdesk_server::{AppState, PgStore, Reindexer};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const CHILD_DIR_ENV: &str = "FRONTDESK_REPLICA_CHILD_DIR";
const CHILD_DATABASE_ENV: &str = "FRONTDESK_REPLICA_CHILD_DATABASE";
const CHILD_KNOWLEDGE_ENV: &str = "FRONTDESK_REPLICA_CHILD_KNOWLEDGE";
/// A second agent, so two claims of one handoff come from two people.
const BOB_KEY: &str = "agent-bob-0123456789";

// ---------------------------------------------------------------------------------------------
// The replica process

/// The fake assistant, plus what a replica needs the shared shop for: "cancel order #K…"
/// cancels through the audited execute-once path, "status of order #K…" reads the order, and
/// "turn …" replies with how many customer turns the conversation's saved state held before
/// it (a turn that read a stale state repeats a count).
struct ReplicaAssistant {
    fake: FakeAssistant,
    shop: Arc<PgCommerce>,
    knowledge: Arc<RwLock<Vec<String>>>,
}

/// The replica's "index": the names of the documents in the knowledge folder when it was last
/// built, which "what do you know" lists. Each replica reads the folder itself, as each builds
/// its own index from the same knowledge base.
struct FolderIndex {
    folder: std::path::PathBuf,
    documents: Arc<RwLock<Vec<String>>>,
}

impl FolderIndex {
    fn build(&self) -> usize {
        let mut names: Vec<String> = std::fs::read_dir(&self.folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let n = names.len();
        *self.documents.write().unwrap() = names;
        n
    }
}

#[async_trait]
impl Reindexer for FolderIndex {
    async fn reindex(&self) -> Result<Value, String> {
        Ok(json!({ "documents": self.build() }))
    }
}

fn order_id_in(message: &str) -> Option<String> {
    message
        .split_whitespace()
        .find(|w| w.starts_with("#K"))
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
}

#[async_trait]
impl Assistant for ReplicaAssistant {
    async fn respond(
        &self,
        state: &mut ConversationState,
        message: &str,
        events: mpsc::Sender<TurnEvent>,
    ) -> Result<TurnOutcome, AssistantError> {
        let turns_before = state
            .turns
            .iter()
            .filter(|t| t.speaker == Speaker::Customer)
            .count();
        let text = if message == "what do you know" {
            let documents = self.knowledge.read().unwrap().join(", ");
            Some(format!("I know {documents}"))
        } else if message.starts_with("turn ") {
            Some(format!("{message} after {turns_before} turns"))
        } else if let (true, Some(id)) = (message.starts_with("cancel order"), order_id_in(message))
        {
            let call = ActionCall::CancelPendingOrder {
                order_id: id.clone(),
                reason: "no longer needed".into(),
            };
            let done = self
                .shop
                .execute_once(self.shop.as_ref(), &state.id, &call)
                .await
                .map_err(|e| AssistantError::Internal(e.to_string()))?;
            Some(format!("order {id}: {}", done.result["status"]))
        } else if let (true, Some(id)) = (message.starts_with("status of"), order_id_in(message)) {
            let order = self
                .shop
                .order(&id)
                .await
                .map_err(|e| AssistantError::Internal(e.to_string()))?;
            Some(format!("order {id} is {}", order.status))
        } else {
            None
        };
        let mut outcome = self.fake.respond(state, message, events).await?;
        if let Some(text) = text {
            outcome.voice_text.clone_from(&text);
            outcome.text = text;
        }
        Ok(outcome)
    }
}

/// Child mode: one replica on the database in `$FRONTDESK_REPLICA_CHILD_DATABASE`, serving on
/// 127.0.0.1:0; writes its address to `addr` in `$FRONTDESK_REPLICA_CHILD_DIR` and runs until
/// killed. A no-op when run normally.
#[test]
#[ignore = "child process of the two-replica tests"]
fn replica_child() {
    let (Some(dir), Some(url), Some(knowledge)) = (
        std::env::var_os(CHILD_DIR_ENV),
        std::env::var(CHILD_DATABASE_ENV).ok(),
        std::env::var_os(CHILD_KNOWLEDGE_ENV),
    ) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let mut config = test_config(&dir);
        config.server.api_keys.push(ApiKey {
            name: "bob".into(),
            key: BOB_KEY.into(),
            role: ApiRole::Agent,
        });
        config.server.database_url = Some(url.clone());
        config.server.max_concurrent_turns = 8;
        config.server.takeover_after_secs = 2;
        config.server.unanswered_sweep_secs = 1;
        let store = Arc::new(PgStore::connect(&url).await.unwrap());
        let shop_pool = frontdesk_server::db::postgres::shop_pool(&url).unwrap();
        let shop = PgCommerce::from_pool(shop_pool, config.commerce.clone())
            .await
            .unwrap();
        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge/store");
        shop.seed_from_dir(&seed).await.unwrap();
        let index = FolderIndex {
            folder: knowledge.into(),
            documents: Arc::default(),
        };
        index.build();
        let assistant = ReplicaAssistant {
            fake: FakeAssistant::slow(Duration::from_millis(3)),
            shop: Arc::new(shop),
            knowledge: index.documents.clone(),
        };
        let state = AppState::builder(config, Arc::new(assistant), store)
            .reindexer(Arc::new(index))
            .build();
        let _jobs = ReplicaJobs::start(&state);
        serve_publishing_address(&dir, state).await;
    });
}

// ---------------------------------------------------------------------------------------------
// The test side

struct Replica {
    child: tokio::process::Child,
    base: String,
    /// The knowledge base, one folder for both replicas.
    knowledge: Arc<tempfile::TempDir>,
    _dir: tempfile::TempDir,
}

async fn start_replica(database_url: &str, knowledge: Arc<tempfile::TempDir>) -> Replica {
    let dir = tempfile::tempdir().unwrap();
    let (child, base) = start_child_server(
        "replica_child",
        dir.path(),
        &[
            (CHILD_DIR_ENV, dir.path().as_os_str()),
            (CHILD_DATABASE_ENV, OsStr::new(database_url)),
            (CHILD_KNOWLEDGE_ENV, knowledge.path().as_os_str()),
        ],
    )
    .await;
    Replica {
        child,
        base,
        knowledge,
        _dir: dir,
    }
}

/// A fresh database and two replicas on it; `None` when no PostgreSQL server is configured.
async fn two_replicas() -> Option<(PgDatabase, Replica, Replica)> {
    let db = pg_database().await?;
    let knowledge = Arc::new(tempfile::tempdir().unwrap());
    std::fs::write(knowledge.path().join("returns.md"), "# Returns\n30 days.\n").unwrap();
    // The first creates the schema and seeds the shop; the second finds them.
    let a = start_replica(&db.url, knowledge.clone()).await;
    let b = start_replica(&db.url, knowledge).await;
    Some((db, a, b))
}

async fn agent_post(http: &reqwest::Client, base: &str, key: &str, path: &str, body: Value) -> u16 {
    http.post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Opens a handoff by asking for a person on `base`; returns its id.
async fn open_handoff(http: &reqwest::Client, base: &str, conv: &(String, String)) -> String {
    let (status, reply) = say(http, base, conv, "I want a human please").await;
    assert_eq!(status, 200, "{reply}");
    reply["handoff"]["id"].as_str().unwrap().to_string()
}

// ---------------------------------------------------------------------------------------------
// The tests

/// One conversation's messages go to A and B in turn, first one at a time, then A and B at
/// once: every message is answered once, in the order the turns ran, and each turn read the
/// state the turn before it saved, whichever replica ran that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_of_one_conversation_alternate_between_replicas_in_order() {
    let Some((_db, a, b)) = two_replicas().await else {
        return;
    };
    let http = http();
    let conv = open_conversation(&http, &a.base).await;
    let mut sent = 0;
    for i in 0..6 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (status, reply) = say(&http, base, &conv, &format!("turn {i}")).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["text"], json!(format!("turn {i} after {i} turns")));
        sent += 1;
    }
    for round in 0..4 {
        let (on_a, on_b) = (format!("turn a{round}"), format!("turn b{round}"));
        let (x, y) = tokio::join!(
            say(&http, &a.base, &conv, &on_a),
            say(&http, &b.base, &conv, &on_b)
        );
        assert_eq!((x.0, y.0), (200, 200), "{} {}", x.1, y.1);
        sent += 2;
    }
    let messages = transcript(&http, &b.base, &conv).await;
    let questions: Vec<&str> = messages
        .iter()
        .filter(|(s, _)| s == "customer")
        .map(|(_, t)| t.as_str())
        .collect();
    let answers: Vec<&str> = messages
        .iter()
        .filter(|(s, _)| s == "bot")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(
        (questions.len(), answers.len()),
        (sent, sent),
        "{messages:?}"
    );
    // The n-th answer stored saw n earlier turns: no turn ran on a stale state or alongside
    // another.
    for (n, answer) in answers.iter().enumerate() {
        assert!(
            answer.ends_with(&format!(" after {n} turns")),
            "answer {n}: {answer:?} in {answers:?}"
        );
    }
    // Each question answered once, and every answer comes after its question.
    for q in &questions {
        let asked = messages.iter().position(|(s, t)| s == "customer" && t == q);
        let answered: Vec<usize> = messages
            .iter()
            .enumerate()
            .filter(|(_, (s, t))| s == "bot" && t.starts_with(&format!("{q} after ")))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(answered.len(), 1, "{q}: {messages:?}");
        assert!(asked.unwrap() < answered[0], "{q}: {messages:?}");
    }
}

/// A customer asks for a person on A: the agents' live stream on B announces it, an agent on
/// B claims it and writes, and the customer reads the agent's message through A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_on_b_claims_a_handoff_opened_on_a() {
    let Some((_db, a, b)) = two_replicas().await else {
        return;
    };
    let http = http();
    let mut inbox = http
        .get(format!("{}/v1/agent/events", b.base))
        .bearer_auth(AGENT_KEY)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 200);
    // The relay on B is listening once a handoff opened on A reaches B's stream; earlier ones
    // may be missed (live events are hints; the handoff list is the record).
    let conv = open_conversation(&http, &a.base).await;
    let handoff = open_handoff(&http, &a.base, &conv).await;
    let opened = Instant::now();
    let mut seen = String::new();
    let heard = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = inbox.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&handoff) {
                return;
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "B's agents never heard of {handoff}: {seen}");
    assert!(
        opened.elapsed() < Duration::from_secs(1),
        "{:?}",
        opened.elapsed()
    );

    let waiting: Value = http
        .get(format!("{}/v1/handoffs?state=waiting", b.base))
        .bearer_auth(AGENT_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        waiting["handoffs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == json!(handoff)),
        "{waiting}"
    );
    let claim = format!("/v1/handoffs/{handoff}/claim");
    assert_eq!(
        agent_post(&http, &b.base, AGENT_KEY, &claim, json!({})).await,
        200
    );
    let write = format!("/v1/handoffs/{handoff}/messages");
    let text = "Hello, Ana here from replica B.";
    assert_eq!(
        agent_post(&http, &b.base, AGENT_KEY, &write, json!({ "text": text })).await,
        200
    );
    let messages = transcript(&http, &a.base, &conv).await;
    assert!(
        messages.iter().any(|(s, t)| s == "agent" && t == text),
        "{messages:?}"
    );
}

/// Two agents claim the same handoff at the same moment, one on each replica: exactly one
/// gets 200, the other 409, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_simultaneous_claims_on_two_replicas_give_one_200_and_one_409() {
    let Some((_db, a, b)) = two_replicas().await else {
        return;
    };
    let http = http();
    for _ in 0..6 {
        let conv = open_conversation(&http, &a.base).await;
        let handoff = open_handoff(&http, &a.base, &conv).await;
        let claim = format!("/v1/handoffs/{handoff}/claim");
        let (x, y) = tokio::join!(
            agent_post(&http, &a.base, AGENT_KEY, &claim, json!({})),
            agent_post(&http, &b.base, BOB_KEY, &claim, json!({}))
        );
        let mut got = [x, y];
        got.sort_unstable();
        assert_eq!(got, [200, 409], "claims of {handoff}");
    }
}

/// What a loopback webhook receiver got: (delivery id, event, body).
type Deliveries = Arc<Mutex<Vec<(String, String, Value)>>>;

async fn start_webhook_receiver() -> (String, Deliveries) {
    let got: Deliveries = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    sink.lock().unwrap().push((
                        header("x-frontdesk-delivery"),
                        header("x-frontdesk-event"),
                        body,
                    ));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// Handoffs opened on both replicas each reach the webhook receiver; both replicas' outbox
/// workers run, and any delivery that arrives twice carries the same delivery id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_receiver_gets_each_event_and_duplicates_only_with_one_delivery_id() {
    let Some((_db, a, b)) = two_replicas().await else {
        return;
    };
    let http = http();
    let (url, got) = start_webhook_receiver().await;
    let r = http
        .put(format!("{}/v1/admin/webhooks", a.base))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({"webhooks": [{"url": url, "secret": "0123456789abcdef", "events": ["handoff.created"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut handoffs = Vec::new();
    for i in 0..10 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let conv = open_conversation(&http, base).await;
        handoffs.push(open_handoff(&http, base, &conv).await);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let by_handoff = loop {
        let mut by_handoff: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (delivery, event, body) in got.lock().unwrap().iter() {
            assert_eq!(event, "handoff.created");
            let id = body["handoff"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            by_handoff.entry(id).or_default().push(delivery.clone());
        }
        if by_handoff.len() >= handoffs.len() || Instant::now() > deadline {
            break by_handoff;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for h in &handoffs {
        let deliveries = by_handoff
            .get(h)
            .unwrap_or_else(|| panic!("no delivery for handoff {h}: {by_handoff:?}"));
        assert!(
            !deliveries[0].is_empty() && deliveries.iter().all(|d| d == &deliveries[0]),
            "handoff {h} came with delivery ids {deliveries:?}"
        );
    }
    assert_eq!(by_handoff.len(), handoffs.len(), "{by_handoff:?}");
}

/// Replica A is killed (SIGKILL) during a burst of messages at concurrency 8. Every message
/// that got a 200 is in its transcript with its answer, read through B; every message A
/// stored and did not answer is answered by B's sweep; none is answered twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_during_a_burst_leaves_every_accepted_message_answered_through_b() {
    let Some((_db, mut a, b)) = two_replicas().await else {
        return;
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut convs = Vec::new();
    for _ in 0..8 {
        convs.push(open_conversation(&http, &a.base).await);
    }
    let mut senders = Vec::new();
    for (w, conv) in convs.iter().cloned().enumerate() {
        let (http, base) = (http.clone(), a.base.clone());
        senders.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            for i in 0..10_000usize {
                let text = format!("message {w}-{i}");
                match http
                    .post(format!("{base}/v1/conversations/{}/messages", conv.0))
                    .bearer_auth(&conv.1)
                    .json(&json!({ "text": text }))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => accepted.push((conv.clone(), text)),
                    Ok(r) => panic!("{text}: {}", r.status()),
                    Err(_) => break,
                }
            }
            accepted
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.child.start_kill().unwrap();
    let _ = a.child.wait().await;
    let mut accepted = Vec::new();
    for s in senders {
        accepted.extend(s.await.unwrap());
    }
    assert!(accepted.len() > 20, "burst too small: {}", accepted.len());

    // B takes over what A stored and never answered (2 s old, sweep every second).
    let deadline = Instant::now() + Duration::from_secs(20);
    let transcripts = loop {
        let mut all = HashMap::new();
        let mut unanswered = 0;
        for conv in &convs {
            let t = transcript(&http, &b.base, conv).await;
            let questions = t.iter().filter(|(s, _)| s == "customer").count();
            let answers = t.iter().filter(|(s, _)| s == "bot").count();
            unanswered += questions.saturating_sub(answers);
            all.insert(conv.0.clone(), t);
        }
        if unanswered == 0 || Instant::now() > deadline {
            assert_eq!(unanswered, 0, "B left messages unanswered");
            break all;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for ((id, _), text) in &accepted {
        let t = &transcripts[id];
        assert!(
            t.iter().any(|(s, m)| s == "customer" && m == text),
            "accepted message {text:?} lost after kill -9"
        );
    }
    for (id, t) in &transcripts {
        for (_, q) in t.iter().filter(|(s, _)| s == "customer") {
            let answers = t
                .iter()
                .filter(|(s, m)| s == "bot" && *m == format!("You said: {q}"))
                .count();
            assert_eq!(answers, 1, "{id}: {q:?} answered {answers} times");
        }
    }
    let stored: usize = transcripts
        .values()
        .map(|t| t.iter().filter(|(s, _)| s == "customer").count())
        .sum();
    eprintln!(
        "kill -9: {} messages got a 200 from A, {} stored; all answered through B",
        accepted.len(),
        stored
    );
}

/// The shop is shared: an order cancelled by a customer on A reads as cancelled on B, and
/// the shop's action log holds the cancellation once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_cancelled_through_a_is_cancelled_through_b() {
    let Some((db, a, b)) = two_replicas().await else {
        return;
    };
    let http = http();
    let on_b = open_conversation(&http, &b.base).await;
    let (status, before) = say(&http, &b.base, &on_b, "status of order #K1002").await;
    assert_eq!(
        (status, &before["text"]),
        (200, &json!("order #K1002 is pending"))
    );
    let on_a = open_conversation(&http, &a.base).await;
    let (status, cancelled) = say(&http, &a.base, &on_a, "cancel order #K1002").await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["text"], json!("order #K1002: \"cancelled\""));
    let (status, after) = say(&http, &b.base, &on_b, "status of order #K1002").await;
    assert_eq!(
        (status, &after["text"]),
        (200, &json!("order #K1002 is cancelled"))
    );
    let c = pg_connect(&db.url).await.unwrap();
    let cancellations: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM shop_audit WHERE action = 'cancel_pending_order'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cancellations, 1);
    drop(b);
}

/// `POST /v1/admin/reindex` on A: A rebuilds its index and moves the shared version on, B
/// hears of it and rebuilds its own from the same knowledge base, within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reindex_on_a_makes_b_rebuild_its_index_too() {
    let Some((_db, a, b)) = two_replicas().await else {
        return;
    };
    let http = http();
    let conv = open_conversation(&http, &b.base).await;
    let (_, before) = say(&http, &b.base, &conv, "what do you know").await;
    assert_eq!(before["text"], json!("I know returns.md"));
    std::fs::write(
        a.knowledge.path().join("shipping.md"),
        "# Shipping\n2 days.\n",
    )
    .unwrap();
    // Changing the folder alone changes nothing until a re-index.
    let (_, unchanged) = say(&http, &b.base, &conv, "what do you know").await;
    assert_eq!(unchanged["text"], json!("I know returns.md"));

    let r = http
        .post(format!("{}/v1/admin/reindex", a.base))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        (&done["index_version"], &done["report"]["documents"]),
        (&json!(1), &json!(2)),
        "{done}"
    );
    let reindexed = Instant::now();
    let expected = json!("I know returns.md, shipping.md");
    loop {
        let (_, now) = say(&http, &b.base, &conv, "what do you know").await;
        if now["text"] == expected {
            break;
        }
        assert!(
            reindexed.elapsed() < Duration::from_secs(1),
            "B still answers {} after A's re-index",
            now["text"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let on_a = open_conversation(&http, &a.base).await;
    let (_, a_knows) = say(&http, &a.base, &on_a, "what do you know").await;
    assert_eq!(a_knows["text"], expected);
}
