//! The scripted customer: reads only a task's `user_scenario` (never its expected actions) and
//! answers the bot from the scenario's facts by rules — identity, order numbers, the request in
//! the first person, payment wishes, addresses, and "yes" when the stated plan fits.

use regex::Regex;

pub struct ScriptedCustomer {
    emails: Vec<String>,
    name: Option<(String, String)>,
    zip: Option<String>,
    order_ids: Vec<String>,
    /// The request text in the first person, split into separate requests ("For #W1, …").
    requests: Vec<String>,
    current: usize,
    emails_given: usize,
    said_extra_before_confirm: bool,
    last_bot: String,
    last_answer: Option<String>,
    repeats: u32,
    turns: u32,
}

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

/// "You've ordered…" → "I've ordered…": the scenario in the customer's voice, without the
/// persona sentence ("You are shy, patient.") that says nothing about the request.
pub fn first_person(text: &str) -> String {
    let sentences = split_sentences(text);
    let kept: Vec<String> = sentences
        .into_iter()
        .filter(|s| {
            let t = s.trim_start();
            !(t.starts_with("You are ")
                || t.starts_with("You're very ")
                || t.starts_with("Your name is")
                || t.starts_with("Your name") && t.contains("zip"))
        })
        .collect();
    let mut out = kept.join(" ");
    // Instructions about "the agent" are said to the bot directly ("if you ask…").
    for (from, to) in [
        ("the customer service agent", "you"),
        ("The customer service agent", "You"),
        ("the agent", "you"),
        ("The agent", "You"),
    ] {
        out = out.replace(from, to);
    }
    for (from, to) in [
        ("You've", "I've"),
        ("you've", "I've"),
        ("You're", "I'm"),
        ("you're", "I'm"),
        ("You'd", "I'd"),
        ("you'd", "I'd"),
        ("You'll", "I'll"),
        ("you'll", "I'll"),
        ("yourself", "myself"),
        ("Your ", "My "),
        ("your ", "my "),
        ("You ", "I "),
        (" you ", " I "),
        (" you.", " me."),
        (" you,", " me,"),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// The simulator's own splitter, not the bot's: a simulator shares no code with the bot it tests.
fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut depth = 0i32;
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        let end = matches!(c, '.' | '!' | '?')
            && depth <= 0
            && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
            && !cur.trim_end().ends_with("e.g.");
        if end {
            out.push(cur.trim().to_string());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

impl ScriptedCustomer {
    pub fn new(scenario: &str) -> Self {
        let emails = re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
            .map(|r| {
                r.find_iter(scenario)
                    .map(|m| m.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let name = re(r"Your name is ([A-Z][\w'-]+) ([A-Z][\w'-]+)").and_then(|r| {
            r.captures(scenario)
                .map(|c| (c[1].to_string(), c[2].to_string()))
        });
        let zip = re(r"zip ?code is (\d{5})")
            .and_then(|r| r.captures(scenario).map(|c| c[1].to_string()));
        let mut order_ids: Vec<String> = Vec::new();
        if let Some(r) = re(r"#?\b(W\d{5,9})\b") {
            for c in r.captures_iter(scenario) {
                let id = format!("#{}", &c[1]);
                if !order_ids.contains(&id) {
                    order_ids.push(id);
                }
            }
        }
        let body = first_person(scenario);
        // Templated scenarios list one request per "For #W…," sentence; send them one by one.
        let mut requests: Vec<String> = Vec::new();
        for s in split_sentences(&body)
            .into_iter()
            .flat_map(|s| s.split("; ").map(str::to_string).collect::<Vec<_>>())
        {
            let starts_new =
                s.trim_start().starts_with("For #") || s.trim_start().starts_with("For the #");
            match requests.last_mut() {
                Some(last) if !starts_new => {
                    last.push(' ');
                    last.push_str(&s);
                }
                _ => requests.push(s),
            }
        }
        if requests.is_empty() {
            requests.push(body);
        }
        Self {
            emails,
            name,
            zip,
            order_ids,
            requests,
            current: 0,
            emails_given: 0,
            said_extra_before_confirm: false,
            last_bot: String::new(),
            last_answer: None,
            repeats: 0,
            turns: 0,
        }
    }

    fn identity(&mut self) -> String {
        if let Some(e) = self.emails.get(self.emails_given).cloned() {
            self.emails_given += 1;
            return format!("My email is {e}.");
        }
        match (&self.name, &self.zip) {
            (Some((f, l)), Some(z)) => format!("My name is {f} {l} and my zip code is {z}."),
            (Some((f, l)), None) => format!("My name is {f} {l}."),
            _ => "I don't know.".into(),
        }
    }

    fn request(&self) -> &str {
        self.requests
            .get(self.current)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The opening message: identity plus the first request.
    pub fn opening(&mut self) -> String {
        self.turns = 1;
        let id = self.identity();
        format!("Hi. {id} {}", self.request())
    }

    fn sentences_with(&self, words: &[&str]) -> Option<String> {
        let hits: Vec<String> = split_sentences(self.request())
            .into_iter()
            .filter(|s| {
                let l = s.to_lowercase();
                words.iter().any(|w| l.contains(w))
            })
            .collect();
        (!hits.is_empty()).then(|| hits.join(" "))
    }

    fn next_request(&mut self) -> Option<String> {
        self.current += 1;
        self.said_extra_before_confirm = false;
        self.requests.get(self.current).cloned()
    }

    /// The answer to the bot's reply; `None` ends the conversation (done, or going in circles:
    /// the same answer to the same question a third time).
    pub fn reply(&mut self, bot: &str) -> Option<String> {
        self.turns += 1;
        if self.turns > 24 {
            return None;
        }
        let answer = self.answer(bot);
        if bot == self.last_bot && answer == self.last_answer {
            self.repeats += 1;
            if self.repeats >= 2 {
                return None;
            }
        } else {
            self.repeats = 0;
        }
        self.last_bot = bot.to_string();
        self.last_answer = answer.clone();
        answer
    }

    fn answer(&mut self, bot: &str) -> Option<String> {
        // A reply that reports one request done and goes on with the next one asks about the
        // latest: answer its last paragraph.
        let b = bot.rsplit("\n\n").next().unwrap_or(bot).to_lowercase();
        if b.contains("here is what i will do") {
            let names_no_order = self
                .order_ids
                .iter()
                .all(|id| !b.contains(&id.to_lowercase()));
            if names_no_order && !self.order_ids.is_empty() {
                return Some(format!("No, I meant order {}.", self.order_ids[0]));
            }
            if !self.said_extra_before_confirm {
                self.said_extra_before_confirm = true;
                if let Some(extra) = self.sentences_with(&["confirm", "before confirming"]) {
                    if extra.to_lowercase().contains("also")
                        || extra.to_lowercase().contains("as well")
                    {
                        return Some(extra);
                    }
                }
            }
            return Some("Yes, please go ahead.".into());
        }
        if b.starts_with("done")
            || b.contains(" done:")
            || b.contains("haven't changed anything")
            || b.contains("couldn't do that")
            || b.contains("order ") && b.contains(" is ") && b.contains("items:")
        {
            return self.next_request();
        }
        if b.contains("passed your request") {
            return None;
        }
        if b.contains("couldn't find an account") || b.contains("verify your identity") {
            if self.emails_given >= self.emails.len()
                && b.contains("couldn't find")
                && self.name.is_none()
            {
                return None;
            }
            if b.contains("couldn't find")
                && self.emails_given >= self.emails.len()
                && self.emails_given > 0
                && self.name.is_some()
                && self.zip.is_some()
            {
                self.emails_given = usize::MAX / 2;
            }
            return Some(self.identity());
        }
        if b.contains("postcode") {
            return self.zip.clone().map(|z| format!("My zip code is {z}."));
        }
        if b.contains("reason for the cancellation") {
            let l = self.request().to_lowercase();
            let mistake = ["mistake", "accident"].iter().any(|w| l.contains(w));
            return Some(
                if mistake {
                    "I ordered it by mistake."
                } else {
                    "I no longer need it."
                }
                .into(),
            );
        }
        if b.contains("which payment method") {
            return Some(
                self.sentences_with(&[
                    "paypal",
                    "gift card",
                    "credit card",
                    "gc",
                    "website credit",
                    "store credit",
                    "refund to",
                    "refund via",
                    "pay or refund",
                    "payment",
                ])
                .unwrap_or_else(|| "I don't mind, the original payment method is fine.".into()),
            );
        }
        if b.contains("new address") {
            return self.sentences_with(&["address"]);
        }
        if b.contains("which order") || b.contains("can't find order") {
            if let Some(id) = self
                .order_ids
                .iter()
                .find(|id| self.request().contains(id.as_str()))
                .or(self.order_ids.first())
            {
                return Some(format!("It's order {id}. {}", self.request()));
            }
            return Some(self.request().to_string());
        }
        if b.contains("which items") || b.contains("which option") || b.contains("out of stock") {
            return Some(self.request().to_string());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "Your name is Olivia Ito and your zip code is 80218. You are outgoing, flexible. For #W5442520, change payment to paypal_8049766. For #W7941031, exchange Wristwatch {'strap material': 'leather'} to {'strap material': 'silicone'}; ";

    #[test]
    fn extracts_facts_and_requests() {
        let mut c = ScriptedCustomer::new(S);
        assert_eq!(
            c.order_ids,
            vec!["#W5442520".to_string(), "#W7941031".to_string()]
        );
        let open = c.opening();
        assert!(
            open.contains("My name is Olivia Ito and my zip code is 80218")
                && open.contains("paypal_8049766")
                && !open.contains("outgoing"),
            "{open}"
        );
        assert!(!open.contains("Wristwatch"));
        assert_eq!(
            c.reply("Here is what I will do: pay order #W5442520 with paypal. Shall I go ahead?")
                .as_deref(),
            Some("Yes, please go ahead.")
        );
        let next = c
            .reply("Done: pay order #W5442520 with paypal.")
            .unwrap_or_default();
        assert!(
            next.contains("Wristwatch") && next.contains("#W7941031"),
            "{next}"
        );
        assert_eq!(c.reply("Done: exchange."), None);
    }

    #[test]
    fn answers_questions_from_the_scenario() {
        let mut c = ScriptedCustomer::new("Your name is Omar Lopez and your email is omar@example.com. You want a refund via paypal for the mouse.");
        assert!(c.opening().contains("My email is omar@example.com"));
        assert!(c
            .reply("Which payment method should be used? Yours: …")
            .unwrap_or_default()
            .contains("paypal"));
        assert!(c
            .reply(
                "What is the reason for the cancellation: no longer needed / ordered by mistake?"
            )
            .unwrap_or_default()
            .contains("no longer need"));
        assert_eq!(c.reply("Something unrelated"), None);
    }
}
