//! The bot's own replies in the customer's language. Serbian is written once in Cyrillic; the
//! Latin form is produced by transliteration so the two scripts never drift apart.
//!
//! The built-in texts name no business and no trade: what the assistant helps with comes from
//! `[business]` (`frontdesk_core::config::BusinessProfile`), and a business may replace any
//! whole text by its key. `Texts` is the one place that puts the two together.

use crate::lang::in_script;
use frontdesk_core::config::{BusinessProfile, LocalText};
use frontdesk_core::{EscalationReason, Lang};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Greeting,
    Thanks,
    Goodbye,
    /// Asks the customer to rephrase or add detail.
    Clarify,
    /// The request is not something the business's assistant handles.
    OutOfScope,
    /// The knowledge base does not answer the question: says so and offers a person, while the
    /// conversation stays with the bot.
    OfferPerson,
    /// After the customer said no to the offer of a person.
    AnythingElse,
    /// Acknowledges a complaint before answering.
    Empathy,
    /// After acknowledging a complaint the knowledge base does not answer: what the assistant
    /// can check, and how to reach a person.
    ComplaintFollowUp,
    /// Prefix of an extractive answer whose source is in English.
    SourceInEnglish,
    /// Prefix of an extractive answer whose source is in Serbian.
    SourceInSerbian,
    Handoff(EscalationReason),
    /// After answering a question about an action from the knowledge base: offers to do it.
    OfferAction,
}

impl Template {
    /// The name a business uses to replace this text (`[business.texts.<key>]`).
    pub fn key(self) -> String {
        match self {
            Template::Greeting => "greeting".into(),
            Template::Thanks => "thanks".into(),
            Template::Goodbye => "goodbye".into(),
            Template::Clarify => "clarify".into(),
            Template::OutOfScope => "out_of_scope".into(),
            Template::OfferPerson => "offer_person".into(),
            Template::AnythingElse => "anything_else".into(),
            Template::Empathy => "empathy".into(),
            Template::ComplaintFollowUp => "complaint_follow_up".into(),
            Template::SourceInEnglish => "source_in_english".into(),
            Template::SourceInSerbian => "source_in_serbian".into(),
            Template::Handoff(r) => format!("handoff_{}", r.as_str()),
            Template::OfferAction => "offer_action".into(),
        }
    }

    pub fn all() -> Vec<Template> {
        let mut all = vec![
            Template::Greeting,
            Template::Thanks,
            Template::Goodbye,
            Template::Clarify,
            Template::OutOfScope,
            Template::OfferPerson,
            Template::AnythingElse,
            Template::Empathy,
            Template::ComplaintFollowUp,
            Template::SourceInEnglish,
            Template::SourceInSerbian,
            Template::OfferAction,
        ];
        all.extend(EscalationReason::ALL.map(Template::Handoff));
        all
    }
}

fn en(t: Template) -> &'static str {
    use EscalationReason::*;
    match t {
        Template::Greeting => "Hello! How can I help you today?",
        Template::Thanks => "You're welcome! Is there anything else I can help you with?",
        Template::Goodbye => "Thank you for contacting us. Goodbye!",
        Template::Clarify => "I'm not sure I understood. Could you tell me a bit more, for example the product or order it is about?",
        Template::OutOfScope => "I'm sorry, that is not something I can help with here.",
        Template::OfferPerson => "I don't know that, I'm afraid: I couldn't find it in our information. Shall I connect you with a colleague? Or ask me something else.",
        Template::AnythingElse => "All right. What else can I help you with?",
        Template::Empathy => "I'm sorry about this, and I understand your frustration.",
        Template::ComplaintFollowUp => "Tell me your order number and e-mail address and I'll check what happened, or write \"agent\" and a member of our team will take over.",
        Template::SourceInEnglish => "(Source in English:)",
        Template::SourceInSerbian => "(Source in Serbian:)",
        Template::OfferAction => "If you'd like me to do this for one of your orders, just tell me the order number.",
        Template::Handoff(CustomerRequest) => "Of course. I'm connecting you with a member of our team; they will reply here shortly.",
        Template::Handoff(OutOfScope) => "That is outside what I can help with, so I'm passing your question to a member of our team. They will reply here shortly.",
        Template::Handoff(LowConfidence) => "I couldn't find a reliable answer to that in our information, so I'm passing your question to a member of our team. They will reply here shortly.",
        Template::Handoff(Frustration) => "I'm sorry for the trouble. I'm handing this conversation to a member of our team, who will take it from here.",
        Template::Handoff(RepeatedFailure) => "I'm sorry I couldn't help with this. A member of our team will take over and reply here shortly.",
        Template::Handoff(NeedsApproval) => "This needs approval from a member of our team. I've passed on the details; they will reply here shortly.",
        Template::Handoff(SensitiveTopic) => "Thank you for telling us. This needs a member of our team, so I'm passing it on right away; they will reply here shortly.",
    }
}

fn sr(t: Template) -> &'static str {
    use EscalationReason::*;
    match t {
        Template::Greeting => "Здраво! Како могу да помогнем?",
        Template::Thanks => "Нема на чему! Да ли могу још нешто да помогнем?",
        Template::Goodbye => "Хвала што сте нас контактирали. Довиђења!",
        Template::Clarify => "Нисам сигуран да сам разумео. Можете ли да кажете нешто више, на пример о ком производу или поруџбини је реч?",
        Template::OutOfScope => "Жао ми је, у томе не могу да помогнем овде.",
        Template::OfferPerson => "Нажалост, то не знам: нисам то пронашао у нашим информацијама. Да вас повежем са колегом? Или ме питајте нешто друго.",
        Template::AnythingElse => "У реду. У чему још могу да помогнем?",
        Template::Empathy => "Жао ми је због овога и разумем ваше незадовољство.",
        Template::ComplaintFollowUp => "Напишите ми број поруџбине и имејл адресу и проверићу шта се догодило, или напишите „оператер” и преузеће члан нашег тима.",
        Template::SourceInEnglish => "(Извор на енглеском:)",
        Template::SourceInSerbian => "(Извор на српском:)",
        Template::OfferAction => "Ако желите да то урадим за неку од ваших поруџбина, само ми напишите број поруџбине.",
        Template::Handoff(CustomerRequest) => "Наравно. Повезујем вас са чланом нашег тима; ускоро ће вам одговорити овде.",
        Template::Handoff(OutOfScope) => "То је ван онога у чему могу да помогнем, па ваше питање прослеђујем члану нашег тима. Ускоро ће вам одговорити овде.",
        Template::Handoff(LowConfidence) => "Нисам пронашао поуздан одговор у нашим информацијама, па ваше питање прослеђујем члану нашег тима. Ускоро ће вам одговорити овде.",
        Template::Handoff(Frustration) => "Жао ми је због непријатности. Разговор преузима члан нашег тима.",
        Template::Handoff(RepeatedFailure) => "Жао ми је што нисам успео да помогнем. Члан нашег тима ће преузети и ускоро вам одговорити овде.",
        Template::Handoff(NeedsApproval) => "За ово је потребно одобрење члана нашег тима. Проследио сам детаље; ускоро ће вам одговорити овде.",
        Template::Handoff(SensitiveTopic) => "Хвала што сте нам рекли. Ово мора да преузме члан нашег тима, па га одмах обавештавам; ускоро ће вам одговорити овде.",
    }
}

/// The built-in text of `t` in `lang`.
pub fn text(t: Template, lang: Lang) -> String {
    match lang {
        Lang::En => en(t).to_string(),
        Lang::SrCyrl | Lang::SrLatn => in_script(sr(t), lang),
    }
}

/// The bot's texts for one business: its replacements first, else the built-in text, with
/// what the assistant helps with added to the greeting and the out-of-scope reply.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    profile: BusinessProfile,
}

impl Texts {
    pub fn new(profile: BusinessProfile) -> Self {
        Texts { profile }
    }

    pub fn text(&self, t: Template, lang: Lang) -> String {
        if let Some(own) = self
            .profile
            .texts
            .get(&t.key())
            .and_then(|l| local(l, lang))
        {
            return own;
        }
        let base = text(t, lang);
        match t {
            Template::Greeting => {
                let welcome = local(&self.profile.name, lang).map(|name| match lang {
                    Lang::En => format!("Welcome to {name}! "),
                    Lang::SrCyrl | Lang::SrLatn => {
                        in_script(&format!("{name} — добро дошли! "), lang)
                    }
                });
                let scope = self.helps_with(lang);
                format!("{}{base}{scope}", welcome.unwrap_or_default())
            }
            // What the assistant does help with, and a person for what it does not.
            Template::OutOfScope => format!(
                "{base}{} {}",
                self.helps_with(lang),
                in_script(
                    match lang {
                        Lang::En => "Shall I connect you with a colleague, or can I help with something else?",
                        Lang::SrCyrl | Lang::SrLatn => {
                            "Да вас повежем са колегом, или вам могу помоћи око нечег другог?"
                        }
                    },
                    lang
                )
            ),
            _ => base,
        }
    }

    /// " I can help with …" when the business says what that is, else nothing.
    fn helps_with(&self, lang: Lang) -> String {
        match local(&self.profile.helps_with, lang) {
            Some(what) => match lang {
                Lang::En => format!(" I can help with {what}."),
                Lang::SrCyrl | Lang::SrLatn => {
                    format!(" {}{what}.", in_script("Могу да помогнем око: ", lang))
                }
            },
            None => String::new(),
        }
    }
}

/// A business's text in `lang`: Serbian in the customer's script (written in Cyrillic, it is
/// transliterated for Latin readers; written in Latin, it stays Latin, since e-mail addresses
/// and web addresses must not be transliterated).
fn local(text: &LocalText, lang: Lang) -> Option<String> {
    match lang {
        Lang::En => text.en.clone(),
        Lang::SrCyrl | Lang::SrLatn => text.sr.as_deref().map(|s| in_script(s, lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_exists_in_every_language_and_script() {
        let all = Template::all();
        for t in all {
            let e = text(t, Lang::En);
            let c = text(t, Lang::SrCyrl);
            let l = text(t, Lang::SrLatn);
            assert!(!e.is_empty() && e.is_ascii() || e.contains('\''), "{t:?}");
            assert!(
                c.chars().any(|ch| ('\u{0400}'..='\u{04FF}').contains(&ch)),
                "{t:?} Cyrillic"
            );
            assert!(
                !l.chars().any(|ch| ('\u{0400}'..='\u{04FF}').contains(&ch)),
                "{t:?} Latin: {l}"
            );
            assert_eq!(
                crate::lang::detect_language(&l, None),
                Lang::SrLatn,
                "{t:?}: {l}"
            );
        }
        assert_eq!(
            text(Template::Thanks, Lang::SrLatn),
            "Nema na čemu! Da li mogu još nešto da pomognem?"
        );
    }

    #[test]
    fn a_business_profile_fills_and_replaces_texts() {
        use frontdesk_core::config::{BusinessProfile, LocalText};
        let neutral = Texts::default();
        let g = neutral.text(Template::Greeting, Lang::En);
        assert_eq!(g, "Hello! How can I help you today?");
        assert!(!neutral
            .text(Template::OutOfScope, Lang::En)
            .contains("shop"));

        let mut profile = BusinessProfile {
            name: LocalText {
                en: Some("Acme Mobile".into()),
                sr: None,
            },
            helps_with: LocalText {
                en: Some("plans and bills".into()),
                sr: Some("тарифе и рачуни".into()),
            },
            ..Default::default()
        };
        profile.texts.insert(
            Template::Handoff(EscalationReason::LowConfidence).key(),
            LocalText {
                en: Some("A colleague will look into it.".into()),
                sr: None,
            },
        );
        let t = Texts::new(profile);
        assert_eq!(
            t.text(Template::Greeting, Lang::En),
            "Welcome to Acme Mobile! Hello! How can I help you today? I can help with plans and bills."
        );
        assert!(t
            .text(Template::OutOfScope, Lang::SrLatn)
            .contains("Mogu da pomognem oko: tarife i računi. Da vas povežem sa kolegom"));
        assert!(t
            .text(Template::OutOfScope, Lang::SrCyrl)
            .contains("Могу да помогнем око: тарифе и рачуни. Да вас повежем са колегом"));
        // A replaced text, and the built-in one where the business gave no Serbian.
        let h = Template::Handoff(EscalationReason::LowConfidence);
        assert_eq!(t.text(h, Lang::En), "A colleague will look into it.");
        assert_eq!(t.text(h, Lang::SrCyrl), text(h, Lang::SrCyrl));
        // Every key is distinct, so each text can be replaced on its own.
        let keys: std::collections::BTreeSet<String> =
            Template::all().into_iter().map(Template::key).collect();
        assert_eq!(keys.len(), Template::all().len());
    }
}
