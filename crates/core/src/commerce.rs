//! The commerce seam: customers, orders, products and the write actions a representative may
//! take. Types follow the shape of the tau-retail data (`users.json`, `orders.json`,
//! `products.json`) so that data set and the demo store load through the same code.
//! Implementations enforce state rules; the engine's flows enforce identity and confirmation.

use crate::action_call::{execute_action, ActionCall};
use crate::error::CommerceError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub address1: String,
    #[serde(default)]
    pub address2: String,
    pub city: String,
    pub country: String,
    #[serde(default)]
    pub state: String,
    pub zip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonName {
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    /// `credit_card`, `paypal`, `gift_card`.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_four: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    #[serde(default)]
    pub user_id: String,
    pub name: PersonName,
    pub address: Address,
    pub email: String,
    pub payment_methods: BTreeMap<String, PaymentMethod>,
    #[serde(default)]
    pub orders: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    pub name: String,
    pub product_id: String,
    pub item_id: String,
    pub price: f64,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fulfillment {
    pub tracking_id: Vec<String>,
    pub item_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentTransaction {
    /// `payment` or `refund`.
    pub transaction_type: String,
    pub amount: f64,
    pub payment_method_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: String,
    pub user_id: String,
    pub address: Address,
    pub items: Vec<OrderItem>,
    #[serde(default)]
    pub fulfillments: Vec<Fulfillment>,
    /// `pending`, `processed`, `delivered`, `cancelled`, `return requested`, `exchange requested`,
    /// `pending (item modified)`.
    pub status: String,
    #[serde(default)]
    pub payment_history: Vec<PaymentTransaction>,
    /// Extra fields a backend records (cancel reason, return/exchange details, dates).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub item_id: String,
    pub options: BTreeMap<String, String>,
    pub available: bool,
    pub price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub name: String,
    pub product_id: String,
    pub variants: BTreeMap<String, Variant>,
}

/// A new order's line: a variant and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub item_id: String,
    pub quantity: u32,
}

#[async_trait]
pub trait Commerce: Send + Sync {
    async fn find_customer_by_email(&self, email: &str) -> Result<String, CommerceError>;
    async fn find_customer_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError>;
    async fn customer(&self, user_id: &str) -> Result<Customer, CommerceError>;
    async fn orders_of(&self, user_id: &str) -> Result<Vec<Order>, CommerceError>;
    async fn order(&self, order_id: &str) -> Result<Order, CommerceError>;
    async fn product(&self, product_id: &str) -> Result<Product, CommerceError>;
    /// Products whose name or options match `query` (empty: all), with stock and prices.
    async fn search_products(&self, query: &str) -> Result<Vec<Product>, CommerceError>;

    async fn cancel_pending_order(
        &self,
        order_id: &str,
        reason: &str,
    ) -> Result<Order, CommerceError>;
    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: &Address,
    ) -> Result<Order, CommerceError>;
    async fn modify_pending_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
    async fn modify_user_address(
        &self,
        user_id: &str,
        address: &Address,
    ) -> Result<Customer, CommerceError>;
    async fn return_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
    async fn exchange_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: &[String],
        new_item_ids: &[String],
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
    async fn place_order(
        &self,
        user_id: &str,
        lines: &[OrderLine],
        address: &Address,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
}

/// One executed write action, as written to the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub conversation_id: String,
    pub action: String,
    pub arguments: serde_json::Value,
    pub result: serde_json::Value,
    /// RFC 3339 timestamp.
    pub at: String,
}

/// The idempotency key of a write: the same conversation asking for the same action with the
/// same arguments takes effect once. `serde_json::Value` objects serialise with sorted keys, so
/// argument order does not change the key.
pub fn action_key(conversation_id: &str, action: &str, arguments: &serde_json::Value) -> String {
    format!("{conversation_id}\u{1f}{action}\u{1f}{arguments}")
}

/// What [`AuditLog::execute_once`] did with a write.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    /// The write's result (the changed order or customer as JSON): this call's, or the stored
    /// result of the first call with the same key.
    pub result: serde_json::Value,
    /// The write took effect but its audit row and idempotency key could not be recorded
    /// (only [`check_execute_record`], the non-atomic path, can leave this): the write stands
    /// and a retry may repeat it. The caller should log it; the customer's write is done.
    pub unrecorded: Option<CommerceError>,
}

/// Append-only record of executed actions plus the idempotency table behind it.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// The stored result when this (conversation, action, arguments) already ran.
    async fn executed(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, CommerceError>;
    /// Records an executed action (audit row + idempotency key).
    async fn record(
        &self,
        conversation_id: &str,
        action: &str,
        arguments: &serde_json::Value,
        result: &serde_json::Value,
    ) -> Result<(), CommerceError>;
    /// Audit rows of one conversation, oldest first.
    async fn entries(&self, conversation_id: &str) -> Result<Vec<AuditEntry>, CommerceError>;

    /// Runs the confirmed write `call` on `commerce` at most once per idempotency key
    /// ([`action_key`]: conversation, action, arguments) and records it here. The first call
    /// runs [`execute_action`], records the result (idempotency key + audit row) and returns
    /// it; a later call with the same key returns the stored result without a second effect.
    /// A write that fails records nothing (the error is returned), so a retry runs it again.
    ///
    /// The default is [`check_execute_record`]: `executed`, then the write, then `record`,
    /// three steps that keep a retry from repeating a write but not two callers racing with
    /// one key. A backend that can do better overrides it:
    ///
    /// - `SqliteCommerce` runs the same three steps under a process-wide lock (one process
    ///   owns its file), so a concurrent caller waits and replays the first result;
    /// - `PgCommerce` claims the key, writes and records in ONE transaction, so callers on
    ///   any number of replicas have one effect, and a failure leaves no write behind.
    ///
    /// Contract for an atomic override: it can only make the write atomic with the key when
    /// `commerce` is its own store (the server pairs them: `open_shop` in the server's
    /// `cli/stack.rs` gives `Shop { commerce, audit }` one object behind both). When
    /// `commerce` is another store (a different object, a wrapper), the write must still go
    /// to `commerce`: the override falls back to [`check_execute_record`] and is only as safe
    /// as the default. It never writes to its own store in place of `commerce`.
    async fn execute_once(
        &self,
        commerce: &dyn Commerce,
        conversation_id: &str,
        call: &ActionCall,
    ) -> Result<Executed, CommerceError> {
        check_execute_record(self, commerce, conversation_id, call).await
    }
}

/// The non-atomic execute-once path, [`AuditLog::execute_once`]'s default: asks `audit`
/// whether the key already ran (a failing check counts as "not yet"), else runs `call` on
/// `commerce` and records the result; a failing record leaves the write done and is
/// reported in [`Executed::unrecorded`]. Overrides that serialise the three steps themselves
/// call this inside their lock.
pub async fn check_execute_record<A: AuditLog + ?Sized>(
    audit: &A,
    commerce: &dyn Commerce,
    conversation_id: &str,
    call: &ActionCall,
) -> Result<Executed, CommerceError> {
    let (action, arguments) = (call.name(), call.arguments());
    if let Ok(Some(result)) = audit.executed(conversation_id, action, &arguments).await {
        return Ok(Executed {
            result,
            unrecorded: None,
        });
    }
    let result = execute_action(commerce, call).await?;
    let unrecorded = audit
        .record(conversation_id, action, &arguments, &result)
        .await
        .err();
    Ok(Executed { result, unrecorded })
}
