//! What only the SQLite store has: the in-memory mode (evals and engine tests) and the snapshot
//! they compare. Every guarantee both backends share (lookups, state rules, orders,
//! idempotency, audit log, seeding, concurrency) is checked on both in `conformance.rs`.

use frontdesk_commerce::SqliteCommerce;
use frontdesk_core::commerce::{AuditLog, Commerce};
use serde_json::json;

fn seed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = json!({"u1": {"name": {"first_name": "Ana", "last_name": "Ivic"}, "address": {"address1": "A 1", "city": "Novi Sad", "country": "RS", "zip": "21000"},
        "email": "ana@example.com", "payment_methods": {"cc": {"id": "cc", "source": "credit_card"}}, "orders": ["#W1"]}});
    let orders = json!({"#W1": {"order_id": "#W1", "user_id": "u1", "address": {"address1": "A 1", "city": "Novi Sad", "country": "RS", "zip": "21000"},
        "items": [{"name": "Lamp", "product_id": "p1", "item_id": "black", "price": 30.0, "options": {"color": "black"}}],
        "status": "pending", "payment_history": [{"transaction_type": "payment", "amount": 30.0, "payment_method_id": "cc"}]}});
    let products = json!({"p1": {"name": "Lamp", "product_id": "p1", "variants": {
        "black": {"item_id": "black", "options": {"color": "black"}, "available": true, "price": 30.0}}}});
    for (f, v) in [
        ("users.json", users),
        ("orders.json", orders),
        ("products.json", products),
    ] {
        std::fs::write(dir.path().join(f), v.to_string()).expect("write seed");
    }
    dir
}

#[tokio::test]
async fn in_memory_stores_are_separate_and_snapshot_their_state() {
    let dir = seed_dir();
    let (a, b) = (
        SqliteCommerce::in_memory().expect("a"),
        SqliteCommerce::in_memory().expect("b"),
    );
    a.seed_from_dir(dir.path()).expect("seed a");
    b.seed_from_dir(dir.path()).expect("seed b");
    let before = b.snapshot().expect("snapshot");
    assert_eq!(a.snapshot().ok(), Some(before.clone()));
    assert_eq!(before["orders"]["#W1"]["status"], "pending");
    assert_eq!(before["users"]["u1"]["orders"], json!(["#W1"]));
    a.cancel_pending_order("#W1", "no longer needed")
        .await
        .expect("cancel in a");
    a.record("c1", "cancel_pending_order", &json!({}), &json!({}))
        .await
        .expect("record in a");
    assert_eq!(
        a.snapshot().expect("snapshot")["orders"]["#W1"]["status"],
        "cancelled"
    );
    assert_eq!(b.snapshot().ok(), Some(before), "b is untouched");
    assert_eq!(b.entries("c1").await.map(|e| e.len()).ok(), Some(0));
}
