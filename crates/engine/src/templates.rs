//! Fixed replies in the customer's language. Serbian is written once in Cyrillic; the Latin
//! form is produced by transliteration so the two scripts never drift apart.

use crate::lang::in_script;
use frontdesk_core::{EscalationReason, Lang};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Greeting,
    Thanks,
    Goodbye,
    /// Asks the customer to rephrase or add detail.
    Clarify,
    /// The request is not something the shop's assistant handles.
    OutOfScope,
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

fn en(t: Template) -> &'static str {
    use EscalationReason::*;
    match t {
        Template::Greeting => "Hello! How can I help you today? I can answer questions about orders, shipping, returns and our products.",
        Template::Thanks => "You're welcome! Is there anything else I can help you with?",
        Template::Goodbye => "Thank you for contacting us. Goodbye!",
        Template::Clarify => "I'm not sure I understood. Could you tell me a bit more, for example the product or order it is about?",
        Template::OutOfScope => "I can only help with questions about our shop: orders, shipping, returns, payments and products. Could you rephrase your question?",
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
        Template::Greeting => "Здраво! Како могу да помогнем? Могу да одговорим на питања о поруџбинама, достави, враћању робе и нашим производима.",
        Template::Thanks => "Нема на чему! Да ли могу још нешто да помогнем?",
        Template::Goodbye => "Хвала што сте нас контактирали. Довиђења!",
        Template::Clarify => "Нисам сигуран да сам разумео. Можете ли да кажете нешто више, на пример о ком производу или поруџбини је реч?",
        Template::OutOfScope => "Могу да помогнем само са питањима о нашој продавници: поруџбине, достава, враћање робе, плаћање и производи. Можете ли да преформулишете питање?",
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

/// The template's text in `lang`.
pub fn text(t: Template, lang: Lang) -> String {
    match lang {
        Lang::En => en(t).to_string(),
        Lang::SrCyrl | Lang::SrLatn => in_script(sr(t), lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_exists_in_every_language_and_script() {
        let mut all = vec![
            Template::Greeting,
            Template::Thanks,
            Template::Goodbye,
            Template::Clarify,
            Template::OutOfScope,
            Template::Empathy,
            Template::ComplaintFollowUp,
            Template::SourceInEnglish,
            Template::SourceInSerbian,
            Template::OfferAction,
        ];
        all.extend(EscalationReason::ALL.map(Template::Handoff));
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
}
