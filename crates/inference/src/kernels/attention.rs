//! The inner loops of causal attention over a block of new tokens (prompts): scores for a tile
//! of queries against a tile of keys, and a probability-weighted sum of value rows. A prompt's
//! attention was one 64-value dot product per (query, key) pair — a call and a horizontal sum
//! each — and a read-modify-write of the output per key; here a key tile is loaded once for
//! [`QUERY_TILE`] queries and the output stays in registers. Decoding (one query) scores its
//! keys [`KEYS_AT_ONCE`] at a time ([`score_rows`]) and sums values with the same
//! [`weighted_sum`]. Compiled for the baseline and for AVX2+FMA like the pointwise loops; the
//! fixed tile sizes let the compiler keep the tiles in registers.

/// Queries scored together against each key tile.
pub const QUERY_TILE: usize = 6;
/// Keys per score tile (two AVX2 registers).
pub const KEY_TILE: usize = 16;
/// Output values one weighted-sum call produces (eight AVX2 registers).
pub const VALUE_CHUNK: usize = 64;

avx2_when_available! {
    /// `tile[i · KEY_TILE + j] = Σ_d q_t[d · QUERY_TILE + i] · k_t[d · stride + j0 + j]`:
    /// `q_t` holds [`QUERY_TILE`] queries transposed (`head_dim × QUERY_TILE`), `k_t` the keys
    /// transposed (`head_dim` rows of `stride` ≥ `j0 + KEY_TILE` positions).
    pub fn score_tile(q_t: &[f32], k_t: &[f32], stride: usize, j0: usize, tile: &mut [f32; QUERY_TILE * KEY_TILE]) => score_tile_loop
}

#[inline(always)]
fn score_tile_loop(
    q_t: &[f32],
    k_t: &[f32],
    stride: usize,
    j0: usize,
    tile: &mut [f32; QUERY_TILE * KEY_TILE],
) {
    let mut acc = [[0f32; KEY_TILE]; QUERY_TILE];
    for (d, q) in q_t.chunks_exact(QUERY_TILE).enumerate() {
        let k: &[f32; KEY_TILE] = k_t[d * stride + j0..][..KEY_TILE]
            .try_into()
            .expect("KEY_TILE values");
        for (a, &qi) in acc.iter_mut().zip(q) {
            for (aj, &kj) in a.iter_mut().zip(k) {
                *aj += qi * kj;
            }
        }
    }
    tile.copy_from_slice(acc.as_flattened());
}

avx2_when_available! {
    /// `out[e] = Σ_j p[j] · v[j · stride + e]` for `e <` [`VALUE_CHUNK`].
    pub fn weighted_sum(p: &[f32], v: &[f32], stride: usize, out: &mut [f32]) => weighted_sum_loop
}

#[inline(always)]
fn weighted_sum_loop(p: &[f32], v: &[f32], stride: usize, out: &mut [f32]) {
    let mut acc = [0f32; VALUE_CHUNK];
    for (j, &pj) in p.iter().enumerate() {
        let row: &[f32; VALUE_CHUNK] = v[j * stride..][..VALUE_CHUNK]
            .try_into()
            .expect("VALUE_CHUNK values");
        for (a, &x) in acc.iter_mut().zip(row) {
            *a += pj * x;
        }
    }
    out[..VALUE_CHUNK].copy_from_slice(&acc);
}

/// Keys [`score_rows`] scores together: four independent sums, where one key's chain of adds
/// bounded a decode step's attention by the add latency (the 1.5B model spent 7 % of a decode
/// step in attention, a call to `dot_f32` per key and head).
pub const KEYS_AT_ONCE: usize = 4;

avx2_when_available! {
    /// `out[j] = (Σ_d q[d] · k[j · stride + d]) · scale` for `j < out.len()`: one query against
    /// the keys of its head. Each sum is taken in 8 lanes and the lanes added in order, as
    /// `dot_f32` does, so the scores are the same floats as one `dot_f32` per key.
    pub fn score_rows(q: &[f32], k: &[f32], stride: usize, scale: f32, out: &mut [f32]) => score_rows_loop
}

#[inline(always)]
fn score_rows_loop(q: &[f32], k: &[f32], stride: usize, scale: f32, out: &mut [f32]) {
    let hd = q.len();
    let mut j = 0;
    if hd.is_multiple_of(8) {
        while j + KEYS_AT_ONCE <= out.len() {
            let mut acc = [[0f32; 8]; KEYS_AT_ONCE];
            for (c, qc) in q.chunks_exact(8).enumerate() {
                for (i, a) in acc.iter_mut().enumerate() {
                    let kc: &[f32; 8] = k[(j + i) * stride + 8 * c..][..8]
                        .try_into()
                        .expect("8 values");
                    for l in 0..8 {
                        a[l] += qc[l] * kc[l];
                    }
                }
            }
            for (o, a) in out[j..j + KEYS_AT_ONCE].iter_mut().zip(&acc) {
                // `dot_f32`'s ending: the lanes in order, plus an empty tail.
                *o = (a.iter().sum::<f32>() + 0.0) * scale;
            }
            j += KEYS_AT_ONCE;
        }
    }
    for (jj, o) in out.iter_mut().enumerate().skip(j) {
        *o = super::dot_f32(q, &k[jj * stride..][..hd]) * scale;
    }
}
