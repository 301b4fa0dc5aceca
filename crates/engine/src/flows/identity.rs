//! Identity first, always: by e-mail, or by name and postcode, before anything of an account is
//! read or changed.

use super::*;

pub(super) async fn verify(
    turn: &mut Turn<'_, '_>,
    state: &mut ConversationState,
    fs: &mut FlowState,
    u: &Understanding,
) -> Result<Customer, FlowOutcome> {
    let commerce = turn.ctx.commerce;
    if let Some(v) = &state.customer {
        return commerce
            .customer(&v.customer_id)
            .await
            .map_err(|e| fail(turn, &e));
    }
    if let Some((first, last)) = u.request.name.clone() {
        fs.first_name = Some(first);
        fs.last_name = Some(last);
    }
    if let Some(zip) = u.entities.postcodes.first() {
        fs.zip = Some(zip.clone());
    }
    let mut found = None;
    for email in &u.entities.emails {
        if let Ok(id) = commerce.find_customer_by_email(email).await {
            found = Some(id);
            break;
        }
    }
    for pair in &u.request.name_candidates {
        if !fs.name_candidates.contains(pair) {
            fs.name_candidates.push(pair.clone());
        }
    }
    let tried_name = if let (None, Some(f), Some(l), Some(z)) =
        (&found, &fs.first_name, &fs.last_name, &fs.zip)
    {
        found = commerce.find_customer_by_name_zip(f, l, z).await.ok();
        true
    } else {
        false
    };
    // The name was not read, or read wrong ("Sofia Rossi here, postcode …"): with a postcode,
    // each pair of capitalised words said so far is tried; the record must match both.
    if let (None, Some(z)) = (&found, &fs.zip) {
        for (f, l) in &fs.name_candidates {
            if fs.first_name.as_ref() == Some(f) && fs.last_name.as_ref() == Some(l) {
                continue;
            }
            if let Ok(id) = commerce.find_customer_by_name_zip(f, l, z).await {
                found = Some(id);
                break;
            }
        }
    }
    let Some(user_id) = found else {
        let tried_name = tried_name || (fs.zip.is_some() && !fs.name_candidates.is_empty());
        let key = if !u.entities.emails.is_empty() || tried_name {
            "identity_failed"
        } else if fs.first_name.is_some() && fs.zip.is_none() {
            "ask_zip"
        } else {
            "ask_identity"
        };
        fs.ask(Slot::Identity);
        let text = turn.say(key, &[]);
        return Err(Turn {
            ctx: turn.ctx,
            prefix: std::mem::take(&mut turn.prefix),
            events: std::mem::take(&mut turn.events),
        }
        .reply(text, false));
    };
    let customer = commerce
        .customer(&user_id)
        .await
        .map_err(|e| fail(turn, &e))?;
    let display = format!("{} {}", customer.name.first_name, customer.name.last_name);
    state.customer = Some(VerifiedCustomer {
        customer_id: user_id,
        display_name: display.clone(),
    });
    turn.prefix = turn.say("verified", &[("name", &display)]);
    Ok(customer)
}
