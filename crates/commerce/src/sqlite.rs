//! The embedded store: customers, orders and products as JSON rows in SQLite, each write in one
//! transaction, with an idempotency table (`action_log`) and an append-only `audit` table.
//! One process owns the file (one connection behind a mutex); for several replicas use
//! `PgCommerce`.

use crate::rules::{self, OrderEdit};
use crate::seed::Seed;
use async_trait::async_trait;
use frontdesk_core::action_call::ActionCall;
use frontdesk_core::commerce::{
    check_execute_record, Address, AuditEntry, AuditLog, Commerce, Customer, Executed, Order,
    OrderLine, Product,
};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::CommerceError;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS customers (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (product_id TEXT PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS action_log (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, action TEXT NOT NULL,
    arguments TEXT NOT NULL, result TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_user ON orders(user_id);
CREATE INDEX IF NOT EXISTS audit_conv ON audit(conversation_id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
";

fn db(e: rusqlite::Error) -> CommerceError {
    CommerceError::Backend(format!("sqlite: {e}"))
}
fn js(e: serde_json::Error) -> CommerceError {
    CommerceError::Backend(format!("stored JSON: {e}"))
}

pub struct SqliteCommerce {
    conn: Mutex<Connection>,
    policy: CommercePolicy,
    /// Held through `execute_once`'s check, write and record, so two calls with one key in
    /// this process run one after the other (the file has no other writer).
    once: tokio::sync::Mutex<()>,
}

impl SqliteCommerce {
    /// Opens (creating if needed) a store file.
    pub fn open(path: &Path) -> Result<Self, CommerceError> {
        let conn = Connection::open(path).map_err(|e| {
            CommerceError::Backend(format!(
                "cannot open commerce store {}: {e}",
                path.display()
            ))
        })?;
        Self::with_connection(conn)
    }

    pub fn in_memory() -> Result<Self, CommerceError> {
        Self::with_connection(Connection::open_in_memory().map_err(db)?)
    }

    fn with_connection(conn: Connection) -> Result<Self, CommerceError> {
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self {
            conn: Mutex::new(conn),
            policy: CommercePolicy::default(),
            once: tokio::sync::Mutex::new(()),
        })
    }

    /// The shop's state rules (which statuses allow what, refund destinations, limits).
    pub fn with_policy(mut self, policy: CommercePolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &CommercePolicy {
        &self.policy
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, CommerceError> {
        self.conn
            .lock()
            .map_err(|_| CommerceError::Backend("commerce store lock poisoned by a panic".into()))
    }

    /// Loads `users.json`, `orders.json` and `products.json` (tau-retail shape: objects keyed
    /// by id) from `dir` into an empty store, in one transaction; a store that already holds a
    /// customer, an order or a product is left as it is (seeding twice seeds once).
    pub fn seed_from_dir(&self, dir: &Path) -> Result<(), CommerceError> {
        let seed = Seed::read(dir)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db)?;
        let used: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM customers) OR EXISTS (SELECT 1 FROM orders) OR EXISTS (SELECT 1 FROM products)",
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        if used {
            return Ok(());
        }
        for c in &seed.customers {
            put_customer(&tx, c)?;
        }
        for o in &seed.orders {
            put_order(&tx, o)?;
        }
        for p in &seed.products {
            tx.execute(
                "INSERT OR REPLACE INTO products (product_id, name, data) VALUES (?1, ?2, ?3)",
                params![p.product_id, p.name, to_text(p)?],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)
    }

    /// All customers and orders as JSON (`{"users": {id: …}, "orders": {id: …}}`), for
    /// comparing two stores' end states.
    pub fn snapshot(&self) -> Result<serde_json::Value, CommerceError> {
        let conn = self.lock()?;
        let mut users = serde_json::Map::new();
        let mut orders = serde_json::Map::new();
        for (table, key, map) in [
            ("customers", "user_id", &mut users),
            ("orders", "order_id", &mut orders),
        ] {
            let mut stmt = conn
                .prepare(&format!("SELECT {key}, data FROM {table} ORDER BY {key}"))
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db)?;
            for row in rows {
                let (id, data) = row.map_err(db)?;
                map.insert(id, serde_json::from_str(&data).map_err(js)?);
            }
        }
        Ok(serde_json::json!({ "users": users, "orders": orders }))
    }

    /// Applies `edit` to an order and its customer inside one transaction and writes both back.
    fn write_order(&self, order_id: &str, edit: OrderEdit<'_>) -> Result<Order, CommerceError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db)?;
        let mut order: Order = get_row(&tx, "orders", "order_id", order_id)?.ok_or_else(|| {
            CommerceError::NotFound {
                what: "order",
                id: order_id.into(),
            }
        })?;
        let mut customer: Customer = get_row(&tx, "customers", "user_id", &order.user_id)?
            .ok_or_else(|| CommerceError::NotFound {
                what: "customer",
                id: order.user_id.clone(),
            })?;
        edit.apply(
            &self.policy,
            &mut order,
            &mut customer,
            &product_lookup(&tx),
            rules::today(),
        )?;
        put_order(&tx, &order)?;
        put_customer(&tx, &customer)?;
        tx.commit().map_err(db)?;
        Ok(order)
    }
}

fn to_text<T: Serialize>(v: &T) -> Result<String, CommerceError> {
    serde_json::to_string(v).map_err(js)
}

fn get_row<T: DeserializeOwned>(
    conn: &Connection,
    table: &str,
    key: &str,
    id: &str,
) -> Result<Option<T>, CommerceError> {
    let data: Option<String> = conn
        .query_row(
            &format!("SELECT data FROM {table} WHERE {key} = ?1"),
            [id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    data.map(|d| serde_json::from_str(&d).map_err(js))
        .transpose()
}

fn put_order(conn: &Connection, o: &Order) -> Result<(), CommerceError> {
    conn.execute(
        "INSERT OR REPLACE INTO orders (order_id, user_id, data) VALUES (?1, ?2, ?3)",
        params![o.order_id, o.user_id, to_text(o)?],
    )
    .map_err(db)?;
    Ok(())
}

fn put_customer(conn: &Connection, c: &Customer) -> Result<(), CommerceError> {
    conn.execute(
        "INSERT OR REPLACE INTO customers (user_id, email, data) VALUES (?1, ?2, ?3)",
        params![c.user_id, c.email.to_lowercase(), to_text(c)?],
    )
    .map_err(db)?;
    Ok(())
}

fn product_lookup(conn: &Connection) -> impl Fn(&str) -> Option<Product> + '_ {
    move |id| get_row(conn, "products", "product_id", id).ok().flatten()
}

fn all_products(conn: &Connection) -> Result<Vec<Product>, CommerceError> {
    let mut stmt = conn.prepare("SELECT data FROM products").map_err(db)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
    rows.map(|r| serde_json::from_str(&r.map_err(db)?).map_err(js))
        .collect()
}

fn next_order_id(conn: &Connection) -> Result<String, CommerceError> {
    let mut stmt = conn.prepare("SELECT order_id FROM orders").map_err(db)?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(rules::next_order_id(ids.iter().map(String::as_str)))
}

#[async_trait]
impl Commerce for SqliteCommerce {
    async fn find_customer_by_email(&self, email: &str) -> Result<String, CommerceError> {
        let conn = self.lock()?;
        conn.query_row(
            "SELECT user_id FROM customers WHERE email = ?1",
            [email.trim().to_lowercase()],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?
        .ok_or_else(|| CommerceError::NotFound {
            what: "customer with e-mail",
            id: email.into(),
        })
    }

    async fn find_customer_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare("SELECT user_id, data FROM customers")
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(db)?;
        for row in rows {
            let (id, data) = row.map_err(db)?;
            let c: Customer = serde_json::from_str(&data).map_err(js)?;
            if rules::matches_name_zip(&c, first_name, last_name, zip) {
                return Ok(id);
            }
        }
        Err(CommerceError::NotFound {
            what: "customer with name and postcode",
            id: format!("{first_name} {last_name} {zip}"),
        })
    }

    async fn customer(&self, user_id: &str) -> Result<Customer, CommerceError> {
        let conn = self.lock()?;
        get_row(&conn, "customers", "user_id", user_id)?.ok_or_else(|| CommerceError::NotFound {
            what: "customer",
            id: user_id.into(),
        })
    }

    async fn orders_of(&self, user_id: &str) -> Result<Vec<Order>, CommerceError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare("SELECT data FROM orders WHERE user_id = ?1 ORDER BY order_id")
            .map_err(db)?;
        let rows = stmt
            .query_map([user_id], |r| r.get::<_, String>(0))
            .map_err(db)?;
        rows.map(|r| serde_json::from_str(&r.map_err(db)?).map_err(js))
            .collect()
    }

    async fn order(&self, order_id: &str) -> Result<Order, CommerceError> {
        let conn = self.lock()?;
        get_row(&conn, "orders", "order_id", order_id)?.ok_or_else(|| CommerceError::NotFound {
            what: "order",
            id: order_id.into(),
        })
    }

    async fn product(&self, product_id: &str) -> Result<Product, CommerceError> {
        let conn = self.lock()?;
        get_row(&conn, "products", "product_id", product_id)?.ok_or_else(|| {
            CommerceError::NotFound {
                what: "product",
                id: product_id.into(),
            }
        })
    }

    async fn search_products(&self, query: &str) -> Result<Vec<Product>, CommerceError> {
        let conn = self.lock()?;
        let mut stmt = conn
            .prepare("SELECT data FROM products ORDER BY name")
            .map_err(db)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let p: Product = serde_json::from_str(&row.map_err(db)?).map_err(js)?;
            if rules::product_matches(&p, query) {
                out.push(p);
            }
        }
        Ok(out)
    }

    async fn cancel_pending_order(
        &self,
        order_id: &str,
        reason: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, OrderEdit::Cancel { reason })
    }

    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: &Address,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, OrderEdit::Address { address })
    }

    async fn modify_pending_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(
            order_id,
            OrderEdit::Items {
                item_ids,
                new_item_ids,
                payment_method_id,
            },
        )
    }

    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, OrderEdit::Payment { payment_method_id })
    }

    async fn modify_user_address(
        &self,
        user_id: &str,
        address: &Address,
    ) -> Result<Customer, CommerceError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db)?;
        let mut c: Customer = get_row(&tx, "customers", "user_id", user_id)?.ok_or_else(|| {
            CommerceError::NotFound {
                what: "customer",
                id: user_id.into(),
            }
        })?;
        c.address = address.clone();
        put_customer(&tx, &c)?;
        tx.commit().map_err(db)?;
        Ok(c)
    }

    async fn return_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(
            order_id,
            OrderEdit::Return {
                item_ids,
                payment_method_id,
            },
        )
    }

    async fn exchange_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(
            order_id,
            OrderEdit::Exchange {
                item_ids,
                new_item_ids,
                payment_method_id,
            },
        )
    }

    async fn place_order(
        &self,
        user_id: &str,
        lines: &[OrderLine],
        address: &Address,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db)?;
        let mut customer: Customer =
            get_row(&tx, "customers", "user_id", user_id)?.ok_or_else(|| {
                CommerceError::NotFound {
                    what: "customer",
                    id: user_id.into(),
                }
            })?;
        let order = rules::new_order(
            &mut customer,
            next_order_id(&tx)?,
            lines,
            address,
            payment_method_id,
            &all_products(&tx)?,
        )?;
        put_order(&tx, &order)?;
        put_customer(&tx, &customer)?;
        tx.commit().map_err(db)?;
        Ok(order)
    }
}

#[async_trait]
impl AuditLog for SqliteCommerce {
    async fn executed(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, CommerceError> {
        let conn = self.lock()?;
        let key = frontdesk_core::commerce::action_key(conversation_id, action, arguments);
        let stored: Option<String> = conn
            .query_row("SELECT result FROM action_log WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?;
        stored
            .map(|s| serde_json::from_str(&s).map_err(js))
            .transpose()
    }

    async fn record(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
        result: &serde_json::Value,
    ) -> Result<(), CommerceError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db)?;
        let key = frontdesk_core::commerce::action_key(conversation_id, action, arguments);
        tx.execute(
            "INSERT OR IGNORE INTO action_log (key, result) VALUES (?1, ?2)",
            params![key, result.to_string()],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO audit (conversation_id, action, arguments, result, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![conversation_id, action, arguments.to_string(), result.to_string(), chrono::Utc::now().to_rfc3339()],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    /// The check, the write and the record (`check_execute_record`, the trait's default) run
    /// one after the other under `once`, so a second call with the same key in this process
    /// waits and replays the first's result. They are three transactions (the write is the
    /// `Commerce` method's own), which one process on one file makes safe against concurrent
    /// calls; a crash between the write and the record leaves the write without its key. The
    /// write goes to `commerce`, this store or not: the lock serialises either way.
    async fn execute_once(
        &self,
        commerce: &dyn Commerce,
        conversation_id: &str,
        call: &ActionCall,
    ) -> Result<Executed, CommerceError> {
        let _one_at_a_time = self.once.lock().await;
        check_execute_record(self, commerce, conversation_id, call).await
    }

    async fn entries(&self, conversation_id: &str) -> Result<Vec<AuditEntry>, CommerceError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare("SELECT action, arguments, result, at FROM audit WHERE conversation_id = ?1 ORDER BY id").map_err(db)?;
        let rows = stmt
            .query_map([conversation_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(db)?;
        rows.map(|row| {
            let (action, arguments, result, at) = row.map_err(db)?;
            Ok(AuditEntry {
                conversation_id: conversation_id.into(),
                action,
                arguments: serde_json::from_str(&arguments).map_err(js)?,
                result: serde_json::from_str(&result).map_err(js)?,
                at,
            })
        })
        .collect()
    }
}
