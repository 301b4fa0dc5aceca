//! Which order item a message means: the rules (`flows::matching::match_items`) alone, then
//! with the embedding reader where they find nothing (`flows::item_reader`, what the engine
//! ships), and optionally with a chat model choosing an item's name under a JSON constraint
//! (what was measured against it), on labelled messages.
//!
//!   cargo run -p frontdesk-engine --release --example item_choice_eval -- \
//!     evals/item-choice/dev.jsonl [evals/item-choice/test.jsonl] [--lm MODEL] [--margin M] \
//!     [--translate]
//!
//! Each row: `{id, lang, message, items: [{name, options}], want: [1-based item numbers]}`; an
//! empty `want` means the message names no item (the flow should ask). A "wrong pick" is a
//! non-empty choice that is not `want`: asking again is safe, a wrong item in the plan is not.

use frontdesk_core::chat::{
    collect_text, ChatMessage, ChatModel, DecodeConstraintSpec, GenerateRequest, JsonField,
    JsonKind, JsonObjectSchema, SamplingParams,
};
use frontdesk_core::commerce::{Order, OrderItem};
use frontdesk_core::config::ModelsConfig;
use frontdesk_core::ConversationState;
use frontdesk_engine::flows::item_reader::{EmbeddingItemReader, ItemReader, DEFAULT_MARGIN};
use frontdesk_engine::flows::matching::match_items;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

#[derive(serde::Deserialize)]
struct Row {
    id: String,
    lang: String,
    message: String,
    items: Vec<RowItem>,
    want: Vec<usize>,
}

#[derive(serde::Deserialize)]
struct RowItem {
    name: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

fn order(row: &Row) -> Order {
    let mut o: Order = serde_json::from_value(serde_json::json!({
        "order_id": "#W0", "user_id": "u", "address": {"address1": "", "address2": "",
        "city": "", "country": "", "state": "", "zip": ""},
        "items": [], "status": "delivered"
    }))
    .expect("order");
    o.items = row
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| OrderItem {
            name: it.name.clone(),
            product_id: format!("p{i}"),
            item_id: format!("i{}", i + 1),
            price: 10.0,
            options: it.options.clone(),
        })
        .collect();
    o
}

/// The chat model choosing one item's name, or "none", under a JSON constraint, with three
/// worked examples about goods no shop here sells.
async fn lm_choice(chat: &dyn ChatModel, message: &str, order: &Order) -> Vec<String> {
    let question = |items: &str, said: &str| {
        format!(
            "Items in the order:\n{items}\n\nCustomer's message:\n\"{said}\"\n\nWhich item is \
             the message about? Answer \"none\" if it names none of them."
        )
    };
    let mut messages = vec![ChatMessage::system(
        "You read a shop customer's message, which may be in any language, and decide which \
         item of their order it is about, even when the customer names it in their own words. \
         Answer only with JSON.",
    )];
    for (listed, said, answer) in [
        (
            "- Acme Burr Coffee Grinder (black)\n- Acme Milk Frother (white)",
            "the machine that grinds the beans is very loud",
            "Acme Burr Coffee Grinder",
        ),
        (
            "- Nordic Wool Scarf (red)\n- Nordic Leather Gloves (brown, M)",
            "rukavice su mi male, treba mi veći broj",
            "Nordic Leather Gloves",
        ),
        (
            "- Acme Desk Lamp\n- Acme Office Chair (grey)",
            "I want to send something back",
            "none",
        ),
    ] {
        messages.push(ChatMessage::user(question(listed, said)));
        messages.push(ChatMessage::assistant(format!(
            "{{\"item\": \"{answer}\"}}"
        )));
    }
    let listed: Vec<String> = order
        .items
        .iter()
        .map(|i| format!("- {}", i.name))
        .collect();
    messages.push(ChatMessage::user(question(&listed.join("\n"), message)));
    let mut choices: Vec<String> = Vec::new();
    for i in &order.items {
        if !choices.contains(&i.name) {
            choices.push(i.name.clone());
        }
    }
    choices.push("none".into());
    let request = GenerateRequest {
        messages,
        params: SamplingParams {
            max_tokens: 32,
            constraint: Some(DecodeConstraintSpec::Json(JsonObjectSchema {
                fields: vec![JsonField::required("item", JsonKind::Enum(choices))],
            })),
            ..SamplingParams::default()
        },
    };
    let Ok(stream) = chat.generate(request).await else {
        return vec![];
    };
    let Ok(text) = collect_text(stream).await else {
        return vec![];
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let name = v["item"].as_str().unwrap_or("none");
    order
        .items
        .iter()
        .filter(|i| i.name == name)
        .map(|i| i.item_id.clone())
        .collect()
}

#[derive(Default)]
struct Tally {
    n: usize,
    right: [usize; 3],
    wrong_pick: [usize; 3],
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    let mut lm: Option<String> = None;
    let mut margin = DEFAULT_MARGIN;
    let mut translate = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lm" => lm = args.next(),
            "--margin" => margin = args.next().and_then(|m| m.parse().ok()).unwrap_or(margin),
            "--translate" => translate = true,
            _ => files.push(a),
        }
    }
    let mut cfg = ModelsConfig::default();
    let embedder = frontdesk_inference::load_embedder(&cfg)?;
    let translator = if translate {
        let t = frontdesk_retrieval::translation::Apertium::detect("apertium")
            .ok_or("--translate: no Apertium with the Serbian–English pair here")?;
        Some(Arc::new(t) as Arc<dyn frontdesk_core::Translator>)
    } else {
        None
    };
    let reader = EmbeddingItemReader::new(embedder, margin).with_translator(translator);
    let chat: Option<Arc<dyn ChatModel>> = match lm {
        Some(m) => {
            cfg.chat = m;
            Some(frontdesk_inference::load_chat(&cfg)?)
        }
        None => None,
    };
    for file in files {
        let rows: Vec<Row> = std::fs::read_to_string(&file)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        let mut by_lang: BTreeMap<String, Tally> = BTreeMap::new();
        let (mut e5_ms, mut lm_ms) = (Vec::new(), Vec::new());
        for row in &rows {
            let o = order(row);
            let want: Vec<String> = row.want.iter().map(|i| format!("i{i}")).collect();
            let u = frontdesk_engine::understand(
                &row.message,
                &ConversationState::default(),
                None,
                &[],
            );
            let rules = match_items(&u, &o);
            let mut got = [rules.clone(), rules.clone(), rules.clone()];
            if rules.is_empty() {
                let t = Instant::now();
                got[1] = reader.items_meant(&row.message, u.lang, &o).await;
                e5_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                if let Some(chat) = &chat {
                    let t = Instant::now();
                    got[2] = lm_choice(chat.as_ref(), &row.message, &o).await;
                    lm_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            let t = by_lang.entry(row.lang.clone()).or_default();
            t.n += 1;
            for (k, g) in got.iter().enumerate() {
                t.right[k] += usize::from(*g == want);
                t.wrong_pick[k] += usize::from(*g != want && !g.is_empty());
            }
            if got[1] != want {
                println!(
                    "  miss {} {:?} want {want:?} rules {rules:?} embedding {:?} lm {:?}",
                    row.id, row.message, got[1], got[2]
                );
            }
        }
        let p50 = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        println!(
            "{file}: {} rows; readers asked {} times; p50 embedding {:.0} ms, chat model {:.0} ms",
            rows.len(),
            e5_ms.len(),
            p50(&mut e5_ms),
            p50(&mut lm_ms)
        );
        let mut all = Tally::default();
        for t in by_lang.values() {
            all.n += t.n;
            for k in 0..3 {
                all.right[k] += t.right[k];
                all.wrong_pick[k] += t.wrong_pick[k];
            }
        }
        for (lang, t) in by_lang.iter().chain([(&"all".to_string(), &all)]) {
            let cols: Vec<String> = ["rules", "rules+embedding", "rules+chat model"]
                .iter()
                .enumerate()
                .filter(|(k, _)| *k < 2 || chat.is_some())
                .map(|(k, name)| {
                    format!(
                        "{name} {}/{} ({} wrong picks)",
                        t.right[k], t.n, t.wrong_pick[k]
                    )
                })
                .collect();
            println!("  {lang:8} {}", cols.join("  "));
        }
    }
    Ok(())
}
