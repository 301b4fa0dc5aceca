//! The escalation policy: one pure function from what is known about the turn to the next move.
//! Checks run in priority order (safety first, then the customer's wishes, then quality), so a
//! message that is both a complaint and a lawsuit threat goes to a human as `sensitive_topic`.

use crate::reader::Reading;
use crate::understanding::Understanding;
use frontdesk_core::config::EnginePolicy;
use frontdesk_core::intents::{is_action_intent, is_knowledge_intent, RECOMMEND_PRODUCT};
use frontdesk_core::retrieval::{ChunkKind, Hit};
use frontdesk_core::{ConversationState, Decision, EscalationReason, Lang};
use serde::{Deserialize, Serialize};

/// Slot set by the engine when an action flow reports that a human must approve the action.
pub const SLOT_NEEDS_APPROVAL: &str = "needs_approval";
/// Slot set for one turn when the bot offered a person because the knowledge base had no
/// answer: a yes to it is a request for a person.
pub const SLOT_OFFERED_PERSON: &str = "offered_person";

/// What retrieval found for this turn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RetrievalSignal {
    /// Calibrated confidence of the best hit (0 when nothing was found).
    pub best_confidence: f32,
    pub hits: usize,
    pub best_kind: Option<ChunkKind>,
    /// How well the reader's best unit matches the question (`Reading::score`); `None` when the
    /// reader did not run. Below `engine.reader.min_score` the passages are near the question
    /// but do not state what it asks, and the turn is not answered.
    pub reader_score: Option<f32>,
    /// The question asks for a kind of value (a weight, a price, a duration …) and the
    /// reader's answer states none (`Reading::states_asked_kind`); the turn is then not
    /// answered when `engine.reader.require_asked_kind` is set.
    #[serde(default)]
    pub reader_misses_asked_kind: bool,
    /// The passage the reader quotes is an English page (`engine.reader.sure_score` applies
    /// only there).
    #[serde(default)]
    pub reader_on_english: bool,
}

impl RetrievalSignal {
    /// The signals of a knowledge turn: `confidence` (the retrieval confidence, moved by the
    /// known-topic prior), the hits found and what the reader made of them.
    pub fn of(confidence: f32, hits: &[Hit], reading: Option<&Reading>) -> Self {
        Self {
            best_confidence: confidence,
            hits: hits.len(),
            best_kind: hits.first().map(|h| h.kind),
            reader_score: reading.map(|r| r.score),
            reader_misses_asked_kind: reading.is_some_and(|r| !r.states_asked_kind),
            reader_on_english: reading
                .and_then(|r| hits.get(r.hit))
                .is_some_and(|h| h.lang == Lang::En),
        }
    }
}

/// Result of verifying a drafted (generated or extractive) answer against its passages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftCheck {
    /// True when every fact is found in the passages and every sentence is supported.
    pub supported: bool,
    /// Numbers, names, SKUs and policy terms not found in the passages.
    pub unsupported_facts: Vec<String>,
    pub unsupported_sentences: Vec<String>,
    /// Lowest per-sentence support (token overlap with the passages, 0..1).
    pub min_support: f32,
}

/// The confidence that the best hit answers the message: the retrieval confidence, moved by the
/// prior when the intent classifier recognised one of the shop's own topics, a knowledge or an
/// action intent (see `EscalationThresholds::known_topic_answerable`). Out-of-scope and
/// conversation-management intents leave it as it is.
pub fn answer_confidence(
    policy: &EnginePolicy,
    u: &Understanding,
    retrieval_confidence: f32,
) -> f32 {
    let prior = policy.thresholds.known_topic_answerable;
    let known_topic = u
        .intent_name()
        .is_some_and(|i| is_knowledge_intent(i) || is_action_intent(i));
    if !known_topic || retrieval_confidence <= 0.0 || retrieval_confidence >= 1.0 {
        return retrieval_confidence;
    }
    let logit = |p: f32| (p / (1.0 - p)).ln();
    let z = logit(retrieval_confidence) + logit(prior.clamp(1e-3, 1.0 - 1e-3));
    1.0 / (1.0 + (-z).exp())
}

/// The hand-overs that come before any flow or answer, whatever the knowledge base holds: a
/// sensitive topic, a pending approval, a request for a person, abuse or mounting frustration.
pub fn safety(
    policy: &EnginePolicy,
    state: &ConversationState,
    u: &Understanding,
) -> Option<EscalationReason> {
    if u.flags.sensitive {
        return Some(EscalationReason::SensitiveTopic);
    }
    if state.slots.contains_key(SLOT_NEEDS_APPROVAL) {
        return Some(EscalationReason::NeedsApproval);
    }
    if u.flags.human_request
        || (state.slots.contains_key(SLOT_OFFERED_PERSON)
            && (u.flags.affirmative || u.flags.opens_with_yes)
            // "Da li …?" opens with "da" and asks something else.
            && !u.flags.question
            && !u.flags.negative)
    {
        return Some(EscalationReason::CustomerRequest);
    }
    let this_turn = u32::from(u.flags.complaint || u.flags.frustration);
    if u.flags.abuse
        || (this_turn > 0
            && state.frustration_signals + this_turn >= policy.thresholds.max_frustration)
    {
        return Some(EscalationReason::Frustration);
    }
    None
}

/// What a `Decision::Clarify` says to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clarification {
    /// A first complaint the knowledge base does not answer: heard, and what can be checked.
    Complaint,
    /// Not something this business handles.
    OutOfScope,
    /// Too short to search well: ask for detail.
    MoreDetail,
    /// A real question the knowledge base does not answer: "I don't know; shall I connect you
    /// with a colleague?", and the conversation stays with the bot.
    OfferPerson,
}

/// Three words or fewer give retrieval too little to go on.
const VAGUE_WORDS: usize = 3;

/// A short message: too little to search well, and short enough to be a bare "no thanks".
pub fn is_vague(u: &Understanding) -> bool {
    u.text.split_whitespace().count() <= VAGUE_WORDS
}

pub fn clarification(u: &Understanding) -> Clarification {
    if u.flags.complaint {
        Clarification::Complaint
    } else if u.intent.as_ref().is_some_and(|p| !p.in_scope) {
        Clarification::OutOfScope
    } else if is_vague(u) {
        Clarification::MoreDetail
    } else {
        Clarification::OfferPerson
    }
}

/// Whether the knowledge base answers the message, as its retrieval and reader signals say:
/// something was found, it is confident enough (`min_answer`, or a unit read surely) and the
/// reader found a unit close enough (`engine.reader.min_score`). The one test behind a
/// customer's answer (`decide`) and an agent's suggested reply.
pub fn knowledge_answers(policy: &EnginePolicy, retrieval: &RetrievalSignal) -> bool {
    let read = retrieval
        .reader_score
        .is_none_or(|s| s >= policy.reader.min_score)
        && !(retrieval.reader_misses_asked_kind && policy.reader.require_asked_kind);
    // A unit that states what was asked, plainly enough, answers even when its chunk as a
    // whole looks unsure (`engine.reader.sure_score`).
    let read_surely = retrieval.reader_on_english
        && retrieval
            .reader_score
            .is_some_and(|s| s >= policy.reader.sure_score);
    let confident = retrieval.best_confidence >= policy.thresholds.min_answer || read_surely;
    retrieval.hits > 0 && confident && read
}

/// Decides the next move. `draft` is the check of the final candidate answer, when one exists.
pub fn decide(
    policy: &EnginePolicy,
    state: &ConversationState,
    u: &Understanding,
    retrieval: &RetrievalSignal,
    draft: Option<&DraftCheck>,
) -> Decision {
    let t = &policy.thresholds;
    let escalate = |reason| Decision::Escalate { reason };
    if let Some(reason) = safety(policy, state, u) {
        return escalate(reason);
    }
    if u.is_small_talk() {
        return Decision::Answer;
    }
    if let Some(intent) = u.intent_name() {
        if is_action_intent(intent) && intent != RECOMMEND_PRODUCT {
            return Decision::StartAction {
                action: intent.to_string(),
            };
        }
    }
    let failing_again = state.consecutive_failures + 1 >= t.max_consecutive_failures;
    if !knowledge_answers(policy, retrieval) {
        let out_of_scope = u.intent.as_ref().is_some_and(|p| !p.in_scope);
        if failing_again {
            return escalate(if out_of_scope {
                EscalationReason::OutOfScope
            } else {
                EscalationReason::RepeatedFailure
            });
        }
        // The first failure keeps the conversation with the bot: a clear "not something we
        // handle" is said once, a first complaint is heard, a vague message gets a question
        // and a real question the knowledge base cannot answer gets "I don't know; shall I
        // connect you with a colleague?" (`clarification`). Only piling failures, a request
        // or a yes to that offer hand over.
        return Decision::Clarify;
    }
    if let Some(d) = draft {
        if !d.supported {
            return escalate(EscalationReason::LowConfidence);
        }
    }
    Decision::Answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intents::IntentPrediction;
    use crate::understanding::{Entities, Flags};
    use frontdesk_core::config::EscalationThresholds;
    use frontdesk_core::Lang;

    fn u(text: &str, intent: Option<(&str, bool)>, flags: Flags) -> Understanding {
        Understanding {
            text: text.into(),
            lang: Lang::En,
            intent: intent.map(|(i, in_scope)| IntentPrediction {
                intent: i.into(),
                score: 0.9,
                in_scope,
                neighbours: vec![],
            }),
            entities: Entities::default(),
            flags,
            ..crate::understanding::understand(text, &ConversationState::default(), None, &[])
        }
    }
    fn strong() -> RetrievalSignal {
        RetrievalSignal {
            best_confidence: 0.9,
            hits: 3,
            best_kind: Some(ChunkKind::Faq),
            reader_score: None,
            reader_misses_asked_kind: false,
            reader_on_english: false,
        }
    }
    fn weak() -> RetrievalSignal {
        RetrievalSignal {
            best_confidence: 0.1,
            hits: 3,
            best_kind: Some(ChunkKind::Passage),
            reader_score: None,
            reader_misses_asked_kind: false,
            reader_on_english: false,
        }
    }

    #[test]
    fn answer_confidence_table() {
        let policy = EnginePolicy::default(); // known_topic_answerable 0.9: log-odds + ln 9
        let flags = Flags::default;
        // (intent and whether it is in scope, retrieval confidence, expected answer confidence)
        type Case<'a> = (Option<(&'a str, bool)>, f32, f32);
        let cases: &[Case] = &[
            (Some(("shipping_info", true)), 0.5, 0.9),
            (Some(("shipping_info", true)), 0.1, 0.5),
            (Some(("shipping_info", true)), 0.0, 0.0),
            (Some(("shipping_info", true)), 1.0, 1.0),
            // Not recognised, out of scope or conversation management: unchanged.
            (None, 0.1, 0.1),
            (Some(("shipping_info", false)), 0.1, 0.1),
            (Some(("out_of_scope", true)), 0.1, 0.1),
            (Some(("cancel_order", true)), 0.1, 0.5),
            (Some(("greeting", true)), 0.1, 0.1),
            (Some(("human_agent", true)), 0.1, 0.1),
        ];
        for (intent, conf, want) in cases {
            let got = answer_confidence(&policy, &u("q", *intent, flags()), *conf);
            assert!(
                (got - want).abs() < 1e-4,
                "{intent:?} {conf}: {got} != {want}"
            );
        }
        let off = EnginePolicy {
            thresholds: EscalationThresholds {
                known_topic_answerable: 0.5,
                ..Default::default()
            },
            ..Default::default()
        };
        let known = u("q", Some(("shipping_info", true)), flags());
        assert!((answer_confidence(&off, &known, 0.1) - 0.1).abs() < 1e-6);
    }

    #[test]
    fn decision_table() {
        let policy = EnginePolicy::default(); // min_answer 0.44, max failures 2, max frustration 2
        let fresh = ConversationState::default();
        let failed_once = ConversationState {
            consecutive_failures: 1,
            ..Default::default()
        };
        let mut offered = ConversationState::default();
        offered.slots.insert(SLOT_OFFERED_PERSON.into(), "1".into());
        let annoyed_once = ConversationState {
            frustration_signals: 1,
            ..Default::default()
        };
        let mut approval = ConversationState::default();
        approval
            .slots
            .insert(SLOT_NEEDS_APPROVAL.into(), "refund 900 EUR".into());
        let q = "How long do returns take to process?";
        let good = DraftCheck {
            supported: true,
            min_support: 0.8,
            ..Default::default()
        };
        let bad = DraftCheck {
            supported: false,
            unsupported_facts: vec!["60".into()],
            ..Default::default()
        };
        use Decision::*;
        use EscalationReason::*;
        let e = |reason| Escalate { reason };
        // (name, state, understanding, retrieval, draft, expected decision)
        type Case<'a> = (
            &'a str,
            &'a ConversationState,
            Understanding,
            RetrievalSignal,
            Option<&'a DraftCheck>,
            Decision,
        );
        let cases: Vec<Case> = vec![
            (
                "plain answer",
                &fresh,
                u(q, Some(("shipping", true)), Flags::default()),
                strong(),
                Some(&good),
                Answer,
            ),
            (
                "sensitive beats all",
                &fresh,
                u(
                    q,
                    None,
                    Flags {
                        sensitive: true,
                        human_request: true,
                        ..Default::default()
                    },
                ),
                strong(),
                None,
                e(SensitiveTopic),
            ),
            (
                "approval pending",
                &approval,
                u("ok", None, Flags::default()),
                strong(),
                None,
                e(NeedsApproval),
            ),
            (
                "human request",
                &fresh,
                u(
                    "agent please",
                    None,
                    Flags {
                        human_request: true,
                        ..Default::default()
                    },
                ),
                strong(),
                None,
                e(CustomerRequest),
            ),
            (
                "abuse",
                &fresh,
                u(
                    q,
                    None,
                    Flags {
                        abuse: true,
                        frustration: true,
                        ..Default::default()
                    },
                ),
                strong(),
                None,
                e(Frustration),
            ),
            (
                "first complaint is answered",
                &fresh,
                u(
                    q,
                    None,
                    Flags {
                        complaint: true,
                        ..Default::default()
                    },
                ),
                strong(),
                Some(&good),
                Answer,
            ),
            (
                "first complaint nothing answers is heard, not passed on",
                &fresh,
                u(
                    q,
                    None,
                    Flags {
                        complaint: true,
                        ..Default::default()
                    },
                ),
                weak(),
                None,
                Clarify,
            ),
            (
                "second complaint hands over",
                &annoyed_once,
                u(
                    q,
                    None,
                    Flags {
                        complaint: true,
                        ..Default::default()
                    },
                ),
                strong(),
                None,
                e(Frustration),
            ),
            (
                "calm after annoyance",
                &annoyed_once,
                u(q, None, Flags::default()),
                strong(),
                Some(&good),
                Answer,
            ),
            (
                "greeting",
                &fresh,
                u(
                    "hello",
                    None,
                    Flags {
                        greeting: true,
                        ..Default::default()
                    },
                ),
                weak(),
                None,
                Answer,
            ),
            (
                "action intent",
                &fresh,
                u(
                    "cancel my order",
                    Some(("cancel_order", true)),
                    Flags::default(),
                ),
                weak(),
                None,
                StartAction {
                    action: "cancel_order".into(),
                },
            ),
            (
                "recommendation is answered from KB",
                &fresh,
                u(
                    "what tent for two",
                    Some(("recommend_product", true)),
                    Flags::default(),
                ),
                strong(),
                None,
                Answer,
            ),
            (
                "out of scope first time",
                &fresh,
                u(
                    "what's the weather like",
                    Some(("out_of_scope", false)),
                    Flags::default(),
                ),
                weak(),
                None,
                Clarify,
            ),
            (
                "out of scope again",
                &failed_once,
                u(
                    "what's the weather like",
                    Some(("out_of_scope", false)),
                    Flags::default(),
                ),
                weak(),
                None,
                e(OutOfScope),
            ),
            (
                "out of scope but KB knows",
                &fresh,
                u(q, Some(("out_of_scope", false)), Flags::default()),
                strong(),
                Some(&good),
                Answer,
            ),
            (
                "weak retrieval, long question: offered a person, kept",
                &fresh,
                u(q, Some(("shipping", true)), Flags::default()),
                weak(),
                None,
                Clarify,
            ),
            (
                "weak retrieval, vague",
                &fresh,
                u("the thing", None, Flags::default()),
                weak(),
                None,
                Clarify,
            ),
            (
                "no hits at all",
                &fresh,
                u(q, None, Flags::default()),
                RetrievalSignal::default(),
                None,
                Clarify,
            ),
            (
                "a yes to the offer of a person",
                &offered,
                u(
                    "yes please",
                    None,
                    Flags {
                        affirmative: true,
                        ..Default::default()
                    },
                ),
                weak(),
                None,
                e(CustomerRequest),
            ),
            (
                "a new question after the offer",
                &offered,
                u(q, None, Flags::default()),
                strong(),
                Some(&good),
                Answer,
            ),
            (
                "weak again",
                &failed_once,
                u("the thing", None, Flags::default()),
                weak(),
                None,
                e(RepeatedFailure),
            ),
            (
                "unsupported draft",
                &fresh,
                u(q, None, Flags::default()),
                strong(),
                Some(&bad),
                e(LowConfidence),
            ),
        ];
        let mut covered = std::collections::BTreeSet::new();
        for (name, state, und, ret, draft, want) in cases {
            let got = decide(&policy, state, &und, &ret, draft);
            assert_eq!(got, want, "{name}");
            if let Escalate { reason } = got {
                covered.insert(reason);
            }
        }
        assert_eq!(
            covered.len(),
            EscalationReason::ALL.len(),
            "every reason has a case: {covered:?}"
        );
    }

    #[test]
    fn a_passage_that_does_not_state_the_answer_is_not_answered_table() {
        let policy = EnginePolicy::default();
        let min = policy.reader.min_score;
        let und = u("How tall is the tent inside?", None, Flags::default());
        // (reader score, expected decision)
        for (score, want) in [
            (None, Decision::Answer),
            (Some(min), Decision::Answer),
            (Some(min + 0.05), Decision::Answer),
            (Some(min - 0.01), Decision::Clarify),
        ] {
            let signal = RetrievalSignal {
                reader_score: score,
                ..strong()
            };
            assert_eq!(
                decide(&policy, &ConversationState::default(), &und, &signal, None),
                want,
                "{score:?}"
            );
        }
    }

    #[test]
    fn a_unit_read_surely_answers_below_the_confidence_bar_table() {
        let mut policy = EnginePolicy::default();
        let (min, sure) = (policy.thresholds.min_answer, policy.reader.sure_score);
        let und = u("What does the yearly plan cost?", None, Flags::default());
        // (retrieval confidence, reader score, expected decision)
        let cases = [
            (min - 0.2, Some(sure), Decision::Answer),
            (min - 0.2, Some(sure - 0.01), Decision::Clarify),
            (min - 0.2, None, Decision::Clarify),
            (min, Some(sure - 0.01), Decision::Answer),
        ];
        for (confidence, score, want) in cases {
            let signal = RetrievalSignal {
                best_confidence: confidence,
                reader_score: score,
                reader_on_english: true,
                ..strong()
            };
            let state = ConversationState::default();
            assert_eq!(
                decide(&policy, &state, &und, &signal, None),
                want,
                "{confidence} {score:?}"
            );
        }
        // Not on a Serbian page (its cosines run higher), and above 1 not at all.
        let signal = RetrievalSignal {
            best_confidence: min - 0.2,
            reader_score: Some(0.99),
            reader_on_english: false,
            ..strong()
        };
        let state = ConversationState::default();
        assert_eq!(
            decide(&policy, &state, &und, &signal, None),
            Decision::Clarify
        );
        policy.reader.sure_score = 1.5;
        let signal = RetrievalSignal {
            reader_on_english: true,
            ..signal
        };
        assert_eq!(
            decide(&policy, &state, &und, &signal, None),
            Decision::Clarify
        );
    }

    #[test]
    fn an_answer_without_the_value_asked_is_declined_when_required() {
        let und = u("How heavy is the stove?", None, Flags::default());
        let missing = RetrievalSignal {
            reader_score: Some(0.95),
            reader_misses_asked_kind: true,
            ..strong()
        };
        let mut policy = EnginePolicy::default();
        policy.reader.require_asked_kind = false;
        let state = ConversationState::default();
        assert_eq!(
            decide(&policy, &state, &und, &missing, None),
            Decision::Answer
        );
        policy.reader.require_asked_kind = true;
        assert_eq!(
            decide(&policy, &state, &und, &missing, None),
            Decision::Clarify
        );
        let present = RetrievalSignal {
            reader_misses_asked_kind: false,
            ..missing
        };
        assert_eq!(
            decide(&policy, &state, &und, &present, None),
            Decision::Answer
        );
    }

    #[test]
    fn thresholds_come_from_config() {
        let mut policy = EnginePolicy::default();
        let und = u(
            "How long do returns take to process?",
            None,
            Flags::default(),
        );
        let mid = RetrievalSignal {
            best_confidence: 0.5,
            hits: 1,
            best_kind: None,
            reader_score: None,
            reader_misses_asked_kind: false,
            reader_on_english: false,
        };
        assert_eq!(
            decide(&policy, &ConversationState::default(), &und, &mid, None),
            Decision::Answer
        );
        policy.thresholds.min_answer = 0.6;
        assert_eq!(
            decide(&policy, &ConversationState::default(), &und, &mid, None),
            Decision::Clarify
        );
        assert_eq!(clarification(&und), Clarification::OfferPerson);
        policy.thresholds.max_consecutive_failures = 5;
        let failed = ConversationState {
            consecutive_failures: 3,
            ..Default::default()
        };
        let vague = u("hm what", None, Flags::default());
        assert_eq!(
            decide(&policy, &failed, &vague, &mid, None),
            Decision::Clarify
        );
        policy.thresholds.max_frustration = 1;
        let complaint = u(
            "this is terrible service",
            None,
            Flags {
                complaint: true,
                ..Default::default()
            },
        );
        assert_eq!(
            decide(
                &policy,
                &ConversationState::default(),
                &complaint,
                &mid,
                None
            ),
            Decision::Escalate {
                reason: EscalationReason::Frustration
            }
        );
    }

    #[test]
    fn clarification_table() {
        let q = "Do you have a shop in another town I could visit?";
        let complaint = Flags {
            complaint: true,
            ..Default::default()
        };
        // (message, intent and whether it is in scope, flags, expected)
        type Case<'a> = (&'a str, Option<(&'a str, bool)>, Flags, Clarification);
        let cases: Vec<Case> = vec![
            (q, None, complaint.clone(), Clarification::Complaint),
            (
                q,
                Some(("out_of_scope", false)),
                Flags::default(),
                Clarification::OutOfScope,
            ),
            (
                "the thing",
                None,
                Flags::default(),
                Clarification::MoreDetail,
            ),
            (q, None, Flags::default(), Clarification::OfferPerson),
            (
                q,
                Some(("shipping_info", true)),
                Flags::default(),
                Clarification::OfferPerson,
            ),
        ];
        for (text, intent, flags, want) in cases {
            assert_eq!(clarification(&u(text, intent, flags)), want, "{text}");
        }
    }
}
