//! The decoder-only transformer behind both supported GGUF architectures (`qwen2`, `llama`).
//!
//! The math follows candle-transformers' `quantized_qwen2` / `quantized_llama` (same tensor names,
//! same kernels, checked against them in the tests below), with one addition the upstream models
//! lack: the KV cache can be truncated to any length. That is what lets a new request that shares
//! only the system prompt with the previous one skip re-processing that prefix.

use candle_core::quantized::{gguf_file, QMatMul};
use candle_core::{DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;
use std::collections::HashMap;

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
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    bias: Option<(Tensor, Tensor, Tensor)>,
    attn_norm: RmsNorm,
    ffn_norm: RmsNorm,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
    kv: Option<(Tensor, Tensor)>,
}

pub(crate) struct Decoder {
    cfg: DecoderConfig,
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: QMatMul,
    cos: Tensor,
    sin: Tensor,
    neg_inf: Tensor,
    masks: HashMap<(usize, usize), Tensor>,
    /// Number of positions currently held in every layer's KV cache.
    cache_len: usize,
    device: Device,
}

impl Decoder {
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
        cfg: DecoderConfig,
    ) -> Result<Self> {
        let dev = Device::Cpu;
        let tensor = |r: &mut R, name: &str| ct.tensor(r, name, &dev);
        let embed_q = tensor(reader, "token_embd.weight")?;
        let embed = embed_q.dequantize(&dev)?;
        let norm = RmsNorm::from_qtensor(tensor(reader, "output_norm.weight")?, cfg.rms_eps)?;
        let output = match ct.tensor(reader, "output.weight", &dev) {
            Ok(w) => QMatMul::from_qtensor(w)?,
            // Tied embeddings: the input table doubles as the output projection.
            Err(_) => QMatMul::from_qtensor(embed_q)?,
        };
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let p = format!("blk.{i}");
            let q = |r: &mut R, n: &str| -> Result<QMatMul> {
                QMatMul::from_qtensor(tensor(r, &format!("{p}.{n}"))?)
            };
            let bias = if cfg.qkv_bias {
                let b = |r: &mut R, n: &str| tensor(r, &format!("{p}.{n}"))?.dequantize(&dev);
                Some((
                    b(reader, "attn_q.bias")?,
                    b(reader, "attn_k.bias")?,
                    b(reader, "attn_v.bias")?,
                ))
            } else {
                None
            };
            layers.push(Layer {
                wq: q(reader, "attn_q.weight")?,
                wk: q(reader, "attn_k.weight")?,
                wv: q(reader, "attn_v.weight")?,
                wo: q(reader, "attn_output.weight")?,
                bias,
                attn_norm: RmsNorm::from_qtensor(
                    tensor(reader, &format!("{p}.attn_norm.weight"))?,
                    cfg.rms_eps,
                )?,
                ffn_norm: RmsNorm::from_qtensor(
                    tensor(reader, &format!("{p}.ffn_norm.weight"))?,
                    cfg.rms_eps,
                )?,
                gate: q(reader, "ffn_gate.weight")?,
                up: q(reader, "ffn_up.weight")?,
                down: q(reader, "ffn_down.weight")?,
                kv: None,
            });
        }
        let (cos, sin) = rope_tables(cfg.head_dim, cfg.rope_base, cfg.context, &dev)?;
        Ok(Self {
            embed: Embedding::new(embed, cfg.hidden),
            layers,
            norm,
            output,
            cos,
            sin,
            neg_inf: Tensor::new(f32::NEG_INFINITY, &dev)?,
            masks: HashMap::new(),
            cache_len: 0,
            device: dev,
            cfg,
        })
    }

    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    pub fn cache_len(&self) -> usize {
        self.cache_len
    }

    /// Keeps the first `len` cached positions and forgets the rest.
    pub fn truncate_cache(&mut self, len: usize) {
        if len >= self.cache_len {
            return;
        }
        if len == 0 {
            self.layers.iter_mut().for_each(|l| l.kv = None);
        } else {
            for l in &mut self.layers {
                if let Some((k, v)) = l.kv.take() {
                    // Narrowed views keep the full buffers alive; copy so memory actually shrinks.
                    match (
                        k.narrow(2, 0, len).and_then(|t| t.contiguous()),
                        v.narrow(2, 0, len).and_then(|t| t.contiguous()),
                    ) {
                        (Ok(k), Ok(v)) => l.kv = Some((k, v)),
                        _ => {
                            self.layers.iter_mut().for_each(|l| l.kv = None);
                            self.cache_len = 0;
                            return;
                        }
                    }
                }
            }
        }
        self.cache_len = len;
    }

    /// Runs `tokens` after the cached positions and returns the logits (f32, vocab) of the last one.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Tensor> {
        let seq = tokens.len();
        if seq == 0 {
            candle_core::bail!("forward called with no tokens");
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
        let result = self.forward_inner(tokens, pos);
        match &result {
            Ok(_) => self.cache_len = pos + seq,
            // A failed step leaves layers with caches of different lengths; start over.
            Err(_) => {
                self.layers.iter_mut().for_each(|l| l.kv = None);
                self.cache_len = 0;
            }
        }
        result
    }

    fn forward_inner(&mut self, tokens: &[u32], pos: usize) -> Result<Tensor> {
        let seq = tokens.len();
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mask = if seq == 1 {
            None
        } else {
            Some(self.mask(seq, pos)?)
        };
        let cos = self.cos.narrow(0, pos, seq)?;
        let sin = self.sin.narrow(0, pos, seq)?;
        let mut x = self.embed.forward(&input)?;
        let cfg = &self.cfg;
        for layer in &mut self.layers {
            let h = layer.attn_norm.forward(&x)?;
            let a = attention(layer, cfg, &h, mask.as_ref(), &cos, &sin, &self.neg_inf)?;
            x = (a + x)?;
            let h = layer.ffn_norm.forward(&x)?;
            let g = candle_nn::ops::silu(&layer.gate.forward(&h)?)?;
            let m = layer.down.forward(&(g * layer.up.forward(&h)?)?)?;
            x = (m + x)?;
        }
        let x = self.norm.forward(&x)?;
        let last = x.i((.., seq - 1, ..))?;
        self.output.forward(&last)?.squeeze(0)?.to_dtype(DType::F32)
    }

    fn mask(&mut self, seq: usize, pos: usize) -> Result<Tensor> {
        let key = (seq, pos + seq);
        if let Some(m) = self.masks.get(&key) {
            return Ok(m.clone());
        }
        let m = candle_transformers::utils::build_causal_mask(seq, pos, &self.device)?;
        // Prompts come in many lengths; keep the memo from growing without bound.
        if self.masks.len() > 64 {
            self.masks.clear();
        }
        self.masks.insert(key, m.clone());
        Ok(m)
    }
}

fn attention(
    layer: &mut Layer,
    cfg: &DecoderConfig,
    x: &Tensor,
    mask: Option<&Tensor>,
    cos: &Tensor,
    sin: &Tensor,
    neg_inf: &Tensor,
) -> Result<Tensor> {
    let (b, seq, _) = x.dims3()?;
    let (mut q, mut k, mut v) = (
        layer.wq.forward(x)?,
        layer.wk.forward(x)?,
        layer.wv.forward(x)?,
    );
    if let Some((bq, bk, bv)) = &layer.bias {
        q = q.broadcast_add(bq)?;
        k = k.broadcast_add(bk)?;
        v = v.broadcast_add(bv)?;
    }
    let hd = cfg.head_dim;
    let q = q
        .reshape((b, seq, cfg.n_head, hd))?
        .transpose(1, 2)?
        .contiguous()?;
    let k = k
        .reshape((b, seq, cfg.n_kv_head, hd))?
        .transpose(1, 2)?
        .contiguous()?;
    let v = v
        .reshape((b, seq, cfg.n_kv_head, hd))?
        .transpose(1, 2)?
        .contiguous()?;
    let rope = if cfg.rope_neox {
        candle_nn::rotary_emb::rope
    } else {
        candle_nn::rotary_emb::rope_i
    };
    let q = rope(&q, cos, sin)?;
    let k = rope(&k, cos, sin)?;
    let (k, v) = match &layer.kv {
        Some((kc, vc)) => (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?),
        None => (k, v),
    };
    layer.kv = Some((k.clone(), v.clone()));
    let rep = cfg.n_head / cfg.n_kv_head;
    let k = candle_transformers::utils::repeat_kv(k, rep)?;
    let v = candle_transformers::utils::repeat_kv(v, rep)?;
    let att = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?;
    let att = match mask {
        Some(m) => {
            let m = m.broadcast_as(att.shape())?;
            m.where_cond(&neg_inf.broadcast_as(att.shape().dims())?, &att)?
        }
        None => att,
    };
    let att = candle_nn::ops::softmax_last_dim(&att)?;
    let y = att.matmul(&v.contiguous()?)?;
    let y = y.transpose(1, 2)?.reshape((b, seq, cfg.n_head * hd))?;
    layer.wo.forward(&y)
}

fn rope_tables(
    head_dim: usize,
    base: f32,
    context: usize,
    dev: &Device,
) -> Result<(Tensor, Tensor)> {
    let theta: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1f32 / base.powf(i as f32 / head_dim as f32))
        .collect();
    let theta = Tensor::new(theta.as_slice(), dev)?;
    let idx = Tensor::arange(0, context as u32, dev)?
        .to_dtype(DType::F32)?
        .reshape((context, 1))?;
    let freqs = idx.matmul(&theta.reshape((1, theta.elem_count()))?)?;
    Ok((freqs.cos()?, freqs.sin()?))
}
