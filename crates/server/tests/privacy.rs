//! Customer data rights end to end: a verified customer's data is exported and erased through
//! the admin routes; afterwards no route returns any of it and the erased strings are in none
//! of the database files, while another customer's data is untouched. Retention erases idle
//! conversations with a short period.

mod common;

use common::*;
use frontdesk_server::retention::{spawn_retention_worker, RetentionOptions};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Posts a customer message and returns the reply.
async fn say(f: &Fixture, id: &str, token: &str, text: &str) -> Value {
    let path = format!("/v1/conversations/{id}/messages");
    let r = call(
        &f.state,
        "POST",
        &path,
        Some(token),
        Some(json!({ "text": text })),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{text}: {}", r.text);
    r.json()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Which of `needles` occur in any file of the database (main file, WAL, shared memory).
fn found_in_db_files(dir: &Path, needles: &[&str]) -> Vec<String> {
    let files: Vec<Vec<u8>> = ["frontdesk.db", "frontdesk.db-wal", "frontdesk.db-shm"]
        .iter()
        .filter_map(|f| std::fs::read(dir.join(f)).ok())
        .collect();
    assert!(!files.is_empty(), "no database file in {}", dir.display());
    needles
        .iter()
        .filter(|n| files.iter().any(|bytes| contains(bytes, n)))
        .map(|n| n.to_string())
        .collect()
}

/// Every route a customer, agent or admin can read, as one text.
async fn everything_routes_return(f: &Fixture, convs: &[(String, String)]) -> String {
    let mut all = String::new();
    for (id, token) in convs {
        let r = call(
            &f.state,
            "GET",
            &format!("/v1/conversations/{id}"),
            Some(token),
            None,
            None,
        )
        .await;
        all.push_str(&r.text);
    }
    let list = call(&f.state, "GET", "/v1/handoffs", Some(AGENT_KEY), None, None).await;
    for h in list.json()["handoffs"].as_array().unwrap() {
        let id = h["id"].as_str().unwrap();
        let d = call(
            &f.state,
            "GET",
            &format!("/v1/handoffs/{id}"),
            Some(AGENT_KEY),
            None,
            None,
        )
        .await;
        all.push_str(&d.text);
    }
    all.push_str(&list.text);
    for path in ["/v1/admin/analytics", "/v1/admin/webhooks", "/metrics"] {
        let r = call(&f.state, "GET", path, Some(ADMIN_KEY), None, None).await;
        all.push_str(&r.text);
    }
    all
}

#[tokio::test]
async fn a_customer_is_exported_then_erased_everywhere_and_others_are_kept() {
    let f = fixture();
    // A webhook that is never delivered here: its queued payloads must be dropped.
    let hooks = json!({"webhooks": [{"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef", "events": ["*"]}]});
    let r = call(
        &f.state,
        "PUT",
        "/v1/admin/webhooks",
        Some(ADMIN_KEY),
        Some(hooks),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let alba = "alba_moreno_1001";
    let alba_strings = [
        "ZEBRA-ALBA-7731",
        "12 Quokka Lane Alba",
        "ALBA-HANDOFF-MARK",
        "AGENT-REPLY-ALBA",
        "ALBA-FEEDBACK-NOTE",
        "ALBA-SECOND-CHAT-9",
    ];
    let (a1, a1_token) = new_conversation(&f.state).await;
    say(&f, &a1, &a1_token, &format!("verify me as {alba}")).await;
    say(&f, &a1, &a1_token, "my secret phrase is ZEBRA-ALBA-7731").await;
    say(&f, &a1, &a1_token, "please move to 12 Quokka Lane Alba").await;
    let reply = say(&f, &a1, &a1_token, "a human please, ALBA-HANDOFF-MARK").await;
    let a_handoff = reply["handoff"]["id"].as_str().unwrap().to_string();
    for step in ["claim", "messages", "close"] {
        let body = (step == "messages").then(|| json!({"text": "AGENT-REPLY-ALBA"}));
        let path = format!("/v1/handoffs/{a_handoff}/{step}");
        let r = call(&f.state, "POST", &path, Some(AGENT_KEY), body, None).await;
        assert_eq!(r.status, 200, "{step}: {}", r.text);
    }
    let path = format!("/v1/conversations/{a1}/feedback");
    let body = json!({"rating": 2, "comment": "ALBA-FEEDBACK-NOTE"});
    let r = call(&f.state, "POST", &path, Some(&a1_token), Some(body), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (a2, a2_token) = new_conversation(&f.state).await;
    say(&f, &a2, &a2_token, &format!("verify me as {alba}")).await;
    say(&f, &a2, &a2_token, "ALBA-SECOND-CHAT-9").await;

    let bruno_strings = ["BRUNO-KEEP-4411", "BRUNO-HUMAN-5522"];
    let (b1, b1_token) = new_conversation(&f.state).await;
    say(&f, &b1, &b1_token, "verify me as bruno_kale_2002").await;
    say(&f, &b1, &b1_token, "BRUNO-KEEP-4411").await;
    let reply = say(&f, &b1, &b1_token, "human: BRUNO-HUMAN-5522").await;
    let b_handoff = reply["handoff"]["id"].as_str().unwrap().to_string();

    // Only the admin key may export.
    let export_path = format!("/v1/admin/customers/{alba}");
    for key in [None, Some(AGENT_KEY)] {
        let r = call(&f.state, "GET", &export_path, key, None, None).await;
        assert!(
            r.status == 401 || r.status == 403,
            "{:?}: {}",
            key,
            r.status
        );
    }
    let export = call(&f.state, "GET", &export_path, Some(ADMIN_KEY), None, None).await;
    assert_eq!(export.status, 200, "{}", export.text);
    let e = export.json();
    let convs = e["conversations"].as_array().unwrap();
    let ids: Vec<&str> = convs.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![a1.as_str(), a2.as_str()]);
    assert_eq!(convs[0]["customer"]["customer_id"], alba);
    assert_eq!(convs[0]["handoffs"][0]["id"], a_handoff.as_str());
    assert_eq!(convs[0]["feedback"][0]["comment"], "ALBA-FEEDBACK-NOTE");
    assert!(convs[0]["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["action"] == "modify_user_address"
            && a["detail"]["arguments"]["address"] == "12 Quokka Lane Alba"));
    for s in alba_strings {
        assert!(export.text.contains(s), "export lacks {s}");
    }
    for s in bruno_strings {
        assert!(
            !export.text.contains(s),
            "export of one customer holds another's {s}"
        );
    }
    // Before the erasure the strings are in the files: the search below can find them.
    assert_eq!(
        found_in_db_files(f.dir.path(), &alba_strings).len(),
        alba_strings.len()
    );

    let erase_path = format!("/v1/admin/customers/{alba}/erase");
    let r = call(&f.state, "POST", &erase_path, Some(AGENT_KEY), None, None).await;
    assert_eq!(r.status, 403, "an agent may not erase: {}", r.text);
    let r = call(&f.state, "POST", &erase_path, Some(ADMIN_KEY), None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let erased = &r.json()["erased"];
    assert_eq!(erased["conversations"], 2);
    assert_eq!(erased["handoffs"], 1);
    assert_eq!(erased["feedback"], 1);
    // handoff.created and conversation.resolved were queued and never sent.
    assert_eq!(erased["webhook_deliveries_dropped"], 2);
    assert!(erased["messages"].as_u64().unwrap() >= 10, "{erased}");
    assert!(
        erased["audit_rows_tombstoned"].as_u64().unwrap() >= 3,
        "{erased}"
    );
    assert_eq!(erased["wal_checkpointed"], true);

    // No route returns anything of the erased customer; the other customer is intact.
    let seen = everything_routes_return(
        &f,
        &[
            (a1.clone(), a1_token.clone()),
            (a2.clone(), a2_token.clone()),
            (b1.clone(), b1_token.clone()),
        ],
    )
    .await;
    for s in alba_strings {
        assert!(!seen.contains(s), "a route still returns {s}");
    }
    assert!(!seen.contains(&a_handoff) && !seen.contains(alba));
    for s in bruno_strings {
        assert!(seen.contains(s), "the other customer's {s} went missing");
    }
    assert!(seen.contains(&b_handoff));
    for (id, token) in [(&a1, &a1_token), (&a2, &a2_token)] {
        let r = call(
            &f.state,
            "GET",
            &format!("/v1/conversations/{id}"),
            Some(token),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, 404, "{}", r.text);
        let path = format!("/v1/conversations/{id}/messages");
        let r = call(
            &f.state,
            "POST",
            &path,
            Some(token),
            Some(json!({"text": "hello"})),
            None,
        )
        .await;
        assert_eq!(
            r.status, 404,
            "an erased conversation took a message: {}",
            r.text
        );
    }
    let r = call(
        &f.state,
        "GET",
        &format!("/v1/handoffs/{a_handoff}"),
        Some(AGENT_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 404);

    // The export now shows only the tombstone.
    let after = call(&f.state, "GET", &export_path, Some(ADMIN_KEY), None, None)
        .await
        .json();
    assert_eq!(after["conversations"], json!([]));
    assert_eq!(after["erasures"].as_array().unwrap().len(), 1);
    assert_eq!(after["erasures"][0]["reason"], "request");
    assert_eq!(after["erasures"][0]["conversations"], 2);

    // Not in the files either; the other customer's strings still are.
    assert_eq!(
        found_in_db_files(f.dir.path(), &alba_strings),
        Vec::<String>::new()
    );
    assert_eq!(found_in_db_files(f.dir.path(), &bruno_strings).len(), 2);
    assert_eq!(
        found_in_db_files(f.dir.path(), &[alba]),
        Vec::<String>::new()
    );

    // Audit rows keep that something happened, not what.
    let db = rusqlite::Connection::open(f.dir.path().join("frontdesk.db")).unwrap();
    let detail: String = db
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'modify_user_address'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["erased"], true);
    assert_eq!(detail["erasure_id"], after["erasures"][0]["id"]);
    drop(db);

    // Erasing again finds nothing and leaves no second tombstone.
    let again = call(&f.state, "POST", &erase_path, Some(ADMIN_KEY), None, None)
        .await
        .json();
    assert_eq!(again["erased"]["conversations"], 0);
    assert_eq!(again["erased"]["erasure_id"], Value::Null);
    // A customer id that is not one is refused.
    let r = call(
        &f.state,
        "POST",
        "/v1/admin/customers/%01bad/erase",
        Some(ADMIN_KEY),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
}

#[tokio::test]
async fn retention_erases_idle_conversations_and_keeps_active_ones() {
    let f = fixture();
    let (old, old_token) = new_conversation(&f.state).await;
    say(&f, &old, &old_token, "RETENTION-OLD-8123").await;
    // A conversation whose state is old but whose last message is recent is still active.
    let (mixed, mixed_token) = new_conversation(&f.state).await;
    tokio::time::sleep(Duration::from_millis(3300)).await;
    let (fresh, fresh_token) = new_conversation(&f.state).await;
    say(&f, &fresh, &fresh_token, "RETENTION-FRESH-4410").await;
    {
        let db = rusqlite::Connection::open(f.dir.path().join("frontdesk.db")).unwrap();
        db.execute(
            "INSERT INTO messages (conversation_id, speaker, text, at, meta, processed) VALUES (?1, 'agent', 'recent', ?2, '{}', 1)",
            [mixed.clone(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)],
        )
        .unwrap();
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let opts = RetentionOptions {
        keep_for: Duration::from_secs(3),
        check_every: Duration::from_millis(100),
    };
    let worker = spawn_retention_worker(f.state.clone(), opts, stop_rx);
    let started = Instant::now();
    loop {
        let r = call(
            &f.state,
            "GET",
            &format!("/v1/conversations/{old}"),
            Some(&old_token),
            None,
            None,
        )
        .await;
        if r.status == 404 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "retention never erased the idle conversation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    worker.await.unwrap();

    for (id, token) in [(&fresh, &fresh_token), (&mixed, &mixed_token)] {
        let r = call(
            &f.state,
            "GET",
            &format!("/v1/conversations/{id}"),
            Some(token),
            None,
            None,
        )
        .await;
        assert_eq!(
            r.status, 200,
            "an active conversation was erased: {}",
            r.text
        );
    }
    assert_eq!(
        found_in_db_files(f.dir.path(), &["RETENTION-OLD-8123"]),
        Vec::<String>::new()
    );
    assert_eq!(
        found_in_db_files(f.dir.path(), &["RETENTION-FRESH-4410"]).len(),
        1
    );
    let db = rusqlite::Connection::open(f.dir.path().join("frontdesk.db")).unwrap();
    let (reason, n): (String, i64) = db
        .query_row("SELECT reason, conversations FROM erasures", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((reason.as_str(), n), ("retention", 1));
}
