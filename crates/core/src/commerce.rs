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

fn arg_str<'a>(args: &'a serde_json::Value, key: &str) -> Result<&'a str, CommerceError> {
    args.get(key)
        .and_then(|v| v.as_str())
        .ok_or_else(|| CommerceError::NotAllowed(format!("missing string argument `{key}`")))
}

fn arg_list(args: &serde_json::Value, key: &str) -> Result<Vec<String>, CommerceError> {
    let list = args
        .get(key)
        .and_then(|v| v.as_array())
        .ok_or_else(|| CommerceError::NotAllowed(format!("missing list argument `{key}`")))?;
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| CommerceError::NotAllowed(format!("`{key}` must hold strings")))
        })
        .collect()
}

fn arg_address(args: &serde_json::Value) -> Result<Address, CommerceError> {
    let get = |k: &str| {
        args.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let address = Address {
        address1: get("address1"),
        address2: get("address2"),
        city: get("city"),
        country: get("country"),
        state: get("state"),
        zip: get("zip"),
    };
    if address.address1.is_empty() || address.city.is_empty() || address.zip.is_empty() {
        return Err(CommerceError::NotAllowed(
            "an address needs at least address1, city and zip".into(),
        ));
    }
    Ok(address)
}

/// Runs a write action by its tau-retail name (`cancel_pending_order`, …) with tau-retail
/// arguments. Flows, the audit log and the action evals all speak this one vocabulary.
pub async fn execute_action(
    commerce: &dyn Commerce,
    action: &str,
    args: &serde_json::Value,
) -> Result<serde_json::Value, CommerceError> {
    let to_json = |v: Result<serde_json::Value, serde_json::Error>| {
        v.map_err(|e| CommerceError::Backend(e.to_string()))
    };
    match action {
        "cancel_pending_order" => {
            let o = commerce
                .cancel_pending_order(arg_str(args, "order_id")?, arg_str(args, "reason")?)
                .await?;
            to_json(serde_json::to_value(o))
        }
        "modify_pending_order_address" => {
            let o = commerce
                .modify_pending_order_address(arg_str(args, "order_id")?, &arg_address(args)?)
                .await?;
            to_json(serde_json::to_value(o))
        }
        "modify_pending_order_items" => {
            let o = commerce
                .modify_pending_order_items(
                    arg_str(args, "order_id")?,
                    &arg_list(args, "item_ids")?,
                    &arg_list(args, "new_item_ids")?,
                    arg_str(args, "payment_method_id")?,
                )
                .await?;
            to_json(serde_json::to_value(o))
        }
        "modify_pending_order_payment" => {
            let o = commerce
                .modify_pending_order_payment(
                    arg_str(args, "order_id")?,
                    arg_str(args, "payment_method_id")?,
                )
                .await?;
            to_json(serde_json::to_value(o))
        }
        "modify_user_address" => {
            let c = commerce
                .modify_user_address(arg_str(args, "user_id")?, &arg_address(args)?)
                .await?;
            to_json(serde_json::to_value(c))
        }
        "return_delivered_order_items" => {
            let o = commerce
                .return_delivered_order_items(
                    arg_str(args, "order_id")?,
                    &arg_list(args, "item_ids")?,
                    arg_str(args, "payment_method_id")?,
                )
                .await?;
            to_json(serde_json::to_value(o))
        }
        "exchange_delivered_order_items" => {
            let o = commerce
                .exchange_delivered_order_items(
                    arg_str(args, "order_id")?,
                    &arg_list(args, "item_ids")?,
                    &arg_list(args, "new_item_ids")?,
                    arg_str(args, "payment_method_id")?,
                )
                .await?;
            to_json(serde_json::to_value(o))
        }
        "place_order" => {
            let lines: Vec<OrderLine> = args
                .get("lines")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| {
                    CommerceError::NotAllowed(format!(
                        "`lines` must be [{{item_id, quantity}}]: {e}"
                    ))
                })?
                .unwrap_or_default();
            let address = args.get("address").cloned().unwrap_or_default();
            let o = commerce
                .place_order(
                    arg_str(args, "user_id")?,
                    &lines,
                    &arg_address(&address)?,
                    arg_str(args, "payment_method_id")?,
                )
                .await?;
            to_json(serde_json::to_value(o))
        }
        other => Err(CommerceError::NotAllowed(format!(
            "unknown action `{other}`; expected one of {:?}",
            crate::intents::ACTION_NAMES
        ))),
    }
}
