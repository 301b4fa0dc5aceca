//! What a decode constraint costs per token on a real model: decode tokens/s of the same
//! prompts without a constraint, with a constraint that allows everything (the masking
//! machinery alone), with the copy constraint and with the JSON constraint, plus the time
//! spent inside the constraint itself; then the per-token work of each constraint replayed
//! without the model (on the same vocabulary), which a shared machine's noise does not blur.
//!
//! `cargo run --release -p frontdesk-inference --example constrained_overhead -- [MODEL.gguf] [RUNS]`
//! (default: qwen2.5-coder-0.5b-instruct from the model cache, 3 runs).

use frontdesk_core::chat::{
    ConstraintReport, CopySpans, GenerationEvent, JsonField, JsonKind, JsonObjectSchema,
};
use frontdesk_core::{ChatMessage, GenerateRequest, InferenceError, SamplingParams};
use frontdesk_inference::chat::constraint::Constrained;
use frontdesk_inference::chat::{
    spawn_gguf, ChatHandle, ChatWorkerOptions, CopyConstraint, DecodeConstraint, JsonConstraint,
    TokenSet, TokenVocab,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Allows every token: measures the masking machinery (logits copy, mask, UTF-8 guard).
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

/// Times the inner constraint's `start`, `allow` and `advance`.
struct Timed {
    inner: Box<dyn DecodeConstraint>,
    start_ns: Arc<AtomicU64>,
    step_ns: Arc<AtomicU64>,
}
impl DecodeConstraint for Timed {
    fn start(&mut self, vocab: &TokenVocab) -> Result<(), InferenceError> {
        let t = Instant::now();
        let r = self.inner.start(vocab);
        self.start_ns
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        r
    }
    fn allow(&mut self, vocab: &TokenVocab, remaining: usize, allowed: &mut TokenSet) {
        let t = Instant::now();
        self.inner.allow(vocab, remaining, allowed);
        self.step_ns
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
    fn advance(&mut self, vocab: &TokenVocab, token: u32) {
        let t = Instant::now();
        self.inner.advance(vocab, token);
        self.step_ns
            .fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
    fn is_complete(&self) -> bool {
        self.inner.is_complete()
    }
    fn report(&self) -> ConstraintReport {
        self.inner.report()
    }
}

const PASSAGE: &str = "The Aurora kettle has a 1,800 W heating element and weighs 410 g without water. It holds 1.7 litres and boils a full jug in about 4 minutes. Its base turns through 360 degrees, the cord is 75 cm long, and the limescale filter can be washed. The kettle switches itself off when it is empty or lifted from the base, and it comes with a two-year warranty.";

struct Run {
    tokens: usize,
    decode_s: f64,
    text: String,
}

async fn generate(
    h: &ChatHandle,
    messages: Vec<ChatMessage>,
    max_tokens: usize,
    constraint: Option<Box<dyn DecodeConstraint>>,
) -> Run {
    let req = GenerateRequest {
        messages,
        params: SamplingParams {
            max_tokens,
            ..Default::default()
        },
    };
    let mut rx = match constraint {
        Some(c) => h.generate_with(req, c).await,
        None => frontdesk_core::ChatModel::generate(h, req).await,
    }
    .expect("queued");
    let mut first = None;
    let mut text = String::new();
    while let Some(ev) = rx.recv().await {
        match ev.expect("no error") {
            GenerationEvent::Text(t) => {
                first.get_or_insert_with(Instant::now);
                text.push_str(&t);
            }
            GenerationEvent::Finished {
                generated_tokens, ..
            } => {
                let decode_s = first.map(|f| f.elapsed().as_secs_f64()).unwrap_or(0.0);
                return Run {
                    tokens: generated_tokens,
                    decode_s,
                    text,
                };
            }
        }
    }
    panic!("no Finished")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map(PathBuf::from).unwrap_or_else(|| {
        dirs::cache_dir()
            .unwrap_or_default()
            .join("frontdesk/models/qwen2.5-coder-0.5b-instruct/model.gguf")
    });
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let h = spawn_gguf(
        &path,
        &ChatWorkerOptions {
            model_id: "bench".into(),
            queue: 2,
            max_context: 2048,
            speculative: None,
        },
    )
    .expect("model loads");
    let grounded = vec![
        ChatMessage::system(format!(
            "You are the support assistant of a home-appliance shop. Answer using only this passage and quote its figures exactly.\n\nPassage: {PASSAGE}"
        )),
        ChatMessage::user("Tell me everything about the Aurora kettle's power, weight, capacity, cord and safety."),
    ];
    let slots = vec![
        ChatMessage::system("Reply with one JSON object with the keys \"intent\" (one of \"order_status\", \"return_item\", \"other\"), \"order_id\" (string or null) and \"summary\" (a one-sentence summary of the message)."),
        ChatMessage::user("Hi, my order 10042 arrived with a broken lid and I would like to send the whole kettle back and get a refund, please."),
    ];
    let schema = JsonObjectSchema {
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
            JsonField::required("summary", JsonKind::String),
        ],
    };
    // Warm up (and build the constraint vocabulary once, outside the timings).
    let _ = generate(&h, grounded.clone(), 4, Some(Box::new(AllowAll))).await;
    println!(
        "model {} ; {runs} runs each; median decode tok/s [min-max]",
        path.display()
    );
    type Make = Box<dyn Fn() -> Option<Box<dyn DecodeConstraint>>>;
    let copy_spec = CopySpans::new(vec![PASSAGE.to_string()]);
    let copy_spec2 = copy_spec.clone();
    let schema2 = schema.clone();
    let cases: Vec<(&str, &Vec<ChatMessage>, usize, Make)> = vec![
        ("grounded, free", &grounded, 96, Box::new(|| None)),
        (
            "grounded, allow-all mask",
            &grounded,
            96,
            Box::new(|| Some(Box::new(AllowAll) as Box<dyn DecodeConstraint>)),
        ),
        (
            "grounded, copy constraint",
            &grounded,
            96,
            Box::new(move || {
                Some(Box::new(CopyConstraint::new(&copy_spec).expect("spans"))
                    as Box<dyn DecodeConstraint>)
            }),
        ),
        ("slots, free", &slots, 96, Box::new(|| None)),
        (
            "slots, JSON constraint",
            &slots,
            96,
            Box::new(move || {
                Some(Box::new(JsonConstraint::new(&schema).expect("schema"))
                    as Box<dyn DecodeConstraint>)
            }),
        ),
    ];
    // Runs interleaved (case 1, 2, …, 1, 2, …) so a slow phase of a shared machine hits all.
    let n = cases.len();
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut tokens = vec![0usize; n];
    let mut texts = vec![String::new(); n];
    let start_ns: Vec<Arc<AtomicU64>> = (0..n).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let step_ns: Vec<Arc<AtomicU64>> = (0..n).map(|_| Arc::new(AtomicU64::new(0))).collect();
    for _ in 0..runs {
        for (i, (_, messages, max_tokens, make)) in cases.iter().enumerate() {
            let c = make().map(|inner| {
                Box::new(Timed {
                    inner,
                    start_ns: start_ns[i].clone(),
                    step_ns: step_ns[i].clone(),
                }) as Box<dyn DecodeConstraint>
            });
            let r = generate(&h, (*messages).clone(), *max_tokens, c).await;
            if r.tokens > 1 && r.decode_s > 0.0 {
                rates[i].push((r.tokens - 1) as f64 / r.decode_s);
            }
            tokens[i] += r.tokens;
            texts[i] = r.text;
        }
    }
    for (i, (name, ..)) in cases.iter().enumerate() {
        let (lo, hi) = rates[i]
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
        println!(
            "{name:28} {:6.1} tok/s [{lo:.1}-{hi:.1}]  {} tokens/run  inside constraint: {:.3} ms/token, start {:.1} ms",
            median(rates[i].clone()),
            tokens[i] / runs.max(1),
            step_ns[i].load(Ordering::Relaxed) as f64 / 1e6 / tokens[i].max(1) as f64,
            start_ns[i].load(Ordering::Relaxed) as f64 / 1e6 / runs.max(1) as f64,
        );
        println!("    {:?}", texts[i].chars().take(160).collect::<String>());
    }
    replay(&path, &texts, &copy_spec2, &schema2);
}

/// The per-token work of a constrained step without the model: the logits copy, the mask, the
/// greedy choice over the masked row and `advance`, replaying the texts generated above on
/// this model's real vocabulary.
fn replay(path: &std::path::Path, texts: &[String], copy: &CopySpans, schema: &JsonObjectSchema) {
    use candle_core::quantized::gguf_file;
    use candle_core::quantized::tokenizer::TokenizerFromGguf;
    let mut f = std::fs::File::open(path).expect("open");
    let ct = gguf_file::Content::read(&mut f).expect("gguf");
    let tok = tokenizers::Tokenizer::from_gguf(&ct).expect("tokenizer");
    let eos: Vec<u32> = ["<|im_end|>", "<|endoftext|>"]
        .iter()
        .filter_map(|t| tok.token_to_id(t))
        .collect();
    let t = Instant::now();
    let vocab = Arc::new(TokenVocab::from_tokenizer(&tok, &eos));
    println!(
        "constraint vocabulary: {} tokens prepared in {:.0} ms (once per model)",
        vocab.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let rows = 151_936usize.max(vocab.len());
    let mut base: Vec<f32> = (0..rows)
        .map(|i| ((i * 7919) % 1000) as f32 * 1e-3)
        .collect();
    type Make<'a> = (
        &'a str,
        usize,
        Box<dyn Fn() -> Box<dyn DecodeConstraint> + 'a>,
    );
    let makes: Vec<Make> = vec![
        (
            "allow-all",
            1,
            Box::new(|| Box::new(AllowAll) as Box<dyn DecodeConstraint>),
        ),
        (
            "copy",
            2,
            Box::new(|| {
                Box::new(CopyConstraint::new(copy).expect("spans")) as Box<dyn DecodeConstraint>
            }),
        ),
        (
            "JSON",
            4,
            Box::new(|| {
                Box::new(JsonConstraint::new(schema).expect("schema")) as Box<dyn DecodeConstraint>
            }),
        ),
    ];
    for (name, text_i, make) in &makes {
        let ids = tok
            .encode(texts[*text_i].as_str(), false)
            .expect("encode")
            .get_ids()
            .to_vec();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let mut c = Constrained::new(make(), vocab.clone()).expect("start");
            let t = Instant::now();
            let mut steps = 0usize;
            for (k, &id) in ids.iter().enumerate() {
                base[id as usize] += 10.0;
                let mut row = base.clone();
                base[id as usize] -= 10.0;
                let chosen = c
                    .choose_row(&mut row, ids.len() - k + 8, |r| {
                        let mut b = 0;
                        for (i, &x) in r.iter().enumerate() {
                            if x > r[b] {
                                b = i;
                            }
                        }
                        Ok::<u32, ()>(b as u32)
                    })
                    .expect("choose");
                steps += 1;
                if chosen.is_none() || c.is_complete() {
                    break;
                }
            }
            best = best.min(t.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64);
        }
        println!(
            "replay {name:10} {:.3} ms/token (row copy + mask + greedy choice + advance; best of 5, {} tokens)",
            best,
            ids.len()
        );
    }
}
