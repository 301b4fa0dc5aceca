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

// --- The scripted customer: scenario styles it reads, and how it reacts to structured replies.
// The scenarios below are written for these tests (not taken from the data set).

use customer::{Afterthought, BotReply, Scenario};
use frontdesk_core::conversation::{PendingAction, Slot};

struct Want<'a> {
    name: Option<(&'a str, &'a str)>,
    zip: Option<&'a str>,
    emails: &'a [&'a str],
    orders: &'a [&'a str],
    /// Substrings the first request must contain (in the first person).
    says: &'a [&'a str],
    /// Substrings no request may contain (persona, identity, second/third person).
    never: &'a [&'a str],
}

fn check(scenario: &str, want: Want<'_>) -> Scenario {
    let sc = Scenario::parse(scenario);
    assert_eq!(
        sc.name.as_ref().map(|(f, l)| (f.as_str(), l.as_str())),
        want.name,
        "name in {scenario}"
    );
    assert_eq!(sc.zip.as_deref(), want.zip, "zip in {scenario}");
    assert_eq!(sc.emails, want.emails, "emails in {scenario}");
    assert_eq!(sc.order_ids, want.orders, "orders in {scenario}");
    let first = sc
        .requests
        .first()
        .map(|r| r.text.clone())
        .unwrap_or_default();
    for s in want.says {
        assert!(first.contains(s), "{s:?} not in {first:?} ({scenario})");
    }
    let all: String = sc.requests.iter().map(|r| r.text.as_str()).collect();
    for s in want.never {
        assert!(!all.contains(s), "{s:?} in {all:?} ({scenario})");
    }
    sc
}

#[test]
fn reads_second_person_scenarios() {
    check(
        "Your name is Nadia Park and your zip code is 30301. You are calm, polite. You ordered a desk fan in order #W1112223 but you no longer need it, so you want to cancel it.",
        Want {
            name: Some(("Nadia", "Park")),
            zip: Some("30301"),
            emails: &[],
            orders: &["#W1112223"],
            says: &["I ordered a desk fan", "I want to cancel it"],
            never: &["calm", "30301", "Nadia", "you", "You"],
        },
    );
    let sc = check(
        "Your email is leo.marsh@example.org and your name is Leo Marsh. You want to return the blender from #W2223334 and get your money back on paypal.",
        Want {
            name: Some(("Leo", "Marsh")),
            zip: None,
            emails: &["leo.marsh@example.org"],
            orders: &["#W2223334"],
            says: &["I want to return the blender from #W2223334", "my money back on paypal"],
            never: &["example.org", "your"],
        },
    );
    assert!(sc.requests[0]
        .payment_wish
        .as_deref()
        .is_some_and(|w| w.contains("paypal")));
    check(
        "Your name is Rosa Diaz. You may have used rosa@example.com or rosa.diaz@example.com for the account. You want to cancel #W1212121 since you don't need it.",
        Want {
            name: Some(("Rosa", "Diaz")),
            zip: None,
            emails: &["rosa@example.com", "rosa.diaz@example.com"],
            orders: &["#W1212121"],
            says: &["I want to cancel #W1212121 since I don't need it"],
            never: &["Rosa"],
        },
    );
    let sc = check(
        "Your name is Ben Cole and your zip code is 55401. You are shy. For #W1000001, change payment to gift_card_1234567. For #W1000002, exchange Backpack {'color': 'red', 'size': 'large'} to {'color': 'green'}; via paypal_7654321.",
        Want {
            name: Some(("Ben", "Cole")),
            zip: Some("55401"),
            emails: &[],
            orders: &["#W1000001", "#W1000002"],
            says: &["change payment to gift_card_1234567"],
            never: &["shy", "Ben"],
        },
    );
    assert_eq!(sc.requests.len(), 2, "{:#?}", sc.requests);
    assert_eq!(sc.requests[0].payment_ids, vec!["gift_card_1234567"]);
    assert_eq!(sc.requests[1].payment_ids, vec!["paypal_7654321"]);
    assert_eq!(sc.requests[1].targets, vec!["green"]);
    let sc = check(
        "Your name is Lena Fox, email lena.fox@example.com. For #W4000004, you first want to exchange the Kettle {'color': 'white'} to {'color': 'black'}, but then you change your mind and keep it.",
        Want {
            name: Some(("Lena", "Fox")),
            zip: None,
            emails: &["lena.fox@example.com"],
            orders: &["#W4000004"],
            says: &["exchange the Kettle"],
            never: &["change my mind", "keep it"],
        },
    );
    assert_eq!(sc.requests[0].afterthought, Some(Afterthought::Drop));
}

#[test]
fn reads_you_are_name_in_zip_scenarios() {
    let sc = check(
        "You are Ines Varga in 60614. Return the yoga mat from order #W3334445; you'd like the refund on your gift card.",
        Want {
            name: Some(("Ines", "Varga")),
            zip: Some("60614"),
            emails: &[],
            orders: &["#W3334445"],
            says: &["Return the yoga mat", "I'd like the refund on my gift card"],
            never: &["Ines", "60614"],
        },
    );
    assert!(sc.requests[0].payment_wish.is_some());
    let sc = check(
        "You are Tom Berg in 10001 and you want to cancel order #W4445556 because you placed it by accident.",
        Want {
            name: Some(("Tom", "Berg")),
            zip: Some("10001"),
            emails: &[],
            orders: &["#W4445556"],
            says: &["I want to cancel order #W4445556 because I placed it by accident"],
            never: &["Tom", "10001"],
        },
    );
    assert!(sc.requests[0].by_mistake);
    let sc = check(
        "You're Ada Kim (zip 94110). You'd like to swap the Desk Lamp in #W5556667 from {'color': 'black'} to {'color': 'white'}.",
        Want {
            name: Some(("Ada", "Kim")),
            zip: Some("94110"),
            emails: &[],
            orders: &["#W5556667"],
            says: &["I'd like to swap the Desk Lamp"],
            never: &["Ada", "94110"],
        },
    );
    assert_eq!(sc.requests[0].targets, vec!["white"]);
    let sc = check(
        "You are Omar Haddad from 48201. If the agent asks for confirmation, add that you also want to return the Phone Case from #W3000003. You want to return the Charger from order #W3000003.",
        Want {
            name: Some(("Omar", "Haddad")),
            zip: Some("48201"),
            emails: &[],
            orders: &["#W3000003"],
            says: &["I want to return the Charger"],
            never: &["Phone Case", "confirmation"],
        },
    );
    match &sc.requests[0].afterthought {
        Some(Afterthought::Add(t)) => assert!(t.contains("Phone Case"), "{t}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reads_third_person_scenarios() {
    let sc = check(
        "The customer, Maria Lopez (zip 73301), wants to cancel order #W6667778 because she ordered it by mistake.",
        Want {
            name: Some(("Maria", "Lopez")),
            zip: Some("73301"),
            emails: &[],
            orders: &["#W6667778"],
            says: &["I want to cancel order #W6667778 because I ordered it by mistake"],
            never: &["Maria", "customer", "she"],
        },
    );
    assert!(sc.requests[0].by_mistake);
    let sc = check(
        "Kenji Sato's email is kenji.sato@example.net. He is patient, quiet. He received a broken kettle in order #W7778889 and would like a refund to his credit card.",
        Want {
            name: Some(("Kenji", "Sato")),
            zip: None,
            emails: &["kenji.sato@example.net"],
            orders: &["#W7778889"],
            says: &["I received a broken kettle", "a refund to my credit card"],
            never: &["patient", "Kenji", " He ", " his "],
        },
    );
    assert!(sc.requests[0]
        .payment_wish
        .as_deref()
        .is_some_and(|w| w.contains("credit card")));
    let sc = check(
        "The customer is Priya Nair, zip code 02139. She wants to exchange the Running Shoes {'size': '8'} in order #W8889990 to {'size': '9'}.",
        Want {
            name: Some(("Priya", "Nair")),
            zip: Some("02139"),
            emails: &[],
            orders: &["#W8889990"],
            says: &["I want to exchange the Running Shoes"],
            never: &["Priya", "She", "customer"],
        },
    );
    assert_eq!(sc.requests[0].targets, vec!["9"]);
    check(
        "Sam Otto (email sam.otto@example.com) wants to change the shipping address of #W9990001 to 12 Elm Street, Springfield.",
        Want {
            name: Some(("Sam", "Otto")),
            zip: None,
            emails: &["sam.otto@example.com"],
            orders: &["#W9990001"],
            says: &["I want to change the shipping address of #W9990001 to 12 Elm Street"],
            never: &["Sam", "example.com"],
        },
    );
    check(
        "The customer is Eva Stone and her zip code is 85001. For #W2000002 she wants to return the Tablet and the Laptop, refunded to her paypal account.",
        Want {
            name: Some(("Eva", "Stone")),
            zip: Some("85001"),
            emails: &[],
            orders: &["#W2000002"],
            says: &["I want to return the Tablet and the Laptop", "to my paypal account"],
            never: &["Eva", "85001", "her"],
        },
    );
    let sc = check(
        "Noah Reyes lives in 33101 and uses noah.reyes@example.com. He wants to exchange the Smart Watch from order #W5000005 for the blue one. If the agent asks how to settle the price difference, he prefers PayPal over a gift card.",
        Want {
            name: Some(("Noah", "Reyes")),
            zip: Some("33101"),
            emails: &["noah.reyes@example.com"],
            orders: &["#W5000005"],
            says: &["I want to exchange the Smart Watch"],
            never: &["PayPal", "Noah", "33101"],
        },
    );
    assert_eq!(
        sc.requests[0].payment_wish.as_deref(),
        Some("I prefer PayPal over a gift card.")
    );
    check(
        "The shopper, Grace Liu, e-mail grace.liu@example.com, says order #W6000006 arrived damaged and she wants all items returned to her gift card.",
        Want {
            name: Some(("Grace", "Liu")),
            zip: None,
            emails: &["grace.liu@example.com"],
            orders: &["#W6000006"],
            says: &["order #W6000006 arrived damaged", "I want all items returned to my gift card"],
            never: &["Grace", "shopper", " she "],
        },
    );
}

fn plan(action: &str, args: serde_json::Value, summary: &str) -> BotReply {
    BotReply {
        pending_action: Some(PendingAction {
            action: action.into(),
            arguments: args,
            summary: summary.into(),
            approval_amount: None,
        }),
        awaiting: Some(Slot::Confirmation),
        executed: vec![],
    }
}

fn asks(slot: Slot) -> BotReply {
    BotReply {
        awaiting: Some(slot),
        ..BotReply::default()
    }
}

fn done(action: &str) -> BotReply {
    BotReply {
        executed: vec![ex(action, serde_json::json!({}))],
        ..BotReply::default()
    }
}

#[test]
fn customer_answers_slots_from_the_scenario() {
    let mut c = ScriptedCustomer::new(
        "You are Rosa Diaz in 20001. You used rosa@example.com or rosa.d@example.com. You want to cancel #W1212121 because you ordered it by accident. If the agent asks about the refund, you'd like it on your paypal.",
    );
    let open = c.opening();
    assert!(
        open.contains("rosa@example.com") && open.contains("cancel #W1212121"),
        "{open}"
    );
    assert!(!open.contains("paypal"), "{open}");
    // The first e-mail did not verify: the next one, then name and zip.
    assert!(c
        .reply(&asks(Slot::Identity))
        .is_some_and(|m| m.contains("rosa.d@example.com")));
    assert!(c
        .reply(&asks(Slot::Identity))
        .is_some_and(|m| m.contains("Rosa Diaz") && m.contains("20001")));
    assert!(c
        .reply(&asks(Slot::Order))
        .is_some_and(|m| m.contains("#W1212121")));
    assert!(c
        .reply(&asks(Slot::Reason))
        .is_some_and(|m| m.contains("accident")));
    assert!(c
        .reply(&asks(Slot::Payment))
        .is_some_and(|m| m.contains("paypal")));
}

#[test]
fn customer_confirms_only_a_plan_that_fits() {
    let s = "Your name is Ben Cole and your zip code is 55401. For #W1000002, exchange Backpack {'color': 'red'} to {'color': 'green'}; via paypal_7654321. Cancel order #W1000003 because you no longer need it.";
    let mut c = ScriptedCustomer::new(s);
    c.opening();
    let args = |order: &str, pm: &str| serde_json::json!({"order_id": order, "item_ids": ["1"], "new_item_ids": ["2"], "payment_method_id": pm});
    let summary = "exchange Backpack (color: red) → (color: green)";
    let no = c
        .reply(&plan(
            "exchange_delivered_order_items",
            args("#W9999999", "paypal_7654321"),
            summary,
        ))
        .unwrap_or_default();
    assert!(no.starts_with("No") && no.contains("#W1000002"), "{no}");
    let no = c
        .reply(&plan(
            "exchange_delivered_order_items",
            args("#W1000002", "credit_card_1"),
            summary,
        ))
        .unwrap_or_default();
    assert!(
        no.starts_with("No") && no.contains("paypal_7654321"),
        "{no}"
    );
    let no = c
        .reply(&plan(
            "exchange_delivered_order_items",
            args("#W1000002", "paypal_7654321"),
            "exchange Backpack (color: red) → (color: blue)",
        ))
        .unwrap_or_default();
    assert!(no.starts_with("No"), "{no}");
    let yes = c
        .reply(&plan(
            "exchange_delivered_order_items",
            args("#W1000002", "paypal_7654321"),
            summary,
        ))
        .unwrap_or_default();
    assert!(yes.starts_with("Yes"), "{yes}");
    // Done: the next request.
    let next = c
        .reply(&done("exchange_delivered_order_items"))
        .unwrap_or_default();
    assert!(next.contains("Cancel order #W1000003"), "{next}");
    let no = c
        .reply(&plan(
            "cancel_pending_order",
            serde_json::json!({"order_id": "#W1000003", "reason": "ordered by mistake"}),
            "cancel",
        ))
        .unwrap_or_default();
    assert!(no.starts_with("No"), "{no}");
    let yes = c
        .reply(&plan(
            "cancel_pending_order",
            serde_json::json!({"order_id": "#W1000003", "reason": "no longer needed"}),
            "cancel",
        ))
        .unwrap_or_default();
    assert!(yes.starts_with("Yes"), "{yes}");
    assert_eq!(c.reply(&done("cancel_pending_order")), None);
}

#[test]
fn customer_prefers_the_scenario_payment_kind() {
    let mut c = ScriptedCustomer::new(
        "You are Noah Reyes in 33101. You want to return the Lamp from #W5000005. If the agent asks how to refund, you prefer PayPal over GC.",
    );
    c.opening();
    let ret = |pm: &str| {
        plan(
            "return_delivered_order_items",
            serde_json::json!({"order_id": "#W5000005", "item_ids": ["1"], "payment_method_id": pm}),
            "return Lamp",
        )
    };
    let no = c.reply(&ret("gift_card_1")).unwrap_or_default();
    assert!(no.starts_with("No") && no.contains("paypal"), "{no}");
    assert!(c
        .reply(&ret("paypal_2"))
        .is_some_and(|m| m.starts_with("Yes")));
}

#[test]
fn customer_afterthoughts_and_quiet_replies() {
    // An addition before the first yes, then yes.
    let mut c = ScriptedCustomer::new(
        "You are Omar Haddad from 48201. You want to return the Charger from order #W3000003. But before confirming, decide to return the Phone Case as well.",
    );
    c.opening();
    let p = plan(
        "return_delivered_order_items",
        serde_json::json!({"order_id": "#W3000003", "item_ids": ["1"], "payment_method_id": "paypal_1"}),
        "return Charger",
    );
    assert!(c
        .reply(&p)
        .is_some_and(|m| m.contains("Phone Case") && !m.starts_with("Yes")));
    assert!(c.reply(&p).is_some_and(|m| m.starts_with("Yes")));
    // A change of mind: no, then nothing more for that request.
    let mut c = ScriptedCustomer::new(
        "Your name is Lena Fox, email lena.fox@example.com. For #W4000004, you first want to exchange the Kettle {'color': 'white'} to {'color': 'black'}, but then you change your mind and keep it.",
    );
    c.opening();
    let p = plan(
        "exchange_delivered_order_items",
        serde_json::json!({"order_id": "#W4000004", "item_ids": ["1"], "new_item_ids": ["2"], "payment_method_id": "paypal_1"}),
        "Kettle (color: white) → (color: black)",
    );
    assert!(c.reply(&p).is_some_and(|m| m.starts_with("No")));
    assert_eq!(c.reply(&BotReply::default()), None);
    // A reply that asks nothing: the request once more, then the conversation ends.
    let mut c = ScriptedCustomer::new("You are Tom Berg in 10001. You want to cancel #W4445556.");
    c.opening();
    assert!(c
        .reply(&BotReply::default())
        .is_some_and(|m| m.contains("#W4445556")));
    assert_eq!(c.reply(&BotReply::default()), None);
}

#[test]
fn customer_refuses_more_items_than_it_named() {
    let mut c = ScriptedCustomer::new(
        "You are Ada Kim in 94110. Return #W5556667 via paypal_1234567: Water Bottle; Laptop;",
    );
    c.opening();
    let ret = |items: &[&str]| {
        plan(
            "return_delivered_order_items",
            serde_json::json!({"order_id": "#W5556667", "item_ids": items, "payment_method_id": "paypal_1234567"}),
            "return Water Bottle (green); Laptop (grey); Water Bottle (green)",
        )
    };
    assert!(c
        .reply(&ret(&["1", "2", "1"]))
        .is_some_and(|m| m.starts_with("No")));
    assert!(c
        .reply(&ret(&["1", "2"]))
        .is_some_and(|m| m.starts_with("Yes")));
}

#[tokio::test]
async fn lm_customer_runs_each_task_several_times_and_reports_departures() {
    let Some(dir) = tau_dir() else { return };
    let tasks: Vec<ActionTask> = load_tasks(&dir.join("tasks_dev.jsonl"))
        .unwrap()
        .into_iter()
        .take(1)
        .collect();
    // A customer that names an order the scenario does not have, then gives up.
    let model = Arc::new(frontdesk_core::testing::ReplayChat::new(&[
        "Please cancel order #W0000001.",
        "###STOP###",
    ]));
    let side = CustomerSide::Lm {
        model: model.clone(),
        spec: LmCustomerSpec {
            model: None,
            temperature: 0.7,
            runs: 2,
            seed: 3,
            max_turns: 6,
        },
    };
    let report = run_tasks(&dir, tasks, &tau_policy(), flow_only(), None, &side)
        .await
        .expect("suite runs");
    assert_eq!((report.tasks, report.runs), (2, 2));
    assert_eq!(
        report.records.iter().map(|r| r.run).collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(report.pass_hat_k, 0.0);
    let first = &report.records[0];
    assert!(!first.passed);
    assert!(first.customer_ended);
    assert_eq!(first.departures, ["invented_fact"]);
    assert_eq!(first.turns.len(), 1);
    // The second run's customer said nothing before stopping.
    assert_eq!(report.records[1].departures, ["silent"]);
    let suite = report.to_suite_report("lm");
    assert_eq!(suite.metrics[frontdesk_core::metrics::PASS_HAT_K], 0.0);
    assert_eq!(
        suite.metrics[frontdesk_core::metrics::CUSTOMER_DEPARTURE_RATE],
        1.0
    );
    assert_eq!(suite.cases[1].id, format!("{}/run1", first.task_id));
    // The opening was drawn four times (an invented order id, then stops before anything was
    // said) and the first draw kept; the next request shows the bot's reply as the agent's.
    let seen = model.requests.lock().unwrap();
    let shown = &seen[4].messages[1].content;
    assert!(
        shown.contains(&format!("Agent: {}", first.turns[0].1.replace('\n', " "))),
        "{shown}"
    );
}

#[test]
fn scenario_rows_replace_and_select_tasks() {
    let task = |id: &str| ActionTask {
        task_id: id.into(),
        user_id: "u".into(),
        user_scenario: format!("original {id}"),
        expected_actions: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl");
    std::fs::write(
        &path,
        "{\"task_id\":\"b\",\"user_scenario\":\"reworded b\",\"model\":\"m\"}\n\n{\"task_id\":\"a\",\"paraphrase_failed\":true}\n",
    )
    .unwrap();
    let got = apply_scenarios(vec![task("a"), task("b")], &path).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].user_scenario, "reworded b");
    std::fs::write(&path, "not json\n").unwrap();
    let err = apply_scenarios(vec![task("a")], &path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 1"), "{err}");
}
