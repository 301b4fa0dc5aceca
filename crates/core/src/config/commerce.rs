use serde::{Deserialize, Serialize};

/// A shop's action rules. No shop's rules live in code: the demo store and tau-retail differ only here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommercePolicy {
    /// Days after delivery during which items can be returned or exchanged (0: no limit).
    pub return_window_days: u32,
    /// Order statuses that can be cancelled.
    pub cancellable_statuses: Vec<String>,
    /// Order statuses whose address/items/payment can be changed.
    pub modifiable_statuses: Vec<String>,
    /// Order statuses whose items can be returned or exchanged.
    pub returnable_statuses: Vec<String>,
    /// Allowed cancellation reasons (empty: any).
    pub cancel_reasons: Vec<String>,
    /// Refund destinations: `original` (the order's payment method), `gift_card`, `any`.
    pub refund_destinations: Vec<String>,
    /// Refunds above this amount need a human's approval (0: never).
    pub refund_approval_limit: f64,
    /// Maximum items per exchange (0: no limit).
    pub max_exchange_items: usize,
    /// Only one exchange/modification of items per order.
    pub single_item_modification: bool,
    /// Currency code shown to customers.
    pub currency: String,
}

impl Default for CommercePolicy {
    fn default() -> Self {
        Self {
            return_window_days: 30,
            cancellable_statuses: vec!["pending".into()],
            modifiable_statuses: vec!["pending".into()],
            returnable_statuses: vec!["delivered".into()],
            cancel_reasons: vec!["no longer needed".into(), "ordered by mistake".into()],
            refund_destinations: vec!["original".into(), "gift_card".into()],
            refund_approval_limit: 500.0,
            max_exchange_items: 0,
            single_item_modification: true,
            currency: "EUR".into(),
        }
    }
}
