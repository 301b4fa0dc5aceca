//! What a customer message says, before any decision: the intent prediction, the language,
//! rule-based signals (human request, greeting, abuse, frustration, sensitive topics…),
//! entities found by patterns, the words catalogue names are matched on (`words`) and what the
//! message asks of the action flows with the details it gives them (`request`, `details`).
//! Pure functions over text so every rule has a table test; `understand` runs them once per
//! message, and the phases and flows read the `Understanding`, never the text again.
//!
//! Keyword lists are matched on `lang::fold`ed text (lower case, Cyrillic → Latin, no
//! diacritics), so one list covers English, Serbian Cyrillic and Serbian Latin.

mod details;
mod request;
pub mod when;
mod words;

pub use request::{detect_action, Action, CancelReason, PaymentKind, PaymentMention, Request};
pub use words::{size_step, tokens};

use crate::intents::IntentPrediction;
use crate::lang::{detect_language, fold};
use frontdesk_core::{ConversationState, Lang};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// An amount of money with its currency code (`EUR`, `RSD`, `USD`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Money {
    pub amount: f64,
    pub currency: String,
}

/// Entities found by patterns. Order ids are normalised to `#` + upper case (`#K1001`,
/// `#W1234567`, "order 1001" → `#1001`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub order_ids: Vec<String>,
    pub emails: Vec<String>,
    /// Full names as written after "my name is" / "zovem se" / "моје име је".
    pub names: Vec<String>,
    /// 5-digit postcodes.
    pub postcodes: Vec<String>,
    pub quantities: Vec<u32>,
    /// ISO dates (`2026-05-01`) or relative words as written (`today`, `juče`).
    pub dates: Vec<String>,
    pub money: Vec<Money>,
    /// SKUs (`KO-TENT-2P`) and catalogue product names mentioned in the message.
    pub products: Vec<String>,
}

/// Rule-based signals. Each is independent; the policy weighs them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub human_request: bool,
    pub greeting: bool,
    pub thanks: bool,
    pub goodbye: bool,
    pub abuse: bool,
    pub complaint: bool,
    /// Shouting, "!!!", a repeated question, or a threat to leave.
    pub frustration: bool,
    pub repeated: bool,
    pub threat_to_leave: bool,
    /// Legal threats, safety hazards, account takeover, fraud: agent-only topics.
    pub sensitive: bool,
    /// A short yes that is not a question: what confirms a plan.
    pub affirmative: bool,
    pub negative: bool,
    /// The message opens with a yes ("Yes, a colleague would be great, thanks."), however long
    /// it is: enough to accept an offer, never to confirm a write (`affirmative` is that).
    pub opens_with_yes: bool,
    /// The message asks something: a question mark, or the grammar of a question (an
    /// interrogative or auxiliary first, Serbian "da li" / "… li") written without one.
    pub question: bool,
    /// The examples (`acts.rs`) read the whole message as only small talk; which kind is in
    /// `greeting`, `thanks` and `goodbye`.
    #[serde(default)]
    pub learned_small_talk: bool,
    /// The examples read the whole message as something other than small talk, whatever small
    /// talk words it holds.
    #[serde(default)]
    pub not_small_talk: bool,
}

/// Everything the engine knows about one message before deciding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Understanding {
    /// The message as written.
    pub text: String,
    /// The message folded (`lang::fold`: NFC, lower case, Latin, no diacritics).
    pub folded: String,
    pub lang: Lang,
    pub intent: Option<IntentPrediction>,
    pub entities: Entities,
    pub flags: Flags,
    /// The message's words as catalogue names and option values are compared (`tokens`).
    pub tokens: Vec<String>,
    /// What the message asks of the action flows and the details it gives them.
    pub request: Request,
    /// The action the message asks for as examples read it (`action_reading.rs`), when it was
    /// read.
    #[serde(default)]
    pub action_reading: Option<crate::action_reading::ActionReading>,
}

impl Understanding {
    /// This understanding for the knowledge answer, once the action flows have had the
    /// message: an action intent no longer asks to start an action (there is no commerce
    /// backend, or the flow declined), so the question is answered from the knowledge base.
    pub fn for_knowledge_answer(&self) -> Understanding {
        let mut u = self.clone();
        if u.intent_name().is_some_and(|i| {
            frontdesk_core::intents::is_action_intent(i)
                && i != frontdesk_core::intents::RECOMMEND_PRODUCT
        }) {
            u.intent = None;
        }
        u
    }

    /// This understanding read over `text`, a stretch of the conversation that ends with this
    /// message (what was said before identity was verified, then the message): language,
    /// intent and flags stay the message's, the entities are `entities`, and what the flows
    /// read from the words (fold, tokens, request) is read from `text`.
    pub fn over(&self, text: String, entities: Entities) -> Understanding {
        Understanding {
            folded: fold(&text),
            tokens: tokens(&text),
            request: Request::read(&text, &entities),
            action_reading: self.action_reading,
            text,
            lang: self.lang,
            intent: self.intent.clone(),
            entities,
            flags: self.flags.clone(),
        }
    }

    /// The predicted in-scope intent name, if any.
    pub fn intent_name(&self) -> Option<&str> {
        self.intent
            .as_ref()
            .filter(|p| p.in_scope)
            .map(|p| p.intent.as_str())
    }
    /// True when the message is only small talk (greeting/thanks/goodbye): the examples read
    /// it so (`Flags::learned_small_talk`), or the word lists do — a short message with a
    /// small-talk word and no question, or a somewhat longer one ("Great, thanks a lot for your
    /// help!", "Hey, hello! Anyone around?") that the intent classifier also reads as small
    /// talk — and the examples do not read it as something else ("hello, I need an invoice"). Measured
    /// on `evals/small-talk` (`crates/engine/README.md`, "Small talk").
    pub fn is_small_talk(&self) -> bool {
        use frontdesk_core::intents::{GOODBYE, GREETING, THANKS};
        let words = self.text.split_whitespace().count();
        let question = self.flags.question;
        let by_rules = self.flags.greeting || self.flags.thanks || self.flags.goodbye;
        let by_intent = matches!(self.intent_name(), Some(GREETING | THANKS | GOODBYE));
        let by_lists = by_rules
            && ((words <= 6 && !question)
                || (by_intent && words <= 10 && (!question || words <= 4)));
        let by_examples = self.flags.learned_small_talk && (!question || words <= 4);
        by_examples || (by_lists && !self.flags.not_small_talk)
    }

    /// The kind of small talk the message is, as it is answered: a goodbye before thanks
    /// ("thanks, bye!") before a greeting.
    pub fn small_talk_kind(&self) -> crate::acts::Act {
        use crate::acts::Act;
        if self.flags.goodbye {
            Act::Goodbye
        } else if self.flags.thanks {
            Act::Thanks
        } else {
            Act::Greeting
        }
    }
}

const HUMAN: &[&str] = &[
    "agent",
    "human",
    "real person",
    "a person",
    "live person",
    "representative",
    "operator",
    "somebody real",
    "someone real",
    "talk to someone",
    "speak to someone",
    "speak with someone",
    "talk to a person",
    "customer service rep",
    "covek",
    "coveka",
    "coveku",
    "covekom",
    "osobu",
    "osoba",
    "operater",
    "operatera",
    "operaterom",
    "zivi operater",
    "nekog zivog",
    "nekoga zivog",
    "zivog coveka",
    "zivom coveku",
    "ziva osoba",
    "zivog operatera",
    "zivu osobu",
    "osobom",
    "agenta",
    "agentom",
    "sluzbenik",
    "sluzbenika",
    "sluzbenikom",
    "podrsku uzivo",
    "pravom osobom",
];
const GREETING: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "good morning",
    "good afternoon",
    "good evening",
    "zdravo",
    "cao",
    "pozdrav",
    "dobar dan",
    "dobro jutro",
    "dobro vece",
    "hej",
    "hallo",
];
const THANKS: &[&str] = &[
    "thanks",
    "thank you",
    "thx",
    "cheers",
    "hvala",
    "zahvaljujem",
    "hvala vam",
    "hvala puno",
    "much appreciated",
];
const GOODBYE: &[&str] = &[
    "bye",
    "goodbye",
    "see you",
    "that's all",
    "that is all",
    "dovidjenja",
    "prijatno",
    "cao cao",
    "laku noc",
    "zbogom",
];
const ABUSE: &[&str] = &[
    "fuck",
    "fucking",
    "shit",
    "bitch",
    "asshole",
    "idiot",
    "idiots",
    "stupid bot",
    "moron",
    "bastard",
    "crap",
    "jebi",
    "jebem",
    "jebote",
    "picka",
    "picku",
    "kurac",
    "kurca",
    "govno",
    "govna",
    "idiote",
    "idioti",
    "kreten",
    "kretenu",
    "debil",
    "debilu",
    "budala",
    "budalo",
    "majmun",
    "majmune",
    "stoko",
];
const COMPLAINT: &[&str] = &[
    "complaint",
    "complain",
    "unacceptable",
    "terrible",
    "awful",
    "horrible",
    "worst",
    "disappointed",
    "disappointing",
    "frustrated",
    "frustrating",
    "angry",
    "ridiculous",
    "useless",
    "still not",
    "still haven't",
    "still hasn't",
    "never arrived",
    "broken",
    "damaged",
    "not happy",
    "unhappy",
    "poor service",
    "scam",
    "rip off",
    "ripoff",
    "zalba",
    "zalbu",
    "reklamacija",
    "reklamaciju",
    "nezadovoljan",
    "nezadovoljna",
    "razocaran",
    "razocarana",
    "uzas",
    "katastrofa",
    "sramota",
    "uzasno",
    "nikad nije stiglo",
    "nije stiglo",
    "jos uvek nije",
    "osteceno",
    "ostecen",
    "pokvaren",
    "pokvareno",
    "losa usluga",
    "prevara",
    "besan",
    "besna",
    "ljut",
    "ljuta",
];
const LEAVE: &[&str] = &[
    "never shop here again",
    "never order again",
    "never buy from you",
    "never buying from you",
    "take my business elsewhere",
    "shop elsewhere",
    "go to your competitor",
    "i'm done with you",
    "im done with you",
    "cancel my account",
    "nikad vise",
    "necu vise kupovati",
    "necu vise narucivati",
    "nikada vise",
    "kupovacu negde drugde",
    "kod konkurencije",
];
const SENSITIVE: &[&str] = &[
    "lawyer",
    "attorney",
    "lawsuit",
    "sue you",
    "sue your",
    "i will sue",
    "i'll sue",
    "legal action",
    "court",
    "police",
    "injury",
    "injured",
    "hurt me",
    "burned",
    "burnt",
    "fire",
    "caught fire",
    "exploded",
    "explode",
    "safety hazard",
    "dangerous",
    "electric shock",
    "hacked",
    "hacker",
    "account takeover",
    "someone logged into my account",
    "stolen card",
    "chargeback",
    "fraud",
    "fraudulent",
    "identity theft",
    "data breach",
    "gdpr",
    "advokat",
    "advokata",
    "tuzba",
    "tuzbu",
    "tuziti",
    "tuzicu",
    "sud",
    "sudu",
    "policija",
    "policiju",
    "povreda",
    "povredjen",
    "povredjena",
    "povredio",
    "opekotina",
    "opekotine",
    "opekao",
    "opekla",
    "izgoreo",
    "izgorela",
    "zapalio",
    "zapalila",
    "zapalilo",
    "eksplodirala",
    "curio gas",
    "gas je curio",
    "pozar",
    "eksplodirao",
    "opasno",
    "strujni udar",
    "hakovan",
    "hakovao",
    "hakovali",
    "provalio",
    "ukradena kartica",
    "zloupotreba",
    "krada identiteta",
];
/// The entries of `HUMAN` that are only a noun ("agent", "osoba"): in a longer question with no
/// word of contact they are what the question is about ("How many people… for how many
/// persons", "is the courier's agent local?"), not whom the customer wants to talk to.
const HUMAN_NOUN_ONLY: &[&str] = &[
    "agent",
    "human",
    "a person",
    "representative",
    "operator",
    "covek",
    "coveka",
    "coveku",
    "covekom",
    "osobu",
    "osoba",
    "osobom",
    "operater",
    "operatera",
    "operaterom",
    "agenta",
    "agentom",
    "sluzbenik",
    "sluzbenika",
    "sluzbenikom",
];
/// Verbs of getting in touch with the business, in their usual forms (not "call": calling
/// someone else is what a phone company's customers ask about).
const CONTACT_VERBS: &[&str] = &[
    "talk",
    "talking",
    "speak",
    "speaking",
    "chat",
    "chatting",
    "connect",
    "connecting",
    "transfer",
    "reach",
    "reaching",
    "contact",
    "contacting",
    "put me through",
    "razgovar",
    "razgovaram",
    "razgovarati",
    "pricam",
    "pricati",
    "porazgovarati",
    "povezi",
    "povezite",
    "povezati",
    "prebaci",
    "prebacite",
    "kontakt",
    "kontaktirati",
    "kontaktiram",
];
/// Words of wanting or asking for: with a person noun ("I want an agent", "dajte mi
/// operatera") they ask for that person too.
const CONTACT_WISHES: &[&str] = &[
    "call", "calling", "get me", "give me", "want", "wanna", "need", "dajte", "daj", "hocu",
    "zelim", "treba mi", "pozovite", "javi", "javite",
];
/// Someone, an assistant, a colleague: whom a customer asks for, but only together with a
/// verb of contact ("someone broke into my account", "how do I call someone abroad" ask for
/// nobody here).
const SOMEONE: &[&str] = &[
    "someone",
    "somebody",
    "assistant",
    "staff member",
    "employee",
    "colleague",
    "nekim",
    "nekoga",
    "nekog",
    "kolegom",
    "kolegu",
    "kolega",
    "kolegi",
];
/// First-person words (English; Serbian pronouns and "sam"/"smo", folded): a message about what
/// happened to the customer, as opposed to a question about a product or a rule.
const FIRST_PERSON: &[&str] = &[
    "i", "im", "i'm", "ive", "i've", "me", "my", "mine", "we", "our", "us", "ja", "mi", "meni",
    "moj", "moja", "moje", "mog", "mom", "moju", "nam", "nas", "nasa", "nase", "sam", "smo",
];
/// The English subject pronouns alone: in a question they are mostly hypothetical ("is there a
/// fire risk if I cook inside?", "can I take it on a plane?"), so there they do not make the
/// question a report; "my", "me", "I've" still do. Chosen on evals/handoff-words' dev half
/// (second batch).
const SUBJECT_ONLY: &[&str] = &["i", "im", "i'm", "we"];
/// The subject pronoun with a past tense tells what happened ("… while I was cooking").
const PAST_FIRST_PERSON: &[&str] = &["i was", "i got", "i had", "we were", "we got", "we had"];

/// A question that asks about danger, fire or the law without saying it happened to the
/// customer ("Is the stove safe in a tent, or is there a fire risk?", "do you sell court
/// shoes?") is answered like any question; a report ("my stove caught fire") or a threat is
/// an agent's. Chosen on evals/handoff-words' dev half.
fn sensitive(f: &str, question: bool) -> bool {
    if !any_phrase(f, SENSITIVE) {
        return false;
    }
    if !question {
        return true;
    }
    let reporting: Vec<&str> = FIRST_PERSON
        .iter()
        .copied()
        .filter(|w| !SUBJECT_ONLY.contains(w))
        .collect();
    any_phrase(f, &reporting) || any_phrase(f, PAST_FIRST_PERSON)
}

/// A request for a person: a phrase that says so, a person noun in a short message, a
/// statement, or with a word of contact, or "someone" with a word of contact. Chosen on
/// evals/handoff-words' dev half (questions: no hand-over) and the Bitext "contact a human
/// agent" rows (recall).
fn human_request(f: &str, question: bool, word_count: usize) -> bool {
    let strong = HUMAN
        .iter()
        .filter(|p| !HUMAN_NOUN_ONLY.contains(p))
        .any(|p| {
            crate::phrases::any(
                f,
                std::slice::from_ref(p),
                crate::phrases::Boundary::WholeWord,
            )
        });
    let verb = any_phrase(f, CONTACT_VERBS);
    strong
        || (any_phrase(f, HUMAN_NOUN_ONLY)
            && (word_count <= 4 || !question || verb || any_phrase(f, CONTACT_WISHES)))
        || (any_phrase(f, SOMEONE) && verb)
}

const AFFIRMATIVE: &[&str] = &[
    "yes",
    "yeah",
    "yep",
    "sure",
    "confirm",
    "confirmed",
    "correct",
    "ok",
    "okay",
    "go ahead",
    "please do",
    "da",
    "moze",
    "potvrdjujem",
    "potvrdi",
    "u redu",
    "vazi",
    "tacno",
    "naravno",
];
const NEGATIVE: &[&str] = &[
    "no",
    "nope",
    "don't",
    "do not",
    "cancel",
    "stop",
    "never mind",
    "nevermind",
    "ne",
    "nemoj",
    "odustajem",
    "otkazi",
    "nikako",
    "ne zelim",
    "necu",
];

fn has_phrase(folded: &str, phrase: &str) -> bool {
    crate::phrases::find(folded, phrase, crate::phrases::Boundary::WholeWord).is_some()
}

fn any_phrase(folded: &str, list: &[&str]) -> bool {
    crate::phrases::any(folded, list, crate::phrases::Boundary::WholeWord)
}

/// Shouting: at least 3 words of 2+ letters (with one of 4+), all upper case.
fn is_shouting(text: &str) -> bool {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .collect();
    let long = words
        .iter()
        .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 4);
    long && words.len() >= 3
        && words.iter().all(|w| {
            w.chars()
                .filter(|c| c.is_alphabetic())
                .all(|c| c.is_uppercase())
        })
}

/// Words (folded, 3+ chars) used for repeat detection.
fn content_words(text: &str) -> std::collections::BTreeSet<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_string)
        .collect()
}

/// Jaccard overlap of content words; ≥ 0.7 means the customer asked the same thing again.
pub fn is_repeat_of(text: &str, previous: &str) -> bool {
    let a = content_words(text);
    let b = content_words(previous);
    if a.len() < 2 || b.is_empty() {
        return false;
    }
    let inter = a.intersection(&b).count() as f32;
    let union = a.union(&b).count() as f32;
    inter / union >= 0.7
}

impl Flags {
    /// The learned reading of the whole message (`acts.rs`), each act as measured on
    /// `evals/person-requests`, `evals/complaint-abuse` and `evals/sensitive-topics` (dev halves
    /// chose, test halves reported): a request for a person, abuse or a sensitive topic the
    /// word lists miss is added to theirs (the lists hold what a nearest-example reading
    /// misses, a bare "agent", a swear word, "lawyer", and read no question as any); a complaint is the learned reading's alone, or a
    /// threat to leave, since the complaint list read calm reports and questions about how
    /// to complain as complaints (test half: 4 false of 99, recall 0.18) where the examples
    /// read more than three times as many complaints for as few false ones. Small talk is the
    /// examples' when they read it (and its kind is theirs whenever a small-talk act leads), and
    /// they overrule the lists' small talk when another act leads (`Understanding::is_small_talk`).
    pub fn apply_message_acts(&mut self, acts: crate::acts::MessageActs) {
        self.human_request |= acts.person;
        self.abuse |= acts.abuse;
        self.sensitive |= acts.sensitive;
        self.complaint = acts.complaint || self.threat_to_leave;
        self.frustration |= self.abuse;
        self.learned_small_talk = acts.small_talk.is_some();
        self.not_small_talk = acts.not_small_talk;
        if let Some(act) = acts.small_talk_kind {
            use crate::acts::Act;
            self.greeting = act == Act::Greeting;
            self.thanks = act == Act::Thanks;
            self.goodbye = act == Act::Goodbye;
        }
    }

    /// The learned reading of a reply to the bot's yes/no question (`acts.rs`) where one act
    /// stood out: it decides over the word lists, which only read the replies it leaves open.
    /// A question is neither a yes nor a no. Measured on `evals/acts` (the `acts_eval` example):
    /// the lists read "treba da promenim …" as a yes and "sounds good, carry on" as nothing.
    pub fn apply_act(&mut self, act: crate::acts::Act) {
        use crate::acts::Act;
        let (yes, no) = match act {
            Act::Affirm if !self.question => (true, false),
            Act::Deny if !self.question => (false, true),
            _ => (false, false),
        };
        self.affirmative = yes;
        self.negative = no;
    }
}

/// Rule signals for `text`. `previous_customer_texts` are the earlier customer messages (most
/// recent first) for repeat detection.
pub fn flags(text: &str, previous_customer_texts: &[&str]) -> Flags {
    let folded = fold(text);
    let folded_words: String = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    let f = folded_words.as_str();
    let word_count = f.split_whitespace().count();
    let question = is_question(text, f);
    // A question is never a yes: "Da li je dostava besplatna?" holds the word "da", and at a
    // confirmation a yes executes the plan.
    let affirmative = any_phrase(f, AFFIRMATIVE) && word_count <= 6 && !question;
    let negative = any_phrase(f, NEGATIVE) && word_count <= 6;
    // "Yes, please go ahead." to a third plan in a row is a confirmation, not a repeat.
    let repeated = !(affirmative || negative)
        && previous_customer_texts
            .iter()
            .take(4)
            .any(|p| is_repeat_of(text, p));
    let threat_to_leave = any_phrase(f, LEAVE);
    let shouting = is_shouting(text);
    let bangs = text.contains("!!!") || text.contains("?!?") || text.contains("??!");
    let complaint = any_phrase(f, COMPLAINT);
    let abuse = any_phrase(f, ABUSE);
    Flags {
        human_request: human_request(f, question, word_count),
        greeting: any_phrase(f, GREETING),
        thanks: any_phrase(f, THANKS),
        goodbye: any_phrase(f, GOODBYE),
        abuse,
        complaint: complaint || threat_to_leave,
        frustration: shouting || bangs || repeated || threat_to_leave || abuse,
        repeated,
        threat_to_leave,
        sensitive: sensitive(f, question),
        affirmative,
        negative,
        question,
        opens_with_yes: AFFIRMATIVE.iter().any(|p| {
            f.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || !rest.starts_with(char::is_alphanumeric))
        }),
        learned_small_talk: false,
        not_small_talk: false,
    }
}

/// Words a question starts with: interrogatives and the auxiliaries of a yes/no question
/// (English), and the interrogatives of Serbian (folded: no diacritics, Latin) with every case
/// and gender form of the declined ones ("koji", "čiji", "kakav", "koliki", "ko", "šta"), since
/// the form follows the noun asked about ("koju boju", "kakve torbe"). Grammar, not
/// vocabulary of any business.
const QUESTION_START: &[&str] = &[
    "what", "whats", "how", "hows", "which", "when", "where", "wheres", "why", "who", "whom",
    "whose", "can", "could", "do", "does", "did", "is", "isnt", "are", "arent", "was", "were",
    "will", "would", "should", "shall", "may", "might", "have", "has", "am", "any", "sta", "shta",
    "cega", "cemu", "cime", "koji", "koja", "koje", "kojeg", "kojega", "kojem", "kojemu", "kojim",
    "kojima", "kojoj", "kojom", "koju", "kojih", "kog", "kom", "ko", "kome", "koga", "ciji",
    "cija", "cije", "cijeg", "cijem", "cijim", "cijoj", "ciju", "cijih", "kakav", "kakva", "kakvo",
    "kakve", "kakvi", "kakvog", "kakvom", "kakvu", "kakvih", "koliki", "kolika", "kolike",
    "kolikog", "kolikom", "koliku", "koliko", "kolko", "kako", "kada", "kad", "gde", "gdje",
    "kuda", "odakle", "dokle", "otkud", "otkuda", "zasto", "dal", "jel",
];

/// English interrogatives that ask a question wherever they stand when an auxiliary follows
/// ("… but it never came, what do i do"); a relative "which" or "where" is followed by a
/// subject instead ("the boots which i bought").
const WH_EN: &[&str] = &["what", "how", "which", "when", "where", "why", "who"];
const AFTER_WH_EN: &[&str] = &[
    "do", "does", "did", "can", "could", "should", "would", "will", "is", "are", "was", "were",
    "shall", "may", "might", "much", "many", "long", "far", "often", "soon",
];
/// English auxiliaries that, followed by their subject, open a yes/no question in a clause
/// after a comma ("I bought boots, can I return them").
const YES_NO_AUX_EN: &[&str] = &[
    "can", "could", "do", "does", "did", "is", "are", "will", "would", "should", "may", "shall",
    "was", "were", "have", "has",
];
const SUBJECTS_EN: &[&str] = &[
    "i", "you", "we", "it", "they", "he", "she", "there", "this", "that",
];
/// Serbian interrogatives that ask how, what or where to with "da" wherever they stand ("…,
/// kako da vratim"); with no "da" they also open relative clauses ("gde živim").
const WH_DA_SR: &[&str] = &[
    "sta", "kako", "gde", "gdje", "kome", "koga", "kada", "kad", "koliko", "kolko", "zasto", "cime",
];

/// A question: a question mark; an interrogative first word, or Serbian's particle "li" after
/// any word ("može li", "…, moze li"); an English interrogative with an auxiliary or an
/// auxiliary with its subject opening a later clause, or a Serbian interrogative with "da",
/// anywhere in the message — customers ask after a statement, without the mark ("I bought a
/// jacket, can I swap it", "…, kako da vratim"). Grammar, not vocabulary of any business.
fn is_question(text: &str, folded: &str) -> bool {
    if text.contains('?') {
        return true;
    }
    fn words_of(s: &str) -> Vec<&str> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect()
    }
    let words = words_of(folded);
    let first = words.first().copied().unwrap_or("");
    if QUESTION_START.contains(&first) || words.iter().skip(1).any(|w| *w == "li") {
        return true;
    }
    let pair_asks = words.windows(2).any(|p| {
        (WH_EN.contains(&p[0]) && AFTER_WH_EN.contains(&p[1]))
            || (WH_DA_SR.contains(&p[0]) && p[1] == "da")
    });
    pair_asks
        || folded.split([',', ';', ':']).skip(1).any(|clause| {
            match words_of(clause)[..] {
                // "do it", "do that" tell the bot to go ahead.
                ["do", "it" | "this" | "that", ..] => false,
                [aux, subject, ..] => {
                    YES_NO_AUX_EN.contains(&aux) && SUBJECTS_EN.contains(&subject)
                }
                _ => false,
            }
        })
}

/// English words that open a yes/no question ("can I …", "is there …", "don't you …").
const YES_NO_OPENERS_EN: &[&str] = &[
    "can", "could", "do", "does", "did", "is", "isnt", "are", "arent", "was", "were", "will",
    "would", "should", "shall", "may", "might", "have", "has", "am", "dont", "doesnt", "cant",
    "wont",
];

/// Conjunctions a clause may open with before its question ("…, and can I …"; Serbian "i da
/// li" and "a da li" are read by their "li").
const CLAUSE_CONJUNCTIONS: &[&str] = &["and", "but", "or", "so", "also", "ali", "pa", "ili"];

/// Whether a message asks a yes/no question in some clause: an English auxiliary opening it,
/// Serbian's "da li", "jel", "je l", "dal" opening it, or its particle "li" after the clause's
/// first word ("može li …"). A question that only asks what, how or how much ("what now?",
/// "koliko košta?") does not, so a quoted "Yes." would answer nothing it asked. Grammar, not
/// vocabulary of any business.
pub fn asks_yes_or_no(folded: &str) -> bool {
    folded
        .split([',', ';', ':', '.', '?', '!', '\n', '-'])
        .any(|clause| {
            let words: Vec<&str> = clause
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .skip_while(|w| CLAUSE_CONJUNCTIONS.contains(w))
                .collect();
            match words[..] {
                [] => false,
                ["da", "li", ..] | ["jel", ..] | ["dal", ..] | ["je", "l", ..] => true,
                [first, ..] => YES_NO_OPENERS_EN.contains(&first) || words[1..].contains(&"li"),
            }
        })
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // Patterns are literals in this file; a bad one is a programming error caught by the tests.
    cell.get_or_init(|| Regex::new(pattern).expect("valid built-in regex"))
}

static RE_EMAIL: OnceLock<Regex> = OnceLock::new();
static RE_NAME: OnceLock<Regex> = OnceLock::new();
static RE_POSTCODE: OnceLock<Regex> = OnceLock::new();
static RE_QTY: OnceLock<Regex> = OnceLock::new();
static RE_DATE_ISO: OnceLock<Regex> = OnceLock::new();
static RE_DATE_EU: OnceLock<Regex> = OnceLock::new();
static RE_DATE_WORD: OnceLock<Regex> = OnceLock::new();
static RE_MONEY_PRE: OnceLock<Regex> = OnceLock::new();
static RE_MONEY_POST: OnceLock<Regex> = OnceLock::new();
static RE_SKU: OnceLock<Regex> = OnceLock::new();

fn parse_amount(s: &str) -> Option<f64> {
    let s = s.trim();
    // "1.299,50" and "1,299.50" and "49,90": the last separator followed by 1–2 digits is the decimal one.
    let last_sep = s.rfind([',', '.']);
    let normalised = match last_sep {
        Some(i) if s.len() - i - 1 <= 2 => {
            let (int, frac) = s.split_at(i);
            format!("{}.{}", int.replace([',', '.'], ""), &frac[1..])
        }
        _ => s.replace([',', '.'], ""),
    };
    normalised.parse().ok()
}

fn currency_code(sym: &str) -> String {
    match fold(sym).trim_end_matches('.') {
        "€" | "eur" | "euro" | "euros" | "evra" | "evro" => "EUR".into(),
        "$" | "usd" | "dollars" | "dollar" => "USD".into(),
        _ => "RSD".into(),
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Entities by pattern. `products` are catalogue product names to look for (may be empty).
pub fn entities(text: &str, products: &[String]) -> Entities {
    let mut e = Entities {
        order_ids: crate::order_ids::find(text),
        ..Entities::default()
    };
    for m in re(&RE_EMAIL, r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").find_iter(text) {
        push_unique(&mut e.emails, m.as_str().to_lowercase());
    }
    let name_re = re(
        &RE_NAME,
        r"(?i:my name is|i am|i'm|this is|zovem se|ja sam|ime mi je|moje ime je|зовем се|ја сам|име ми је|моје име је)\s+(\p{Lu}[\p{L}'-]+(?:\s+\p{Lu}[\p{L}'-]+){0,2})",
    );
    for caps in name_re.captures_iter(text) {
        push_unique(&mut e.names, caps[1].to_string());
    }
    let order_digits: Vec<String> = e
        .order_ids
        .iter()
        .map(|o| o.trim_start_matches('#').to_string())
        .collect();
    for caps in re(&RE_POSTCODE, r"(?:^|[^#\w])(\d{5})\b").captures_iter(text) {
        let pc = caps[1].to_string();
        if !order_digits.iter().any(|o| o.ends_with(&pc)) {
            push_unique(&mut e.postcodes, pc);
        }
    }
    let qty = re(
        &RE_QTY,
        r"(?i)\b(\d{1,3})\s*(?:x\b|pcs\b|pieces?\b|items?\b|pairs?\b|units?\b|kom\w*|пар\w*|ком\w*|par\w*)",
    );
    for caps in qty.captures_iter(text) {
        if let Ok(n) = caps[1].parse::<u32>() {
            e.quantities.push(n);
        }
    }
    for caps in re(&RE_DATE_ISO, r"\b(\d{4})-(\d{2})-(\d{2})\b").captures_iter(text) {
        push_unique(
            &mut e.dates,
            format!("{}-{}-{}", &caps[1], &caps[2], &caps[3]),
        );
    }
    for caps in re(&RE_DATE_EU, r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b").captures_iter(text) {
        let (d, m) = (
            caps[1].parse::<u32>().unwrap_or(0),
            caps[2].parse::<u32>().unwrap_or(0),
        );
        if (1..=31).contains(&d) && (1..=12).contains(&m) {
            push_unique(&mut e.dates, format!("{}-{:02}-{:02}", &caps[3], m, d));
        }
    }
    let date_words = re(
        &RE_DATE_WORD,
        r"(?i)\b(today|yesterday|tomorrow|last week|danas|juče|juce|sutra|прекјуче|јуче|данас|сутра)\b",
    );
    for caps in date_words.captures_iter(text) {
        push_unique(&mut e.dates, caps[1].to_lowercase());
    }
    let pre = re(&RE_MONEY_PRE, r"(€|\$|EUR|RSD)\s?(\d[\d.,]*\d|\d)");
    for caps in pre.captures_iter(text) {
        if let Some(amount) = parse_amount(&caps[2]) {
            e.money.push(Money {
                amount,
                currency: currency_code(&caps[1]),
            });
        }
    }
    let post = re(
        &RE_MONEY_POST,
        r"(?i)(\d[\d.,]*\d|\d)\s?(€|eur\b|euros?\b|evra\b|evro\b|rsd\b|din\.?|dinara\b|динара\b|дин\.?|\$|usd\b|dollars?\b)",
    );
    for caps in post.captures_iter(text) {
        if let Some(amount) = parse_amount(&caps[1]) {
            e.money.push(Money {
                amount,
                currency: currency_code(&caps[2]),
            });
        }
    }
    for m in re(&RE_SKU, r"\b[A-Z]{2,5}(?:-[A-Z0-9]{1,8}){1,4}\b").find_iter(text) {
        if m.as_str().chars().any(|c| c.is_ascii_digit()) || m.as_str().matches('-').count() >= 2 {
            push_unique(&mut e.products, m.as_str().to_string());
        }
    }
    let folded = fold(text);
    for p in products {
        let fp = fold(p);
        if !fp.is_empty() && has_phrase(&folded, &fp) {
            push_unique(&mut e.products, p.clone());
        }
    }
    e
}

/// Builds the understanding of `message` in the context of `state`.
pub fn understand(
    message: &str,
    state: &ConversationState,
    intent: Option<IntentPrediction>,
    products: &[String],
) -> Understanding {
    let previous = state.last_customer_texts(4);
    let entities = entities(message, products);
    Understanding {
        text: message.to_string(),
        folded: fold(message),
        lang: detect_language(message, state.lang),
        intent,
        flags: flags(message, &previous),
        tokens: tokens(message),
        request: Request::read(message, &entities),
        action_reading: None,
        entities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_yes_or_no_table() {
        for (message, want) in [
            ("Can I pay by card? I live abroad.", true),
            ("I bought a jacket, is it too late to swap it", true),
            ("the size I want is sold out, what now?", false),
            ("if I pay in euros, what rate do you use?", false),
            ("How long is it valid, and can I use it twice?", true),
            ("koliko traje, a da li moze duze?", true),
            ("i can't find the size chart", false),
            ("Da li Ridgeline Bivy ima kapuljaču?", true),
            ("Могу ли да платим картицом?", true),
            ("jel stiže sutra", true),
            ("Колико кошта достава?", false),
            ("sta sad, nema boje", false),
            ("", false),
        ] {
            assert_eq!(asks_yes_or_no(&fold(message)), want, "{message}");
        }
    }

    #[test]
    fn the_acts_read_from_examples_join_the_lists_as_measured() {
        use crate::acts::MessageActs;
        let read = |text: &str, acts: MessageActs| {
            let mut f = flags(text, &[]);
            f.apply_message_acts(acts);
            f
        };
        let none = MessageActs::default();
        // A listed word of complaint in a calm report is not a complaint without the examples'
        // reading; a threat to leave still is.
        assert!(flags("the box arrived damaged, can I exchange it?", &[]).complaint);
        assert!(!read("the box arrived damaged, can I exchange it?", none).complaint);
        assert!(read("I will never order again", none).complaint);
        let complaint = MessageActs {
            complaint: true,
            ..none
        };
        assert!(read("third week of waiting, this is a joke", complaint).complaint);
        // A request for a person and abuse are the lists' or the examples'.
        assert!(read("agent", none).human_request);
        let person = MessageActs {
            person: true,
            ..none
        };
        assert!(read("is there anyone real I could speak with", person).human_request);
        assert!(read("you idiot", none).abuse);
        let abuse = MessageActs {
            abuse: true,
            ..none
        };
        let f = read("what a clown of a bot", abuse);
        assert!(f.abuse && f.frustration);
        let sensitive = MessageActs {
            sensitive: true,
            ..none
        };
        assert!(!read("the lantern got so hot it hurt my hand", none).sensitive);
        assert!(read("the lantern got so hot it hurt my hand", sensitive).sensitive);
    }

    #[test]
    fn small_talk_read_from_examples_joins_the_lists_as_measured() {
        use crate::acts::{Act, MessageActs};
        let read = |text: &str, acts: MessageActs| {
            let mut u = understand(text, &ConversationState::default(), None, &[]);
            u.flags.apply_message_acts(acts);
            (u.is_small_talk(), u.small_talk_kind())
        };
        let none = MessageActs::default();
        // The lists alone, as before.
        assert_eq!(read("hello", none), (true, Act::Greeting));
        assert!(!read("howdy partner", none).0);
        // Small talk the lists do not know, with the examples' kind.
        let goodbye = MessageActs {
            small_talk: Some(Act::Goodbye),
            small_talk_kind: Some(Act::Goodbye),
            ..none
        };
        assert_eq!(read("catch you later", goodbye), (true, Act::Goodbye));
        // The kind is the examples' whenever a small-talk act leads, over the lists' words.
        let kind_only = MessageActs {
            small_talk_kind: Some(Act::Goodbye),
            ..none
        };
        assert_eq!(read("gotta run, hi to everyone", kind_only).1, Act::Goodbye);
        // The lists' small talk is overruled when another act leads.
        let other = MessageActs {
            not_small_talk: true,
            ..none
        };
        assert!(!read("hi, the zip on my tent broke", other).0);
        // A question longer than a greeting's is not small talk by the examples alone.
        let greeting = MessageActs {
            small_talk: Some(Act::Greeting),
            small_talk_kind: Some(Act::Greeting),
            ..none
        };
        assert!(read("yo, all good?", greeting).0);
        assert!(!read("who owns the company behind this shop?", greeting).0);
    }

    #[test]
    fn small_talk_table() {
        // (message, intent the classifier gave, small talk?)
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("hello", None, true),
            ("Hey, hello! Anyone around?", Some("greeting"), true),
            ("Hey, hello! Anyone around?", None, false),
            ("Great, thanks a lot for your help!", Some("thanks"), true),
            ("Great, thanks a lot for your help!", None, false),
            (
                "Ok that was everything, have a good one, bye",
                Some("goodbye"),
                true,
            ),
            ("Баш вам хвала, много сте ми помогли!", Some("thanks"), true),
            // A question beside the greeting is a question.
            (
                "Hi, how long does shipping to Germany take?",
                Some("greeting"),
                false,
            ),
            ("hi, where is my order?", Some("order_status"), false),
            // The classifier alone is not enough: no small-talk word.
            ("yes", Some("greeting"), false),
        ];
        for (text, intent, want) in cases {
            let u = Understanding {
                text: (*text).into(),
                lang: Lang::En,
                intent: intent.map(|i| crate::intents::IntentPrediction {
                    intent: i.into(),
                    score: 0.9,
                    in_scope: true,
                    neighbours: vec![],
                }),
                entities: Entities::default(),
                flags: flags(text, &[]),
                ..understand(text, &ConversationState::default(), None, &[])
            };
            assert_eq!(u.is_small_talk(), *want, "{text} ({intent:?})");
        }
    }

    #[test]
    fn flag_table() {
        type Pick = fn(&Flags) -> bool;
        let cases: &[(&str, &str, Pick, bool)] = &[
            (
                "human en",
                "Can I talk to a real person please",
                |f| f.human_request,
                true,
            ),
            ("human agent", "agent", |f| f.human_request, true),
            (
                "human cyr",
                "Желим да причам са човеком",
                |f| f.human_request,
                true,
            ),
            ("human latn", "hoću operatera", |f| f.human_request, true),
            (
                "human live cyr",
                "живи оператор молим",
                |f| f.human_request,
                true,
            ),
            (
                "not human",
                "How long is shipping?",
                |f| f.human_request,
                false,
            ),
            (
                "no substring match",
                "humankind management",
                |f| f.human_request,
                false,
            ),
            ("greeting", "Hello there", |f| f.greeting, true),
            ("greeting sr", "Dobar dan", |f| f.greeting, true),
            ("greeting cyr", "Здраво", |f| f.greeting, true),
            (
                "not greeting",
                "this is high quality",
                |f| f.greeting,
                false,
            ),
            ("thanks", "thanks a lot", |f| f.thanks, true),
            ("thanks sr", "Хвала пуно", |f| f.thanks, true),
            ("goodbye", "ok bye", |f| f.goodbye, true),
            ("abuse en", "you stupid bot", |f| f.abuse, true),
            ("abuse sr", "jebote ovo ne radi", |f| f.abuse, true),
            ("abuse cyr", "кретену", |f| f.abuse, true),
            ("not abuse", "shiitake mushrooms", |f| f.abuse, false),
            (
                "complaint",
                "This is unacceptable, the tent arrived damaged",
                |f| f.complaint,
                true,
            ),
            (
                "complaint sr",
                "Paket je oštećen, želim reklamaciju",
                |f| f.complaint,
                true,
            ),
            ("caps", "WHERE IS MY ORDER", |f| f.frustration, true),
            ("bangs", "where is it!!!", |f| f.frustration, true),
            ("calm", "Where is my order?", |f| f.frustration, false),
            (
                "leave",
                "I'll never shop here again",
                |f| f.threat_to_leave,
                true,
            ),
            (
                "leave sr",
                "nikad više neću kupovati kod vas",
                |f| f.threat_to_leave,
                true,
            ),
            (
                "sensitive lawyer",
                "I will talk to my lawyer",
                |f| f.sensitive,
                true,
            ),
            (
                "sensitive fire",
                "the heater caught fire",
                |f| f.sensitive,
                true,
            ),
            (
                "sensitive hack",
                "someone hacked my account",
                |f| f.sensitive,
                true,
            ),
            ("sensitive sr", "podneću tužbu", |f| f.sensitive, true),
            ("sensitive sr2", "zvaću policiju", |f| f.sensitive, true),
            (
                "sensitive cyr",
                "мој адвокат ће вас звати",
                |f| f.sensitive,
                true,
            ),
            (
                "not sensitive",
                "what is your return policy",
                |f| f.sensitive,
                false,
            ),
            (
                "hypothetical first person",
                "would the lantern be a fire hazard if I hang it inside?",
                |f| f.sensitive,
                false,
            ),
            (
                "past first person",
                "the lantern melted and caught fire when I was asleep, who covers it?",
                |f| f.sensitive,
                true,
            ),
            (
                "possessive in a question",
                "my lantern caught fire, is that covered?",
                |f| f.sensitive,
                true,
            ),
            ("question mark", "ship to canada?", |f| f.question, true),
            (
                "question without mark",
                "what colours does it come in",
                |f| f.question,
                true,
            ),
            (
                "serbian li",
                "Može li dostava u subotu",
                |f| f.question,
                true,
            ),
            (
                "serbian interrogative",
                "где је најближа радња",
                |f| f.question,
                true,
            ),
            (
                "statement",
                "I want to return my boots",
                |f| f.question,
                false,
            ),
            (
                "yes/no after a statement",
                "the strap broke on my bag, could you fix it",
                |f| f.question,
                true,
            ),
            (
                "interrogative with an auxiliary mid-sentence",
                "the courier left a note but i was home what should i do now",
                |f| f.question,
                true,
            ),
            (
                "serbian li at the end",
                "hteo bih da platim karticom pri preuzimanju moze li",
                |f| f.question,
                true,
            ),
            (
                "serbian li after a comma",
                "наручио сам шатор, може ли да стигне до петка",
                |f| f.question,
                true,
            ),
            (
                "serbian interrogative with da mid-sentence",
                "izgubio sam racun, kako da dokazem kupovinu",
                |f| f.question,
                true,
            ),
            (
                "relative clause",
                "the boots which I bought last week arrived, where I live it rains",
                |f| f.question,
                false,
            ),
            (
                "serbian relative clause",
                "jakna koju sam kupio, gde sam bio na odmoru, je pocepana",
                |f| f.question,
                false,
            ),
            (
                "go ahead after a comma",
                "Great, do it now",
                |f| f.question,
                false,
            ),
            (
                "thanks and a wish",
                "Thanks, have a nice day",
                |f| f.question,
                false,
            ),
            (
                "statement sr",
                "treba mi nova adresa",
                |f| f.question,
                false,
            ),
            (
                "opens with yes",
                "Yes, a colleague would be great, thanks.",
                |f| f.opens_with_yes,
                true,
            ),
            (
                "does not open with yes",
                "yesterday it came",
                |f| f.opens_with_yes,
                false,
            ),
            ("yes", "yes please", |f| f.affirmative, true),
            ("da", "Da", |f| f.affirmative, true),
            ("да", "да, потврђујем", |f| f.affirmative, true),
            (
                "serbian question with da",
                "Da li stiže sutra?",
                |f| f.affirmative,
                false,
            ),
            (
                "cyrillic question with да",
                "да ли може картицом",
                |f| f.affirmative,
                false,
            ),
            ("yes as a question", "yes?", |f| f.affirmative, false),
            ("no", "no", |f| f.negative, true),
            ("не", "не", |f| f.negative, true),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter(|(_, text, pick, want)| pick(&flags(text, &[])) != *want)
            .map(|(name, text, _, want)| format!("{name}: {text:?} want {want}"))
            .collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn a_question_without_a_question_mark_table() {
        // (message, is a question): Serbian interrogatives in the form their noun takes.
        let cases = [
            ("koju jaknu preporučujete za zimu", true),
            ("Коју боју да изаберем", true),
            ("kakve torbe imate za planinarenje", true),
            ("kolika je garancija na šator", true),
            ("čiju adresu da upišem", true),
            ("odakle šaljete pakete", true),
            ("what sizes do you have", true),
            ("šaljem vam sliku računa", false),
            ("I want to return the boots", false),
        ];
        for (text, want) in cases {
            let u = understand(text, &ConversationState::default(), None, &[]);
            assert_eq!(u.flags.question, want, "{text}");
        }
    }

    #[test]
    fn repeated_question_is_frustration() {
        let f = flags("where is my order K1001", &["Where is my order K1001?"]);
        assert!(f.repeated && f.frustration);
        let f = flags("how long does shipping take", &["Where is my order K1001?"]);
        assert!(!f.repeated);
        let f = flags(
            "Yes, please go ahead.",
            &["Yes, please go ahead.", "Yes, please go ahead."],
        );
        assert!(f.affirmative && !f.repeated && !f.frustration);
    }

    #[test]
    fn entity_table() {
        let products = vec!["Kestrel Trail Tent".to_string()];
        let e = entities(
            "Where is order #K1001? Also #W1234567 and order 1002",
            &products,
        );
        assert_eq!(e.order_ids, vec!["#K1001", "#W1234567", "#1002"]);
        let e = entities("Gde je porudžbina broj K1003?", &products);
        assert_eq!(e.order_ids, vec!["#K1003"]);
        let e = entities(
            "My name is Ana Petrović, postcode 11000, email Ana.P@example.com",
            &products,
        );
        assert_eq!(e.names, vec!["Ana Petrović"]);
        assert_eq!(e.postcodes, vec!["11000"]);
        assert_eq!(e.emails, vec!["ana.p@example.com"]);
        let e = entities("Зовем се Марко Марковић", &products);
        assert_eq!(e.names, vec!["Марко Марковић"]);
        let e = entities("I want 2 pairs and 3x socks", &products);
        assert_eq!(e.quantities, vec![2, 3]);
        let e = entities("ordered on 2026-05-01, or 3.4.2026, yesterday", &products);
        assert_eq!(e.dates, vec!["2026-05-01", "2026-04-03", "yesterday"]);
        let e = entities("It cost €49.90, not 1.299,50 RSD or 12 din", &products);
        assert_eq!(
            e.money,
            vec![
                Money {
                    amount: 49.9,
                    currency: "EUR".into()
                },
                Money {
                    amount: 1299.5,
                    currency: "RSD".into()
                },
                Money {
                    amount: 12.0,
                    currency: "RSD".into()
                },
            ]
        );
        let e = entities(
            "Is the kestrel trail tent (KO-TENT-2P) waterproof?",
            &products,
        );
        assert_eq!(e.products, vec!["KO-TENT-2P", "Kestrel Trail Tent"]);
        let e = entities("order #12345 please", &products);
        assert!(
            e.postcodes.is_empty(),
            "an order number is not a postcode: {:?}",
            e.postcodes
        );
    }

    #[test]
    fn a_learned_act_decides_over_the_word_lists_but_never_answers_a_question() {
        use crate::acts::Act;
        // (message, learned act, affirmative, negative)
        let cases: &[(&str, Act, bool, bool)] = &[
            // Not in the lists: the learned yes is taken.
            ("Lovely, carry on.", Act::Affirm, true, false),
            // "da" the conjunction made the lists say yes; the learned reading says otherwise.
            ("Treba da dodam jos nesto.", Act::Other, false, false),
            ("Ostavite to tako.", Act::Deny, false, true),
            // A question is neither, whatever the reading.
            (
                "Can you go ahead with the other order?",
                Act::Affirm,
                false,
                false,
            ),
        ];
        for (text, act, yes, no) in cases {
            let mut f = flags(text, &[]);
            f.apply_act(*act);
            assert_eq!((f.affirmative, f.negative), (*yes, *no), "{text}");
        }
    }
}
