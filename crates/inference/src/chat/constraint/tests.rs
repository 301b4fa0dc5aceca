//! Constraint tests: the vocabulary index against brute force, the automata on their own,
//! random choosers under each constraint (uniform over what is allowed, with a taste for the
//! restricted classes), and generation through the worker with the tiny random GGUF.

use super::super::tiny;
use super::super::{spawn_gguf, ChatHandle, ChatWorkerOptions};
use super::*;
use frontdesk_core::chat::{
    ConstraintReport, CopySpans, FinishReason, GenerationEvent, JsonField, JsonKind,
    JsonObjectSchema,
};
use frontdesk_core::{ChatMessage, ChatModel, GenerateRequest, SamplingParams};
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// Every byte, a few dozen multi-byte tokens of the kinds the constraints care about, and an
/// end-of-sequence special.
fn synthetic_vocab() -> (Arc<TokenVocab>, u32) {
    let mut texts: Vec<Option<Vec<u8>>> = (0..=255u8).map(|b| Some(vec![b])).collect();
    for t in [
        " the",
        " watts",
        " kil",
        "ograms",
        " minutes",
        " costs",
        " and",
        " weighs",
        "he",
        "ll",
        "\",",
        "\":",
        " \"",
        "{\"",
        "\"}",
        "\"",
        "intent",
        "order",
        "_id",
        "null",
        "true",
        "false",
        " W",
        " g",
        " kg",
        "kg",
        "1,",
        "00",
        "800",
        "Dyson",
        " Dyson",
        " V",
        "15",
        "@",
        ".com",
        "https",
        "://",
        " I",
        "é",
        "ét",
        "\": \"",
        "\", \"",
        "\"}\n",
        " 4",
        "10",
        " 1",
        ",8",
        "Kettle",
        " kettle",
        "status",
        "_",
        "order_status",
        "return",
        " power",
        " is",
        "  ",
        "\n",
        "\n\n",
        "\u{1F642}",
        "ab",
    ] {
        texts.push(Some(t.as_bytes().to_vec()));
    }
    let eos = texts.len() as u32;
    texts.push(None);
    (Arc::new(TokenVocab::from_texts(texts, &[eos])), eos)
}

fn argmax(row: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best as u32
}

/// Generates with random logits under `c`: what a random model does, fast. Returns the text,
/// the report and whether the constraint ended generation.
fn drive(
    c: Box<dyn DecodeConstraint>,
    vocab: &Arc<TokenVocab>,
    seed: u64,
    max_tokens: usize,
    bonus: impl Fn(&[u8]) -> f32,
) -> (Vec<u8>, ConstraintReport, bool) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut k = Constrained::new(c, vocab.clone()).expect("start");
    let mut out = Vec::new();
    let mut ended = false;
    for i in 0..max_tokens {
        let mut row: Vec<f32> = (0..vocab.len() as u32)
            .map(|t| rng.gen::<f32>() + bonus(vocab.bytes(t)))
            .collect();
        let Some(t) = k
            .choose_row(&mut row, max_tokens - i, |r| Ok::<u32, ()>(argmax(r)))
            .expect("choose")
        else {
            panic!("nothing allowed after {:?}", String::from_utf8_lossy(&out));
        };
        if vocab.eos().contains(&t) {
            break;
        }
        out.extend_from_slice(vocab.bytes(t));
        if k.is_complete() {
            ended = true;
            break;
        }
    }
    (out, k.report(), ended)
}

#[test]
fn token_set_operations() {
    let mut a = TokenSet::empty(130);
    for t in [0, 5, 64, 129, 500] {
        a.insert(t);
    }
    assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 5, 64, 129]);
    assert_eq!(a.count(), 4);
    let mut b = TokenSet::empty(130);
    b.insert(5);
    b.insert(7);
    let mut u = a.clone();
    u.union_with(&b);
    assert_eq!(u.iter().collect::<Vec<_>>(), vec![0, 5, 7, 64, 129]);
    u.intersect_with(&b);
    assert_eq!(u.iter().collect::<Vec<_>>(), vec![5, 7]);
    let mut d = TokenSet::empty(130);
    d.union_with_difference(&a, &b, None);
    assert_eq!(d.iter().collect::<Vec<_>>(), vec![0, 64, 129]);
    let mut logits = vec![1.0f32; 140];
    a.mask_logits(&mut logits);
    let kept: Vec<usize> = (0..140).filter(|&i| logits[i].is_finite()).collect();
    assert_eq!(kept, vec![0, 5, 64, 129]);
}

#[test]
fn prefix_descent_and_walk_match_brute_force() {
    let (v, _) = synthetic_vocab();
    for q in [
        &b" the kettle"[..],
        b"order_status",
        b"\": \"x",
        b"1,800 W",
        b"\xC3\xA9t\xC3\xA9",
        b"",
    ] {
        let mut got = Vec::new();
        v.prefixes_of(q, |t, len| got.push((t, len)));
        got.sort();
        let mut want: Vec<(u32, usize)> = v
            .usable()
            .iter()
            .filter(|&t| q.starts_with(v.bytes(t)))
            .map(|t| (t, v.bytes(t).len()))
            .collect();
        want.sort();
        assert_eq!(got, want, "prefixes of {:?}", String::from_utf8_lossy(q));
    }
    // A toy automaton: texts over a small alphabet, at most 3 'l's.
    let step = |n: u8, b: u8| -> Option<u8> {
        match b {
            b'l' if n < 3 => Some(n + 1),
            b'h' | b'e' | b'o' | b' ' => Some(n),
            _ => None,
        }
    };
    let mut got = Vec::new();
    v.walk(0u8, step, |t, n| got.push((t, n)));
    got.sort();
    let mut want = Vec::new();
    for t in v.usable().iter() {
        if let Some(n) = v.bytes(t).iter().try_fold(0u8, |n, &b| step(n, b)) {
            want.push((t, n));
        }
    }
    want.sort();
    assert_eq!(got, want);
    assert!(!got.is_empty());
}

#[test]
fn utf8_guard_keeps_characters_whole() {
    let (v, eos) = synthetic_vocab();
    let mut k = Constrained::new(Box::new(AllowAll), v.clone()).expect("start");
    let mut row = vec![0.0f32; v.len()];
    assert!(k.mask_row(&mut row, 10));
    assert!(row[0xC3].is_finite() && row[eos as usize].is_finite());
    assert!(!row[0xA9].is_finite(), "a lone continuation byte");
    assert!(!row[0xC0].is_finite(), "never valid");
    k.advance(0xC3);
    let mut row = vec![0.0f32; v.len()];
    assert!(k.mask_row(&mut row, 10));
    let allowed: Vec<u32> = (0..v.len() as u32)
        .filter(|&t| row[t as usize].is_finite())
        .collect();
    assert!(
        allowed.iter().all(|&t| (0x80..=0xBF).contains(&t)),
        "{allowed:?}"
    );
    // E0 needs A0..BF next.
    k.advance(0xA9);
    k.advance(0xE0);
    let mut row = vec![0.0f32; v.len()];
    assert!(k.mask_row(&mut row, 10));
    assert!(!row[0x80].is_finite() && row[0xA0].is_finite());
}

/// Allows every token (the guard still applies).
struct AllowAll;
impl DecodeConstraint for AllowAll {
    fn allow(&mut self, vocab: &TokenVocab, _: usize, allowed: &mut TokenSet) {
        allowed.union_with(vocab.usable());
        for &e in vocab.eos() {
            allowed.insert(e);
        }
    }
    fn advance(&mut self, _: &TokenVocab, _: u32) {}
}

/// Allows only tokens whose text is one of `texts` (never EOS).
struct OnlyTexts {
    texts: Vec<&'static str>,
    ids: Vec<u32>,
    seen: usize,
}
impl DecodeConstraint for OnlyTexts {
    fn start(&mut self, vocab: &TokenVocab) -> Result<(), frontdesk_core::InferenceError> {
        self.ids = self
            .texts
            .iter()
            .filter_map(|t| vocab.find(t.as_bytes()))
            .collect();
        Ok(())
    }
    fn allow(&mut self, _: &TokenVocab, _: usize, allowed: &mut TokenSet) {
        for &t in &self.ids {
            allowed.insert(t);
        }
    }
    fn advance(&mut self, _: &TokenVocab, _: u32) {
        self.seen += 1;
    }
}

fn slot_schema() -> JsonObjectSchema {
    JsonObjectSchema {
        fields: vec![
            JsonField::required(
                "intent",
                JsonKind::Enum(vec![
                    "order_status".into(),
                    "return_item".into(),
                    "other".into(),
                ]),
            ),
            JsonField::required("order_id", JsonKind::String).nullable(),
        ],
    }
}

fn rich_schema() -> JsonObjectSchema {
    JsonObjectSchema {
        fields: vec![
            JsonField::required("name", JsonKind::String),
            JsonField::required("qty", JsonKind::Number),
            JsonField::required("gift", JsonKind::Bool).optional(),
            JsonField::required(
                "size",
                JsonKind::Enum(vec!["S".into(), "M \"tall\"".into(), "XL".into()]),
            )
            .optional()
            .nullable(),
            JsonField::required("note", JsonKind::String).optional(),
        ],
    }
}

/// Parses `text` and checks it against the schema.
fn check_json(schema: &JsonObjectSchema, text: &str) {
    let v: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"));
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {text}"));
    for (k, val) in obj {
        let f = schema
            .fields
            .iter()
            .find(|f| &f.name == k)
            .unwrap_or_else(|| panic!("unknown key {k} in {text}"));
        let ok = match (&f.kind, val) {
            (_, serde_json::Value::Null) => f.nullable,
            (JsonKind::String, serde_json::Value::String(_)) => true,
            (JsonKind::Number, serde_json::Value::Number(_)) => true,
            (JsonKind::Bool, serde_json::Value::Bool(_)) => true,
            (JsonKind::Enum(vals), serde_json::Value::String(s)) => vals.contains(s),
            _ => false,
        };
        assert!(ok, "key {k} has a wrong value in {text}");
    }
    for f in &schema.fields {
        assert!(
            f.optional || obj.contains_key(&f.name),
            "required {} missing in {text}",
            f.name
        );
    }
}

#[test]
fn json_automaton_accepts_the_schema_and_nothing_else() {
    let c = JsonConstraint::new(&slot_schema()).expect("schema");
    for ok in [
        r#"{"intent":"order_status","order_id":"A-1"}"#,
        r#"{"order_id": null, "intent": "other"}"#,
        "{\n  \"intent\": \"return_item\",\n  \"order_id\": \"x\\\"y\\u00e9\"\n}",
        r#" {"intent":"other","order_id":"čaj 🙂"}"#,
    ] {
        assert_eq!(c.accepts_prefix(ok.as_bytes()), Some(true), "{ok}");
    }
    for bad in [
        r#"{"intent":"order","order_id":null}"#,
        r#"{"intent":"other"}"#,
        r#"{"intent":"other","intent":"other","order_id":null}"#,
        r#"{"intent":"other","order_id":5}"#,
        r#"{"intent":"other","order_id":null,}"#,
        r#"{"intent":other,"order_id":null}"#,
        r#"{"foo":1}"#,
        r#"```json"#,
        "{\"intent\":\"other\",\"order_id\":\"a\x01\"}",
    ] {
        assert_ne!(c.accepts_prefix(bad.as_bytes()), Some(true), "{bad}");
    }
    let r = JsonConstraint::new(&rich_schema()).expect("schema");
    for ok in [
        r#"{"name":"","qty":0}"#,
        r#"{"qty":-1.5e+3,"name":"x","gift":false,"size":"M \"tall\""}"#,
        r#"{"size":null,"qty":12,"name":"a","note":"b"}"#,
    ] {
        assert_eq!(r.accepts_prefix(ok.as_bytes()), Some(true), "{ok}");
    }
    for bad in [
        r#"{"name":"","qty":01}"#,
        r#"{"name":"","qty":1.}"#,
        r#"{"name":"","qty":1,"size":"M"}"#,
        r#"{"name":"","qty":1,"gift":null}"#,
    ] {
        assert_ne!(r.accepts_prefix(bad.as_bytes()), Some(true), "{bad}");
    }
    // The shortest object: {"name":"","qty":0}
    assert_eq!(r.min_tokens(), r#"{"name":"","qty":0}"#.len());
}

#[test]
fn json_schema_errors_are_input_errors() {
    let dup = JsonObjectSchema {
        fields: vec![
            JsonField::required("a", JsonKind::Number),
            JsonField::required("a", JsonKind::Bool),
        ],
    };
    let empty_enum = JsonObjectSchema {
        fields: vec![JsonField::required("a", JsonKind::Enum(vec![]))],
    };
    let quote = JsonObjectSchema {
        fields: vec![JsonField::required("a\"b", JsonKind::Number)],
    };
    for s in [dup, empty_enum, quote] {
        assert!(JsonConstraint::new(&s).is_err(), "{s:?}");
    }
    assert!(CopyConstraint::new(&CopySpans::new(vec!["  ".into()])).is_err());
}

#[test]
fn json_walk_matches_per_token_simulation() {
    let (v, _) = synthetic_vocab();
    let c = JsonConstraint::new(&slot_schema()).expect("schema");
    for prefix in [
        "",
        "{",
        "{\"",
        "{\"intent\": \"ord",
        "{\"order_id\":\"ab",
        "{\"order_id\":null",
        "{\"order_id\":null,\"intent\":\"other\"",
    ] {
        let mut k = JsonConstraint::new(&slot_schema()).expect("schema");
        for &b in prefix.as_bytes() {
            k.advance(&v, b as u32);
        }
        let mut got = TokenSet::empty(v.len());
        k.allow(&v, 1000, &mut got);
        let mut want = TokenSet::empty(v.len());
        for t in v.usable().iter() {
            let mut text = prefix.as_bytes().to_vec();
            text.extend_from_slice(v.bytes(t));
            if c.accepts_prefix(&text).is_some() {
                want.insert(t);
            }
        }
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            want.iter().collect::<Vec<_>>(),
            "after {prefix:?}"
        );
        assert!(!got.is_empty());
    }
}

#[test]
fn json_from_random_choices_always_parses_within_budget() {
    let (v, _) = synthetic_vocab();
    for (schema, budgets) in [
        (slot_schema(), [0usize, 3, 40]),
        (rich_schema(), [0, 5, 60]),
    ] {
        let min = JsonConstraint::new(&schema).expect("schema").min_tokens();
        for extra in budgets {
            for seed in 0..40 {
                let c = Box::new(JsonConstraint::new(&schema).expect("schema"));
                // Favour the JSON punctuation a little so objects are not all strings.
                let (out, report, ended) = drive(c, &v, seed, min + extra, |_| 0.0);
                let text = String::from_utf8(out).expect("utf-8");
                assert!(ended && report.complete, "unfinished: {text:?}");
                check_json(&schema, &text);
            }
        }
    }
}

fn numbers(text: &[u8]) -> Vec<String> {
    let s = String::from_utf8_lossy(text).into_owned();
    let b = s.as_bytes();
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
            out.push(s[start..i].to_string());
        } else {
            i += 1;
        }
    }
    out
}

/// Every copy is what the span holds there; copies are ordered and disjoint; every digit of
/// the output lies in a copy; every number of the output is a whole number of some span.
fn check_copy(spans: &[&str], out: &[u8], report: &ConstraintReport) {
    let mut last = 0;
    for c in &report.copies {
        assert_eq!(
            &out[c.output.clone()],
            &spans[c.span].as_bytes()[c.source.clone()],
            "copy {c:?} of {:?}",
            String::from_utf8_lossy(out)
        );
        assert!(
            c.output.start >= last,
            "ordered, disjoint: {:?}",
            report.copies
        );
        last = c.output.end;
    }
    for (i, b) in out.iter().enumerate() {
        if b.is_ascii_digit() {
            assert!(
                report.copies.iter().any(|c| c.output.contains(&i)),
                "digit at {i} not in a copy: {:?} {:?}",
                String::from_utf8_lossy(out),
                report.copies
            );
        }
    }
    let mut nums = numbers(out);
    if !report.complete {
        nums.pop(); // cut by the budget mid-number
    }
    let span_nums: Vec<String> = spans.iter().flat_map(|s| numbers(s.as_bytes())).collect();
    for n in nums {
        assert!(
            span_nums.contains(&n),
            "{n} is not a number of the spans: {:?}",
            String::from_utf8_lossy(out)
        );
    }
}

const PASSAGES: [&str; 2] = [
    "The Aurora kettle draws 1,800 W and weighs 410 g. It boils 1.7 l in 4 minutes.",
    "Dyson V15 Detect: 60 min runtime, 0.76 l bin. Mail help@shop.example or see https://shop.example/v15.",
];

fn copy_bonus(t: &[u8]) -> f32 {
    // Reach for digits, capitals and links whenever they are allowed.
    if t.iter()
        .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || *b == b'@')
    {
        1.5
    } else {
        0.0
    }
}

#[test]
fn copy_constraint_only_copies_numbers_from_the_spans() {
    let (v, _) = synthetic_vocab();
    let spans = CopySpans::new(PASSAGES.iter().map(|s| s.to_string()).collect());
    let mut copied_digits = 0;
    for seed in 0..60 {
        let c = Box::new(CopyConstraint::new(&spans).expect("spans"));
        let (out, report, _) = drive(c, &v, seed, 80, copy_bonus);
        check_copy(&PASSAGES, &out, &report);
        copied_digits += out.iter().filter(|b| b.is_ascii_digit()).count();
    }
    assert!(
        copied_digits > 100,
        "the chooser should copy numbers often: {copied_digits}"
    );
}

/// Feeds `text` token by token (longest vocabulary match) and says whether each was allowed.
fn feed(c: &mut Constrained, text: &str) -> bool {
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        let mut best = None;
        c.vocab().prefixes_of(rest, |t, len| best = Some((t, len)));
        let Some((t, len)) = best else { return false };
        let mut row = vec![0.0f32; c.vocab().len()];
        if !c.mask_row(&mut row, 100) || !row[t as usize].is_finite() {
            return false;
        }
        c.advance(t);
        rest = &rest[len..];
    }
    true
}

#[test]
fn copy_constraint_table() {
    let (v, _) = synthetic_vocab();
    let spans = CopySpans::new(PASSAGES.iter().map(|s| s.to_string()).collect());
    let new = || {
        Constrained::new(
            Box::new(CopyConstraint::new(&spans).expect("spans")),
            v.clone(),
        )
        .expect("start")
    };
    for (text, ok) in [
        ("It draws 1,800 W and weighs 410 g.", true),
        ("It draws 1,800 W and weighs 410 kg.", false),
        ("It draws 1,900 W.", false),
        ("It draws 1,8 W.", false),
        ("It draws 1 W.", false),
        ("It draws 800 W.", false),
        ("It weighs 410 g and 60 min.", true),
        ("It is 15 W.", false),
        ("The Dyson V15 Detect runs 60 min.", true),
        ("The Dyson V16 runs.", false),
        ("Ask Dyson.", true),
        ("Ask Bosch.", false),
        ("Ask Dysons.", false),
        ("Mail help@shop.example today.", true),
        ("Mail help@shop.com today.", false),
        ("Mail me@shop.example today.", false),
        ("I think so. Yes it is.", true),
        ("It has:\n- Power 1,800 W\n- Weight 410 g", true),
        ("It has:\n- power Of 1,800 W", false),
        ("It boils 1.7 l in 4 minutes.", true),
        ("It boils 1.7 kg.", false),
        ("It draws 1,800 watts.", false),
        ("It weighs 410 kilograms.", false),
        ("It boils 1.7 l in 4 minutes or less.", true),
    ] {
        let mut c = new();
        assert_eq!(feed(&mut c, text), ok, "{text}");
        if ok {
            check_copy(&PASSAGES, text.as_bytes(), &c.report());
        }
    }
    // Where the copies of a grounded sentence come from.
    let mut c = new();
    let text = "It draws 1,800 W and the Dyson V15 Detect runs 60 min.";
    assert!(feed(&mut c, text));
    let r = c.report();
    assert!(r.complete);
    let cited: Vec<(&str, usize)> = r
        .copies
        .iter()
        .map(|c| (&text[c.output.clone()], c.span))
        .collect();
    assert!(
        cited.iter().any(|(t, s)| t.contains("1,800 W") && *s == 0),
        "{cited:?}"
    );
    assert!(
        cited
            .iter()
            .any(|(t, s)| t.contains("V15 Detect") && *s == 1),
        "{cited:?}"
    );
    assert!(
        cited
            .iter()
            .any(|(t, s)| t.starts_with("60 min") && *s == 1),
        "{cited:?}"
    );
}

// ---- through the worker, with the tiny random model ----

fn tiny_model() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tiny.gguf");
    tiny::write(&path, "qwen2", 7);
    (dir, path)
}

fn spawn(path: &std::path::Path) -> ChatHandle {
    let opts = ChatWorkerOptions {
        model_id: "tiny".into(),
        queue: 4,
        max_context: 4096,
        speculative: None,
    };
    spawn_gguf(path, &opts).expect("spawn")
}

fn req(user: &str, params: SamplingParams) -> GenerateRequest {
    GenerateRequest {
        messages: vec![
            ChatMessage::system("You are a shop assistant."),
            ChatMessage::user(user),
        ],
        params,
    }
}

fn params(max_tokens: usize, temperature: f32, seed: u64) -> SamplingParams {
    SamplingParams {
        temperature,
        top_p: 1.0,
        repeat_penalty: 1.0,
        max_tokens,
        seed,
        ..Default::default()
    }
}

/// A stream drained: its text, why it ended, tokens generated and the constraint's report.
pub(crate) async fn collect(
    mut rx: frontdesk_core::TokenStream,
) -> (String, FinishReason, usize, Option<ConstraintReport>) {
    let mut text = String::new();
    while let Some(ev) = rx.recv().await {
        match ev.expect("event") {
            GenerationEvent::Text(t) => text.push_str(&t),
            GenerationEvent::Finished {
                reason,
                generated_tokens,
                constraint,
                ..
            } => return (text, reason, generated_tokens, constraint),
        }
    }
    panic!("no Finished")
}

#[tokio::test]
async fn mask_limits_the_tiny_model_to_the_allowed_tokens() {
    let (_d, path) = tiny_model();
    let h = spawn(&path);
    for (temp, seed) in [(0.0, 1), (1.5, 2), (5.0, 3)] {
        let only = OnlyTexts {
            texts: vec!["a", "b", "c", "he"],
            ids: Vec::new(),
            seen: 0,
        };
        let rx = h
            .generate_with(req("hello", params(30, temp, seed)), Box::new(only))
            .await
            .expect("queued");
        let (text, reason, n, report) = collect(rx).await;
        assert_eq!((reason, n), (FinishReason::Length, 30));
        assert!(
            text.chars().all(|c| "abche".contains(c)) && text.len() >= 30,
            "{text:?}"
        );
        assert_eq!(report.map(|r| r.complete), Some(true));
    }
    // Allowing everything changes nothing until the free output breaks UTF-8 (the random
    // model soon picks a lone byte ≥ 0x80, which the guard masks).
    let mut same = 0;
    for prompt in ["hello", "where is my order?", "x"] {
        let free = collect(
            h.generate(req(prompt, params(40, 0.0, 1)))
                .await
                .expect("q"),
        )
        .await;
        let all = collect(
            h.generate_with(req(prompt, params(40, 0.0, 1)), Box::new(AllowAll))
                .await
                .expect("q"),
        )
        .await;
        let valid = &free.0[..free.0.find('\u{FFFD}').unwrap_or(free.0.len())];
        assert!(
            all.0.starts_with(valid),
            "{prompt}: {:?} vs {:?}",
            free.0,
            all.0
        );
        same += valid.chars().count();
        assert!(!all.0.contains('\u{FFFD}'), "{:?}", all.0);
        assert!(free.3.is_none());
    }
    assert!(same >= 10, "too little valid free text to compare: {same}");
}

#[tokio::test]
async fn tiny_model_json_always_parses_and_follows_the_schema() {
    let (_d, path) = tiny_model();
    let h = spawn(&path);
    for schema in [slot_schema(), rich_schema()] {
        let min = JsonConstraint::new(&schema).expect("schema").min_tokens();
        for (i, temp) in [0.0f32, 0.8, 1.5, 4.0].into_iter().enumerate() {
            for extra in [0usize, 10, 80] {
                let mut p = params(min + extra, temp, 11 + i as u64);
                p.constraint = Some(DecodeConstraintSpec::Json(schema.clone()));
                let (text, reason, _, report) =
                    collect(h.generate(req("Where is order 17?", p)).await.expect("q")).await;
                assert_eq!(reason, FinishReason::Stop, "{text:?}");
                assert_eq!(report.map(|r| r.complete), Some(true));
                check_json(&schema, &text);
            }
        }
    }
    // A spec the constraint cannot build is refused before queueing.
    let mut p = params(10, 0.0, 1);
    p.constraint = Some(DecodeConstraintSpec::Json(JsonObjectSchema {
        fields: vec![JsonField::required("a", JsonKind::Enum(vec![]))],
    }));
    assert!(matches!(
        h.generate(req("x", p)).await,
        Err(frontdesk_core::InferenceError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn tiny_model_copies_numbers_only_from_the_spans_and_says_where_from() {
    let (_d, path) = tiny_model();
    let h = spawn(&path);
    let spans = CopySpans::new(PASSAGES.iter().map(|s| s.to_string()).collect());
    let mut digits = 0;
    for seed in 0..12u64 {
        let temp = [0.0f32, 1.0, 2.0, 6.0][seed as usize % 4];
        let mut p = params(60, temp, seed);
        p.constraint = Some(DecodeConstraintSpec::Copy(spans.clone()));
        let (text, _, _, report) =
            collect(h.generate(req("How heavy is it?", p)).await.expect("q")).await;
        let report = report.expect("report");
        check_copy(&PASSAGES, text.as_bytes(), &report);
        digits += text.bytes().filter(u8::is_ascii_digit).count();
    }
    eprintln!("digits copied by the tiny model: {digits}");
    // A stop string cuts the text; the report is clipped to what was sent.
    let mut p = params(60, 6.0, 5);
    p.constraint = Some(DecodeConstraintSpec::Copy(spans.clone()));
    p.stop = vec!["e".into()];
    let (text, _, _, report) = collect(h.generate(req("x", p)).await.expect("q")).await;
    for c in report.expect("report").copies {
        assert!(c.output.end <= text.len());
    }
}

#[test]
fn constraint_specs_travel_as_plain_data() {
    let p = SamplingParams {
        constraint: Some(DecodeConstraintSpec::Json(rich_schema())),
        ..Default::default()
    };
    let text = serde_json::to_string(&p).expect("serialise");
    assert_eq!(
        serde_json::from_str::<SamplingParams>(&text).expect("parse"),
        p
    );
    let copy = DecodeConstraintSpec::Copy(CopySpans::new(vec!["410 g".into()]));
    let text = serde_json::to_string(&copy).expect("serialise");
    assert_eq!(
        serde_json::from_str::<DecodeConstraintSpec>(&text).expect("parse"),
        copy
    );
    // Without a constraint the params serialise as before, and older params still parse.
    let plain = serde_json::to_string(&SamplingParams::default()).expect("serialise");
    assert!(!plain.contains("constraint"), "{plain}");
    let old: SamplingParams = serde_json::from_str(r#"{"temperature":0.5}"#).expect("parse");
    assert_eq!(old.constraint, None);
    let spec: DecodeConstraintSpec = serde_json::from_str(
        r#"{"kind":"json","fields":[{"name":"intent","type":{"enum":["a","b"]}},{"name":"order_id","type":"string","nullable":true}]}"#,
    )
    .expect("a hand-written spec");
    assert!(matches!(spec, DecodeConstraintSpec::Json(s) if s.fields.len() == 2));
}
