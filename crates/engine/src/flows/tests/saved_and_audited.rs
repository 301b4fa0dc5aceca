//! Saved flow states and the one execution of a confirmed plan: a state that no longer reads,
//! a plan saved as name and arguments, `AuditLog::execute_once` and its replay, and a write
//! whose audit row fails.

use super::*;

#[tokio::test]
async fn an_unreadable_saved_flow_is_reported_not_restarted() {
    let mut c = Chat::new();
    c.state.flow = Some(json!({"action": "launch_rocket", "confirming": 7}));
    let r = c.say("yes").await;
    assert!(r.finished && r.executed.is_empty());
    assert!(
        r.events.iter().any(|e| e.state == "failed"
            && e.detail["error"]
                .as_str()
                .is_some_and(|s| s.contains("unreadable"))),
        "{:?}",
        r.events
    );
    assert!(r.text.contains("lost track"), "{}", r.text);
    assert!(c.state.flow.is_none());
}

/// A plan saved by the version before typed action calls (name + tau-retail arguments) is
/// read and carried out as it was stated.
#[tokio::test]
async fn a_plan_saved_as_name_and_arguments_is_carried_out() {
    let mut c = Chat::new();
    c.state.customer = Some(VerifiedCustomer {
        customer_id: "ana_1".into(),
        display_name: "Ana Petrovic".into(),
    });
    c.state.flow = Some(json!({
        "action": "refund",
        "item_ids": [],
        "new_item_ids": [],
        "awaiting": "confirmation",
        "confirming": {
            "action": "cancel_pending_order",
            "args": {"order_id": "#W1001", "reason": "no longer needed"},
            "summary": "cancel order #W1001"
        }
    }));
    let r = c.say("yes").await;
    assert_eq!(r.executed.len(), 1, "{}", r.text);
    assert_eq!(r.executed[0].name, "cancel_pending_order");
    assert_eq!(
        r.executed[0].arguments,
        json!({"order_id": "#W1001", "reason": "no longer needed"})
    );
    assert_eq!(c.order("#W1001").await.status, "cancelled");
}

/// The confirmed write goes through `AuditLog::execute_once` (here the trait's default path on
/// an audit log apart from the store): one effect, one audit row; a retried confirmation with
/// the same key gets the first result, whatever the order looks like by then.
#[tokio::test]
async fn a_confirmed_action_runs_once_through_execute_once_and_a_retry_replays_it() {
    let mut c = Chat::new();
    c.log = Some(MemoryAuditLog::new());
    let r = c
        .say("I want to cancel my order #W1001, I ordered it by mistake. ana@example.com")
        .await;
    assert!(r.text.contains("cancel order #W1001"), "{}", r.text);
    let saved = c.state.clone();
    let first = c.say("yes").await;
    assert_eq!(first.executed.len(), 1, "{}", first.text);
    assert_eq!(first.executed[0].result["status"], "cancelled");
    let log = c.log.as_ref().expect("log");
    assert_eq!(
        log.calls(),
        AuditCalls {
            execute_once: 1,
            executed: 1,
            record: 1
        }
    );
    // The order moves on; the retried "yes" still gets the result of the first.
    c.store
        .modify_pending_order_address(
            "#W2001",
            &Address {
                address1: "Oak 3".into(),
                city: "Austin".into(),
                country: "USA".into(),
                zip: "78702".into(),
                ..Address::default()
            },
        )
        .await
        .expect("another write");
    c.state = saved;
    let retry = c.say("yes").await;
    assert_eq!(retry.text, first.text);
    assert_eq!(retry.executed, first.executed, "the first result");
    let log = c.log.as_ref().expect("log");
    assert_eq!(
        log.calls(),
        AuditCalls {
            execute_once: 2,
            executed: 2,
            record: 1
        },
        "replayed, not run again"
    );
    assert_eq!(
        c.order("#W1001").await.payment_history.len(),
        2,
        "one refund"
    );
    let entries = log.entries("conv-1").await.expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].action.as_str(), &entries[0].result),
        ("cancel_pending_order", &first.executed[0].result)
    );
    assert!(
        c.store.entries("conv-1").await.expect("entries").is_empty(),
        "the store's own log is not this conversation's audit log"
    );
}

/// A write that took effect but could not be recorded is still done for the customer (as
/// before `execute_once`): the reply says so and carries the result.
#[tokio::test]
async fn a_write_whose_audit_row_fails_is_still_reported_done() {
    let mut c = Chat::new();
    c.log = Some(MemoryAuditLog::new().failing_records());
    c.say("I want to cancel my order #W1001, I ordered it by mistake. ana@example.com")
        .await;
    let r = c.say("yes").await;
    assert_eq!(r.executed.len(), 1, "{}", r.text);
    assert!(r.finished);
    assert_eq!(c.order("#W1001").await.status, "cancelled");
}
