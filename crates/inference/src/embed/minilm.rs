//! all-MiniLM-L6-v2 (English) from `config.json`, `model.safetensors` and `tokenizer.json`: the
//! file's float weights quantized at load into the shared BERT encoder (`super::encoder`, the
//! one e5 runs), WordPiece through `tokenizers`, mean pooling, L2 normalisation, no prefixes.

use super::e5s1::Hyper;
use super::encoder::{EncodeError, Encoder, Layer, Linear, Norm, TokenTable};
use crate::kernels::QMatrix;
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tokenizers::{Tokenizer, TruncationParams};

/// The sentence-transformers model was trained on inputs of at most this many tokens.
pub const MAX_TOKENS: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum MiniLmError {
    #[error("cannot read {path}: {why}")]
    Read { path: String, why: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("config.json: {0}")]
    Config(String),
    #[error("weights: {0}")]
    Weights(String),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// The fields of a BERT `config.json` the encoder needs.
#[derive(serde::Deserialize)]
struct BertConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    hidden_act: String,
    max_position_embeddings: usize,
    type_vocab_size: usize,
    layer_norm_eps: f64,
    #[serde(default = "absolute")]
    position_embedding_type: String,
}

fn absolute() -> String {
    "absolute".into()
}

pub struct MiniLm {
    encoder: Encoder,
    tokenizer: Tokenizer,
}

fn read(path: &Path) -> Result<Vec<u8>, MiniLmError> {
    std::fs::read(path).map_err(|e| MiniLmError::Read {
        path: path.display().to_string(),
        why: e.to_string(),
    })
}

/// The safetensors file's tensors by name, as f32, with the `bert.` prefix some exports carry
/// taken off.
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, MiniLmError> {
        let bad = |why: String| MiniLmError::Weights(format!("{name}: {why}"));
        let t = self
            .0
            .remove(name)
            .ok_or_else(|| bad("missing".into()))?;
        if t.dims() != shape {
            return Err(bad(format!("shape {:?}, expected {shape:?}", t.dims())));
        }
        t.to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| bad(e.to_string()))
    }

    /// A dense layer: weights `[out, in]` (the order both the file and the kernels use).
    fn linear(&mut self, name: &str, out: usize, inp: usize) -> Result<Linear, MiniLmError> {
        let w = self.take(&format!("{name}.weight"), &[out, inp])?;
        let b = self.take(&format!("{name}.bias"), &[out])?;
        Ok(Linear::new(quantize_weights(out, inp, &w), b))
    }

    fn norm(&mut self, name: &str, h: usize) -> Result<Norm, MiniLmError> {
        Ok(Norm {
            w: self.take(&format!("{name}.weight"), &[h])?,
            b: self.take(&format!("{name}.bias"), &[h])?,
        })
    }
}

/// The float weights of a product as the kernels hold them: 8 bits per value, one scale per 32.
fn quantize_weights(rows: usize, cols: usize, w: &[f32]) -> QMatrix {
    QMatrix::from_f32(rows, cols, w)
}

impl MiniLm {
    pub fn load(dir: &Path) -> Result<Self, MiniLmError> {
        let config: BertConfig = serde_json::from_slice(&read(&dir.join("config.json"))?)
            .map_err(|e| MiniLmError::Config(e.to_string()))?;
        let c = &config;
        // The encoder computes erf GELU and absolute learned positions; a config asking for
        // anything else would load and silently compute a different function.
        if c.hidden_act != "gelu" || c.position_embedding_type != "absolute" {
            return Err(MiniLmError::Config(format!(
                "hidden_act `{}` / position_embedding_type `{}`: only gelu / absolute are supported",
                c.hidden_act, c.position_embedding_type
            )));
        }
        let (d, ff) = (c.hidden_size, c.intermediate_size);
        if c.num_attention_heads == 0
            || !d.is_multiple_of(c.num_attention_heads)
            || !d.is_multiple_of(crate::kernels::BLOCK)
            || !ff.is_multiple_of(crate::kernels::BLOCK)
            || c.type_vocab_size == 0
            || c.max_position_embeddings < 2
        {
            return Err(MiniLmError::Config(format!(
                "hidden {d} / heads {} / intermediate {ff} / positions {} do not fit the encoder",
                c.num_attention_heads, c.max_position_embeddings
            )));
        }
        let hyper = Hyper {
            hidden: d,
            layers: c.num_hidden_layers,
            heads: c.num_attention_heads,
            ffn: ff,
            vocab: c.vocab_size,
            max_positions: c.max_position_embeddings,
            type_vocab: c.type_vocab_size,
            eps: c.layer_norm_eps as f32,
        };

        let path = dir.join("model.safetensors");
        let tensors = candle_core::safetensors::load_buffer(&read(&path)?, &Device::Cpu)
            .map_err(|e| MiniLmError::Read {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        let mut w = Weights(
            tensors
                .into_iter()
                .map(|(k, v)| (k.strip_prefix("bert.").map(str::to_string).unwrap_or(k), v))
                .collect(),
        );
        let word = w.take("embeddings.word_embeddings.weight", &[c.vocab_size, d])?;
        let word = TokenTable::Matrix(Arc::new(QMatrix::from_f32(c.vocab_size, d, &word)));
        let pos = w.take(
            "embeddings.position_embeddings.weight",
            &[c.max_position_embeddings, d],
        )?;
        let mut type0 = w.take(
            "embeddings.token_type_embeddings.weight",
            &[c.type_vocab_size, d],
        )?;
        type0.truncate(d);
        let eln = w.norm("embeddings.LayerNorm", d)?;
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for l in 0..c.num_hidden_layers {
            let p = |s: &str| format!("encoder.layer.{l}.{s}");
            layers.push(Layer {
                q: w.linear(&p("attention.self.query"), d, d)?,
                k: w.linear(&p("attention.self.key"), d, d)?,
                v: w.linear(&p("attention.self.value"), d, d)?,
                ao: w.linear(&p("attention.output.dense"), d, d)?,
                aln: w.norm(&p("attention.output.LayerNorm"), d)?,
                fi: w.linear(&p("intermediate.dense"), ff, d)?,
                fo: w.linear(&p("output.dense"), d, ff)?,
                oln: w.norm(&p("output.LayerNorm"), d)?,
            });
        }
        let encoder = Encoder::new(hyper, word, pos, type0, eln, layers);

        let mut tokenizer = Tokenizer::from_bytes(read(&dir.join("tokenizer.json"))?)
            .map_err(|e| MiniLmError::Tokenizer(e.to_string()))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS.min(c.max_position_embeddings),
                ..Default::default()
            }))
            .map_err(|e| MiniLmError::Tokenizer(e.to_string()))?;
        // The shipped tokenizer pads every input to 128; the encoder takes each text at its own
        // length (no padding rows), so padding is switched off.
        tokenizer.with_padding(None);
        Ok(Self { encoder, tokenizer })
    }

    pub fn dim(&self) -> usize {
        self.encoder.hyper().hidden
    }

    /// Token ids of each text: `[CLS]`, the WordPiece pieces cut to fit, `[SEP]`.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, MiniLmError> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| MiniLmError::Tokenizer(e.to_string()))?;
        Ok(enc.iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// One L2-normalised vector per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, MiniLmError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self.tokenize(texts)?;
        Ok(self.encoder.embed_ids(&seqs)?)
    }

    /// One L2-normalised vector per sequence of token ids.
    pub fn embed_ids(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, MiniLmError> {
        Ok(self.encoder.embed_ids(seqs)?)
    }
}
