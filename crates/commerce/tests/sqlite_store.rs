//! The SQLite store end to end: seeding, state rules through the trait, typed errors,
//! idempotency table and the append-only audit log.

use frontdesk_commerce::SqliteCommerce;
use frontdesk_core::action_call::execute_wire;
use frontdesk_core::commerce::{Address, AuditLog, Commerce, OrderLine};
use frontdesk_core::CommerceError;
use serde_json::json;

fn seeded() -> SqliteCommerce {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = json!({"u1": {"name": {"first_name": "Ana", "last_name": "Ivic"}, "address": {"address1": "A 1", "city": "Novi Sad", "country": "RS", "zip": "21000"},
        "email": "Ana@Example.com", "payment_methods": {"cc": {"id": "cc", "source": "credit_card", "brand": "visa", "last_four": "1234"}, "gc": {"id": "gc", "source": "gift_card", "balance": 20.0}}, "orders": ["#W1", "#W2"]},
        "u2": {"name": {"first_name": "Bo", "last_name": "Li"}, "address": {"address1": "B 2", "city": "Austin", "country": "US", "zip": "78701"},
        "email": "bo@example.com", "payment_methods": {"pp": {"id": "pp", "source": "paypal"}}, "orders": []}});
    let item = |iid: &str, price: f64| json!({"name": "Lamp", "product_id": "p1", "item_id": iid, "price": price, "options": {"color": iid}});
    let orders = json!({
        "#W1": {"order_id": "#W1", "user_id": "u1", "address": {"address1": "A 1", "city": "Novi Sad", "country": "RS", "zip": "21000"}, "items": [item("black", 30.0)],
            "fulfillments": [], "status": "pending", "payment_history": [{"transaction_type": "payment", "amount": 30.0, "payment_method_id": "gc"}]},
        "#W2": {"order_id": "#W2", "user_id": "u1", "address": {"address1": "A 1", "city": "Novi Sad", "country": "RS", "zip": "21000"}, "items": [item("black", 30.0)],
            "fulfillments": [], "status": "delivered", "payment_history": [{"transaction_type": "payment", "amount": 30.0, "payment_method_id": "cc"}]}});
    let products = json!({"p1": {"name": "Lamp", "product_id": "p1", "variants": {
        "black": {"item_id": "black", "options": {"color": "black"}, "available": true, "price": 30.0},
        "white": {"item_id": "white", "options": {"color": "white"}, "available": true, "price": 35.0},
        "red": {"item_id": "red", "options": {"color": "red"}, "available": false, "price": 30.0}}}});
    for (f, v) in [
        ("users.json", users),
        ("orders.json", orders),
        ("products.json", products),
    ] {
        std::fs::write(dir.path().join(f), v.to_string()).expect("write seed");
    }
    let s = SqliteCommerce::in_memory().expect("store");
    s.seed_from_dir(dir.path()).expect("seed");
    s
}

#[tokio::test]
async fn lookups_are_case_insensitive_and_typed() {
    let s = seeded();
    assert_eq!(
        s.find_customer_by_email("ana@example.COM")
            .await
            .ok()
            .as_deref(),
        Some("u1")
    );
    assert_eq!(
        s.find_customer_by_name_zip("ana", "IVIC", "21000")
            .await
            .ok()
            .as_deref(),
        Some("u1")
    );
    assert!(matches!(
        s.find_customer_by_name_zip("Ana", "Ivic", "11000").await,
        Err(CommerceError::NotFound { .. })
    ));
    assert!(matches!(
        s.order("#W9").await,
        Err(CommerceError::NotFound { .. })
    ));
    assert_eq!(s.orders_of("u1").await.map(|o| o.len()).ok(), Some(2));
    assert_eq!(
        s.search_products("lamp white").await.map(|p| p.len()).ok(),
        Some(1)
    );
    assert_eq!(
        s.search_products("tent").await.map(|p| p.len()).ok(),
        Some(0)
    );
}

#[tokio::test]
async fn state_rules_through_the_trait() {
    let s = seeded();
    // Table: action, arguments, expected error kind (None: succeeds).
    let cases: Vec<(&str, serde_json::Value, Option<&str>)> = vec![
        (
            "cancel_pending_order",
            json!({"order_id": "#W2", "reason": "no longer needed"}),
            Some("not allowed"),
        ),
        (
            "return_delivered_order_items",
            json!({"order_id": "#W1", "item_ids": ["black"], "payment_method_id": "gc"}),
            Some("not allowed"),
        ),
        (
            "modify_pending_order_items",
            json!({"order_id": "#W1", "item_ids": ["black"], "new_item_ids": ["red"], "payment_method_id": "cc"}),
            Some("out of stock"),
        ),
        (
            "modify_pending_order_payment",
            json!({"order_id": "#W1", "payment_method_id": "pp"}),
            Some("payment method invalid"),
        ),
        (
            "return_delivered_order_items",
            json!({"order_id": "#W2", "item_ids": ["black"], "payment_method_id": "gc"}),
            None,
        ),
        (
            "cancel_pending_order",
            json!({"order_id": "#W1", "reason": "no longer needed"}),
            None,
        ),
    ];
    for (action, args, want) in cases {
        let got = execute_wire(&s, action, &args).await;
        match want {
            None => assert!(got.is_ok(), "{action} {args}: {got:?}"),
            Some(kind) => assert!(
                got.as_ref()
                    .err()
                    .is_some_and(|e| e.to_string().starts_with(kind)),
                "{action} {args}: {got:?}"
            ),
        }
    }
    // Cancelling a gift-card order restores the balance at once.
    let c = s.customer("u1").await.expect("customer");
    assert_eq!(c.payment_methods["gc"].balance, Some(50.0));
    let w2 = s.order("#W2").await.expect("order");
    assert_eq!(
        (
            w2.status.as_str(),
            w2.extra["return_payment_method_id"].as_str()
        ),
        ("return requested", Some("gc"))
    );
}

#[tokio::test]
async fn place_order_checks_stock_and_balance() {
    let s = seeded();
    let addr = Address {
        address1: "C 3".into(),
        city: "Nis".into(),
        zip: "18000".into(),
        country: "RS".into(),
        ..Address::default()
    };
    let line = |id: &str, q: u32| {
        vec![OrderLine {
            item_id: id.into(),
            quantity: q,
        }]
    };
    assert!(matches!(
        s.place_order("u1", &line("red", 1), &addr, "cc").await,
        Err(CommerceError::OutOfStock(_))
    ));
    assert!(matches!(
        s.place_order("u1", &line("white", 1), &addr, "gc").await,
        Err(CommerceError::PaymentMethodInvalid(_))
    ));
    assert!(
        matches!(
            s.place_order("u1", &line("white", 1), &addr, "pp").await,
            Err(CommerceError::PaymentMethodInvalid(_))
        ),
        "not u1's"
    );
    let o = s
        .place_order("u1", &line("white", 2), &addr, "cc")
        .await
        .expect("order placed");
    assert_eq!(
        (
            o.items.len(),
            o.status.as_str(),
            o.payment_history[0].amount
        ),
        (2, "pending", 70.0)
    );
    assert!(s
        .customer("u1")
        .await
        .expect("customer")
        .orders
        .contains(&o.order_id));
}

#[tokio::test]
async fn audit_is_append_only_and_keys_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shop.db");
    let args = json!({"order_id": "#W1", "reason": "no longer needed"});
    {
        let s = SqliteCommerce::open(&path).expect("open");
        assert_eq!(
            s.executed("c1", "cancel_pending_order", &args).await.ok(),
            Some(None)
        );
        s.record(
            "c1",
            "cancel_pending_order",
            &args,
            &json!({"status": "cancelled"}),
        )
        .await
        .expect("record");
    }
    let s = SqliteCommerce::open(&path).expect("reopen");
    assert_eq!(
        s.executed("c1", "cancel_pending_order", &args)
            .await
            .ok()
            .flatten(),
        Some(json!({"status": "cancelled"})),
        "survives restarts"
    );
    assert_eq!(
        s.executed("c2", "cancel_pending_order", &args).await.ok(),
        Some(None),
        "keyed by conversation"
    );
    assert_eq!(s.entries("c1").await.map(|e| e.len()).ok(), Some(1));
    let conn = rusqlite::Connection::open(&path).expect("raw");
    assert!(conn.execute("DELETE FROM audit", []).is_err());
    assert!(conn.execute("UPDATE audit SET action = 'x'", []).is_err());
}
