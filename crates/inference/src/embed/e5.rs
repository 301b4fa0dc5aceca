//! multilingual-e5-small from an E5S1 file: 4-bit weights in candle `QMatMul`s, the rest in
//! plain f32 loops. A batch runs with the tokens of all texts concatenated into one `[T, H]`
//! matrix (no padding rows), attention restricted to each text's own tokens: the matmuls stream
//! every weight once per batch, and a text's vector does not depend on its batch neighbours.

use super::e5s1::{self, E5File, Hyper, TensorKind, Q4_BLOCK, Q4_BLOCK_BYTES};
use super::unigram::Unigram;
use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{Device, Module, Tensor};
use frontdesk_core::EmbedKind;
use half::f16;
use std::borrow::Cow;

#[derive(Debug, thiserror::Error)]
pub enum E5Error {
    #[error(transparent)]
    Format(#[from] e5s1::FormatError),
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

struct Linear {
    w: QMatMul,
    b: Vec<f32>,
    out: usize,
}

impl Linear {
    fn load(f: &E5File, buf: &[u8], name: &str, out: usize, inp: usize) -> Result<Self, E5Error> {
        let t = f.tensor(&format!("{name}.w"), TensorKind::Q4_0, out * inp)?;
        // candle reads the blocks in place and needs f16 alignment, which a byte buffer does not
        // promise; a u16 copy does.
        let words: Vec<u16> = buf[t.bytes.clone()]
            .chunks_exact(2)
            .map(|c| u16::from_ne_bytes([c[0], c[1]]))
            .collect();
        let bytes: &[u8] = bytemuck::cast_slice(&words);
        let storage = QStorage::from_data(Cow::Borrowed(bytes), &Device::Cpu, GgmlDType::Q4_0)?;
        let w = QMatMul::from_qtensor(QTensor::new(storage, (out, inp))?)?;
        let b = f.f32s(buf, &format!("{name}.b"), out)?;
        Ok(Self { w, b, out })
    }

    /// `x` is `[rows, in]` row-major; returns `[rows, out]`.
    fn forward(&self, x: &[f32], rows: usize) -> Result<Vec<f32>, E5Error> {
        let inp = x.len() / rows.max(1);
        let t = Tensor::from_slice(x, (rows, inp), &Device::Cpu)?;
        let mut y = self.w.forward(&t)?.flatten_all()?.to_vec1::<f32>()?;
        for row in y.chunks_exact_mut(self.out) {
            for (v, b) in row.iter_mut().zip(&self.b) {
                *v += b;
            }
        }
        Ok(y)
    }
}

struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
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

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    ao: Linear,
    aln: Norm,
    fi: Linear,
    fo: Linear,
    oln: Norm,
}

pub struct E5Model {
    hyper: Hyper,
    tokenizer: Unigram,
    /// The word table stays 4-bit (250k × 384 would be 384 MB as f32); rows are expanded on lookup.
    word: Vec<u8>,
    pos: Vec<f32>,
    type0: Vec<f32>,
    eln: Norm,
    layers: Vec<Layer>,
    threads: usize,
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
        let word = buf[f
            .tensor("emb.word", TensorKind::Q4_0, h.vocab * d)?
            .bytes
            .clone()]
        .to_vec();
        let pos = f.f32s(buf, "emb.pos", h.max_positions * d)?;
        let mut type0 = f.f32s(buf, "emb.type", h.type_vocab * d)?;
        type0.truncate(d);
        let eln = Norm::load(&f, buf, "emb.ln", d)?;
        let mut layers = Vec::with_capacity(h.layers);
        for l in 0..h.layers {
            let p = |s: &str| format!("l{l}.{s}");
            layers.push(Layer {
                q: Linear::load(&f, buf, &p("q"), d, d)?,
                k: Linear::load(&f, buf, &p("k"), d, d)?,
                v: Linear::load(&f, buf, &p("v"), d, d)?,
                ao: Linear::load(&f, buf, &p("ao"), d, d)?,
                aln: Norm::load(&f, buf, &p("aln"), d)?,
                fi: Linear::load(&f, buf, &p("fi"), ff, d)?,
                fo: Linear::load(&f, buf, &p("fo"), d, ff)?,
                oln: Norm::load(&f, buf, &p("oln"), d)?,
            });
        }
        let tokenizer = Unigram::new(f.tokenizer);
        Ok(Self {
            hyper: h,
            tokenizer,
            word,
            pos,
            type0,
            eln,
            layers,
            threads: 1,
        })
    }

    /// Threads for attention (the matmuls use candle's process-wide pool).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
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
        let x = self.encode(seqs)?;
        let d = self.hyper.hidden;
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
        Ok(out)
    }

    /// Final hidden states `[T, H]` for the concatenated sequences.
    fn encode(&self, seqs: &[Vec<u32>]) -> Result<Vec<f32>, E5Error> {
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
                    .zip(&self.type0)
                {
                    *v += pe + te;
                }
            }
            spans.push((start, s.len()));
            start += s.len();
        }
        self.eln.apply(&mut x, None, h.eps);

        for l in &self.layers {
            let q = l.q.forward(&x, total)?;
            let k = l.k.forward(&x, total)?;
            let v = l.v.forward(&x, total)?;
            let ctx = attention(&q, &k, &v, &spans, d, h.heads, self.threads);
            let ao = l.ao.forward(&ctx, total)?;
            l.aln.apply(&mut x, Some(&ao), h.eps);
            let mut mid = l.fi.forward(&x, total)?;
            for m in mid.iter_mut() {
                *m = 0.5
                    * *m
                    * (1.0 + candle_core::cpu::erf::erf_f32(*m * std::f32::consts::FRAC_1_SQRT_2));
            }
            let fo = l.fo.forward(&mid, total)?;
            l.oln.apply(&mut x, Some(&fo), h.eps);
        }
        Ok(x)
    }
}

/// Scaled dot-product attention, each token attending only within its own span; the query rows
/// are split over `threads` scoped threads (rows are independent).
fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    spans: &[(usize, usize)],
    d: usize,
    heads: usize,
    threads: usize,
) -> Vec<f32> {
    let total = q.len() / d;
    let mut span_of = Vec::with_capacity(total);
    for &(s0, len) in spans {
        span_of.extend(std::iter::repeat_n((s0, len), len));
    }
    let mut ctx = vec![0f32; q.len()];
    let threads = threads.clamp(1, total.max(1));
    // Below a few hundred rows a thread costs more than it saves.
    if threads == 1 || total < 64 {
        attend_rows(q, k, v, &span_of, 0, &mut ctx, d, heads);
        return ctx;
    }
    let per = total.div_ceil(threads);
    std::thread::scope(|s| {
        for (i, chunk) in ctx.chunks_mut(per * d).enumerate() {
            let span_of = &span_of;
            s.spawn(move || attend_rows(q, k, v, span_of, i * per, chunk, d, heads));
        }
    });
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
            let mut mx = f32::NEG_INFINITY;
            for (j, p) in prob.iter_mut().enumerate() {
                let kh = &k[(s0 + j) * d + h * hd..(s0 + j) * d + (h + 1) * hd];
                let dot: f32 = qh.iter().zip(kh).map(|(a, b)| a * b).sum();
                *p = dot * scale;
                mx = mx.max(*p);
            }
            let mut sum = 0.0;
            for p in prob.iter_mut() {
                *p = (*p - mx).exp();
                sum += *p;
            }
            let inv = 1.0 / sum;
            let ch = &mut out[h * hd..(h + 1) * hd];
            for (j, p) in prob.iter().enumerate() {
                let w = p * inv;
                let vh = &v[(s0 + j) * d + h * hd..(s0 + j) * d + (h + 1) * hd];
                for (c, x) in ch.iter_mut().zip(vh) {
                    *c += w * x;
                }
            }
        }
    }
}
