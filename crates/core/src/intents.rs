//! Intent names with fixed meaning across the engine, flows, catalogue files and evals. A shop's
//! catalogue may add knowledge intents of its own; these are the ones code reacts to.

/// Conversation-management intents.
pub const GREETING: &str = "greeting";
pub const THANKS: &str = "thanks";
pub const GOODBYE: &str = "goodbye";
pub const HUMAN_AGENT: &str = "human_agent";
pub const COMPLAINT: &str = "complaint";
pub const ABUSE: &str = "abuse";
/// Rows marked `in_scope: false` in a catalogue are predicted as this.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// Action intents: each starts a flow in `frontdesk_engine::flows`.
pub const ORDER_STATUS: &str = "order_status";
pub const CANCEL_ORDER: &str = "cancel_order";
pub const RETURN_ITEMS: &str = "return_items";
pub const EXCHANGE_ITEMS: &str = "exchange_items";
pub const CHANGE_ORDER_ADDRESS: &str = "change_order_address";
pub const CHANGE_DEFAULT_ADDRESS: &str = "change_default_address";
pub const MODIFY_ORDER_ITEMS: &str = "modify_order_items";
pub const CHANGE_PAYMENT_METHOD: &str = "change_payment_method";
pub const PLACE_ORDER: &str = "place_order";
pub const RECOMMEND_PRODUCT: &str = "recommend_product";

pub const ACTION_INTENTS: [&str; 10] = [
    ORDER_STATUS,
    CANCEL_ORDER,
    RETURN_ITEMS,
    EXCHANGE_ITEMS,
    CHANGE_ORDER_ADDRESS,
    CHANGE_DEFAULT_ADDRESS,
    MODIFY_ORDER_ITEMS,
    CHANGE_PAYMENT_METHOD,
    PLACE_ORDER,
    RECOMMEND_PRODUCT,
];

pub fn is_action_intent(intent: &str) -> bool {
    ACTION_INTENTS.contains(&intent)
}

/// A knowledge intent: one of the shop catalogue's own question intents (`returns_policy`,
/// `shipping_info`, …), i.e. neither conversation management, an action, nor out of scope.
pub fn is_knowledge_intent(intent: &str) -> bool {
    !is_action_intent(intent)
        && ![
            GREETING,
            THANKS,
            GOODBYE,
            HUMAN_AGENT,
            COMPLAINT,
            ABUSE,
            OUT_OF_SCOPE,
        ]
        .contains(&intent)
}

/// Write actions (tau-retail names); audit log and action evals use these.
pub const ACTION_NAMES: [&str; 8] = [
    "cancel_pending_order",
    "modify_pending_order_address",
    "modify_pending_order_items",
    "modify_pending_order_payment",
    "modify_user_address",
    "return_delivered_order_items",
    "exchange_delivered_order_items",
    "place_order",
];
