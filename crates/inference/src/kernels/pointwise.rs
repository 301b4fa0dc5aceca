//! Elementwise functions written branch-free so that the compiler vectorises the loops over them
//! (`libm`'s `exp`/`erf` are scalar calls and were a fifth of an e5 forward pass). Each loop is
//! compiled twice, for the baseline and for AVX2+FMA, and the CPU picks at run time.

/// `e^x` to ~1 ulp over the f32 range (Cephes' polynomial after range reduction by ln 2).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round-to-nearest through the float adder keeps the loop free of calls.
    const SHIFT: f32 = 12_582_912.0; // 1.5 · 2^23
    let n = (x * std::f32::consts::LOG2_E + SHIFT) - SHIFT;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * r * r + r + 1.0;
    let bits = ((n as i32 + 127) as u32) << 23;
    y * f32::from_bits(bits)
}

/// `erf(x)`, absolute error below 1.5e-7 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

avx2_when_available! {
    /// GELU with the exact (erf) form, in place.
    pub fn gelu_erf(xs: &mut [f32]) => gelu_erf_loop
}

#[inline(always)]
fn gelu_erf_loop(xs: &mut [f32]) {
    for v in xs.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

avx2_when_available! {
    /// `x · σ(x)`, in place.
    pub fn silu(xs: &mut [f32]) => silu_loop
}

#[inline(always)]
fn silu_loop(xs: &mut [f32]) {
    for v in xs.iter_mut() {
        *v /= 1.0 + exp(-*v);
    }
}

avx2_when_available! {
    /// Softmax over the whole slice, in place.
    pub fn softmax_in_place(xs: &mut [f32]) => softmax_loop
}

#[inline(always)]
fn softmax_loop(xs: &mut [f32]) {
    // Eight lanes for the maximum and the sum: one chain of `max` or `+` stays scalar (the
    // compiler may not reorder float reductions), eight independent ones become a vector.
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for part in chunks {
        for (m, &v) in lanes.iter_mut().zip(part) {
            *m = m.max(v);
        }
    }
    let max = tail
        .iter()
        .chain(&lanes)
        .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for v in xs.iter_mut() {
        *v = exp(*v - max);
    }
    let mut sums = [0f32; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for part in chunks {
        for (s, &v) in sums.iter_mut().zip(part) {
            *s += v;
        }
    }
    let sum = sums.iter().chain(tail).sum::<f32>();
    let inv = 1.0 / sum;
    for v in xs.iter_mut() {
        *v *= inv;
    }
}

avx2_when_available! {
    /// `y += a · x` elementwise.
    pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) => axpy_loop
}

#[inline(always)]
fn axpy_loop(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}
