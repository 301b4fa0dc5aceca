//! A write action as a typed call: what a flow's plan carries, what `execute_action` runs and
//! what the audit log records. The names and arguments are tau-retail's, so the audit JSON, the
//! idempotency key and the action evals keep one vocabulary; `ActionCall::arguments` is that
//! JSON and `ActionCall::from_wire` reads it back (a saved plan, an audit row).

use crate::commerce::{Address, Commerce, OrderLine};
use crate::error::CommerceError;
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum ActionCall {
    CancelPendingOrder {
        order_id: String,
        reason: String,
    },
    ModifyPendingOrderAddress {
        order_id: String,
        address: Address,
    },
    ModifyPendingOrderItems {
        order_id: String,
        item_ids: Vec<String>,
        new_item_ids: Vec<String>,
        payment_method_id: String,
    },
    ModifyPendingOrderPayment {
        order_id: String,
        payment_method_id: String,
    },
    ModifyUserAddress {
        user_id: String,
        address: Address,
    },
    ReturnDeliveredOrderItems {
        order_id: String,
        item_ids: Vec<String>,
        payment_method_id: String,
    },
    ExchangeDeliveredOrderItems {
        order_id: String,
        item_ids: Vec<String>,
        new_item_ids: Vec<String>,
        payment_method_id: String,
    },
    PlaceOrder {
        user_id: String,
        lines: Vec<OrderLine>,
        address: Address,
        payment_method_id: String,
    },
}

impl ActionCall {
    /// The tau-retail action name (one of `intents::ACTION_NAMES`).
    pub fn name(&self) -> &'static str {
        match self {
            ActionCall::CancelPendingOrder { .. } => "cancel_pending_order",
            ActionCall::ModifyPendingOrderAddress { .. } => "modify_pending_order_address",
            ActionCall::ModifyPendingOrderItems { .. } => "modify_pending_order_items",
            ActionCall::ModifyPendingOrderPayment { .. } => "modify_pending_order_payment",
            ActionCall::ModifyUserAddress { .. } => "modify_user_address",
            ActionCall::ReturnDeliveredOrderItems { .. } => "return_delivered_order_items",
            ActionCall::ExchangeDeliveredOrderItems { .. } => "exchange_delivered_order_items",
            ActionCall::PlaceOrder { .. } => "place_order",
        }
    }

    /// The order the call changes, if it changes one.
    pub fn order_id(&self) -> Option<&str> {
        match self {
            ActionCall::CancelPendingOrder { order_id, .. }
            | ActionCall::ModifyPendingOrderAddress { order_id, .. }
            | ActionCall::ModifyPendingOrderItems { order_id, .. }
            | ActionCall::ModifyPendingOrderPayment { order_id, .. }
            | ActionCall::ReturnDeliveredOrderItems { order_id, .. }
            | ActionCall::ExchangeDeliveredOrderItems { order_id, .. } => Some(order_id),
            ActionCall::ModifyUserAddress { .. } | ActionCall::PlaceOrder { .. } => None,
        }
    }

    /// The tau-retail arguments: the audit row, the idempotency key and the SSE `action`
    /// event's detail. Address fields sit beside the id for the two address changes (as in
    /// tau-retail), and nested under `address` for a new order.
    pub fn arguments(&self) -> Value {
        match self {
            ActionCall::CancelPendingOrder { order_id, reason } => {
                json!({ "order_id": order_id, "reason": reason })
            }
            ActionCall::ModifyPendingOrderAddress { order_id, address } => {
                with_address(json!({ "order_id": order_id }), address)
            }
            ActionCall::ModifyPendingOrderItems {
                order_id,
                item_ids,
                new_item_ids,
                payment_method_id,
            }
            | ActionCall::ExchangeDeliveredOrderItems {
                order_id,
                item_ids,
                new_item_ids,
                payment_method_id,
            } => json!({
                "order_id": order_id,
                "item_ids": item_ids,
                "new_item_ids": new_item_ids,
                "payment_method_id": payment_method_id,
            }),
            ActionCall::ModifyPendingOrderPayment {
                order_id,
                payment_method_id,
            } => json!({ "order_id": order_id, "payment_method_id": payment_method_id }),
            ActionCall::ModifyUserAddress { user_id, address } => {
                with_address(json!({ "user_id": user_id }), address)
            }
            ActionCall::ReturnDeliveredOrderItems {
                order_id,
                item_ids,
                payment_method_id,
            } => json!({
                "order_id": order_id,
                "item_ids": item_ids,
                "payment_method_id": payment_method_id,
            }),
            ActionCall::PlaceOrder {
                user_id,
                lines,
                address,
                payment_method_id,
            } => json!({
                "user_id": user_id,
                "lines": lines,
                "address": serde_json::to_value(address).unwrap_or_default(),
                "payment_method_id": payment_method_id,
            }),
        }
    }

    /// Reads a call back from its name and tau-retail arguments. An incomplete address is
    /// accepted here and refused when the call is executed, as the backend would refuse it.
    pub fn from_wire(action: &str, args: &Value) -> Result<Self, CommerceError> {
        Ok(match action {
            "cancel_pending_order" => ActionCall::CancelPendingOrder {
                order_id: arg_str(args, "order_id")?,
                reason: arg_str(args, "reason")?,
            },
            "modify_pending_order_address" => ActionCall::ModifyPendingOrderAddress {
                order_id: arg_str(args, "order_id")?,
                address: arg_address(args),
            },
            "modify_pending_order_items" => ActionCall::ModifyPendingOrderItems {
                order_id: arg_str(args, "order_id")?,
                item_ids: arg_list(args, "item_ids")?,
                new_item_ids: arg_list(args, "new_item_ids")?,
                payment_method_id: arg_str(args, "payment_method_id")?,
            },
            "modify_pending_order_payment" => ActionCall::ModifyPendingOrderPayment {
                order_id: arg_str(args, "order_id")?,
                payment_method_id: arg_str(args, "payment_method_id")?,
            },
            "modify_user_address" => ActionCall::ModifyUserAddress {
                user_id: arg_str(args, "user_id")?,
                address: arg_address(args),
            },
            "return_delivered_order_items" => ActionCall::ReturnDeliveredOrderItems {
                order_id: arg_str(args, "order_id")?,
                item_ids: arg_list(args, "item_ids")?,
                payment_method_id: arg_str(args, "payment_method_id")?,
            },
            "exchange_delivered_order_items" => ActionCall::ExchangeDeliveredOrderItems {
                order_id: arg_str(args, "order_id")?,
                item_ids: arg_list(args, "item_ids")?,
                new_item_ids: arg_list(args, "new_item_ids")?,
                payment_method_id: arg_str(args, "payment_method_id")?,
            },
            "place_order" => ActionCall::PlaceOrder {
                user_id: arg_str(args, "user_id")?,
                lines: args
                    .get("lines")
                    .cloned()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| {
                        CommerceError::NotAllowed(format!(
                            "`lines` must be [{{item_id, quantity}}]: {e}"
                        ))
                    })?
                    .unwrap_or_default(),
                address: arg_address(args.get("address").unwrap_or(&Value::Null)),
                payment_method_id: arg_str(args, "payment_method_id")?,
            },
            other => {
                return Err(CommerceError::NotAllowed(format!(
                    "unknown action `{other}`; expected one of {:?}",
                    crate::intents::ACTION_NAMES
                )))
            }
        })
    }
}

fn with_address(mut base: Value, a: &Address) -> Value {
    if let Some(m) = base.as_object_mut() {
        for (k, v) in [
            ("address1", &a.address1),
            ("address2", &a.address2),
            ("city", &a.city),
            ("state", &a.state),
            ("country", &a.country),
            ("zip", &a.zip),
        ] {
            m.insert(k.into(), v.clone().into());
        }
    }
    base
}

fn arg_str(args: &Value, key: &str) -> Result<String, CommerceError> {
    args.get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| CommerceError::NotAllowed(format!("missing string argument `{key}`")))
}

fn arg_list(args: &Value, key: &str) -> Result<Vec<String>, CommerceError> {
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

fn arg_address(args: &Value) -> Address {
    let get = |k: &str| {
        args.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Address {
        address1: get("address1"),
        address2: get("address2"),
        city: get("city"),
        country: get("country"),
        state: get("state"),
        zip: get("zip"),
    }
}

fn complete(address: &Address) -> Result<&Address, CommerceError> {
    if address.address1.is_empty() || address.city.is_empty() || address.zip.is_empty() {
        return Err(CommerceError::NotAllowed(
            "an address needs at least address1, city and zip".into(),
        ));
    }
    Ok(address)
}

/// Runs a write action. Flows, the audit log and the action evals all speak this one
/// vocabulary; the result is the changed order (or customer) as JSON.
pub async fn execute_action(
    commerce: &dyn Commerce,
    call: &ActionCall,
) -> Result<Value, CommerceError> {
    let to_json =
        |v: Result<Value, serde_json::Error>| v.map_err(|e| CommerceError::Backend(e.to_string()));
    match call {
        ActionCall::CancelPendingOrder { order_id, reason } => {
            let o = commerce.cancel_pending_order(order_id, reason).await?;
            to_json(serde_json::to_value(o))
        }
        ActionCall::ModifyPendingOrderAddress { order_id, address } => {
            let o = commerce
                .modify_pending_order_address(order_id, complete(address)?)
                .await?;
            to_json(serde_json::to_value(o))
        }
        ActionCall::ModifyPendingOrderItems {
            order_id,
            item_ids,
            new_item_ids,
            payment_method_id,
        } => {
            let o = commerce
                .modify_pending_order_items(order_id, item_ids, new_item_ids, payment_method_id)
                .await?;
            to_json(serde_json::to_value(o))
        }
        ActionCall::ModifyPendingOrderPayment {
            order_id,
            payment_method_id,
        } => {
            let o = commerce
                .modify_pending_order_payment(order_id, payment_method_id)
                .await?;
            to_json(serde_json::to_value(o))
        }
        ActionCall::ModifyUserAddress { user_id, address } => {
            let c = commerce
                .modify_user_address(user_id, complete(address)?)
                .await?;
            to_json(serde_json::to_value(c))
        }
        ActionCall::ReturnDeliveredOrderItems {
            order_id,
            item_ids,
            payment_method_id,
        } => {
            let o = commerce
                .return_delivered_order_items(order_id, item_ids, payment_method_id)
                .await?;
            to_json(serde_json::to_value(o))
        }
        ActionCall::ExchangeDeliveredOrderItems {
            order_id,
            item_ids,
            new_item_ids,
            payment_method_id,
        } => {
            let o = commerce
                .exchange_delivered_order_items(order_id, item_ids, new_item_ids, payment_method_id)
                .await?;
            to_json(serde_json::to_value(o))
        }
        ActionCall::PlaceOrder {
            user_id,
            lines,
            address,
            payment_method_id,
        } => {
            let o = commerce
                .place_order(user_id, lines, complete(address)?, payment_method_id)
                .await?;
            to_json(serde_json::to_value(o))
        }
    }
}

/// Reads a call from its tau-retail name and arguments and runs it (an audit replay, the action
/// evals' expected writes).
pub async fn execute_wire(
    commerce: &dyn Commerce,
    action: &str,
    args: &Value,
) -> Result<Value, CommerceError> {
    execute_action(commerce, &ActionCall::from_wire(action, args)?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> Address {
        Address {
            address1: "Main 1".into(),
            address2: String::new(),
            city: "Novi Sad".into(),
            country: "Serbia".into(),
            state: String::new(),
            zip: "21000".into(),
        }
    }

    /// Every call survives its own wire form, and the wire form is tau-retail's.
    #[test]
    fn arguments_read_back_to_the_same_call() {
        let ids = || vec!["a".to_string(), "b".to_string()];
        let calls = [
            ActionCall::CancelPendingOrder {
                order_id: "#W1".into(),
                reason: "no longer needed".into(),
            },
            ActionCall::ModifyPendingOrderAddress {
                order_id: "#W1".into(),
                address: address(),
            },
            ActionCall::ModifyPendingOrderItems {
                order_id: "#W1".into(),
                item_ids: ids(),
                new_item_ids: ids(),
                payment_method_id: "paypal_1".into(),
            },
            ActionCall::ModifyPendingOrderPayment {
                order_id: "#W1".into(),
                payment_method_id: "paypal_1".into(),
            },
            ActionCall::ModifyUserAddress {
                user_id: "ana_1".into(),
                address: address(),
            },
            ActionCall::ReturnDeliveredOrderItems {
                order_id: "#W1".into(),
                item_ids: ids(),
                payment_method_id: "paypal_1".into(),
            },
            ActionCall::ExchangeDeliveredOrderItems {
                order_id: "#W1".into(),
                item_ids: ids(),
                new_item_ids: ids(),
                payment_method_id: "paypal_1".into(),
            },
            ActionCall::PlaceOrder {
                user_id: "ana_1".into(),
                lines: vec![OrderLine {
                    item_id: "x".into(),
                    quantity: 2,
                }],
                address: address(),
                payment_method_id: "paypal_1".into(),
            },
        ];
        assert_eq!(calls.len(), crate::intents::ACTION_NAMES.len());
        for call in calls {
            assert!(crate::intents::ACTION_NAMES.contains(&call.name()));
            let back = ActionCall::from_wire(call.name(), &call.arguments()).unwrap();
            assert_eq!(back, call);
        }
    }

    #[test]
    fn address_changes_carry_the_address_beside_the_id() {
        let call = ActionCall::ModifyPendingOrderAddress {
            order_id: "#W1".into(),
            address: address(),
        };
        assert_eq!(
            call.arguments(),
            json!({"order_id": "#W1", "address1": "Main 1", "address2": "", "city": "Novi Sad",
                   "state": "", "country": "Serbia", "zip": "21000"})
        );
    }

    #[test]
    fn bad_wire_forms_are_clear_errors() {
        for (action, args, says) in [
            ("refund_everything", json!({}), "unknown action"),
            (
                "cancel_pending_order",
                json!({"order_id": "#W1"}),
                "`reason`",
            ),
            (
                "modify_pending_order_items",
                json!({"order_id": "#W1", "item_ids": [1], "new_item_ids": [], "payment_method_id": "p"}),
                "must hold strings",
            ),
            (
                "place_order",
                json!({"user_id": "u", "lines": "x", "payment_method_id": "p"}),
                "`lines`",
            ),
        ] {
            let e = ActionCall::from_wire(action, &args)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{action}: {e}");
        }
    }
}
