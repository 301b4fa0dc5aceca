//! all-MiniLM-L6-v2 (English) from `config.json`, `model.safetensors` and `tokenizer.json`: the
//! file's float weights quantized at load into the shared BERT encoder (`super::encoder`, the
//! one e5 runs), WordPiece through `tokenizers`, mean pooling, L2 normalisation, no prefixes.

use super::e5s1::Hyper;
use super::encoder::{EncodeError, Encoder, Layer, Linear, Norm, Site, TokenTable};
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
        let t = self.0.remove(name).ok_or_else(|| bad("missing".into()))?;
        if t.dims() != shape {
            return Err(bad(format!("shape {:?}, expected {shape:?}", t.dims())));
        }
        t.to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| bad(e.to_string()))
    }

    /// A dense layer: weights `[out, in]` (the order both the file and the kernels use).
    fn dense(&mut self, name: &str, out: usize, inp: usize) -> Result<Dense, MiniLmError> {
        Ok(Dense {
            out,
            inp,
            w: self.take(&format!("{name}.weight"), &[out, inp])?,
            b: self.take(&format!("{name}.bias"), &[out])?,
        })
    }

    fn norm(&mut self, name: &str, h: usize) -> Result<Norm, MiniLmError> {
        Ok(Norm {
            w: self.take(&format!("{name}.weight"), &[h])?,
            b: self.take(&format!("{name}.bias"), &[h])?,
        })
    }
}

/// A dense layer's float weights `[out, in]` and bias, as the file has them.
struct Dense {
    out: usize,
    inp: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

impl Dense {
    /// As the kernels hold it: 8 bits per value, one scale per 16 (MiniLM's weights lose
    /// measurably at one per 32), each column divided by its input channel's `input_scale`
    /// (see [`LayerWeights::layer`]), the `outliers` input channels apart as floats.
    fn linear(&self, outliers: &[usize], input_scale: &[f32]) -> Linear {
        let mut w = self.w.clone();
        if !input_scale.is_empty() {
            for row in w.chunks_exact_mut(self.inp) {
                for (v, s) in row.iter_mut().zip(input_scale) {
                    *v /= s;
                }
            }
        }
        // The outlier columns multiply the unscaled input.
        for (row, orig) in w
            .chunks_exact_mut(self.inp)
            .zip(self.w.chunks_exact(self.inp))
        {
            for &c in outliers {
                row[c] = orig[c];
            }
        }
        Linear::with_outliers(
            self.out,
            self.inp,
            &w,
            self.b.clone(),
            outliers,
            QMatrix::from_f32_per16,
        )
    }
}

/// One encoder layer's float weights.
struct LayerWeights {
    q: Dense,
    k: Dense,
    v: Dense,
    ao: Dense,
    aln: Norm,
    fi: Dense,
    fo: Dense,
    oln: Norm,
}

impl LayerWeights {
    /// The layer as the kernels run it. With the channels' largest magnitudes over the
    /// calibration texts (`maxima`, per site), each site's input is smoothed: channel `c` is
    /// divided by `s_c = max|x_c|^α / max|W_c|^(1−α)` before the 8-bit quantization and the
    /// weights' column `c` multiplied by it (SmoothQuant), so no channel dominates its block
    /// of 32 activations; and the `outliers` channels are multiplied as floats.
    fn layer(
        &self,
        outliers: [Vec<usize>; Site::COUNT],
        maxima: Option<&[Vec<f32>; Site::COUNT]>,
    ) -> Layer {
        let scale = |site: Site, dense: &[&Dense]| -> Vec<f32> {
            let Some(maxima) = maxima else {
                return Vec::new();
            };
            let x_max = &maxima[site as usize];
            (0..dense[0].inp)
                .map(|c| {
                    let w_max = dense
                        .iter()
                        .flat_map(|d| d.w.chunks_exact(d.inp).map(move |r| r[c].abs()))
                        .fold(0f32, f32::max);
                    // Floors keep a channel that never fired (or has no weight) finite.
                    let s =
                        x_max[c].max(1e-5).powf(SMOOTHING) / w_max.max(1e-5).powf(1.0 - SMOOTHING);
                    1.0 / s
                })
                .collect()
        };
        let input_scale = [
            scale(Site::Qkv, &[&self.q, &self.k, &self.v]),
            scale(Site::Ao, &[&self.ao]),
            scale(Site::Fi, &[&self.fi]),
            scale(Site::Fo, &[&self.fo]),
        ];
        let [qkv, ao, fi, fo] = &outliers;
        let [s_qkv, s_ao, s_fi, s_fo] = &input_scale;
        Layer {
            q: self.q.linear(qkv, s_qkv),
            k: self.k.linear(qkv, s_qkv),
            v: self.v.linear(qkv, s_qkv),
            ao: self.ao.linear(ao, s_ao),
            aln: self.aln.clone(),
            fi: self.fi.linear(fi, s_fi),
            fo: self.fo.linear(fo, s_fo),
            oln: self.oln.clone(),
            outliers,
            input_scale,
        }
    }
}

/// Texts whose activations give, at load, each channel's range: short and long, since the
/// special tokens dominate a short text's states (written for this purpose; none is in the
/// reference test's sentences).
const CALIBRATION: &[&str] = &[
    "thank you",
    "Hello!",
    "yes",
    "Where's the parcel?",
    "Can shoes worn outdoors be sent back?",
    "The courier came late and the box was crushed, so I would like my money back.",
    "Do you deliver to Austria, how many days does it take, and what does the fast option cost?",
    "Our two-person tent weighs 2.1 kg, packs to 45 x 15 cm and pitches in under five minutes, \
     with the inner and the fly attached together.",
    "Refunds are paid to the original payment method within 5-7 business days after the \
     returned parcel arrives; store credit is issued at once as a gift card.",
];

/// A channel is an outlier where its largest magnitude over [`CALIBRATION`] exceeds the
/// median channel's this many times.
const OUTLIER_RATIO: f32 = 4.0;
/// At most this many per product input (their weights are held as floats).
const MAX_OUTLIERS: usize = 16;
/// How much of a channel's range moves from the activations into the weights (SmoothQuant's
/// α): 0.5 balances them.
const SMOOTHING: f32 = 0.5;

/// The outlier channels of one site from its channels' largest magnitudes, largest first.
fn outlier_channels(maxima: &[f32]) -> Vec<usize> {
    let mut sorted = maxima.to_vec();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut channels: Vec<usize> = (0..maxima.len())
        .filter(|&c| maxima[c] > OUTLIER_RATIO * median)
        .collect();
    channels.sort_by(|&a, &b| maxima[b].total_cmp(&maxima[a]));
    channels.truncate(MAX_OUTLIERS);
    channels
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
        let tensors =
            candle_core::safetensors::load_buffer(&read(&path)?, &Device::Cpu).map_err(|e| {
                MiniLmError::Read {
                    path: path.display().to_string(),
                    why: e.to_string(),
                }
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
            layers.push(LayerWeights {
                q: w.dense(&p("attention.self.query"), d, d)?,
                k: w.dense(&p("attention.self.key"), d, d)?,
                v: w.dense(&p("attention.self.value"), d, d)?,
                ao: w.dense(&p("attention.output.dense"), d, d)?,
                aln: w.norm(&p("attention.output.LayerNorm"), d)?,
                fi: w.dense(&p("intermediate.dense"), ff, d)?,
                fo: w.dense(&p("output.dense"), d, ff)?,
                oln: w.norm(&p("output.LayerNorm"), d)?,
            });
        }

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

        // Once plainly quantized, to find each product input's outlier channels; then again
        // with those channels multiplied as floats.
        let plain = Encoder::new(
            hyper,
            word.clone(),
            pos.clone(),
            type0.clone(),
            eln.clone(),
            layers
                .iter()
                .map(|l| l.layer(Default::default(), None))
                .collect(),
        );
        let probe = Self {
            encoder: plain,
            tokenizer,
        };
        let maxima = probe
            .encoder
            .channel_maxima(&probe.tokenize(CALIBRATION)?)?;
        let layers = layers
            .iter()
            .zip(&maxima)
            .map(|(l, m)| l.layer(m.each_ref().map(|m| outlier_channels(m)), Some(m)))
            .collect();
        Ok(Self {
            encoder: Encoder::new(hyper, word, pos, type0, eln, layers),
            tokenizer: probe.tokenizer,
        })
    }

    /// Per layer and product input, the channels multiplied as floats.
    pub fn outlier_channels(&self) -> Vec<Vec<Vec<usize>>> {
        self.encoder
            .layers()
            .iter()
            .map(|l| l.outliers.to_vec())
            .collect()
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
