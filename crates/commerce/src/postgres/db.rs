//! The shop's queries on one PostgreSQL connection. `Db` implements `Commerce` itself, so
//! `execute_once` runs `frontdesk_core::action_call::execute_action` on the very transaction
//! that claims the idempotency key.
//!
//! Writes must run on an open transaction (the caller begins and commits it): they lock the
//! rows they read (`SELECT … FOR UPDATE`), so of two replicas changing one order the second
//! waits for the first to commit and then applies the rules to what the first wrote, never to
//! a stale copy. Locks are always taken in one order — idempotency key, order, customer, the
//! order-number lock — so two writes cannot wait on each other. Plain READ COMMITTED with these
//! locks turns every conflict into a wait; SERIALIZABLE would turn them into aborts that every
//! caller would have to retry.

use super::{db, ORDER_ID_LOCK};
use crate::rules::{self, OrderEdit};
use async_trait::async_trait;
use frontdesk_core::commerce::{Address, Commerce, Customer, Order, OrderLine, Product};
use frontdesk_core::config::CommercePolicy;
use frontdesk_core::CommerceError;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use tokio_postgres::types::{Json, ToSql};
use tokio_postgres::{Client, Row};

pub(super) struct Db<'c> {
    client: &'c Client,
    policy: &'c CommercePolicy,
}

fn data<T: DeserializeOwned>(row: &Row, column: usize) -> Result<T, CommerceError> {
    row.try_get::<_, Json<T>>(column)
        .map(|j| j.0)
        .map_err(|e| CommerceError::Backend(format!("stored JSON: {}", super::message(&e))))
}

fn not_found(what: &'static str, id: &str) -> CommerceError {
    CommerceError::NotFound {
        what,
        id: id.into(),
    }
}

impl<'c> Db<'c> {
    /// Queries on `client`: a pooled connection for reads, `Transaction::client()` for writes.
    pub fn new(client: &'c Client, policy: &'c CommercePolicy) -> Self {
        Db { client, policy }
    }

    async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, CommerceError> {
        self.client.query(sql, params).await.map_err(db)
    }

    async fn one<T: DeserializeOwned>(
        &self,
        sql: &str,
        id: &str,
    ) -> Result<Option<T>, CommerceError> {
        let row = self.client.query_opt(sql, &[&id]).await.map_err(db)?;
        row.map(|r| data(&r, 0)).transpose()
    }

    async fn customer_row(&self, user_id: &str, lock: bool) -> Result<Customer, CommerceError> {
        let sql = if lock {
            "SELECT data FROM shop_customers WHERE user_id = $1 FOR UPDATE"
        } else {
            "SELECT data FROM shop_customers WHERE user_id = $1"
        };
        self.one(sql, user_id)
            .await?
            .ok_or_else(|| not_found("customer", user_id))
    }

    pub async fn put_customer(&self, c: &Customer) -> Result<(), CommerceError> {
        self.client
            .execute(
                "INSERT INTO shop_customers (user_id, email, data) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, data = EXCLUDED.data",
                &[&c.user_id, &c.email.to_lowercase(), &Json(c)],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    pub async fn put_order(&self, o: &Order) -> Result<(), CommerceError> {
        self.client
            .execute(
                "INSERT INTO shop_orders (order_id, user_id, data) VALUES ($1, $2, $3)
                 ON CONFLICT (order_id) DO UPDATE SET user_id = EXCLUDED.user_id, data = EXCLUDED.data",
                &[&o.order_id, &o.user_id, &Json(o)],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    pub async fn put_product(&self, p: &Product) -> Result<(), CommerceError> {
        self.client
            .execute(
                "INSERT INTO shop_products (product_id, name, data) VALUES ($1, $2, $3)
                 ON CONFLICT (product_id) DO UPDATE SET name = EXCLUDED.name, data = EXCLUDED.data",
                &[&p.product_id, &p.name, &Json(p)],
            )
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Applies `edit` to a locked order and its locked customer and writes both back.
    async fn write_order(
        &self,
        order_id: &str,
        edit: OrderEdit<'_>,
    ) -> Result<Order, CommerceError> {
        let mut order: Order = self
            .one(
                "SELECT data FROM shop_orders WHERE order_id = $1 FOR UPDATE",
                order_id,
            )
            .await?
            .ok_or_else(|| not_found("order", order_id))?;
        let mut customer = self.customer_row(&order.user_id, true).await?;
        let mut products = BTreeMap::new();
        if edit.needs_products() {
            let ids: Vec<&str> = order.items.iter().map(|i| i.product_id.as_str()).collect();
            for row in self
                .rows(
                    "SELECT product_id, data FROM shop_products WHERE product_id = ANY($1)",
                    &[&ids],
                )
                .await?
            {
                products.insert(row.get::<_, String>(0), data::<Product>(&row, 1)?);
            }
        }
        edit.apply(
            self.policy,
            &mut order,
            &mut customer,
            &|id| products.get(id).cloned(),
            rules::today(),
        )?;
        self.put_order(&order).await?;
        self.put_customer(&customer).await?;
        Ok(order)
    }
}

#[async_trait]
impl Commerce for Db<'_> {
    async fn find_customer_by_email(&self, email: &str) -> Result<String, CommerceError> {
        let row = self
            .client
            .query_opt(
                "SELECT user_id FROM shop_customers WHERE email = $1 ORDER BY user_id LIMIT 1",
                &[&email.trim().to_lowercase()],
            )
            .await
            .map_err(db)?;
        row.map(|r| r.get(0))
            .ok_or_else(|| not_found("customer with e-mail", email))
    }

    async fn find_customer_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError> {
        // The comparison is the rules' (Rust's case folding, not the database collation's).
        for row in self
            .rows(
                "SELECT user_id, data FROM shop_customers ORDER BY user_id",
                &[],
            )
            .await?
        {
            let c: Customer = data(&row, 1)?;
            if rules::matches_name_zip(&c, first_name, last_name, zip) {
                return Ok(row.get(0));
            }
        }
        Err(not_found(
            "customer with name and postcode",
            &format!("{first_name} {last_name} {zip}"),
        ))
    }

    async fn customer(&self, user_id: &str) -> Result<Customer, CommerceError> {
        self.customer_row(user_id, false).await
    }

    async fn orders_of(&self, user_id: &str) -> Result<Vec<Order>, CommerceError> {
        // Byte order (`COLLATE "C"`), as SQLite sorts, whatever the database's collation.
        self.rows(
            r#"SELECT data FROM shop_orders WHERE user_id = $1 ORDER BY order_id COLLATE "C""#,
            &[&user_id],
        )
        .await?
        .iter()
        .map(|r| data(r, 0))
        .collect()
    }

    async fn order(&self, order_id: &str) -> Result<Order, CommerceError> {
        self.one("SELECT data FROM shop_orders WHERE order_id = $1", order_id)
            .await?
            .ok_or_else(|| not_found("order", order_id))
    }

    async fn product(&self, product_id: &str) -> Result<Product, CommerceError> {
        self.one(
            "SELECT data FROM shop_products WHERE product_id = $1",
            product_id,
        )
        .await?
        .ok_or_else(|| not_found("product", product_id))
    }

    async fn search_products(&self, query: &str) -> Result<Vec<Product>, CommerceError> {
        let mut out = Vec::new();
        for row in self
            .rows(
                r#"SELECT data FROM shop_products ORDER BY name COLLATE "C""#,
                &[],
            )
            .await?
        {
            let p: Product = data(&row, 0)?;
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
            .await
    }

    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: &Address,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, OrderEdit::Address { address })
            .await
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
        .await
    }

    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        self.write_order(order_id, OrderEdit::Payment { payment_method_id })
            .await
    }

    async fn modify_user_address(
        &self,
        user_id: &str,
        address: &Address,
    ) -> Result<Customer, CommerceError> {
        let mut c = self.customer_row(user_id, true).await?;
        c.address = address.clone();
        self.put_customer(&c).await?;
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
        .await
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
        .await
    }

    async fn place_order(
        &self,
        user_id: &str,
        lines: &[OrderLine],
        address: &Address,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError> {
        let mut customer = self.customer_row(user_id, true).await?;
        // Order numbers are the highest plus one: replicas placing orders at once take turns,
        // each seeing the numbers the one before it committed (held until this transaction
        // ends). The plain INSERT below would refuse a duplicate number rather than overwrite.
        self.client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&ORDER_ID_LOCK])
            .await
            .map_err(db)?;
        let ids: Vec<String> = self
            .rows("SELECT order_id FROM shop_orders", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let item_ids: Vec<&str> = lines.iter().map(|l| l.item_id.as_str()).collect();
        let products = self
            .rows(
                r#"SELECT data FROM shop_products WHERE data->'variants' ?| $1::text[]
                   ORDER BY product_id COLLATE "C""#,
                &[&item_ids],
            )
            .await?
            .iter()
            .map(|r| data(r, 0))
            .collect::<Result<Vec<Product>, _>>()?;
        let order = rules::new_order(
            &mut customer,
            rules::next_order_id(ids.iter().map(String::as_str)),
            lines,
            address,
            payment_method_id,
            &products,
        )?;
        self.client
            .execute(
                "INSERT INTO shop_orders (order_id, user_id, data) VALUES ($1, $2, $3)",
                &[&order.order_id, &order.user_id, &Json(&order)],
            )
            .await
            .map_err(db)?;
        self.put_customer(&customer).await?;
        Ok(order)
    }
}
