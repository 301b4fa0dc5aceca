//! AVX2 + FMA code path. A weight block is unpacked once to 32 signed bytes and multiplied with
//! up to four activation rows: `maddubs(|w|, sign(x, w))` gives pairwise products (|w| ≤ 128 and
//! |x| ≤ 127 cannot saturate 16 bits), `madd` with ones sums them to eight 32-bit lanes of four
//! values each, so a scale per 16 values is just a lane-wise float multiply.

use super::{Packing, Panel, RowTile, SuperScales, BLOCK, SUPER};
use std::arch::x86_64::*;

// Packings as const parameters, so each inner loop is compiled for one block layout.
pub(crate) const NIBBLE: u8 = 0;
pub(crate) const NIBBLE5: u8 = 1;
pub(crate) const BYTE: u8 = 2;
pub(crate) const SIX: u8 = 3;

/// How far ahead of the weights being multiplied the streaming kernels fetch them, in bytes of
/// the panel. A thread reads its panel (consecutive weight rows, contiguous in memory) as one
/// forward stream, one weight row at a time against every activation row of the tile. Rows are
/// short (912 bytes for a 1536-wide Q4_K row), and the hardware prefetcher never learnt the
/// four short streams of reading four rows side by side, as these kernels once did: the 1.5B
/// model decoded at 33–34 GB/s of weights that way, and at 37–39 GB/s one row at a time with
/// this distance (2 threads, Zen 5; 2 and 8 KB measured within noise of 4).
pub(crate) const PREFETCH_BYTES: usize = 4096;

/// `acc[r · cols + c] = x_r · w_c` for the (≤ 4) activation rows of `x` and every weight row of
/// the panel (without the minimum terms).
pub(crate) fn panel_product(w: &Panel<'_>, x: &RowTile<'_>, acc: &mut [f32]) {
    w.assert_bounds(x, acc);
    // SAFETY: `kernels::isa()` selects this path only after detecting AVX2 and FMA, and the
    // bounds checked above (`Panel::assert_bounds`) cover every pointer read and write below.
    unsafe {
        if let Some(sup) = &w.sup {
            return match (w.packing, w.scales_per_block, sup.m.is_empty()) {
                (Packing::Nibble, 1, false) => super_rows::<NIBBLE, 1, true>(w, sup, x, acc),
                (Packing::Nibble5, 1, false) => super_rows::<NIBBLE5, 1, true>(w, sup, x, acc),
                (Packing::Six, 2, true) => super_rows::<SIX, 2, false>(w, sup, x, acc),
                // `QMatrix::widened` K-quants.
                (Packing::Byte, 1, false) => super_rows::<BYTE, 1, true>(w, sup, x, acc),
                (Packing::Byte, 2, true) => super_rows::<BYTE, 2, false>(w, sup, x, acc),
                other => unreachable!("no K-quant is stored as {other:?}"),
            };
        }
        if w.half.is_some() {
            return match w.packing {
                Packing::Nibble => by_rows::<NIBBLE, 1, true>(w, x, acc),
                Packing::Nibble5 => by_rows::<NIBBLE5, 1, true>(w, x, acc),
                Packing::Byte => by_rows::<BYTE, 1, true>(w, x, acc),
                Packing::Six => unreachable!("no f16-scaled format is stored as Six"),
            };
        }
        match (w.packing, w.scales_per_block) {
            (Packing::Nibble, 1) => by_rows::<NIBBLE, 1, false>(w, x, acc),
            (Packing::Nibble, _) => by_rows::<NIBBLE, 2, false>(w, x, acc),
            (Packing::Nibble5, 1) => by_rows::<NIBBLE5, 1, false>(w, x, acc),
            (Packing::Nibble5, _) => by_rows::<NIBBLE5, 2, false>(w, x, acc),
            (Packing::Six, 1) => by_rows::<SIX, 1, false>(w, x, acc),
            (Packing::Six, _) => by_rows::<SIX, 2, false>(w, x, acc),
            (Packing::Byte, 1) => by_rows::<BYTE, 1, false>(w, x, acc),
            (Packing::Byte, _) => by_rows::<BYTE, 2, false>(w, x, acc),
        }
    }
}

/// One weight row at a time, specialised per tile height.
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn by_rows<const P: u8, const S: usize, const H: bool>(
    w: &Panel<'_>,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    for c in 0..w.cols {
        unsafe {
            match x.tile {
                1 => row::<P, S, H, 1>(w, c, x, acc),
                2 => row::<P, S, H, 2>(w, c, x, acc),
                3 => row::<P, S, H, 3>(w, c, x, acc),
                _ => row::<P, S, H, 4>(w, c, x, acc),
            }
        }
    }
}

/// Weight row `c` of the panel against the `T` activation rows, the blocks summed alternately
/// into two accumulators per activation row (one chain of `fma`s would bound a single
/// activation row's rate by the `fma` latency).
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn row<const P: u8, const S: usize, const H: bool, const T: usize>(
    w: &Panel<'_>,
    c: usize,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let bb = block_bytes(P);
    let kb = x.blocks;
    let ahead = PREFETCH_BYTES / bb;
    let wp = unsafe { w.data.as_ptr().add(c * kb * bb) };
    // f32 scales, or (H) f16 ones; the other pointer is never read.
    let sp = w.scales.as_ptr().wrapping_add(c * kb * S);
    let hp = w.half.unwrap_or(&[]).as_ptr().wrapping_add(c * kb);
    let (xp, dp) = (x.qs.as_ptr(), x.d.as_ptr());
    let ones = _mm256_set1_epi16(1);
    let mut sums = [[_mm256_setzero_ps(); 2]; T];
    for b in 0..kb {
        // One stream per thread, fetched ahead: a line per two blocks (at most 64 bytes).
        if b % 2 == 0 {
            _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(b * bb + PREFETCH_BYTES) as *const i8);
        }
        if b % SUPER == 0 {
            // 8 blocks' scales: 16 bytes of f16, 32 or 64 of f32.
            if H {
                _mm_prefetch::<_MM_HINT_T0>(hp.wrapping_add(b + ahead) as *const i8);
            } else {
                _mm_prefetch::<_MM_HINT_T0>(sp.wrapping_add((b + ahead) * S) as *const i8);
            }
        }
        // SAFETY: block b of weight row c lies inside the panel, and so does its scale (f32,
        // or f16 if H: asserted).
        let (wq, scale) = unsafe {
            let s = sp.wrapping_add(b * S);
            let scale = if H {
                // f16 → f32 is exact: the floats of the f32 form.
                let bits = i32::from(*hp.add(b));
                _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(bits)))
            } else if S == 2 {
                _mm256_setr_m128(_mm_set1_ps(*s), _mm_set1_ps(*s.add(1)))
            } else {
                _mm256_set1_ps(*s)
            };
            (unpack::<P>(wp.add(b * bb)), scale)
        };
        let wabs = _mm256_sign_epi8(wq, wq);
        for (r, sum) in sums.iter_mut().enumerate() {
            // SAFETY: row r < T ≤ x.tile and block b < kb: inside `x.qs` and `x.d` (asserted).
            let (a, da) = unsafe {
                (
                    _mm256_loadu_si256(xp.add((r * kb + b) * BLOCK) as *const __m256i),
                    _mm256_set1_ps(*dp.add(r * kb + b)),
                )
            };
            let p = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, wq));
            let s = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
            let sum = &mut sum[b % 2];
            *sum = _mm256_fmadd_ps(s, _mm256_mul_ps(scale, da), *sum);
        }
    }
    for (r, s) in sums.iter().enumerate() {
        // SAFETY: r < x.tile and c < w.cols: inside `acc` (asserted).
        unsafe { *acc.as_mut_ptr().add(r * w.cols + c) = hsum(_mm256_add_ps(s[0], s[1])) };
    }
}

/// [`by_rows`] for a panel whose scales are the K-quants' own ([`SuperScales`]).
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn super_rows<const P: u8, const S: usize, const MINS: bool>(
    w: &Panel<'_>,
    sup: &SuperScales<'_>,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    for c in 0..w.cols {
        unsafe {
            match x.tile {
                1 => super_row::<P, S, MINS, 1>(w, sup, c, x, acc),
                2 => super_row::<P, S, MINS, 2>(w, sup, c, x, acc),
                3 => super_row::<P, S, MINS, 3>(w, sup, c, x, acc),
                _ => super_row::<P, S, MINS, 4>(w, sup, c, x, acc),
            }
        }
    }
}

/// [`row`] with the K-quants' scales read in their own form: per super-block (8 blocks),
/// `scale = d · s` and `min = off · scale − dmin · m` are computed in registers, as
/// `kernels::expand_super` computes them, and the minimum terms `Σ min · (d · Σq)` are summed in
/// eight lanes, as `kernels::min_terms` sums them, so the outputs are those of the expanded
/// form bit for bit, with no scales written to memory and no second pass.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn super_row<const P: u8, const S: usize, const MINS: bool, const T: usize>(
    w: &Panel<'_>,
    sup: &SuperScales<'_>,
    c: usize,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let bb = block_bytes(P);
    let kb = x.blocks;
    let ksb = kb / SUPER;
    let ahead = PREFETCH_BYTES / bb;
    let wp = unsafe { w.data.as_ptr().add(c * kb * bb) };
    // This row's scales and minimums (pointers only dereferenced inside the panel).
    let sp = sup.s.as_ptr().wrapping_add(c * kb * S);
    let mp = sup.m.as_ptr().wrapping_add(c * kb);
    let (xp, dp, xs) = (x.qs.as_ptr(), x.d.as_ptr(), x.sums.as_ptr());
    let ones = _mm256_set1_epi16(1);
    let offf = _mm256_set1_ps(sup.off);
    let mut sums = [[_mm256_setzero_ps(); 2]; T];
    let mut mins = [_mm256_setzero_ps(); T];
    for sb in 0..ksb {
        let b0 = sb * SUPER;
        _mm_prefetch::<_MM_HINT_T0>(sp.wrapping_add((b0 + ahead) * S));
        if MINS {
            _mm_prefetch::<_MM_HINT_T0>(mp.wrapping_add(b0 + ahead) as *const i8);
        }
        // This super-block's scales (S = 2: blocks 0..4, then 4..8) and minimums.
        let mut sc = [_mm256_setzero_ps(); S];
        let mut mn = _mm256_setzero_ps();
        // SAFETY: super-block sb of row c < cols lies inside the panel (asserted).
        unsafe {
            let d = _mm256_set1_ps(*sup.d.as_ptr().add(c * ksb + sb));
            let s = sp.add(b0 * S);
            for (h, sc) in sc.iter_mut().enumerate() {
                let si = _mm256_cvtepi8_epi32(_mm_loadl_epi64(s.add(8 * h) as *const __m128i));
                *sc = _mm256_mul_ps(d, _mm256_cvtepi32_ps(si));
            }
            if MINS {
                let m = _mm256_cvtepu8_epi32(_mm_loadl_epi64(mp.add(b0) as *const __m128i));
                let dmin = _mm256_set1_ps(*sup.dmin.as_ptr().add(c * ksb + sb));
                mn = _mm256_sub_ps(
                    _mm256_mul_ps(offf, sc[0]),
                    _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(m)),
                );
            }
        }
        // Per activation row: the weight scales times its block scales, and the minimum terms.
        let mut sx = [[_mm256_setzero_ps(); S]; T];
        for r in 0..T {
            // SAFETY: row r < T ≤ x.tile, blocks of super-block sb < kb (asserted).
            unsafe {
                let at = r * kb + b0;
                let xd = _mm256_loadu_ps(dp.add(at));
                let mut xdh = [xd; S];
                if S == 2 {
                    xdh[0] =
                        _mm256_permutevar8x32_ps(xd, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
                    xdh[S - 1] =
                        _mm256_permutevar8x32_ps(xd, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7));
                }
                for h in 0..S {
                    sx[r][h] = _mm256_mul_ps(sc[h], xdh[h]);
                }
                if MINS {
                    let s = _mm256_loadu_ps(xs.add(at));
                    mins[r] = _mm256_add_ps(mins[r], _mm256_mul_ps(mn, s));
                }
            }
        }
        for k in 0..SUPER {
            let b = b0 + k;
            // One stream per thread, fetched ahead: a line per two blocks (at most 64 bytes).
            if k % 2 == 0 {
                _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(b * bb + PREFETCH_BYTES) as *const i8);
            }
            // SAFETY: block b of weight row c lies inside the panel (asserted).
            let wq = unsafe { unpack::<P>(wp.add(b * bb)) };
            let wabs = _mm256_sign_epi8(wq, wq);
            // Lane l of block k's scales: S = 1, its one scale; S = 2, its first four lanes the
            // first, the next four the second.
            let (h, idx) = if S == 2 {
                let i = 2 * (k as i32 % 4);
                (
                    k / 4,
                    _mm256_setr_epi32(i, i, i, i, i + 1, i + 1, i + 1, i + 1),
                )
            } else {
                (0, _mm256_set1_epi32(k as i32))
            };
            for (r, sum) in sums.iter_mut().enumerate() {
                // SAFETY: row r < T ≤ x.tile and block b < kb: inside `x.qs` (asserted).
                let a =
                    unsafe { _mm256_loadu_si256(xp.add((r * kb + b) * BLOCK) as *const __m256i) };
                let p = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, wq));
                let s = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
                let scale = _mm256_permutevar8x32_ps(sx[r][h], idx);
                // Blocks alternate between the two accumulators as in `row` (SUPER is even).
                let sum = &mut sum[k % 2];
                *sum = _mm256_fmadd_ps(s, scale, *sum);
            }
        }
    }
    for r in 0..T {
        let mut v = hsum(_mm256_add_ps(sums[r][0], sums[r][1]));
        if MINS {
            v += lane_sum(mins[r]);
        }
        // SAFETY: r < x.tile and c < w.cols: inside `acc` (asserted).
        unsafe { *acc.as_mut_ptr().add(r * w.cols + c) = v };
    }
}

/// The eight lanes added in order, as `dot_f32` ends its eight running sums.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
pub(crate) fn lane_sum(v: __m256) -> f32 {
    let mut lanes = [0f32; 8];
    // SAFETY: `lanes` holds 8 floats.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
    lanes.iter().sum()
}

/// Widens packed blocks (`src`, whole blocks of `packing`) to 32 signed bytes each in `dst`.
pub(crate) fn widen_blocks(packing: Packing, src: &[u8], dst: &mut [u8]) {
    let bb = packing.block_bytes();
    assert!(src.len() / bb * BLOCK <= dst.len());
    // SAFETY: selected only after detecting AVX2 (see `panel_product`); the assert bounds the
    // reads of whole blocks of `src` and the writes of 32 bytes per block into `dst`.
    unsafe {
        match packing {
            Packing::Nibble => widen::<NIBBLE>(src, dst),
            Packing::Nibble5 => widen::<NIBBLE5>(src, dst),
            Packing::Six => widen::<SIX>(src, dst),
            Packing::Byte => dst[..src.len()].copy_from_slice(src),
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn widen<const P: u8>(src: &[u8], dst: &mut [u8]) {
    let bb = block_bytes(P);
    for (b, blk) in src.chunks_exact(bb).enumerate() {
        unsafe {
            let v = unpack::<P>(blk.as_ptr());
            _mm256_storeu_si256(dst.as_mut_ptr().add(b * BLOCK) as *mut __m256i, v);
        }
    }
}

pub(crate) const fn block_bytes(p: u8) -> usize {
    match p {
        NIBBLE => Packing::Nibble.block_bytes(),
        NIBBLE5 => Packing::Nibble5.block_bytes(),
        SIX => Packing::Six.block_bytes(),
        _ => Packing::Byte.block_bytes(),
    }
}

/// 32 signed bytes of the block at `p`.
#[target_feature(enable = "avx2,fma,f16c")]
#[inline]
unsafe fn unpack<const P: u8>(p: *const u8) -> __m256i {
    let low4 = _mm_set1_epi8(0x0f);
    match P {
        BYTE => unsafe { _mm256_loadu_si256(p as *const __m256i) },
        NIBBLE => {
            let raw = unsafe { _mm_loadu_si128(p as *const __m128i) };
            let v = nibbles(raw, low4);
            _mm256_sub_epi8(v, _mm256_set1_epi8(8))
        }
        SIX => {
            let raw = unsafe { _mm_loadu_si128(p as *const __m128i) };
            let high = unsafe { (p.add(16) as *const u64).read_unaligned() };
            let v = _mm256_or_si256(
                nibbles(raw, low4),
                high_pairs(_mm256_set1_epi64x(high as i64)),
            );
            _mm256_sub_epi8(v, _mm256_set1_epi8(32))
        }
        _ => {
            let high = unsafe { (p as *const u32).read_unaligned() };
            let raw = unsafe { _mm_loadu_si128(p.add(4) as *const __m128i) };
            let v = nibbles(raw, low4);
            // Byte i of `spread` is byte i/8 of `high`; `bit` then isolates bit i % 8 of it.
            let order = _mm256_setr_epi8(
                0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3,
                3, 3, 3, 3,
            );
            let spread = _mm256_shuffle_epi8(_mm256_set1_epi32(high as i32), order);
            let bit = _mm256_set1_epi64x(0x8040_2010_0804_0201_u64 as i64);
            let set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
            // v − 16 for a nibble v is v | 0xF0 in two's complement; with the fifth bit set it is v.
            _mm256_or_si256(v, _mm256_andnot_si256(set, _mm256_set1_epi8(0xF0_u8 as i8)))
        }
    }
}

/// The 6-bit packing's two high bits, already at bits 4 and 5 of each byte, from its 8 bytes
/// broadcast to every 64-bit lane: byte `j` of lane `i` takes bits `2i, 2i + 1` of byte `j`
/// (values 8i..8i + 8).
#[target_feature(enable = "avx2,fma,f16c")]
pub(crate) fn high_pairs(broadcast: __m256i) -> __m256i {
    let v = _mm256_srlv_epi64(broadcast, _mm256_setr_epi64x(0, 2, 4, 6));
    _mm256_slli_epi16::<4>(_mm256_and_si256(v, _mm256_set1_epi8(3)))
}

/// Low nibbles of the 16 bytes in the lower half, high nibbles in the upper half.
#[target_feature(enable = "avx2,fma,f16c")]
fn nibbles(raw: __m128i, low4: __m128i) -> __m256i {
    let lo = _mm_and_si128(raw, low4);
    let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low4);
    _mm256_set_m128i(hi, lo)
}

#[target_feature(enable = "avx2,fma,f16c")]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s)
}

/// Weight columns per interleaved group: one 32-bit lane of a register per column.
pub(crate) const GROUP: usize = 8;

/// A panel re-laid for several activation rows: per group of [`GROUP`] weight columns and block,
/// 8 registers of (4 values × 8 columns), so one broadcast of 4 activation bytes and one
/// `maddubs` advance 8 outputs at once, and one convert and one `fma` per block serve all 8.
/// Activations enter unsigned (`a + 128`), which needs weights within ±32 (`QMatrix::narrow`);
/// `corr` takes the `128 · Σw` that this adds back out, exactly, in integers.
///
/// `wide` (the AVX-512 path) stores two groups side by side, so that one 64-byte register holds
/// the same 4 values of 16 columns; an odd last group is paired with zeros.
#[derive(Default)]
pub(crate) struct Interleaved {
    pub(crate) groups: usize,
    pub(crate) blocks: usize,
    pub(crate) spb: usize,
    pub(crate) wide: bool,
    pub(crate) w: Vec<u8>,
    pub(crate) scale: Vec<f32>,
    pub(crate) corr: Vec<i32>,
}

impl Interleaved {
    /// Re-lays `panel` (whose integers are within ±32) into this buffer, in the wide layout if
    /// `wide` (which only the AVX-512 kernel reads).
    pub(crate) fn fill(&mut self, panel: &Panel<'_>, wide: bool) {
        let (kb, spb) = (panel.blocks, panel.scales_per_block);
        assert!(spb == 1 || spb == 2);
        assert!(panel.data.len() >= panel.cols * kb * panel.packing.block_bytes());
        assert!(panel.scales.len() >= panel.cols * kb * spb);
        let groups = panel.cols.div_ceil(GROUP);
        self.groups = groups;
        self.blocks = kb;
        self.spb = spb;
        self.wide = wide;
        let stored = if wide {
            groups.next_multiple_of(2)
        } else {
            groups
        };
        self.w.clear();
        self.w.resize(stored * kb * GROUP * BLOCK, 0);
        self.scale.clear();
        self.scale.resize(stored * kb * spb * GROUP, 0.0);
        self.corr.clear();
        self.corr.resize(stored * kb * spb * GROUP, 0);
        // SAFETY: selected only after detecting AVX2; the asserts and the sizes just set bound
        // every access.
        unsafe {
            match panel.packing {
                Packing::Nibble => self.fill_avx2::<NIBBLE>(panel),
                Packing::Nibble5 => self.fill_avx2::<NIBBLE5>(panel),
                Packing::Six => self.fill_avx2::<SIX>(panel),
                Packing::Byte => self.fill_avx2::<BYTE>(panel),
            }
        }
    }

    /// Per group and block: the 8 columns' blocks as 8 registers of 8 four-byte groups, transposed
    /// so that register `g` holds group `g` of every column; the same for the group sums.
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn fill_avx2<const P: u8>(&mut self, panel: &Panel<'_>) {
        let (kb, spb, bb) = (self.blocks, self.spb, block_bytes(P));
        let ones8 = _mm256_set1_epi8(1);
        let ones16 = _mm256_set1_epi16(1);
        for gi in 0..self.groups {
            let c0 = gi * GROUP;
            let nc = (panel.cols - c0).min(GROUP);
            for b in 0..kb {
                let mut v = [_mm256_setzero_si256(); GROUP];
                let mut sums = [_mm256_setzero_si256(); GROUP];
                for j in 0..nc {
                    let at = (c0 + j) * kb + b;
                    // SAFETY: block `at` is inside the panel (asserted in `fill`).
                    v[j] = unsafe { unpack::<P>(panel.data.as_ptr().add(at * bb)) };
                    // Lane g: the sum of the block's values 4g..4g + 4.
                    sums[j] = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, v[j]), ones16);
                    for h in 0..spb {
                        let to = self.lanes_at(gi, b, h) + j;
                        self.scale[to] = panel.scales[at * spb + h];
                    }
                }
                let w = transpose8x32(v);
                let sums = transpose8x32(sums);
                for (g, reg) in w.iter().enumerate() {
                    let to = self.register_at(gi, b, g);
                    // SAFETY: 8 registers of 32 bytes fill this block's 256 bytes (or, wide,
                    // their halves of 512).
                    unsafe {
                        _mm256_storeu_si256(self.w.as_mut_ptr().add(to) as *mut __m256i, *reg)
                    };
                }
                let per = GROUP / spb;
                for h in 0..spb {
                    let mut c = sums[h * per];
                    for s in &sums[h * per + 1..(h + 1) * per] {
                        c = _mm256_add_epi32(c, *s);
                    }
                    let c = _mm256_slli_epi32::<7>(c);
                    let at = self.lanes_at(gi, b, h);
                    // SAFETY: 8 i32 per (group, block, scale), sized in `fill`.
                    unsafe {
                        _mm256_storeu_si256(self.corr.as_mut_ptr().add(at) as *mut __m256i, c)
                    };
                }
            }
        }
    }
}

impl Interleaved {
    /// Where register `g` (values 4g..4g + 4 of the group's 8 columns) of group `gi`, block `b`
    /// starts in `w`: 8 registers of 32 bytes per (group, block), or, wide, 8 of 64 bytes per
    /// (pair of groups, block) with the odd group in the upper half.
    fn register_at(&self, gi: usize, b: usize, g: usize) -> usize {
        if self.wide {
            (((gi / 2) * self.blocks + b) * GROUP + g) * 2 * 32 + (gi % 2) * 32
        } else {
            ((gi * self.blocks + b) * GROUP + g) * 32
        }
    }

    /// Where the 8 columns' scales (and `corr`) of group `gi`, block `b`, part `h` start.
    fn lanes_at(&self, gi: usize, b: usize, h: usize) -> usize {
        if self.wide {
            (((gi / 2) * self.blocks + b) * self.spb + h) * 2 * GROUP + (gi % 2) * GROUP
        } else {
            ((gi * self.blocks + b) * self.spb + h) * GROUP
        }
    }
}

/// Transposes 8 registers seen as 8×8 32-bit lanes: lane `j` of output `i` is lane `i` of input `j`.
#[target_feature(enable = "avx2,fma,f16c")]
fn transpose8x32(r: [__m256i; 8]) -> [__m256i; 8] {
    let t0 = _mm256_unpacklo_epi32(r[0], r[1]);
    let t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    let t2 = _mm256_unpacklo_epi32(r[2], r[3]);
    let t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    let t4 = _mm256_unpacklo_epi32(r[4], r[5]);
    let t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    let t6 = _mm256_unpacklo_epi32(r[6], r[7]);
    let t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    let u0 = _mm256_unpacklo_epi64(t0, t2);
    let u1 = _mm256_unpackhi_epi64(t0, t2);
    let u2 = _mm256_unpacklo_epi64(t1, t3);
    let u3 = _mm256_unpackhi_epi64(t1, t3);
    let u4 = _mm256_unpacklo_epi64(t4, t6);
    let u5 = _mm256_unpackhi_epi64(t4, t6);
    let u6 = _mm256_unpacklo_epi64(t5, t7);
    let u7 = _mm256_unpackhi_epi64(t5, t7);
    [
        _mm256_permute2x128_si256::<0x20>(u0, u4),
        _mm256_permute2x128_si256::<0x20>(u1, u5),
        _mm256_permute2x128_si256::<0x20>(u2, u6),
        _mm256_permute2x128_si256::<0x20>(u3, u7),
        _mm256_permute2x128_si256::<0x31>(u0, u4),
        _mm256_permute2x128_si256::<0x31>(u1, u5),
        _mm256_permute2x128_si256::<0x31>(u2, u6),
        _mm256_permute2x128_si256::<0x31>(u3, u7),
    ]
}

/// `acc[r · cols + c] = x_r · w_c` for the (≤ 4) rows of `x` and the `cols` columns that `ip`
/// was filled from (without the minimum terms).
pub(crate) fn interleaved_product(ip: &Interleaved, x: &RowTile<'_>, cols: usize, acc: &mut [f32]) {
    assert_eq!(ip.blocks, x.blocks);
    assert!(cols <= ip.groups * GROUP && acc.len() >= x.tile * cols);
    assert!(x.qu.len() >= x.tile * x.blocks * BLOCK && x.d.len() >= x.tile * x.blocks);
    assert!(ip.spb == 1 || ip.spb == 2);
    if ip.wide {
        return super::avx512::interleaved_product(ip, x, cols, acc);
    }
    // SAFETY: `kernels::isa()` selects this path only after detecting AVX2 and FMA; the buffer
    // sizes are fixed by `fill` and the asserts above bound every other access.
    unsafe {
        match (ip.spb, x.tile) {
            (1, 1) => interleaved::<1, 1>(ip, x, cols, acc),
            (1, 2) => interleaved::<1, 2>(ip, x, cols, acc),
            (1, 3) => interleaved::<1, 3>(ip, x, cols, acc),
            (1, _) => interleaved::<1, 4>(ip, x, cols, acc),
            (_, 1) => interleaved::<2, 1>(ip, x, cols, acc),
            (_, 2) => interleaved::<2, 2>(ip, x, cols, acc),
            (_, 3) => interleaved::<2, 3>(ip, x, cols, acc),
            _ => interleaved::<2, 4>(ip, x, cols, acc),
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn interleaved<const S: usize, const T: usize>(
    ip: &Interleaved,
    x: &RowTile<'_>,
    cols: usize,
    acc: &mut [f32],
) {
    let kb = x.blocks;
    let ones = _mm256_set1_epi16(1);
    let (xu, xd) = (x.qu.as_ptr(), x.d.as_ptr());
    for gi in 0..ip.groups {
        let mut f = [_mm256_setzero_ps(); T];
        for b in 0..kb {
            // SAFETY (this block): group gi, block b lie inside the buffers `fill` sized; row
            // r < T ≤ x.tile and block b < kb lie inside `x.qu` and `x.d` (asserted).
            unsafe {
                let wb = ip.w.as_ptr().add((gi * kb + b) * GROUP * BLOCK);
                let mut dots = [_mm256_setzero_si256(); T];
                for gp in 0..4 {
                    let w0 = _mm256_loadu_si256(wb.add(gp * 64) as *const __m256i);
                    let w1 = _mm256_loadu_si256(wb.add(gp * 64 + 32) as *const __m256i);
                    for (r, dot) in dots.iter_mut().enumerate() {
                        let xr = xu.add((r * kb + b) * BLOCK + gp * 8);
                        let a0 = _mm256_set1_epi32((xr as *const i32).read_unaligned());
                        let a1 = _mm256_set1_epi32((xr.add(4) as *const i32).read_unaligned());
                        // |a·w| pair sums ≤ 255·32·2, so two of them still fit 16 bits.
                        let t = _mm256_add_epi16(
                            _mm256_maddubs_epi16(a0, w0),
                            _mm256_maddubs_epi16(a1, w1),
                        );
                        *dot = _mm256_add_epi32(*dot, _mm256_madd_epi16(t, ones));
                    }
                    // A scale covers 32 values (S = 1) or 16 (S = 2): flush after its groups.
                    if gp == 3 || (S == 2 && gp == 1) {
                        let h = if gp == 1 { 0 } else { S - 1 };
                        let at = ((gi * kb + b) * S + h) * GROUP;
                        let scale = _mm256_loadu_ps(ip.scale.as_ptr().add(at));
                        let corr = _mm256_loadu_si256(ip.corr.as_ptr().add(at) as *const __m256i);
                        for (r, (dot, fr)) in dots.iter_mut().zip(f.iter_mut()).enumerate() {
                            let d = _mm256_set1_ps(*xd.add(r * kb + b));
                            let v = _mm256_cvtepi32_ps(_mm256_sub_epi32(*dot, corr));
                            *fr = _mm256_fmadd_ps(v, _mm256_mul_ps(scale, d), *fr);
                            *dot = _mm256_setzero_si256();
                        }
                    }
                }
            }
        }
        let n = (cols - gi * GROUP).min(GROUP);
        for (r, fr) in f.iter().enumerate() {
            let mut lanes = [0f32; GROUP];
            // SAFETY: `lanes` holds 8 floats.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), *fr) };
            acc[r * cols + gi * GROUP..r * cols + gi * GROUP + n].copy_from_slice(&lanes[..n]);
        }
    }
}
