//! MiniLM on the crate's kernels (`embed::minilm`, the encoder e5 runs) against candle's f32
//! BERT, which computed MiniLM before and stays here only as the reference: cosine ≥ 0.999 per
//! text, on a tiny random model written by the test (always runs: checks the weight mapping,
//! truncation and the refusal of what the encoder cannot compute) and on the real model (skipped
//! when absent unless FRONTDESK_REQUIRE_MODELS=1).

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use frontdesk_inference::embed::minilm::{MiniLm, MAX_TOKENS};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The computation MiniLM used to run (candle's BertModel; a padded batch, mean pooling under
/// the attention mask, L2 norm), kept as the reference.
fn candle_reference(dir: &Path, texts: &[&str]) -> Vec<Vec<f32>> {
    let config: Config =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
    let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu).unwrap();
    let model = BertModel::load(vb, &config).unwrap();
    let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_TOKENS.min(config.max_position_embeddings),
            ..Default::default()
        }))
        .unwrap();
    tokenizer.with_padding(Some(PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        ..Default::default()
    }));
    let enc = tokenizer.encode_batch(texts.to_vec(), true).unwrap();
    let len = enc.iter().map(|e| e.get_ids().len()).max().unwrap();
    let (mut ids, mut mask) = (Vec::new(), Vec::new());
    for e in &enc {
        ids.extend_from_slice(e.get_ids());
        mask.extend_from_slice(e.get_attention_mask());
    }
    let shape = (texts.len(), len);
    let ids = Tensor::from_vec(ids, shape, &Device::Cpu).unwrap();
    let mask = Tensor::from_vec(mask, shape, &Device::Cpu).unwrap();
    let hidden = model
        .forward(&ids, &ids.zeros_like().unwrap(), Some(&mask))
        .unwrap();
    let m = mask.to_dtype(DType::F32).unwrap().unsqueeze(2).unwrap();
    let summed = hidden.broadcast_mul(&m).unwrap().sum(1).unwrap();
    let norm = summed
        .sqr()
        .unwrap()
        .sum_keepdim(1)
        .unwrap()
        .sqrt()
        .unwrap();
    summed.broadcast_div(&norm).unwrap().to_vec2().unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// Every text's cosine to the reference, worst first in the failure message.
fn assert_close(ours: &[Vec<f32>], reference: &[Vec<f32>], texts: &[&str], min_cosine: f32) {
    assert_eq!(ours.len(), texts.len());
    assert_eq!(reference.len(), texts.len());
    let mut worst: Vec<(f32, &str)> = ours
        .iter()
        .zip(reference)
        .zip(texts)
        .map(|((a, b), t)| (cosine(a, b), *t))
        .collect();
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    eprintln!("lowest cosine to candle's BERT: {:.6}", worst[0].0);
    let bad: Vec<_> = worst.iter().filter(|(c, _)| *c < min_cosine).collect();
    assert!(
        bad.is_empty(),
        "{} of {} texts below {min_cosine}: {bad:?}",
        bad.len(),
        texts.len()
    );
}

// ---------------------------------------------------------------- the tiny model

const WORDS: &[&str] = &[
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "tent", "is", "water", "##proof", "return", "boots",
    "in", "30", "days", "how", "do", "i", "a", "?", ",", ".", "ship", "to", "my", "order", "##s",
    "free", "over", "50", "€", "can", "you", "help", "with", "warranty", "two", "years",
];
const D: usize = 64;
const HEADS: usize = 4;
const FF: usize = 128;
const LAYERS: usize = 2;
const POSITIONS: usize = 40;

fn tokenizer_json() -> String {
    let vocab: serde_json::Map<String, serde_json::Value> = WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), serde_json::json!(i)))
        .collect();
    serde_json::json!({
        "version": "1.0",
        "truncation": null,
        // As the shipped tokenizer does: pads every input to a fixed length, which the kernels'
        // encoder must switch off.
        "padding": {"strategy": {"Fixed": 32}, "direction": "Right", "pad_to_multiple_of": null,
                    "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
        "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab}
    })
    .to_string()
}

fn config_json(hidden_act: &str) -> String {
    serde_json::json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": WORDS.len(),
        "hidden_size": D,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "intermediate_size": FF,
        "hidden_act": hidden_act,
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": POSITIONS,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "classifier_dropout": null
    })
    .to_string()
}

/// Random tensors by name.
struct RandomTensors {
    rng: StdRng,
    tensors: HashMap<String, Tensor>,
}

impl RandomTensors {
    fn put(&mut self, name: String, shape: &[usize], lo: f32, hi: f32) {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| self.rng.gen_range(lo..hi)).collect();
        let t = Tensor::from_vec(v, shape, &Device::Cpu).unwrap();
        self.tensors.insert(name, t);
    }

    fn norm(&mut self, name: &str) {
        self.put(format!("{name}.weight"), &[D], 0.8, 1.2);
        self.put(format!("{name}.bias"), &[D], -0.1, 0.1);
    }
}

/// Random weights under the names and shapes of a sentence-transformers BERT export.
fn tiny_tensors(seed: u64) -> HashMap<String, Tensor> {
    let mut t = RandomTensors {
        rng: StdRng::seed_from_u64(seed),
        tensors: HashMap::new(),
    };
    t.put(
        "embeddings.word_embeddings.weight".into(),
        &[WORDS.len(), D],
        -0.5,
        0.5,
    );
    t.put(
        "embeddings.position_embeddings.weight".into(),
        &[POSITIONS, D],
        -0.2,
        0.2,
    );
    t.put(
        "embeddings.token_type_embeddings.weight".into(),
        &[2, D],
        -0.2,
        0.2,
    );
    t.norm("embeddings.LayerNorm");
    for l in 0..LAYERS {
        let p = |s: &str| format!("encoder.layer.{l}.{s}");
        for (name, out, inp) in [
            ("attention.self.query", D, D),
            ("attention.self.key", D, D),
            ("attention.self.value", D, D),
            ("attention.output.dense", D, D),
            ("intermediate.dense", FF, D),
            ("output.dense", D, FF),
        ] {
            t.put(p(&format!("{name}.weight")), &[out, inp], -0.15, 0.15);
            t.put(p(&format!("{name}.bias")), &[out], -0.1, 0.1);
        }
        t.norm(&p("attention.output.LayerNorm"));
        t.norm(&p("output.LayerNorm"));
    }
    t.tensors
}

fn write_model(dir: &Path, tensors: &HashMap<String, Tensor>, hidden_act: &str) {
    std::fs::write(dir.join("config.json"), config_json(hidden_act)).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tokenizer_json()).unwrap();
    candle_core::safetensors::save(tensors, dir.join("model.safetensors")).unwrap();
}

const TINY_TEXTS: &[&str] = &[
    "How do I return boots?",
    "the tent is waterproof",
    "Can you help with my orders, the warranty is two years.",
    "ship to",
    "free over 50 €",
    "unknown words become unk",
    "",
    // Longer than the tiny model's 40 positions: both cut it to the same tokens.
    "the tent is waterproof the tent is waterproof the tent is waterproof the tent is \
     waterproof the tent is waterproof the tent is waterproof the tent is waterproof the tent \
     is waterproof the tent is waterproof",
];

#[test]
fn tiny_model_matches_candle_bert() {
    let dir = tempfile::tempdir().unwrap();
    let tensors = tiny_tensors(5);
    write_model(dir.path(), &tensors, "gelu");
    let ours = MiniLm::load(dir.path()).expect("loads");
    assert_eq!(ours.dim(), D);
    let ids = ours.tokenize(&["the tent is waterproof"]).unwrap();
    // [CLS] the tent is water ##proof [SEP]: no padding to the tokenizer's fixed 32.
    assert_eq!(ids, vec![vec![2, 4, 5, 6, 7, 8, 3]]);
    let long = ours.tokenize(&[TINY_TEXTS[7]]).unwrap();
    assert_eq!(long[0].len(), POSITIONS, "cut to the position table");

    let v = ours.embed(TINY_TEXTS).expect("embeds");
    for x in &v {
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    assert_close(
        &v,
        &candle_reference(dir.path(), TINY_TEXTS),
        TINY_TEXTS,
        0.999,
    );

    // A text's vector does not depend on its batch neighbours (no padding rows to leak).
    let alone = ours.embed(&[TINY_TEXTS[0]]).unwrap();
    assert_eq!(alone[0], v[0]);
    // Different texts give clearly different vectors (the comparison above is not vacuous).
    assert!(cosine(&v[0], &v[1]) < 0.99, "{}", cosine(&v[0], &v[1]));
}

#[test]
fn what_the_encoder_cannot_compute_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut tensors = tiny_tensors(6);
    write_model(dir.path(), &tensors, "gelu_new");
    let e = MiniLm::load(dir.path()).err().expect("tanh GELU refused");
    assert!(e.to_string().contains("gelu_new"), "{e}");

    tensors.remove("encoder.layer.1.output.dense.bias");
    write_model(dir.path(), &tensors, "gelu");
    let e = MiniLm::load(dir.path())
        .err()
        .expect("missing tensor refused");
    assert!(
        e.to_string().contains("encoder.layer.1.output.dense.bias"),
        "{e}"
    );

    let mut tensors = tiny_tensors(6);
    tensors.insert(
        "encoder.layer.0.intermediate.dense.weight".into(),
        Tensor::zeros((D, FF), DType::F32, &Device::Cpu).unwrap(),
    );
    write_model(dir.path(), &tensors, "gelu");
    let e = MiniLm::load(dir.path())
        .err()
        .expect("transposed weight refused");
    assert!(e.to_string().contains("shape"), "{e}");

    // Ids past the vocabulary are an error, not a panic.
    write_model(dir.path(), &tiny_tensors(6), "gelu");
    let m = MiniLm::load(dir.path()).unwrap();
    assert!(m.embed_ids(&[vec![2, 4, 999, 3]]).is_err());
}

// ---------------------------------------------------------------- the real model

fn real_model_dir() -> Option<PathBuf> {
    frontdesk_inference::model_file_for_test("all-minilm-l6-v2/model.safetensors")
        .and_then(|f| f.parent().map(PathBuf::from))
}

/// Written for this test: short and long, questions and statements, numbers, punctuation,
/// casing, a typo, non-ASCII letters.
const SENTENCES: &[&str] = &[
    "Hi",
    "thanks!",
    "Where is my parcel?",
    "I want my money back.",
    "Can I pay with PayPal or only by card?",
    "The zipper on my jacket broke after two weeks, what now?",
    "do u ship 2 norway",
    "HOW LONG DOES DELIVERY TAKE???",
    "Is the 2-person tent heavier than 2.5 kg when packed?",
    "I ordered the wrong size of hiking boots (EU 43 instead of 44) — can I swap them?",
    "My order number is 48213, it says delivered but nothing arrived.",
    "Could you tell me whether the sleeping bag's comfort rating of -5 °C is realistic in a \
     damp autumn forest, or should I take a liner as well?",
    "Recommend a stove that boils water fast for two people on a weekend trip.",
    "Crème brûlée and café au lait are not on the menu at the campsite.",
    "cancel it",
    "Please change the delivery address to Baker Street 221B, London NW1 6XE.",
    "Does the warranty cover damage from a fall, or only manufacturing defects?",
    "I have been waiting for 45 minutes on the phone and nobody answers, this is unacceptable.",
    "What's the difference between the 35 L and the 45 L backpack apart from volume?",
    "Headlamp: 400 lumens, IPX7, 3×AAA — does it come with batteries?",
    "Is there a discount for students or members of the alpine club?",
    "The quick brown fox jumps over the lazy dog.",
    "Return policy",
    "If I bought a gift card last year, does it still work, and can I use two of them on \
     one order together with a discount code from the newsletter?",
    "Are your down jackets ethically sourced (RDS certified)?",
    "i accidently orderd twice pls refund one",
    "Trekking poles, carbon or aluminium: which one survives a stumble on rocks?",
    "Can I pick up my order in the store in Novi Sad instead of having it shipped?",
    "You charged my card twice for order 99120!",
    "Good morning, I would like to know your opening hours on public holidays.",
];

/// Whole knowledge pages of the demo shop: well over 256 tokens, so the cut is compared too.
fn long_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
    [
        "policies/returns.md",
        "policies/shipping.md",
        "products/tents.md",
    ]
    .iter()
    .map(|p| std::fs::read_to_string(root.join(p)).expect("knowledge page"))
    .chain(
        // Middling lengths (100–200 tokens): the start of a page.
        [500, 800].map(|n| {
            std::fs::read_to_string(root.join("policies/warranty.md"))
                .expect("knowledge page")
                .chars()
                .take(n)
                .collect()
        }),
    )
    .collect()
}

#[test]
fn real_model_matches_candle_bert() {
    let Some(dir) = real_model_dir() else { return };
    let ours = MiniLm::load(&dir).expect("loads");
    let long = long_texts();
    let texts: Vec<&str> = SENTENCES
        .iter()
        .copied()
        .chain(long.iter().map(String::as_str))
        .collect();
    let lengths: Vec<usize> = ours
        .tokenize(&texts)
        .unwrap()
        .iter()
        .map(Vec::len)
        .collect();
    assert_eq!(
        *lengths.iter().max().unwrap(),
        MAX_TOKENS,
        "some text reaches the cut"
    );
    assert!(
        lengths.iter().any(|&n| (100..MAX_TOKENS).contains(&n)),
        "{lengths:?}"
    );
    assert!(texts.len() >= 30);

    let v = ours.embed(&texts).expect("embeds");
    // The reference one text at a time: its padded batch is not what is being compared.
    let reference: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| candle_reference(&dir, &[t]).remove(0))
        .collect();
    assert_close(&v, &reference, &texts, 0.999);
}
