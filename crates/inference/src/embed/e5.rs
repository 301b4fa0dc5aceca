//! multilingual-e5-small from an E5S1 file: 4-bit weights in candle `QMatMul`s, the rest in
//! plain f32 loops. A batch runs with the tokens of all texts concatenated into one `[T, H]`
//! matrix (no padding rows), attention restricted to each text's own tokens: the matmuls stream
//! every weight once per batch, and a text's vector does not depend on its batch neighbours.

use super::e5s1::{self, E5File, Hyper, TensorKind, Q4_BLOCK, Q4_BLOCK_BYTES};
use super::unigram::Unigram;
use crate::kernels::{self, ConvertError, PreparedMatrix, QMatrix, QuantizedRows, SourceFormat};
use frontdesk_core::EmbedKind;
use half::f16;
use rayon::prelude::*;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum E5Error {
    #[error(transparent)]
    Format(#[from] e5s1::FormatError),
    #[error("weights: {0}")]
    Weights(#[from] ConvertError),
}

pub(super) struct Linear {
    w: PreparedMatrix,
    b: Vec<f32>,
}

impl Linear {
    /// From float weights `[out, in]` (a fine-tuned layer): 8 bits per weight.
    pub(super) fn from_f32(out: usize, inp: usize, w: &[f32], b: Vec<f32>) -> Self {
        Self {
            w: PreparedMatrix::new(QMatrix::from_f32(out, inp, w)),
            b,
        }
    }

    /// Weights `[out, in]` and bias as floats.
    pub(super) fn to_f32(&self) -> (Vec<f32>, Vec<f32>) {
        (self.w.dequantize(), self.b.clone())
    }

    fn load(f: &E5File, buf: &[u8], name: &str, out: usize, inp: usize) -> Result<Self, E5Error> {
        let t = f.tensor(&format!("{name}.w"), TensorKind::Q4_0, out * inp)?;
        let w = PreparedMatrix::new(QMatrix::from_format(
            SourceFormat::Q4_0,
            out,
            inp,
            &buf[t.bytes.clone()],
        )?);
        let b = f.f32s(buf, &format!("{name}.b"), out)?;
        Ok(Self { w, b })
    }

    /// `y = x · Wᵀ + b` for the quantized rows `x`; `y` is `[rows, out]`.
    fn forward(&self, x: &QuantizedRows, y: &mut Vec<f32>) {
        kernels::matmul_prepared(x, &self.w, y);
        for row in y.chunks_exact_mut(self.b.len()) {
            for (v, b) in row.iter_mut().zip(&self.b) {
                *v += b;
            }
        }
    }
}

pub(super) struct Norm {
    pub(super) w: Vec<f32>,
    pub(super) b: Vec<f32>,
}

impl Norm {
    fn load(f: &E5File, buf: &[u8], name: &str, h: usize) -> Result<Self, E5Error> {
        Ok(Self {
            w: f.f32s(buf, &format!("{name}.w"), h)?,
            b: f.f32s(buf, &format!("{name}.b"), h)?,
        })
    }

    /// `x = LN(x + y)` row by row (`y` absent: `LN(x)`).
    fn apply(&self, x: &mut [f32], y: Option<&[f32]>, eps: f32) {
        let h = self.w.len();
        for (t, r) in x.chunks_exact_mut(h).enumerate() {
            if let Some(y) = y {
                for (a, b) in r.iter_mut().zip(&y[t * h..(t + 1) * h]) {
                    *a += b;
                }
            }
            let mean = r.iter().sum::<f32>() / h as f32;
            let var = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, w), b) in r.iter_mut().zip(&self.w).zip(&self.b) {
                *v = (*v - mean) * inv * w + b;
            }
        }
    }
}

pub(super) struct Layer {
    pub(super) q: Linear,
    pub(super) k: Linear,
    pub(super) v: Linear,
    pub(super) ao: Linear,
    pub(super) aln: Norm,
    pub(super) fi: Linear,
    pub(super) fo: Linear,
    pub(super) oln: Norm,
}

/// Cheap to clone: the tables and layers are shared, so a fine-tuned copy (see `super::tune`)
/// costs only the layers it replaces.
#[derive(Clone)]
pub struct E5Model {
    hyper: Hyper,
    tokenizer: Arc<Unigram>,
    /// The word table stays 4-bit (250k × 384 would be 384 MB as f32); rows are expanded on lookup.
    word: Arc<[u8]>,
    pos: Arc<[f32]>,
    type0: Arc<[f32]>,
    eln: Arc<Norm>,
    layers: Vec<Arc<Layer>>,
}

pub fn prefix(kind: EmbedKind) -> &'static str {
    match kind {
        EmbedKind::Query => "query: ",
        EmbedKind::Passage => "passage: ",
    }
}

fn dequant_row(blocks: &[u8], out: &mut [f32]) {
    for (blk, o) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(Q4_BLOCK))
    {
        let d = f16::from_le_bytes([blk[0], blk[1]]).to_f32();
        for (j, &q) in blk[2..].iter().enumerate() {
            o[j] = (i32::from(q & 0x0f) - 8) as f32 * d;
            o[j + 16] = (i32::from(q >> 4) - 8) as f32 * d;
        }
    }
}

impl E5Model {
    pub fn from_bytes(buf: &[u8]) -> Result<Self, E5Error> {
        let f = e5s1::parse(buf)?;
        let h = f.hyper;
        let (d, ff) = (h.hidden, h.ffn);
        let word = &buf[f
            .tensor("emb.word", TensorKind::Q4_0, h.vocab * d)?
            .bytes
            .clone()];
        let pos = f.f32s(buf, "emb.pos", h.max_positions * d)?;
        let mut type0 = f.f32s(buf, "emb.type", h.type_vocab * d)?;
        type0.truncate(d);
        let eln = Norm::load(&f, buf, "emb.ln", d)?;
        let mut layers = Vec::with_capacity(h.layers);
        for l in 0..h.layers {
            let p = |s: &str| format!("l{l}.{s}");
            layers.push(Arc::new(Layer {
                q: Linear::load(&f, buf, &p("q"), d, d)?,
                k: Linear::load(&f, buf, &p("k"), d, d)?,
                v: Linear::load(&f, buf, &p("v"), d, d)?,
                ao: Linear::load(&f, buf, &p("ao"), d, d)?,
                aln: Norm::load(&f, buf, &p("aln"), d)?,
                fi: Linear::load(&f, buf, &p("fi"), ff, d)?,
                fo: Linear::load(&f, buf, &p("fo"), d, ff)?,
                oln: Norm::load(&f, buf, &p("oln"), d)?,
            }));
        }
        let tokenizer = Arc::new(Unigram::new(f.tokenizer));
        Ok(Self {
            hyper: h,
            tokenizer,
            word: word.into(),
            pos: pos.into(),
            type0: type0.into(),
            eln: Arc::new(eln),
            layers,
        })
    }

    pub fn hyper(&self) -> Hyper {
        self.hyper
    }

    /// Token ids fed to the model for `text`: `<s>`, the prefixed text cut to fit, `</s>`.
    pub fn tokenize(&self, text: &str, kind: EmbedKind) -> Vec<u32> {
        let max_content = self.hyper.max_positions - 2;
        let mut ids = Vec::with_capacity(32);
        ids.push(self.tokenizer.bos());
        ids.extend(
            self.tokenizer
                .encode(&format!("{}{text}", prefix(kind)), max_content),
        );
        ids.push(self.tokenizer.eos());
        ids
    }

    /// One L2-normalised vector per text.
    pub fn embed(&self, texts: &[(&str, EmbedKind)]) -> Result<Vec<Vec<f32>>, E5Error> {
        let seqs: Vec<Vec<u32>> = texts.iter().map(|(t, k)| self.tokenize(t, *k)).collect();
        self.embed_ids(&seqs)
    }

    pub fn embed_ids(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, E5Error> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let x = kernels::install(|| self.encode(seqs, self.layers.len()))?;
        Ok(Self::pool(&x, seqs, self.hyper.hidden))
    }

    /// Mean pooling per sequence of the concatenated states `x`, L2-normalised.
    pub(super) fn pool(x: &[f32], seqs: &[Vec<u32>], d: usize) -> Vec<Vec<f32>> {
        let mut out = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            let mut v = vec![0f32; d];
            for row in x[start * d..(start + s.len()) * d].chunks_exact(d) {
                for (a, b) in v.iter_mut().zip(row) {
                    *a += b;
                }
            }
            start += s.len();
            // Mean pooling's 1/len cancels in the L2 normalisation.
            let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-6);
            v.iter_mut().for_each(|a| *a /= norm);
            out.push(v);
        }
        out
    }

    /// The layers, shared.
    pub(super) fn layers(&self) -> &[Arc<Layer>] {
        &self.layers
    }

    /// A copy whose layers from `first` on are `top` (the rest stay shared).
    pub(super) fn with_top_layers(&self, first: usize, top: Vec<Layer>) -> Self {
        let mut layers = self.layers[..first].to_vec();
        layers.extend(top.into_iter().map(Arc::new));
        assert_eq!(layers.len(), self.layers.len(), "layer count changes");
        Self {
            layers,
            ..self.clone()
        }
    }

    /// Hidden states `[T, H]` after the first `n_layers` layers, for the concatenated sequences.
    pub(super) fn hidden_states(
        &self,
        seqs: &[Vec<u32>],
        n_layers: usize,
    ) -> Result<Vec<f32>, E5Error> {
        kernels::install(|| self.encode(seqs, n_layers))
    }

    fn encode(&self, seqs: &[Vec<u32>], n_layers: usize) -> Result<Vec<f32>, E5Error> {
        let h = self.hyper;
        let d = h.hidden;
        let total: usize = seqs.iter().map(Vec::len).sum();
        let row_bytes = d / Q4_BLOCK * Q4_BLOCK_BYTES;
        let mut x = vec![0f32; total * d];
        let mut rows = x.chunks_exact_mut(d);
        let mut spans = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            if s.len() > h.max_positions {
                return Err(e5s1::FormatError::Header(format!(
                    "sequence of {} tokens exceeds {}",
                    s.len(),
                    h.max_positions
                ))
                .into());
            }
            for (p, &id) in s.iter().enumerate() {
                let Some(r) = rows.next() else { break };
                let id = id as usize;
                if id >= h.vocab {
                    return Err(e5s1::FormatError::Header(format!(
                        "token id {id} is outside the vocabulary of {}",
                        h.vocab
                    ))
                    .into());
                }
                dequant_row(&self.word[id * row_bytes..(id + 1) * row_bytes], r);
                for ((v, pe), te) in r
                    .iter_mut()
                    .zip(&self.pos[p * d..(p + 1) * d])
                    .zip(self.type0.iter())
                {
                    *v += pe + te;
                }
            }
            spans.push((start, s.len()));
            start += s.len();
        }
        self.eln.apply(&mut x, None, h.eps);

        let mut xq = QuantizedRows::new();
        let (mut q, mut k, mut v) = (Vec::new(), Vec::new(), Vec::new());
        let (mut proj, mut mid) = (Vec::new(), Vec::new());
        for l in &self.layers[..n_layers] {
            xq.quantize(&x, total, d);
            l.q.forward(&xq, &mut q);
            l.k.forward(&xq, &mut k);
            l.v.forward(&xq, &mut v);
            let ctx = attention(&q, &k, &v, &spans, d, h.heads);
            xq.quantize(&ctx, total, d);
            l.ao.forward(&xq, &mut proj);
            l.aln.apply(&mut x, Some(&proj), h.eps);
            xq.quantize(&x, total, d);
            l.fi.forward(&xq, &mut mid);
            kernels::gelu_erf(&mut mid);
            xq.quantize(&mid, total, h.ffn);
            l.fo.forward(&xq, &mut proj);
            l.oln.apply(&mut x, Some(&proj), h.eps);
        }
        Ok(x)
    }
}

/// Scaled dot-product attention, each token attending only within its own span; query rows are
/// independent, so they are spread over rayon's pool.
fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    spans: &[(usize, usize)],
    d: usize,
    heads: usize,
) -> Vec<f32> {
    let total = q.len() / d;
    let mut span_of = Vec::with_capacity(total);
    for &(s0, len) in spans {
        span_of.extend(std::iter::repeat_n((s0, len), len));
    }
    let mut ctx = vec![0f32; q.len()];
    const ROWS_PER_TASK: usize = 16;
    ctx.par_chunks_mut(ROWS_PER_TASK * d)
        .enumerate()
        .for_each(|(i, chunk)| attend_rows(q, k, v, &span_of, i * ROWS_PER_TASK, chunk, d, heads));
    ctx
}

#[allow(clippy::too_many_arguments)]
fn attend_rows(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    span_of: &[(usize, usize)],
    first: usize,
    ctx: &mut [f32],
    d: usize,
    heads: usize,
) {
    let hd = d / heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let mut prob = Vec::new();
    for (r, out) in ctx.chunks_exact_mut(d).enumerate() {
        let t = first + r;
        let (s0, len) = span_of[t];
        prob.resize(len, 0.0);
        for h in 0..heads {
            let qh = &q[t * d + h * hd..t * d + (h + 1) * hd];
            for (j, p) in prob.iter_mut().enumerate() {
                let kh = &k[(s0 + j) * d + h * hd..(s0 + j) * d + (h + 1) * hd];
                *p = kernels::dot_f32(qh, kh) * scale;
            }
            kernels::softmax_in_place(&mut prob);
            let ch = &mut out[h * hd..(h + 1) * hd];
            for (j, &p) in prob.iter().enumerate() {
                let vh = &v[(s0 + j) * d + h * hd..(s0 + j) * d + (h + 1) * hd];
                kernels::axpy(p, vh, ch);
            }
        }
    }
}
