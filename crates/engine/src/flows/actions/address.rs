//! A new shipping address, for one order or for the customer's profile: one flow, two targets.

use super::*;

/// Whose address changes.
pub(in crate::flows) enum AddressTarget<'a> {
    Order(&'a Order),
    /// The verified customer's own.
    Profile,
}

/// Takes the address the message gives (or keeps the one given earlier), asks for it when
/// there is none, and states the change for confirmation.
pub(in crate::flows) fn change_address(
    act: CustomerTurn<'_, '_>,
    target: AddressTarget<'_>,
) -> FlowOutcome {
    let (turn, fs, customer, u) = act.parts();
    if let Some(a) = u.request.address.clone() {
        fs.address = Some(a);
    }
    let Some(address) = fs.address.clone() else {
        fs.ask(Slot::Address);
        let text = turn.say("ask_address", &[]);
        return turn.reply(text, false);
    };
    let written = address_text(&address);
    let (summary, call) = match target {
        AddressTarget::Order(order) => (
            render_phrase(
                "order_address",
                turn.ctx.lang,
                &[("order", &order.order_id), ("address", &written)],
            ),
            ActionCall::ModifyPendingOrderAddress {
                order_id: order.order_id.clone(),
                address,
            },
        ),
        AddressTarget::Profile => (
            render_phrase("user_address", turn.ctx.lang, &[("address", &written)]),
            ActionCall::ModifyUserAddress {
                user_id: customer.user_id.clone(),
                address,
            },
        ),
    };
    confirm(turn, fs, Plan::new(call, summary))
}
