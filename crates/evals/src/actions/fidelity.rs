//! Does a simulated customer stay within its scenario? Checks over the customer's own messages
//! only (never the bot's), with patterns of this module's own:
//! - `invented_fact`: an order id, e-mail address, payment method id or zip code the scenario
//!   does not contain;
//! - `plays_agent`: the customer writes the agent's part (offers help, asks for the customer's
//!   details as an agent would);
//! - `breaks_character`: the customer speaks as a language model ("as an AI language model",
//!   "I can't assist with that");
//! - `silent`: the customer ended the conversation before saying anything.
//!
//! These are what can be told mechanically; the closing figures also come from reading a
//! sample of transcripts by hand (evals/tau-retail/README.md).

use super::patterns::pattern;

pattern!(
    ids,
    r"(?i)#?\bW\d{5,9}\b|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b(?:[a-z]+_)+\d{4,}\b|\b\d{5}\b"
);
pattern!(
    agent_voice,
    r"(?i)\b(?:help|assist|assisting|helping) you\b|\bthank you for (?:reaching out|contacting)\b|\bwould you like (?:assistance|help)\b|\blet me know your\b|\bprovide me with my\b|\b(?:could|can|would) you (?:please )?(?:provide|give|share|tell)(?: me)?(?: with)? your (?:name|email|e-mail|zip|order|contact|payment)"
);
pattern!(
    model_voice,
    r"(?i)\bas an ai\b|\blanguage model\b|\bi can(?:'|no)?t assist with\b"
);

/// Normal form of an id for comparison: lower case, without a leading `#`.
fn norm(id: &str) -> String {
    id.trim_start_matches('#').to_lowercase()
}

/// The departures found in one conversation (empty: none seen).
pub fn departures(scenario: &str, customer_messages: &[String]) -> Vec<String> {
    let known: Vec<String> = ids()
        .find_iter(scenario)
        .map(|m| norm(m.as_str()))
        .collect();
    let mut out = Vec::new();
    if customer_messages.is_empty() {
        out.push("silent".to_string());
    }
    let invented = customer_messages.iter().any(|m| {
        ids()
            .find_iter(m)
            .any(|id| !known.contains(&norm(id.as_str())))
    });
    if invented {
        out.push("invented_fact".to_string());
    }
    if customer_messages.iter().any(|m| agent_voice().is_match(m)) {
        out.push("plays_agent".to_string());
    }
    if customer_messages.iter().any(|m| model_voice().is_match(m)) {
        out.push("breaks_character".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(m: &[&str]) -> Vec<String> {
        m.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table() {
        let scenario = "Your name is Ann Lee and your zip code is 20171. Return #W6619432 via \
                        paypal_3738584: Yoga Mat.";
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["I want to return a yoga mat.", "W6619432, zip 20171"],
                &[],
            ),
            (&["Refund it to paypal_3738584 please"], &[]),
            (&["My order is #W1234567"], &["invented_fact"]),
            (&["my email is ann@example.com"], &["invented_fact"]),
            (&["zip is 90210"], &["invented_fact"]),
            (&["Hi! How can I help you today?"], &["plays_agent"]),
            (
                &["Can you please provide me with your name and zip code?"],
                &["plays_agent"],
            ),
            (
                &["Thank you for reaching out! Let me check."],
                &["plays_agent"],
            ),
            (&["Can you help me with a return?"], &[]),
            (
                &["I'm sorry, but I can't assist with that request."],
                &["breaks_character"],
            ),
            (
                &["As an AI language model, I don't have your e-mail."],
                &["breaks_character"],
            ),
            (&[], &["silent"]),
        ];
        for (messages, want) in cases {
            assert_eq!(
                departures(scenario, &msgs(messages)),
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{messages:?}"
            );
        }
    }
}
