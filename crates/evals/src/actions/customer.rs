//! The scripted customer: reads only a task's `user_scenario` (never its expected actions) and
//! answers the bot by rules from the scenario's facts. It reacts to the reply's **structured
//! fields** only — `awaiting` (the slot the bot asks for next), `pending_action` (the write the
//! bot proposes and waits to have confirmed) and the actions executed — never to the reply's
//! wording, and it shares no code, word list or template string with the bot: its sentence
//! splitter, pronoun rewriting and payment vocabulary are its own.
//!
//! Scenario styles it reads: second person ("Your name is Jane Doe and your zip code is 12345.
//! You want…"), "You are Jane Doe in 12345", and third person ("The customer, Jane Doe (zip
//! 12345), wants…", "Jane Doe's email is … She wants…").

use super::patterns::{cached as re, pattern};
use frontdesk_core::conversation::{ExecutedAction, PendingAction, Slot};
use regex::Regex;
use std::sync::OnceLock;

/// What the customer sees of a bot reply: its structured fields, never its text.
#[derive(Debug, Clone, Default)]
pub struct BotReply {
    pub pending_action: Option<PendingAction>,
    pub awaiting: Option<Slot>,
    pub executed: Vec<ExecutedAction>,
}

/// Something the scenario says to bring up only when the bot proposes the plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Afterthought {
    /// "Before confirming, also return the lamp": said instead of the first yes.
    Add(String),
    /// A change of mind: what is wanted instead of the first plan.
    Change(String),
    /// A change of mind: the request is dropped.
    Drop,
}

/// One thing the customer wants done, in the customer's own voice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// What the customer says for it (first person).
    pub text: String,
    /// Order numbers it names, as `#W…`.
    pub order_ids: Vec<String>,
    /// Payment method ids it names (`paypal_123…`).
    pub payment_ids: Vec<String>,
    /// What the scenario says about paying or being refunded, in the first person.
    pub payment_wish: Option<String>,
    /// The option values wanted for an exchange (`'silicone'`, `'1.5L'`).
    pub targets: Vec<String>,
    /// Item names a return lists ("Return #W… via …: Tablet; Laptop;").
    pub items: Vec<String>,
    pub afterthought: Option<Afterthought>,
    /// The order was placed by mistake (the cancellation reason).
    pub by_mistake: bool,
}

/// The facts read from a scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scenario {
    pub name: Option<(String, String)>,
    pub zip: Option<String>,
    pub emails: Vec<String>,
    pub order_ids: Vec<String>,
    pub requests: Vec<Request>,
    /// The scenario asks for a person (a supervisor, a human).
    pub wants_person: bool,
}

pub struct ScriptedCustomer {
    scenario: Scenario,
    current: usize,
    emails_given: usize,
    name_given: bool,
    /// The current request's afterthought has been said.
    afterthought_used: bool,
    /// The current request was restated once after a reply that asked nothing.
    restated: bool,
    /// The current request was dropped (change of mind): move on at the next quiet reply.
    dropped: bool,
    /// The order ids already offered for the current request.
    orders_given: usize,
    last: Option<(Option<Slot>, Option<String>)>,
    repeats: u32,
    turns: u32,
}

pattern!(email_re, r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}");
pattern!(order_re, r"#?\b(W\d{5,9})\b");
pattern!(payment_id_re, r"\b((?:[a-z]+_)+\d{4,})\b");
pattern!(
    zip_re,
    r"(?i)\b(?:zip|post|postal)[ -]?(?:code)?\s*(?:is|:|of|=|number is)?\s*(\d{5})\b"
);
pattern!(
    zip_place_re,
    r"(?i)\b(?:in|from|at|lives in|living in|based in)\s+(?:zip\s+)?(\d{5})\b"
);
pattern!(
    persona_re,
    r"^(?:You are|You're|The customer is|She is|He is|They are|[A-Z][a-z]+ is)\s+(?:(?:very|quite|rather|a bit|somewhat|generally|usually|fairly)\s+)?[a-z]+(?:\s*,\s*(?:(?:very|quite|rather|and)\s+)?[a-z]+)*(?:,?\s+and\s+(?:(?:very|quite)\s+)?[a-z]+)?\s*[.!]?$"
);
pattern!(
    mind_re,
    r"(?i)^(.*?),?\s*\bbut\b.*?\bchanges? (?:my|your|her|his|their) mind\b(?:\s+and)?\s*(.*)$"
);

const NOT_NAMES: &[&str] = &[
    "The", "For", "You", "Your", "If", "Return", "Cancel", "Her", "His", "She", "He", "They",
    "This", "Customer", "Order", "Hi", "Hello", "Dear", "When", "After", "Before",
];

fn name_from(scenario: &str) -> Option<(String, String)> {
    static CELL: OnceLock<Vec<Regex>> = OnceLock::new();
    let pats = CELL.get_or_init(|| {
        [
            r"(?i:name is|named|called)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)",
            r"(?:You are|You're|I am|I'm|This is)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)",
            r"(?i:the customer|customer|shopper)(?: is)?,?\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)",
            r"\b([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s*[(,]\s*(?i:zip|post|postal|e-?mail)",
            r"\b([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)(?:'s)?\s+(?i:lives|zip|post|postal|e-?mail|is a customer|is the customer|has an account)",
            r"^\s*([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\s+([A-Z][a-z]+(?:['-][A-Za-z][a-z]+)?)\b",
        ]
        .iter()
        .filter_map(|p| Regex::new(p).ok())
        .collect()
    });
    pats.iter().find_map(|r| {
        r.captures_iter(scenario).find_map(|c| {
            let (f, l) = (c[1].to_string(), c[2].to_string());
            (!NOT_NAMES.contains(&f.as_str()) && !NOT_NAMES.contains(&l.as_str())).then_some((f, l))
        })
    })
}

fn zip_from(scenario: &str) -> Option<String> {
    zip_re()
        .captures(scenario)
        .or_else(|| zip_place_re().captures(scenario))
        .map(|c| c[1].to_string())
}

fn ids(re: &Regex, text: &str, hash: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in re.captures_iter(text) {
        let m = c.get(1).or_else(|| c.get(0)).map_or("", |m| m.as_str());
        let id = if hash { format!("#{m}") } else { m.to_string() };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// The customer's own sentence splitter: ends at `.`, `!`, `?` followed by a space or the end,
/// outside brackets and quotes-in-braces, not after "e.g.".
pub fn split_sentences(text: &str) -> Vec<String> {
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
            && !cur.trim_end().ends_with("e.g.")
            && !cur.trim_end().ends_with("i.e.");
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

/// Whose voice the scenario is written in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Voice {
    Second,
    Third,
}

fn words_lower(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn voice_of(text: &str) -> Voice {
    let w = words_lower(text);
    let second = w
        .iter()
        .filter(|w| {
            matches!(
                w.as_str(),
                "you" | "your" | "you're" | "you've" | "you'd" | "you'll" | "yourself"
            )
        })
        .count();
    let third = w
        .iter()
        .filter(|w| {
            matches!(
                w.as_str(),
                "she" | "he" | "her" | "his" | "him" | "customer" | "customer's" | "she's" | "he's"
            )
        })
        .count();
    if third > second || second == 0 {
        Voice::Third
    } else {
        Voice::Second
    }
}

/// Words after which "you" is an object ("tell you", "for you").
const OBJECT_AFTER: &[&str] = &[
    "to",
    "for",
    "with",
    "tell",
    "told",
    "ask",
    "asked",
    "asks",
    "give",
    "gave",
    "send",
    "sent",
    "help",
    "helped",
    "contact",
    "contacted",
    "emailed",
    "called",
    "let",
    "charged",
    "offer",
    "offered",
    "refunded",
    "at",
    "from",
    "about",
    "than",
    "show",
    "remind",
    "unsubscribe",
    "assure",
    "reassure",
    "convince",
    "thank",
    "by",
    "of",
    "on",
];
/// Words after which "you" is a subject ("and you want", "that you ordered").
const SUBJECT_AFTER: &[&str] = &[
    "and", "but", "so", "that", "if", "when", "because", "since", "as", "unless", "until", "once",
    "while", "where", "which", "what", "how", "why", "whether", "then", "though", "although", "or",
    "before", "after", "now", "also", "thus", "hence",
];
/// Words after which "you" is an object ("reached you yet", "give you a").
const OBJECT_BEFORE: &[&str] = &[
    "yet", "again", "too", "back", "a", "an", "the", "up", "off", "earlier", "already",
];
/// Third-person verbs that follow "and" / "but" / a comma with the customer as their subject.
const CUSTOMER_VERBS: &[&str] = &[
    "wants",
    "needs",
    "decides",
    "asks",
    "prefers",
    "insists",
    "realises",
    "realizes",
    "says",
    "hopes",
    "likes",
    "plans",
    "cancels",
    "goes",
    "tries",
    "hesitates",
    "settles",
    "chooses",
    "picks",
    "expects",
    "demands",
    "would",
    "thinks",
    "feels",
    "knows",
    "remembers",
    "forgets",
];
/// Adverbs that may stand between "I" and its verb.
const ADVERBS: &[&str] = &[
    "also",
    "really",
    "just",
    "still",
    "now",
    "then",
    "only",
    "actually",
    "always",
    "never",
    "eventually",
    "finally",
    "initially",
    "first",
    "later",
    "simply",
    "definitely",
    "strongly",
];
const AGENT: &str = "\u{1}";

/// The scenario sentence in the customer's own voice: "You've ordered" / "She has ordered" →
/// "I've ordered" / "I have ordered"; the agent it talks about becomes "you".
fn first_person(sentence: &str, voice: Voice, name: Option<&(String, String)>) -> String {
    let mut s = sentence.to_string();
    static AGENT_RE: OnceLock<Regex> = OnceLock::new();
    let agent_re = re(
        &AGENT_RE,
        r"(?i)\b(?:the |a )?(?:customer service|customer support|support|service) (?:agent|representative|rep)s?\b|\b(?:the|a) (?:agent|representative|assistant|bot|chatbot)\b",
    );
    s = agent_re.replace_all(&s, AGENT).into_owned();
    if voice == Voice::Third {
        static CUST_RE: OnceLock<Regex> = OnceLock::new();
        let cust_re = re(&CUST_RE, r"(?i)\bthe (?:customer|shopper|user)('s)?");
        s = cust_re
            .replace_all(
                &s,
                |c: &regex::Captures| {
                    if c.get(1).is_some() {
                        "my"
                    } else {
                        "I"
                    }
                },
            )
            .into_owned();
        if let Some((f, l)) = name {
            for n in [format!("{f} {l}"), f.clone()] {
                s = s.replace(&format!("{n}'s"), "my").replace(&n, "I");
            }
        }
    }
    // Token pass over words and the separators between them.
    let mut out = String::new();
    let mut prev_word = String::new();
    let mut tokens: Vec<(bool, String)> = Vec::new();
    let mut cur = String::new();
    let mut cur_is_word = false;
    for c in s.chars() {
        let is_word = c.is_alphanumeric() || c == '\'' || c == '\u{1}';
        if is_word != cur_is_word && !cur.is_empty() {
            tokens.push((cur_is_word, std::mem::take(&mut cur)));
        }
        cur_is_word = is_word;
        cur.push(c);
    }
    if !cur.is_empty() {
        tokens.push((cur_is_word, cur));
    }
    let n = tokens.len();
    for i in 0..n {
        let (is_word, tok) = &tokens[i];
        if !is_word {
            out.push_str(tok);
            continue;
        }
        let low = tok.to_lowercase();
        let next_word = tokens[i + 1..]
            .iter()
            .find(|(w, _)| *w)
            .map(|(_, t)| t.to_lowercase())
            .unwrap_or_default();
        let sep_after = tokens.get(i + 1).map(|(_, t)| t.as_str()).unwrap_or("");
        let ends_clause = sep_after
            .trim_start()
            .starts_with(['.', ',', '!', '?', ';'])
            || i + 1 >= n;
        let object_pos = OBJECT_AFTER.contains(&prev_word.as_str())
            || !prev_word.is_empty()
                && !SUBJECT_AFTER.contains(&prev_word.as_str())
                && (ends_clause || OBJECT_BEFORE.contains(&next_word.as_str()));
        let rep: Option<&str> = match (voice, low.as_str()) {
            (Voice::Second, "you") if object_pos => Some("me"),
            (Voice::Second, "you") => Some("I"),
            (Voice::Second, "your") => Some("my"),
            (Voice::Second, "yours") => Some("mine"),
            (Voice::Second, "yourself") => Some("myself"),
            (Voice::Second, "you're") => Some("I'm"),
            (Voice::Second, "you've") => Some("I've"),
            (Voice::Second, "you'd") => Some("I'd"),
            (Voice::Second, "you'll") => Some("I'll"),
            (Voice::Third, "she" | "he") => Some("I"),
            (Voice::Third, "she's" | "he's") => Some("I'm"),
            (Voice::Third, "she'd" | "he'd") => Some("I'd"),
            (Voice::Third, "she'll" | "he'll") => Some("I'll"),
            (Voice::Third, "his") => Some("my"),
            (Voice::Third, "him") => Some("me"),
            (Voice::Third, "herself" | "himself") => Some("myself"),
            (Voice::Third, "her") => {
                if ends_clause
                    || matches!(
                        next_word.as_str(),
                        "to" | "for"
                            | "if"
                            | "that"
                            | "and"
                            | "with"
                            | "about"
                            | "again"
                            | "a"
                            | "an"
                            | "the"
                    )
                {
                    Some("me")
                } else {
                    Some("my")
                }
            }
            _ => None,
        };
        let word = match rep {
            Some(r) => r.to_string(),
            None => tok.clone(),
        };
        out.push_str(&word);
        prev_word = word.to_lowercase();
    }
    let mut s = out.replace(AGENT, "you");
    // Agreement: "I are" / "I is" → "I am", third-person verbs after "I" lose their -s.
    static AGREE_RE: OnceLock<Regex> = OnceLock::new();
    let agree = AGREE_RE.get_or_init(|| {
        Regex::new(&format!(
            r"\b(I|you)((?: (?:{}))?) ([a-z']+)\b",
            ADVERBS.join("|")
        ))
        .expect("the agreement pattern compiles")
    });
    s = agree
        .replace_all(&s, |c: &regex::Captures| {
            let subj = &c[1];
            let mid = &c[2];
            let verb = &c[3];
            let fixed = match (subj, verb) {
                ("I", "are" | "is") => "am".to_string(),
                ("I", "were") => "was".to_string(),
                ("I", "has") | ("you", "has") => "have".to_string(),
                ("I", "does") | ("you", "does") => "do".to_string(),
                ("I", "doesn't") | ("you", "doesn't") => "don't".to_string(),
                ("I", "hasn't") | ("you", "hasn't") => "haven't".to_string(),
                ("I", "isn't" | "aren't") => "am not".to_string(),
                (_, "was" | "is" | "always" | "this" | "us" | "yes" | "thus" | "perhaps") => {
                    verb.to_string()
                }
                (_, v) if voice == Voice::Third || subj == "you" => desuffix(v),
                (_, v) => v.to_string(),
            };
            format!("{subj}{mid} {fixed}")
        })
        .into_owned();
    if voice == Voice::Third {
        static AND_RE: OnceLock<Regex> = OnceLock::new();
        let and_re = AND_RE.get_or_init(|| {
            Regex::new(&format!(
                r"(\b(?:and|but|then|or)|,) ((?:(?:{}) )?)({})\b",
                ADVERBS.join("|"),
                CUSTOMER_VERBS.join("|")
            ))
            .expect("the verb pattern compiles")
        });
        s = and_re
            .replace_all(&s, |c: &regex::Captures| {
                format!("{} {}{}", &c[1], &c[2], desuffix(&c[3]))
            })
            .into_owned();
    }
    // Instructions to the actor ("Tell you that I'm unhappy", "Emphasize that I want") become
    // what they ask to say.
    static SAY_RE: OnceLock<Regex> = OnceLock::new();
    let say = re(
        &SAY_RE,
        r"^(?:(?:Tell|Say to|Mention to|Explain to|Remind) you,? (?:that )?|(?:Emphasize|Mention|Say|Explain|Insist|Stress|State|Point out|Complain)(?: to you)?,? (?:that )?)",
    );
    s = say.replace(&s, "").into_owned();
    capitalize(s.trim())
}

/// "wants" → "want", "tries" → "try", "wishes" → "wish".
fn desuffix(v: &str) -> String {
    if v.len() <= 3 || !v.ends_with('s') || v.ends_with("ss") || v.ends_with("us") {
        return v.to_string();
    }
    if let Some(stem) = v.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for end in ["shes", "ches", "xes", "zes", "sses", "oes"] {
        if v.ends_with(end) {
            return v[..v.len() - 2].to_string();
        }
    }
    v[..v.len() - 1].to_string()
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Words that carry no request: what is left of a sentence that only introduces the customer.
const IDENTITY_FILLER: &[&str] = &[
    "your",
    "my",
    "her",
    "his",
    "their",
    "name",
    "names",
    "is",
    "are",
    "am",
    "and",
    "zip",
    "code",
    "zipcode",
    "postcode",
    "postal",
    "post",
    "email",
    "e",
    "mail",
    "emails",
    "address",
    "addresses",
    "addressed",
    "you",
    "you're",
    "i",
    "i'm",
    "the",
    "customer",
    "customer's",
    "in",
    "from",
    "at",
    "lives",
    "living",
    "based",
    "with",
    "a",
    "an",
    "of",
    "this",
    "has",
    "have",
    "multiple",
    "several",
    "named",
    "called",
    "she",
    "he",
    "they",
    "s",
    "number",
    "account",
    "registered",
    "under",
    "uses",
    "use",
    "hi",
    "hello",
    "shopper",
    "whose",
    "which",
    "who",
    "also",
    "known",
    "as",
    "on",
    "file",
    "it",
    "its",
    "it's",
    "or",
    "one",
    "two",
    "three",
    "four",
    "following",
    "used",
    "may",
    "might",
    "either",
    "for",
    "both",
    "any",
    "those",
    "these",
    "different",
];

fn strip_identity(sentence: &str, sc: &Scenario) -> String {
    let mut s = email_re().replace_all(sentence, " ").into_owned();
    if let Some((f, l)) = &sc.name {
        s = s.replace(&format!("{f} {l}"), " \u{2}NAME ");
    }
    if let Some(z) = &sc.zip {
        s = s.replace(z.as_str(), " ");
    }
    s
}

fn is_identity_only(sentence: &str, sc: &Scenario) -> bool {
    let s = strip_identity(sentence, sc);
    let stripped_something = s != sentence;
    stripped_something
        && words_lower(&s.replace("\u{2}NAME", ""))
            .iter()
            .all(|w| IDENTITY_FILLER.contains(&w.as_str()))
}

/// Removes a name/zip/e-mail apposition from a sentence that also carries a request:
/// "The customer, Jane Doe (zip 12345), wants…" → "The customer wants…".
fn drop_apposition(sentence: &str, sc: &Scenario) -> String {
    let Some((f, l)) = &sc.name else {
        return sentence.to_string();
    };
    let full = regex::escape(&format!("{f} {l}"));
    let Ok(r) = Regex::new(&format!(
        r"(?i),?\s*{full}\s*(?:\([^)]*\))?\s*(?:,\s*(?:zip(?: code)?|e-?mail|postcode)[^,]*)?,"
    )) else {
        return sentence.to_string();
    };
    let s = r
        .replace_all(sentence, |c: &regex::Captures| {
            if c.get(0).is_some_and(|m| m.start() == 0) {
                format!("{f} {l} ")
            } else {
                String::new()
            }
        })
        .into_owned();
    // "You are Jane Doe in 12345 and you want…" → "you want…".
    let Ok(intro) = Regex::new(&format!(
        r"(?i)^(?:you are|you're|this is|i am|i'm)\s+{full}(?:\s+(?:in|from|at)\s+\d{{5}})?(?:\s*\([^)]*\))?\s*(?:,|and)?\s*"
    )) else {
        return s;
    };
    let s = intro.replace(&s, "").into_owned();
    let paren = Regex::new(r"\s*\([^)]*(?:zip|@|e-?mail|postcode)[^)]*\)")
        .map(|r| r.replace_all(&s, "").into_owned())
        .unwrap_or(s);
    capitalize(&paren.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn is_conditional(sentence: &str) -> bool {
    let l = sentence.to_lowercase();
    ["if ", "when ", "once ", "in case ", "should "]
        .iter()
        .any(|w| l.starts_with(w))
}

/// The condition clause ("If you ask for X, " / "But before confirming, ") taken off.
fn without_condition(sentence: &str) -> String {
    let l = sentence.to_lowercase();
    let conditional = is_conditional(sentence)
        || ["but before", "before ", "but when", "but if", "after "]
            .iter()
            .any(|w| l.starts_with(w));
    let s = match (conditional, sentence.find(',')) {
        (true, Some(i)) => sentence[i + 1..].trim().to_string(),
        _ => sentence.to_string(),
    };
    static DECIDE_RE: OnceLock<Regex> = OnceLock::new();
    let decide = re(
        &DECIDE_RE,
        r"^(?i:(?:I )?(?:decide|choose|ask|request) to )",
    );
    static SAY_RE: OnceLock<Regex> = OnceLock::new();
    let say = re(
        &SAY_RE,
        r"^(?i:(?:mention|say|tell you|explain|add|point out)(?: to you)?(?: that)? )",
    );
    let s = if decide.is_match(&s) {
        format!("I want to {}", decide.replace(&s, ""))
    } else {
        say.replace(&s, "").into_owned()
    };
    capitalize(&s)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !s.starts_with("I ") => f.to_lowercase().chain(c).collect(),
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}

/// Generic English names of ways to pay, as the customer understands them. A wish names a kind
/// by its words ("gift card") or their initials ("GC").
const PAYMENT_KINDS: &[&str] = &["paypal", "credit card", "gift card", "debit card", "bank"];

fn mentions_payment(sentence: &str) -> bool {
    static DICT_RE: OnceLock<Regex> = OnceLock::new();
    let sentence = &re(&DICT_RE, r"\{[^}]*\}").replace_all(sentence, " ");
    let w = words_lower(sentence);
    payment_id_re().is_match(sentence)
        || wished_kind(sentence).is_some()
        || w.iter()
            .any(|w| matches!(w.as_str(), "payment" | "paypal" | "card" | "credit"))
}

/// The way to pay a wish names first: "I prefer paypal than GC" → "paypal".
fn wished_kind(wish: &str) -> Option<String> {
    let l = format!(
        " {} ",
        wish.to_lowercase().replace(['.', ',', ';', '!'], " ")
    );
    PAYMENT_KINDS
        .iter()
        .filter_map(|k| {
            let initials: String = k.split(' ').filter_map(|p| p.chars().next()).collect();
            let at = l.find(&format!(" {k}")).or_else(|| {
                (initials.len() > 1)
                    .then(|| l.find(&format!(" {initials} ")))
                    .flatten()
            });
            at.map(|a| (a, k.replace(' ', "_")))
        })
        .min()
        .map(|(_, k)| k)
}

/// The option values a request wants: the quoted values after " to " in an exchange, or any
/// quoted value when there is no " to {".
fn targets_of(text: &str) -> Vec<String> {
    let part = match text.find(" to {") {
        Some(i) => &text[i..],
        None if text.contains('{') => return Vec::new(),
        None => text,
    };
    let part = part.split('}').next().unwrap_or(part);
    let mut out = Vec::new();
    let dict = part.contains('{');
    for (v, end) in quoted(part) {
        // In a dict, keys and values alternate: keep the values.
        if dict && part[end..].trim_start().starts_with(':') {
            continue;
        }
        out.push(v);
    }
    out
}

/// Values in single quotes (not apostrophes inside words), with the byte offset after each.
fn quoted(text: &str) -> Vec<(String, usize)> {
    let b: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let (at, c) = b[i];
        let opens = c == '\''
            && (i == 0 || !b[i - 1].1.is_alphanumeric())
            && b.get(i + 1).is_some_and(|n| !n.1.is_whitespace());
        if opens {
            let close = (i + 1..b.len())
                .find(|&j| b[j].1 == '\'' && b.get(j + 1).is_none_or(|n| !n.1.is_alphanumeric()));
            if let Some(j) = close {
                out.push((text[at + 1..b[j].0].to_string(), b[j].0 + 1));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Item names of a listed return: "Return #W1 via x: Tablet; Water Bottle {…};".
fn listed_items(text: &str) -> Vec<String> {
    let Some(i) = text.find(": ") else {
        return Vec::new();
    };
    let head = text[..i].to_lowercase();
    if !head.contains("return") || !order_re().is_match(&head.to_uppercase()) {
        return Vec::new();
    }
    text[i + 2..]
        .split(';')
        .map(|p| p.split('{').next().unwrap_or("").trim().to_string())
        .filter(|p| !p.is_empty() && p.chars().next().is_some_and(|c| c.is_uppercase()))
        .collect()
}

fn mind_change(sentence: &str) -> Option<(String, Afterthought)> {
    let c = mind_re().captures(sentence)?;
    let before = c[1].trim().trim_end_matches(',').to_string();
    static INIT_RE: OnceLock<Regex> = OnceLock::new();
    let init = re(
        &INIT_RE,
        r"(?i)\b(?:initially|at first|first)\s+(?:I\s+)?(?:decide to\s+)?",
    );
    let before = capitalize(init.replace(&before, "").trim());
    let after = c[2].trim().trim_end_matches('.').to_string();
    static DECIDE_RE: OnceLock<Regex> = OnceLock::new();
    let decide = re(&DECIDE_RE, r"^(?i:(?:I )?(?:decide|choose|want) to )");
    let after = decide.replace(&after, "").into_owned();
    let w = words_lower(&after);
    let drop = w
        .iter()
        .any(|w| matches!(w.as_str(), "not" | "keep" | "don't" | "won't" | "no"));
    let thought = if drop {
        Afterthought::Drop
    } else {
        Afterthought::Change(format!(
            "I want to {} instead.",
            lower_first(after.trim_end_matches(" instead"))
        ))
    };
    Some((before, thought))
}

/// A sentence opens a new request when it names an order within its first words and the
/// request so far already has an order.
fn opens_request(sentence: &str) -> bool {
    sentence
        .split_whitespace()
        .take(4)
        .any(|w| order_re().is_match(w))
}

impl Scenario {
    pub fn parse(text: &str) -> Scenario {
        let mut sc = Scenario {
            emails: ids(email_re(), text, false)
                .into_iter()
                .map(|e| e.trim_end_matches('.').to_string())
                .collect(),
            name: name_from(text),
            zip: zip_from(text),
            order_ids: ids(order_re(), text, true),
            requests: Vec::new(),
            wants_person: words_lower(text).iter().any(|w| {
                matches!(
                    w.as_str(),
                    "supervisor" | "manager" | "human" | "person" | "someone"
                )
            }),
        };
        let voice = voice_of(text);
        let mut requests: Vec<Request> = Vec::new();
        let mut scenario_wish: Option<String> = None;
        for raw in split_sentences(text) {
            if persona_re().is_match(raw.trim()) || is_identity_only(&raw, &sc) {
                continue;
            }
            if raw.split_whitespace().count() < 3 && !order_re().is_match(&raw) {
                continue;
            }
            let raw = drop_apposition(&raw, &sc);
            if raw.is_empty() {
                continue;
            }
            // Templated scenarios put several requests in one sentence, split by "; ".
            let pieces: Vec<String> = raw.split("; ").map(str::to_string).collect();
            for piece in pieces {
                let s = first_person(&piece, voice, sc.name.as_ref());
                if s.trim().is_empty() {
                    continue;
                }
                let new = opens_request(&s)
                    && requests
                        .last()
                        .is_some_and(|r| order_re().is_match(&r.text));
                if new || requests.is_empty() {
                    requests.push(Request::default());
                }
                let Some(req) = requests.last_mut() else {
                    continue;
                };
                let low = s.to_lowercase();
                if let Some((before, thought)) = mind_change(&s) {
                    req.afterthought = Some(thought);
                    push_text(&mut req.text, &before);
                } else if low.contains("confirm") {
                    req.afterthought = Some(Afterthought::Add(format!(
                        "Actually, {}",
                        lower_first(&without_condition(&s))
                    )));
                } else if is_conditional(&s) && mentions_payment(&s) {
                    let wish = without_condition(&s);
                    req.payment_wish = Some(wish.clone());
                    scenario_wish = Some(wish);
                } else {
                    if mentions_payment(&s)
                        && (req.payment_wish.is_none() || wished_kind(&s).is_some())
                    {
                        req.payment_wish = Some(s.clone());
                        if !order_re().is_match(&s) {
                            scenario_wish = Some(s.clone());
                        }
                    }
                    push_text(&mut req.text, &s);
                }
            }
        }
        for r in &mut requests {
            r.order_ids = ids(order_re(), &r.text, true);
            r.payment_ids = ids(payment_id_re(), &r.text, false);
            if let Some(w) = &r.payment_wish {
                for id in ids(payment_id_re(), w, false) {
                    if !r.payment_ids.contains(&id) {
                        r.payment_ids.push(id);
                    }
                }
            }
            r.targets = match &r.afterthought {
                Some(Afterthought::Change(t)) => targets_of(t),
                _ => targets_of(&r.text),
            };
            r.items = listed_items(&r.text);
            let l = r.text.to_lowercase();
            r.by_mistake = [
                "mistake",
                "accident",
                "by error",
                "wrong order",
                "unintention",
            ]
            .iter()
            .any(|w| l.contains(w));
        }
        // A request that says nothing about paying takes the wish of an earlier request on the
        // same order, else the scenario's general wish.
        for i in 0..requests.len() {
            if !requests[i].payment_ids.is_empty() || requests[i].payment_wish.is_some() {
                continue;
            }
            let order = requests[i].order_ids.first().cloned();
            let earlier = requests[..i]
                .iter()
                .rev()
                .find(|p| {
                    order.is_some()
                        && p.order_ids.first() == order.as_ref()
                        && (!p.payment_ids.is_empty() || p.payment_wish.is_some())
                })
                .map(|p| (p.payment_ids.clone(), p.payment_wish.clone()));
            match earlier {
                Some((ids, wish)) => {
                    requests[i].payment_ids = ids;
                    requests[i].payment_wish = wish;
                }
                None => requests[i].payment_wish = scenario_wish.clone(),
            }
        }
        requests.retain(|r| !r.text.trim().is_empty() || r.afterthought.is_some());
        sc.requests = requests;
        sc
    }
}

fn push_text(text: &mut String, s: &str) {
    if s.trim().is_empty() {
        return;
    }
    if !text.is_empty() {
        let joined_piece = !text.trim_end().ends_with(['.', '!', '?']);
        text.push_str(if joined_piece { "; " } else { " " });
    }
    text.push_str(s.trim());
}

impl ScriptedCustomer {
    pub fn new(scenario: &str) -> Self {
        Self {
            scenario: Scenario::parse(scenario),
            current: 0,
            emails_given: 0,
            name_given: false,
            afterthought_used: false,
            restated: false,
            dropped: false,
            orders_given: 0,
            last: None,
            repeats: 0,
            turns: 0,
        }
    }

    /// What the customer read from its scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn request(&self) -> Option<&Request> {
        self.scenario
            .requests
            .get(self.current)
            .or(self.scenario.requests.last())
    }

    fn request_text(&self) -> String {
        self.request().map(|r| r.text.clone()).unwrap_or_default()
    }

    /// The next identity fact to give, or `None` when all are used up.
    fn identity(&mut self) -> Option<String> {
        if let Some(e) = self.scenario.emails.get(self.emails_given).cloned() {
            self.emails_given += 1;
            return Some(format!("My email is {e}."));
        }
        if self.name_given {
            return None;
        }
        self.name_given = true;
        match (&self.scenario.name, &self.scenario.zip) {
            (Some((f, l)), Some(z)) => Some(format!("I'm {f} {l}, zip code {z}.")),
            (Some((f, l)), None) => Some(format!("I'm {f} {l}.")),
            (None, Some(z)) => Some(format!("My zip code is {z}.")),
            (None, None) => None,
        }
    }

    /// The opening message: identity plus the first request.
    pub fn opening(&mut self) -> String {
        self.turns = 1;
        let id = self.identity().unwrap_or_default();
        format!("Hi. {id} {}", self.request_text())
            .trim()
            .to_string()
    }

    fn next_request(&mut self) -> Option<String> {
        self.current += 1;
        self.afterthought_used = false;
        self.restated = false;
        self.dropped = false;
        self.orders_given = 0;
        self.scenario
            .requests
            .get(self.current)
            .map(|r| r.text.clone())
    }

    /// The answer to the bot's reply; `None` ends the conversation (nothing left to ask, or going
    /// in circles: the same answer to the same slot a third time).
    pub fn reply(&mut self, bot: &BotReply) -> Option<String> {
        self.turns += 1;
        if self.turns > 24 {
            return None;
        }
        let answer = self.answer(bot);
        let key = (bot.awaiting, answer.clone());
        if self.last.as_ref() == Some(&key) {
            self.repeats += 1;
            if self.repeats >= 2 {
                return None;
            }
        } else {
            self.repeats = 0;
        }
        self.last = Some(key);
        answer
    }

    fn answer(&mut self, bot: &BotReply) -> Option<String> {
        if !bot.executed.is_empty() && self.current < self.scenario.requests.len() {
            // The current request is done; a reply that already asks for something more
            // belongs to the next one.
            let next = self.next_request();
            if bot.awaiting.is_none() && bot.pending_action.is_none() {
                return next;
            }
        }
        match (bot.awaiting, &bot.pending_action) {
            (_, Some(plan)) => Some(self.judge(plan)),
            (Some(slot), None) => self.fill(slot),
            (None, None) => {
                if self.current >= self.scenario.requests.len() {
                    return None;
                }
                if self.dropped || self.restated {
                    return self.next_request();
                }
                self.restated = true;
                Some(self.request_text())
            }
        }
    }

    /// An answer for the slot the bot asks for.
    fn fill(&mut self, slot: Slot) -> Option<String> {
        let req = self.request().cloned().unwrap_or_default();
        match slot {
            Slot::Identity => self.identity(),
            Slot::Order => {
                let ids = if req.order_ids.is_empty() {
                    self.scenario.order_ids.clone()
                } else {
                    req.order_ids.clone()
                };
                match ids.get(self.orders_given) {
                    Some(id) => {
                        self.orders_given += 1;
                        Some(format!("It's order {id}."))
                    }
                    None if self.orders_given == 0 => Some(req.text),
                    None => None,
                }
            }
            Slot::Reason => Some(
                if req.by_mistake {
                    "I placed it by accident."
                } else {
                    "I don't need it anymore."
                }
                .into(),
            ),
            Slot::Payment => Some(self.payment_answer(&req)),
            Slot::Address => {
                let s: Vec<String> = split_sentences(&req.text)
                    .into_iter()
                    .filter(|s| s.to_lowercase().contains("address"))
                    .collect();
                Some(if s.is_empty() { req.text } else { s.join(" ") })
            }
            Slot::Items | Slot::Variant | Slot::Product => Some(self.wanted(&req)),
            Slot::Confirmation => Some("Yes.".into()),
            // The bot offers a person: taken only when the scenario asks for one; otherwise no,
            // and the request once more.
            Slot::Handoff if self.scenario.wants_person => Some("Yes, please.".into()),
            Slot::Handoff if !self.restated => {
                self.restated = true;
                Some(format!("No, thanks. {}", req.text))
            }
            Slot::Handoff => Some("No, thanks.".into()),
        }
    }

    /// What the customer wants now: the changed mind once it has been said, else the request.
    fn wanted(&self, req: &Request) -> String {
        match (&req.afterthought, self.afterthought_used) {
            (Some(Afterthought::Change(t)), true) => t.clone(),
            _ => req.text.clone(),
        }
    }

    fn payment_answer(&self, req: &Request) -> String {
        if let Some(id) = req.payment_ids.first() {
            return format!("Please use {id}.");
        }
        match &req.payment_wish {
            Some(w) => w.clone(),
            None => "Please use the same payment method I paid with.".into(),
        }
    }

    /// Yes when the proposed action fits the request; otherwise no, and what is wanted.
    fn judge(&mut self, plan: &PendingAction) -> String {
        let Some(req) = self.request().cloned() else {
            return "No, thank you.".into();
        };
        if !self.afterthought_used {
            if let Some(a) = &req.afterthought {
                self.afterthought_used = true;
                return match a {
                    Afterthought::Add(t) => t.clone(),
                    Afterthought::Change(t) => format!("No, wait, I've changed my mind. {t}"),
                    Afterthought::Drop => {
                        self.dropped = true;
                        "No, I've changed my mind: please leave it as it is.".into()
                    }
                };
            }
        }
        if self.dropped {
            return "No, please leave it as it is.".into();
        }
        let args = &plan.arguments;
        let arg = |k: &str| args.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let wanted_orders = if req.order_ids.is_empty() {
            &self.scenario.order_ids
        } else {
            &req.order_ids
        };
        if let Some(order) = arg("order_id") {
            if !wanted_orders.is_empty() && !wanted_orders.contains(&order) {
                return format!(
                    "No, that's not the right order. I mean order {}. {}",
                    wanted_orders[0],
                    self.wanted(&req)
                );
            }
        }
        if let Some(pm) = arg("payment_method_id") {
            if let Some(id) = req.payment_ids.first() {
                if !req.payment_ids.contains(&pm) {
                    return format!("No, please use {id}.");
                }
            } else if let Some(kind) = req.payment_wish.as_deref().and_then(wished_kind) {
                if !pm.starts_with(&kind) {
                    return format!("No, I'd like to use {} for this.", kind.replace('_', " "));
                }
            }
        }
        let summary = plan.summary.to_lowercase();
        let targets = match (&req.afterthought, self.afterthought_used) {
            (Some(Afterthought::Change(t)), true) => targets_of(t),
            _ => req.targets.clone(),
        };
        if args.get("new_item_ids").is_some() {
            let missing: Vec<&String> = targets
                .iter()
                .filter(|t| !summary.contains(&t.to_lowercase()))
                .collect();
            if !missing.is_empty() {
                return format!("No, that's not what I want. {}", self.wanted(&req));
            }
        }
        // More items than the scenario names ("Tablet; Laptop", one "{…} to {…}" per swap).
        let count = |k: &str| args.get(k).and_then(|v| v.as_array()).map_or(0, Vec::len);
        let swaps = req.text.matches("} to {").count();
        let named = if args.get("new_item_ids").is_some() {
            swaps
        } else {
            req.items.len()
        };
        if named > 0 && count("item_ids") > named {
            return format!("No, that's more than I asked for. {}", req.text);
        }
        if args.get("item_ids").is_some() && args.get("new_item_ids").is_none() {
            let missing = req
                .items
                .iter()
                .any(|i| !summary.contains(&i.to_lowercase()));
            if missing {
                return format!("No, that's not all of it. {}", req.text);
            }
        }
        if let Some(reason) = arg("reason") {
            if reason.to_lowercase().contains("mistake") != req.by_mistake {
                return format!(
                    "No, that's not why. {}",
                    if req.by_mistake {
                        "I placed it by accident."
                    } else {
                        "I just don't need it anymore."
                    }
                );
            }
        }
        "Yes, go ahead.".into()
    }
}
