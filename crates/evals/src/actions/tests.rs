//! The harness on real tau-retail dev tasks (data read by path; skipped when absent unless
//! FRONTDESK_REQUIRE_MODELS=1) and the failure classifier on synthetic cases.

use super::*;
use std::path::PathBuf;

fn tau_dir() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = here.join("../../../shared/evaldata/tau-retail");
    if dir.join("tasks_dev.jsonl").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("FRONTDESK_REQUIRE_MODELS").as_deref() != Ok("1"),
        "tau-retail data missing at {}",
        dir.display()
    );
    None
}

fn tau_policy() -> CommercePolicy {
    load_policy(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../evals/tau-retail/policy.toml"))
        .expect("evals/tau-retail/policy.toml")
}

fn flow_only() -> MakeAssistant {
    Arc::new(|store: TaskStore| Arc::new(FlowAssistant { store }) as Arc<dyn Assistant>)
}

#[tokio::test]
async fn harness_runs_first_tau_dev_tasks() {
    let Some(dir) = tau_dir() else { return };
    let report = run_actions_suite(
        &dir,
        &dir.join("tasks_dev.jsonl"),
        &tau_policy(),
        flow_only(),
        Some(5),
    )
    .await
    .expect("suite runs");
    assert_eq!(report.tasks, 5);
    assert_eq!(report.records.len(), 5);
    // tasks_dev-0: cancel by name + zip with an order number: the simplest flow must pass.
    let first = &report.records[0];
    assert!(first.passed, "{:#?}", first);
    for r in &report.records {
        assert_eq!(
            r.passed,
            r.causes.is_empty(),
            "{}: {:?}",
            r.task_id,
            r.causes
        );
    }
}

fn ea(name: &str, args: serde_json::Value) -> ExpectedAction {
    ExpectedAction {
        name: name.into(),
        arguments: args,
    }
}
fn ex(name: &str, args: serde_json::Value) -> ExecutedAction {
    ExecutedAction {
        name: name.into(),
        arguments: args,
        result: serde_json::Value::Null,
    }
}

#[test]
fn classifies_failures() {
    let verified = ConversationState {
        customer: Some(frontdesk_core::conversation::VerifiedCustomer {
            customer_id: "u".into(),
            display_name: "U".into(),
        }),
        ..Default::default()
    };
    let want = vec![ea(
        "return_delivered_order_items",
        serde_json::json!({"order_id": "#1", "item_ids": ["a"], "payment_method_id": "p"}),
    )];
    let cases: Vec<(Vec<ExecutedAction>, &str)> = vec![
        (vec![], "missing_action"),
        (
            vec![ex(
                "return_delivered_order_items",
                serde_json::json!({"order_id": "#2", "item_ids": ["a"], "payment_method_id": "p"}),
            )],
            "wrong_order",
        ),
        (
            vec![ex(
                "return_delivered_order_items",
                serde_json::json!({"order_id": "#1", "item_ids": ["b"], "payment_method_id": "p"}),
            )],
            "wrong_items",
        ),
        (
            vec![ex(
                "return_delivered_order_items",
                serde_json::json!({"order_id": "#1", "item_ids": ["a"], "payment_method_id": "q"}),
            )],
            "wrong_payment",
        ),
        (
            vec![ex(
                "cancel_pending_order",
                serde_json::json!({"order_id": "#1"}),
            )],
            "wrong_action",
        ),
    ];
    for (got, cause) in cases {
        assert_eq!(
            classify(&verified, &got, &want, false)
                .first()
                .map(String::as_str),
            Some(cause)
        );
    }
    assert_eq!(
        classify(&ConversationState::default(), &[], &want, false)[0],
        "identity"
    );
    assert_eq!(
        classify(
            &verified,
            &[ex("cancel_pending_order", serde_json::json!({}))],
            &[],
            false
        ),
        vec!["extra_action".to_string()]
    );
}

/// Full dev/train numbers: `TAU_SPLIT=dev cargo test -p frontdesk-evals tau_report -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn tau_report() {
    let Some(dir) = tau_dir() else { return };
    let split = std::env::var("TAU_SPLIT").unwrap_or_else(|_| "dev".into());
    let report = run_actions_suite(
        &dir,
        &dir.join(format!("tasks_{split}.jsonl")),
        &tau_policy(),
        flow_only(),
        None,
    )
    .await
    .expect("suite runs");
    for r in &report.records {
        println!(
            "{} {} {:?}",
            r.task_id,
            if r.passed { "PASS" } else { "FAIL" },
            r.causes
        );
        if std::env::var("TAU_VERBOSE").is_ok() && !r.passed {
            for (c, b) in &r.turns {
                println!("   C: {c}\n   B: {b}");
            }
            println!(
                "   got: {}\n   want: {}",
                serde_json::to_string(
                    &r.executed
                        .iter()
                        .map(|e| (&e.name, &e.arguments))
                        .collect::<Vec<_>>()
                )
                .unwrap_or_default(),
                serde_json::to_string(&r.expected).unwrap_or_default()
            );
        }
    }
    println!(
        "task_success {}/{} = {:.3}; causes {:?}",
        report.passed, report.tasks, report.task_success, report.causes
    );
}
