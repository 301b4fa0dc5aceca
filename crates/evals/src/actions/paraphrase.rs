//! Style-shifted copies of tau-retail scenarios made by the local chat model (issue 28): the
//! model is asked to retell a task's `user_scenario` in another style (third person, a casual
//! narrative), and a rewrite is kept only if it passes a **fact check** against the original:
//! every fact token of the original (the person's name, zip code, e-mails, order ids, payment
//! method ids, numbers, option values, item names, the reason given for a cancellation, the kind
//! of each request) is in the rewrite, and the rewrite brings in no id, e-mail or number the
//! original does not have. It must also still describe the customer (no first person, no
//! greeting) and have left the data set's template ("Your name is …", `{'key': 'value'}`).
//!
//! A rejected rewrite is tried again with the next seed and the next style, up to a number of
//! attempts; a task without a valid rewrite is reported as failed, never written as a scenario.
//! Only `user_scenario` is read: never the task's expected actions.

use super::patterns::cached as re;
use frontdesk_core::chat::{
    ChatMessage, ChatModel, FinishReason, GenerateRequest, GenerationEvent, SamplingParams,
};
use regex::Regex;
use serde::Serialize;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// How rewrites are sampled and how often a task is tried.
#[derive(Debug, Clone)]
pub struct ParaphraseOptions {
    pub temperature: f32,
    /// The first attempt's seed; attempt `k` (1-based) uses `seed + k - 1`.
    pub seed: u64,
    /// Attempts per task (at least 1).
    pub attempts: usize,
}

impl Default for ParaphraseOptions {
    fn default() -> Self {
        Self {
            temperature: 0.7,
            seed: 1,
            attempts: 4,
        }
    }
}

/// One accepted rewrite, as written to the output JSONL (joined to the tasks by `task_id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParaphraseRecord {
    pub task_id: String,
    pub user_scenario: String,
    pub model: String,
    pub temperature: f32,
    pub seed: u64,
    /// 1-based attempt that passed.
    pub attempt: usize,
}

/// A task for which no attempt passed: written out flagged, without a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedRecord {
    pub task_id: String,
    pub paraphrase_failed: bool,
    pub model: String,
    pub temperature: f32,
    pub seed: u64,
    pub attempts: usize,
    /// Why the last attempt was rejected.
    pub problems: Vec<String>,
}

/// What became of one task.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Accepted(ParaphraseRecord),
    Failed(FailedRecord),
}

/// Every attempt of one task, in order, with why it was rejected (empty when accepted).
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptLog {
    pub seed: u64,
    pub style: usize,
    pub text: String,
    pub problems: Vec<Problem>,
}

/// Why a rewrite was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A fact of the original is not in the rewrite.
    Missing(Fact),
    /// The rewrite has an id, e-mail or number that is not in the original.
    Introduced(String),
    /// The rewrite asks for something the original does not (a cancellation, a return, a
    /// reason of its own).
    Added(String),
    /// The rewrite is no scenario (a message to the agent, the template kept, cut off, empty).
    Form(&'static str),
    /// The model failed to generate.
    Model(String),
}

impl Problem {
    /// A short label for counting rejections by cause.
    pub fn kind(&self) -> String {
        match self {
            Problem::Missing(f) => format!("missing {}", f.kind.label()),
            Problem::Introduced(_) => "introduced id/number".into(),
            Problem::Added(_) => "added request".into(),
            Problem::Form(why) => (*why).into(),
            Problem::Model(_) => "model error".into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing(fact) => write!(f, "missing {} {:?}", fact.kind.label(), fact.text),
            Problem::Introduced(t) => write!(f, "introduced {t:?}"),
            Problem::Added(t) => write!(f, "added {t:?}"),
            Problem::Form(why) => f.write_str(why),
            Problem::Model(e) => write!(f, "model error: {e}"),
        }
    }
}

/// What kind of fact a token is, which decides how it is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FactKind {
    /// The person's name: whole words, any case.
    Name,
    /// An e-mail address: exact (any case).
    Email,
    /// `#W…`: exact.
    OrderId,
    /// `credit_card_…`, `paypal_…`, `gift_card_…`: exact.
    PaymentId,
    /// A number (zip code, sizes, house numbers): exact, not part of a longer number.
    Number,
    /// An option or address value (`'silicone'`, `'1.5L'`): whole words, any case.
    Value,
    /// A product name (`Electric Kettle`): whole words, any case, a plural allowed.
    Item,
    /// The reason given for a cancellation: whole words, any case.
    Reason,
    /// The kind of a request (return, exchange, …): one of its words, any case.
    Request,
}

impl FactKind {
    fn label(self) -> &'static str {
        match self {
            FactKind::Name => "name",
            FactKind::Email => "e-mail",
            FactKind::OrderId => "order id",
            FactKind::PaymentId => "payment id",
            FactKind::Number => "number",
            FactKind::Value => "option value",
            FactKind::Item => "item",
            FactKind::Reason => "reason",
            FactKind::Request => "request kind",
        }
    }
}

/// One fact token of the original. For [`FactKind::Request`], `text` names the request and
/// `alternatives` are the words any one of which states it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fact {
    pub kind: FactKind,
    pub text: String,
    pub alternatives: Vec<String>,
}

impl Fact {
    fn new(kind: FactKind, text: &str) -> Self {
        Self {
            kind,
            text: text.trim().to_string(),
            alternatives: Vec::new(),
        }
    }
}

/// The facts of one original scenario, and the ids, e-mails and numbers a rewrite may contain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub required: Vec<Fact>,
    /// Lower-cased ids, e-mails and numbers (every digit run of the original, ids' included).
    pub allowed: Vec<String>,
}

fn email_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    )
}

fn order_id_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"#W\d+")
}

fn payment_id_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)\b(?:credit_card|paypal|gift_card)_\d+\b")
}

fn number_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\d+(?:\.\d+)?")
}

/// Text with e-mails and ids blanked out (same length), so numbers inside them are not read
/// as numbers of their own.
fn blank_ids(text: &str) -> String {
    let mut out = text.to_string();
    for r in [email_re(), order_id_re(), payment_id_re()] {
        let spans: Vec<(usize, usize)> = r.find_iter(&out).map(|m| (m.start(), m.end())).collect();
        for (s, e) in spans {
            out.replace_range(s..e, &" ".repeat(e - s));
        }
    }
    out
}

/// Reads the fact tokens of an original scenario (the data set's template: "Your name is … and
/// your zip code is …. You are …. Return #W… via …: A; B; For #W…, exchange Item {…} to {…};
/// via …. Cancel order #W… because ….").
pub fn extract_facts(scenario: &str) -> Facts {
    static NAME: OnceLock<Regex> = OnceLock::new();
    static VALUE: OnceLock<Regex> = OnceLock::new();
    static ITEM_BEFORE_OPTIONS: OnceLock<Regex> = OnceLock::new();
    static RETURN_LIST: OnceLock<Regex> = OnceLock::new();
    static REASON: OnceLock<Regex> = OnceLock::new();
    let name = re(
        &NAME,
        r"(?i:your name is|you are) ([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)",
    );
    let value = re(&VALUE, r"'[^']*':\s*'([^']*)'");
    let item_before = re(&ITEM_BEFORE_OPTIONS, r"([A-Z][\w-]*(?: [A-Z][\w-]*)*) \{'");
    let return_list = re(
        &RETURN_LIST,
        r"(?i)\breturn #W\d+[^:.]*:((?:\s*[^;:.{}]+;)+)",
    );
    let reason = re(&REASON, r"(?i)\bbecause ([^.;]+)");

    let mut facts = Facts::default();
    let mut add = |f: Fact| {
        if !f.text.is_empty() && !facts.required.contains(&f) {
            facts.required.push(f);
        }
    };
    if let Some(c) = name.captures(scenario) {
        add(Fact::new(FactKind::Name, &c[1]));
    }
    for m in email_re().find_iter(scenario) {
        add(Fact::new(FactKind::Email, m.as_str()));
    }
    for m in order_id_re().find_iter(scenario) {
        add(Fact::new(FactKind::OrderId, m.as_str()));
    }
    for m in payment_id_re().find_iter(scenario) {
        add(Fact::new(FactKind::PaymentId, m.as_str()));
    }
    // Not the digits of a key ('address1').
    static KEY: OnceLock<Regex> = OnceLock::new();
    let keys = re(&KEY, r"'[^']*':");
    let without_keys = keys.replace_all(scenario, |c: &regex::Captures| " ".repeat(c[0].len()));
    for m in number_re().find_iter(&blank_ids(&without_keys)) {
        add(Fact::new(FactKind::Number, m.as_str()));
    }
    for c in value.captures_iter(scenario) {
        // Ids in an address record are facts of their own already.
        if !order_id_re().is_match(&c[1]) {
            add(Fact::new(FactKind::Value, &c[1]));
        }
    }
    for c in item_before.captures_iter(scenario) {
        add(Fact::new(FactKind::Item, &c[1]));
    }
    for c in return_list.captures_iter(scenario) {
        for item in c[1].split(';') {
            add(Fact::new(FactKind::Item, item));
        }
    }
    for c in reason.captures_iter(scenario) {
        add(Fact::new(FactKind::Reason, &c[1]));
    }
    for (request, words) in request_kinds(scenario) {
        add(Fact {
            kind: FactKind::Request,
            text: request.into(),
            alternatives: words.iter().map(|w| w.to_string()).collect(),
        });
    }

    let mut allowed: Vec<String> = Vec::new();
    for r in [email_re(), order_id_re(), payment_id_re(), number_re()] {
        for m in r.find_iter(scenario) {
            allowed.push(m.as_str().to_lowercase());
        }
    }
    allowed.sort();
    allowed.dedup();
    facts.allowed = allowed;
    facts
}

/// The requests an original makes, each with the words any one of which states it: stems, or
/// whole words when written with a leading `=` (`=pay`, which must not match `paypal_…`).
fn request_kinds(scenario: &str) -> Vec<(&'static str, &'static [&'static str])> {
    const KINDS: &[(&str, &str, &[&str])] = &[
        ("cancel", r"(?i)\bcancel order\b", &["cancel"]),
        (
            "return",
            r"(?i)\breturn #W",
            &["return", "send back", "sending back"],
        ),
        (
            "exchange",
            r"(?i), exchange\b",
            &["exchang", "swap", "switch", "trade", "replac"],
        ),
        (
            "modify",
            r"(?i), modify\b",
            &["modif", "chang", "switch", "swap", "updat", "replac"],
        ),
        ("change address", r"(?i)\bchange address\b", &["address"]),
        (
            "change payment",
            r"(?i)\bchange payment\b",
            &["payment", "paying", "paid", "=pay", "charg", "bill"],
        ),
    ];
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        KINDS
            .iter()
            .map(|(_, p, _)| Regex::new(p).expect("static regex"))
            .collect()
    });
    KINDS
        .iter()
        .zip(res)
        .filter(|(_, r)| r.is_match(scenario))
        .map(|((name, _, words), _)| (*name, *words))
        .collect()
}

/// Lower case with runs of white space made one space, typographic quotes made plain.
fn normalise(text: &str) -> String {
    let text = text.replace(['\u{2018}', '\u{2019}'], "'");
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether `needle` (already normalised) is in `hay` (normalised) with no letter or digit
/// right before it, and after it none, or only a plural ending when `plural` is allowed; with
/// `stem`, anything may follow.
fn contains_phrase(hay: &str, needle: &str, plural: bool, stem: bool) -> bool {
    if needle.is_empty() {
        return true;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_';
    hay.match_indices(needle).any(|(i, _)| {
        let before_ok = hay[..i].chars().next_back().is_none_or(|c| !word(c));
        let rest = &hay[i + needle.len()..];
        let after_ok = stem
            || rest.chars().next().is_none_or(|c| !word(c))
            || (plural && {
                let r = rest.strip_prefix("es").or_else(|| rest.strip_prefix('s'));
                r.is_some_and(|r| r.chars().next().is_none_or(|c| !word(c)))
            });
        before_ok && after_ok
    })
}

/// Whether a number occurs in `text` as a whole number (not part of a longer one, nor a
/// decimal's part).
fn contains_number(text: &str, number: &str) -> bool {
    number_re()
        .find_iter(&blank_ids(text))
        .any(|m| m.as_str() == number)
}

/// Whether the words of `phrase` are in `hay` in order, whole, with at most two other words
/// between two of them ("ordered it by mistake" for "ordered by mistake").
fn contains_loosely(hay: &str, phrase: &str) -> bool {
    let words: Vec<&str> = hay
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let want: Vec<&str> = phrase.split_whitespace().collect();
    let Some((first, rest)) = want.split_first() else {
        return true;
    };
    (0..words.len())
        .filter(|&i| words[i] == *first)
        .any(|start| {
            let mut at = start;
            rest.iter().all(|w| {
                match (at + 1..(at + 4).min(words.len())).find(|&j| words[j] == *w) {
                    Some(j) => {
                        at = j;
                        true
                    }
                    None => false,
                }
            })
        })
}

/// Whether a request sentence of the data set's template is still there as it is written,
/// capitals too ("Cancel order #W… because", "Return #W… via", "For #W…, modify", "…; via");
/// "she wants to cancel order #W… because" is a sentence of the rewrite's own.
fn template_kept(text: &str) -> bool {
    static TEMPLATE: OnceLock<Regex> = OnceLock::new();
    let template = re(
        &TEMPLATE,
        r"\bCancel order #W\d+ because\b|\bReturn #W\d+ via\b|\bFor #W\d+, (?:change|modify|exchange)\b|; via\b",
    );
    template.is_match(text)
}

/// Whether the rewrite repeats the instructions it was given ("Keep word for word: …", "An
/// earlier rewrite was rejected: …").
fn echoes_prompt(text: &str) -> bool {
    let t = normalise(text);
    [
        "word for word",
        "earlier rewrite",
        "was rejected",
        "rewrite it",
        "scenario:",
        "in this style",
    ]
    .iter()
    .any(|p| t.contains(p))
}

/// Whether the rewrite tells a request as done already ("has been cancelled", "she cancelled
/// order #W…", "returned the kettle") instead of as what the customer wants.
fn already_done(text: &str) -> bool {
    static DONE: OnceLock<Regex> = OnceLock::new();
    let done = re(
        &DONE,
        r"(?i)\b(?:(?:has|have|had|was|were)\s+(?:been\s+|already\s+)?(?:cancell?ed|returned|exchanged|modified)|(?:cancell?ed|returned|exchanged|modified)\s+(?:the\s+|her\s+|his\s+|their\s+|your\s+)?(?:order\b|#W|(?-i:[A-Z])))",
    );
    done.is_match(text)
}

/// Checks a rewrite against the original's facts; empty when it is accepted.
pub fn check(facts: &Facts, rewrite: &str) -> Vec<Problem> {
    static FIRST_PERSON: OnceLock<Regex> = OnceLock::new();
    static GREETING: OnceLock<Regex> = OnceLock::new();
    let first_person = re(&FIRST_PERSON, r"\b(?:I|I'm|I'd|I've|I'll|[Mm]y|[Mm]e)\b");
    let greeting = re(
        &GREETING,
        r"(?i)^\W*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b",
    );

    let mut problems = Vec::new();
    let text = rewrite.trim();
    if text.is_empty() {
        return vec![Problem::Form("empty")];
    }
    if greeting.is_match(text) {
        problems.push(Problem::Form("a message, not a scenario (greeting)"));
    }
    if first_person.is_match(text) {
        problems.push(Problem::Form("a message, not a scenario (first person)"));
    }
    if normalise(text).contains("your name is") {
        problems.push(Problem::Form("template kept (\"your name is\")"));
    }
    if text.contains('{') || text.contains('}') {
        problems.push(Problem::Form("template kept ({…} options)"));
    }
    if template_kept(text) {
        problems.push(Problem::Form("template kept (its request sentences)"));
    }
    if echoes_prompt(text) {
        problems.push(Problem::Form("the prompt's words echoed"));
    }
    if already_done(text) {
        problems.push(Problem::Form("told as already done"));
    }

    let hay = normalise(text);
    let as_written = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for fact in &facts.required {
        let found = match fact.kind {
            FactKind::Email => contains_phrase(&hay, &fact.text.to_lowercase(), false, false),
            // Exact, case too, as a whole token (`#W12` is not in `#W123`).
            FactKind::OrderId | FactKind::PaymentId => {
                contains_phrase(&as_written, &fact.text, false, false)
            }
            FactKind::Number => contains_number(text, &fact.text),
            FactKind::Name | FactKind::Value => {
                contains_phrase(&hay, &normalise(&fact.text), false, false)
            }
            FactKind::Reason => contains_loosely(&hay, &normalise(&fact.text)),
            FactKind::Item => contains_phrase(&hay, &normalise(&fact.text), true, false),
            FactKind::Request => fact.alternatives.iter().any(|w| match w.strip_prefix('=') {
                Some(word) => contains_phrase(&hay, word, false, false),
                None => contains_phrase(&hay, w, false, true),
            }),
        };
        if !found {
            problems.push(Problem::Missing(fact.clone()));
        }
    }

    // Requests and reasons the original does not have (a small model copies its example's).
    let has = |kind: FactKind, text: &str| {
        facts
            .required
            .iter()
            .any(|f| f.kind == kind && f.text.eq_ignore_ascii_case(text))
    };
    for (request, stem) in [("cancel", "cancel"), ("return", "return")] {
        if !has(FactKind::Request, request) && contains_phrase(&hay, stem, false, true) {
            problems.push(Problem::Added(request.into()));
        }
    }
    for reason in ["no longer needed", "ordered by mistake"] {
        if !has(FactKind::Reason, reason) && contains_phrase(&hay, reason, false, false) {
            problems.push(Problem::Added(reason.into()));
        }
    }

    let mut introduced: Vec<String> = Vec::new();
    for r in [email_re(), order_id_re(), payment_id_re()] {
        for m in r.find_iter(text) {
            introduced.push(m.as_str().to_string());
        }
    }
    for m in number_re().find_iter(&blank_ids(text)) {
        introduced.push(m.as_str().to_string());
    }
    // A bare `W123…` or `card_123…` counts as an id the original does not have unless its
    // digits are the original's.
    for t in introduced {
        if !facts.allowed.contains(&t.to_lowercase()) {
            let p = Problem::Introduced(t);
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
    }
    problems
}

/// The styles a scenario is retold in; attempt `k` of a task uses the style after attempt
/// `k - 1`'s.
pub const STYLES: &[&str] = &[
    "third person: call the customer by name and \"he\", \"she\" or \"they\" (for example \
     \"NAME lives in ... and wants to ...\")",
    "a casual second-person narrative in plain everyday words (for example \"You're NAME, \
     and you ...\")",
    "third person, as a short story about the customer (for example \"The customer, NAME, \
     ... Later she also ...\")",
];

const SYSTEM: &str = "You rewrite the customer scenarios of a customer-service test. A \
scenario describes a customer and what they want from the shop; it is not a message to the \
shop. You keep every fact exactly and change only the wording and the style.";

/// A made-up scenario and a rewrite of it, shown to the model as the example.
const EXAMPLE_IN: &str = "Your name is Nadia Okafor and your zip code is 60601. You are calm, \
brief. Return #W1000001 via paypal_9000001: Desk Fan; Phone Case; For #W1000002, exchange \
Rain Jacket {'size': 'M', 'color': 'green'} to {'size': 'L'}; via credit_card_9000002. Cancel \
order #W1000003 because ordered by mistake. ";
const EXAMPLE_OUT: &str = "Nadia Okafor, zip code 60601, is calm and brief. She \
wants to return the Desk Fan and the Phone Case from order #W1000001, with the refund going to \
paypal_9000001. From order #W1000002 she wants to exchange her Rain Jacket (size M, green) for \
one in size L, keeping the rest the same, and pay any difference with credit_card_9000002. She \
also wants order #W1000003 cancelled because it was ordered by mistake.";

const RULES: &str = "Rules:\n\
- Keep every fact exactly as written: the name, zip code or e-mail, every order id (#W...), \
every payment id (credit_card_..., paypal_..., gift_card_...), every number, every product name \
and every option value, and the reason for a cancellation.\n\
- \"Item (old options) to (new options)\" means the item with the old options is to become one \
with the new options; options not named stay the same.\n\
- Do not add any id, number, e-mail or fact that is not in the scenario.\n\
- Describe the customer; do not write as the customer (no \"I\", no greeting).\n\
- Write one paragraph and nothing else.";

/// The scenario with its `{'key': 'value'}` lists written out as `(key: value, …)`, an address
/// as its values, and `to {}` as "to the same options", so a small model reads it as prose.
/// Every fact token stays as it was.
pub fn readable(scenario: &str) -> String {
    static DICT: OnceLock<Regex> = OnceLock::new();
    static PAIR: OnceLock<Regex> = OnceLock::new();
    let dict = re(&DICT, r"\{([^{}]*)\}");
    let pair = re(&PAIR, r"'([^']*)':\s*'([^']*)'");
    dict.replace_all(scenario, |c: &regex::Captures| {
        let pairs: Vec<(&str, &str)> = pair
            .captures_iter(c.get(1).map_or("", |m| m.as_str()))
            .map(|p| (p.get(1).unwrap().as_str(), p.get(2).unwrap().as_str()))
            .collect();
        if pairs.is_empty() {
            return "the same options".to_string();
        }
        if pairs.iter().any(|(k, _)| *k == "address1") {
            let parts: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| *k != "order_id")
                .map(|(_, v)| *v)
                .collect();
            return parts.join(", ");
        }
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("({})", parts.join(", "))
    })
    .into_owned()
}

/// The facts a rewrite is most prone to drop, listed in the prompt to be kept word for word:
/// the name, e-mails, ids, item names and reasons.
fn checklist(facts: &Facts) -> String {
    let listed: Vec<&str> = facts
        .required
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FactKind::Name
                    | FactKind::Email
                    | FactKind::OrderId
                    | FactKind::PaymentId
                    | FactKind::Item
                    | FactKind::Reason
            )
        })
        .map(|f| f.text.as_str())
        .collect();
    listed.join("; ")
}

/// What an earlier attempt got wrong, told to the next one.
fn feedback(problems: &[Problem]) -> String {
    let mut left_out = Vec::new();
    let mut other = Vec::new();
    for p in problems {
        match p {
            Problem::Missing(f) if f.kind == FactKind::Request => {
                left_out.push(format!("what the customer wants to {}", f.text))
            }
            Problem::Missing(f) => left_out.push(f.text.clone()),
            Problem::Introduced(t) => {
                other.push(format!("it added {t}, which is not in the scenario"))
            }
            Problem::Added(t) => {
                other.push(format!("it added \"{t}\", which is not in the scenario"))
            }
            Problem::Form(why) => other.push((*why).to_string()),
            Problem::Model(_) => {}
        }
    }
    if !left_out.is_empty() {
        other.insert(0, format!("it left out {}", left_out.join(", ")));
    }
    if other.is_empty() {
        return String::new();
    }
    format!("\nAn earlier rewrite was rejected: {}.", other.join("; "))
}

/// The request for one attempt: the rules, the made-up example, then the scenario (made
/// [`readable`]), the facts to keep, what the previous attempt got wrong (if any) and the
/// style last, so every request shares the longest prefix.
pub fn build_request(
    scenario: &str,
    style: usize,
    previous: &[Problem],
    params: SamplingParams,
) -> GenerateRequest {
    let style = STYLES[style % STYLES.len()];
    let ask = |s: &str, style: &str, previous: &[Problem]| {
        format!(
            "{RULES}\n\nScenario:\n{}\n\nKeep word for word: {}.{}\n\nRewrite it in this \
             style: {style}.",
            readable(s).trim(),
            checklist(&extract_facts(s)),
            feedback(previous),
        )
    };
    GenerateRequest {
        messages: vec![
            ChatMessage::system(SYSTEM),
            ChatMessage::user(ask(EXAMPLE_IN, STYLES[0], &[])),
            ChatMessage::assistant(EXAMPLE_OUT),
            ChatMessage::user(ask(scenario, style, previous)),
        ],
        params,
    }
}

/// Room for the rewrite: a retelling is a little longer than the original, and the model
/// spells digits one token each.
fn max_tokens(scenario: &str) -> usize {
    (scenario.len() * 3 / 5 + 160).min(1200)
}

/// The model's text made one paragraph: a leading label line ("Rewritten scenario:"), quotes
/// or a code fence around it taken off.
pub fn clean(text: &str) -> String {
    let mut lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("```"))
        .collect();
    if lines.len() > 1 && lines[0].ends_with(':') {
        lines.remove(0);
    }
    let joined = lines.join(" ");
    let mut out = joined.trim();
    for prefix in ["Rewritten scenario:", "Scenario:", "Rewrite:"] {
        if let Some(rest) = out.strip_prefix(prefix) {
            out = rest.trim();
        }
    }
    if out.len() >= 2 && out.starts_with('"') && out.ends_with('"') {
        out = out[1..out.len() - 1].trim();
    }
    out.to_string()
}

/// A stable number per task (FNV-1a of its id), so tasks start at different styles.
fn task_hash(task_id: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in task_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % 1_000_003) as usize
}

async fn generate(
    model: &Arc<dyn ChatModel>,
    request: GenerateRequest,
) -> Result<(String, Option<FinishReason>), String> {
    let mut stream = model.generate(request).await.map_err(|e| e.to_string())?;
    let mut text = String::new();
    let mut reason = None;
    while let Some(ev) = stream.recv().await {
        match ev.map_err(|e| e.to_string())? {
            GenerationEvent::Text(t) => text.push_str(&t),
            GenerationEvent::Finished { reason: r, .. } => reason = Some(r),
        }
    }
    Ok((text, reason))
}

/// Rewrites one scenario: attempts until one passes the fact check or the attempts run out.
/// Returns the outcome and every attempt's text and problems.
pub async fn paraphrase_scenario(
    model: &Arc<dyn ChatModel>,
    task_id: &str,
    scenario: &str,
    opts: &ParaphraseOptions,
) -> (Outcome, Vec<AttemptLog>) {
    let facts = extract_facts(scenario);
    let model_id = model.info().model_id;
    let first_style = task_hash(task_id);
    let mut log = Vec::new();
    for attempt in 1..=opts.attempts.max(1) {
        let seed = opts.seed.wrapping_add(attempt as u64 - 1);
        let style = (first_style + attempt - 1) % STYLES.len();
        let params = SamplingParams {
            temperature: opts.temperature,
            seed,
            max_tokens: max_tokens(scenario),
            ..SamplingParams::default()
        };
        let previous = log.last().map_or(&[][..], |a: &AttemptLog| &a.problems[..]);
        let request = build_request(scenario, style, previous, params);
        let (text, problems) = match generate(model, request).await {
            Ok((raw, reason)) => {
                let text = clean(&raw);
                let mut problems = Vec::new();
                if reason == Some(FinishReason::Length) {
                    problems.push(Problem::Form("cut off (token limit)"));
                }
                problems.extend(check(&facts, &text));
                (text, problems)
            }
            Err(e) => (String::new(), vec![Problem::Model(e)]),
        };
        let accepted = problems.is_empty();
        log.push(AttemptLog {
            seed,
            style,
            text: text.clone(),
            problems,
        });
        if accepted {
            let record = ParaphraseRecord {
                task_id: task_id.to_string(),
                user_scenario: text,
                model: model_id,
                temperature: opts.temperature,
                seed,
                attempt,
            };
            return (Outcome::Accepted(record), log);
        }
    }
    let last = log.last().map(|a| a.problems.clone()).unwrap_or_default();
    let failed = FailedRecord {
        task_id: task_id.to_string(),
        paraphrase_failed: true,
        model: model_id,
        temperature: opts.temperature,
        seed: opts.seed,
        attempts: log.len(),
        problems: last.iter().map(|p| p.to_string()).collect(),
    };
    (Outcome::Failed(failed), log)
}

/// `n` indices spread evenly over `0..len` (all of them when `n >= len`).
pub fn spread(len: usize, n: usize) -> Vec<usize> {
    if n >= len {
        return (0..len).collect();
    }
    (0..n).map(|i| i * len / n).collect()
}

#[cfg(test)]
mod tests;
