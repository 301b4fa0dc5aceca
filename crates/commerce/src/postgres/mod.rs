//! The shared store: the embedded shop's data in PostgreSQL, so every replica of the service
//! sees the same customers and orders. Tables `shop_customers`, `shop_orders` and
//! `shop_products` hold JSONB rows; `shop_action_log` is the idempotency table, `shop_audit`
//! the append-only audit log (a trigger refuses UPDATE, DELETE and TRUNCATE);
//! `shop_schema_migrations` records the applied schema versions. The state rules, seed loader
//! and order numbering are `rules` and `seed`, as for SQLite: only storage differs.
//!
//! Concurrency across replicas: each write is one transaction that locks the rows it changes
//! (see `db.rs`); `AuditLog::execute_once` claims its idempotency key inside that same
//! transaction (see `PgCommerce::execute_in_one_transaction`); migrations and seeding each run under their own
//! transaction-scoped advisory lock.

mod db;
mod schema;

use crate::seed::Seed;
use async_trait::async_trait;
use db::Db;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use frontdesk_core::action_call::{execute_action, ActionCall};
use frontdesk_core::commerce::{
    action_key, check_execute_record, Address, AuditEntry, AuditLog, Commerce, Customer, Executed,
    Order, OrderLine, Product,
};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::CommerceError;
use std::path::Path;
use tokio_postgres::NoTls;

/// Advisory lock keys (transaction-scoped, so a crashed holder never keeps one). The high
/// bytes spell "fdshop" to stay clear of the service store's keys.
const MIGRATE_LOCK: i64 = 0x6664_7368_6f70_0001;
const SEED_LOCK: i64 = 0x6664_7368_6f70_0002;
const ORDER_ID_LOCK: i64 = 0x6664_7368_6f70_0003;

/// Connections per replica when `connect` builds the pool.
const POOL_SIZE: usize = 16;

/// The text of a driver error, with the server's message when there is one.
fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{}: {}", d.severity(), d.message()),
        None => e.to_string(),
    }
}

fn db(e: tokio_postgres::Error) -> CommerceError {
    CommerceError::Backend(format!("postgres: {}", message(&e)))
}

pub struct PgCommerce {
    pool: Pool,
    policy: CommercePolicy,
}

/// Runs one `Commerce` write of `Db` in its own transaction on a pooled connection. A rule's
/// error returns before the commit; dropping the transaction rolls it back.
macro_rules! in_transaction {
    ($self:ident, |$db:ident| $call:expr) => {{
        let mut client = $self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let done = {
            let $db = Db::new(tx.client(), &$self.policy);
            $call.await?
        };
        tx.commit().await.map_err(db)?;
        Ok(done)
    }};
}

/// Runs one `Commerce` read of `Db` on a pooled connection.
macro_rules! read {
    ($self:ident, |$db:ident| $call:expr) => {{
        let client = $self.client().await?;
        let $db = Db::new(&client, &$self.policy);
        $call.await
    }};
}

impl PgCommerce {
    /// Connects to `url` (`postgres://user:password@host:port/database`, or key=value
    /// settings) with a pool of `POOL_SIZE` connections and brings the shop's schema up to date.
    /// Connections are unencrypted (`NoTls`): reach the database over a trusted network or a
    /// local socket.
    pub async fn connect(url: &str, policy: CommercePolicy) -> Result<Self, CommerceError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| CommerceError::Backend(format!("invalid database URL: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| CommerceError::Backend(format!("postgres pool: {e}")))?;
        Self::from_pool(pool, policy).await
    }

    /// Uses an existing pool (e.g. one the service store shares) and brings the shop's schema
    /// up to date.
    pub async fn from_pool(pool: Pool, policy: CommercePolicy) -> Result<Self, CommerceError> {
        let shop = PgCommerce { pool, policy };
        let mut client = shop.client().await?;
        schema::migrate(&mut client).await?;
        Ok(shop)
    }

    /// The shop's state rules (which statuses allow what, refund destinations, limits).
    pub fn with_policy(mut self, policy: CommercePolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &CommercePolicy {
        &self.policy
    }

    async fn client(&self) -> Result<Object, CommerceError> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => db(e),
            e => CommerceError::Backend(format!("postgres pool: {e}")),
        })
    }

    /// Loads `users.json`, `orders.json` and `products.json` (tau-retail shape) from `dir`
    /// into an empty shop, in one transaction under an advisory lock: of replicas starting at
    /// once one seeds, the others wait and then find the shop in use. A shop that already holds
    /// a customer, an order or a product is left as it is; a failed seed leaves nothing behind.
    pub async fn seed_from_dir(&self, dir: &Path) -> Result<(), CommerceError> {
        let dir = dir.to_path_buf();
        let seed = tokio::task::spawn_blocking(move || Seed::read(&dir))
            .await
            .map_err(|e| CommerceError::Backend(format!("reading the seed: {e}")))??;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEED_LOCK])
            .await
            .map_err(db)?;
        let used: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM shop_customers) OR EXISTS (SELECT 1 FROM shop_orders)
                 OR EXISTS (SELECT 1 FROM shop_products)",
                &[],
            )
            .await
            .map_err(db)?
            .get(0);
        if used {
            return Ok(());
        }
        let rows = Db::new(tx.client(), &self.policy);
        for c in &seed.customers {
            rows.put_customer(c).await?;
        }
        for o in &seed.orders {
            rows.put_order(o).await?;
        }
        for p in &seed.products {
            rows.put_product(p).await?;
        }
        tx.commit().await.map_err(db)
    }

    /// All customers and orders as JSON (`{"users": {id: …}, "orders": {id: …}}`), as
    /// `SqliteCommerce::snapshot`, for comparing two stores' end states.
    pub async fn snapshot(&self) -> Result<serde_json::Value, CommerceError> {
        let client = self.client().await?;
        let mut users = serde_json::Map::new();
        let mut orders = serde_json::Map::new();
        for (sql, map) in [
            ("SELECT user_id, data FROM shop_customers", &mut users),
            ("SELECT order_id, data FROM shop_orders", &mut orders),
        ] {
            for row in client.query(sql, &[]).await.map_err(db)? {
                map.insert(row.get(0), row.get(1));
            }
        }
        Ok(serde_json::json!({ "users": users, "orders": orders }))
    }

    /// `AuditLog::execute_once` on this store's own data. The idempotency row is the lock. In
    /// one transaction: `INSERT … ON CONFLICT DO NOTHING` claims the key; the write runs on the
    /// same transaction (`execute_action` over `Db`); the result goes into the claimed row and
    /// the audit log; commit. A second caller with the same key, on any replica, blocks on that
    /// uncommitted row: when the first commits, its insert does nothing and it reads the stored
    /// result (READ COMMITTED: the next statement sees the commit); when the first rolls back
    /// (the write failed), its insert wins and it runs the write itself. No effect without its
    /// key, no key without its effect, and no SERIALIZABLE retries.
    async fn execute_in_one_transaction(
        &self,
        conversation_id: &str,
        call: &ActionCall,
    ) -> Result<serde_json::Value, CommerceError> {
        let (action, arguments) = (call.name(), call.arguments());
        let key = action_key(conversation_id, action, &arguments);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let claimed = tx
            .execute(
                "INSERT INTO shop_action_log (key_hash, key, result)
                 VALUES (sha256(convert_to($1, 'UTF8')), $1, 'null')
                 ON CONFLICT (key_hash) DO NOTHING",
                &[&key],
            )
            .await
            .map_err(db)?
            == 1;
        if !claimed {
            let row = tx
                .query_one(
                    "SELECT result FROM shop_action_log WHERE key_hash = sha256(convert_to($1, 'UTF8'))",
                    &[&key],
                )
                .await
                .map_err(db)?;
            return Ok(row.get(0));
        }
        let result = execute_action(&Db::new(tx.client(), &self.policy), call).await?;
        tx.execute(
            "UPDATE shop_action_log SET result = $2 WHERE key_hash = sha256(convert_to($1, 'UTF8'))",
            &[&key, &result],
        )
        .await
        .map_err(db)?;
        tx.execute(
            "INSERT INTO shop_audit (conversation_id, action, arguments, result) VALUES ($1, $2, $3, $4)",
            &[&conversation_id, &action, &arguments, &result],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(result)
    }
}

#[async_trait]
impl Commerce for PgCommerce {
    async fn find_customer_by_email(&self, email: &str) -> Result<String, CommerceError> {
        read!(self, |d| d.find_customer_by_email(email))
    }

    async fn find_customer_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError> {
        read!(self, |d| d
            .find_customer_by_name_zip(first_name, last_name, zip))
    }

    async fn customer(&self, user_id: &str) -> Result<Customer, CommerceError> {
        read!(self, |d| d.customer(user_id))
    }

    async fn orders_of(&self, user_id: &str) -> Result<Vec<Order>, CommerceError> {
        read!(self, |d| d.orders_of(user_id))
    }

    async fn order(&self, order_id: &str) -> Result<Order, CommerceError> {
        read!(self, |d| d.order(order_id))
    }

    async fn product(&self, product_id: &str) -> Result<Product, CommerceError> {
        read!(self, |d| d.product(product_id))
    }

    async fn search_products(&self, query: &str) -> Result<Vec<Product>, CommerceError> {
        read!(self, |d| d.search_products(query))
    }

    async fn cancel_pending_order(
        &self,
        order_id: &str,
        reason: &str,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d.cancel_pending_order(order_id, reason))
    }

    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: &Address,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d.modify_pending_order_address(order_id, address))
    }

    async fn modify_pending_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d.modify_pending_order_items(
            order_id,
            item_ids,
            new_item_ids,
            payment_method_id
        ))
    }

    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d
            .modify_pending_order_payment(order_id, payment_method_id))
    }

    async fn modify_user_address(
        &self,
        user_id: &str,
        address: &Address,
    ) -> Result<Customer, CommerceError> {
        in_transaction!(self, |d| d.modify_user_address(user_id, address))
    }

    async fn return_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d.return_delivered_order_items(
            order_id,
            item_ids,
            payment_method_id
        ))
    }

    async fn exchange_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d.exchange_delivered_order_items(
            order_id,
            item_ids,
            new_item_ids,
            payment_method_id
        ))
    }

    async fn place_order(
        &self,
        user_id: &str,
        lines: &[OrderLine],
        address: &Address,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        in_transaction!(self, |d| d.place_order(
            user_id,
            lines,
            address,
            payment_method_id
        ))
    }
}

#[async_trait]
impl AuditLog for PgCommerce {
    async fn executed(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, CommerceError> {
        let key = action_key(conversation_id, action, arguments);
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT result FROM shop_action_log WHERE key_hash = sha256(convert_to($1, 'UTF8'))",
                &[&key],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn record(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
        result: &serde_json::Value,
    ) -> Result<(), CommerceError> {
        let key = action_key(conversation_id, action, arguments);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(
            "INSERT INTO shop_action_log (key_hash, key, result)
             VALUES (sha256(convert_to($1, 'UTF8')), $1, $2)
             ON CONFLICT (key_hash) DO NOTHING",
            &[&key, result],
        )
        .await
        .map_err(db)?;
        tx.execute(
            "INSERT INTO shop_audit (conversation_id, action, arguments, result) VALUES ($1, $2, $3, $4)",
            &[&conversation_id, &action, arguments, result],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    /// Atomic (`execute_in_one_transaction`) when `commerce` is this very store, as the
    /// server pairs them; the write then runs on the transaction that claims the key, not
    /// through `commerce`'s own methods. Any other `commerce` (another pool, a wrapper, another
    /// backend) gets the write, through the trait's non-atomic default.
    async fn execute_once(
        &self,
        commerce: &dyn Commerce,
        conversation_id: &str,
        call: &ActionCall,
    ) -> Result<Executed, CommerceError> {
        if !std::ptr::addr_eq(commerce as *const dyn Commerce, self as *const Self) {
            return check_execute_record(self, commerce, conversation_id, call).await;
        }
        Ok(Executed {
            result: self
                .execute_in_one_transaction(conversation_id, call)
                .await?,
            unrecorded: None,
        })
    }

    async fn entries(&self, conversation_id: &str) -> Result<Vec<AuditEntry>, CommerceError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT action, arguments, result, at FROM shop_audit WHERE conversation_id = $1 ORDER BY id",
                &[&conversation_id],
            )
            .await
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                conversation_id: conversation_id.into(),
                action: r.get(0),
                arguments: r.get(1),
                result: r.get(2),
                at: r.get::<_, chrono::DateTime<chrono::Utc>>(3).to_rfc3339(),
            })
            .collect())
    }
}
