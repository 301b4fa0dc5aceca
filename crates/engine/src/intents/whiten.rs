//! Partial PCA whitening of sentence embeddings, fitted on the catalogue.
//!
//! e5's vectors are anisotropic: a few directions shared by every sentence dominate the
//! cosine, and the many low-variance directions are mostly noise. Centring, keeping the top
//! `dims` principal directions and dividing each by `std^power` (0 < power ≤ 1; 1 is full
//! whitening) makes nearest neighbours compare what distinguishes the catalogue's sentences.
//! On BANKING77 and CLINC150 (e5-small) closed-set kNN accuracy rises by about one point with
//! 128 dims and power 0.5; full whitening or all 384 dims helps less or hurts.

use frontdesk_core::embed::dot;

/// Tunables of the projection (fixed across data sets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WhitenParams {
    /// Principal directions kept (capped at the embedding size and the number of rows − 1).
    pub dims: usize,
    /// Each kept direction is divided by its standard deviation to this power.
    pub power: f32,
}

impl Default for WhitenParams {
    fn default() -> Self {
        Self {
            dims: 128,
            power: 0.5,
        }
    }
}

/// A fitted projection: `y = normalise(P · (x − mean))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Whitening {
    mean: Vec<f32>,
    /// Row-major `dims × input`, the scale already folded in.
    rows: Vec<Vec<f32>>,
}

impl Whitening {
    /// Fits on `vectors` (all the same length). `None` when there are too few rows or the
    /// vectors have no variance to keep, so callers fall back to the raw vectors.
    pub fn fit(vectors: &[&[f32]], params: WhitenParams) -> Option<Self> {
        let d = vectors.first()?.len();
        let n = vectors.len();
        let dims = params.dims.min(d).min(n.saturating_sub(1));
        if dims == 0 || d == 0 {
            return None;
        }
        let mut mean = vec![0f64; d];
        for v in vectors {
            for (m, x) in mean.iter_mut().zip(v.iter()) {
                *m += f64::from(*x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        // Upper triangle of the covariance, row-major.
        let mut cov = vec![0f64; d * d];
        let mut centred = vec![0f64; d];
        for v in vectors {
            for ((c, x), m) in centred.iter_mut().zip(v.iter()).zip(&mean) {
                *c = f64::from(*x) - m;
            }
            for i in 0..d {
                let ci = centred[i];
                for (a, cj) in cov[i * d + i..(i + 1) * d].iter_mut().zip(&centred[i..]) {
                    *a += ci * cj;
                }
            }
        }
        for i in 0..d {
            for j in i..d {
                let c = cov[i * d + j] / (n - 1) as f64;
                cov[i * d + j] = c;
                cov[j * d + i] = c;
            }
        }
        let (values, vectors_by_col) = symmetric_eigen(&mut cov, d);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let top = values[order[0]];
        if top <= 0.0 {
            return None;
        }
        let power = f64::from(params.power.clamp(0.0, 1.0));
        // Directions with (numerically) no variance would be scaled up from noise.
        let floor = top * 1e-9;
        let rows: Vec<Vec<f32>> = order
            .iter()
            .take(dims)
            .filter(|&&k| values[k] > floor)
            .map(|&k| {
                let scale = values[k].sqrt().powf(-power);
                (0..d)
                    .map(|i| (vectors_by_col[i * d + k] * scale) as f32)
                    .collect()
            })
            .collect();
        Some(Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            rows,
        })
    }

    pub fn dims(&self) -> usize {
        self.rows.len()
    }

    /// The projected, L2-normalised vector.
    pub fn apply(&self, v: &[f32]) -> Vec<f32> {
        let centred: Vec<f32> = v.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        let mut y: Vec<f32> = self.rows.iter().map(|r| dot(r, &centred)).collect();
        let norm = y.iter().map(|a| a * a).sum::<f32>().sqrt();
        if norm > 0.0 {
            y.iter_mut().for_each(|a| *a /= norm);
        }
        y
    }
}

/// Eigen-decomposition of the symmetric `n × n` matrix `a` (row-major; destroyed) by cyclic
/// Jacobi rotations: (eigenvalues, eigenvectors as the columns of a row-major matrix). Jacobi
/// is slower than tridiagonal QL but short and unconditionally stable; a 384 × 384 covariance
/// takes well under a second.
fn symmetric_eigen(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..50 {
        let off: f64 = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j] * a[i * n + j])
            .sum();
        if off <= total * 1e-22 || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() <= f64::MIN_POSITIVE {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // Columns p and q, then rows p and q (A ← Jᵀ A J).
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                let (rp, rq) = (p * n, q * n);
                for k in 0..n {
                    let (apk, aqk) = (a[rp + k], a[rq + k]);
                    a[rp + k] = c * apk - s * aqk;
                    a[rq + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::rng::SplitMix;

    fn uniform(rng: &mut SplitMix) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }

    #[test]
    fn eigen_decomposition_reconstructs_table() {
        let mut rng = SplitMix::new(3);
        for n in [1usize, 2, 5, 17] {
            let b: Vec<f64> = (0..n * n).map(|_| uniform(&mut rng)).collect();
            // A = B Bᵀ is symmetric positive semi-definite.
            let mut a = vec![0f64; n * n];
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum();
                }
            }
            let orig = a.clone();
            let (vals, vecs) = symmetric_eigen(&mut a, n);
            for i in 0..n {
                for j in 0..n {
                    let r: f64 = (0..n)
                        .map(|k| vecs[i * n + k] * vals[k] * vecs[j * n + k])
                        .sum();
                    assert!((r - orig[i * n + j]).abs() < 1e-9, "n={n} ({i},{j})");
                    let o: f64 = (0..n).map(|k| vecs[k * n + i] * vecs[k * n + j]).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((o - want).abs() < 1e-9, "orthonormal n={n}");
                }
            }
        }
    }

    /// Points stretched along x (std 10) and slightly along y (std 1), noise on z.
    fn stretched(n: usize) -> Vec<Vec<f32>> {
        let mut rng = SplitMix::new(9);
        (0..n)
            .map(|_| {
                vec![
                    (5.0 + 10.0 * uniform(&mut rng)) as f32,
                    (1.0 * uniform(&mut rng)) as f32,
                    (1e-3 * uniform(&mut rng)) as f32,
                ]
            })
            .collect()
    }

    #[test]
    fn whitening_evens_out_the_kept_directions() {
        let data = stretched(400);
        let refs: Vec<&[f32]> = data.iter().map(Vec::as_slice).collect();
        for (power, want_ratio) in [(1.0f32, 1.0f32), (0.5, 10f32.sqrt()), (0.0, 10.0)] {
            let w = Whitening::fit(&refs, WhitenParams { dims: 2, power }).unwrap();
            assert_eq!(w.dims(), 2);
            // Spread of the projected (un-normalised) values along each kept direction.
            let spread = |k: usize| {
                let ys: Vec<f32> = data
                    .iter()
                    .map(|v| {
                        let c: Vec<f32> = v.iter().zip(&w.mean).map(|(x, m)| x - m).collect();
                        dot(&w.rows[k], &c)
                    })
                    .collect();
                (ys.iter().map(|y| y * y).sum::<f32>() / ys.len() as f32).sqrt()
            };
            let ratio = spread(0) / spread(1);
            assert!(
                (ratio / want_ratio - 1.0).abs() < 0.05,
                "power {power}: ratio {ratio}, want {want_ratio}"
            );
        }
    }

    #[test]
    fn apply_centres_projects_and_normalises() {
        let data = stretched(100);
        let refs: Vec<&[f32]> = data.iter().map(Vec::as_slice).collect();
        let w = Whitening::fit(
            &refs,
            WhitenParams {
                dims: 5,
                power: 0.5,
            },
        )
        .unwrap();
        assert_eq!(w.dims(), 3, "capped at the input size");
        let y = w.apply(&data[0]);
        assert_eq!(y.len(), 3);
        assert!((dot(&y, &y) - 1.0).abs() < 1e-5);
        // The mean itself has nothing left to normalise.
        assert!(w.apply(&w.mean.clone()).iter().all(|a| a.abs() < 1e-3));
    }

    #[test]
    fn degenerate_inputs_give_none() {
        let one = [vec![1.0f32, 2.0]];
        let refs: Vec<&[f32]> = one.iter().map(Vec::as_slice).collect();
        assert!(Whitening::fit(&refs, WhitenParams::default()).is_none());
        let same = [vec![1.0f32, 2.0], vec![1.0, 2.0], vec![1.0, 2.0]];
        let refs: Vec<&[f32]> = same.iter().map(Vec::as_slice).collect();
        assert!(Whitening::fit(&refs, WhitenParams::default()).is_none());
        assert!(Whitening::fit(&[], WhitenParams::default()).is_none());
    }
}
