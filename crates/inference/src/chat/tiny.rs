//! A tiny random-weight GGUF (qwen2 or llama layout, byte-level BPE vocabulary, ChatML template)
//! written by the tests, so generation logic is exercised without real model files.

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use gguf_file::Value;
use rand::{Rng, SeedableRng};
use std::path::Path;

pub const HIDDEN: usize = 64;
const FFN: usize = 128;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
pub const SPECIALS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// GPT-2's byte-to-printable-character table used by byte-level BPE vocabularies.
fn byte_chars() -> Vec<char> {
    let mut printable: Vec<u32> = (33..=126).chain(161..=172).chain(174..=255).collect();
    let mut out = vec!['\0'; 256];
    for &b in &printable {
        out[b as usize] = char::from_u32(b).unwrap_or('?');
    }
    let mut n = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            out[b as usize] = char::from_u32(256 + n).unwrap_or('?');
            n += 1;
        }
    }
    printable.clear();
    out
}

/// The merges of the standard tiny vocabulary: byte tokens, then these, then [`SPECIALS`].
pub const MERGES: &[(&str, &str)] = &[("h", "e"), ("l", "l")];

fn vocab_with(merges: &[(&str, &str)]) -> Vec<String> {
    let bc = byte_chars();
    let mut v: Vec<String> = bc.iter().map(|c| c.to_string()).collect();
    v.extend(merges.iter().map(|(a, b)| format!("{a}{b}")));
    v.extend(SPECIALS.iter().map(|s| s.to_string()));
    v
}

/// A tiny model's shape and vocabulary; [`write`] uses the defaults.
#[derive(Debug, Clone, Copy)]
pub struct TinyModel<'a> {
    /// Put in the metadata as-is (tests use unsupported names too).
    pub arch: &'a str,
    pub seed: u64,
    pub layers: usize,
    pub merges: &'a [(&'a str, &'a str)],
    /// Rows past the tokenizer's ids in the token table and the output matrix (as files pad
    /// them to a round size); their output rows are large, so they win many greedy choices.
    pub padding_rows: usize,
}

impl Default for TinyModel<'_> {
    fn default() -> Self {
        Self {
            arch: "qwen2",
            seed: 7,
            layers: 2,
            merges: MERGES,
            padding_rows: 0,
        }
    }
}

fn rand_tensor(rng: &mut rand::rngs::StdRng, shape: (usize, usize), scale: f32) -> Tensor {
    let data: Vec<f32> = (0..shape.0 * shape.1)
        .map(|_| rng.gen_range(-scale..scale))
        .collect();
    Tensor::from_vec(data, shape, &Device::Cpu).unwrap_or_else(|e| panic!("tensor: {e}"))
}

fn vec1(data: Vec<f32>) -> Tensor {
    let n = data.len();
    Tensor::from_vec(data, n, &Device::Cpu).unwrap_or_else(|e| panic!("tensor: {e}"))
}

fn q(t: &Tensor, dt: GgmlDType) -> QTensor {
    QTensor::quantize(t, dt).unwrap_or_else(|e| panic!("quantize: {e}"))
}

/// Writes the default model of architecture `arch` to `path`.
pub fn write(path: &Path, arch: &str, seed: u64) {
    write_model(
        path,
        &TinyModel {
            arch,
            seed,
            ..TinyModel::default()
        },
    );
}

/// Writes `model` to `path`.
pub fn write_model(path: &Path, model: &TinyModel<'_>) {
    let TinyModel {
        arch,
        seed,
        layers,
        merges,
        padding_rows,
    } = *model;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let vocab = vocab_with(merges);
    let n_vocab = vocab.len();
    let rows = n_vocab + padding_rows;
    let head_dim = HIDDEN / HEADS;
    let kv_dim = KV_HEADS * head_dim;
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    tensors.push((
        "token_embd.weight".into(),
        q(&rand_tensor(&mut rng, (rows, HIDDEN), 1.0), GgmlDType::Q8_0),
    ));
    tensors.push((
        "output_norm.weight".into(),
        q(&vec1(vec![1.0; HIDDEN]), GgmlDType::F32),
    ));
    // Zero output rows for the special tokens keep random models from ending at once on EOS.
    let mut out = rand_tensor(&mut rng, (rows, HIDDEN), 1.0)
        .to_vec2::<f32>()
        .unwrap_or_default();
    for row in out[n_vocab - SPECIALS.len()..n_vocab].iter_mut() {
        row.iter_mut().for_each(|x| *x = 0.0);
    }
    for row in out[n_vocab..].iter_mut() {
        row.iter_mut().for_each(|x| *x *= 4.0);
    }
    let out = Tensor::new(out, &Device::Cpu).unwrap_or_else(|e| panic!("tensor: {e}"));
    tensors.push(("output.weight".into(), q(&out, GgmlDType::Q8_0)));
    for l in 0..layers {
        let p = format!("blk.{l}");
        let s = 0.3;
        tensors.push((
            format!("{p}.attn_q.weight"),
            q(&rand_tensor(&mut rng, (HIDDEN, HIDDEN), s), GgmlDType::Q8_0),
        ));
        tensors.push((
            format!("{p}.attn_k.weight"),
            q(&rand_tensor(&mut rng, (kv_dim, HIDDEN), s), GgmlDType::Q8_0),
        ));
        tensors.push((
            format!("{p}.attn_v.weight"),
            q(&rand_tensor(&mut rng, (kv_dim, HIDDEN), s), GgmlDType::Q8_0),
        ));
        tensors.push((
            format!("{p}.attn_output.weight"),
            q(&rand_tensor(&mut rng, (HIDDEN, HIDDEN), s), GgmlDType::Q8_0),
        ));
        if arch != "llama" {
            for (n, d) in [
                ("attn_q.bias", HIDDEN),
                ("attn_k.bias", kv_dim),
                ("attn_v.bias", kv_dim),
            ] {
                let b: Vec<f32> = (0..d).map(|_| rng.gen_range(-0.1..0.1)).collect();
                tensors.push((format!("{p}.{n}"), q(&vec1(b), GgmlDType::F32)));
            }
        }
        tensors.push((
            format!("{p}.attn_norm.weight"),
            q(&vec1(vec![1.0; HIDDEN]), GgmlDType::F32),
        ));
        tensors.push((
            format!("{p}.ffn_norm.weight"),
            q(&vec1(vec![1.0; HIDDEN]), GgmlDType::F32),
        ));
        tensors.push((
            format!("{p}.ffn_gate.weight"),
            q(&rand_tensor(&mut rng, (FFN, HIDDEN), s), GgmlDType::Q8_0),
        ));
        tensors.push((
            format!("{p}.ffn_up.weight"),
            q(&rand_tensor(&mut rng, (FFN, HIDDEN), s), GgmlDType::Q8_0),
        ));
        tensors.push((
            format!("{p}.ffn_down.weight"),
            q(&rand_tensor(&mut rng, (HIDDEN, FFN), s), GgmlDType::Q8_0),
        ));
    }
    let u = |v: usize| Value::U32(v as u32);
    let token_types: Vec<Value> = (0..n_vocab)
        .map(|i| Value::I32(if i >= n_vocab - SPECIALS.len() { 3 } else { 1 }))
        .collect();
    let im_end = n_vocab - 1;
    let md: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(arch.into())),
        (format!("{arch}.attention.head_count"), u(HEADS)),
        (format!("{arch}.attention.head_count_kv"), u(KV_HEADS)),
        (format!("{arch}.embedding_length"), u(HIDDEN)),
        (format!("{arch}.context_length"), u(4096)),
        (format!("{arch}.block_count"), u(layers)),
        (format!("{arch}.rope.dimension_count"), u(head_dim)),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            Value::F32(1e-6),
        ),
        (format!("{arch}.rope.freq_base"), Value::F32(10_000.0)),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("qwen2".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(vocab.iter().map(|t| Value::String(t.clone())).collect()),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            Value::Array(token_types),
        ),
        (
            "tokenizer.ggml.merges".into(),
            Value::Array(
                merges
                    .iter()
                    .map(|(a, b)| Value::String(format!("{a} {b}")))
                    .collect(),
            ),
        ),
        ("tokenizer.ggml.eos_token_id".into(), u(im_end)),
        (
            "tokenizer.chat_template".into(),
            Value::String(CHATML.into()),
        ),
    ];
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut f =
        std::fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    gguf_file::write(&mut f, &md_refs, &t_refs).unwrap_or_else(|e| panic!("write gguf: {e}"));
}
