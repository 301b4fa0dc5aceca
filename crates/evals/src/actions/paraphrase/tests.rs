//! The fact check and the retry loop, on made-up scenarios in the data set's template and a
//! fake chat model that replies from a script.

use super::*;
use frontdesk_core::testing::ReplayChat;
use std::sync::Mutex;

const SCENARIO: &str = "Your name is Lena Voss and your zip code is 30301. You are shy, \
curious. Return #W2000001 via gift_card_7000001: Desk Fan; Phone Case; For #W2000002, exchange \
Rain Jacket {'size': 'M', 'color': 'green', 'capacity': '1.5L'} to {'size': 'L'}; via \
credit_card_7000002. Cancel order #W2000003 because no longer needed. ";

const GOOD: &str = "Lena Voss lives in zip code 30301 and is shy and curious. She wants to \
return the Desk Fan and the Phone Case from order #W2000001, refunded to gift_card_7000001. From \
order #W2000002 she wants to exchange her green Rain Jacket, size M, 1.5L, for one in size L, \
paying with credit_card_7000002. She also wants order #W2000003 cancelled, as it is no longer \
needed.";

fn facts() -> Facts {
    extract_facts(SCENARIO)
}

fn texts(kind: FactKind) -> Vec<String> {
    facts()
        .required
        .into_iter()
        .filter(|f| f.kind == kind)
        .map(|f| f.text)
        .collect()
}

#[test]
fn reads_every_kind_of_fact_from_the_template() {
    assert_eq!(texts(FactKind::Name), ["Lena Voss"]);
    assert_eq!(
        texts(FactKind::OrderId),
        ["#W2000001", "#W2000002", "#W2000003"]
    );
    assert_eq!(
        texts(FactKind::PaymentId),
        ["gift_card_7000001", "credit_card_7000002"]
    );
    // Numbers outside ids only: the zip code and the option value's.
    assert_eq!(texts(FactKind::Number), ["30301", "1.5"]);
    assert_eq!(texts(FactKind::Value), ["M", "green", "1.5L", "L"]);
    assert_eq!(
        texts(FactKind::Item),
        ["Rain Jacket", "Desk Fan", "Phone Case"]
    );
    assert_eq!(texts(FactKind::Reason), ["no longer needed"]);
    assert_eq!(texts(FactKind::Request), ["cancel", "return", "exchange"]);
}

#[test]
fn reads_e_mails_and_address_values() {
    let s = "Your name is Omar Diaz and your email is omar.diaz77@example.com. You are calm. \
             For #W3000001, change address to {'order_id': '#W3000001', 'address1': '12 Elm \
             Road', 'city': 'Salem', 'zip': '97301'} (same as #W3000002). For #W3000001, change \
             payment to paypal_5000001. ";
    let f = extract_facts(s);
    let of = |k: FactKind| -> Vec<String> {
        f.required
            .iter()
            .filter(|x| x.kind == k)
            .map(|x| x.text.clone())
            .collect()
    };
    assert_eq!(of(FactKind::Email), ["omar.diaz77@example.com"]);
    assert_eq!(of(FactKind::Value), ["12 Elm Road", "Salem", "97301"]);
    assert_eq!(of(FactKind::OrderId), ["#W3000001", "#W3000002"]);
    // The e-mail's digits are not a number of their own.
    assert_eq!(of(FactKind::Number), ["12", "97301"]);
    assert_eq!(of(FactKind::Request), ["change address", "change payment"]);
    assert!(f.allowed.contains(&"77".to_string()));
}

#[test]
fn a_faithful_rewrite_passes() {
    assert_eq!(check(&facts(), GOOD), vec![]);
    // Case of words does not matter; a plural item name is the item.
    let lower = GOOD
        .replace("Lena Voss", "lena voss")
        .replace("the Desk Fan", "two desk fans");
    assert_eq!(check(&facts(), &lower), vec![]);
}

fn missing(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .filter_map(|p| match p {
            Problem::Missing(f) => Some(f.text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_lost_or_changed_fact_fails() {
    let f = facts();
    let dropped = GOOD.replace(" and the Phone Case", "");
    assert_eq!(missing(&check(&f, &dropped)), ["Phone Case"]);
    let no_reason = GOOD.replace(", as it is no longer needed", "");
    assert_eq!(missing(&check(&f, &no_reason)), ["no longer needed"]);
    let name = GOOD.replace("Lena Voss", "Lena");
    assert_eq!(missing(&check(&f, &name)), ["Lena Voss"]);
    let value = GOOD.replace("green ", "olive ");
    assert_eq!(missing(&check(&f, &value)), ["green"]);
    // Ids and numbers are exact: a longer id or number is not the fact.
    let longer_id = GOOD.replace("#W2000003", "#W20000031");
    assert_eq!(missing(&check(&f, &longer_id)), ["#W2000003"]);
    let zip = GOOD.replace("30301", "303011");
    assert_eq!(missing(&check(&f, &zip)), ["30301"]);
    let decimal = GOOD.replace("1.5L", "1.55L");
    let m = missing(&check(&f, &decimal));
    assert!(m.contains(&"1.5".to_string()) && m.contains(&"1.5L".to_string()));
    // The request kind must be said in some words.
    let no_cancel = GOOD.replace("order #W2000003 cancelled", "order #W2000003 gone");
    assert_eq!(missing(&check(&f, &no_cancel)), ["cancel"]);
    let swap = GOOD.replace("exchange her", "swap her");
    assert_eq!(check(&f, &swap), vec![]);
}

#[test]
fn an_invented_id_or_number_fails() {
    let f = facts();
    let extra = format!("{GOOD} She also mentions order #W9999999.");
    assert_eq!(
        check(&f, &extra),
        vec![Problem::Introduced("#W9999999".into())]
    );
    let count = GOOD.replace("return the Desk Fan", "return 2 things: the Desk Fan");
    assert_eq!(check(&f, &count), vec![Problem::Introduced("2".into())]);
    let card = format!("{GOOD} Or paypal_1234567.");
    assert_eq!(
        check(&f, &card),
        vec![Problem::Introduced("paypal_1234567".into())]
    );
    // An id's own digits may be said alone ("the card ending 7000002").
    let ending = format!("{GOOD} That is the card ending 7000002.");
    assert_eq!(check(&f, &ending), vec![]);
}

#[test]
fn an_added_request_or_reason_fails() {
    let s = "Your name is Lena Voss and your zip code is 30301. You are shy. Return #W2000001 \
             via gift_card_7000001: Desk Fan; ";
    let f = extract_facts(s);
    let ok = "Lena Voss, zip code 30301, is shy. She wants to return the Desk Fan from order \
              #W2000001, refunded to gift_card_7000001.";
    assert_eq!(check(&f, ok), vec![]);
    let cancel = format!("{ok} She also wants it cancelled because it was ordered by mistake.");
    assert_eq!(
        check(&f, &cancel),
        vec![
            Problem::Added("cancel".into()),
            Problem::Added("ordered by mistake".into())
        ]
    );
    // The other way round: a cancellation may not turn into a return.
    let g = extract_facts(
        "Your name is Lena Voss and your zip code is 30301. Cancel order \
                           #W2000003 because no longer needed. ",
    );
    let returned = "Lena Voss (zip code 30301) wants to cancel order #W2000003 and return it, \
                    as it is no longer needed.";
    assert_eq!(check(&g, returned), vec![Problem::Added("return".into())]);
}

#[test]
fn a_request_told_as_done_fails_and_a_reason_may_take_a_pronoun() {
    let g = extract_facts(
        "Your name is Lena Voss and your zip code is 30301. Cancel order #W2000003 because \
         ordered by mistake. ",
    );
    let wants = "Lena Voss (zip code 30301) wants order #W2000003 cancelled, since she ordered \
                 it by mistake.";
    assert_eq!(check(&g, wants), vec![]);
    let far = "Lena Voss (zip code 30301) wants to cancel order #W2000003: it was ordered, she \
               says, a bit too fast and by mistake.";
    assert_eq!(missing(&check(&g, far)), ["ordered by mistake"]);
    for done in [
        "Lena Voss (zip code 30301) has cancelled order #W2000003, ordered by mistake.",
        "Lena Voss (zip code 30301) cancelled order #W2000003 because it was ordered by mistake.",
        "Lena Voss (zip code 30301): order #W2000003 was canceled, ordered by mistake.",
    ] {
        assert_eq!(
            check(&g, done),
            vec![Problem::Form("told as already done")],
            "{done}"
        );
    }
}

#[test]
fn ids_are_exact_to_the_letter() {
    let f = facts();
    let cased = GOOD.replace("gift_card_7000001", "Gift_Card_7000001");
    assert_eq!(missing(&check(&f, &cased)), ["gift_card_7000001"]);
}

#[test]
fn a_message_to_the_agent_or_the_kept_template_fails() {
    let f = facts();
    let first = GOOD.replace("She also wants", "I also want");
    assert!(check(&f, &first)
        .iter()
        .any(|p| matches!(p, Problem::Form(w) if w.contains("first person"))));
    let hello = format!("Hello! {GOOD}");
    assert!(check(&f, &hello)
        .iter()
        .any(|p| matches!(p, Problem::Form(w) if w.contains("greeting"))));
    assert!(check(&f, SCENARIO)
        .iter()
        .any(|p| matches!(p, Problem::Form(w) if w.contains("your name is"))));
    let braces = GOOD.replace("size M", "{'size': 'M'}");
    assert!(check(&f, &braces)
        .iter()
        .any(|p| matches!(p, Problem::Form(w) if w.contains("options"))));
    assert_eq!(check(&f, "  "), vec![Problem::Form("empty")]);
    // A request sentence of the template copied as it was.
    let kept = GOOD.replace(
        "She also wants order #W2000003 cancelled, as it is no longer needed.",
        "Cancel order #W2000003 because no longer needed.",
    );
    assert_eq!(
        check(&f, &kept),
        vec![Problem::Form("template kept (its request sentences)")]
    );
    // The same words in a sentence of its own are no template.
    let own = GOOD.replace(
        "She also wants order #W2000003 cancelled, as it is no longer needed.",
        "She also wants to cancel order #W2000003 because it is no longer needed.",
    );
    assert_eq!(check(&f, &own), vec![]);
    // The instructions given to the model repeated in its answer.
    let echo = format!("{GOOD} Keep word for word: Lena Voss.");
    assert_eq!(
        check(&f, &echo),
        vec![Problem::Form("the prompt's words echoed")]
    );
    let echo = format!("{GOOD} An earlier rewrite was rejected: it left out Lena Voss.");
    assert_eq!(
        check(&f, &echo),
        vec![Problem::Form("the prompt's words echoed")]
    );
}

#[test]
fn readable_writes_option_lists_out_and_keeps_every_fact() {
    assert_eq!(
        readable(SCENARIO),
        SCENARIO.replace(
            "{'size': 'M', 'color': 'green', 'capacity': '1.5L'} to {'size': 'L'}",
            "(size: M, color: green, capacity: 1.5L) to (size: L)"
        )
    );
    let s = "For #W1, change address to {'order_id': '#W1', 'address1': '12 Elm Road', \
             'city': 'Salem'} (same as #W2). For #W1, modify Lamp {'color': 'red'} to {}; via x.";
    assert_eq!(
        readable(s),
        "For #W1, change address to 12 Elm Road, Salem (same as #W2). For #W1, modify Lamp \
         (color: red) to the same options; via x."
    );
}

#[test]
fn clean_takes_off_labels_quotes_and_fences() {
    assert_eq!(clean("Rewritten scenario:\n\"A b.\"\n"), "A b.");
    assert_eq!(clean("```\nA b.\nC d.\n```"), "A b. C d.");
    assert_eq!(clean("Here it is:\n\nA b."), "A b.");
    assert_eq!(clean("A: b."), "A: b.");
}

#[test]
fn spread_picks_evenly() {
    assert_eq!(spread(10, 5), [0, 2, 4, 6, 8]);
    assert_eq!(spread(3, 5), [0, 1, 2]);
    assert_eq!(spread(500, 200).len(), 200);
    assert_eq!(spread(500, 200)[199], 497);
}

/// The model of these tests: queued replies, every request kept.
fn fake_chat(replies: &[&str]) -> Arc<ReplayChat> {
    Arc::new(ReplayChat::new(replies))
}

fn opts() -> ParaphraseOptions {
    ParaphraseOptions {
        temperature: 0.8,
        seed: 40,
        attempts: 4,
    }
}

#[tokio::test]
async fn retries_with_the_next_seed_until_the_check_passes() {
    let fake = fake_chat(&[
        &GOOD.replace("#W2000002", "#W2000009"),
        &format!("Hi, {GOOD}"),
        GOOD,
    ]);
    let model: Arc<dyn ChatModel> = fake.clone();
    let (outcome, log) = paraphrase_scenario(&model, "t-7", SCENARIO, &opts()).await;
    assert_eq!(
        outcome,
        Outcome::Accepted(ParaphraseRecord {
            task_id: "t-7".into(),
            user_scenario: GOOD.into(),
            model: "replay".into(),
            temperature: 0.8,
            seed: 42,
            attempt: 3,
        })
    );
    assert_eq!(log.len(), 3);
    assert!(!log[0].problems.is_empty() && !log[1].problems.is_empty());
    let reqs = fake.requests.lock().unwrap();
    let seeds: Vec<u64> = reqs.iter().map(|r| r.params.seed).collect();
    assert_eq!(seeds, [40, 41, 42]);
    assert!(reqs.iter().all(|r| r.params.temperature == 0.8));
    // Each attempt asks for another style, and the scenario is what is asked about.
    let styles: Vec<usize> = log.iter().map(|a| a.style).collect();
    assert_ne!(styles[0], styles[1]);
    let last = &reqs[2].messages.last().unwrap().content;
    assert!(last.contains(&readable(SCENARIO).trim().to_string()));
    assert!(last.contains(STYLES[styles[2]]));
    // The facts to keep are listed, and a retry is told what the attempt before got wrong.
    assert!(last.contains(
        "Keep word for word: Lena Voss; #W2000001; #W2000002; #W2000003; gift_card_7000001; \
         credit_card_7000002; Rain Jacket; Desk Fan; Phone Case; no longer needed."
    ));
    assert!(!reqs[0].messages[3].content.contains("rejected"));
    assert!(reqs[1].messages[3]
        .content
        .contains("An earlier rewrite was rejected: it left out #W2000002; it added #W2000009"));
    assert!(last.contains("rejected: a message, not a scenario (greeting)"));
    // Everything before the task's own message is the same for every task and attempt.
    assert_eq!(reqs[0].messages[..3], reqs[2].messages[..3]);
}

#[tokio::test]
async fn a_task_with_no_valid_rewrite_is_flagged_failed() {
    let fake = fake_chat(&["I want to return my Desk Fan."]);
    let model: Arc<dyn ChatModel> = fake.clone();
    let (outcome, log) = paraphrase_scenario(&model, "t-8", SCENARIO, &opts()).await;
    let Outcome::Failed(failed) = outcome else {
        panic!("expected a failure, got {outcome:?}");
    };
    assert!(failed.paraphrase_failed);
    assert_eq!(failed.attempts, 4);
    assert_eq!(log.len(), 4);
    assert_eq!(fake.requests.lock().unwrap().len(), 4);
    assert!(failed.problems.iter().any(|p| p.contains("#W2000002")));
    let json = serde_json::to_value(&failed).unwrap();
    assert_eq!(json["paraphrase_failed"], true);
    assert!(json.get("user_scenario").is_none());
}

#[tokio::test]
async fn a_rewrite_cut_off_at_the_token_limit_is_rejected() {
    let fake = Arc::new(ReplayChat {
        replies: vec![(GOOD.to_string(), FinishReason::Length)],
        requests: Mutex::new(Vec::new()),
    });
    let model: Arc<dyn ChatModel> = fake;
    let one = ParaphraseOptions {
        attempts: 1,
        ..opts()
    };
    let (outcome, log) = paraphrase_scenario(&model, "t-9", SCENARIO, &one).await;
    assert!(matches!(outcome, Outcome::Failed(_)));
    assert_eq!(log[0].problems, [Problem::Form("cut off (token limit)")]);
}

#[test]
fn the_record_has_only_the_join_fields() {
    let r = ParaphraseRecord {
        task_id: "t".into(),
        user_scenario: "s".into(),
        model: "m".into(),
        temperature: 0.5,
        seed: 3,
        attempt: 1,
    };
    let json = serde_json::to_value(&r).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "attempt",
            "model",
            "seed",
            "task_id",
            "temperature",
            "user_scenario"
        ]
    );
}
