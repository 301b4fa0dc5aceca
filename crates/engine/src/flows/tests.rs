//! Flow tests over a tiny seeded SQLite store: every flow, corrections, refusal, abort,
//! identity failures, foreign orders, stock and approval escalation; saved states and
//! idempotent replay in `saved_and_audited`.

use super::actions::refused_action;
use super::step::follow_up;
use super::*;
use crate::understanding::understand;
use frontdesk_commerce::SqliteCommerce;
use frontdesk_core::testing::{AuditCalls, MemoryAuditLog};
use frontdesk_core::Channel;

mod saved_and_audited;

const USERS: &str = r##"{
 "ana_1": {"name": {"first_name": "Ana", "last_name": "Petrovic"}, "address": {"address1": "Main 1", "address2": "", "city": "Novi Sad", "country": "Serbia", "state": "", "zip": "21000"},
   "email": "ana@example.com", "payment_methods": {
     "credit_card_1": {"source": "credit_card", "brand": "visa", "last_four": "1111", "id": "credit_card_1"},
     "gift_card_1": {"source": "gift_card", "balance": 50.0, "id": "gift_card_1"}},
   "orders": ["#W1001", "#W1002", "#W1003"]},
 "bob_2": {"name": {"first_name": "Bob", "last_name": "Smith"}, "address": {"address1": "Elm 2", "address2": "", "city": "Austin", "country": "USA", "state": "TX", "zip": "78701"},
   "email": "bob@example.com", "payment_methods": {"paypal_2": {"source": "paypal", "id": "paypal_2"}}, "orders": ["#W2001"]}
}"##;
const PRODUCTS: &str = r##"{
 "p_lamp": {"name": "Desk Lamp", "product_id": "p_lamp", "variants": {
   "lamp_black": {"item_id": "lamp_black", "options": {"color": "black"}, "available": true, "price": 40.0},
   "lamp_white": {"item_id": "lamp_white", "options": {"color": "white"}, "available": true, "price": 45.0},
   "lamp_red": {"item_id": "lamp_red", "options": {"color": "red"}, "available": false, "price": 40.0}}},
 "p_tent": {"name": "Trail Tent", "product_id": "p_tent", "variants": {
   "tent_2p": {"item_id": "tent_2p", "options": {"size": "2 person"}, "available": true, "price": 600.0},
   "tent_3p": {"item_id": "tent_3p", "options": {"size": "3 person"}, "available": true, "price": 700.0}}},
 "p_mat": {"name": "Trail Sleeping Mat", "product_id": "p_mat", "variants": {
   "mat_1": {"item_id": "mat_1", "options": {"size": "regular"}, "available": true, "price": 30.0}}}
}"##;

fn order(
    id: &str,
    user: &str,
    status: &str,
    items: &[(&str, &str, &str, f64)],
    pm: &str,
) -> serde_json::Value {
    let items: Vec<_> = items.iter().map(|(name, pid, iid, price)| json!({"name": name, "product_id": pid, "item_id": iid, "price": price, "options": {"color": iid.trim_start_matches("lamp_"), "size": ""}})).collect();
    let total: f64 = items.iter().filter_map(|i| i["price"].as_f64()).sum();
    json!({"order_id": id, "user_id": user, "address": {"address1": "Main 1", "city": "Novi Sad", "country": "Serbia", "zip": "21000"},
        "items": items, "fulfillments": [{"tracking_id": ["TRK1"], "item_ids": []}], "status": status,
        "payment_history": [{"transaction_type": "payment", "amount": total, "payment_method_id": pm}]})
}

fn store() -> SqliteCommerce {
    let dir = tempfile::tempdir().unwrap();
    let mut orders = serde_json::Map::new();
    for o in [
        order(
            "#W1001",
            "ana_1",
            "pending",
            &[("Desk Lamp", "p_lamp", "lamp_black", 40.0)],
            "credit_card_1",
        ),
        order(
            "#W1002",
            "ana_1",
            "delivered",
            &[
                ("Desk Lamp", "p_lamp", "lamp_black", 40.0),
                ("Trail Sleeping Mat", "p_mat", "mat_1", 30.0),
            ],
            "credit_card_1",
        ),
        order(
            "#W1003",
            "ana_1",
            "delivered",
            &[("Trail Tent", "p_tent", "tent_2p", 600.0)],
            "credit_card_1",
        ),
        order(
            "#W2001",
            "bob_2",
            "pending",
            &[("Desk Lamp", "p_lamp", "lamp_white", 45.0)],
            "paypal_2",
        ),
    ] {
        orders.insert(o["order_id"].as_str().unwrap().to_string(), o);
    }
    std::fs::write(dir.path().join("users.json"), USERS).unwrap();
    std::fs::write(dir.path().join("products.json"), PRODUCTS).unwrap();
    std::fs::write(
        dir.path().join("orders.json"),
        serde_json::Value::Object(orders).to_string(),
    )
    .unwrap();
    let s = SqliteCommerce::in_memory().unwrap();
    s.seed_from_dir(dir.path()).unwrap();
    s
}

struct Chat {
    store: SqliteCommerce,
    /// The audit log, when not the store's own.
    log: Option<MemoryAuditLog>,
    policy: CommercePolicy,
    state: ConversationState,
    lang: Lang,
    /// What the engine's search would have found for the message.
    related: Vec<String>,
}

impl Chat {
    fn new() -> Self {
        Self {
            store: store(),
            log: None,
            policy: CommercePolicy::default(),
            state: ConversationState::new("conv-1", Channel::Chat),
            lang: Lang::En,
            related: Vec::new(),
        }
    }
    async fn say(&mut self, msg: &str) -> FlowReply {
        let u = understand(msg, &self.state, None, &[]);
        let ctx = FlowContext {
            commerce: &self.store,
            policy: &self.policy,
            audit: Some(match &self.log {
                Some(log) => log as &dyn AuditLog,
                None => &self.store,
            }),
            conversation_id: "conv-1",
            lang: self.lang,
            related_passages: self.related.clone(),
            item_reader: None,
        };
        match step(&ctx, &mut self.state, &u).await {
            FlowOutcome::Reply(r) => r,
            FlowOutcome::NotHandled => FlowReply {
                text: "<not handled>".into(),
                ..FlowReply::default()
            },
        }
    }
    async fn order(&self, id: &str) -> Order {
        self.store.order(id).await.unwrap()
    }
}

#[tokio::test]
async fn cancel_flow_asks_identity_reason_then_confirms() {
    let mut c = Chat::new();
    let r = c.say("I want to cancel my order #W1001").await;
    assert!(r.text.contains("verify"), "{}", r.text);
    let r = c.say("my email is ana@example.com").await;
    assert!(r.text.contains("reason"), "{}", r.text);
    let r = c.say("I ordered it by mistake").await;
    assert!(
        r.text.contains("cancel order #W1001")
            && r.text.contains("ordered by mistake")
            && r.text.contains("40.00"),
        "{}",
        r.text
    );
    assert_eq!(
        c.order("#W1001").await.status,
        "pending",
        "nothing happens before yes"
    );
    let r = c.say("yes").await;
    assert_eq!(r.executed.len(), 1);
    assert!(r.finished && c.state.flow.is_none());
    assert_eq!(c.order("#W1001").await.status, "cancelled");
    // A second "yes" has nothing to confirm and never refunds twice.
    let r = c.say("yes").await;
    assert!(r.executed.is_empty());
    assert_eq!(c.order("#W1001").await.payment_history.len(), 2);
}

/// A Serbian (Latin) chat in which the cancellation of #W1001 waits for the customer's yes.
async fn serbian_cancellation_awaiting_yes() -> Chat {
    let mut c = Chat::new();
    c.lang = Lang::SrLatn;
    let r = c
        .say("Želim da otkažem porudžbinu #W1001, ne treba mi više. ana@example.com")
        .await;
    assert!(r.text.contains("otkazujem porudžbinu #W1001"), "{}", r.text);
    c
}

/// A question at the confirmation holds the word for yes ("da" in "da li"); it is not a yes,
/// and nothing is carried out until one comes.
#[tokio::test]
async fn a_serbian_question_at_the_confirmation_is_not_a_yes() {
    let mut c = serbian_cancellation_awaiting_yes().await;
    let r = c.say("Da li ću dobiti ceo iznos nazad?").await;
    assert!(r.executed.is_empty(), "{}", r.text);
    assert_eq!(c.order("#W1001").await.status, "pending");
    let r = c.say("da").await;
    assert_eq!(r.executed.len(), 1, "{}", r.text);
    assert_eq!(c.order("#W1001").await.status, "cancelled");
}

#[tokio::test]
async fn refusal_and_abort_change_nothing() {
    for last in ["no", "never mind"] {
        let mut c = Chat::new();
        c.say("My name is Ana Petrovic, zip 21000. Cancel #W1001, I don't need it")
            .await;
        let r = c.say(last).await;
        assert!(r.text.contains("haven't changed"), "{last}: {}", r.text);
        assert!(r.finished && c.state.flow.is_none());
        assert_eq!(c.order("#W1001").await.status, "pending");
    }
}

#[tokio::test]
async fn wrong_identity_and_foreign_order_are_refused() {
    let mut c = Chat::new();
    let r = c
        .say("cancel order #W1001, my email is nobody@example.com")
        .await;
    assert!(r.text.contains("couldn't find an account"), "{}", r.text);
    let r = c
        .say("sorry, it's ana@example.com and the order is #W2001")
        .await;
    assert!(
        r.text.contains("can't find order #W2001") && !r.text.contains("Lamp"),
        "{}",
        r.text
    );
    assert_eq!(c.order("#W2001").await.status, "pending");
    assert!(c
        .state
        .customer
        .as_ref()
        .is_some_and(|v| v.customer_id == "ana_1"));
}

#[tokio::test]
async fn return_with_item_and_refund_destination_and_correction() {
    let mut c = Chat::new();
    let r = c
        .say("I want to return the desk lamp from order #W1002. Email ana@example.com")
        .await;
    assert!(
        r.text.contains("payment"),
        "asks where the refund goes: {}",
        r.text
    );
    let r = c.say("the original payment method is fine").await;
    assert!(
        r.text.contains("Desk Lamp") && !r.text.contains("Mat") && r.text.contains("credit_card_1"),
        "{}",
        r.text
    );
    let r = c
        .say("please also return the sleeping mat, and refund to my gift card")
        .await;
    assert!(
        r.text.contains("Mat") && r.text.contains("gift_card_1") && r.text.contains("70.00"),
        "{}",
        r.text
    );
    let r = c.say("yes").await;
    assert_eq!(r.executed[0].arguments["payment_method_id"], "gift_card_1");
    let o = c.order("#W1002").await;
    assert_eq!(o.status, "return requested");
    assert_eq!(o.extra["return_items"], json!(["lamp_black", "mat_1"]));
}

#[tokio::test]
async fn over_limit_refund_escalates_without_writing() {
    let mut c = Chat::new();
    let r = c
        .say("return the tent from #W1003 to the original card, ana@example.com")
        .await;
    assert!(
        r.escalate.is_none() && r.text.contains("colleague") && r.text.contains("yes or no"),
        "the customer confirms the plan before it goes to a colleague: {}",
        r.text
    );
    assert_eq!(c.order("#W1003").await.status, "delivered");
    let r = c.say("yes").await;
    let h = r.escalate.expect("needs approval");
    assert_eq!(h.reason, EscalationReason::NeedsApproval);
    assert!(
        h.summary.contains("#W1003") && h.summary.contains("tent_2p"),
        "{}",
        h.summary
    );
    assert_eq!(c.order("#W1003").await.status, "delivered");
}

#[tokio::test]
async fn exchange_out_of_stock_then_mid_flow_correction() {
    let mut c = Chat::new();
    let r = c
        .say("I'd like to exchange the desk lamp in #W1002 for a red one. ana@example.com")
        .await;
    assert!(
        r.text.contains("out of stock") && r.text.contains("white"),
        "{}",
        r.text
    );
    let r = c.say("ok, white then").await;
    assert!(r.text.contains("payment"), "{}", r.text);
    let r = c.say("credit card").await;
    assert!(
        r.text.contains("→ (white") && r.text.contains("5.00"),
        "{}",
        r.text
    );
    let r = c.say("yes").await;
    assert_eq!(r.executed[0].name, "exchange_delivered_order_items");
    assert_eq!(c.order("#W1002").await.status, "exchange requested");
}

#[tokio::test]
async fn a_payment_change_with_no_other_method_says_so_instead_of_an_empty_list() {
    let mut c = Chat::new();
    let r = c
        .say("bob@example.com: please change the payment method of order #W2001")
        .await;
    assert!(r.text.contains("no other payment method"), "{}", r.text);
    assert!(!r.text.contains("Yours:"), "{}", r.text);
    assert!(r.executed.is_empty());
}

#[tokio::test]
async fn modify_pending_items_payment_and_address() {
    let mut c = Chat::new();
    c.say("ana@example.com - please change the lamp in order #W1001 to white, pay the difference with the credit card").await;
    let r = c.say("yes").await;
    assert_eq!(r.executed[0].name, "modify_pending_order_items");
    assert_eq!(c.order("#W1001").await.status, "pending (item modified)");

    let mut c = Chat::new();
    let r = c
        .say("ana@example.com: change payment to the gift card for #W1001")
        .await;
    assert!(r.text.contains("gift_card_1"), "{}", r.text);
    c.say("yes").await;
    assert_eq!(
        c.store.customer("ana_1").await.unwrap().payment_methods["gift_card_1"].balance,
        Some(10.0)
    );

    let mut c = Chat::new();
    let r = c.say("ana@example.com, change the shipping address of #W1001 to: 5 New Street, Belgrade, 11000, Serbia").await;
    assert!(
        r.text.contains("5 New Street, Belgrade, 11000, Serbia"),
        "{}",
        r.text
    );
    c.say("yes").await;
    assert_eq!(c.order("#W1001").await.address.city, "Belgrade");
}

#[tokio::test]
async fn status_place_order_and_recommend() {
    let mut c = Chat::new();
    let r = c.say("Where is my order #W1002? ana@example.com").await;
    assert!(
        r.text.contains("delivered") && r.text.contains("TRK1"),
        "{}",
        r.text
    );

    let r = c
        .say("I'd like to order a desk lamp in white, 2 pcs, paid with the credit card")
        .await;
    assert!(
        r.text.contains("2 × Desk Lamp (white)") && r.text.contains("90.00"),
        "{}",
        r.text
    );
    let r = c.say("yes").await;
    let id = r.executed[0].result["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(c.order(&id).await.items.len(), 2);

    let r = c.say("can you recommend something for the tent?").await;
    assert!(r.text.contains("Trail Sleeping Mat"), "{}", r.text);
}

#[tokio::test]
async fn serbian_replies_and_replay_through_audit() {
    let mut c = serbian_cancellation_awaiting_yes().await;
    let saved = c.state.clone();
    let r = c.say("da").await;
    assert_eq!(r.executed.len(), 1);
    // A retried request with the pre-execution state replays the stored result.
    c.state = saved;
    c.lang = Lang::SrCyrl;
    let r = c.say("да").await;
    assert!(
        r.text.starts_with("Хвала") || r.text.starts_with("Урађено"),
        "{}",
        r.text
    );
    assert_eq!(
        c.order("#W1001").await.payment_history.len(),
        2,
        "refunded once"
    );
    assert_eq!(c.store.entries("conv-1").await.unwrap().len(), 1);
}

#[tokio::test]
async fn unrelated_intent_free_message_is_not_handled() {
    let mut c = Chat::new();
    assert_eq!(
        c.say("What are your opening hours?").await.text,
        "<not handled>"
    );
}

#[tokio::test]
async fn what_was_said_before_identity_is_not_asked_again() {
    let mut c = Chat::new();
    let r = c
        .say("I'd like to order a desk lamp in white, 2 pcs, paid with the credit card")
        .await;
    assert!(r.text.contains("verify your identity"), "{}", r.text);
    let r = c.say("ana@example.com").await;
    assert!(
        r.text.contains("verified") && r.text.contains("2 × Desk Lamp (white)"),
        "product, quantity and payment said before identity are kept: {}",
        r.text
    );
}

#[tokio::test]
async fn several_requests_in_one_message_are_carried_out_in_turn() {
    let mut c = Chat::new();
    let r = c
        .say("ana@example.com. Cancel order #W1001 because I ordered it by mistake. Return the mat from order #W1002, refund to the gift card.")
        .await;
    assert!(
        r.text.contains("cancel order #W1001") && !r.text.contains("#W1002"),
        "one plan at a time: {}",
        r.text
    );
    let r = c.say("yes").await;
    assert_eq!(r.executed.len(), 1, "{}", r.text);
    assert!(
        r.text.starts_with("Done") && r.text.contains("#W1002") && r.text.contains("yes or no"),
        "the second request follows the first without being asked again: {}",
        r.text
    );
    let r = c.say("yes").await;
    assert_eq!(
        r.executed.first().map(|a| a.name.as_str()),
        Some("return_delivered_order_items"),
        "{}",
        r.text
    );
    assert_eq!(c.order("#W1001").await.status, "cancelled");
    assert_eq!(c.order("#W1002").await.status, "return requested");
    // Nothing is left to do: a further "yes" repeats nothing.
    let r = c.say("yes").await;
    assert!(r.executed.is_empty(), "{}", r.text);
}

#[tokio::test]
async fn an_answer_to_a_slot_question_does_not_start_another_action() {
    let mut c = Chat::new();
    let r = c
        .say("I'd like to order a desk lamp in white, ana@example.com")
        .await;
    assert!(
        r.text.contains("verified") && !r.text.contains("yes or no"),
        "{}",
        r.text
    );
    let r = c
        .say("two of them, ship it to my default address and pay with the credit card")
        .await;
    assert!(
        r.events.iter().all(
            |e| e.action != "modify_user_address" && e.action != "modify_pending_order_payment"
        ),
        "{:?}",
        r.events
    );
    assert!(r.text.contains("Desk Lamp (white)"), "{}", r.text);
}

#[test]
fn follow_up_skips_the_orders_already_handled() {
    let request = "Cancel order #W1001 because of a mistake. Return #W2002 via paypal: Lamp; For #W1001, change the address to {'zip': '1'} (same as #W3003).";
    assert_eq!(
        follow_up(request, &["#W1001".to_string()]).as_deref(),
        Some("Return #W2002 via paypal: Lamp;")
    );
    assert_eq!(
        follow_up(request, &["#W1001".into(), "#W2002".into()]),
        None
    );
}

#[tokio::test]
async fn a_need_is_answered_with_the_products_its_passages_describe_within_budget() {
    let mut c = Chat::new();
    c.related = vec![
        "For reading at night the Desk Lamp gives warm light. The Trail Tent has a porch.".into(),
        "The Trail Tent sleeps two and weighs 2 kg.".into(),
    ];
    let r = c.say("What do you recommend for a night outdoors?").await;
    assert!(
        r.text.starts_with("For that I'd suggest: Trail Tent") && r.text.contains("Desk Lamp"),
        "the product the passages describe most, first: {}",
        r.text
    );
    let r = c.say("Can you suggest something under 100 EUR?").await;
    assert!(
        r.text.contains("Desk Lamp") && !r.text.contains("Trail Tent"),
        "a 600 EUR tent is over the budget: {}",
        r.text
    );
    c.related.clear();
    let r = c.say("can you recommend something for the tent?").await;
    assert!(r.text.contains("Trail Sleeping Mat"), "{}", r.text);
}

#[test]
fn refused_writes_are_named_as_asked() {
    for (action, asked, want) in [
        (
            Action::Refund,
            "Cancel my order #K1003 please",
            "cancel_pending_order",
        ),
        (
            Action::Refund,
            "I want to return the tent from order #K1011",
            "return_delivered_order_items",
        ),
        (
            Action::Refund,
            "I won't be home, I'll order again when I return. Please stop it.",
            "cancel_pending_order",
        ),
        (
            Action::Refund,
            "Želim da vratim jaknu",
            "return_delivered_order_items",
        ),
        (
            Action::ChangeItems,
            "exchange the boots for a bigger size",
            "exchange_delivered_order_items",
        ),
        (
            Action::ChangeItems,
            "change the lamp in my order to white",
            "modify_pending_order_items",
        ),
        (
            Action::OrderAddress,
            "send it to my new address",
            "modify_pending_order_address",
        ),
    ] {
        assert_eq!(refused_action(action, asked), want, "{asked}");
    }
}

/// Returns refused up front, without a plan to confirm: (message, order, words the refusal
/// gives as its reason, the order's status that must stay).
#[tokio::test]
async fn returns_the_policy_refuses_get_the_reason_and_no_plan() {
    let cases = [
        // Not delivered: refused, not turned into a cancellation.
        (
            "I want to return the lamp from order #W1001, ana@example.com",
            "#W1001",
            "pending",
            "pending",
        ),
        // The records of #W1002 carry no delivery date, so the customer's own words decide.
        (
            "I want to return the desk lamp from order #W1002, it arrived three months ago. ana@example.com",
            "#W1002",
            "30 days",
            "delivered",
        ),
    ];
    for (say, order, reason, status) in cases {
        let mut c = Chat::new();
        let r = c.say(say).await;
        assert!(
            r.text.contains(reason) && !r.text.contains("yes or no"),
            "{say}: {}",
            r.text
        );
        assert!(
            r.events
                .iter()
                .any(|e| e.action == "return_delivered_order_items" && e.state == "failed"),
            "{say}: {:?}",
            r.events
        );
        assert_eq!(c.order(order).await.status, status, "{say}");
    }
    // A delivery the customer puts within the window is no reason to refuse.
    let mut c = Chat::new();
    let r = c
        .say("I want to return the desk lamp from order #W1002, it arrived 3 days ago. ana@example.com")
        .await;
    assert!(!r.text.contains("30 days"), "{}", r.text);
}

#[tokio::test]
async fn a_reply_that_waits_says_for_what_and_shows_the_plan() {
    let mut c = Chat::new();
    let r = c.say("I want to cancel my order #W1001").await;
    assert_eq!(r.awaiting, Some(Slot::Identity));
    assert!(r.pending_action.is_none());
    let r = c.say("my email is ana@example.com").await;
    assert_eq!(r.awaiting, Some(Slot::Reason));
    let r = c.say("I ordered it by mistake").await;
    assert_eq!(r.awaiting, Some(Slot::Confirmation));
    let plan = r.pending_action.expect("the plan awaiting a yes");
    assert_eq!(plan.action, "cancel_pending_order");
    assert_eq!(plan.arguments["order_id"], "#W1001");
    assert!(r.text.contains(&plan.summary), "{}", r.text);
    let r = c.say("yes").await;
    assert!(r.finished && r.awaiting.is_none() && r.pending_action.is_none());
}

#[tokio::test]
async fn a_name_anywhere_beside_a_postcode_is_found_in_the_shop_records() {
    // Neither "name is" nor the name right before the postcode: the shop's records decide which
    // pair of capitalised words is the name (a greeting and a town are tried and fail).
    for (first, second) in [
        (
            "Hello there, Ana Petrovic here, postcode 21000. Please cancel #W1001, I don't need it",
            None,
        ),
        (
            "Zdravo, Ana Petrovic iz Novog Sada. Otkažite #W1001, ne treba mi",
            Some("21000"),
        ),
        (
            "Здраво, Ана Петровић, 21000. Откажите #W1001, не треба ми",
            None,
        ),
    ] {
        let mut c = Chat::new();
        let mut r = c.say(first).await;
        if let Some(zip) = second {
            assert!(c.state.customer.is_none(), "{first}: {}", r.text);
            r = c.say(zip).await;
        }
        assert!(
            c.state
                .customer
                .as_ref()
                .is_some_and(|v| v.customer_id == "ana_1"),
            "{first}: {}",
            r.text
        );
    }
    // The postcode must belong to the name: another customer's postcode verifies nobody.
    let mut c = Chat::new();
    let r = c
        .say("Hi, Ana Petrovic here, postcode 78701. Cancel #W1001")
        .await;
    assert!(c.state.customer.is_none(), "{}", r.text);
    assert!(r.text.contains("couldn't find an account"), "{}", r.text);
}
