//! What a message asks of the action flows, read once with the rest of the message: the
//! action its keywords name, the act words (drop it, add to the selection, suggest something)
//! and the details it gives (`details`: payment method, address, name, order-number ending).
//! Matched on folded text so one list covers English and both Serbian scripts.

use super::details::{
    address_in_sentence, bare_name, name_before_postcode, name_candidates, name_parts,
    order_suffix, parse_address, wants_default,
};
use super::Entities;
use crate::lang::fold;
use frontdesk_core::commerce::Address;
use serde::{Deserialize, Serialize};

pub use super::details::{PaymentKind, PaymentMention};

/// What a message asks of the action flows and the details it gives them. Which of the
/// customer's payment methods, orders or items it names depends on the account, so that choice
/// is the flow's, made from what is read here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The action the message's keywords ask for, the most specific first.
    pub action: Option<Action>,
    /// It asks for a product suggestion in so many words.
    pub asks_for_suggestion: bool,
    /// The suggestion is to go with something the customer has or names ("what goes with the
    /// tent?") rather than a product for a need.
    pub asks_for_accessories: bool,
    /// The customer drops the request in progress.
    pub abort: bool,
    /// Items it names are added to those chosen before ("the mat as well").
    pub adds_to_selection: bool,
    /// It names every item of an order ("everything", "all the items").
    pub names_all_items: bool,
    pub cancel_reason: Option<CancelReason>,
    pub payment: PaymentMention,
    /// "Whichever you like", "the same card as before": the default payment method will do.
    pub wants_default_payment: bool,
    /// The ending of an order number ("it ends in 47").
    pub order_suffix: Option<String>,
    /// First and last name: introduced ("my name is …"), or written bare beside a postcode.
    pub name: Option<(String, String)>,
    /// Pairs of capitalised words that may be the customer's name, tried with a postcode when
    /// `name` finds no customer (see [`name_candidates`]).
    #[serde(default)]
    pub name_candidates: Vec<(String, String)>,
    pub address: Option<Address>,
    /// How many: a number with a unit, else a number word above one.
    pub quantity: Option<u32>,
}

impl Request {
    /// The request in `text`, whose pattern entities are `entities` (names, postcodes and
    /// quantities count here).
    pub fn read(text: &str, entities: &Entities) -> Request {
        let address = parse_address(text).or_else(|| address_in_sentence(text));
        // An order number and a whole new address with no other request ("K2040 should go
        // to Dunavska 9, 21000 Novi Sad from Monday"): that order's address is to change.
        let action = detect_action(text).or_else(|| {
            (address.is_some() && !entities.order_ids.is_empty()).then_some(Action::OrderAddress)
        });
        Request {
            action,
            asks_for_suggestion: wants_recommendation(text),
            asks_for_accessories: asks_for_accessories(text),
            abort: is_abort(text),
            adds_to_selection: adds_to_selection(text),
            names_all_items: names_all_items(text),
            cancel_reason: cancel_reason(text),
            payment: PaymentMention::read(text),
            wants_default_payment: wants_default(text),
            order_suffix: order_suffix(text),
            name: name_parts(&entities.names, text).or_else(|| {
                (!entities.postcodes.is_empty())
                    .then(|| bare_name(text).or_else(|| name_before_postcode(text)))
                    .flatten()
            }),
            name_candidates: name_candidates(text),
            address,
            quantity: entities
                .quantities
                .first()
                .copied()
                .or_else(|| quantity_in_words(text)),
        }
    }
}

/// An action the flows carry out; saved in a flow's state by its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Status,
    /// Cancel a pending order or return delivered items: the order's status decides which.
    Refund,
    /// Modify a pending order's items or exchange delivered ones: the status decides which.
    ChangeItems,
    Payment,
    OrderAddress,
    UserAddress,
    PlaceOrder,
    Recommend,
}

impl Action {
    pub fn from_intent(intent: &str) -> Option<Action> {
        use frontdesk_core::intents as i;
        Some(match intent {
            i::ORDER_STATUS => Action::Status,
            i::CANCEL_ORDER | i::RETURN_ITEMS => Action::Refund,
            i::EXCHANGE_ITEMS | i::MODIFY_ORDER_ITEMS => Action::ChangeItems,
            i::CHANGE_PAYMENT_METHOD => Action::Payment,
            i::CHANGE_ORDER_ADDRESS => Action::OrderAddress,
            i::CHANGE_DEFAULT_ADDRESS => Action::UserAddress,
            i::PLACE_ORDER => Action::PlaceOrder,
            i::RECOMMEND_PRODUCT => Action::Recommend,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Action::Status => "order_status",
            Action::Refund => "cancel_or_return",
            Action::ChangeItems => "change_items",
            Action::Payment => "modify_pending_order_payment",
            Action::OrderAddress => "modify_pending_order_address",
            Action::UserAddress => "modify_user_address",
            Action::PlaceOrder => "place_order",
            Action::Recommend => "recommend_product",
        }
    }
}

/// Whether any of `words` stands in the folded `f` at a word start.
pub(super) fn has(f: &str, words: &[&str]) -> bool {
    words.iter().any(|w| phrase_at(f, w).is_some())
}

/// Byte offset of `w` in `f` at a word start (prefix match: "vrat" finds "vratim").
fn phrase_at(f: &str, w: &str) -> Option<usize> {
    crate::phrases::find(f, w, crate::phrases::Boundary::WordStart)
}

const PAYMENT: &[&str] = &[
    "change payment",
    "change the payment",
    "change my payment",
    "update the payment",
    "update my payment",
    "switch payment",
    "switch the payment",
    "pay with a different",
    "use a different payment",
    "promeni nacin placanja",
    "promenim nacin placanja",
    "drugi nacin placanja",
    "promeni placanje",
    "promenim placanje",
];
const USER_ADDRESS: &[&str] = &[
    "default address",
    "my address in my profile",
    "profile address",
    "address on my account",
    "podrazumevanu adresu",
    "adresu na nalogu",
    "adresu u profilu",
    "adresu na mom nalogu",
    "adresu u mom profilu",
    "address on my account",
    "address in my profile",
    "address of my account",
];
const ORDER_ADDRESS: &[&str] = &[
    "change address",
    "change the address",
    "change my address",
    "shipping address",
    "change the shipping",
    "address to",
    "wrong address",
    "promeni adresu",
    "promenim adresu",
    "promenite adresu",
    "izmeni adresu",
    "izmenite adresu",
    "adresu za porudzbinu",
    "adresu porudzbine",
    "adresu isporuke",
    "adresu dostave",
    "drugu adresu",
];
const CHANGE_ITEMS: &[&str] = &[
    "exchange",
    "modify",
    "swap",
    "replace",
    "different size",
    "different color",
    "different colour",
    "change it to",
    "change the",
    "change my",
    "instead",
    "zamen",
    "razmen",
    "drugu velicinu",
    "drugu boju",
    "promeni velicinu",
    "promeni boju",
];
const REFUND: &[&str] = &[
    "cancel",
    "refund",
    "return",
    "send back",
    "send it back",
    "not receive",
    "don't want to receive",
    "money back",
    "don't need",
    "do not need",
    "otkaz",
    "otkaz",
    "vrat",
    "povrat",
    "refundac",
    "ne treba mi",
    "storn",
];
const STATUS: &[&str] = &[
    "where is my order",
    "where's my order",
    "order status",
    "status of my order",
    "status of order",
    "track",
    "tracking",
    "has it shipped",
    "when will",
    "gde je moja",
    "gde je porudzbin",
    "status porudzbin",
    "pracenje",
    "kada stize",
    "kad stize",
];
const PLACE: &[&str] = &[
    "place an order",
    "place a new order",
    "i want to order",
    "i'd like to order",
    "i would like to order",
    "want to buy",
    "like to buy",
    "order a ",
    "order the ",
    "buy a ",
    "zelim da narucim",
    "narucio bih",
    "narucila bih",
    "da narucim",
    "zelim da kupim",
    "kupio bih",
    "kupila bih",
];
const RECOMMEND: &[&str] = &[
    "recommend",
    "suggest",
    "what goes with",
    "what else",
    "accessor",
    "preporu",
    "predlo",
    "sta ide uz",
    "dodatn",
];

/// A quantity above one written as a word ("two", "dva", "dve", "три"), unless it counts people
/// ("two person tent"). "One" is not read: "the black one" names a variant, and one is the
/// default anyway.
pub fn quantity_in_words(text: &str) -> Option<u32> {
    const WORDS: &[(&str, u32)] = &[
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("dva", 2),
        ("dve", 2),
        ("dvije", 2),
        ("tri", 3),
        ("cetiri", 4),
        ("pet", 5),
        ("sest", 6),
    ];
    const PEOPLE: &[&str] = &["person", "people", "man", "osob", "coveka", "clan"];
    let words: Vec<String> = fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words.iter().enumerate().find_map(|(i, w)| {
        let n = WORDS.iter().find(|(word, _)| word == w)?.1;
        let counts_people = words
            .get(i + 1)
            .is_some_and(|next| PEOPLE.iter().any(|p| next.starts_with(p)));
        (!counts_people).then_some(n)
    })
}

/// The suggestion asked for goes with something the customer has or names ("what goes with
/// the Alpina tent?", "accessories for my stove"), rather than being a product for a need.
pub fn asks_for_accessories(text: &str) -> bool {
    has(
        &fold(text),
        &[
            "goes with",
            "go with",
            "accessor",
            "for the ",
            "for my ",
            "with my ",
            "sta ide uz",
            "ide uz",
            "dodat",
            "za moj",
            "uz moj",
        ],
    )
}

/// The message asks for a product suggestion: a word of suggesting, in a message that does not
/// ask for a measure ("how much weight do you recommend?", "koliko kila preporučujete" ask for
/// a value a page states, not for a product).
pub fn wants_recommendation(text: &str) -> bool {
    has(&fold(text), RECOMMEND) && crate::answer_kinds::asked(text).is_empty()
}

/// What a product variant is told apart by: a "wrong" one of these names an item to change.
const VARIANT_ATTRIBUTES: &[&str] = &[
    "size",
    "color",
    "colour",
    "material",
    "model",
    "variant",
    "option",
    "version",
    "style",
    "length",
    "velicin",
    "boj",
    "materijal",
];

/// "a wrong size", "picked the wrong strap colour", "pogresnu velicinu": a wrong variant
/// attribute within the next three words. Grammar plus the generic names of variant
/// attributes, in place of phrases that named one product's attribute.
fn names_a_wrong_variant(f: &str) -> bool {
    let words: Vec<&str> = f
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        (*w == "wrong" || w.starts_with("pogresn"))
            && words[i + 1..words.len().min(i + 4)]
                .iter()
                .any(|n| VARIANT_ATTRIBUTES.iter().any(|a| n.starts_with(a)))
    })
}

/// The action a message asks for, by keywords (most specific first).
pub fn detect_action(text: &str) -> Option<Action> {
    let f = fold(text);
    if !has(&f, PAYMENT)
        && !has(&f, USER_ADDRESS)
        && !has(&f, ORDER_ADDRESS)
        && names_a_wrong_variant(&f)
    {
        return Some(Action::ChangeItems);
    }
    let table: [(&[&str], Action); 8] = [
        (PAYMENT, Action::Payment),
        (USER_ADDRESS, Action::UserAddress),
        (ORDER_ADDRESS, Action::OrderAddress),
        (CHANGE_ITEMS, Action::ChangeItems),
        (REFUND, Action::Refund),
        (STATUS, Action::Status),
        (PLACE, Action::PlaceOrder),
        (RECOMMEND, Action::Recommend),
    ];
    table
        .into_iter()
        .find(|(words, _)| has(&f, words))
        .map(|(_, a)| a)
}

const ABORT: &[&str] = &[
    "never mind",
    "nevermind",
    "forget it",
    "forget about it",
    "don't do it",
    "do not do it",
    "stop",
    "changed my mind",
    "keep it",
    "keep all",
    "keep the",
    "nema veze",
    "odustajem",
    "zaboravi",
    "ne radi to",
    "predomislio",
    "predomislila",
];

/// The customer drops the request in progress.
pub fn is_abort(text: &str) -> bool {
    has(&fold(text), ABORT)
}

/// Why an order is cancelled, as the customer puts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    Mistake,
    NoLongerNeeded,
}

impl CancelReason {
    /// The reason as the policy's list words it (the first entry that says it), or the plain
    /// words when the policy lists none.
    pub fn among(self, allowed: &[String]) -> Option<String> {
        let want = match self {
            CancelReason::Mistake => "mistake",
            CancelReason::NoLongerNeeded => "no longer",
        };
        allowed
            .iter()
            .find(|r| r.contains(want))
            .cloned()
            .or_else(|| {
                allowed.is_empty().then(|| match self {
                    CancelReason::Mistake => "ordered by mistake".into(),
                    CancelReason::NoLongerNeeded => "no longer needed".into(),
                })
            })
    }
}

/// The reason for a cancellation the message gives, by keywords.
pub fn cancel_reason(text: &str) -> Option<CancelReason> {
    let f = fold(text);
    let mistake = has(
        &f,
        &[
            "mistake",
            "by accident",
            "accidentally",
            "accidental",
            "wrong item",
            "greskom",
            "slucajno",
            "pogresno",
        ],
    );
    let not_needed = has(
        &f,
        &[
            "no longer",
            "don't need",
            "do not need",
            "not need",
            "won't need",
            "not be able to receive",
            "not receive",
            "changed my mind",
            "cheaper",
            "found it",
            "ne treba",
            "vise mi ne",
            "nije mi potreb",
        ],
    );
    if mistake {
        Some(CancelReason::Mistake)
    } else if not_needed {
        Some(CancelReason::NoLongerNeeded)
    } else {
        None
    }
}

/// Items named are added to the ones chosen before: "the mat as well", "i taj još".
pub fn adds_to_selection(text: &str) -> bool {
    let f = fold(text);
    [" also ", " as well", " too", "i takodje", " jos "]
        .iter()
        .any(|w| format!(" {f} ").contains(w))
}

/// Phrases that name every item of an order.
const ALL_ITEMS: &[&str] = &[
    "return the items",
    "return them all",
    "all the items",
    "all items",
    "all of the items",
    "everything",
    "whole order",
    "entire order",
    "all of them",
    "both items",
    "both of them",
    "sve stavke",
    "celu porudzbinu",
    "sve iz",
];

/// The message names every item of an order.
pub fn names_all_items(text: &str) -> bool {
    let f = fold(text);
    ALL_ITEMS.iter().any(|w| f.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggestion_is_asked_for_a_product_not_a_measure_table() {
        for (text, want) in [
            ("can you recommend a light tent for two", true),
            ("šta biste mi preporučili za zimsko planinarenje", true),
            ("what else goes with this stove", true),
            ("how much weight do you recommend carrying in it", false),
            ("koliko dugo preporučujete da se suši posle pranja", false),
            ("what price do you suggest for the deluxe version", false),
        ] {
            assert_eq!(wants_recommendation(text), want, "{text}");
        }
    }

    #[test]
    fn detects_actions_table() {
        let cases: &[(&str, Option<Action>)] = &[
            ("I want to cancel order #W123", Some(Action::Refund)),
            ("I'd like to return the lamp", Some(Action::Refund)),
            ("Želim da vratim jaknu", Some(Action::Refund)),
            ("Желим да откажем поруџбину", Some(Action::Refund)),
            (
                "Can I exchange the mouse for a white one?",
                Some(Action::ChangeItems),
            ),
            ("change payment to paypal", Some(Action::Payment)),
            (
                "Please update my default address",
                Some(Action::UserAddress),
            ),
            (
                "I need to change the shipping address of my order",
                Some(Action::OrderAddress),
            ),
            (
                "Promenite adresu za porudžbinu #K1011",
                Some(Action::OrderAddress),
            ),
            (
                "Преселио сам се, промените адресу на мом налогу",
                Some(Action::UserAddress),
            ),
            (
                "For #W1, modify Water Bottle {'color': 'red'} to {'color': 'black'}",
                Some(Action::ChangeItems),
            ),
            ("Where is my order #K1001?", Some(Action::Status)),
            ("I'd like to order a headlamp", Some(Action::PlaceOrder)),
            ("Can you recommend a tent?", Some(Action::Recommend)),
            ("What are your opening hours?", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect_action(text), *want, "{text}");
        }
    }

    /// The policy's wording of the reason the text gives.
    fn detect_reason(text: &str, allowed: &[String]) -> Option<String> {
        cancel_reason(text).and_then(|r| r.among(allowed))
    }

    #[test]
    fn reasons_and_abort() {
        let allowed = vec![
            "no longer needed".to_string(),
            "ordered by mistake".to_string(),
        ];
        assert_eq!(
            detect_reason("I accidentally placed it", &allowed).as_deref(),
            Some("ordered by mistake")
        );
        assert_eq!(
            detect_reason("I don't need the items", &allowed).as_deref(),
            Some("no longer needed")
        );
        assert_eq!(detect_reason("hello", &allowed), None);
        assert!(is_abort("never mind, keep it"));
        assert!(!is_abort("yes please"));
    }

    #[test]
    fn a_wrong_variant_attribute_asks_to_change_items() {
        // (message, change items?)
        let cases: &[(&str, bool)] = &[
            ("I picked the wrong strap colour on my order", true),
            ("Ordered the wrong frame material, can it be steel?", true),
            ("Izabrala sam pogresnu velicinu", true),
            // No attribute named: nothing decided here.
            ("You sent me the wrong thing", false),
            // An address is the address flow's.
            ("the wrong length of the shipping address label", false),
        ];
        for (text, want) in cases {
            let got = detect_action(text) == Some(Action::ChangeItems);
            assert_eq!(got, *want, "{text}");
        }
    }

    #[test]
    fn parses_addresses_and_ids() {
        let a = parse_address("{'address1': '320 Cedar Avenue', 'address2': 'Suite 116', 'city': 'San Antonio', 'country': 'USA', 'state': 'TX', 'zip': '78219'}");
        assert_eq!(
            a.map(|a| (a.city, a.zip, a.address2)),
            Some(("San Antonio".into(), "78219".into(), "Suite 116".into()))
        );
        let a = parse_address("New address: 12 Main St, Apt 4, Springfield, IL 62704, USA");
        assert_eq!(
            a.map(|a| (a.address1, a.address2, a.city, a.state, a.zip)),
            Some((
                "12 Main St".into(),
                "Apt 4".into(),
                "Springfield".into(),
                "IL".into(),
                "62704".into()
            ))
        );
        let a = parse_address("New address: Savska cesta 41, 10000 Zagreb, Croatia");
        assert_eq!(
            a.map(|a| (a.address1, a.city, a.zip, a.country)),
            Some((
                "Savska cesta 41".into(),
                "Zagreb".into(),
                "10000".into(),
                "Croatia".into()
            ))
        );
        let a = parse_address("1234 Main St, Springfield, IL 62704");
        assert_eq!(
            a.map(|a| (a.address1, a.city, a.state)),
            Some(("1234 Main St".into(), "Springfield".into(), "IL".into()))
        );
        assert_eq!(parse_address("no address here"), None);
        for (text, want) in [
            ("Želim da poručim dva gasna kartuša", Some(2)),
            ("Хоћу три флаше", Some(3)),
            ("a two person tent please", None),
            ("the black one", None),
            ("the blue tent", None),
        ] {
            assert_eq!(quantity_in_words(text), want, "{text}");
        }
        assert_eq!(
            order_suffix("the order number ends in 58").as_deref(),
            Some("58")
        );
        for (text, want) in [
            ("Lukas Weber, zip code 80802", Some(("Lukas", "Weber"))),
            ("ana marija petrović 11000", Some(("ana", "petrović"))),
            (
                "Ime i prezime: Ivana Kovač, poštanski broj 21000",
                Some(("Ivana", "Kovač")),
            ),
            ("80802", None),
            ("please cancel order 80802 for me now", None),
        ] {
            let got = bare_name(text);
            assert_eq!(
                got.as_ref().map(|(f, l)| (f.as_str(), l.as_str())),
                want,
                "{text}"
            );
        }
        // A name beside its postcode inside a longer message (names of our own invention).
        for (text, want) in [
            (
                "Hi, Dara Lukić, 24000 Subotica here. Where is my parcel?",
                Some(("Dara", "Lukić")),
            ),
            (
                "it's Tomas Berg (44135), the tent is torn",
                Some(("Tomas", "Berg")),
            ),
            (
                "Јована Савић, поштански број 18000, хоћу да вратим торбу",
                Some(("Јована", "Савић")),
            ),
            (
                "Nina Ristić poštanski broj 36000 — moja porudžbina",
                Some(("Nina", "Ristić")),
            ),
            ("send it to Bulevar Kralja 14, 11000 Beograd", None),
            ("I ordered 2 tents, 11000 is my code", None),
        ] {
            let got = name_before_postcode(text);
            assert_eq!(
                got.as_ref().map(|(f, l)| (f.as_str(), l.as_str())),
                want,
                "{text}"
            );
        }
        assert_eq!(
            name_parts(&[], "hi, my name is olivia ito"),
            Some(("olivia".into(), "ito".into()))
        );
    }

    #[test]
    fn an_address_inside_a_sentence() {
        let read = |text: &str| {
            address_in_sentence(text).map(|a| {
                format!(
                    "{} | {} | {} | {} | {}",
                    a.address1, a.address2, a.zip, a.city, a.country
                )
            })
        };
        for (text, want) in [
            (
                "Од сада ми пакете шаљите на Његошеву 14, 34000 Крагујевац. Хвала.",
                Some("Његошеву 14 |  | 34000 | Крагујевац | "),
            ),
            (
                "ubuduće paket neka ide na Vukovarsku 7, 31000 Osijek.",
                Some("Vukovarsku 7 |  | 31000 | Osijek | "),
            ),
            (
                "please send it to Kralja Petra 12, stan 3, 11000 Novi Beograd, Serbia instead",
                Some("Kralja Petra 12 | stan 3 | 11000 | Novi Beograd | Serbia"),
            ),
            ("I ordered 2 tents, 11000 is my code", None),
            ("my order K1001, postcode 21000", None),
        ] {
            assert_eq!(read(text).as_deref(), want, "{text}");
        }
        // With an order number and nothing else asked, the order's address is to change.
        let text = "Inače, paket K2040 neka stigne na Vukovarsku 7, 31000 Osijek.";
        let u = crate::understanding::understand(text, &Default::default(), None, &[]);
        assert_eq!(u.request.action, Some(Action::OrderAddress));
        assert_eq!(u.request.address.map(|a| a.zip).as_deref(), Some("31000"));
    }

    #[test]
    fn name_candidates_are_neighbouring_capitalised_words() {
        let pairs = |text: &str| -> Vec<String> {
            name_candidates(text)
                .into_iter()
                .map(|(f, l)| format!("{f} {l}"))
                .collect()
        };
        for (text, want) in [
            ("Hi, Mira Tomić here, postcode 11000.", vec!["Mira Tomić"]),
            (
                "Hello Mira Tomić, 11000",
                vec!["Hello Mira", "Mira Tomić", "Hello Tomić"],
            ),
            ("Ćao, Goran Ilić iz Kraljeva, 36000", vec!["Goran Ilić"]),
            ("Здраво, Милена Јовић, 34000", vec!["Милена Јовић"]),
            // Lower case, single capitals, codes and digits give nothing.
            ("my order K1001 is late", vec![]),
            ("I ordered 2 tents, 11000 is my code", vec![]),
            ("Bob, 78701", vec![]),
        ] {
            assert_eq!(pairs(text), want, "{text}");
        }
        let many = "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj Kk";
        assert_eq!(name_candidates(many).len(), 8);
    }
}
