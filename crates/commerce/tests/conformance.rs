//! One suite, two backends: every guarantee of the embedded shop, checked through the traits
//! (`Commerce`, `AuditLog` with its `execute_once`) on `SqliteCommerce` (a temporary file) and on
//! `PgCommerce`. The PostgreSQL half runs when `FRONTDESK_TEST_POSTGRES_URL` points at a
//! server whose user may create databases (each test makes its own `fd_s_<hex>` database and
//! drops it); without the URL it is skipped, unless `FRONTDESK_REQUIRE_POSTGRES=1`, when it
//! fails. "Replicas" are separate `PgCommerce` pools on one database; SQLite, one process on
//! one file, shares one store between tasks.

use frontdesk_commerce::{PgCommerce, SqliteCommerce};
use frontdesk_core::action_call::{execute_wire, ActionCall};
use frontdesk_core::commerce::{Address, AuditLog, Commerce, OrderLine};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::CommerceError;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

// ---------------------------------------------------------------------------------------------
// Stores

/// A shop and its audit log in one object, as the server pairs them.
trait Api: Commerce + AuditLog {}
impl<T: Commerce + AuditLog + ?Sized> Api for T {}

/// `AuditLog::execute_once` with the store as its own commerce (the atomic path).
async fn once(
    shop: &dyn Api,
    conversation_id: &str,
    call: &ActionCall,
) -> Result<Value, CommerceError> {
    let done = shop.execute_once(shop, conversation_id, call).await?;
    assert_eq!(done.unrecorded, None, "the atomic paths record or fail");
    Ok(done.result)
}

/// A store under test, by its concrete type (seeding and snapshots are inherent methods).
#[derive(Clone)]
enum Shop {
    Sqlite(Arc<SqliteCommerce>),
    Pg(Arc<PgCommerce>),
}

impl Shop {
    fn api(&self) -> Arc<dyn Api> {
        match self {
            Shop::Sqlite(s) => s.clone(),
            Shop::Pg(p) => p.clone(),
        }
    }

    async fn seed(&self, dir: &Path) -> Result<(), CommerceError> {
        match self {
            Shop::Sqlite(s) => s.seed_from_dir(dir),
            Shop::Pg(p) => p.seed_from_dir(dir).await,
        }
    }

    async fn snapshot(&self) -> Value {
        match self {
            Shop::Sqlite(s) => s.snapshot(),
            Shop::Pg(p) => p.snapshot().await,
        }
        .expect("snapshot")
    }
}

enum Place {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        _db: TestDb,
    },
}

struct Store {
    shop: Shop,
    place: Place,
}

impl Store {
    async fn sqlite(seeded: bool) -> Store {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shop.db");
        let shop = Shop::Sqlite(Arc::new(SqliteCommerce::open(&path).expect("open sqlite")));
        let store = Store {
            shop,
            place: Place::Sqlite { path, _dir: dir },
        };
        if seeded {
            store.seed().await.expect("seed");
        }
        store
    }

    /// `None` (the test is skipped) when no server is configured and none is required.
    async fn postgres(seeded: bool) -> Option<Store> {
        let admin = postgres_url()?;
        let db = TestDb::create(&admin).await;
        let url = db.url.clone();
        let shop = Shop::Pg(Arc::new(
            PgCommerce::connect(&url, CommercePolicy::default())
                .await
                .expect("connect to the test database"),
        ));
        let store = Store {
            shop,
            place: Place::Postgres { url, _db: db },
        };
        if seeded {
            store.seed().await.expect("seed");
        }
        Some(store)
    }

    fn api(&self) -> Arc<dyn Api> {
        self.shop.api()
    }

    async fn seed(&self) -> Result<(), CommerceError> {
        let dir = fixture();
        self.shop.seed(dir.path()).await
    }

    /// The same data through a new store object: a reopened file, a new pool (a restart).
    async fn reopen(&self) -> Shop {
        match &self.place {
            Place::Sqlite { path, .. } => {
                Shop::Sqlite(Arc::new(SqliteCommerce::open(path).expect("reopen")))
            }
            Place::Postgres { url, .. } => Shop::Pg(Arc::new(
                PgCommerce::connect(url, CommercePolicy::default())
                    .await
                    .expect("reconnect"),
            )),
        }
    }

    /// Another replica on the same data: a new pool for PostgreSQL; for SQLite (one process
    /// owns the file) the same store.
    async fn replica(&self) -> Arc<dyn Api> {
        match &self.place {
            Place::Sqlite { .. } => self.api(),
            Place::Postgres { .. } => self.reopen().await.api(),
        }
    }

    /// Runs `sql` straight on the database, around the store; `{audit}` names the audit table.
    async fn raw(&self, sql: &str) -> Result<u64, String> {
        match &self.place {
            Place::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                conn.execute(&sql.replace("{audit}", "audit"), [])
                    .map(|n| n as u64)
                    .map_err(|e| e.to_string())
            }
            Place::Postgres { url, .. } => {
                let client = pg_client(url).await;
                client
                    .execute(&sql.replace("{audit}", "shop_audit"), &[])
                    .await
                    .map_err(|e| format!("{e:?}"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Throw-away PostgreSQL databases

fn postgres_url() -> Option<String> {
    match std::env::var("FRONTDESK_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("FRONTDESK_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("FRONTDESK_REQUIRE_POSTGRES=1 but FRONTDESK_TEST_POSTGRES_URL is not set")
        }
        _ => {
            eprintln!("skipped: set FRONTDESK_TEST_POSTGRES_URL to run the PostgreSQL half");
            None
        }
    }
}

async fn pg_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(connection);
    client
}

/// `url` with its database replaced by `name` (URL or key=value form).
fn with_database(url: &str, name: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let (path, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
            let authority = path.split('/').next().unwrap_or_default();
            return format!("{scheme}{authority}/{name}{query}");
        }
    }
    format!("{url} dbname={name}")
}

fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", h.finish())
}

/// A database of its own for one test, dropped (best effort) when the test ends, passed or not.
struct TestDb {
    admin: String,
    name: String,
    url: String,
}

impl TestDb {
    async fn create(admin: &str) -> TestDb {
        let name = format!("fd_s_{}", random_hex());
        pg_client(admin)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("CREATE DATABASE (does the test user have CREATEDB?)");
        TestDb {
            admin: admin.to_string(),
            url: with_database(admin, &name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime: a thread of its own with its own runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
                    .await
                    .ok()?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seed data

fn write_seed(dir: &Path, users: Value, orders: Value, products: Value) {
    for (f, v) in [
        ("users.json", users),
        ("orders.json", orders),
        ("products.json", products),
    ] {
        std::fs::write(dir.join(f), v.to_string()).expect("write seed");
    }
}

/// u1 (gift card `gc` with 20.00, card `cc`) with pending #W1 (paid by gift card) and delivered
/// #W2 (card); u2 (PayPal `pp`) with none; one lamp in black (30), white (35), red (sold out).
fn fixture() -> tempfile::TempDir {
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
    write_seed(dir.path(), users, orders, products);
    dir
}

fn address() -> Address {
    Address {
        address1: "C 3".into(),
        city: "Nis".into(),
        zip: "18000".into(),
        country: "RS".into(),
        ..Address::default()
    }
}

fn line(id: &str, quantity: u32) -> Vec<OrderLine> {
    vec![OrderLine {
        item_id: id.into(),
        quantity,
    }]
}

fn place(user_id: &str, item: &str, pm: &str) -> ActionCall {
    ActionCall::PlaceOrder {
        user_id: user_id.into(),
        lines: line(item, 1),
        address: address(),
        payment_method_id: pm.into(),
    }
}

async fn gift_card_balance(shop: &dyn Api) -> Option<f64> {
    shop.customer("u1").await.expect("u1").payment_methods["gc"].balance
}

// ---------------------------------------------------------------------------------------------
// The guarantees

async fn lookups_are_case_insensitive_and_typed(store: &Store) {
    let s = store.api();
    assert_eq!(
        s.find_customer_by_email("ana@example.COM")
            .await
            .ok()
            .as_deref(),
        Some("u1")
    );
    assert!(matches!(
        s.find_customer_by_email("nobody@example.com").await,
        Err(CommerceError::NotFound { .. })
    ));
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
    assert!(matches!(
        s.customer("u9").await,
        Err(CommerceError::NotFound { .. })
    ));
    assert!(matches!(
        s.product("p9").await,
        Err(CommerceError::NotFound { .. })
    ));
    assert_eq!(
        s.product("p1").await.map(|p| p.variants.len()).ok(),
        Some(3)
    );
    let orders = s.orders_of("u1").await.expect("orders of u1");
    assert_eq!(
        orders
            .iter()
            .map(|o| o.order_id.as_str())
            .collect::<Vec<_>>(),
        ["#W1", "#W2"]
    );
    assert_eq!(s.orders_of("u2").await.map(|o| o.len()).ok(), Some(0));
    assert_eq!(
        s.search_products("lamp white").await.map(|p| p.len()).ok(),
        Some(1)
    );
    assert_eq!(s.search_products("").await.map(|p| p.len()).ok(), Some(1));
    assert_eq!(
        s.search_products("tent").await.map(|p| p.len()).ok(),
        Some(0)
    );
    let c = s.customer("u1").await.expect("u1");
    assert_eq!(
        (c.user_id.as_str(), c.payment_methods["gc"].balance),
        ("u1", Some(20.0))
    );
}

async fn state_rules_through_the_trait(store: &Store) {
    let s = store.api();
    let commerce: &dyn Commerce = &*s;
    // Table: action, arguments, expected error kind (None: succeeds).
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        (
            "cancel_pending_order",
            json!({"order_id": "#W2", "reason": "no longer needed"}),
            Some("not allowed"),
        ),
        (
            "cancel_pending_order",
            json!({"order_id": "#W9", "reason": "no longer needed"}),
            Some("order #W9 not found"),
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
            "modify_pending_order_address",
            json!({"order_id": "#W1", "address1": "D 4", "address2": "", "city": "Subotica", "country": "RS", "state": "", "zip": "24000"}),
            None,
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
        let got = execute_wire(commerce, action, &args).await;
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
    assert_eq!(gift_card_balance(&*s).await, Some(50.0));
    let w1 = s.order("#W1").await.expect("#W1");
    assert_eq!(
        (w1.status.as_str(), w1.address.city.as_str()),
        ("cancelled", "Subotica")
    );
    let w2 = s.order("#W2").await.expect("#W2");
    assert_eq!(
        (
            w2.status.as_str(),
            w2.extra["return_payment_method_id"].as_str()
        ),
        ("return requested", Some("gc"))
    );
    // A customer's own address is theirs to change, whatever the orders' states.
    let moved = s
        .modify_user_address("u2", &address())
        .await
        .expect("modify u2's address");
    assert_eq!(moved.address, address());
    assert_eq!(
        s.customer("u2").await.map(|c| c.address).ok(),
        Some(address())
    );
}

async fn place_order_checks_stock_and_balance(store: &Store) {
    let s = store.api();
    let addr = address();
    assert!(matches!(
        s.place_order("u1", &line("red", 1), &addr, "cc").await,
        Err(CommerceError::OutOfStock(_))
    ));
    assert!(matches!(
        s.place_order("u1", &line("tent", 1), &addr, "cc").await,
        Err(CommerceError::NotFound { .. })
    ));
    assert!(matches!(
        s.place_order("u1", &line("white", 0), &addr, "cc").await,
        Err(CommerceError::NotAllowed(_))
    ));
    assert!(matches!(
        s.place_order("u9", &line("white", 1), &addr, "cc").await,
        Err(CommerceError::NotFound { .. })
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
            o.order_id.as_str(),
            o.items.len(),
            o.status.as_str(),
            o.payment_history[0].amount
        ),
        ("#W1000001", 2, "pending", 70.0)
    );
    assert_eq!(s.order(&o.order_id).await.ok(), Some(o.clone()));
    assert!(s
        .customer("u1")
        .await
        .expect("customer")
        .orders
        .contains(&o.order_id));
    // A gift card pays when it can, and is debited at once; nothing else changed on refusals.
    let small = s
        .place_order("u1", &line("black", 1), &addr, "cc")
        .await
        .expect("second order");
    assert_eq!(small.order_id, "#W1000002");
    assert_eq!(gift_card_balance(&*s).await, Some(20.0));
    assert_eq!(s.orders_of("u1").await.map(|o| o.len()).ok(), Some(4));
}

async fn audit_survives_restarts_and_is_keyed_by_conversation(store: &Store) {
    let args = json!({"order_id": "#W1", "reason": "no longer needed"});
    let s = store.api();
    assert_eq!(
        s.executed("c1", "cancel_pending_order", &args).await.ok(),
        Some(None)
    );
    s.record(
        "c1",
        "cancel_pending_order",
        &args,
        &json!({"status": "cancelled", "amount": 30.0}),
    )
    .await
    .expect("record");
    let again = store.reopen().await.api();
    assert_eq!(
        again
            .executed("c1", "cancel_pending_order", &args)
            .await
            .ok()
            .flatten(),
        Some(json!({"status": "cancelled", "amount": 30.0})),
        "survives restarts"
    );
    assert_eq!(
        again
            .executed("c2", "cancel_pending_order", &args)
            .await
            .ok(),
        Some(None),
        "keyed by conversation"
    );
    assert_eq!(
        again
            .executed(
                "c1",
                "cancel_pending_order",
                &json!({"order_id": "#W1", "reason": "ordered by mistake"})
            )
            .await
            .ok(),
        Some(None),
        "keyed by arguments"
    );
    let entries = again.entries("c1").await.expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].action.as_str(),
            &entries[0].arguments,
            &entries[0].result
        ),
        (
            "cancel_pending_order",
            &args,
            &json!({"status": "cancelled", "amount": 30.0})
        )
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(&entries[0].at).is_ok(),
        "{}",
        entries[0].at
    );
    assert_eq!(again.entries("c2").await.map(|e| e.len()).ok(), Some(0));
}

async fn audit_rows_cannot_be_changed(store: &Store) {
    let s = store.api();
    s.record(
        "c1",
        "cancel_pending_order",
        &json!({}),
        &json!({"ok": true}),
    )
    .await
    .expect("record");
    let update = store.raw("UPDATE {audit} SET action = 'x'").await;
    assert!(update.is_err(), "UPDATE went through: {update:?}");
    let delete = store.raw("DELETE FROM {audit}").await;
    assert!(delete.is_err(), "DELETE went through: {delete:?}");
    if let Place::Postgres { .. } = store.place {
        let truncate = store.raw("TRUNCATE shop_audit").await;
        assert!(truncate.is_err(), "TRUNCATE went through: {truncate:?}");
    }
    assert!(
        store
            .raw("INSERT INTO {audit} (conversation_id, action, arguments, result, at) VALUES ('c2', 'a', '{}', '{}', '2026-01-01T00:00:00Z')")
            .await
            .is_ok(),
        "appending stays allowed"
    );
    let entries = s.entries("c1").await.expect("entries");
    assert_eq!(
        entries
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["cancel_pending_order"]
    );
}

async fn a_retry_with_the_same_key_returns_the_first_result(store: &Store) {
    let s = store.api();
    let call = place("u1", "white", "cc");
    let first = once(&*s, "c1", &call).await.expect("first");
    let retry = once(&*s, "c1", &call).await.expect("retry");
    assert_eq!(first, retry, "the same result");
    assert_eq!(first["order_id"], "#W1000001");
    assert_eq!(
        s.orders_of("u1").await.map(|o| o.len()).ok(),
        Some(3),
        "one effect"
    );
    assert_eq!(s.entries("c1").await.map(|e| e.len()).ok(), Some(1));
    assert_eq!(
        s.executed("c1", call.name(), &call.arguments())
            .await
            .ok()
            .flatten(),
        Some(first.clone()),
        "`executed` reads the same table"
    );
    // Another conversation asking the same is another request.
    let other = once(&*s, "c2", &call).await.expect("other");
    assert_eq!(other["order_id"], "#W1000002");
    // A failed call records nothing: the retry runs (and fails) again.
    let refused = ActionCall::CancelPendingOrder {
        order_id: "#W2".into(),
        reason: "no longer needed".into(),
    };
    for _ in 0..2 {
        assert!(matches!(
            once(&*s, "c3", &refused).await,
            Err(CommerceError::NotAllowed(_))
        ));
    }
    assert_eq!(
        s.executed("c3", refused.name(), &refused.arguments())
            .await
            .ok(),
        Some(None)
    );
    assert_eq!(s.entries("c3").await.map(|e| e.len()).ok(), Some(0));
    // An invalid call (incomplete address) is refused before any write, as the engine's path.
    let incomplete = ActionCall::ModifyPendingOrderAddress {
        order_id: "#W1".into(),
        address: Address::default(),
    };
    assert!(matches!(
        once(&*s, "c3", &incomplete).await,
        Err(CommerceError::NotAllowed(_))
    ));
    // The replayed result survives a restart.
    let again = store.reopen().await.api();
    assert_eq!(once(&*again, "c1", &call).await.ok(), Some(first));
    assert_eq!(again.orders_of("u1").await.map(|o| o.len()).ok(), Some(4));
}

async fn the_write_goes_to_the_commerce_the_log_is_paired_with(store: &Store) {
    // This store's audit log paired with another shop (its own file): the other shop gets the
    // write, never the log's own data; the log keys it and keeps the audit row.
    let log = store.api();
    let other = Store::sqlite(true).await;
    let shop = other.api();
    let call = place("u1", "white", "cc");
    let first = log.execute_once(&*shop, "c1", &call).await.expect("first");
    assert_eq!(first.unrecorded, None);
    assert_eq!(first.result["order_id"], "#W1000001");
    let retry = log.execute_once(&*shop, "c1", &call).await.expect("retry");
    assert_eq!(retry.result, first.result, "the first result");
    assert_eq!(
        shop.orders_of("u1").await.map(|o| o.len()).ok(),
        Some(3),
        "one effect, on the paired shop"
    );
    assert_eq!(
        log.orders_of("u1").await.map(|o| o.len()).ok(),
        Some(2),
        "none on the log's own data"
    );
    assert_eq!(log.entries("c1").await.map(|e| e.len()).ok(), Some(1));
    assert_eq!(shop.entries("c1").await.map(|e| e.len()).ok(), Some(0));
    // The key is the log's: the same call through the log's own shop replays it too.
    assert_eq!(once(&*log, "c1", &call).await.ok(), Some(first.result));
    assert_eq!(log.orders_of("u1").await.map(|o| o.len()).ok(), Some(2));
}

/// Rounds of racing calls, so that at least some really overlap.
const ROUNDS: usize = 6;

async fn concurrent_calls_with_one_key_have_one_effect(store: &Store) {
    let (a, b) = (store.api(), store.replica().await);
    for round in 0..ROUNDS {
        let conversation = format!("race-{round}");
        let call = place("u1", "white", "cc");
        let (ra, rb) = tokio::join!(
            tokio::spawn({
                let (a, conversation, call) = (a.clone(), conversation.clone(), call.clone());
                async move { once(&*a, &conversation, &call).await }
            }),
            tokio::spawn({
                let (b, conversation, call) = (b.clone(), conversation.clone(), call.clone());
                async move { once(&*b, &conversation, &call).await }
            }),
        );
        let (ra, rb) = (
            ra.expect("task a").expect("call a"),
            rb.expect("task b").expect("call b"),
        );
        assert_eq!(ra, rb, "round {round}: both callers get the one result");
        assert_eq!(
            a.orders_of("u1").await.map(|o| o.len()).ok(),
            Some(3 + round),
            "round {round}: one order per key"
        );
        assert_eq!(
            a.entries(&conversation).await.map(|e| e.len()).ok(),
            Some(1),
            "round {round}: one audit row"
        );
    }
}

async fn concurrent_cancel_and_modify_one_wins_without_lost_updates(store: &Store) {
    let (a, b) = (store.api(), store.replica().await);
    // Cancelling #W1 refunds 30.00 to the gift card: 50.00 pays every round's difference.
    a.cancel_pending_order("#W1", "no longer needed")
        .await
        .expect("cancel #W1");
    let mut balance = gift_card_balance(&*a).await.expect("gift card");
    assert_eq!(balance, 50.0);
    for round in 0..ROUNDS {
        let order = a
            .place_order("u1", &line("black", 1), &address(), "cc")
            .await
            .expect("a pending order");
        let id = order.order_id.clone();
        let (cancel, modify) = tokio::join!(
            tokio::spawn({
                let (a, id) = (a.clone(), id.clone());
                async move { a.cancel_pending_order(&id, "no longer needed").await }
            }),
            tokio::spawn({
                let (b, id) = (b.clone(), id.clone());
                async move {
                    // The 5.00 difference is paid by gift card: the customer row changes too.
                    b.modify_pending_order_items(&id, &["black".into()], &["white".into()], "gc")
                        .await
                }
            }),
        );
        let (cancel, modify) = (cancel.expect("cancel task"), modify.expect("modify task"));
        let after = a.order(&id).await.expect("order");
        match (&cancel, &modify) {
            (Ok(_), Err(CommerceError::NotAllowed(_))) => {
                assert_eq!(after.status, "cancelled", "round {round}");
                assert_eq!(after.items[0].item_id, "black", "round {round}");
            }
            (Err(CommerceError::NotAllowed(_)), Ok(_)) => {
                assert_eq!(after.status, "pending (item modified)", "round {round}");
                assert_eq!(after.items[0].item_id, "white", "round {round}");
                balance -= 5.0;
            }
            other => panic!("round {round}: exactly one must win, the other be refused: {other:?}"),
        }
        assert_eq!(
            after.payment_history.len(),
            2,
            "round {round}: the winner's transaction only: {:?}",
            after.payment_history
        );
        assert_eq!(
            gift_card_balance(&*a).await,
            Some(balance),
            "round {round}: the customer row keeps the winner's change"
        );
    }
}

async fn concurrent_orders_get_their_own_numbers_and_never_overdraw(store: &Store) {
    let (a, b) = (store.api(), store.replica().await);
    // Cancelling #W1 refunds 30.00 to the gift card: 50.00, enough for one 30.00 lamp.
    a.cancel_pending_order("#W1", "no longer needed")
        .await
        .expect("cancel #W1");
    let spawn_order = |shop: Arc<dyn Api>, user: &'static str, pm: &'static str| {
        tokio::spawn(async move {
            shop.place_order(user, &line("black", 1), &address(), pm)
                .await
        })
    };
    let (r1, r2, r3) = tokio::join!(
        spawn_order(a.clone(), "u1", "gc"),
        spawn_order(b.clone(), "u1", "gc"),
        spawn_order(b.clone(), "u2", "pp"),
    );
    let (r1, r2, r3) = (
        r1.expect("task"),
        r2.expect("task"),
        r3.expect("task").expect("u2's order"),
    );
    let won = match (&r1, &r2) {
        (Ok(o), Err(CommerceError::PaymentMethodInvalid(_)))
        | (Err(CommerceError::PaymentMethodInvalid(_)), Ok(o)) => o.clone(),
        other => panic!("one gift-card order must go through, one be refused: {other:?}"),
    };
    assert_ne!(won.order_id, r3.order_id);
    assert_eq!(gift_card_balance(&*a).await, Some(20.0));
    let u1 = a.customer("u1").await.expect("u1");
    assert_eq!(u1.orders, ["#W1", "#W2", won.order_id.as_str()]);
    assert_eq!(
        a.customer("u2").await.map(|c| c.orders).ok(),
        Some(vec![r3.order_id.clone()])
    );
    for o in [&won, &r3] {
        assert_eq!(a.order(&o.order_id).await.ok().as_ref(), Some(o));
    }
}

/// Another shop: u3 alone, with no orders and its own product.
fn other_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let users = json!({"u3": {"name": {"first_name": "Cy", "last_name": "Vo"}, "address": {"address1": "E 5", "city": "Hanoi", "country": "VN", "zip": "100000"},
        "email": "cy@example.com", "payment_methods": {"pp": {"id": "pp", "source": "paypal"}}, "orders": []}});
    let products = json!({"p2": {"name": "Tent", "product_id": "p2", "variants": {
        "green": {"item_id": "green", "options": {"color": "green"}, "available": true, "price": 90.0}}}});
    write_seed(dir.path(), users, json!({}), products);
    dir
}

async fn seeding_twice_seeds_once(store: &Store) {
    // Two replicas seed an empty store at once, each from its own data: one seeds, whole;
    // the other finds the store in use and leaves it.
    let (other, b) = (other_fixture(), store.reopen().await);
    let (ra, rb) = tokio::join!(store.seed(), b.seed(other.path()));
    ra.expect("seed a");
    rb.expect("seed b");
    let s = store.api();
    let (a_won, b_won) = (
        s.customer("u1").await.is_ok(),
        s.customer("u3").await.is_ok(),
    );
    assert!(a_won != b_won, "exactly one seed: a {a_won}, b {b_won}");
    let (user, product) = if a_won {
        ("u1", "Lamp")
    } else {
        ("u3", "Tent")
    };
    assert_eq!(
        s.search_products("")
            .await
            .map(|p| p.into_iter().map(|p| p.name).collect::<Vec<_>>())
            .ok(),
        Some(vec![product.to_string()]),
        "one seed's products"
    );
    // Seeding a store in use changes nothing, whatever the seed.
    s.modify_user_address(user, &address())
        .await
        .expect("a change");
    let before = store.shop.snapshot().await;
    store.seed().await.expect("seed a again");
    b.seed(other.path()).await.expect("seed b again");
    assert_eq!(
        store.shop.snapshot().await,
        before,
        "a store in use is left as it is"
    );
    assert_eq!(
        s.customer(user).await.map(|c| c.address).ok(),
        Some(address())
    );
}

async fn a_failed_seed_leaves_the_store_empty(store: &Store) {
    let dir = fixture();
    std::fs::write(dir.path().join("products.json"), "[not json").expect("write");
    assert!(store.shop.seed(dir.path()).await.is_err());
    assert!(matches!(
        store.api().customer("u1").await,
        Err(CommerceError::NotFound { .. })
    ));
    store.seed().await.expect("the next start seeds");
    assert_eq!(
        store
            .api()
            .customer("u1")
            .await
            .map(|c| c.user_id)
            .ok()
            .as_deref(),
        Some("u1")
    );
}

// ---------------------------------------------------------------------------------------------
// Each guarantee on each backend

macro_rules! conformance {
    ($($name:ident($seeded:expr)),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store = super::Store::sqlite($seeded).await;
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(store) = super::Store::postgres($seeded).await else {
                        return;
                    };
                    super::$name(&store).await;
                }
            )*
        }
    };
}

conformance!(
    lookups_are_case_insensitive_and_typed(true),
    state_rules_through_the_trait(true),
    place_order_checks_stock_and_balance(true),
    audit_survives_restarts_and_is_keyed_by_conversation(true),
    audit_rows_cannot_be_changed(true),
    a_retry_with_the_same_key_returns_the_first_result(true),
    the_write_goes_to_the_commerce_the_log_is_paired_with(true),
    concurrent_calls_with_one_key_have_one_effect(true),
    concurrent_cancel_and_modify_one_wins_without_lost_updates(true),
    concurrent_orders_get_their_own_numbers_and_never_overdraw(true),
    seeding_twice_seeds_once(false),
    a_failed_seed_leaves_the_store_empty(false),
);

/// The demo shop's own seed (`knowledge/store`) reads back the same from both databases: every
/// customer and order (the snapshot), every product (search), and the same order number next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seed_reads_back_the_same_from_both_databases() {
    let Some(pg) = Store::postgres(false).await else {
        return;
    };
    let sqlite = Store::sqlite(false).await;
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge/store");
    for store in [&sqlite, &pg] {
        store.shop.seed(&demo).await.expect("seed the demo shop");
    }
    let snapshot = sqlite.shop.snapshot().await;
    assert!(snapshot["orders"]
        .as_object()
        .is_some_and(|o| !o.is_empty()));
    assert_eq!(pg.shop.snapshot().await, snapshot);
    assert_eq!(
        pg.api().search_products("").await.ok(),
        sqlite.api().search_products("").await.ok()
    );
    let user = snapshot["users"]
        .as_object()
        .and_then(|u| u.keys().next().cloned())
        .expect("a customer");
    assert_eq!(
        pg.api().orders_of(&user).await.ok(),
        sqlite.api().orders_of(&user).await.ok()
    );
}

/// PostgreSQL only (SQLite has no versioned migrations): replicas starting together on a new
/// database migrate once, and both come up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_starting_together_migrate_once() {
    let Some(admin) = postgres_url() else {
        return;
    };
    let db = TestDb::create(&admin).await;
    let (a, b, c) = tokio::join!(
        PgCommerce::connect(&db.url, CommercePolicy::default()),
        PgCommerce::connect(&db.url, CommercePolicy::default()),
        PgCommerce::connect(&db.url, CommercePolicy::default()),
    );
    for shop in [a, b, c] {
        let shop = shop.expect("a replica starts");
        assert!(matches!(
            shop.customer("u1").await,
            Err(CommerceError::NotFound { .. })
        ));
    }
    let rows = pg_client(&db.url)
        .await
        .query(
            "SELECT version FROM shop_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("migrations table");
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, [1], "each version once");
}

#[test]
fn database_urls_get_the_test_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "fd_s_1"),
        "postgres://postgres@127.0.0.1:5432/fd_s_1"
    );
    assert_eq!(
        with_database("postgresql://u:p@h/db?sslmode=disable", "fd_s_1"),
        "postgresql://u:p@h/fd_s_1?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://u@h:5432", "fd_s_1"),
        "postgres://u@h:5432/fd_s_1"
    );
    assert_eq!(
        with_database("host=/run/postgresql user=me", "fd_s_1"),
        "host=/run/postgresql user=me dbname=fd_s_1"
    );
}
