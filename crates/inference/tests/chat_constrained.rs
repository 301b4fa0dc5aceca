//! Constrained decoding on the real Qwen2.5-Coder-0.5B from the model cache: JSON slot filling
//! yields JSON that follows the schema, and a copy-constrained grounded answer holds only the
//! passage's numbers, each cited back to where it was copied from. Skipped when the file is
//! absent unless FRONTDESK_REQUIRE_MODELS=1 (CI), which turns absence into a failure.

use frontdesk_core::chat::{
    ConstraintReport, CopySpans, DecodeConstraintSpec, FinishReason, GenerationEvent, JsonField,
    JsonKind, JsonObjectSchema,
};
use frontdesk_core::{ChatMessage, ChatModel, GenerateRequest, SamplingParams};
use frontdesk_inference::chat::{spawn_gguf, ChatHandle, ChatWorkerOptions};
use std::path::PathBuf;

const MODEL: &str = "qwen2.5-coder-0.5b-instruct";

fn model_path(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("FRONTDESK_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::cache_dir()
                .unwrap_or_default()
                .join("frontdesk/models")
        });
    let p = dir.join(name).join("model.gguf");
    if p.is_file() {
        return Some(p);
    }
    if std::env::var("FRONTDESK_REQUIRE_MODELS").as_deref() == Ok("1") {
        panic!(
            "{} is missing and FRONTDESK_REQUIRE_MODELS=1; run `frontdesk models fetch {name}`",
            p.display()
        );
    }
    eprintln!("skipping: {} not present", p.display());
    None
}

fn spawn() -> Option<ChatHandle> {
    let p = model_path(MODEL)?;
    let opts = ChatWorkerOptions {
        model_id: MODEL.into(),
        queue: 2,
        max_context: 2048,
        speculative: None,
    };
    Some(spawn_gguf(&p, &opts).expect("model loads"))
}

async fn run(
    h: &ChatHandle,
    system: &str,
    user: &str,
    constraint: Option<DecodeConstraintSpec>,
    max_tokens: usize,
) -> (String, FinishReason, Option<ConstraintReport>) {
    let req = GenerateRequest {
        messages: vec![ChatMessage::system(system), ChatMessage::user(user)],
        params: SamplingParams {
            max_tokens,
            constraint,
            ..Default::default()
        },
    };
    let mut rx = h.generate(req).await.expect("queued");
    let mut text = String::new();
    while let Some(ev) = rx.recv().await {
        match ev.expect("no error") {
            GenerationEvent::Text(t) => text.push_str(&t),
            GenerationEvent::Finished {
                reason, constraint, ..
            } => return (text, reason, constraint),
        }
    }
    panic!("no Finished event")
}

const SLOTS_SYSTEM: &str = "You fill in the slots of a shop's support desk. Reply with one JSON object with the keys \"intent\" (one of \"order_status\", \"return_item\", \"cancel_order\", \"product_question\", \"other\") and \"order_id\" (the customer's order number as a string, or null when there is none).";

#[tokio::test]
async fn json_slot_filling_yields_json_following_the_schema() {
    let Some(h) = spawn() else { return };
    let intents = [
        "order_status",
        "return_item",
        "cancel_order",
        "product_question",
        "other",
    ];
    let schema = JsonObjectSchema {
        fields: vec![
            JsonField::required(
                "intent",
                JsonKind::Enum(intents.iter().map(|s| s.to_string()).collect()),
            ),
            JsonField::required("order_id", JsonKind::String).nullable(),
        ],
    };
    for (message, want_intent, want_id) in [
        (
            "Hi, where is my order 10042? It still hasn't arrived.",
            "order_status",
            Some("10042"),
        ),
        (
            "Does the Aurora kettle come in black?",
            "product_question",
            None,
        ),
        (
            "I want to send back the boots from order A-77.",
            "return_item",
            Some("A-77"),
        ),
    ] {
        let (text, reason, report) = run(
            &h,
            SLOTS_SYSTEM,
            message,
            Some(DecodeConstraintSpec::Json(schema.clone())),
            64,
        )
        .await;
        eprintln!("{message} -> {text}");
        assert_eq!(reason, FinishReason::Stop, "ends when the object closes");
        assert_eq!(report.map(|r| r.complete), Some(true));
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let obj = v.as_object().expect("an object");
        assert_eq!(obj.len(), 2, "{text}");
        let intent = obj["intent"].as_str().expect("intent is a string");
        assert!(intents.contains(&intent), "{text}");
        assert!(
            obj["order_id"].is_null() || obj["order_id"].is_string(),
            "{text}"
        );
        // What the model makes of it is its business; report, do not fail, on a wrong slot.
        if intent != want_intent || obj["order_id"].as_str() != want_id {
            eprintln!("  (expected intent {want_intent}, order_id {want_id:?})");
        }
    }
}

const PASSAGE: &str = "The Aurora kettle has a 1,800 W heating element and weighs 410 g without water. It holds 1.7 litres and boils a full jug in about 4 minutes. Its base turns through 360 degrees and the cord is 75 cm long.";

fn numbers(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || (matches!(b[i], b'.' | b',')
                        && i + 1 < b.len()
                        && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            out.push(text[start..i].to_string());
        } else {
            i += 1;
        }
    }
    out
}

#[tokio::test]
async fn copy_constrained_answer_holds_only_the_passages_numbers() {
    let Some(h) = spawn() else { return };
    let system = format!(
        "You are the support assistant of a home-appliance shop. Answer the question in one or two sentences using only this passage, and quote its figures exactly.\n\nPassage: {PASSAGE}"
    );
    let spans = CopySpans::new(vec![PASSAGE.to_string()]);
    let passage_numbers = numbers(PASSAGE);
    for question in [
        "How powerful is the Aurora kettle and how heavy is it?",
        "How much water does it hold, and how long is the cord?",
        "What is the kettle's power in kilowatts?",
        // Questions that invite arithmetic: a free answer may state figures the passage lacks.
        "How much do two of these kettles weigh together?",
        "How many watts do three of these kettles draw at once?",
    ] {
        let (free, ..) = run(&h, &system, question, None, 80).await;
        let (text, _, report) = run(
            &h,
            &system,
            question,
            Some(DecodeConstraintSpec::Copy(spans.clone())),
            80,
        )
        .await;
        let report = report.expect("a report");
        eprintln!("{question}\n  free:        {free}\n  constrained: {text}");
        for c in &report.copies {
            eprintln!(
                "  copied {:?} from span {} bytes {:?}",
                &text[c.output.clone()],
                c.span,
                c.source
            );
            assert_eq!(&text[c.output.clone()], &PASSAGE[c.source.clone()]);
        }
        for n in numbers(&text) {
            assert!(
                passage_numbers.contains(&n),
                "{n} is not a number of the passage: {text}"
            );
        }
        for (i, b) in text.bytes().enumerate() {
            if b.is_ascii_digit() {
                assert!(
                    report.copies.iter().any(|c| c.output.contains(&i)),
                    "digit at {i} not cited: {text}"
                );
            }
        }
    }
    // The figures the first question asks for are there, copied.
    let (text, _, _) = run(
        &h,
        &system,
        "How powerful is the Aurora kettle and how heavy is it?",
        Some(DecodeConstraintSpec::Copy(spans.clone())),
        80,
    )
    .await;
    assert!(
        text.contains("1,800") || text.contains("410"),
        "expected the passage's figures: {text}"
    );
}
