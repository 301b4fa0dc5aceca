//! The LM-driven customer: a local chat model that knows only the task's scenario and reads the
//! bot's replies as a person would (their text), writing its own messages in its own words,
//! sampled at the suite's temperature. It decides itself when it is done by writing
//! [`STOP_MARK`] (the tau-bench convention), which is never sent to the bot.
//!
//! It shares nothing with the bot: its prompt, its cleaning of the model's output and the
//! opening line it is greeted with are its own, and it gets no structured field of the reply.
//! How often it departs from its scenario is checked apart ([`super::fidelity`]).

use super::fidelity;
use crate::error::EvalError;
use crate::manifest::LmCustomerSpec;
use frontdesk_core::chat::{collect_text, ChatMessage, ChatModel, GenerateRequest, SamplingParams};
use std::sync::Arc;

/// What the simulator writes, alone, when its conversation is over.
pub const STOP_MARK: &str = "###STOP###";

/// The line the customer is greeted with before its first message (a neutral agent greeting,
/// not the bot's own).
const GREETING: &str = "Hello, you are chatting with customer support. How can I help you today?";

/// Longest message, in tokens; a customer types a few sentences at most.
const MESSAGE_TOKENS: usize = 96;

/// Samples drawn for one message before the last one is taken even if it departs from the
/// scenario (each with its own seed): a message is drawn again when it is empty after
/// cleaning, stops the conversation before it began, or departs ([`fidelity::departures`]:
/// an invented id, the agent's or a language model's voice). What still departs after the
/// last draw is reported.
const ATTEMPTS: u64 = 4;

/// The simulator's standing instructions. The model is asked, as a writer, for the customer's
/// next line of a transcript it is shown: played in the chat roles themselves (the agent as
/// `user`, the customer as `assistant`, as in tau-bench), the instruction-tuned local models
/// answered as the agent in most conversations.
const INSTRUCTIONS: &str = "You write the CUSTOMER's lines of a chat between a customer and the \
     support agent of an online shop. You are shown the customer's situation and the chat so \
     far, and you write only the customer's next message, in the first person (\"I\", \"my\"), \
     as the customer would type it. The situation is written to the customer as \"you\".\n\n\
     The customer:\n\
     - needs help and asks for it; never offers help and never asks for the agent's details;\n\
     - writes one to three short sentences per message, in their own words, with no name or \
     label in front, and answers what the agent just asked;\n\
     - starts with what they want, and gives their name, zip code, e-mail, order number or \
     payment method only when the agent asks for it, and then at once, written out, as the \
     situation states them;\n\
     - uses only facts from the situation; if asked for something the situation does not say, \
     says they do not know; never makes up names, numbers, order numbers or e-mail addresses;\n\
     - follows the situation exactly, including any change of mind or condition in it;\n\
     - agrees when the agent asks to confirm an action that is what they want, and says what \
     is wrong when it is not;\n\
     - when everything they wanted is done, or cannot be done, or they have been passed to a \
     human, writes only ###STOP###";

pub struct LmCustomer {
    model: Arc<dyn ChatModel>,
    scenario: String,
    /// The chat so far: who spoke, and what.
    transcript: Vec<(Speaker, String)>,
    temperature: f32,
    seed: u64,
    max_turns: usize,
    turns: usize,
    /// The simulator wrote the stop mark (rather than running out of turns).
    pub ended_itself: bool,
}

impl LmCustomer {
    /// The conversation's seed comes from `spec.seed` and `run`, so runs of a task differ.
    pub fn new(
        model: Arc<dyn ChatModel>,
        scenario: &str,
        spec: &LmCustomerSpec,
        run: usize,
    ) -> Self {
        Self {
            model,
            scenario: scenario.trim().to_string(),
            transcript: vec![(Speaker::Agent, GREETING.to_string())],
            temperature: spec.temperature,
            seed: spec
                .seed
                .wrapping_add(run as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15),
            max_turns: spec.max_turns,
            turns: 0,
            ended_itself: false,
        }
    }

    /// The first message (answering the greeting); `None` when the model stops at once.
    pub async fn opening(&mut self) -> Result<Option<String>, EvalError> {
        self.speak().await
    }

    /// The next message after the bot's reply text; `None` when the customer is done.
    pub async fn reply(&mut self, bot_text: &str) -> Result<Option<String>, EvalError> {
        let shown = if bot_text.trim().is_empty() {
            "(no reply)"
        } else {
            bot_text.trim()
        };
        self.transcript.push((Speaker::Agent, shown.to_string()));
        self.speak().await
    }

    async fn speak(&mut self) -> Result<Option<String>, EvalError> {
        if self.turns >= self.max_turns {
            return Ok(None);
        }
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            let request = GenerateRequest {
                messages: self.prompt(),
                params: SamplingParams {
                    temperature: self.temperature,
                    top_p: 0.95,
                    max_tokens: MESSAGE_TOKENS,
                    seed: self
                        .seed
                        .wrapping_add(self.turns as u64 * 7919 + attempt * 104_729),
                    stop: vec!["\nAgent:".into(), "\nAGENT:".into(), "\nSupport:".into()],
                    ..SamplingParams::default()
                },
            };
            let stream = self
                .model
                .generate(request)
                .await
                .map_err(|e| EvalError::suite("actions", format!("customer model: {e}")))?;
            let raw = collect_text(stream)
                .await
                .map_err(|e| EvalError::suite("actions", format!("customer model: {e}")))?;
            if raw.contains(STOP_MARK) {
                // Nothing has been asked yet: a stop now is not the customer's decision.
                if self.turns == 0 {
                    continue;
                }
                self.ended_itself = true;
                return Ok(None);
            }
            let text = clean_message(&raw);
            if text.is_empty() {
                continue;
            }
            let departs =
                !fidelity::departures(&self.scenario, std::slice::from_ref(&text)).is_empty();
            last = Some(text);
            if !departs {
                break;
            }
        }
        let Some(text) = last else {
            return Ok(None);
        };
        self.turns += 1;
        self.transcript.push((Speaker::Customer, text.clone()));
        Ok(Some(text))
    }
}

/// Who speaks in the transcript the simulator is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Speaker {
    Agent,
    Customer,
}

impl LmCustomer {
    /// The request: the instructions, then the situation and the transcript in one message
    /// (the agent's text as it was shown, the customer's as it was sent).
    fn prompt(&self) -> Vec<ChatMessage> {
        let mut text = format!(
            "The customer's situation (only the customer knows it):\n{}\n\nThe chat so far:\n",
            self.scenario
        );
        for (who, said) in &self.transcript {
            let label = match who {
                Speaker::Agent => "Agent",
                Speaker::Customer => "Customer",
            };
            text.push_str(&format!("{label}: {}\n", said.replace('\n', " ")));
        }
        text.push_str(&format!(
            "\nWrite the customer's next message, or {STOP_MARK} if the customer is done."
        ));
        vec![ChatMessage::system(INSTRUCTIONS), ChatMessage::user(text)]
    }
}

/// The message as a customer would send it: without a speaker label, surrounding quotes, or a
/// second speaker's turn the model ran on into.
pub fn clean_message(raw: &str) -> String {
    let mut text = raw.trim();
    // A speaker label: "Customer:", or the customer's name ("Olivia Ito:").
    if let Some((label, rest)) = text.split_once(':') {
        let words = label.split_whitespace().count();
        if (1..=3).contains(&words)
            && label
                .split_whitespace()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase))
            && label
                .chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '.' || c == '\'')
        {
            text = rest.trim_start();
        }
    }
    // A run-on into the agent's part, on the same line or the next.
    for label in ["Agent:", "AGENT:", "Support:", "Assistant:"] {
        if let Some(i) = text.find(label) {
            text = text[..i].trim_end();
        }
    }
    let text = text.trim();
    let unquoted = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    unquoted.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::testing::ReplayChat;

    fn model(replies: &[&str]) -> Arc<ReplayChat> {
        Arc::new(ReplayChat::new(replies))
    }

    fn spec(max_turns: usize) -> LmCustomerSpec {
        LmCustomerSpec {
            model: None,
            temperature: 0.7,
            runs: 3,
            seed: 5,
            max_turns,
        }
    }

    #[test]
    fn cleaning_drops_labels_quotes_and_run_ons() {
        assert_eq!(
            clean_message("Customer: \"I want to return my kettle.\""),
            "I want to return my kettle."
        );
        assert_eq!(
            clean_message("Sure, it's 12345.\nAgent: Thanks! Anything else?"),
            "Sure, it's 12345."
        );
        assert_eq!(clean_message("  \n "), "");
        assert_eq!(clean_message("Olivia Ito: Hi there!"), "Hi there!");
        // A colon inside the message is not a label.
        assert_eq!(
            clean_message("my order: #W123, please"),
            "my order: #W123, please"
        );
    }

    #[tokio::test]
    async fn the_agent_speaks_as_user_and_the_stop_mark_ends_the_conversation() {
        let m = model(&[
            "Hi, I need to return a kettle.",
            "It's 12345.",
            "###STOP###",
        ]);
        let mut c = LmCustomer::new(m.clone(), "Your zip code is 12345.", &spec(10), 0);
        assert_eq!(
            c.opening().await.unwrap().as_deref(),
            Some("Hi, I need to return a kettle.")
        );
        assert_eq!(
            c.reply("What is your zip code?").await.unwrap().as_deref(),
            Some("It's 12345.")
        );
        assert_eq!(c.reply("Done.").await.unwrap(), None);
        assert!(c.ended_itself);
        let seen = m.requests.lock().unwrap();
        let last = &seen[2].messages;
        assert_eq!(last.len(), 2);
        let shown = &last[1].content;
        assert!(shown.contains("Your zip code is 12345."));
        let transcript = [
            format!("Agent: {GREETING}"),
            "Customer: Hi, I need to return a kettle.".to_string(),
            "Agent: What is your zip code?".to_string(),
            "Customer: It's 12345.".to_string(),
            "Agent: Done.".to_string(),
        ]
        .join("\n");
        assert!(shown.contains(&transcript), "{shown}");
        assert!(seen.iter().all(|r| r.params.temperature == 0.7));
        // Each message is sampled with its own seed.
        assert_ne!(seen[0].params.seed, seen[1].params.seed);
    }

    #[tokio::test]
    async fn runs_get_different_seeds_and_max_turns_ends_the_conversation() {
        let a = model(&["one", "two"]);
        let b = model(&["one"]);
        let mut first = LmCustomer::new(a.clone(), "s", &spec(1), 0);
        let mut second = LmCustomer::new(b.clone(), "s", &spec(1), 1);
        assert_eq!(first.opening().await.unwrap().as_deref(), Some("one"));
        second.opening().await.unwrap();
        assert_eq!(first.reply("next?").await.unwrap(), None);
        assert!(!first.ended_itself);
        assert_ne!(
            a.requests.lock().unwrap()[0].params.seed,
            b.requests.lock().unwrap()[0].params.seed
        );
    }

    #[tokio::test]
    async fn an_empty_message_is_sampled_again() {
        let m = model(&["Customer:  ", "I'd like to cancel an order."]);
        let mut c = LmCustomer::new(m.clone(), "s", &spec(5), 0);
        assert_eq!(
            c.opening().await.unwrap().as_deref(),
            Some("I'd like to cancel an order.")
        );
        let seen = m.requests.lock().unwrap();
        assert_ne!(seen[0].params.seed, seen[1].params.seed);
    }
}
