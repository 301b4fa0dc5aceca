//! One conformance suite for every `Store`: each check below takes the store as `&dyn Store`
//! (plus what it needs to look under it) and runs against `SqliteStore` in a temporary folder
//! always, and against `PgStore` when `FRONTDESK_TEST_POSTGRES_URL` names a PostgreSQL server
//! (`postgres://postgres@127.0.0.1:5432/postgres`). Each PostgreSQL test creates its own
//! database (`fd_t_<random hex>`) from that URL and drops it afterwards, so tests run in
//! parallel. With `FRONTDESK_REQUIRE_POSTGRES=1` and no URL the PostgreSQL tests fail instead
//! of being skipped (CI sets both).
//!
//! The checks are the guarantees the service relies on: what `SqliteStore` does is the
//! reference, and a second backend must do the same (two concurrent claims of one handoff give
//! exactly one success; two concurrent `due_outbox` callers never hold the same delivery; an
//! erasure leaves none of the erased text in any row).

mod common;

use chrono::{DateTime, SubsecRound, Utc};
use frontdesk_core::conversation::{Speaker, TurnRecord, VerifiedCustomer};
use frontdesk_core::store::{
    Analytics, ErasureReason, ErasureSubject, HandoffRecord, HandoffState, OutboxItem,
    WebhookConfig,
};
use frontdesk_core::{
    Channel, Citation, ConversationState, ConversationStatus, EscalationReason, Lang, Store,
    StoreError,
};
use frontdesk_server::{AppState, PgStore, SqliteStore};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::postgres::{pg_connect, pg_database, with_database, PgDatabase};

// ---------------------------------------------------------------------------------------------
// Backends

/// A store under test and what is needed to look beneath it.
struct Backend {
    store: Arc<dyn Store>,
    kind: Kind,
}

enum Kind {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
}

impl Backend {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open_in(dir.path()).expect("open SQLite store");
        Self {
            store: Arc::new(store),
            kind: Kind::Sqlite(dir),
        }
    }

    /// A fresh database on the test server; `None` (skip) when no server is configured,
    /// a panic when one is required.
    async fn postgres() -> Option<Self> {
        let db = pg_database().await?;
        let store = PgStore::connect(&db.url).await.expect("PgStore::connect");
        Some(Self {
            store: Arc::new(store),
            kind: Kind::Postgres(db),
        })
    }

    fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres(_))
    }

    /// Which of `needles` occur anywhere beneath the store: for SQLite in the bytes of the
    /// database file, its WAL and shared memory; for PostgreSQL in the text of any row of any
    /// table of the database.
    async fn raw_found(&self, needles: &[&str]) -> Vec<String> {
        match &self.kind {
            Kind::Sqlite(dir) => {
                let files: Vec<Vec<u8>> = ["frontdesk.db", "frontdesk.db-wal", "frontdesk.db-shm"]
                    .iter()
                    .filter_map(|f| std::fs::read(dir.path().join(f)).ok())
                    .collect();
                assert!(!files.is_empty(), "no database file");
                needles
                    .iter()
                    .filter(|n| {
                        files
                            .iter()
                            .any(|b| b.windows(n.len()).any(|w| w == n.as_bytes()))
                    })
                    .map(|n| n.to_string())
                    .collect()
            }
            Kind::Postgres(db) => {
                let c = pg_connect(&db.url).await.expect("connect for inspection");
                let tables: Vec<String> = c
                    .query(
                        "SELECT table_name::text FROM information_schema.tables
                         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                        &[],
                    )
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                assert!(tables.len() >= 8, "tables: {tables:?}");
                let mut found = Vec::new();
                for n in needles {
                    for t in &tables {
                        let sql =
                            format!("SELECT COUNT(*) FROM {t} x WHERE strpos(x::text, $1) > 0");
                        let hits: i64 = c.query_one(&sql, &[n]).await.unwrap().get(0);
                        if hits > 0 {
                            found.push(n.to_string());
                            break;
                        }
                    }
                }
                found
            }
        }
    }

    /// The audit rows' details of a conversation, read beneath the store (an erased
    /// conversation's rows are not reachable through it).
    async fn audit_details(&self, conversation_id: &str) -> Vec<Value> {
        match &self.kind {
            Kind::Sqlite(dir) => {
                let c = rusqlite::Connection::open(dir.path().join("frontdesk.db")).unwrap();
                let mut stmt = c
                    .prepare("SELECT detail FROM audit_log WHERE conversation_id = ?1 ORDER BY id")
                    .unwrap();
                let rows = stmt
                    .query_map([conversation_id], |r| r.get::<_, String>(0))
                    .unwrap();
                rows.map(|r| serde_json::from_str(&r.unwrap()).unwrap())
                    .collect()
            }
            Kind::Postgres(db) => {
                let c = pg_connect(&db.url).await.unwrap();
                c.query(
                    "SELECT detail FROM audit_log WHERE conversation_id = $1 ORDER BY id",
                    &[&conversation_id],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect()
            }
        }
    }
}

/// Generates one `#[tokio::test]` per backend for each check: `sqlite::<check>` and
/// `postgres::<check>`; `postgres_only` checks are guarantees only a shared database needs.
macro_rules! conformance {
    (both: [$($both:ident),* $(,)?], postgres_only: [$($pg:ident),* $(,)?]) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $both() {
                    let b = super::Backend::sqlite();
                    super::$both(&b).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $both() {
                    let Some(b) = super::Backend::postgres().await else { return };
                    super::$both(&b).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $pg() {
                    let Some(b) = super::Backend::postgres().await else { return };
                    super::$pg(&b).await;
                }
            )*
        }
    };
}

conformance!(
    both: [
        conversations_round_trip_with_their_token_hash,
        messages_keep_append_order_ids_and_meta,
        unprocessed_messages_mark_processed_and_withdraw,
        open_conversations_leave_out_closed_ones,
        handoffs_follow_the_queue_transitions,
        concurrent_claims_give_exactly_one_success,
        feedback_and_audit_rows_are_kept_per_conversation,
        webhooks_are_replaced_whole,
        events_fan_out_to_subscribed_webhooks_only,
        due_outbox_respects_order_limit_schedule_and_outcomes,
        analytics_figures,
        daily_figures_claim_times_and_recent_handoffs,
        customer_conversations_and_export,
        expired_conversations_are_the_idle_ones,
        erasure_leaves_no_erased_text_and_keeps_others,
        ping_answers,
        nul_characters_do_not_fail_a_write,
        the_index_version_is_shared_by_every_replica,
    ],
    postgres_only: [
        concurrent_due_outbox_callers_never_share_an_item,
        claimed_outbox_items_wait_for_their_lease,
        migrations_run_once_when_replicas_start_together,
        ping_fails_when_the_database_is_gone,
        readyz_is_not_ready_without_the_database,
        turn_locks_keep_a_conversation_to_one_replica_at_a_time,
        a_dead_replica_leaves_no_turn_lock_behind,
        a_live_replica_answers_what_a_dead_one_accepted,
        live_events_reach_the_clients_of_every_replica,
        a_knowledge_turn_sends_four_statements,
    ]
);

// ---------------------------------------------------------------------------------------------
// Helpers

fn conv_state(id: &str) -> ConversationState {
    ConversationState::new(id, Channel::Chat)
}

fn customer(id: &str) -> VerifiedCustomer {
    VerifiedCustomer {
        customer_id: id.into(),
        display_name: format!("Name of {id}"),
    }
}

async fn new_conversation(s: &dyn Store, id: &str) {
    s.create_conversation(&conv_state(id), &format!("hash-{id}"))
        .await
        .unwrap();
}

async fn new_customer_conversation(s: &dyn Store, id: &str, customer_id: &str) {
    let mut st = conv_state(id);
    st.customer = Some(customer(customer_id));
    s.create_conversation(&st, &format!("hash-{id}"))
        .await
        .unwrap();
}

/// Timestamps as both stores keep them (microseconds).
fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn handoff(
    id: &str,
    conversation_id: &str,
    reason: EscalationReason,
    at: DateTime<Utc>,
) -> HandoffRecord {
    HandoffRecord {
        id: id.into(),
        conversation_id: conversation_id.into(),
        reason,
        summary: format!("summary of {id}"),
        state: HandoffState::Waiting,
        agent: None,
        created_at: at,
        updated_at: at,
        ticket: false,
        claimed_at: None,
    }
}

fn hook(url: &str, events: &[&str]) -> WebhookConfig {
    WebhookConfig {
        url: url.into(),
        secret: format!("secret-for-{url}"),
        events: events.iter().map(|e| e.to_string()).collect(),
    }
}

fn ids(items: &[OutboxItem]) -> Vec<i64> {
    items.iter().map(|i| i.id).collect()
}

fn is_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn is_not_found<T: std::fmt::Debug>(r: &Result<T, StoreError>, kind: &str) -> bool {
    matches!(r, Err(StoreError::NotFound { what, .. }) if *what == kind)
}

/// Far enough ahead that every delivery is due and every lease has run out.
fn far_future() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::days(365)
}

// ---------------------------------------------------------------------------------------------
// Conversations and messages

async fn conversations_round_trip_with_their_token_hash(b: &Backend) {
    let s = b.store.as_ref();
    let mut st = ConversationState::new("conv-1", Channel::Voice);
    st.lang = Some(Lang::SrLatn);
    st.intent = Some("order_status".into());
    st.slots.insert("order_id".into(), "#W0001".into());
    st.topic = Some("dostava — ćčžšđ 你好".into());
    st.flow = Some(
        json!({"step": "confirm", "n": 3, "ratio": 0.25, "nested": {"ü": [1, 2.5, null, true]}}),
    );
    st.turns.push(TurnRecord {
        speaker: Speaker::Customer,
        text: "Gde je moja porudžbina?".into(),
        at: Utc::now(),
        lang: Some(Lang::SrLatn),
        citations: vec![Citation {
            index: 1,
            doc_id: "faq".into(),
            title: "FAQ".into(),
            url: Some("https://example.test/faq".into()),
            chunk_id: "faq#3".into(),
        }],
        intent: None,
    });
    s.create_conversation(&st, "token-hash-1").await.unwrap();
    let (got, hash) = s.conversation("conv-1").await.unwrap();
    assert_eq!(got, st);
    assert_eq!(hash, "token-hash-1");

    let again = s.create_conversation(&st, "token-hash-2").await;
    assert!(is_conflict(&again), "{again:?}");
    assert_eq!(s.conversation("conv-1").await.unwrap().1, "token-hash-1");
    let missing = s.conversation("no-such").await;
    assert!(is_not_found(&missing, "conversation"), "{missing:?}");

    st.status = ConversationStatus::WaitingForHuman;
    st.consecutive_failures = 2;
    st.customer = Some(customer("cust-1"));
    s.save_state(&st).await.unwrap();
    assert_eq!(
        s.conversation("conv-1").await.unwrap(),
        (st.clone(), "token-hash-1".into())
    );
    let r = s.save_state(&conv_state("no-such")).await;
    assert!(is_not_found(&r, "conversation"), "{r:?}");

    // set_status changes the status column and the saved state alike.
    s.set_status("conv-1", ConversationStatus::Human)
        .await
        .unwrap();
    let (got, _) = s.conversation("conv-1").await.unwrap();
    let mut expected = st.clone();
    expected.status = ConversationStatus::Human;
    assert_eq!(got, expected);
    let r = s.set_status("no-such", ConversationStatus::Closed).await;
    assert!(is_not_found(&r, "conversation"), "{r:?}");
}

async fn messages_keep_append_order_ids_and_meta(b: &Backend) {
    let s = b.store.as_ref();
    new_conversation(s, "a").await;
    new_conversation(s, "b").await;
    let before = now_micros();
    let script: Vec<(&str, Speaker, &str, Value)> = vec![
        (
            "a",
            Speaker::Customer,
            "Hello, where is my order?",
            json!({}),
        ),
        ("b", Speaker::Customer, "other conversation", json!({})),
        (
            "a",
            Speaker::Bot,
            "It ships today.",
            json!({"citations": [1, 2], "lang": "en", "latency_ms": 12}),
        ),
        (
            "a",
            Speaker::Agent,
            "Ana here — ćao 👋",
            json!({"agent": "ana"}),
        ),
        (
            "a",
            Speaker::System,
            "ana joined the conversation",
            json!({"agent": "ana", "nested": {"x": [true, null, 1.5]}}),
        ),
    ];
    let mut ids = Vec::new();
    for (conv, speaker, text, meta) in &script {
        ids.push(
            s.append_message(conv, *speaker, text, meta.clone())
                .await
                .unwrap(),
        );
    }
    let after = Utc::now();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids grow in append order: {ids:?}"
    );

    let got = s.messages("a").await.unwrap();
    let expected: Vec<_> = script
        .iter()
        .zip(&ids)
        .filter(|((conv, ..), _)| *conv == "a")
        .collect();
    assert_eq!(got.len(), expected.len());
    for (m, ((_, speaker, text, meta), id)) in got.iter().zip(&expected) {
        assert_eq!(m.id, **id);
        assert_eq!(m.conversation_id, "a");
        assert_eq!(m.speaker, *speaker);
        assert_eq!(m.text, *text);
        assert_eq!(&m.meta, meta);
        assert!(
            m.at >= before && m.at <= after,
            "{} not in [{before}, {after}]",
            m.at
        );
    }
    assert!(got.windows(2).all(|w| w[0].at <= w[1].at));
    let other = s.messages("b").await.unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(
        (other[0].id, other[0].text.as_str()),
        (ids[1], "other conversation")
    );
    assert!(s.messages("no-such").await.unwrap().is_empty());

    let r = s
        .append_message("no-such", Speaker::Customer, "hi", json!({}))
        .await;
    assert!(is_not_found(&r, "conversation"), "{r:?}");
}

async fn unprocessed_messages_mark_processed_and_withdraw(b: &Backend) {
    let s = b.store.as_ref();
    new_conversation(s, "open").await;
    new_conversation(s, "closing").await;
    let m1 = s
        .append_message("open", Speaker::Customer, "first", json!({}))
        .await
        .unwrap();
    let bot = s
        .append_message("open", Speaker::Bot, "reply", json!({}))
        .await
        .unwrap();
    let m2 = s
        .append_message("open", Speaker::Customer, "second", json!({}))
        .await
        .unwrap();
    let m3 = s
        .append_message("closing", Speaker::Customer, "bye", json!({}))
        .await
        .unwrap();
    let unprocessed =
        |v: Vec<frontdesk_core::store::StoredMessage>| v.iter().map(|m| m.id).collect::<Vec<_>>();
    // Only customer messages wait for an answer, oldest first.
    assert_eq!(
        unprocessed(s.unprocessed_messages().await.unwrap()),
        vec![m1, m2, m3]
    );
    // A closed conversation's messages are not resumed.
    s.set_status("closing", ConversationStatus::Closed)
        .await
        .unwrap();
    let got = s.unprocessed_messages().await.unwrap();
    assert_eq!(unprocessed(got.clone()), vec![m1, m2]);
    assert_eq!(got[0].text, "first");
    assert_eq!(got[0].conversation_id, "open");
    assert_eq!(got[0].speaker, Speaker::Customer);

    assert!(s.is_unprocessed(m1).await.unwrap());
    assert!(
        !s.is_unprocessed(bot).await.unwrap(),
        "a bot message waits for nothing"
    );
    s.mark_processed(m1).await.unwrap();
    assert!(!s.is_unprocessed(m1).await.unwrap());
    assert_eq!(
        unprocessed(s.unprocessed_messages().await.unwrap()),
        vec![m2]
    );
    s.mark_processed(i64::MAX).await.unwrap();
    assert!(!s.is_unprocessed(i64::MAX).await.unwrap());

    // Withdrawing removes only a message not yet processed.
    s.withdraw_message(m1).await.unwrap();
    s.withdraw_message(bot).await.unwrap();
    s.withdraw_message(m2).await.unwrap();
    let left: Vec<i64> = s
        .messages("open")
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, vec![m1, bot]);
    assert!(s.unprocessed_messages().await.unwrap().is_empty());

    s.set_status("closing", ConversationStatus::Bot)
        .await
        .unwrap();
    assert_eq!(
        unprocessed(s.unprocessed_messages().await.unwrap()),
        vec![m3]
    );
}

async fn open_conversations_leave_out_closed_ones(b: &Backend) {
    let s = b.store.as_ref();
    assert!(s.open_conversations().await.unwrap().is_empty());
    for id in ["c1", "c2", "c3", "c4"] {
        new_conversation(s, id).await;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    s.set_status("c2", ConversationStatus::Closed)
        .await
        .unwrap();
    s.set_status("c3", ConversationStatus::Human).await.unwrap();
    assert_eq!(
        s.open_conversations().await.unwrap(),
        vec!["c1", "c3", "c4"]
    );
    // Order is creation order, not last change.
    s.set_status("c2", ConversationStatus::Bot).await.unwrap();
    s.save_state(&conv_state("c1")).await.unwrap();
    assert_eq!(
        s.open_conversations().await.unwrap(),
        vec!["c1", "c2", "c3", "c4"]
    );
}

// ---------------------------------------------------------------------------------------------
// Handoffs

async fn handoffs_follow_the_queue_transitions(b: &Backend) {
    let s = b.store.as_ref();
    new_conversation(s, "c").await;
    let t0 = now_micros() - chrono::Duration::seconds(10);
    let h1 = handoff("h1", "c", EscalationReason::CustomerRequest, t0);
    let h2 = handoff(
        "h2",
        "c",
        EscalationReason::Frustration,
        t0 + chrono::Duration::seconds(1),
    );
    let mut h3 = handoff(
        "h3",
        "c",
        EscalationReason::OutOfScope,
        t0 + chrono::Duration::seconds(2),
    );
    h3.ticket = true;
    // Created out of order: listed by creation time.
    for h in [&h3, &h1, &h2] {
        s.create_handoff(h).await.unwrap();
    }
    assert_eq!(s.handoff("h1").await.unwrap(), h1);
    assert_eq!(s.handoff("h3").await.unwrap(), h3);
    assert_eq!(
        s.handoffs(None).await.unwrap(),
        vec![h1.clone(), h2.clone(), h3.clone()]
    );
    assert_eq!(
        s.handoffs(Some(HandoffState::Waiting)).await.unwrap().len(),
        3
    );
    assert!(s
        .handoffs(Some(HandoffState::Claimed))
        .await
        .unwrap()
        .is_empty());

    let before = now_micros();
    let claimed = s
        .update_handoff("h1", HandoffState::Claimed, Some("ana"))
        .await
        .unwrap();
    assert_eq!(claimed.state, HandoffState::Claimed);
    assert_eq!(claimed.agent.as_deref(), Some("ana"));
    assert_eq!(claimed.created_at, h1.created_at);
    assert!(claimed.updated_at >= before);
    assert_eq!(s.handoff("h1").await.unwrap(), claimed);
    // The same agent may claim again; another may not; nothing goes back to waiting.
    s.update_handoff("h1", HandoffState::Claimed, Some("ana"))
        .await
        .unwrap();
    let r = s
        .update_handoff("h1", HandoffState::Claimed, Some("bo"))
        .await;
    match &r {
        Err(StoreError::Conflict(m)) => assert!(m.contains("ana"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let r = s
        .update_handoff("h1", HandoffState::Waiting, Some("ana"))
        .await;
    assert!(is_conflict(&r), "{r:?}");
    let r = s.update_handoff("h2", HandoffState::Waiting, None).await;
    assert!(is_conflict(&r), "{r:?}");
    assert_eq!(s.handoff("h1").await.unwrap().agent.as_deref(), Some("ana"));

    // Resolving keeps the agent when none is given.
    let resolved = s
        .update_handoff("h1", HandoffState::Resolved, None)
        .await
        .unwrap();
    assert_eq!(resolved.state, HandoffState::Resolved);
    assert_eq!(resolved.agent.as_deref(), Some("ana"));
    for (state, agent) in [
        (HandoffState::Resolved, Some("ana")),
        (HandoffState::Claimed, Some("ana")),
        (HandoffState::Waiting, None),
    ] {
        let r = s.update_handoff("h1", state, agent).await;
        assert!(is_conflict(&r), "{state:?}: {r:?}");
    }
    // Waiting → resolved directly.
    let r = s
        .update_handoff("h2", HandoffState::Resolved, Some("bo"))
        .await
        .unwrap();
    assert_eq!(
        (r.state, r.agent.as_deref()),
        (HandoffState::Resolved, Some("bo"))
    );

    for state in [
        HandoffState::Claimed,
        HandoffState::Resolved,
        HandoffState::Waiting,
    ] {
        let r = s.update_handoff("no-such", state, Some("ana")).await;
        assert!(is_not_found(&r, "handoff"), "{r:?}");
    }
    let r = s.handoff("no-such").await;
    assert!(is_not_found(&r, "handoff"), "{r:?}");

    let ids = |v: Vec<HandoffRecord>| v.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.handoffs(Some(HandoffState::Resolved)).await.unwrap()),
        vec!["h1", "h2"]
    );
    assert_eq!(
        ids(s.handoffs(Some(HandoffState::Waiting)).await.unwrap()),
        vec!["h3"]
    );
    assert!(s
        .handoffs(Some(HandoffState::Claimed))
        .await
        .unwrap()
        .is_empty());

    // A handoff needs its conversation.
    let orphan = handoff("h4", "no-such", EscalationReason::CustomerRequest, t0);
    assert!(s.create_handoff(&orphan).await.is_err());
}

async fn concurrent_claims_give_exactly_one_success(b: &Backend) {
    new_conversation(b.store.as_ref(), "c").await;
    for round in 0..8 {
        let id = format!("h{round}");
        b.store
            .create_handoff(&handoff(
                &id,
                "c",
                EscalationReason::CustomerRequest,
                now_micros(),
            ))
            .await
            .unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(6));
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (store, id, barrier) = (b.store.clone(), id.clone(), barrier.clone());
                tokio::spawn(async move {
                    let agent = format!("agent-{i}");
                    barrier.wait().await;
                    let r = store
                        .update_handoff(&id, HandoffState::Claimed, Some(&agent))
                        .await;
                    (agent, r)
                })
            })
            .collect();
        let results = futures::future::join_all(tasks).await;
        let mut winners = Vec::new();
        for r in results {
            let (agent, r) = r.unwrap();
            match r {
                Ok(h) => {
                    assert_eq!(h.agent.as_deref(), Some(agent.as_str()));
                    winners.push(agent);
                }
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("a losing claim must be a conflict, got {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let h = b.store.handoff(&id).await.unwrap();
        assert_eq!(h.agent.as_deref(), Some(winners[0].as_str()));
        assert_eq!(h.state, HandoffState::Claimed);

        // Two resolutions at once (the agent's double click on two replicas): one succeeds.
        let (s1, s2) = (b.store.clone(), b.store.clone());
        let (w, i1, i2) = (winners[0].clone(), id.clone(), id.clone());
        let w2 = w.clone();
        let (r1, r2) = tokio::join!(
            tokio::spawn(async move {
                s1.update_handoff(&i1, HandoffState::Resolved, Some(&w))
                    .await
            }),
            tokio::spawn(async move {
                s2.update_handoff(&i2, HandoffState::Resolved, Some(&w2))
                    .await
            }),
        );
        let (r1, r2) = (r1.unwrap(), r2.unwrap());
        assert!(r1.is_ok() != r2.is_ok(), "{r1:?} / {r2:?}");
        assert!(is_conflict(&r1) || is_conflict(&r2));
    }
}

// ---------------------------------------------------------------------------------------------
// Feedback, audit, webhooks, outbox

async fn feedback_and_audit_rows_are_kept_per_conversation(b: &Backend) {
    let s = b.store.as_ref();
    new_customer_conversation(s, "c1", "cust-fa").await;
    new_customer_conversation(s, "c2", "cust-other").await;
    let before = now_micros();
    s.add_feedback("c1", 5, "great help").await.unwrap();
    s.add_feedback("c1", 2, "").await.unwrap();
    s.add_feedback("c2", 1, "other").await.unwrap();
    s.audit(
        "c1",
        "modify_user_address",
        &json!({"arguments": {"address": "12 Main St"}}),
    )
    .await
    .unwrap();
    s.audit("c1", "handoff_claimed", &json!({"agent": "ana"}))
        .await
        .unwrap();
    s.audit("c2", "other", &json!({})).await.unwrap();
    assert!(s.add_feedback("no-such", 3, "x").await.is_err());

    let e = s.customer_export("cust-fa").await.unwrap();
    assert_eq!(e.conversations.len(), 1);
    let c = &e.conversations[0];
    let fb: Vec<(u8, &str)> = c
        .feedback
        .iter()
        .map(|f| (f.rating, f.comment.as_str()))
        .collect();
    assert_eq!(fb, vec![(5, "great help"), (2, "")]);
    assert!(c.feedback.iter().all(|f| f.at >= before));
    let audit: Vec<(&str, &Value)> = c
        .audit
        .iter()
        .map(|a| (a.action.as_str(), &a.detail))
        .collect();
    assert_eq!(
        audit,
        vec![
            (
                "modify_user_address",
                &json!({"arguments": {"address": "12 Main St"}})
            ),
            ("handoff_claimed", &json!({"agent": "ana"})),
        ]
    );
    assert!(c.audit.iter().all(|a| a.at >= before));
}

async fn webhooks_are_replaced_whole(b: &Backend) {
    let s = b.store.as_ref();
    assert!(s.webhooks().await.unwrap().is_empty());
    let two = vec![
        hook("http://a.test/hook", &["handoff.created"]),
        hook("http://b.test/hook", &["*", "conversation.resolved"]),
    ];
    s.set_webhooks(&two).await.unwrap();
    assert_eq!(s.webhooks().await.unwrap(), two);
    let one = vec![hook("http://c.test/hook", &[])];
    s.set_webhooks(&one).await.unwrap();
    assert_eq!(s.webhooks().await.unwrap(), one);
    s.set_webhooks(&[]).await.unwrap();
    assert!(s.webhooks().await.unwrap().is_empty());
}

async fn events_fan_out_to_subscribed_webhooks_only(b: &Backend) {
    let s = b.store.as_ref();
    assert_eq!(
        s.enqueue_event("handoff.created", &json!({}))
            .await
            .unwrap(),
        0
    );
    s.set_webhooks(&[
        hook("http://a.test/", &["handoff.created"]),
        hook("http://b.test/", &["*"]),
        hook("http://c.test/", &["conversation.resolved"]),
        hook(
            "http://d.test/",
            &["handoff.created", "conversation.resolved"],
        ),
    ])
    .await
    .unwrap();
    let payload = json!({"event": "handoff.created", "handoff": {"conversation_id": "c-1", "summary": "S", "n": 1}});
    assert_eq!(
        s.enqueue_event("handoff.created", &payload).await.unwrap(),
        3
    );
    let due = s.due_outbox(Utc::now(), 10).await.unwrap();
    let urls: Vec<&str> = due.iter().map(|i| i.url.as_str()).collect();
    assert_eq!(
        urls,
        vec!["http://a.test/", "http://b.test/", "http://d.test/"]
    );
    for item in &due {
        assert_eq!(item.secret, format!("secret-for-{}", item.url));
        assert_eq!(item.event, "handoff.created");
        assert_eq!(item.payload, payload);
        assert_eq!(item.attempts, 0);
    }
    assert!(due.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(
        s.enqueue_event("something.else", &json!({"x": 1}))
            .await
            .unwrap(),
        1
    );
    s.set_webhooks(&[]).await.unwrap();
    assert_eq!(
        s.enqueue_event("handoff.created", &payload).await.unwrap(),
        0
    );
    let rest = s.due_outbox(far_future(), 10).await.unwrap();
    let urls: Vec<&str> = rest.iter().map(|i| i.url.as_str()).collect();
    // Queued deliveries outlive the subscription that queued them.
    assert_eq!(
        urls.iter().filter(|u| **u == "http://b.test/").count(),
        2,
        "{urls:?}"
    );
    assert_eq!(
        rest.iter().filter(|i| i.event == "something.else").count(),
        1
    );
}

async fn due_outbox_respects_order_limit_schedule_and_outcomes(b: &Backend) {
    let s = b.store.as_ref();
    s.set_webhooks(&[hook("http://a.test/", &["*"])])
        .await
        .unwrap();
    for n in 1..=3 {
        s.enqueue_event("e", &json!({"n": n})).await.unwrap();
    }
    let now = Utc::now();
    assert!(s.due_outbox(now, 0).await.unwrap().is_empty());
    // Nothing is due before it was queued.
    assert!(s
        .due_outbox(now - chrono::Duration::hours(1), 10)
        .await
        .unwrap()
        .is_empty());
    let first = s.due_outbox(now, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let payloads: Vec<&Value> = first.iter().map(|i| &i.payload).collect();
    assert_eq!(payloads, vec![&json!({"n": 1}), &json!({"n": 2})]);
    let (id1, id2) = (first[0].id, first[1].id);
    assert!(id1 < id2);

    s.outbox_failed(
        id1,
        "receiver answered 500",
        Some(now + chrono::Duration::hours(1)),
    )
    .await
    .unwrap();
    s.outbox_delivered(id2).await.unwrap();
    let second = s.due_outbox(now, 10).await.unwrap();
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(second[0].payload, json!({"n": 3}));
    let id3 = second[0].id;
    assert!(id3 > id2);
    // Give up on the third.
    s.outbox_failed(id3, "gone", None).await.unwrap();

    let later = now + chrono::Duration::hours(2);
    let retry = s.due_outbox(later, 10).await.unwrap();
    assert_eq!(ids(&retry), vec![id1]);
    assert_eq!(retry[0].attempts, 1);
    s.outbox_failed(id1, "again", Some(later + chrono::Duration::hours(1)))
        .await
        .unwrap();
    assert!(s.due_outbox(later, 10).await.unwrap().is_empty());
    let retry = s
        .due_outbox(later + chrono::Duration::hours(2), 10)
        .await
        .unwrap();
    assert_eq!(ids(&retry), vec![id1]);
    assert_eq!(retry[0].attempts, 2);
    s.outbox_delivered(id1).await.unwrap();
    // Delivered and given-up deliveries are never due again.
    assert!(s.due_outbox(far_future(), 10).await.unwrap().is_empty());
}

/// PostgreSQL: several replicas' workers poll at once; none may get a delivery another holds.
async fn concurrent_due_outbox_callers_never_share_an_item(b: &Backend) {
    b.store
        .set_webhooks(&[hook("http://a.test/", &["*"])])
        .await
        .unwrap();
    for n in 0..60 {
        b.store.enqueue_event("e", &json!({"n": n})).await.unwrap();
    }
    let now = Utc::now();
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (store, barrier) = (b.store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let mut got = Vec::new();
                // Bounded: a store that hands out the same deliveries again would loop forever.
                for _ in 0..30 {
                    let batch = store.due_outbox(now, 7).await.unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    got.extend(batch.into_iter().map(|i| i.id));
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in futures::future::join_all(workers).await {
        all.extend(w.unwrap());
    }
    // Whatever a racing worker passed over is still there for the next poll.
    all.extend(ids(&b.store.due_outbox(now, 100).await.unwrap()));
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "a delivery went to two workers");
    assert_eq!(distinct.len(), 60);
    // Two pollers started together with the same `now` (tokio::join!), once more.
    for n in 0..10 {
        b.store.enqueue_event("f", &json!({"n": n})).await.unwrap();
    }
    let now = Utc::now();
    let (x, y) = tokio::join!(b.store.due_outbox(now, 10), b.store.due_outbox(now, 10));
    let (x, y) = (ids(&x.unwrap()), ids(&y.unwrap()));
    assert!(x.iter().all(|i| !y.contains(i)), "{x:?} / {y:?}");
}

/// PostgreSQL: what `due_outbox` returned is claimed until delivered, failed or the lease ends.
async fn claimed_outbox_items_wait_for_their_lease(b: &Backend) {
    let s = b.store.as_ref();
    s.set_webhooks(&[hook("http://a.test/", &["*"])])
        .await
        .unwrap();
    s.enqueue_event("e", &json!({"n": 1})).await.unwrap();
    s.enqueue_event("e", &json!({"n": 2})).await.unwrap();
    let now = Utc::now();
    let taken = s.due_outbox(now, 10).await.unwrap();
    assert_eq!(taken.len(), 2);
    assert!(s.due_outbox(now, 10).await.unwrap().is_empty());
    let lease = chrono::Duration::from_std(frontdesk_server::db::postgres::OUTBOX_LEASE).unwrap();
    let just_before = now + lease - chrono::Duration::seconds(1);
    assert!(s.due_outbox(just_before, 10).await.unwrap().is_empty());
    // A failure ends the claim: the delivery is due again at its next attempt.
    s.outbox_failed(taken[0].id, "503", Some(now))
        .await
        .unwrap();
    let again = s.due_outbox(now, 10).await.unwrap();
    assert_eq!(ids(&again), vec![taken[0].id]);
    assert_eq!(again[0].attempts, 1);
    // A worker that died: its claim runs out and another takes the delivery over.
    let after = now + lease + chrono::Duration::seconds(1);
    assert_eq!(ids(&s.due_outbox(after, 10).await.unwrap()), ids(&taken));
}

// ---------------------------------------------------------------------------------------------
// Analytics

async fn analytics_figures(b: &Backend) {
    let s = b.store.as_ref();
    assert_eq!(s.analytics().await.unwrap(), Analytics::default());
    for id in ["c1", "c2", "c3", "c4"] {
        new_conversation(s, id).await;
    }
    let say = |c: &'static str, speaker: Speaker, meta: Value| async move {
        s.append_message(c, speaker, "text", meta).await.unwrap();
    };
    say("c1", Speaker::Customer, json!({})).await;
    say(
        "c1",
        Speaker::Bot,
        json!({"latency_ms": 100, "question": "Where is my order?", "unanswered": true}),
    )
    .await;
    say("c2", Speaker::Customer, json!({})).await;
    say("c2", Speaker::Customer, json!({})).await;
    say(
        "c2",
        Speaker::Bot,
        json!({"latency_ms": 300, "question": "where is my order?", "unanswered": true}),
    )
    .await;
    say(
        "c2",
        Speaker::Bot,
        json!({"latency_ms": 200, "question": "Answered one", "unanswered": false}),
    )
    .await;
    // No customer message: not an active conversation.
    say(
        "c3",
        Speaker::Bot,
        json!({"latency_ms": 50, "question": "Opening hours?", "unanswered": 1}),
    )
    .await;
    say("c3", Speaker::Bot, json!({"unanswered": true})).await;
    say("c4", Speaker::Customer, json!({})).await;
    say("c4", Speaker::Agent, json!({"latency_ms": 9999})).await;
    let t = now_micros();
    s.create_handoff(&handoff("h1", "c1", EscalationReason::CustomerRequest, t))
        .await
        .unwrap();
    s.create_handoff(&handoff("h2", "c4", EscalationReason::Frustration, t))
        .await
        .unwrap();
    s.create_handoff(&handoff("h3", "c4", EscalationReason::CustomerRequest, t))
        .await
        .unwrap();
    s.add_feedback("c1", 5, "").await.unwrap();
    s.add_feedback("c2", 2, "").await.unwrap();

    let a = s.analytics().await.unwrap();
    assert_eq!(a.conversations, 4);
    assert_eq!(a.active_conversations, 3);
    assert_eq!(a.escalated_conversations, 2);
    assert!(
        (a.containment_rate - 1.0 / 3.0).abs() < 1e-9,
        "{}",
        a.containment_rate
    );
    let reasons: Vec<(&str, u64)> = a
        .escalations_by_reason
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(reasons, vec![("customer_request", 2), ("frustration", 1)]);
    let unanswered: Vec<(String, u64)> = a
        .unanswered_questions
        .iter()
        .map(|q| (q.text.to_lowercase(), q.count))
        .collect();
    assert_eq!(
        unanswered,
        vec![
            ("where is my order?".to_string(), 2),
            ("opening hours?".to_string(), 1)
        ]
    );
    assert_eq!(a.csat_average, Some(3.5));
    assert_eq!(a.csat_count, 2);
    assert_eq!(a.bot_turns, 4);
    assert_eq!(a.latency_p50_ms, Some(100));
    assert_eq!(a.latency_p95_ms, Some(300));
}

/// The analytics per day (`daily_analytics`), the claim time a handoff keeps, and the
/// handoffs opened since a time (the widget's expected wait).
async fn daily_figures_claim_times_and_recent_handoffs(b: &Backend) {
    let s = b.store.as_ref();
    let now = now_micros();
    let since = now - chrono::Duration::days(2);
    let empty = s.daily_analytics(since).await.unwrap();
    let days: Vec<String> = (0..3)
        .rev()
        .map(|d| {
            (now - chrono::Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    assert_eq!(
        empty.iter().map(|d| d.day.clone()).collect::<Vec<_>>(),
        days
    );
    assert!(empty
        .iter()
        .all(|d| d.active_conversations == 0 && d.containment_rate.is_none()));
    for id in ["d1", "d2"] {
        new_conversation(s, id).await;
        s.append_message(id, Speaker::Customer, "text", json!({}))
            .await
            .unwrap();
    }
    s.append_message("d1", Speaker::Bot, "text", json!({"latency_ms": 100}))
        .await
        .unwrap();
    s.append_message("d2", Speaker::Bot, "text", json!({"latency_ms": 300}))
        .await
        .unwrap();
    let opened = now - chrono::Duration::seconds(1);
    s.create_handoff(&handoff("dh", "d1", EscalationReason::Frustration, opened))
        .await
        .unwrap();
    let old = now - chrono::Duration::days(3);
    s.create_handoff(&handoff("old", "d2", EscalationReason::OutOfScope, old))
        .await
        .unwrap();
    s.add_feedback("d2", 4, "").await.unwrap();

    let series = s.daily_analytics(since).await.unwrap();
    assert_eq!(series.len(), 3);
    let today = series.last().unwrap();
    assert_eq!(today.day, days[2]);
    assert_eq!(today.active_conversations, 2);
    assert_eq!(today.escalated_conversations, 1);
    assert_eq!(today.containment_rate, Some(0.5));
    let reasons: Vec<(&str, u64)> = today
        .escalations_by_reason
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        reasons,
        vec![("frustration", 1)],
        "the handoff of three days ago is not today's"
    );
    assert_eq!((today.csat_average, today.csat_count), (Some(4.0), 1));
    assert_eq!(today.bot_turns, 2);
    assert_eq!(
        (today.latency_p50_ms, today.latency_p95_ms),
        (Some(100), Some(300))
    );
    assert!(series[..2]
        .iter()
        .all(|d| d.bot_turns == 0 && d.escalations_by_reason.is_empty()));

    assert_eq!(s.handoff("dh").await.unwrap().claimed_at, None);
    let claimed = s
        .update_handoff("dh", HandoffState::Claimed, Some("ana"))
        .await
        .unwrap();
    let at = claimed.claimed_at.expect("claim time");
    assert!(at >= opened, "{at} < {opened}");
    let resolved = s
        .update_handoff("dh", HandoffState::Resolved, Some("ana"))
        .await
        .unwrap();
    assert_eq!(
        resolved.claimed_at,
        Some(at),
        "resolving keeps the claim time"
    );
    assert_eq!(s.handoff("dh").await.unwrap().claimed_at, Some(at));

    let recent: Vec<String> = s
        .handoffs_since(now - chrono::Duration::days(1))
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(recent, ["dh"]);
    let all: Vec<String> = s
        .handoffs_since(now - chrono::Duration::days(4))
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(all, ["old", "dh"]);
}

// ---------------------------------------------------------------------------------------------
// Data rights

async fn customer_conversations_and_export(b: &Backend) {
    let s = b.store.as_ref();
    new_customer_conversation(s, "a1", "cust-a").await;
    tokio::time::sleep(Duration::from_millis(3)).await;
    let mut voice = ConversationState::new("a2", Channel::Voice);
    voice.customer = Some(customer("cust-a"));
    s.create_conversation(&voice, "h").await.unwrap();
    tokio::time::sleep(Duration::from_millis(3)).await;
    new_customer_conversation(s, "b1", "cust-b").await;
    new_conversation(s, "anon").await;
    tokio::time::sleep(Duration::from_millis(3)).await;
    // Verified later in the conversation: found from then on.
    new_conversation(s, "a3").await;
    assert_eq!(
        s.customer_conversations("cust-a").await.unwrap(),
        vec!["a1", "a2"]
    );
    let mut st = conv_state("a3");
    st.customer = Some(customer("cust-a"));
    s.save_state(&st).await.unwrap();
    assert_eq!(
        s.customer_conversations("cust-a").await.unwrap(),
        vec!["a1", "a2", "a3"]
    );
    assert_eq!(
        s.customer_conversations("cust-b").await.unwrap(),
        vec!["b1"]
    );
    assert!(s.customer_conversations("nobody").await.unwrap().is_empty());

    s.append_message("a1", Speaker::Customer, "A-MESSAGE-1", json!({}))
        .await
        .unwrap();
    s.append_message("a1", Speaker::Bot, "A-REPLY-1", json!({"lang": "en"}))
        .await
        .unwrap();
    s.append_message("a2", Speaker::Customer, "A-MESSAGE-2", json!({}))
        .await
        .unwrap();
    s.append_message("b1", Speaker::Customer, "B-MESSAGE-1", json!({}))
        .await
        .unwrap();
    s.append_message("anon", Speaker::Customer, "ANON-MESSAGE", json!({}))
        .await
        .unwrap();
    let mut h = handoff("ha", "a1", EscalationReason::CustomerRequest, now_micros());
    h.summary = "A-HANDOFF".into();
    s.create_handoff(&h).await.unwrap();
    s.add_feedback("a1", 4, "A-FEEDBACK").await.unwrap();
    s.audit("a1", "x", &json!({"v": "A-AUDIT"})).await.unwrap();
    s.audit("b1", "x", &json!({"v": "B-AUDIT"})).await.unwrap();
    s.set_status("a2", ConversationStatus::Closed)
        .await
        .unwrap();

    let e = s.customer_export("cust-a").await.unwrap();
    assert_eq!(e.customer_id, "cust-a");
    assert!(e.erasures.is_empty());
    let got: Vec<&str> = e.conversations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(got, vec!["a1", "a2", "a3"]);
    let (c1, c2) = (&e.conversations[0], &e.conversations[1]);
    assert_eq!(c1.customer, Some(customer("cust-a")));
    assert_eq!(
        (c1.status, c1.channel),
        (ConversationStatus::Bot, Channel::Chat)
    );
    assert_eq!(
        (c2.status, c2.channel),
        (ConversationStatus::Closed, Channel::Voice)
    );
    let texts: Vec<&str> = c1.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["A-MESSAGE-1", "A-REPLY-1"]);
    assert_eq!(c1.messages[1].meta, json!({"lang": "en"}));
    assert_eq!(c1.handoffs, vec![h]);
    assert_eq!(c1.feedback.len(), 1);
    assert_eq!(c1.audit.len(), 1);
    assert!(c1.created_at <= c1.updated_at);
    assert_eq!(c2.messages.len(), 1);
    let text = serde_json::to_string(&e).unwrap();
    for other in ["B-MESSAGE-1", "B-AUDIT", "ANON-MESSAGE"] {
        assert!(!text.contains(other), "export of cust-a holds {other}");
    }
    let e = s.customer_export("nobody").await.unwrap();
    assert!(e.conversations.is_empty() && e.erasures.is_empty());
}

async fn expired_conversations_are_the_idle_ones(b: &Backend) {
    let s = b.store.as_ref();
    let start = Utc::now() - chrono::Duration::seconds(1);
    new_conversation(s, "old1").await;
    new_conversation(s, "old2").await;
    new_conversation(s, "old3").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // A message since the cutoff keeps old2; a state change keeps old3.
    s.append_message("old2", Speaker::Customer, "still here", json!({}))
        .await
        .unwrap();
    s.set_status("old3", ConversationStatus::Closed)
        .await
        .unwrap();
    new_conversation(s, "new1").await;
    assert_eq!(s.expired_conversations(cutoff).await.unwrap(), vec!["old1"]);
    assert!(s.expired_conversations(start).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Oldest activity first.
    assert_eq!(
        s.expired_conversations(Utc::now()).await.unwrap(),
        vec!["old1", "old2", "old3", "new1"]
    );
}

async fn erasure_leaves_no_erased_text_and_keeps_others(b: &Backend) {
    let s = b.store.as_ref();
    s.set_webhooks(&[hook("http://hooks.test/", &["*"])])
        .await
        .unwrap();
    let alba = "alba_moreno_1001";
    let alba_strings = [
        "ALBA-MESSAGE-7731",
        "ALBA-REPLY-2",
        "ALBA-HANDOFF-MARK",
        "ALBA-FEEDBACK-NOTE",
        "ALBA-AUDIT-DETAIL",
        "ALBA-QUEUED-PAYLOAD",
        "ALBA-SENT-PAYLOAD",
        "ALBA-SECOND-CHAT-9",
        "ALBA-STATE-SLOT",
    ];
    let bruno_strings = [
        "BRUNO-KEEP-4411",
        "BRUNO-HANDOFF-5522",
        "BRUNO-AUDIT-6633",
        "BRUNO-PAYLOAD-7744",
    ];

    let mut a1 = conv_state("a1");
    a1.customer = Some(customer(alba));
    a1.slots.insert("note".into(), "ALBA-STATE-SLOT".into());
    s.create_conversation(&a1, "h").await.unwrap();
    new_customer_conversation(s, "a2", alba).await;
    new_customer_conversation(s, "b1", "bruno_kale_2002").await;

    s.append_message("a1", Speaker::Customer, "ALBA-MESSAGE-7731", json!({}))
        .await
        .unwrap();
    s.append_message(
        "a1",
        Speaker::Bot,
        "ALBA-REPLY-2",
        json!({"question": "ALBA-REPLY-2", "unanswered": true}),
    )
    .await
    .unwrap();
    let mut h = handoff("ha", "a1", EscalationReason::CustomerRequest, now_micros());
    h.summary = "ALBA-HANDOFF-MARK".into();
    s.create_handoff(&h).await.unwrap();
    s.add_feedback("a1", 2, "ALBA-FEEDBACK-NOTE").await.unwrap();
    s.audit(
        "a1",
        "modify_user_address",
        &json!({"address": "ALBA-AUDIT-DETAIL"}),
    )
    .await
    .unwrap();
    // One delivery sent, one still queued.
    s.enqueue_event(
        "conversation.resolved",
        &json!({"conversation_id": "a1", "note": "ALBA-SENT-PAYLOAD"}),
    )
    .await
    .unwrap();
    let sent = s.due_outbox(Utc::now(), 10).await.unwrap();
    assert_eq!(sent.len(), 1);
    s.outbox_delivered(sent[0].id).await.unwrap();
    s.enqueue_event(
        "handoff.created",
        &json!({"handoff": {"conversation_id": "a1", "summary": "ALBA-QUEUED-PAYLOAD"}}),
    )
    .await
    .unwrap();
    s.append_message("a2", Speaker::Customer, "ALBA-SECOND-CHAT-9", json!({}))
        .await
        .unwrap();

    s.append_message("b1", Speaker::Customer, "BRUNO-KEEP-4411", json!({}))
        .await
        .unwrap();
    let mut hb = handoff("hb", "b1", EscalationReason::Frustration, now_micros());
    hb.summary = "BRUNO-HANDOFF-5522".into();
    s.create_handoff(&hb).await.unwrap();
    s.audit("b1", "x", &json!({"v": "BRUNO-AUDIT-6633"}))
        .await
        .unwrap();
    s.enqueue_event(
        "handoff.created",
        &json!({"handoff": {"conversation_id": "b1", "summary": "BRUNO-PAYLOAD-7744"}}),
    )
    .await
    .unwrap();

    // Before: the search beneath the store finds every string, so its silence later means something.
    assert_eq!(b.raw_found(&alba_strings).await.len(), alba_strings.len());

    let ids = vec!["a1".to_string(), "a2".into(), "a1".into(), "no-such".into()];
    let r = s
        .erase_conversations(&ids, &ErasureSubject::Customer(alba.into()))
        .await
        .unwrap();
    assert_eq!(r.conversations, 2);
    assert_eq!(r.messages, 3);
    assert_eq!(r.handoffs, 1);
    assert_eq!(r.feedback, 1);
    assert_eq!(r.audit_rows_tombstoned, 1);
    assert_eq!(r.webhook_deliveries_dropped, 1);
    assert_eq!(r.webhook_records_erased, 1);
    let erasure_id = r.erasure_id.expect("a tombstone");
    // SQLite checkpoints its WAL; PostgreSQL has nothing equivalent and says so.
    assert_eq!(r.wal_checkpointed, !b.is_postgres());

    assert_eq!(b.raw_found(&alba_strings).await, Vec::<String>::new());
    assert!(
        b.raw_found(&[alba]).await.is_empty(),
        "the customer id itself is kept"
    );
    assert_eq!(b.raw_found(&bruno_strings).await.len(), bruno_strings.len());
    assert_eq!(
        b.audit_details("a1").await,
        vec![json!({"erased": true, "erasure_id": erasure_id})]
    );

    for id in ["a1", "a2"] {
        let r = s.conversation(id).await;
        assert!(is_not_found(&r, "conversation"), "{r:?}");
        assert!(s.messages(id).await.unwrap().is_empty());
        let r = s
            .append_message(id, Speaker::Customer, "back", json!({}))
            .await;
        assert!(is_not_found(&r, "conversation"), "{r:?}");
    }
    let r = s.handoff("ha").await;
    assert!(is_not_found(&r, "handoff"), "{r:?}");
    let handoffs: Vec<String> = s
        .handoffs(None)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(handoffs, vec!["hb"]);
    let outbox = s.due_outbox(far_future(), 100).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].payload["handoff"]["conversation_id"], "b1");
    assert!(s.customer_conversations(alba).await.unwrap().is_empty());
    let e = s.customer_export(alba).await.unwrap();
    assert!(e.conversations.is_empty());
    assert_eq!(e.erasures.len(), 1);
    assert_eq!(e.erasures[0].id, erasure_id);
    assert_eq!(e.erasures[0].reason, ErasureReason::Request);
    assert_eq!(e.erasures[0].conversations, 2);
    let analytics = serde_json::to_string(&s.analytics().await.unwrap()).unwrap();
    assert!(!analytics.contains("ALBA"), "{analytics}");

    // Again: nothing left to erase, no new tombstone.
    let again = s
        .erase_conversations(&ids, &ErasureSubject::Customer(alba.into()))
        .await
        .unwrap();
    assert_eq!((again.conversations, again.erasure_id), (0, None));
    assert_eq!(s.customer_export(alba).await.unwrap().erasures.len(), 1);

    // Retention erases the other customer's conversation under its own tombstone.
    let r = s
        .erase_conversations(&["b1".to_string()], &ErasureSubject::Retention)
        .await
        .unwrap();
    assert_eq!(
        (
            r.conversations,
            r.messages,
            r.handoffs,
            r.webhook_deliveries_dropped
        ),
        (1, 1, 1, 1)
    );
    assert!(r.erasure_id.unwrap() > erasure_id);
    let e = s.customer_export("bruno_kale_2002").await.unwrap();
    assert!(e.conversations.is_empty() && e.erasures.is_empty());
    assert!(b.raw_found(&bruno_strings).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Health, robustness, migrations

async fn ping_answers(b: &Backend) {
    b.store.ping().await.unwrap();
}

/// PostgreSQL text cannot hold U+0000 (SQLite can): a write with one must still succeed.
async fn nul_characters_do_not_fail_a_write(b: &Backend) {
    let s = b.store.as_ref();
    let mut st = conv_state("nul");
    st.slots.insert("k\0".into(), "v\0".into());
    s.create_conversation(&st, "h").await.unwrap();
    let (got, _) = s.conversation("nul").await.unwrap();
    assert_eq!(got.slots.len(), 1);
    s.append_message("nul", Speaker::Customer, "a\0b", json!({"q": "x\0"}))
        .await
        .unwrap();
    s.audit("nul", "a\0", &json!({"d": "\0"})).await.unwrap();
    s.add_feedback("nul", 3, "\0").await.unwrap();
    let m = &s.messages("nul").await.unwrap()[0];
    assert!(m.text == "a\0b" || m.text == "a\u{FFFD}b", "{:?}", m.text);
}

async fn migrations_run_once_when_replicas_start_together(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    // The backend already migrated; three more replicas start at once.
    let (x, y, z) = tokio::join!(
        PgStore::connect(&db.url),
        PgStore::connect(&db.url),
        PgStore::connect(&db.url)
    );
    for r in [x, y, z] {
        r.map(|_| ()).unwrap();
    }
    // And on a database nobody migrated yet.
    let fresh = pg_database().await.unwrap();
    let (x, y, z) = tokio::join!(
        PgStore::connect(&fresh.url),
        PgStore::connect(&fresh.url),
        PgStore::connect(&fresh.url)
    );
    for r in [x, y, z] {
        r.map(|_| ()).unwrap();
    }
    let c = pg_connect(&fresh.url).await.unwrap();
    let applied: Vec<(i64, i64)> = c
        .query(
            "SELECT version, COUNT(*) FROM frontdesk_schema_migrations GROUP BY version ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: Vec<(i64, i64)> = frontdesk_server::db::postgres::migrations::MIGRATIONS
        .iter()
        .map(|(v, _)| (*v, 1))
        .collect();
    assert_eq!(applied, expected);
    // Nothing of ours uses the shop's prefix.
    let shop: i64 = c
        .query_one(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'shop\\_%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(shop, 0);
}

async fn ping_fails_when_the_database_is_gone(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    b.store.ping().await.unwrap();
    let admin = pg_connect(&db.admin_url).await.unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", db.name))
        .await
        .unwrap();
    let r = b.store.ping().await;
    assert!(matches!(r, Err(StoreError::Backend(_))), "{r:?}");
}

/// `/readyz` asks the store: a replica that lost its database leaves the load balancer.
async fn readyz_is_not_ready_without_the_database(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let state = frontdesk_server::AppState::builder(
        common::test_config(dir.path()),
        Arc::new(common::FakeAssistant::new()),
        b.store.clone(),
    )
    .build();
    let r = common::call(&state, "GET", "/readyz", None, None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["database"], true);
    let admin = pg_connect(&db.admin_url).await.unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", db.name))
        .await
        .unwrap();
    let r = common::call(&state, "GET", "/readyz", None, None, None).await;
    assert_eq!(r.status, 503, "{}", r.text);
    let body = r.json();
    assert_eq!(
        (body["ready"].clone(), body["database"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(
        (body["models"].clone(), body["index"].clone()),
        (json!(true), json!(true))
    );
    assert!(!r.text.contains("postgres://"), "{}", r.text);
}

/// Needs no server: a connection error names what failed, never the password.
#[tokio::test]
async fn postgres_connect_errors_never_show_the_password() {
    let r = PgStore::connect("postgres://fd:s3cret-pw@127.0.0.1:1/frontdesk").await;
    let Err(StoreError::Backend(m)) = r.map(|_| ()) else {
        panic!("connecting to a closed port must fail");
    };
    assert!(!m.contains("s3cret-pw"), "{m}");
    let r = PgStore::connect("postgres://fd:s3cret-pw@127.0.0.1:notaport/frontdesk").await;
    let Err(StoreError::Backend(m)) = r.map(|_| ()) else {
        panic!("a bad URL must fail");
    };
    assert!(!m.contains("s3cret-pw"), "{m}");
}

#[test]
fn test_database_urls_keep_everything_but_the_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "fd_t_1"),
        "postgres://postgres@127.0.0.1:5432/fd_t_1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}

/// Two replicas on one database: a conversation's turns run on one of them at a time, other
/// conversations are not held up, and a replica that gave up waiting leaves nothing locked.
async fn turn_locks_keep_a_conversation_to_one_replica_at_a_time(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    let other = PgStore::connect(&db.url).await.expect("a second replica");
    let wait = Duration::from_millis(300);
    let long = Duration::from_secs(10);
    let held = b.store.lock_turns("conv-a").await.unwrap();
    let free = tokio::time::timeout(long, other.lock_turns("conv-b"))
        .await
        .expect("another conversation is not held up")
        .unwrap();
    drop(free);
    assert!(
        tokio::time::timeout(wait, other.lock_turns("conv-a"))
            .await
            .is_err(),
        "the second replica must wait while the first runs a turn"
    );
    drop(held);
    let taken = tokio::time::timeout(long, other.lock_turns("conv-a"))
        .await
        .expect("released when the first replica's turn ended")
        .unwrap();
    assert!(
        tokio::time::timeout(wait, b.store.lock_turns("conv-a"))
            .await
            .is_err(),
        "and now the first replica waits"
    );
    drop(taken);
    tokio::time::timeout(long, b.store.lock_turns("conv-a"))
        .await
        .expect("free again, with nothing left by the requests that gave up waiting")
        .unwrap();
}

/// A replica that dies mid-turn closes its connection, and the lock goes with it.
async fn a_dead_replica_leaves_no_turn_lock_behind(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    let dying = PgStore::connect(&db.url).await.expect("a second replica");
    let held = dying.lock_turns("conv-c").await.unwrap();
    // Dying: no unlock is sent, the process's connections just close.
    std::mem::forget(held);
    drop(dying);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), b.store.lock_turns("conv-c"))
            .await
            .is_err(),
        "held while the connection is open"
    );
    let c = pg_connect(&db.url).await.unwrap();
    c.execute(
        // Only this test's database, and only turn locks (class 0x6664 of the two-key space).
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
         AND classid = 26212 AND objsubid = 2 AND pid <> pg_backend_pid() \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        &[],
    )
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), b.store.lock_turns("conv-c"))
        .await
        .expect("released when the holder's session ended")
        .unwrap();
}

/// Two replicas on one database. Replica A accepted a message and died before answering it;
/// replica B's sweep answers it, once. A message whose conversation A is still answering (A
/// holds its turn lock) is left to A until the lock goes.
async fn a_live_replica_answers_what_a_dead_one_accepted(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let replica_a = PgStore::connect(&db.url).await.expect("replica A");
    let replica_b: Arc<PgStore> = Arc::new(PgStore::connect(&db.url).await.expect("replica B"));
    let b_state = AppState::builder(
        common::test_config(dir.path()),
        Arc::new(common::FakeAssistant::new()),
        replica_b.clone(),
    )
    .build();
    for id in ["abandoned", "busy"] {
        new_conversation(&replica_a, id).await;
    }
    let abandoned = replica_a
        .append_message(
            "abandoned",
            Speaker::Customer,
            "do you ship to Norway?",
            json!({}),
        )
        .await
        .unwrap();
    let busy = replica_a
        .append_message("busy", Speaker::Customer, "and to Iceland?", json!({}))
        .await
        .unwrap();
    let a_is_answering = replica_a.lock_turns("busy").await.unwrap();
    assert!(replica_b.try_lock_turns("busy").await.unwrap().is_none());

    let sweep = frontdesk_server::turn::resume_unprocessed;
    assert_eq!(
        sweep(&b_state, Duration::from_secs(3600)).await.unwrap(),
        0,
        "nothing is that old"
    );
    assert_eq!(sweep(&b_state, Duration::ZERO).await.unwrap(), 1);
    assert!(!replica_b.is_unprocessed(abandoned).await.unwrap());
    assert!(
        replica_b.is_unprocessed(busy).await.unwrap(),
        "left to replica A"
    );
    let speakers = |msgs: Vec<frontdesk_core::store::StoredMessage>| {
        msgs.iter().map(|m| m.speaker).collect::<Vec<_>>()
    };
    assert_eq!(
        speakers(replica_b.messages("abandoned").await.unwrap()),
        vec![Speaker::Customer, Speaker::Bot]
    );

    // Replica A's turn ends without an answer (it died mid-turn): B takes the message over.
    drop(a_is_answering);
    drop(replica_a);
    let mut taken = 0;
    for _ in 0..50 {
        taken += sweep(&b_state, Duration::ZERO).await.unwrap();
        if taken > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(taken, 1);
    // Answered once each, however often the sweep runs.
    assert_eq!(sweep(&b_state, Duration::ZERO).await.unwrap(), 0);
    for id in ["abandoned", "busy"] {
        assert_eq!(
            speakers(replica_b.messages(id).await.unwrap()),
            vec![Speaker::Customer, Speaker::Bot],
            "{id}"
        );
    }
    // B's turn lock is released by a task spawned when its guard drops (`HeldTurnLock`), so
    // under load the release may land a moment after the sweep returns.
    let mut free = false;
    for _ in 0..50 {
        if replica_b.try_lock_turns("busy").await.unwrap().is_some() {
            free = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(free, "the conversation is not left locked");
}

/// An agent's message sent through replica A reaches the customer's stream on replica B, a
/// new handoff reaches the agents' inbox on B, each once, and A's clients do not get their own
/// events twice. An event too large for the channel arrives marked `truncated`.
async fn live_events_reach_the_clients_of_every_replica(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let replica = |store: Arc<PgStore>| {
        AppState::builder(
            common::test_config(dir.path()),
            Arc::new(common::FakeAssistant::new()),
            store,
        )
        .build()
    };
    let a = replica(Arc::new(PgStore::connect(&db.url).await.unwrap()));
    let b_state = replica(Arc::new(PgStore::connect(&db.url).await.unwrap()));
    for s in [&a, &b_state] {
        let s = s.clone();
        tokio::spawn(async move { s.relay_shared_events().await.unwrap() });
    }
    let mut b_customer = b_state.customer_events.subscribe();
    let mut b_agents = b_state.agent_events.subscribe();
    let mut a_agents = a.agent_events.subscribe();
    // The relays have started listening once an event sent now comes back round.
    let long = Duration::from_secs(10);
    let mut ready = false;
    for _ in 0..100 {
        a.notify_agents("handoff_updated", json!({"probe": true}));
        if tokio::time::timeout(Duration::from_millis(100), b_agents.recv())
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
    }
    assert!(ready, "replica B never heard replica A");
    tokio::time::sleep(Duration::from_millis(300)).await;
    while b_agents.try_recv().is_ok() {}
    while a_agents.try_recv().is_ok() {}

    a.notify_customer(
        "conv-1",
        "agent_message",
        json!({"text": "Your parcel left today.", "agent": "ana"}),
    );
    a.notify_agents("handoff", json!({"conversation_id": "conv-2"}));
    let got = tokio::time::timeout(long, b_customer.recv())
        .await
        .expect("the customer's stream on B hears it")
        .unwrap();
    assert_eq!(
        (got.conversation_id.as_str(), got.event, &got.data["text"]),
        ("conv-1", "agent_message", &json!("Your parcel left today."))
    );
    let got = tokio::time::timeout(long, b_agents.recv())
        .await
        .expect("the agents' inbox on B hears it")
        .unwrap();
    assert_eq!(
        (got.event, &got.data["conversation_id"]),
        ("handoff", &json!("conv-2"))
    );
    // A's own clients got it once, from A itself.
    assert_eq!(a_agents.recv().await.unwrap().event, "handoff");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a_agents.try_recv().is_err(), "not echoed back to A");
    assert!(b_agents.try_recv().is_err(), "delivered once to B");

    let long_text = "x".repeat(10_000);
    a.notify_customer("conv-3", "done", json!({"text": long_text}));
    let got = tokio::time::timeout(long, async {
        loop {
            let e = b_customer.recv().await.unwrap();
            if e.conversation_id == "conv-3" {
                return e;
            }
        }
    })
    .await
    .expect("a large event still arrives");
    assert_eq!(got.event, "done");
    assert_eq!(got.data["truncated"], json!(true));
}

/// A knowledge turn through the customer API costs PostgreSQL four statements (#26: at most
/// four): the read that checks the customer's token, the call that takes the turn lock,
/// stores the message and reads the state, the write of the reply, the state and the answered
/// mark, and the lock's release. Counted on the wire (`statement_meter.rs`); `/metrics`
/// reports the process's total.
async fn a_knowledge_turn_sends_four_statements(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        unreachable!()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(PgStore::connect(&db.url).await.unwrap());
    let state = AppState::builder(
        common::test_config(dir.path()),
        Arc::new(common::FakeAssistant::new()),
        store.clone(),
    )
    .build();
    let (id, token) = common::new_conversation(&state).await;
    // The lock is released by a task the turn leaves behind: wait until nothing more is sent.
    let quiet = || async {
        let mut last = store.statements_sent();
        loop {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let now = store.statements_sent();
            if now == last {
                return now;
            }
            last = now;
        }
    };
    let uri = format!("/v1/conversations/{id}/messages");
    let mut costs = Vec::new();
    for question in ["hello there", "what are your opening hours?"] {
        let before = quiet().await;
        let r = common::call(
            &state,
            "POST",
            &uri,
            Some(&token),
            Some(json!({ "text": question })),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        costs.push(quiet().await - before);
    }
    assert_eq!(costs, vec![4, 4], "statements per turn");
    let messages = store.messages(&id).await.unwrap();
    assert_eq!(messages.len(), 4);
    assert!(messages[3].text.contains("open every day"), "{messages:?}");
    assert!(!store.is_unprocessed(messages[2].id).await.unwrap());
    let (saved, _) = store.conversation(&id).await.unwrap();
    assert_eq!(saved.turns.len(), 4, "the state of both turns was saved");

    let metrics = common::call(&state, "GET", "/metrics", None, None, None).await;
    let total: u64 = metrics
        .text
        .lines()
        .find_map(|l| l.strip_prefix("frontdesk_db_statements_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no statement counter in\n{}", metrics.text));
    assert!(total >= store.statements_sent(), "{total}");
}

/// The knowledge index version (`POST /v1/admin/reindex` moves it on) is one value for every
/// replica on the database; a store one process opens has none.
async fn the_index_version_is_shared_by_every_replica(b: &Backend) {
    let Kind::Postgres(db) = &b.kind else {
        assert_eq!(b.store.index_version().await.unwrap(), None);
        assert_eq!(b.store.advance_index_version().await.unwrap(), None);
        return;
    };
    let other = PgStore::connect(&db.url).await.unwrap();
    assert_eq!(b.store.index_version().await.unwrap(), Some(0));
    assert_eq!(b.store.advance_index_version().await.unwrap(), Some(1));
    assert_eq!(other.index_version().await.unwrap(), Some(1));
    assert_eq!(other.advance_index_version().await.unwrap(), Some(2));
    assert_eq!(b.store.index_version().await.unwrap(), Some(2));
}
