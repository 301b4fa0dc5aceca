//! Reply templates per language. Serbian is written once in Cyrillic and converted for sr-Latn.
//! `{name}` placeholders are filled after the script conversion so ids stay as they are.

use crate::lang::in_script;
use frontdesk_core::Lang;

fn template(key: &str, serbian: bool) -> &'static str {
    match (key, serbian) {
        ("ask_identity", false) => "Before I can help with that, I need to verify your identity: please tell me your e-mail address, or your first and last name and postcode.",
        ("ask_identity", true) => "Пре него што вам помогнем, морам да потврдим ваш идентитет: напишите своју имејл адресу, или име, презиме и поштански број.",
        ("ask_zip", false) => "Thanks. Please also tell me the postcode of your address.",
        ("ask_zip", true) => "Хвала. Напишите и поштански број своје адресе.",
        ("identity_failed", false) => "I couldn't find an account with those details. Please check the e-mail address, or give your first and last name with your postcode.",
        ("identity_failed", true) => "Нисам пронашао налог са тим подацима. Проверите имејл адресу или напишите име, презиме и поштански број.",
        ("verified", false) => "Thank you, {name}, you're verified.",
        ("verified", true) => "Хвала, {name}, идентитет је потврђен.",
        ("ask_order", false) => "Which order is this about? Your orders: {orders}.",
        ("ask_order", true) => "На коју поруџбину се ово односи? Ваше поруџбине: {orders}.",
        ("not_your_order", false) => "I can't find order {order} on your account. Please check the order number.",
        ("not_your_order", true) => "Не могу да пронађем поруџбину {order} на вашем налогу. Проверите број поруџбине.",
        ("wrong_status", false) => "Order {order} is {status}, so {what} isn't possible for it.",
        ("wrong_status", true) => "Поруџбина {order} је у статусу „{status}”, па {what} није могуће.",
        ("ask_items", false) => "Which items from order {order}? It contains: {items}.",
        ("ask_items", true) => "Које ставке из поруџбине {order}? Садржи: {items}.",
        ("ask_variant", false) => "Which option would you like instead of {item}? Available: {variants}.",
        ("ask_variant", true) => "Коју варијанту желите уместо {item}? Доступно: {variants}.",
        ("out_of_stock", false) => "Sorry, {item} with {options} is out of stock. Available: {variants}.",
        ("out_of_stock", true) => "Нажалост, {item} ({options}) није на стању. Доступно: {variants}.",
        ("ask_reason", false) => "What is the reason for the cancellation: {reasons}?",
        ("ask_reason", true) => "Који је разлог отказивања: {reasons}?",
        ("ask_payment", false) => "Which payment method should be used? Yours: {methods}.",
        ("ask_payment", true) => "Који начин плаћања да користимо? Ваши: {methods}.",
        ("no_other_payment", false) => "Your account has no other payment method I could use for this. You can add one in your account, or I can connect you with a colleague.",
        ("no_other_payment", true) => "На вашем налогу нема другог начина плаћања који бих могао да употребим за ово. Можете да га додате на свом налогу, или могу да вас повежем са колегом.",
        ("ask_address", false) => "What is the new address? Please write it as: street, city, state, postcode, country.",
        ("ask_address", true) => "Која је нова адреса? Напишите: улица, град, област, поштански број, држава.",
        ("ask_product", false) => "Which product would you like to order?",
        ("ask_product", true) => "Који производ желите да наручите?",
        ("confirm", false) => "Here is what I will do: {plan}. Shall I go ahead? Please answer yes or no.",
        ("confirm", true) => "Ево шта ћу урадити: {plan}. Да ли да наставим? Одговорите са да или не.",
        ("confirm_approval", false) => "Here is what I will do: {plan}. A refund of {amount} is above what I can approve myself, so a colleague will check it and finish it. Shall I pass it on? Please answer yes or no.",
        ("confirm_approval", true) => "Ево шта ћу урадити: {plan}. Повраћај од {amount} је изнад износа који могу сам да одобрим, па ће га колега проверити и завршити. Да ли да проследим захтев? Одговорите са да или не.",
        ("done", false) => "Done: {result}.",
        ("done", true) => "Урађено: {result}.",
        ("aborted", false) => "All right, I haven't changed anything.",
        ("aborted", true) => "У реду, ништа нисам мењао.",
        ("outside_window", false) => "Returns and exchanges are accepted within {days} days of delivery, and you said order {order} arrived by {date}, so I can't start this one. If it arrived later, tell me when; or I can connect you with a colleague.",
        ("outside_window", true) => "Враћање и замена су могући у року од {days} дана од доставе, а рекли сте да је поруџбина {order} стигла до {date}, па ово не могу да покренем. Ако је стигла касније, напишите када; или могу да вас повежем са колегом.",
        ("failed", false) => "I couldn't do that: {error}.",
        ("failed", true) => "Нисам успео да то урадим: {error}.",
        ("needs_approval", false) => "A refund of {amount} is above what I can approve, so I've passed your request with all details to a colleague who will finish it.",
        ("needs_approval", true) => "Повраћај од {amount} је изнад износа који могу да одобрим, па сам захтев са свим детаљима проследио колеги који ће га завршити.",
        ("status", false) => "Order {order} is {status}. Items: {items}.{tracking}",
        ("status", true) => "Поруџбина {order} је у статусу „{status}”. Ставке: {items}.{tracking}",
        ("recommend_for_need", false) => "For that I'd suggest: {products}.",
        ("recommend_for_need", true) => "За то бих вам предложио: {products}.",
        ("recommend", false) => "You might also like: {products}.",
        ("recommend", true) => "Можда ће вам се допасти и: {products}.",
        ("no_recommend", false) => "I couldn't find a fitting suggestion in our catalogue right now.",
        ("no_recommend", true) => "Тренутно у каталогу не налазим одговарајући предлог.",
        ("flow_state_lost", false) => "Sorry, I lost track of the request we were working on, and nothing has been changed. Please tell me again what you would like to do.",
        ("flow_state_lost", true) => "Извините, изгубио сам ток захтева на ком смо радили, и ништа није промењено. Молим вас, напишите поново шта желите да урадим.",
        (_, false) => "Sorry, something went wrong on my side.",
        (_, true) => "Извините, нешто није у реду на мојој страни.",
    }
}

/// Plan / result phrases (the variable part of `confirm` and `done`).
pub fn phrase(key: &str, lang: Lang) -> &'static str {
    let sr = lang.is_serbian();
    match (key, sr) {
        ("cancel", false) => "cancel order {order} (reason: {reason}); {amount} is refunded to {pm}",
        ("cancel", true) => "отказујем поруџбину {order} (разлог: {reason}); {amount} се враћа на {pm}",
        ("return", false) => "return {items} from order {order}; the refund of {amount} goes to {pm}",
        ("return", true) => "враћање ставки {items} из поруџбине {order}; повраћај од {amount} иде на {pm}",
        ("exchange", false) => "exchange in order {order}: {swaps}; price difference {amount} via {pm}",
        ("exchange", true) => "замена у поруџбини {order}: {swaps}; разлика у цени {amount} преко {pm}",
        ("modify_items", false) => "change items in order {order}: {swaps}; price difference {amount} via {pm}. Items of an order can be changed only once, so please make sure this is everything",
        ("modify_items", true) => "измена ставки у поруџбини {order}: {swaps}; разлика у цени {amount} преко {pm}. Ставке се могу мењати само једном, проверите да је ово све",
        ("payment", false) => "pay order {order} ({amount}) with {pm} instead of {old}",
        ("payment", true) => "плаћање поруџбине {order} ({amount}) са {pm} уместо {old}",
        ("order_address", false) => "ship order {order} to {address}",
        ("order_address", true) => "слање поруџбине {order} на адресу {address}",
        ("user_address", false) => "change your default address to {address}",
        ("user_address", true) => "промена ваше подразумеване адресе у {address}",
        ("place_order", false) => "order {quantity} × {item} ({amount}), shipped to {address}, paid with {pm}",
        ("place_order", true) => "поруџбина {quantity} × {item} ({amount}), испорука на {address}, плаћање са {pm}",
        ("what_cancel", false) => "cancelling",
        ("what_cancel", true) => "отказивање",
        ("what_return", false) => "a return or exchange",
        ("what_return", true) => "враћање или замена",
        ("what_change", false) => "changing it",
        ("what_change", true) => "измена",
        (_, _) => "",
    }
}

/// Renders `key` in `lang` and fills `{name}` placeholders.
pub fn render(key: &str, lang: Lang, vars: &[(&str, &str)]) -> String {
    fill(&in_script(template(key, lang.is_serbian()), lang), vars)
}

pub fn render_phrase(key: &str, lang: Lang, vars: &[(&str, &str)]) -> String {
    fill(&in_script(phrase(key, lang), lang), vars)
}

fn fill(text: &str, vars: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_exists_in_every_language() {
        for key in [
            "ask_identity",
            "ask_order",
            "confirm",
            "confirm_approval",
            "done",
            "aborted",
            "needs_approval",
            "status",
            "recommend",
            "recommend_for_need",
        ] {
            for lang in Lang::ALL {
                let t = render(key, lang, &[]);
                assert!(
                    !t.starts_with("Sorry, something") && !t.starts_with("Извините"),
                    "{key} {lang}"
                );
            }
        }
        assert!(render("done", Lang::SrLatn, &[("result", "#W1")]).starts_with("Urađeno: #W1"));
        assert!(render("done", Lang::SrCyrl, &[("result", "#W1")]).starts_with("Урађено: #W1"));
    }
}
