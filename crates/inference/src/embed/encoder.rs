//! The BERT encoder both embedders run (multilingual-e5-small and all-MiniLM-L6-v2 share the
//! architecture: learned positions, post-LN layers, GELU, mean pooling, L2 norm); each model
//! only supplies its weights and its tokenizer. Products run on this crate's kernels with
//! panels re-laid at load (`PreparedMatrix`), the rest in plain f32 loops.
//!
//! A batch runs with the tokens of all texts concatenated into one `[T, H]` matrix (no padding
//! rows), attention restricted to each text's own tokens: the products stream every weight once
//! per batch, and a text's vector does not depend on its batch neighbours.

use super::e5s1::{Hyper, Q4_BLOCK, Q4_BLOCK_BYTES};
use crate::kernels::{self, PreparedMatrix, QMatrix, QuantizedRows};
use half::f16;
use rayon::prelude::*;
use std::sync::Arc;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EncodeError {
    #[error("sequence of {len} tokens exceeds {max}")]
    TooLong { len: usize, max: usize },
    #[error("token id {id} is outside the vocabulary of {vocab}")]
    UnknownToken { id: usize, vocab: usize },
}

pub(super) struct Linear {
    w: PreparedMatrix,
    b: Vec<f32>,
    /// The weights of the input channels its site keeps out of the 8-bit activations
    /// ([`Layer::outliers`]), `[channels][out]` as floats; those columns of `w` are zero.
    outlier_w: Vec<f32>,
}

impl Linear {
    pub(super) fn new(w: QMatrix, b: Vec<f32>) -> Self {
        assert_eq!(w.rows(), b.len(), "one bias per output");
        Self {
            w: PreparedMatrix::new(w),
            b,
            outlier_w: Vec::new(),
        }
    }

    /// From float weights `[out, in]` quantized by `quantize`, the input `channels` kept apart
    /// as floats (see [`Layer::outliers`]).
    pub(super) fn with_outliers(
        out: usize,
        inp: usize,
        w: &[f32],
        b: Vec<f32>,
        channels: &[usize],
        quantize: impl Fn(usize, usize, &[f32]) -> QMatrix,
    ) -> Self {
        let mut rest = w.to_vec();
        let mut outlier_w = vec![0f32; channels.len() * out];
        for (o, row) in rest.chunks_exact_mut(inp).enumerate() {
            for (j, &c) in channels.iter().enumerate() {
                outlier_w[j * out + o] = row[c];
                row[c] = 0.0;
            }
        }
        Self {
            outlier_w,
            ..Self::new(quantize(out, inp, &rest), b)
        }
    }

    /// From float weights `[out, in]` (a fine-tuned layer): 8 bits per weight.
    pub(super) fn from_f32(out: usize, inp: usize, w: &[f32], b: Vec<f32>) -> Self {
        Self::new(QMatrix::from_f32(out, inp, w), b)
    }

    /// Weights `[out, in]` and bias as floats.
    pub(super) fn to_f32(&self) -> (Vec<f32>, Vec<f32>) {
        (self.w.dequantize(), self.b.clone())
    }

    /// `y = x · Wᵀ + b` for the input quantized as `xq` (its outlier channels zeroed) and
    /// as floats `x` (`[rows, in]`, whose outlier `channels` are added here); `y` is
    /// `[rows, out]`.
    fn forward(&self, xq: &QuantizedRows, x: &[f32], channels: &[usize], y: &mut Vec<f32>) {
        kernels::matmul_prepared(xq, &self.w, y);
        let out = self.b.len();
        let inp = x.len() / xq.rows().max(1);
        // Rows in parallel: for a batch this pass is a tenth of the product's time.
        y.par_chunks_mut(out)
            .zip(x.par_chunks(inp))
            .with_min_len(8)
            .for_each(|(row, xr)| {
                kernels::axpy(1.0, &self.b, row);
                for (&c, w) in channels.iter().zip(self.outlier_w.chunks_exact(out)) {
                    kernels::axpy(xr[c], w, row);
                }
            });
    }
}

#[derive(Clone)]
pub(super) struct Norm {
    pub(super) w: Vec<f32>,
    pub(super) b: Vec<f32>,
}

impl Norm {
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

/// One post-LN encoder layer: self-attention (`q`, `k`, `v`, output `ao`, norm `aln`), then the
/// feed-forward block (`fi`, GELU, `fo`, norm `oln`).
pub(super) struct Layer {
    pub(super) q: Linear,
    pub(super) k: Linear,
    pub(super) v: Linear,
    pub(super) ao: Linear,
    pub(super) aln: Norm,
    pub(super) fi: Linear,
    pub(super) fo: Linear,
    pub(super) oln: Norm,
    /// Per product input (see [`Site`]), the channels kept out of its 8-bit quantization and
    /// multiplied as floats. A few channels of a BERT's activations run 10–100 times larger
    /// than the rest (MiniLM: channel 99 of the hidden state, one or two of each layer's GELU
    /// output at 15–25 against a typical 0.2); in a block of 32 quantized with them, the other
    /// values keep almost no bits. Empty for e5, whose 4-bit file was quantized without it.
    pub(super) outliers: [Vec<usize>; Site::COUNT],
    /// Per site, a factor per input channel applied before the 8-bit quantization (its
    /// products' weight columns carry the inverse); empty: none.
    pub(super) input_scale: [Vec<f32>; Site::COUNT],
}

/// The inputs of a layer's products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Site {
    /// The layer's input, to `q`, `k` and `v`.
    Qkv = 0,
    /// The attention's output, to `ao`.
    Ao = 1,
    /// The state after the attention block, to `fi`.
    Fi = 2,
    /// The GELU output, to `fo`.
    Fo = 3,
}

impl Site {
    pub(super) const COUNT: usize = 4;
}

/// Quantizes `x` (`rows × cols`) into `xq` with `channels` zeroed (they are multiplied as
/// floats by [`Linear::forward`]).
fn quantize_site(
    x: &[f32],
    rows: usize,
    cols: usize,
    channels: &[usize],
    scale: &[f32],
    scratch: &mut Vec<f32>,
    xq: &mut QuantizedRows,
) {
    if channels.is_empty() && scale.is_empty() {
        xq.quantize(x, rows, cols);
        return;
    }
    scratch.clear();
    scratch.extend_from_slice(x);
    for row in scratch.chunks_exact_mut(cols) {
        if !scale.is_empty() {
            for (v, s) in row.iter_mut().zip(scale) {
                *v *= s;
            }
        }
        for &c in channels {
            row[c] = 0.0;
        }
    }
    xq.quantize(scratch, rows, cols);
}

/// The token embedding table, in the form its file gives it.
#[derive(Clone)]
pub(super) enum TokenTable {
    /// The E5S1 file's Q4_0 rows as they are (250k × 384 would be 384 MB as f32); a row is
    /// expanded on lookup.
    Q4_0(Arc<[u8]>),
    /// A table that came as floats (MiniLM's 30k rows), at 8 bits per value.
    Matrix(Arc<QMatrix>),
}

impl TokenTable {
    fn row_into(&self, id: usize, d: usize, out: &mut [f32]) {
        match self {
            TokenTable::Q4_0(bytes) => {
                let row_bytes = d / Q4_BLOCK * Q4_BLOCK_BYTES;
                dequant_q4_0_row(&bytes[id * row_bytes..(id + 1) * row_bytes], out);
            }
            TokenTable::Matrix(m) => m.dequantize_row_into(id, out),
        }
    }
}

fn dequant_q4_0_row(blocks: &[u8], out: &mut [f32]) {
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

/// Cheap to clone: the tables and layers are shared, so a fine-tuned copy (see `super::tune`)
/// costs only the layers it replaces.
#[derive(Clone)]
pub(super) struct Encoder {
    hyper: Hyper,
    word: TokenTable,
    /// `[max_positions, hidden]`
    pos: Arc<[f32]>,
    /// Token type 0's row: every input is a single segment.
    type0: Arc<[f32]>,
    eln: Arc<Norm>,
    layers: Vec<Arc<Layer>>,
}

impl Encoder {
    /// `pos` holds `hyper.max_positions` rows and `type0` one, of `hyper.hidden` values each.
    pub(super) fn new(
        hyper: Hyper,
        word: TokenTable,
        pos: Vec<f32>,
        type0: Vec<f32>,
        eln: Norm,
        layers: Vec<Layer>,
    ) -> Self {
        assert_eq!(
            pos.len(),
            hyper.max_positions * hyper.hidden,
            "position table"
        );
        assert_eq!(type0.len(), hyper.hidden, "token type row");
        Self {
            hyper,
            word,
            pos: pos.into(),
            type0: type0.into(),
            eln: Arc::new(eln),
            layers: layers.into_iter().map(Arc::new).collect(),
        }
    }

    pub(super) fn hyper(&self) -> Hyper {
        self.hyper
    }

    /// One L2-normalised mean-pooled vector per sequence of token ids.
    pub(super) fn embed_ids(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EncodeError> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let x = kernels::install(|| self.encode(seqs, self.layers.len()))?;
        Ok(pool(&x, seqs, self.hyper.hidden))
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
    ) -> Result<Vec<f32>, EncodeError> {
        kernels::install(|| self.encode(seqs, n_layers))
    }

    fn encode(&self, seqs: &[Vec<u32>], n_layers: usize) -> Result<Vec<f32>, EncodeError> {
        self.encode_observed(seqs, n_layers, &mut |_, _, _| {})
    }

    /// Per layer and [`Site`], the largest magnitude each input channel reached over `seqs`
    /// (how the outlier channels are found: see `super::minilm`).
    pub(super) fn channel_maxima(
        &self,
        seqs: &[Vec<u32>],
    ) -> Result<Vec<[Vec<f32>; Site::COUNT]>, EncodeError> {
        let mut maxima: Vec<[Vec<f32>; Site::COUNT]> =
            (0..self.layers.len()).map(|_| Default::default()).collect();
        kernels::install(|| {
            self.encode_observed(seqs, self.layers.len(), &mut |layer, site, x| {
                let cols = match site {
                    Site::Fo => self.hyper.ffn,
                    _ => self.hyper.hidden,
                };
                let m = &mut maxima[layer][site as usize];
                m.resize(cols, 0.0);
                for row in x.chunks_exact(cols) {
                    for (a, v) in m.iter_mut().zip(row) {
                        *a = a.max(v.abs());
                    }
                }
            })
        })?;
        Ok(maxima)
    }

    /// [`Self::encode`], showing `observe` each product input (layer, site, rows).
    fn encode_observed(
        &self,
        seqs: &[Vec<u32>],
        n_layers: usize,
        observe: &mut dyn FnMut(usize, Site, &[f32]),
    ) -> Result<Vec<f32>, EncodeError> {
        let h = self.hyper;
        let d = h.hidden;
        let total: usize = seqs.iter().map(Vec::len).sum();
        let mut x = vec![0f32; total * d];
        let mut rows = x.chunks_exact_mut(d);
        let mut spans = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            if s.len() > h.max_positions {
                return Err(EncodeError::TooLong {
                    len: s.len(),
                    max: h.max_positions,
                });
            }
            for (p, &id) in s.iter().enumerate() {
                let Some(r) = rows.next() else { break };
                let id = id as usize;
                if id >= h.vocab {
                    return Err(EncodeError::UnknownToken { id, vocab: h.vocab });
                }
                self.word.row_into(id, d, r);
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
        let (mut proj, mut mid, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        for (i, l) in self.layers[..n_layers].iter().enumerate() {
            let [qkv, ao, fi, fo] = &l.outliers;
            let [s_qkv, s_ao, s_fi, s_fo] = &l.input_scale;
            observe(i, Site::Qkv, &x);
            quantize_site(&x, total, d, qkv, s_qkv, &mut scratch, &mut xq);
            l.q.forward(&xq, &x, qkv, &mut q);
            l.k.forward(&xq, &x, qkv, &mut k);
            l.v.forward(&xq, &x, qkv, &mut v);
            let ctx = attention(&q, &k, &v, &spans, d, h.heads);
            observe(i, Site::Ao, &ctx);
            quantize_site(&ctx, total, d, ao, s_ao, &mut scratch, &mut xq);
            l.ao.forward(&xq, &ctx, ao, &mut proj);
            l.aln.apply(&mut x, Some(&proj), h.eps);
            observe(i, Site::Fi, &x);
            quantize_site(&x, total, d, fi, s_fi, &mut scratch, &mut xq);
            l.fi.forward(&xq, &x, fi, &mut mid);
            mid.par_chunks_mut(GELU_CHUNK).for_each(kernels::gelu_erf);
            observe(i, Site::Fo, &mid);
            quantize_site(&mid, total, h.ffn, fo, s_fo, &mut scratch, &mut xq);
            l.fo.forward(&xq, &mid, fo, &mut proj);
            l.oln.apply(&mut x, Some(&proj), h.eps);
        }
        Ok(x)
    }
}

/// Values per task of the GELU pass (a batch's is otherwise serial).
const GELU_CHUNK: usize = 16 * 1024;

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
