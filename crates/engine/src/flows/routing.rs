//! Which messages belong to the action flows, and which action a message asks for.

use super::*;

/// The action the message's keywords ask for. A question the classifier reads as a knowledge
/// intent ("how long do I have to return boots?" is `returns_policy`) is not a request to act
/// unless it names an order: the words "return" or "cancel" alone are not enough.
pub(super) fn keyword_action(understanding: &Understanding) -> Option<Action> {
    let action = understanding.request.action?;
    let asks_about_policy = understanding
        .intent_name()
        .is_some_and(frontdesk_core::intents::is_knowledge_intent);
    (!asks_about_policy || !understanding.entities.order_ids.is_empty()).then_some(action)
}

/// A question about an action rather than a request to do it now ("Can I swap it for a larger
/// size?", "Who pays for shipping the replacement?", "What colours does it come in?"): no flow
/// is running, the message asks something, carries nothing of an account (order number,
/// e-mail, postcode) and does not ask for suggestions in so many words (those are the
/// recommendation flow's; the classifier's guess alone does not make a question about a
/// product a request for suggestions). The engine answers these from the knowledge base when
/// it can, and offers the action.
pub fn asks_about_action(understanding: &Understanding, state: &ConversationState) -> bool {
    let e = &understanding.entities;
    state.flow.is_none()
        && !understanding.request.asks_for_suggestion
        && understanding.flags.question
        && e.order_ids.is_empty()
        && e.emails.is_empty()
        && e.postcodes.is_empty()
}

/// Whether the action a message is about is shopping (an order for a product, a suggestion)
/// rather than something done to the customer's account or orders. A shopping question the
/// knowledge base cannot answer is not sent to identity verification: it is a question.
pub fn is_shopping(understanding: &Understanding) -> bool {
    let action = keyword_action(understanding)
        .or_else(|| understanding.intent_name().and_then(Action::from_intent));
    matches!(action, Some(Action::PlaceOrder | Action::Recommend))
}

/// The text to search the knowledge base with when the message needs the catalogue
/// described: a request for a suggestion, or an order whose product is not known yet (then
/// with what was said before identity was verified).
pub fn catalogue_query(understanding: &Understanding, state: &ConversationState) -> Option<String> {
    if wants_recommendation(understanding, state) {
        return Some(understanding.text.clone());
    }
    // An unreadable saved state is reported by `step`, which runs next; no search is needed.
    let fs = match load(state) {
        Ok(fs) => fs,
        Err(_) => return None,
    };
    match fs {
        Some(fs) if fs.action == Some(Action::PlaceOrder) && fs.product_id.is_none() => Some(
            fs.said_before_identity
                .iter()
                .map(String::as_str)
                .chain(fs.request.as_deref())
                .chain([understanding.text.as_str()])
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Some(_) => None,
        None => {
            let action = keyword_action(understanding)
                .or_else(|| understanding.intent_name().and_then(Action::from_intent));
            (action == Some(Action::PlaceOrder)).then(|| understanding.text.clone())
        }
    }
}

/// Whether a message in the middle of a flow starts another action. While the flow waits for a
/// slot, the message is first of all an answer: "one piece, ship it to my default address and
/// pay with PayPal" while placing an order names that order's address and payment, it does not
/// ask to change the profile address. So only explicit keywords switch then (the classifier's
/// guess on a short answer does not), and never to an action about a slot the current one has.
pub(super) fn switches_action(
    current: Action,
    new: Action,
    fs: &FlowState,
    u: &Understanding,
) -> bool {
    let answering_a_slot = fs.awaiting.is_some_and(|s| s != Slot::Identity);
    if !answering_a_slot {
        return true;
    }
    let names_a_slot = matches!(
        new,
        Action::Payment | Action::OrderAddress | Action::UserAddress
    ) && !matches!(current, Action::Status | Action::Recommend);
    keyword_action(u) == Some(new) && !names_a_slot
}

/// Whether the message, in this state, asks for a product suggestion (the engine then
/// searches the knowledge base for the need it describes).
pub fn wants_recommendation(understanding: &Understanding, state: &ConversationState) -> bool {
    state.flow.is_none()
        && (keyword_action(understanding) == Some(Action::Recommend)
            || understanding.intent_name() == Some(frontdesk_core::intents::RECOMMEND_PRODUCT))
}

/// Whether a plan waits for the customer's yes or no (so a yes now executes a write).
pub fn awaits_confirmation(state: &ConversationState) -> bool {
    matches!(load(state), Ok(Some(fs)) if fs.confirming.is_some())
}

/// Whether this message belongs to the action flows.
pub fn wants(understanding: &Understanding, state: &ConversationState) -> bool {
    state.flow.is_some()
        || keyword_action(understanding).is_some()
        || understanding
            .intent_name()
            .and_then(Action::from_intent)
            .is_some()
}

/// After a question about an action was answered with an offer to do it: the action waits, so
/// an order number or an e-mail address in the next message carries on with it, while another
/// question is answered as usual (see the `unrelated` check in `step`).
pub fn offer(state: &mut ConversationState, understanding: &Understanding) {
    let action = keyword_action(understanding)
        .or_else(|| understanding.intent_name().and_then(Action::from_intent));
    if let Some(action) = action {
        save(
            state,
            &FlowState {
                action: Some(action),
                ..FlowState::default()
            },
        );
    }
}
