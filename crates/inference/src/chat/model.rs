//! The decoder-only transformer behind both supported GGUF architectures (`qwen2`, `llama`).
//!
//! The math follows candle-transformers' `quantized_qwen2` / `quantized_llama` (same tensor names;
//! checked against them in the tests), computed with this crate's kernels on plain buffers: the
//! weights stay in their file's block format, the token table is not expanded to f32, and the KV
//! cache is one growing buffer per layer that can be truncated to any length. Truncation is what
//! lets a request that shares only the system prompt with the previous one skip that prefix.

use crate::kernels::attention::{KEY_TILE, QUERY_TILE, VALUE_CHUNK};
use crate::kernels::{self, QMatrix, QuantizedRows, SourceFormat};
use candle_core::quantized::{gguf_file, GgmlDType};
use candle_core::Result;
use rayon::prelude::*;

/// Architecture-specific settings read from the GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecoderConfig {
    pub arch: String,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub n_layer: usize,
    pub hidden: usize,
    pub head_dim: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    /// Positions the rotary tables cover (the model's context, capped by the worker's limit).
    pub context: usize,
    /// Qwen-family GGUFs keep RoPE pairs as (i, i + d/2); llama GGUFs are permuted to adjacent pairs.
    pub rope_neox: bool,
    /// Qwen2 has q/k/v biases; llama does not.
    pub qkv_bias: bool,
}

pub(crate) const SUPPORTED_ARCHS: &[&str] = &["qwen2", "llama"];

impl DecoderConfig {
    pub fn from_metadata(ct: &gguf_file::Content, max_context: usize) -> Result<Self> {
        let arch = match ct.metadata.get("general.architecture") {
            Some(v) => v.to_string()?.clone(),
            None => candle_core::bail!("the GGUF has no general.architecture"),
        };
        if !SUPPORTED_ARCHS.contains(&arch.as_str()) {
            candle_core::bail!("unsupported GGUF architecture `{arch}`");
        }
        let get = |k: &str| {
            ct.metadata
                .get(&format!("{arch}.{k}"))
                .ok_or_else(|| candle_core::Error::Msg(format!("GGUF metadata lacks {arch}.{k}")))
        };
        let n_head = get("attention.head_count")?.to_u32()? as usize;
        let n_kv_head = get("attention.head_count_kv")?.to_u32()? as usize;
        let hidden = get("embedding_length")?.to_u32()? as usize;
        let n_layer = get("block_count")?.to_u32()? as usize;
        let rms_eps = get("attention.layer_norm_rms_epsilon")?.to_f32()? as f64;
        let rope_base = get("rope.freq_base")
            .and_then(|v| v.to_f32())
            .unwrap_or(10_000.0);
        let model_context = get("context_length")
            .and_then(|v| v.to_u32())
            .map(|v| v as usize)
            .unwrap_or(4096);
        let head_dim = get("rope.dimension_count")
            .and_then(|v| v.to_u32())
            .map(|v| v as usize)
            .unwrap_or(hidden / n_head);
        if n_head == 0 || n_kv_head == 0 || !n_head.is_multiple_of(n_kv_head) {
            candle_core::bail!(
                "GGUF has inconsistent head counts ({n_head} heads, {n_kv_head} kv heads)"
            );
        }
        let qwen = arch == "qwen2";
        Ok(Self {
            arch,
            n_head,
            n_kv_head,
            n_layer,
            hidden,
            head_dim,
            rms_eps,
            rope_base,
            context: model_context.min(max_context).max(1),
            rope_neox: qwen,
            qkv_bias: qwen,
        })
    }
}

struct Layer {
    wq: QMatrix,
    wk: QMatrix,
    wv: QMatrix,
    wo: QMatrix,
    /// q, k, v biases (qwen2).
    bias: Option<(Vec<f32>, Vec<f32>, Vec<f32>)>,
    attn_norm: Vec<f32>,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
    /// `[position][kv head][head dim]`, rotary embedding applied.
    k_cache: Vec<f32>,
    v_cache: Vec<f32>,
}

pub(crate) struct Decoder {
    cfg: DecoderConfig,
    embed: QMatrix,
    /// `None`: tied embeddings, the token table doubles as the output projection.
    output: Option<QMatrix>,
    layers: Vec<Layer>,
    norm: Vec<f32>,
    /// `[position][head_dim / 2]`
    cos: Vec<f32>,
    sin: Vec<f32>,
    /// Number of positions currently held in every layer's KV cache.
    cache_len: usize,
    scratch: Scratch,
}

/// Buffers reused across forward passes (a decode step allocates nothing).
#[derive(Default)]
struct Scratch {
    xq: QuantizedRows,
    h: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    ctx: Vec<f32>,
    proj: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    logits: Vec<f32>,
}

fn source_format(dtype: GgmlDType) -> Option<SourceFormat> {
    Some(match dtype {
        GgmlDType::F32 => SourceFormat::F32,
        GgmlDType::F16 => SourceFormat::F16,
        GgmlDType::Q4_0 => SourceFormat::Q4_0,
        GgmlDType::Q4_1 => SourceFormat::Q4_1,
        GgmlDType::Q5_0 => SourceFormat::Q5_0,
        GgmlDType::Q5_1 => SourceFormat::Q5_1,
        GgmlDType::Q8_0 => SourceFormat::Q8_0,
        GgmlDType::Q4K => SourceFormat::Q4K,
        GgmlDType::Q5K => SourceFormat::Q5K,
        GgmlDType::Q6K => SourceFormat::Q6K,
        _ => return None,
    })
}

/// Tensors' bytes straight from the (mapped) file, without candle's f32 expansion.
struct TensorReader<'a> {
    ct: &'a gguf_file::Content,
    /// The whole file.
    file: &'a [u8],
    /// Called with each converted matrix's byte range of `file` (a mapping lets the pages go).
    done: &'a (dyn Fn(std::ops::Range<usize>) + Sync),
}

impl TensorReader<'_> {
    fn raw(&self, name: &str) -> Result<(GgmlDType, Vec<usize>, std::ops::Range<usize>)> {
        let info =
            self.ct.tensor_infos.get(name).ok_or_else(|| {
                candle_core::Error::Msg(format!("the GGUF has no tensor `{name}`"))
            })?;
        let dims = info.shape.dims().to_vec();
        let elems: usize = dims.iter().product();
        let dtype = info.ggml_dtype;
        let len = elems / dtype.block_size() * dtype.type_size();
        let range = usize::try_from(self.ct.tensor_data_offset + info.offset)
            .ok()
            .and_then(|start| Some(start..start.checked_add(len)?))
            .filter(|r| r.end <= self.file.len())
            .ok_or_else(|| {
                candle_core::Error::Msg(format!("the file ends inside tensor `{name}`"))
            })?;
        Ok((dtype, dims, range))
    }

    fn has(&self, name: &str) -> bool {
        self.ct.tensor_infos.contains_key(name)
    }

    /// A 2-D weight `[rows (outputs), cols (inputs)]`.
    fn matrix(&self, name: &str) -> Result<QMatrix> {
        let (dtype, dims, range) = self.raw(name)?;
        let [rows, cols] = dims[..] else {
            candle_core::bail!("tensor `{name}` is not a matrix ({dims:?})");
        };
        let format = source_format(dtype).ok_or_else(|| {
            candle_core::Error::Msg(format!(
                "tensor `{name}` has type {dtype:?}, which frontdesk does not run \
                 (supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)"
            ))
        })?;
        let m = QMatrix::from_format(format, rows, cols, &self.file[range.clone()])
            .map_err(|e| candle_core::Error::Msg(format!("tensor `{name}`: {e}")))?;
        (self.done)(range);
        Ok(m)
    }

    /// A 1-D tensor as f32 (norm weights, biases).
    fn vector(&self, name: &str, len: usize) -> Result<Vec<f32>> {
        let (dtype, dims, range) = self.raw(name)?;
        let bytes = &self.file[range];
        let elems: usize = dims.iter().product();
        if elems != len {
            candle_core::bail!("tensor `{name}` has {elems} values, expected {len}");
        }
        Ok(match dtype {
            GgmlDType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            GgmlDType::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => candle_core::bail!("tensor `{name}` has type {other:?}, expected F32/F16"),
        })
    }

    /// Layer `i`'s weights, checked against the shapes `cfg` implies.
    fn layer(&self, cfg: &DecoderConfig, i: usize) -> Result<Layer> {
        let hidden = cfg.hidden;
        let q_dim = cfg.n_head * cfg.head_dim;
        let kv_dim = cfg.n_kv_head * cfg.head_dim;
        let p = |n: &str| format!("blk.{i}.{n}");
        let bias = if cfg.qkv_bias {
            Some((
                self.vector(&p("attn_q.bias"), q_dim)?,
                self.vector(&p("attn_k.bias"), kv_dim)?,
                self.vector(&p("attn_v.bias"), kv_dim)?,
            ))
        } else {
            None
        };
        let layer = Layer {
            wq: self.matrix(&p("attn_q.weight"))?,
            wk: self.matrix(&p("attn_k.weight"))?,
            wv: self.matrix(&p("attn_v.weight"))?,
            wo: self.matrix(&p("attn_output.weight"))?,
            bias,
            attn_norm: self.vector(&p("attn_norm.weight"), hidden)?,
            ffn_norm: self.vector(&p("ffn_norm.weight"), hidden)?,
            gate: self.matrix(&p("ffn_gate.weight"))?,
            up: self.matrix(&p("ffn_up.weight"))?,
            down: self.matrix(&p("ffn_down.weight"))?,
            k_cache: Vec::new(),
            v_cache: Vec::new(),
        };
        let shapes = [
            (&layer.wq, q_dim, hidden),
            (&layer.wk, kv_dim, hidden),
            (&layer.wv, kv_dim, hidden),
            (&layer.wo, hidden, q_dim),
            (&layer.down, hidden, layer.gate.rows()),
            (&layer.up, layer.gate.rows(), hidden),
        ];
        for (m, rows, cols) in shapes {
            if (m.rows(), m.cols()) != (rows, cols) {
                candle_core::bail!(
                    "layer {i}: a {}×{} weight where {rows}×{cols} was expected",
                    m.rows(),
                    m.cols()
                );
            }
        }
        Ok(layer)
    }
}

impl Decoder {
    /// The decoder of a GGUF file's bytes (`file`: the whole file, mapped or read) whose
    /// header is `ct`. Tensors are converted in parallel on the kernels' pool: the token table
    /// and the output projection beside the layers, the layers one task each. `done` is told
    /// each converted matrix's byte range (a mapped file's pages can go once read).
    pub fn from_gguf(
        ct: &gguf_file::Content,
        file: &[u8],
        done: &(dyn Fn(std::ops::Range<usize>) + Sync),
        cfg: DecoderConfig,
    ) -> Result<Self> {
        let t = TensorReader { ct, file, done };
        let hidden = cfg.hidden;
        let tables = || -> Result<_> {
            let (embed, output) = rayon::join(
                || t.matrix("token_embd.weight"),
                || {
                    t.has("output.weight")
                        .then(|| t.matrix("output.weight"))
                        .transpose()
                },
            );
            Ok((embed?, output?))
        };
        let layers = || -> Result<Vec<Layer>> {
            (0..cfg.n_layer)
                .into_par_iter()
                .map(|i| t.layer(&cfg, i))
                .collect()
        };
        let ((embed, output), layers) = kernels::install(|| {
            let (tables, layers) = rayon::join(tables, layers);
            Ok::<_, candle_core::Error>((tables?, layers?))
        })?;
        if embed.cols() != hidden {
            candle_core::bail!("token table width {} ≠ hidden size {hidden}", embed.cols());
        }
        let norm = t.vector("output_norm.weight", hidden)?;
        let (cos, sin) = rope_tables(cfg.head_dim, cfg.rope_base, cfg.context);
        Ok(Self {
            embed,
            output,
            layers,
            norm,
            cos,
            sin,
            cache_len: 0,
            scratch: Scratch::default(),
            cfg,
        })
    }

    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    pub fn cache_len(&self) -> usize {
        self.cache_len
    }

    pub fn vocab_size(&self) -> usize {
        self.embed.rows()
    }

    /// Keeps the first `len` cached positions and forgets the rest.
    pub fn truncate_cache(&mut self, len: usize) {
        if len >= self.cache_len {
            return;
        }
        let kv_dim = self.cfg.n_kv_head * self.cfg.head_dim;
        for l in &mut self.layers {
            l.k_cache.truncate(len * kv_dim);
            l.v_cache.truncate(len * kv_dim);
            if len == 0 {
                l.k_cache.shrink_to_fit();
                l.v_cache.shrink_to_fit();
            }
        }
        self.cache_len = len;
    }

    /// Runs `tokens` after the cached positions and returns the logits (f32, vocab) of the last one
    /// as a tensor (the form the tests compare with candle's models).
    #[cfg(test)]
    pub fn forward(&mut self, tokens: &[u32]) -> Result<candle_core::Tensor> {
        let logits = self.forward_last(tokens, 1)?;
        let n = logits.len();
        candle_core::Tensor::from_vec(logits, n, &candle_core::Device::Cpu)
    }

    /// Runs `tokens` after the cached positions and returns the logits of the last `rows` of
    /// them, `[rows][vocab]` (a speculative draft is verified with one row per position).
    pub fn forward_last(&mut self, tokens: &[u32], rows: usize) -> Result<Vec<f32>> {
        let seq = tokens.len();
        if seq == 0 {
            candle_core::bail!("forward called with no tokens");
        }
        if rows == 0 || rows > seq {
            candle_core::bail!("logits of {rows} rows asked from {seq} tokens");
        }
        let pos = self.cache_len;
        if pos + seq > self.cfg.context {
            candle_core::bail!(
                "context of {} tokens exceeded ({} cached + {} new)",
                self.cfg.context,
                pos,
                seq
            );
        }
        let vocab = self.embed.rows();
        if let Some(&bad) = tokens.iter().find(|&&t| t as usize >= vocab) {
            candle_core::bail!("token id {bad} is outside the vocabulary of {vocab}");
        }
        kernels::install(|| self.forward_inner(tokens, pos, rows));
        self.cache_len = pos + seq;
        Ok(std::mem::take(&mut self.scratch.logits))
    }

    fn forward_inner(&mut self, tokens: &[u32], pos: usize, out_rows: usize) {
        let cfg = &self.cfg;
        let seq = tokens.len();
        let hidden = cfg.hidden;
        let eps = cfg.rms_eps as f32;
        let s = &mut self.scratch;
        let mut x = vec![0f32; seq * hidden];
        for (row, &t) in x.chunks_exact_mut(hidden).zip(tokens) {
            self.embed.dequantize_row_into(t as usize, row);
        }
        let rope = Rope {
            cos: &self.cos,
            sin: &self.sin,
            half: cfg.head_dim / 2,
            neox: cfg.rope_neox,
        };
        for layer in &mut self.layers {
            rms_norm(&x, &layer.attn_norm, eps, &mut s.h);
            s.xq.quantize(&s.h, seq, hidden);
            kernels::matmul(&s.xq, &layer.wq, &mut s.q);
            kernels::matmul(&s.xq, &layer.wk, &mut s.k);
            kernels::matmul(&s.xq, &layer.wv, &mut s.v);
            if let Some((bq, bk, bv)) = &layer.bias {
                add_bias(&mut s.q, bq);
                add_bias(&mut s.k, bk);
                add_bias(&mut s.v, bv);
            }
            rope.apply(&mut s.q, cfg.n_head, cfg.head_dim, pos);
            rope.apply(&mut s.k, cfg.n_kv_head, cfg.head_dim, pos);
            layer.k_cache.extend_from_slice(&s.k);
            layer.v_cache.extend_from_slice(&s.v);
            attention(cfg, &s.q, &layer.k_cache, &layer.v_cache, pos, &mut s.ctx);
            s.xq.quantize(&s.ctx, seq, cfg.n_head * cfg.head_dim);
            kernels::matmul(&s.xq, &layer.wo, &mut s.proj);
            add_in_place(&mut x, &s.proj);

            rms_norm(&x, &layer.ffn_norm, eps, &mut s.h);
            s.xq.quantize(&s.h, seq, hidden);
            kernels::matmul(&s.xq, &layer.gate, &mut s.gate);
            kernels::matmul(&s.xq, &layer.up, &mut s.up);
            // In parallel for prompts: this elementwise pass is otherwise serial.
            s.gate
                .par_chunks_mut(SILU_CHUNK)
                .zip(s.up.par_chunks(SILU_CHUNK))
                .for_each(|(gate, up)| {
                    kernels::silu(gate);
                    for (g, u) in gate.iter_mut().zip(up) {
                        *g *= u;
                    }
                });
            s.xq.quantize(&s.gate, seq, layer.gate.rows());
            kernels::matmul(&s.xq, &layer.down, &mut s.proj);
            add_in_place(&mut x, &s.proj);
        }
        // Only the last positions' logits are needed (one row but when verifying a draft).
        let last = &x[(seq - out_rows) * hidden..];
        rms_norm(last, &self.norm, eps, &mut s.h);
        s.xq.quantize(&s.h, out_rows, hidden);
        let output = self.output.as_ref().unwrap_or(&self.embed);
        kernels::matmul(&s.xq, output, &mut s.logits);
    }
}

/// Values per task of the SiLU-and-gate pass.
const SILU_CHUNK: usize = 16 * 1024;

fn add_bias(x: &mut [f32], b: &[f32]) {
    for row in x.chunks_exact_mut(b.len()) {
        add_in_place(row, b);
    }
}

fn add_in_place(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Row-wise `x / rms(x) · w` into `out`.
fn rms_norm(x: &[f32], w: &[f32], eps: f32, out: &mut Vec<f32>) {
    let d = w.len();
    out.clear();
    out.resize(x.len(), 0.0);
    for (xr, or) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let ms = kernels::dot_f32(xr, xr) / d as f32;
        let inv = 1.0 / (ms + eps).sqrt();
        for ((o, &v), &g) in or.iter_mut().zip(xr).zip(w) {
            *o = v * inv * g;
        }
    }
}

struct Rope<'a> {
    cos: &'a [f32],
    sin: &'a [f32],
    half: usize,
    neox: bool,
}

impl Rope<'_> {
    /// Rotates every head of every row of `x` (`[seq][heads · head_dim]`), row `t` being at
    /// position `pos + t`.
    fn apply(&self, x: &mut [f32], heads: usize, head_dim: usize, pos: usize) {
        let per_row = heads * head_dim;
        for (t, row) in x.chunks_exact_mut(per_row).enumerate() {
            let p = pos + t;
            let cos = &self.cos[p * self.half..(p + 1) * self.half];
            let sin = &self.sin[p * self.half..(p + 1) * self.half];
            for head in row.chunks_exact_mut(head_dim) {
                if self.neox {
                    let (a, b) = head.split_at_mut(self.half);
                    for i in 0..self.half {
                        let (x0, x1) = (a[i], b[i]);
                        a[i] = x0 * cos[i] - x1 * sin[i];
                        b[i] = x0 * sin[i] + x1 * cos[i];
                    }
                } else {
                    for i in 0..self.half {
                        let (x0, x1) = (head[2 * i], head[2 * i + 1]);
                        head[2 * i] = x0 * cos[i] - x1 * sin[i];
                        head[2 * i + 1] = x0 * sin[i] + x1 * cos[i];
                    }
                }
            }
        }
    }
}

/// Causal attention of the `seq` new queries (`q`: `[seq][heads · head_dim]`) over the cache
/// (`[positions][kv_heads · head_dim]`, the new ones included); query `t` sees positions
/// `0..=pos + t`. Several new tokens (a prompt) go through the tiled kernels; one token (decode)
/// is a row of dot products per head.
fn attention(cfg: &DecoderConfig, q: &[f32], k: &[f32], v: &[f32], pos: usize, out: &mut Vec<f32>) {
    let seq = q.len() / (cfg.n_head * cfg.head_dim);
    if seq >= 2 && cfg.head_dim.is_multiple_of(VALUE_CHUNK) {
        attention_tiled(cfg, q, k, v, pos, out);
    } else {
        attention_rows(cfg, q, k, v, pos, out);
    }
}

/// The attention sizes a decoder's heads imply.
struct HeadShape {
    hd: usize,
    /// Values of all query heads of one position.
    q_dim: usize,
    /// Values of all KV heads of one position.
    kv_dim: usize,
    /// Query heads per KV head.
    group: usize,
    /// `1 / √hd`.
    scale: f32,
}

impl HeadShape {
    fn of(cfg: &DecoderConfig) -> Self {
        let hd = cfg.head_dim;
        Self {
            hd,
            q_dim: cfg.n_head * hd,
            kv_dim: cfg.n_kv_head * hd,
            group: cfg.n_head / cfg.n_kv_head,
            scale: 1.0 / (hd as f32).sqrt(),
        }
    }
}

/// [`attention`] one (query, head) at a time: heads of all queries run in parallel.
fn attention_rows(
    cfg: &DecoderConfig,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    pos: usize,
    out: &mut Vec<f32>,
) {
    let HeadShape {
        hd,
        q_dim,
        kv_dim,
        group,
        scale,
    } = HeadShape::of(cfg);
    out.clear();
    out.resize(q.len(), 0.0);
    out.par_chunks_mut(hd)
        .enumerate()
        .for_each_init(Vec::new, |scores, (i, o)| {
            let (t, h) = (i / cfg.n_head, i % cfg.n_head);
            let kvh = h / group;
            let qh = &q[t * q_dim + h * hd..t * q_dim + (h + 1) * hd];
            let visible = pos + t + 1;
            scores.clear();
            scores.resize(visible, 0.0);
            kernels::attention::score_rows(qh, &k[kvh * hd..], kv_dim, scale, scores);
            kernels::softmax_in_place(scores);
            if hd.is_multiple_of(VALUE_CHUNK) {
                // The same sums as the axpy below, with the output held in registers.
                for (c, o) in o.chunks_exact_mut(VALUE_CHUNK).enumerate() {
                    let v_c = &v[kvh * hd + c * VALUE_CHUNK..];
                    kernels::attention::weighted_sum(scores, v_c, kv_dim, o);
                }
            } else {
                for (j, &p) in scores.iter().enumerate() {
                    kernels::axpy(p, &v[j * kv_dim + kvh * hd..j * kv_dim + (kvh + 1) * hd], o);
                }
            }
        });
}

/// [`attention`] in tiles: the keys of each KV head are transposed once, then per query head
/// (in parallel) [`QUERY_TILE`] queries at a time are scored against [`KEY_TILE`] keys at a
/// time, each row's visible scores go through a softmax, and the values are summed with the
/// output held in registers.
fn attention_tiled(
    cfg: &DecoderConfig,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    pos: usize,
    out: &mut Vec<f32>,
) {
    let HeadShape {
        hd,
        q_dim,
        kv_dim,
        group,
        scale,
    } = HeadShape::of(cfg);
    let seq = q.len() / q_dim;
    let n_pos = pos + seq;
    // Keys transposed per KV head, `[kv_head][d][stride]`, zero past `n_pos`.
    let stride = n_pos.next_multiple_of(KEY_TILE);
    let mut k_t = vec![0f32; cfg.n_kv_head * hd * stride];
    for (j, row) in k.chunks_exact(kv_dim).take(n_pos).enumerate() {
        for (d, &x) in row.iter().enumerate() {
            k_t[d * stride + j] = x;
        }
    }
    let mut by_head = vec![0f32; cfg.n_head * seq * hd];
    by_head.par_chunks_mut(seq * hd).enumerate().for_each_init(
        || (vec![0f32; hd * QUERY_TILE], Vec::new()),
        |(q_t, scores), (h, out_h)| {
            let kvh = h / group;
            let k_h = &k_t[kvh * hd * stride..(kvh + 1) * hd * stride];
            let v_h = &v[kvh * hd..];
            let mut tile = [0f32; QUERY_TILE * KEY_TILE];
            for t0 in (0..seq).step_by(QUERY_TILE) {
                let rows = (seq - t0).min(QUERY_TILE);
                q_t.fill(0.0);
                for i in 0..rows {
                    let qi = &q[(t0 + i) * q_dim + h * hd..][..hd];
                    for (d, &x) in qi.iter().enumerate() {
                        q_t[d * QUERY_TILE + i] = x * scale;
                    }
                }
                // Keys the tile's last row sees, rounded up to whole key tiles.
                let n_keys = (pos + t0 + rows).next_multiple_of(KEY_TILE);
                scores.clear();
                scores.resize(QUERY_TILE * n_keys, 0.0);
                for j0 in (0..n_keys).step_by(KEY_TILE) {
                    kernels::attention::score_tile(q_t, k_h, stride, j0, &mut tile);
                    for (i, t) in tile.chunks_exact(KEY_TILE).enumerate() {
                        scores[i * n_keys + j0..][..KEY_TILE].copy_from_slice(t);
                    }
                }
                for i in 0..rows {
                    let visible = pos + t0 + i + 1;
                    let p = &mut scores[i * n_keys..i * n_keys + visible];
                    kernels::softmax_in_place(p);
                    let o = &mut out_h[(t0 + i) * hd..(t0 + i + 1) * hd];
                    for (c, o) in o.chunks_exact_mut(VALUE_CHUNK).enumerate() {
                        kernels::attention::weighted_sum(p, &v_h[c * VALUE_CHUNK..], kv_dim, o);
                    }
                }
            }
        },
    );
    // Every element is written below.
    out.resize(q.len(), 0.0);
    for (h, out_h) in by_head.chunks_exact(seq * hd).enumerate() {
        for (t, o) in out_h.chunks_exact(hd).enumerate() {
            out[t * q_dim + h * hd..][..hd].copy_from_slice(o);
        }
    }
}

/// cos/sin of `position · θ_i` for `i < head_dim / 2`, `[position][i]`.
fn rope_tables(head_dim: usize, base: f32, context: usize) -> (Vec<f32>, Vec<f32>) {
    let half = head_dim / 2;
    let theta: Vec<f32> = (0..half)
        .map(|i| 1f32 / base.powf((2 * i) as f32 / head_dim as f32))
        .collect();
    let mut cos = Vec::with_capacity(context * half);
    let mut sin = Vec::with_capacity(context * half);
    for p in 0..context {
        for &t in &theta {
            let a = p as f32 * t;
            cos.push(a.cos());
            sin.push(a.sin());
        }
    }
    (cos, sin)
}

#[cfg(test)]
mod attention_tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn config(n_head: usize, n_kv_head: usize, head_dim: usize) -> DecoderConfig {
        DecoderConfig {
            arch: "qwen2".into(),
            n_head,
            n_kv_head,
            n_layer: 1,
            hidden: n_head * head_dim,
            head_dim,
            rms_eps: 1e-6,
            rope_base: 10_000.0,
            context: 512,
            rope_neox: true,
            qkv_bias: true,
        }
    }

    /// The tiled prompt path against one (query, head) at a time, over head shapes of the
    /// shipped models, prompts that end inside and on tile edges, with and without a cached
    /// prefix.
    #[test]
    fn tiled_attention_matches_row_attention() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let cases = [
            // (heads, kv heads, head_dim, cached positions, new tokens)
            (14, 2, 64, 0, 2),
            (14, 2, 64, 0, 7),
            (14, 2, 64, 0, 33),
            (14, 2, 64, 20, 6),
            (14, 2, 64, 45, 17),
            (9, 3, 64, 3, 12),
            (4, 4, 128, 0, 19),
            (4, 1, 128, 16, 16),
        ];
        for (n_head, n_kv, hd, pos, seq) in cases {
            let cfg = config(n_head, n_kv, hd);
            let n_pos = pos + seq;
            let mut rand_vec =
                |n: usize| -> Vec<f32> { (0..n).map(|_| rng.gen_range(-2.0f32..2.0)).collect() };
            let q = rand_vec(seq * n_head * hd);
            let k = rand_vec(n_pos * n_kv * hd);
            let v = rand_vec(n_pos * n_kv * hd);
            let (mut tiled, mut rows) = (Vec::new(), Vec::new());
            attention_tiled(&cfg, &q, &k, &v, pos, &mut tiled);
            attention_rows(&cfg, &q, &k, &v, pos, &mut rows);
            assert_eq!(tiled.len(), rows.len());
            let worst = tiled
                .iter()
                .zip(&rows)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(
                worst < 1e-4,
                "heads {n_head}/{n_kv} × {hd}, pos {pos}, seq {seq}: max difference {worst}"
            );
        }
    }
}
