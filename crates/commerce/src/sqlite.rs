//! The embedded store: customers, orders and products as JSON rows in SQLite, each write in one
//! transaction, with an idempotency table (`action_log`) and an append-only `audit` table.

use crate::rules;
use async_trait::async_trait;
use frontdesk_core::commerce::{
    Address, AuditEntry, AuditLog, Commerce, Customer, Order, OrderItem, OrderLine,
    PaymentTransaction, Product,
};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::CommerceError;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
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
    /// by id) from `dir`, replacing rows with the same ids.
    pub fn seed_from_dir(&self, dir: &Path) -> Result<(), CommerceError> {
        fn read<T: DeserializeOwned>(
            dir: &Path,
            file: &str,
        ) -> Result<BTreeMap<String, T>, CommerceError> {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                CommerceError::Backend(format!("cannot read {}: {e}", path.display()))
            })?;
            serde_json::from_str(&text).map_err(|e| {
                CommerceError::Backend(format!(
                    "{} is not an object of {file} records keyed by id: {e}",
                    path.display()
                ))
            })
        }
        let users: BTreeMap<String, Customer> = read(dir, "users.json")?;
        let orders: BTreeMap<String, Order> = read(dir, "orders.json")?;
        let products: BTreeMap<String, Product> = read(dir, "products.json")?;
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(db)?;
        for (id, mut c) in users {
            c.user_id = id;
            put_customer(&tx, &c)?;
        }
        for (_, o) in orders {
            put_order(&tx, &o)?;
        }
        for (_, p) in products {
            tx.execute(
                "INSERT OR REPLACE INTO products (product_id, name, data) VALUES (?1, ?2, ?3)",
                params![p.product_id, p.name, to_text(&p)?],
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

    /// Runs `f` on an order and its customer inside one transaction; writes both back on success.
    fn write_order<R>(
        &self,
        order_id: &str,
        f: impl FnOnce(&Transaction<'_>, &mut Order, &mut Customer) -> Result<R, CommerceError>,
    ) -> Result<(Order, R), CommerceError> {
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
        let r = f(&tx, &mut order, &mut customer)?;
        put_order(&tx, &order)?;
        put_customer(&tx, &customer)?;
        tx.commit().map_err(db)?;
        Ok((order, r))
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

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn next_order_id(conn: &Connection) -> Result<String, CommerceError> {
    let mut stmt = conn.prepare("SELECT order_id FROM orders").map_err(db)?;
    let ids = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
    let (mut prefix, mut max) = (String::from("#W"), 1_000_000u64);
    for id in ids {
        let id = id.map_err(db)?;
        let digits: String = id.chars().filter(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse::<u64>() {
            if n >= max {
                max = n;
                prefix = id.chars().take_while(|c| !c.is_ascii_digit()).collect();
            }
        }
    }
    Ok(format!("{prefix}{}", max + 1))
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
        let eq = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        for row in rows {
            let (id, data) = row.map_err(db)?;
            let c: Customer = serde_json::from_str(&data).map_err(js)?;
            if eq(&c.name.first_name, first_name)
                && eq(&c.name.last_name, last_name)
                && eq(&c.address.zip, zip)
            {
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
        let words: Vec<String> = query
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut out = Vec::new();
        for row in rows {
            let p: Product = serde_json::from_str(&row.map_err(db)?).map_err(js)?;
            let hay = format!(
                "{} {}",
                p.name,
                p.variants
                    .values()
                    .flat_map(|v| v.options.values())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
            .to_lowercase();
            if words.iter().all(|w| hay.contains(w.as_str())) {
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
        self.write_order(order_id, |_, o, c| {
            rules::cancel(&self.policy, o, c, reason)
        })
        .map(|(o, _)| o)
    }

    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: &Address,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, |_, o, _| {
            rules::modify_address(&self.policy, o, address)
        })
        .map(|(o, _)| o)
    }

    async fn modify_pending_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, |tx, o, c| {
            rules::modify_items(
                &self.policy,
                o,
                c,
                item_ids,
                new_item_ids,
                payment_method_id,
                &product_lookup(tx),
            )
        })
        .map(|(o, _)| o)
    }

    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, |_, o, c| {
            rules::modify_payment(&self.policy, o, c, payment_method_id)
        })
        .map(|(o, _)| o)
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
        self.write_order(order_id, |_, o, c| {
            rules::return_items(&self.policy, o, c, item_ids, payment_method_id, today())
        })
        .map(|(o, _)| o)
    }

    async fn exchange_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, |tx, o, c| {
            rules::exchange_items(
                &self.policy,
                o,
                c,
                item_ids,
                new_item_ids,
                payment_method_id,
                &product_lookup(tx),
                today(),
            )
        })
        .map(|(o, _)| o)
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
        if lines.is_empty() || lines.iter().any(|l| l.quantity == 0) {
            return Err(CommerceError::NotAllowed(
                "an order needs at least one line with a quantity above zero".into(),
            ));
        }
        let mut items = Vec::new();
        {
            let mut stmt = tx.prepare("SELECT data FROM products").map_err(db)?;
            let products: Vec<Product> = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db)?
                .map(|r| serde_json::from_str(&r.map_err(db)?).map_err(js))
                .collect::<Result<_, _>>()?;
            for line in lines {
                let (product, variant) = products
                    .iter()
                    .find_map(|p| p.variants.get(&line.item_id).map(|v| (p, v)))
                    .ok_or_else(|| CommerceError::NotFound {
                        what: "item",
                        id: line.item_id.clone(),
                    })?;
                if !variant.available {
                    return Err(CommerceError::OutOfStock(format!(
                        "{} {:?}",
                        product.name, variant.options
                    )));
                }
                for _ in 0..line.quantity {
                    items.push(OrderItem {
                        name: product.name.clone(),
                        product_id: product.product_id.clone(),
                        item_id: variant.item_id.clone(),
                        price: variant.price,
                        options: variant.options.clone(),
                    });
                }
            }
        }
        let total = rules::round2(items.iter().map(|i| i.price).sum());
        let pm = customer
            .payment_methods
            .get_mut(payment_method_id)
            .ok_or_else(|| {
                CommerceError::PaymentMethodInvalid(format!(
                    "{payment_method_id} is not one of this customer's payment methods"
                ))
            })?;
        if pm.source == "gift_card" {
            let balance = pm.balance.unwrap_or(0.0);
            if balance + 1e-9 < total {
                return Err(CommerceError::PaymentMethodInvalid(format!(
                    "gift card {payment_method_id} has {balance:.2}, the order costs {total:.2}"
                )));
            }
            pm.balance = Some(rules::round2(balance - total));
        }
        let order = Order {
            order_id: next_order_id(&tx)?,
            user_id: user_id.into(),
            address: address.clone(),
            items,
            fulfillments: vec![],
            status: "pending".into(),
            payment_history: vec![PaymentTransaction {
                transaction_type: "payment".into(),
                amount: total,
                payment_method_id: payment_method_id.into(),
            }],
            extra: BTreeMap::new(),
        };
        customer.orders.push(order.order_id.clone());
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
