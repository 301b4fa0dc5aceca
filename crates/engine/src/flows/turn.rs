//! One flow reply being built: the prefix said so far, the action events, the rendered texts.

use super::*;

pub(super) fn event(action: &str, state: &str, detail: serde_json::Value) -> ActionEvent {
    ActionEvent {
        action: action.into(),
        state: state.into(),
        detail,
    }
}

pub(super) fn error_text(e: &CommerceError) -> String {
    e.to_string()
}

pub(super) struct Turn<'a, 'b> {
    pub(super) ctx: &'a FlowContext<'b>,
    pub(super) prefix: String,
    pub(super) events: Vec<ActionEvent>,
}

impl Turn<'_, '_> {
    pub(super) fn reply(self, text: String, finished: bool) -> FlowOutcome {
        self.outcome(text, finished, Vec::new(), None)
    }
    /// The reply with what was said before it this turn ("Thank you, Ana, you're verified.").
    pub(super) fn outcome(
        self,
        text: String,
        finished: bool,
        executed: Vec<ExecutedAction>,
        escalate: Option<HandoffInfo>,
    ) -> FlowOutcome {
        let text = if self.prefix.is_empty() {
            text
        } else {
            format!("{} {text}", self.prefix)
        };
        FlowOutcome::Reply(FlowReply {
            text,
            events: self.events,
            executed,
            escalate,
            finished,
            ..FlowReply::default()
        })
    }
    pub(super) fn say(&self, key: &str, vars: &[(&str, &str)]) -> String {
        render(key, self.ctx.lang, vars)
    }
}

pub(super) fn fail(turn: &mut Turn<'_, '_>, e: &CommerceError) -> FlowOutcome {
    let text = turn.say("failed", &[("error", &error_text(e))]);
    FlowOutcome::Reply(FlowReply {
        text,
        events: std::mem::take(&mut turn.events),
        finished: true,
        ..FlowReply::default()
    })
}

/// A flow's turn once the customer is verified: the reply being built, the flow's state, the
/// customer and the message as understood. Every action takes one, so each is written once.
pub(super) struct CustomerTurn<'a, 'b> {
    pub(super) turn: Turn<'a, 'b>,
    pub(super) fs: &'a mut FlowState,
    pub(super) customer: &'a Customer,
    pub(super) u: &'a Understanding,
}

impl<'a, 'b> CustomerTurn<'a, 'b> {
    /// The reply, the state, the customer and the understanding, to be used apart.
    pub(super) fn parts(
        self,
    ) -> (
        Turn<'a, 'b>,
        &'a mut FlowState,
        &'a Customer,
        &'a Understanding,
    ) {
        (self.turn, self.fs, self.customer, self.u)
    }
}
