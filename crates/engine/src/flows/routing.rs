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

/// The action examples' reading (`action_reading.rs`) when it leads by `ACTION_MARGIN`, only
/// for actions on the customer's orders and account, and only in a message that names the
/// account or an order (an order number, an e-mail address, a name, a postcode): read in any
/// message, it met questions to a business without a catalogue ("what happens to my credit if
/// I switch to a contract") with an identity check. Neither the keywords' rule for questions
/// about a policy nor the classifier's out-of-scope reading limits it: on the dev halves the
/// first cost 5 of 155 requests and the tau-retail dev tasks it had gained (0.95 → 0.90), the
/// second 8 of 155 (the classifier rejects many long requests).
pub fn learned_action(understanding: &Understanding) -> Option<Action> {
    let e = &understanding.entities;
    let names_account = !e.order_ids.is_empty()
        || !e.emails.is_empty()
        || !e.postcodes.is_empty()
        || !e.names.is_empty();
    if !names_account {
        return None;
    }
    understanding
        .action_reading?
        .action_by(crate::action_reading::ACTION_MARGIN)
        .filter(|a| !matches!(a, Action::PlaceOrder | Action::Recommend))
}

/// The action the message asks for: its keywords' (`keyword_action`, unless the classifier
/// and the examples agree on another: `outvoted`), else the intent classifier's, else the action examples' (`action_reading.rs`) when one leads by
/// `ACTION_MARGIN`. Every caller that chooses an action reads it here. The order was measured
/// on `evals/action-requests` (`crates/engine/README.md`, "Which action a message asks for"):
/// the examples read most requests the keywords and the catalogue miss, but put first they
/// also chose another action more often than the keywords do. They choose only actions on the
/// customer's orders and account: an order for a product or a request for suggestions must say
/// so in words the keywords or the classifier read, since a question that names a product is a
/// question (read as an order, it would be searched without the conversation's topic).
pub fn requested_action(understanding: &Understanding) -> Option<Action> {
    let intent = understanding.intent_name().and_then(Action::from_intent);
    match keyword_action(understanding) {
        Some(keywords) => Some(outvoted(keywords, intent, understanding)),
        None => intent.or_else(|| learned_action(understanding)),
    }
}

/// The keywords' action, unless the classifier and the examples both read the same other one:
/// "send order … to <an address> instead" has an exchange's word ("instead") and asks for the
/// order's address. On `evals/action-requests` with the demo catalogue (chosen on dev: 115 →
/// 118 of 155 requests right, another action 15 → 12; test 96 → 100 of 145, another 21 → 17;
/// no message that asks for nothing changed). Without a catalogue there is no second voice.
fn outvoted(keywords: Action, intent: Option<Action>, understanding: &Understanding) -> Action {
    let learned = understanding
        .action_reading
        .and_then(|r| r.action_by(crate::action_reading::ACTION_MARGIN));
    match (intent, learned) {
        (Some(i), Some(l)) if i == l && i != keywords => i,
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
