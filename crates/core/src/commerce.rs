//! The commerce seam: customers, orders, products and the write actions a representative may
//! take. Types follow the shape of the tau-retail data (`users.json`, `orders.json`,
//! `products.json`) so that data set and the demo store load through the same code.
//! Implementations enforce state rules; the engine's flows enforce identity and confirmation.

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
}
