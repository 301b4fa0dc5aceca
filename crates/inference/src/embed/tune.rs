//! Fine-tuning e5's top layers on labelled texts (an intent catalogue), so that texts of one label
//! gather together and apart from the other labels.
//!
//! Only the top [`TuneParams::layers`] layers train: the states below them are computed once per
//! text with the quantized kernels and kept, so an epoch costs a forward and backward pass through
//! a few layers, in candle f32 with autograd. The objective is a cosine classifier (normalised
//! mean-pooled output against one normalised weight vector per label, times a fixed scale) under
//! cross-entropy, so the tuned model is used like the base one (its vectors feed the same kNN,
//! centroids and linear head). The trained layers go back into the kernels' 8-bit format; the
//! rest of the model is shared with the base.
//!
//! Status: a measured experiment, not wired into the engine. On BANKING77-OOS (7,953 rows, four
//! layers, three epochs, 13 minutes on 2 cores) it lifts the centroid classifier from 0.79 to 0.88
//! but leaves the engine's kNN scorer where the frozen vectors put it (0.885 → 0.883), so it does
//! not pay for its training time yet. `examples/tune_intents.rs` reproduces the figures.

use super::e5::{E5Error, E5Model};
use super::encoder::{Layer, Linear, Norm};
use candle_core::{Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use frontdesk_core::rng::SplitMix;
use frontdesk_core::EmbedKind;
#[cfg(test)]
use std::sync::Arc;

/// Training tunables (fixed across catalogues; chosen on the dev sets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TuneParams {
    /// How many of the top layers train.
    pub layers: usize,
    /// Passes over the rows.
    pub epochs: usize,
    /// Rows per AdamW step.
    pub batch: usize,
    /// AdamW step size of the layers at the start; it decays linearly to zero over the steps.
    pub learning_rate: f64,
    /// The same for the label vectors, which start far from where they end.
    pub label_learning_rate: f64,
    /// Cosine logits are multiplied by this before the softmax.
    pub scale: f64,
    /// Small catalogues get more epochs, so that training takes at least this many steps.
    pub min_steps: usize,
    /// Seeds the row order.
    pub seed: u64,
}

impl Default for TuneParams {
    fn default() -> Self {
        Self {
            layers: 2,
            epochs: 3,
            batch: 32,
            learning_rate: 1e-4,
            label_learning_rate: 1e-2,
            scale: 20.0,
            min_steps: 200,
            seed: 7,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TuneError {
    #[error(transparent)]
    Model(#[from] E5Error),
    #[error("training: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{0}")]
    Input(String),
}

/// What a fine-tuning run did.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneReport {
    pub steps: usize,
    /// Mean loss of each epoch.
    pub epoch_losses: Vec<f32>,
}

struct TrainLinear {
    w: Var,
    b: Var,
}

struct TrainNorm {
    w: Var,
    b: Var,
}

struct TrainLayer {
    q: TrainLinear,
    k: TrainLinear,
    v: TrainLinear,
    ao: TrainLinear,
    aln: TrainNorm,
    fi: TrainLinear,
    fo: TrainLinear,
    oln: TrainNorm,
}

impl TrainLinear {
    fn from(l: &Linear) -> candle_core::Result<Self> {
        let (w, b) = l.to_f32();
        let out = b.len();
        let inp = w.len() / out.max(1);
        Ok(Self {
            w: Var::from_vec(w, (out, inp), &Device::Cpu)?,
            b: Var::from_vec(b, out, &Device::Cpu)?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.w.t()?)?.broadcast_add(&self.b)
    }

    fn export(&self) -> candle_core::Result<Linear> {
        let (out, inp) = self.w.dims2()?;
        Ok(Linear::from_f32(
            out,
            inp,
            &self.w.flatten_all()?.to_vec1::<f32>()?,
            self.b.to_vec1::<f32>()?,
        ))
    }

    fn vars(&self) -> [Var; 2] {
        [self.w.clone(), self.b.clone()]
    }
}

impl TrainNorm {
    fn from(n: &Norm) -> candle_core::Result<Self> {
        Ok(Self {
            w: Var::from_vec(n.w.clone(), n.w.len(), &Device::Cpu)?,
            b: Var::from_vec(n.b.clone(), n.b.len(), &Device::Cpu)?,
        })
    }

    /// Layer norm over the last dimension of `x` `[N, d]`.
    fn forward(&self, x: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(var + eps)?.sqrt()?)?
            .broadcast_mul(&self.w)?
            .broadcast_add(&self.b)
    }

    fn export(&self) -> candle_core::Result<Norm> {
        Ok(Norm {
            w: self.w.to_vec1::<f32>()?,
            b: self.b.to_vec1::<f32>()?,
        })
    }

    fn vars(&self) -> [Var; 2] {
        [self.w.clone(), self.b.clone()]
    }
}

impl TrainLayer {
    fn from(l: &Layer) -> candle_core::Result<Self> {
        Ok(Self {
            q: TrainLinear::from(&l.q)?,
            k: TrainLinear::from(&l.k)?,
            v: TrainLinear::from(&l.v)?,
            ao: TrainLinear::from(&l.ao)?,
            aln: TrainNorm::from(&l.aln)?,
            fi: TrainLinear::from(&l.fi)?,
            fo: TrainLinear::from(&l.fo)?,
            oln: TrainNorm::from(&l.oln)?,
        })
    }

    fn vars(&self) -> Vec<Var> {
        let mut v = Vec::new();
        for l in [&self.q, &self.k, &self.v, &self.ao, &self.fi, &self.fo] {
            v.extend(l.vars());
        }
        v.extend(self.aln.vars());
        v.extend(self.oln.vars());
        v
    }

    fn export(&self) -> candle_core::Result<Layer> {
        Ok(Layer {
            q: self.q.export()?,
            k: self.k.export()?,
            v: self.v.export()?,
            ao: self.ao.export()?,
            aln: self.aln.export()?,
            fi: self.fi.export()?,
            fo: self.fo.export()?,
            oln: self.oln.export()?,
            outliers: Default::default(),
            input_scale: Default::default(),
        })
    }

    /// One post-norm BERT layer over `x` `[B, T, d]`; `mask_add` `[B, 1, 1, T]` is 0 on real
    /// tokens and a large negative number on padding.
    fn forward(
        &self,
        x: &Tensor,
        mask_add: &Tensor,
        heads: usize,
        eps: f64,
    ) -> candle_core::Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        let hd = d / heads;
        let x2 = x.reshape((b * t, d))?;
        let split = |y: Tensor| -> candle_core::Result<Tensor> {
            y.reshape((b, t, heads, hd))?.transpose(1, 2)?.contiguous()
        };
        let q = split(self.q.forward(&x2)?)?;
        let k = split(self.k.forward(&x2)?)?;
        let v = split(self.v.forward(&x2)?)?;
        let scores = (q.matmul(&k.t()?.contiguous()?)? * (1.0 / (hd as f64).sqrt()))?
            .broadcast_add(mask_add)?;
        let p = candle_nn::ops::softmax(&scores, D::Minus1)?;
        let ctx = p
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b * t, d))?;
        let x2 = self.aln.forward(&(x2 + self.ao.forward(&ctx)?)?, eps)?;
        let mid = self.fi.forward(&x2)?.gelu_erf()?;
        let x2 = self.oln.forward(&(&x2 + self.fo.forward(&mid)?)?, eps)?;
        x2.reshape((b, t, d))
    }
}

/// A padded batch: states `[B, T, d]`, the pooling mask `[B, T, 1]` and the additive attention
/// mask `[B, 1, 1, T]`.
fn batch_tensors(states: &[&[f32]], d: usize) -> candle_core::Result<(Tensor, Tensor, Tensor)> {
    let b = states.len();
    let t = states.iter().map(|s| s.len() / d).max().unwrap_or(0);
    let mut x = vec![0f32; b * t * d];
    let mut mask = vec![0f32; b * t];
    for (i, s) in states.iter().enumerate() {
        x[i * t * d..i * t * d + s.len()].copy_from_slice(s);
        mask[i * t..i * t + s.len() / d].fill(1.0);
    }
    let x = Tensor::from_vec(x, (b, t, d), &Device::Cpu)?;
    let mask = Tensor::from_vec(mask, (b, t, 1), &Device::Cpu)?;
    let mask_add = ((mask.reshape((b, 1, 1, t))? - 1.0)? * 1e4)?;
    Ok((x, mask, mask_add))
}

/// L2-normalised mean pooling of `x` `[B, T, d]` under `mask` `[B, T, 1]`.
fn pool(x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let sum = x.broadcast_mul(mask)?.sum(1)?;
    normalise_rows(&sum)
}

fn normalise_rows(x: &Tensor) -> candle_core::Result<Tensor> {
    let norm = (x.sqr()?.sum_keepdim(D::Minus1)? + 1e-12)?.sqrt()?;
    x.broadcast_div(&norm)
}

/// The pooled vectors `[B, d]` of the texts whose states below `layers` are `states`.
fn pooled_top(
    layers: &[TrainLayer],
    states: &[&[f32]],
    d: usize,
    heads: usize,
    eps: f64,
) -> candle_core::Result<Tensor> {
    let (mut x, mask, mask_add) = batch_tensors(states, d)?;
    for l in layers {
        x = l.forward(&x, &mask_add, heads, eps)?;
    }
    pool(&x, &mask)
}

/// Fine-tunes a copy of `base` so that `texts` (embedded as `kind`) gather by `labels`
/// (`< n_labels`). Deterministic for the same inputs and parameters.
pub fn fine_tune(
    base: &E5Model,
    texts: &[String],
    labels: &[usize],
    n_labels: usize,
    kind: EmbedKind,
    params: TuneParams,
) -> Result<(E5Model, TuneReport), TuneError> {
    if texts.len() != labels.len() || texts.is_empty() {
        return Err(TuneError::Input(format!(
            "{} texts with {} labels",
            texts.len(),
            labels.len()
        )));
    }
    if let Some(&l) = labels.iter().find(|&&l| l >= n_labels) {
        return Err(TuneError::Input(format!(
            "label {l} is outside 0..{n_labels}"
        )));
    }
    let h = base.hyper();
    let d = h.hidden;
    let n_tuned = params.layers.clamp(1, h.layers);
    let first = h.layers - n_tuned;
    let eps = f64::from(h.eps);

    // Frozen states below the tuned layers, once per text.
    let seqs: Vec<Vec<u32>> = texts.iter().map(|t| base.tokenize(t, kind)).collect();
    let mut states: Vec<Vec<f32>> = Vec::with_capacity(seqs.len());
    for chunk in seqs.chunks(64) {
        let x = base.hidden_states(chunk, first)?;
        let mut start = 0;
        for s in chunk {
            states.push(x[start * d..(start + s.len()) * d].to_vec());
            start += s.len();
        }
    }

    let layers: Vec<TrainLayer> = base.layers()[first..]
        .iter()
        .map(|l| TrainLayer::from(l))
        .collect::<candle_core::Result<_>>()?;
    let forward = |layers: &[TrainLayer], idx: &[usize]| -> candle_core::Result<Tensor> {
        let refs: Vec<&[f32]> = idx.iter().map(|&i| states[i].as_slice()).collect();
        pooled_top(layers, &refs, d, h.heads, eps)
    };

    // Label vectors start at the labels' mean pooled vectors under the untrained layers.
    let order: Vec<usize> = (0..texts.len()).collect();
    let mut sums = vec![0f32; n_labels * d];
    for chunk in order.chunks(params.batch.max(1) * 2) {
        let pooled = forward(&layers, chunk)?.to_vec2::<f32>()?;
        for (&i, v) in chunk.iter().zip(&pooled) {
            for (s, x) in sums[labels[i] * d..(labels[i] + 1) * d].iter_mut().zip(v) {
                *s += x;
            }
        }
    }
    let label_vectors = Var::from_vec(sums, (n_labels, d), &Device::Cpu)?;

    let adam = |vars: Vec<Var>, lr: f64| {
        AdamW::new(
            vars,
            ParamsAdamW {
                lr,
                weight_decay: 0.0,
                ..Default::default()
            },
        )
    };
    let mut layer_opt = adam(
        layers.iter().flat_map(TrainLayer::vars).collect(),
        params.learning_rate,
    )?;
    let mut label_opt = adam(vec![label_vectors.clone()], params.label_learning_rate)?;

    let batch = params.batch.max(1);
    // Batches of similar lengths (padding is wasted work), in a fresh order every epoch.
    let mut rng = SplitMix::new(params.seed);
    let mut by_length: Vec<(usize, u64, usize)> = (0..texts.len())
        .map(|i| (seqs[i].len(), rng.next_u64(), i))
        .collect();
    by_length.sort_unstable();
    let mut batches: Vec<Vec<usize>> = by_length
        .chunks(batch)
        .map(|c| c.iter().map(|&(_, _, i)| i).collect())
        .collect();
    let per_epoch = batches.len();
    let epochs = params
        .epochs
        .max(params.min_steps.div_ceil(per_epoch.max(1)))
        .max(1);
    let total_steps = epochs * per_epoch;
    let mut step = 0;
    let mut epoch_losses = Vec::with_capacity(epochs);
    for epoch in 0..epochs {
        rng.shuffle(&mut batches);
        let mut epoch_loss = 0f32;
        for idx in &batches {
            let pooled = forward(&layers, idx)?;
            let targets: Vec<u32> = idx.iter().map(|&i| labels[i] as u32).collect();
            let targets = Tensor::from_vec(targets, idx.len(), &Device::Cpu)?;
            let logits = (pooled.matmul(&normalise_rows(&label_vectors)?.t()?)? * params.scale)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &targets)?;
            let left = 1.0 - step as f64 / total_steps as f64;
            layer_opt.set_learning_rate(params.learning_rate * left);
            label_opt.set_learning_rate(params.label_learning_rate * left);
            let grads = loss.backward()?;
            layer_opt.step(&grads)?;
            label_opt.step(&grads)?;
            epoch_loss += loss.to_scalar::<f32>()?;
            step += 1;
        }
        epoch_loss /= per_epoch as f32;
        epoch_losses.push(epoch_loss);
        tracing::debug!(epoch, loss = epoch_loss, "e5 fine-tuning");
    }

    let top: Vec<Layer> = layers
        .iter()
        .map(TrainLayer::export)
        .collect::<candle_core::Result<_>>()?;
    Ok((
        base.with_top_layers(first, top),
        TuneReport {
            steps: step,
            epoch_losses,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::tests::tiny_model;

    fn texts() -> (Vec<String>, Vec<usize>) {
        let rows = [
            ("a b", 0),
            ("ab a", 0),
            ("a a b", 0),
            ("ab ab", 0),
            ("hello", 1),
            ("hello h", 1),
            ("hello e", 1),
            ("l hello", 1),
            ("ша fi", 2),
            ("fi ша", 2),
            ("ша ша", 2),
            ("fi fi c", 2),
        ];
        (
            rows.iter().map(|r| r.0.to_string()).collect(),
            rows.iter().map(|r| r.1).collect(),
        )
    }

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        frontdesk_core::embed::dot(a, b)
    }

    #[test]
    fn training_layers_compute_what_the_kernels_compute() {
        let base = tiny_model();
        let h = base.hyper();
        let (texts, _) = texts();
        let seqs: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| base.tokenize(t, EmbedKind::Query))
            .collect();
        let first = h.layers - 1;
        let x = base.hidden_states(&seqs, first).expect("states");
        let mut states = Vec::new();
        let mut start = 0;
        for s in &seqs {
            states.push(&x[start * h.hidden..(start + s.len()) * h.hidden]);
            start += s.len();
        }
        let layers: Vec<TrainLayer> = base.layers()[first..]
            .iter()
            .map(|l| TrainLayer::from(l).expect("vars"))
            .collect();
        let pooled = pooled_top(&layers, &states, h.hidden, h.heads, f64::from(h.eps))
            .expect("forward")
            .to_vec2::<f32>()
            .expect("floats");
        let items: Vec<(&str, EmbedKind)> = texts
            .iter()
            .map(|t| (t.as_str(), EmbedKind::Query))
            .collect();
        let reference = base.embed(&items).expect("embeds");
        for (p, r) in pooled.iter().zip(&reference) {
            // The kernels quantize activations to 8 bits; the training path is plain f32.
            assert!(cos(p, r) > 0.999, "cosine {}", cos(p, r));
        }
    }

    #[test]
    fn tuning_gathers_labels_and_leaves_the_base_alone() {
        let base = tiny_model();
        let (texts, labels) = texts();
        let items: Vec<(&str, EmbedKind)> = texts
            .iter()
            .map(|t| (t.as_str(), EmbedKind::Query))
            .collect();
        let before = base.embed(&items).expect("embeds");
        let params = TuneParams {
            layers: 1,
            epochs: 30,
            batch: 4,
            learning_rate: 3e-3,
            label_learning_rate: 3e-2,
            min_steps: 0,
            ..TuneParams::default()
        };
        let (tuned, report) =
            fine_tune(&base, &texts, &labels, 3, EmbedKind::Query, params).expect("tunes");
        assert_eq!(report.steps, 30 * 3);
        let losses = &report.epoch_losses;
        assert!(losses[losses.len() - 1] < 0.5 * losses[0], "{losses:?}");
        // The layers below the tuned one are shared, not copied.
        assert!(Arc::ptr_eq(&tuned.layers()[0], &base.layers()[0]));
        assert!(!Arc::ptr_eq(&tuned.layers()[1], &base.layers()[1]));
        assert_eq!(base.embed(&items).expect("embeds"), before);

        // Same-label texts end closer than other-label texts, on average, than before.
        let after = tuned.embed(&items).expect("embeds");
        let margin = |v: &[Vec<f32>]| {
            let (mut same, mut other, mut ns, mut no) = (0f32, 0f32, 0, 0);
            for i in 0..v.len() {
                for j in 0..i {
                    if labels[i] == labels[j] {
                        same += cos(&v[i], &v[j]);
                        ns += 1;
                    } else {
                        other += cos(&v[i], &v[j]);
                        no += 1;
                    }
                }
            }
            same / ns as f32 - other / no as f32
        };
        assert!(
            margin(&after) > margin(&before) + 0.05,
            "{} -> {}",
            margin(&before),
            margin(&after)
        );
        for v in &after {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn bad_labels_are_errors() {
        let base = tiny_model();
        let texts = vec!["a".to_string(), "b".to_string()];
        let p = TuneParams::default();
        assert!(fine_tune(&base, &texts, &[0, 3], 2, EmbedKind::Query, p).is_err());
        assert!(fine_tune(&base, &texts, &[0], 2, EmbedKind::Query, p).is_err());
        assert!(fine_tune(&base, &[], &[], 2, EmbedKind::Query, p).is_err());
    }
}
