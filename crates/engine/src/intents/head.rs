//! A linear softmax head over sentence embeddings: multinomial logistic regression on
//! standardised vectors, L2-regularised, trained by mini-batch Adam in a fixed (seeded) order —
//! deterministic, plain Rust, a few seconds for ~10k rows × 384 dims × ~150 classes.

use frontdesk_core::embed::dot;
use frontdesk_core::rng::SplitMix;

/// Training tunables of the head (fixed across data sets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadParams {
    /// L2 penalty on the weights (added to the mean cross-entropy as `l2/2 · ‖W‖²`).
    pub l2: f32,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Adam step size at the start; it decays linearly to a tenth over the epochs.
    pub learning_rate: f32,
    /// Rows per Adam step.
    pub batch: usize,
    /// Small catalogues get more epochs, so that training takes at least this many steps.
    pub min_steps: usize,
}

impl Default for HeadParams {
    fn default() -> Self {
        Self {
            l2: 1e-2,
            epochs: 12,
            learning_rate: 0.01,
            batch: 32,
            min_steps: 300,
        }
    }
}

/// Trained weights: `logits = W · ((x − mean) ⊙ inv_std) + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearHead {
    dim: usize,
    n_classes: usize,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    /// Row-major `n_classes × dim`.
    w: Vec<f32>,
    b: Vec<f32>,
}

pub(crate) fn softmax_in_place(z: &mut [f32]) {
    let m = z.iter().copied().fold(f32::MIN, f32::max);
    if m == f32::MIN {
        return;
    }
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

impl LinearHead {
    /// Fits the head on `vectors` (all of one length) with class indices `labels < n_classes`.
    /// Classes without rows get no probability mass to speak of (their bias sinks).
    pub fn fit(vectors: &[&[f32]], labels: &[usize], n_classes: usize, params: HeadParams) -> Self {
        let dim = vectors.first().map_or(0, |v| v.len());
        let n = vectors.len();
        let mut mean = vec![0f32; dim];
        for v in vectors {
            for (m, x) in mean.iter_mut().zip(v.iter()) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f32);
        let mut var = vec![0f32; dim];
        for v in vectors {
            for ((s, x), m) in var.iter_mut().zip(v.iter()).zip(&mean) {
                *s += (x - m) * (x - m);
            }
        }
        let inv_std: Vec<f32> = var
            .iter()
            .map(|s| {
                let sd = (s / n.max(1) as f32).sqrt();
                if sd > 1e-6 {
                    1.0 / sd
                } else {
                    0.0
                }
            })
            .collect();
        let mut head = Self {
            dim,
            n_classes,
            mean,
            inv_std,
            w: vec![0f32; n_classes * dim],
            b: vec![0f32; n_classes],
        };
        if n == 0 || n_classes == 0 || dim == 0 {
            return head;
        }
        let xs: Vec<Vec<f32>> = vectors.iter().map(|v| head.standardise(v)).collect();
        head.train(&xs, labels, params);
        head
    }

    fn standardise(&self, v: &[f32]) -> Vec<f32> {
        v.iter()
            .zip(&self.mean)
            .zip(&self.inv_std)
            .map(|((x, m), s)| (x - m) * s)
            .collect()
    }

    fn train(&mut self, xs: &[Vec<f32>], labels: &[usize], p: HeadParams) {
        let (dim, nc) = (self.dim, self.n_classes);
        let batch = p.batch.max(1);
        let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let mut mw = vec![0f32; nc * dim];
        let mut vw = vec![0f32; nc * dim];
        let mut mb = vec![0f32; nc];
        let mut vb = vec![0f32; nc];
        let mut gw = vec![0f32; nc * dim];
        let mut gb = vec![0f32; nc];
        let mut z = vec![0f32; nc];
        let mut order: Vec<usize> = (0..xs.len()).collect();
        let mut rng = SplitMix::new(0x5EED_1DEA);
        let steps_per_epoch = xs.len().div_ceil(batch);
        let epochs = p.epochs.max(p.min_steps.div_ceil(steps_per_epoch)).max(1);
        let total = (epochs * steps_per_epoch) as f32;
        let mut t = 0i32;
        for _ in 0..epochs {
            rng.shuffle(&mut order);
            for chunk in order.chunks(batch) {
                gw.iter_mut().for_each(|g| *g = 0.0);
                gb.iter_mut().for_each(|g| *g = 0.0);
                for &r in chunk {
                    let x = &xs[r];
                    for (c, zc) in z.iter_mut().enumerate() {
                        *zc = self.b[c] + dot(&self.w[c * dim..(c + 1) * dim], x);
                    }
                    softmax_in_place(&mut z);
                    z[labels[r]] -= 1.0;
                    for (c, &g) in z.iter().enumerate() {
                        // Rows the head already gets right contribute ~nothing to most classes.
                        if g.abs() < 1e-5 {
                            continue;
                        }
                        gb[c] += g;
                        for (a, xv) in gw[c * dim..(c + 1) * dim].iter_mut().zip(x) {
                            *a += g * xv;
                        }
                    }
                }
                t += 1;
                let lr = p.learning_rate * (1.0 - 0.9 * (t - 1) as f32 / total);
                let inv = 1.0 / chunk.len() as f32;
                let (c1, c2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                let step = |w: &mut f32, g: f32, m: &mut f32, v: &mut f32| {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    *w -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                };
                for i in 0..nc * dim {
                    let g = gw[i] * inv + p.l2 * self.w[i];
                    step(&mut self.w[i], g, &mut mw[i], &mut vw[i]);
                }
                for c in 0..nc {
                    step(&mut self.b[c], gb[c] * inv, &mut mb[c], &mut vb[c]);
                }
            }
        }
    }

    /// Class probabilities of one (raw, unstandardised) vector.
    pub fn probs(&self, v: &[f32]) -> Vec<f32> {
        let x = self.standardise(v);
        let mut z: Vec<f32> = (0..self.n_classes)
            .map(|c| self.b[c] + dot(&self.w[c * self.dim..(c + 1) * self.dim], &x))
            .collect();
        softmax_in_place(&mut z);
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three Gaussian-ish blobs in 16 dims around orthogonal axes, from a seeded generator.
    fn blobs(n_per: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = SplitMix::new(seed);
        let mut noise = || (rng.next_u64() % 10_000) as f32 / 10_000.0 - 0.5;
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for c in 0..3 {
            for _ in 0..n_per {
                let v: Vec<f32> = (0..16)
                    .map(|d| if d == c * 5 { 1.0 } else { 0.0 } + 0.4 * noise())
                    .collect();
                xs.push(v);
                ys.push(c);
            }
        }
        (xs, ys)
    }

    #[test]
    fn learns_separable_blobs_table() {
        let (xs, ys) = blobs(30, 7);
        let (test_x, test_y) = blobs(20, 99);
        let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        for params in [
            HeadParams::default(),
            HeadParams {
                batch: 1,
                epochs: 3,
                ..HeadParams::default()
            },
            HeadParams {
                l2: 0.1,
                ..HeadParams::default()
            },
        ] {
            let head = LinearHead::fit(&refs, &ys, 3, params);
            for (x, &y) in test_x.iter().zip(&test_y) {
                let p = head.probs(x);
                assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
                let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
                assert_eq!(best, y, "{params:?}: {p:?}");
            }
        }
    }

    #[test]
    fn training_is_deterministic() {
        let (xs, ys) = blobs(25, 3);
        let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        let a = LinearHead::fit(&refs, &ys, 3, HeadParams::default());
        let b = LinearHead::fit(&refs, &ys, 3, HeadParams::default());
        assert_eq!(a, b);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let head = LinearHead::fit(&[], &[], 2, HeadParams::default());
        assert_eq!(head.probs(&[]), vec![0.5, 0.5]);
        // A class without rows, constant features.
        let v = [1.0f32, 1.0, 1.0];
        let head = LinearHead::fit(&[&v, &v], &[0, 0], 2, HeadParams::default());
        let p = head.probs(&v);
        assert!(p[0] > p[1], "{p:?}");
    }
}
