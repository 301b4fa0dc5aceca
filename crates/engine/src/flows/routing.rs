//! Which messages belong to the action flows, and which action a message asks for.

use super::*;

/// The action the message's keywords ask for. A question the classifier reads as a knowledge
/// intent ("how long do I have to return boots?" is `returns_policy`) is not a request to act
/// unless it names an order: the words "return" or "cancel" alone are not enough.
pub fn keyword_action(understanding: &Understanding) -> Option<Action> {
    let action = understanding.request.action?;
    let asks_about_policy = understanding
        .intent_name()
        .is_some_and(frontdesk_core::intents::is_knowledge_intent);
    (!asks_about_policy || !understanding.entities.order_ids.is_empty()).then_some(action)
}

/// The action examples' reading (`action_reading.rs`) when it leads by `ACTION_MARGIN` in a
/// message that names an order or the account (an order number, an e-mail address, a name, a
/// postcode), or by `OVERRULE_LEAD` in one that does not (a customer of a business without
/// orders telling a problem with its service is not asking for an order's status; on the dev
/// half this bar keeps every "none" message the shipped reading kept, for
/// 6 (catalogue) and 5 (none) of 155 requests). Only actions on the customer's orders and
/// account: an order for a product or a request for suggestions must be said in words the
/// keywords or the classifier read, since a question that names a product is a question (read
/// as an order, it would be searched without the conversation's topic).
pub fn learned_action(understanding: &Understanding) -> Option<Action> {
    let e = &understanding.entities;
    let names_account = !e.order_ids.is_empty()
        || !e.emails.is_empty()
        || !e.postcodes.is_empty()
        || !e.names.is_empty();
    let reading = understanding.action_reading?;
    let margin = if names_account {
        crate::action_reading::ACTION_MARGIN
    } else {
        OVERRULE_LEAD
    };
    reading
        .action_by(margin)
        .filter(|a| !matches!(a, Action::PlaceOrder | Action::Recommend))
}

/// The action the message asks for: its keywords' (`keyword_action`) unless the other
/// readings outvote them (`outvoted`), else the intent classifier's, else the action examples'
/// (`learned_action`). Every caller that chooses an action reads it here. The order was
/// measured on `evals/action-requests` and the tau-retail tasks (`crates/engine/README.md`,
/// "Which action a message asks for"): the examples' model reads most requests the keywords
/// and the catalogue miss, but put first it read "exchange … and pay the difference with my
/// card" as a change of payment.
pub fn requested_action(understanding: &Understanding) -> Option<Action> {
    let intent = understanding.intent_name().and_then(Action::from_intent);
    match keyword_action(understanding) {
        Some(keywords) => Some(outvoted(keywords, intent, understanding)),
        None => intent.or_else(|| learned_action(understanding)),
    }
}

/// How sure the examples' model must be to overrule the keywords alone (no classifier, or one
/// that reads no action): the best label's probability less the second's.
const OVERRULE_LEAD: f32 = 0.8;

/// The keywords' action, unless the classifier and the examples both read the same other one,
/// or there is no classifier's action and the examples read another one with a lead of
/// `OVERRULE_LEAD`: a word the keyword tables give to exchanges ("instead") also ends requests
/// to pay with another method or to ship elsewhere.
fn outvoted(keywords: Action, intent: Option<Action>, understanding: &Understanding) -> Action {
    let Some(reading) = understanding.action_reading else {
        return keywords;
    };
    match (
        intent,
        reading.action_by(crate::action_reading::ACTION_MARGIN),
    ) {
        (Some(i), Some(l)) if i == l && i != keywords => i,
        (None, Some(l)) if l != keywords && reading.lead >= OVERRULE_LEAD => l,
        _ => keywords,
    }
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
    let action = requested_action(understanding);
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
            let action = requested_action(understanding);
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
    state.flow.is_some() || requested_action(understanding).is_some()
}

/// Whether a question about an action is answered with an offer to do it: only when its
/// keywords or the intent classifier name the action. The examples' model alone reads many
/// questions to a business without orders as about one (a phone company's billing questions as
/// about a change of payment), and an offer to act on an order there is noise.
pub fn offers_action(understanding: &Understanding) -> bool {
    keyword_action(understanding)
        .or_else(|| understanding.intent_name().and_then(Action::from_intent))
        .is_some()
}

/// After a question about an action was answered with an offer to do it: the action waits, so
/// an order number or an e-mail address in the next message carries on with it, while another
/// question is answered as usual (see the `unrelated` check in `step`).
pub fn offer(state: &mut ConversationState, understanding: &Understanding) {
    let action = requested_action(understanding);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action_reading::{ActionReading, ACTION_MARGIN};
    use crate::intents::IntentPrediction;

    fn understood(
        text: &str,
        intent: Option<&str>,
        reading: Option<ActionReading>,
    ) -> Understanding {
        let mut u = crate::understanding::understand(
            text,
            &ConversationState::default(),
            intent.map(|i| IntentPrediction {
                intent: i.into(),
                score: 0.9,
                in_scope: true,
                neighbours: vec![],
            }),
            &[],
        );
        u.action_reading = reading;
        u
    }

    fn read(action: Action, lead: f32) -> Option<ActionReading> {
        Some(ActionReading {
            action: Some(action),
            lead,
        })
    }

    #[test]
    fn the_examples_choose_the_action_only_after_the_keywords_and_the_intent() {
        // Nothing but the examples: their action, when it leads by the margin and the message
        // names an order or the account.
        let asked = "has order 5512 left your depot";
        let u = understood(asked, None, read(Action::Status, ACTION_MARGIN));
        assert_eq!(requested_action(&u), Some(Action::Status));
        assert!(wants(&u, &ConversationState::default()));
        let u = understood(asked, None, read(Action::Status, 0.0));
        assert_eq!(requested_action(&u), None);
        let u = understood(
            "has the parcel left your depot",
            None,
            read(Action::Status, 0.1),
        );
        assert_eq!(requested_action(&u), None);
        // Never an order for a product or a suggestion.
        let u = understood(
            "ana@example.com two of the red mugs",
            None,
            read(Action::PlaceOrder, 0.1),
        );
        assert_eq!(requested_action(&u), None);
        // The intent classifier comes before them.
        let u = understood(asked, Some("cancel_order"), read(Action::Status, 0.1));
        assert_eq!(requested_action(&u), Some(Action::Refund));
        // The examples reading no action do not overrule the others.
        let none = Some(ActionReading {
            action: None,
            lead: 0.1,
        });
        let u = understood("order 5512: where is it", Some("order_status"), none);
        assert_eq!(requested_action(&u), Some(Action::Status));
    }
}
