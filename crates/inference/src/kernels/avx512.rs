//! AVX-512 (F, BW, VL) + VNNI code path: the streaming kernel (one to four activation rows, the
//! packed weights read once) and the interleaved kernel (prompts, on [`Interleaved`] panels in
//! their wide layout), both on `vpdpbusd`, which multiplies unsigned by signed bytes and adds
//! groups of four into 32-bit lanes in one instruction.
//!
//! Streaming: a register holds two weight blocks (64 values). The weights enter unsigned — the
//! file's own unsigned nibbles for 4-bit formats (`w + 8`), nibble plus fifth bit for 5-bit ones
//! (`w + 16`), `w ^ 0x80` for bytes (`w + 128`) — and the activations signed, so no sign tricks
//! are needed. The offset this adds, `off · Σx` per lane of four, depends only on the activations:
//! it is computed once per activation block and starts each accumulation negated, so every lane
//! ends exactly `Σ w·x` over its four values, as on the AVX2 path.

use super::x86::{
    block_bytes, lane_sum, Interleaved, BYTE, GROUP, NIBBLE, NIBBLE5, PREFETCH_BYTES, SIX,
};
use super::{Packing, Panel, RowTile, SuperScales, BLOCK, SUPER};
use std::arch::x86_64::*;

/// `acc[r · cols + c] = x_r · w_c` for the (≤ 4) activation rows of `x` and every weight row of
/// the panel (without the minimum terms).
pub(crate) fn panel_product(w: &Panel<'_>, x: &RowTile<'_>, acc: &mut [f32]) {
    w.assert_bounds(x, acc);
    // SAFETY: `kernels::isa()` selects this path only after detecting AVX-512 F/BW/VL, VNNI,
    // AVX2 and FMA, and the bounds checked above (`Panel::assert_bounds`) cover every pointer
    // read and write below (the last odd block is read with masked loads).
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

/// One weight row at a time (see `x86::PREFETCH_BYTES`), specialised per tile height.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
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

/// What the unsigned form of a packing adds to each weight.
const fn offset(p: u8) -> i8 {
    match p {
        NIBBLE => 8,
        NIBBLE5 => 16,
        SIX => 32,
        _ => -128, // 0x80
    }
}

/// Weight row `c` of the panel against the `T` activation rows, two blocks per step, the steps
/// summed alternately into two accumulators per activation row (one chain of `fma`s would
/// bound a single activation row's rate by the `fma` latency).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
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
    let off = _mm512_set1_epi8(offset(P));
    // Lane i of a step's float scales: the (weight × activation) scale of lane i's values.
    let spread = if S == 2 {
        _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3)
    } else {
        _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1)
    };
    let mut sums = [[_mm512_setzero_ps(); 2]; T];
    let mut b = 0;
    while b < kb {
        let two = b + 1 < kb;
        // Rows are short and read one after the other: one stream per thread, fetched ahead.
        _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(b * bb + PREFETCH_BYTES) as *const i8);
        if b % SUPER == 0 {
            // 8 blocks' scales: 16 bytes of f16, 32 or 64 of f32.
            if H {
                _mm_prefetch::<_MM_HINT_T0>(hp.wrapping_add(b + ahead) as *const i8);
            } else {
                _mm_prefetch::<_MM_HINT_T0>(sp.wrapping_add((b + ahead) * S) as *const i8);
            }
        }
        // SAFETY: blocks b (and b + 1 if `two`) of weight row c lie inside the panel, and so
        // do their scales (f32, or f16 if H: asserted).
        let (wv, ws) = unsafe {
            let ws = if H {
                let h = hp.add(b);
                let bits = if two {
                    (h as *const u32).read_unaligned()
                } else {
                    u32::from(*h)
                };
                // f16 → f32 is exact: the floats of the f32 form.
                _mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32))
            } else {
                let s = sp.add(b * S);
                match (S, two) {
                    (2, true) => _mm_loadu_ps(s),
                    (2, false) | (_, true) => _mm_castpd_ps(_mm_load_sd(s as *const f64)),
                    _ => _mm_load_ss(s),
                }
            };
            (unsigned_pair::<P>(wp.add(b * bb), two), ws)
        };
        for (r, sum) in sums.iter_mut().enumerate() {
            // The activations of blocks b, b + 1 (zeros past the last block), their −off·Σx
            // per lane, and their scales (per 16 values for S = 2).
            // SAFETY: row r < T ≤ x.tile, blocks b (and b + 1 if `two`) < kb (asserted).
            let (xv, xd) = unsafe {
                let at = xp.add((r * kb + b) * BLOCK);
                let xv = if two {
                    _mm512_loadu_si512(at as *const __m512i)
                } else {
                    _mm512_maskz_loadu_epi8(0xFFFF_FFFF, at)
                };
                let d = dp.add(r * kb + b);
                let pair = if two {
                    _mm_castpd_ps(_mm_load_sd(d as *const f64))
                } else {
                    _mm_load_ss(d)
                };
                let xd = if S == 2 {
                    _mm_unpacklo_ps(pair, pair)
                } else {
                    pair
                };
                (xv, xd)
            };
            let z = _mm512_setzero_si512();
            let neg = _mm512_sub_epi32(z, _mm512_dpbusd_epi32(z, off, xv));
            let dot = _mm512_dpbusd_epi32(neg, wv, xv);
            let scale = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_mul_ps(ws, xd)));
            let s = &mut sum[(b / 2) % 2];
            *s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, *s);
        }
        b += 2;
    }
    for (r, s) in sums.iter().enumerate() {
        // SAFETY: r < x.tile and c < w.cols: inside `acc` (asserted).
        unsafe {
            *acc.as_mut_ptr().add(r * w.cols + c) = _mm512_reduce_add_ps(_mm512_add_ps(s[0], s[1]))
        };
    }
}

/// [`by_rows`] for a panel whose scales are the K-quants' own ([`SuperScales`]).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
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
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
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
    let off = _mm512_set1_epi8(offset(P));
    let offf = _mm256_set1_ps(sup.off);
    // Lane i of step k's float scales, from the super-block's 16 (S = 2: two per block) or 8.
    let spread = |k: i32| {
        if S == 2 {
            let b = 4 * k;
            _mm512_setr_epi32(
                b,
                b,
                b,
                b,
                b + 1,
                b + 1,
                b + 1,
                b + 1,
                b + 2,
                b + 2,
                b + 2,
                b + 2,
                b + 3,
                b + 3,
                b + 3,
                b + 3,
            )
        } else {
            let b = 2 * k;
            _mm512_setr_epi32(
                b,
                b,
                b,
                b,
                b,
                b,
                b,
                b,
                b + 1,
                b + 1,
                b + 1,
                b + 1,
                b + 1,
                b + 1,
                b + 1,
                b + 1,
            )
        }
    };
    let twice = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    let mut sums = [[_mm512_setzero_ps(); 2]; T];
    let mut mins = [_mm256_setzero_ps(); T];
    for sb in 0..ksb {
        let b0 = sb * SUPER;
        _mm_prefetch::<_MM_HINT_T0>(sp.wrapping_add((b0 + ahead) * S));
        if MINS {
            _mm_prefetch::<_MM_HINT_T0>(mp.wrapping_add(b0 + ahead) as *const i8);
        }
        // This super-block's scales (and minimums).
        // SAFETY: super-block sb of row c < cols lies inside the panel (asserted).
        let (sc, mn) = unsafe {
            let d = _mm512_set1_ps(*sup.d.as_ptr().add(c * ksb + sb));
            let s = sp.add(b0 * S);
            let si = if S == 2 {
                _mm512_cvtepi8_epi32(_mm_loadu_si128(s as *const __m128i))
            } else {
                _mm512_zextsi256_si512(_mm256_cvtepi8_epi32(_mm_loadl_epi64(s as *const __m128i)))
            };
            let sc = _mm512_mul_ps(d, _mm512_cvtepi32_ps(si));
            let mut mn = _mm256_setzero_ps();
            if MINS {
                let m = _mm256_cvtepu8_epi32(_mm_loadl_epi64(mp.add(b0) as *const __m128i));
                let dmin = _mm256_set1_ps(*sup.dmin.as_ptr().add(c * ksb + sb));
                mn = _mm256_sub_ps(
                    _mm256_mul_ps(offf, _mm512_castps512_ps256(sc)),
                    _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(m)),
                );
            }
            (sc, mn)
        };
        // Per activation row: the weight scales times its block scales, and the minimum terms.
        let mut sx = [_mm512_setzero_ps(); T];
        for r in 0..T {
            // SAFETY: row r < T ≤ x.tile, blocks of super-block sb < kb (asserted).
            unsafe {
                let at = r * kb + b0;
                let xd = _mm512_castps256_ps512(_mm256_loadu_ps(dp.add(at)));
                let xd = if S == 2 {
                    _mm512_permutexvar_ps(twice, xd)
                } else {
                    xd
                };
                sx[r] = _mm512_mul_ps(sc, xd);
                if MINS {
                    let s = _mm256_loadu_ps(xs.add(at));
                    mins[r] = _mm256_add_ps(mins[r], _mm256_mul_ps(mn, s));
                }
            }
        }
        for k in 0..SUPER / 2 {
            let b = b0 + 2 * k;
            // Rows are short and read one after the other: one stream per thread, fetched ahead.
            _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(b * bb + PREFETCH_BYTES) as *const i8);
            // SAFETY: blocks b, b + 1 of weight row c lie inside the panel (asserted).
            let wv = unsafe { unsigned_pair::<P>(wp.add(b * bb), true) };
            let idx = spread(k as i32);
            for (r, sum) in sums.iter_mut().enumerate() {
                // SAFETY: row r < T ≤ x.tile, blocks b, b + 1 < kb (asserted).
                let xv =
                    unsafe { _mm512_loadu_si512(xp.add((r * kb + b) * BLOCK) as *const __m512i) };
                let z = _mm512_setzero_si512();
                let neg = _mm512_sub_epi32(z, _mm512_dpbusd_epi32(z, off, xv));
                let dot = _mm512_dpbusd_epi32(neg, wv, xv);
                let scale = _mm512_permutexvar_ps(idx, sx[r]);
                // Steps alternate between the two accumulators as in `row` (SUPER / 2 is even).
                let s = &mut sum[k % 2];
                *s = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, *s);
            }
        }
    }
    for r in 0..T {
        let mut v = _mm512_reduce_add_ps(_mm512_add_ps(sums[r][0], sums[r][1]));
        if MINS {
            v += lane_sum(mins[r]);
        }
        // SAFETY: r < x.tile and c < w.cols: inside `acc` (asserted).
        unsafe { *acc.as_mut_ptr().add(r * w.cols + c) = v };
    }
}

/// The 64 weights of the blocks at `p` and `p + block_bytes` (only the first if `!two`; the
/// upper half is then unspecified but finite) as unsigned bytes `w + offset(P)`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
#[inline]
unsafe fn unsigned_pair<const P: u8>(p: *const u8, two: bool) -> __m512i {
    match P {
        BYTE => {
            let v = if two {
                unsafe { _mm512_loadu_si512(p as *const __m512i) }
            } else {
                unsafe { _mm512_maskz_loadu_epi8(0xFFFF_FFFF, p as *const i8) }
            };
            _mm512_xor_si512(v, _mm512_set1_epi8(0x80_u8 as i8))
        }
        NIBBLE => {
            let raw = if two {
                unsafe { _mm256_loadu_si256(p as *const __m256i) }
            } else {
                unsafe { _mm256_maskz_loadu_epi8(0xFFFF, p as *const i8) }
            };
            nibbles_of_two(raw)
        }
        SIX => unsafe {
            // 24-byte blocks: 16 bytes of nibbles, then 8 of high bit pairs.
            let lo = _mm_loadu_si128(p as *const __m128i);
            let h0 = _mm256_set1_epi64x((p.add(16) as *const u64).read_unaligned() as i64);
            let (raw, high) = if two {
                let hi = _mm_loadu_si128(p.add(24) as *const __m128i);
                let h1 = _mm256_set1_epi64x((p.add(40) as *const u64).read_unaligned() as i64);
                (_mm256_set_m128i(hi, lo), (h0, h1))
            } else {
                (_mm256_zextsi128_si256(lo), (h0, h0))
            };
            let high = _mm512_inserti64x4::<1>(
                _mm512_castsi256_si512(super::x86::high_pairs(high.0)),
                super::x86::high_pairs(high.1),
            );
            _mm512_or_si512(nibbles_of_two(raw), high)
        },
        _ => unsafe {
            // 20-byte blocks: the fifth bits (bit j for value j), then 16 bytes of nibbles.
            let lo = _mm_loadu_si128(p.add(4) as *const __m128i);
            let (raw, high) = if two {
                let hi = _mm_loadu_si128(p.add(24) as *const __m128i);
                let high = u64::from((p as *const u32).read_unaligned())
                    | u64::from((p.add(20) as *const u32).read_unaligned()) << 32;
                (_mm256_set_m128i(hi, lo), high)
            } else {
                let high = u64::from((p as *const u32).read_unaligned());
                (_mm256_zextsi128_si256(lo), high)
            };
            let v = nibbles_of_two(raw);
            _mm512_mask_add_epi8(v, high, v, _mm512_set1_epi8(16))
        },
    }
}

/// Two blocks' 16 nibble bytes each (`raw`) as 64 values in block order: per block the low
/// nibbles (values 0..16), then the high ones (16..32).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
#[inline]
fn nibbles_of_two(raw: __m256i) -> __m512i {
    // 128-bit lanes [b0, b0, b1, b1], then the second copy of each shifted down by a nibble.
    let twice = _mm512_permutexvar_epi64(
        _mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3),
        _mm512_castsi256_si512(raw),
    );
    let shifted = _mm512_mask_srli_epi16::<4>(twice, 0xFF00_FF00, twice);
    _mm512_and_si512(shifted, _mm512_set1_epi8(0x0f))
}

/// [`super::x86::interleaved_product`] on a wide [`Interleaved`]: 16 columns per register and
/// `vpdpbusd` in place of `maddubs` + `madd`. The integer sums are exact either way and the
/// float steps are the same, so both paths give the same outputs bit for bit.
pub(crate) fn interleaved_product(ip: &Interleaved, x: &RowTile<'_>, cols: usize, acc: &mut [f32]) {
    assert!(ip.wide);
    assert_eq!(ip.blocks, x.blocks);
    assert!(cols <= ip.groups * GROUP && acc.len() >= x.tile * cols);
    assert!(x.qu.len() >= x.tile * x.blocks * BLOCK && x.d.len() >= x.tile * x.blocks);
    assert!(ip.spb == 1 || ip.spb == 2);
    let pairs = ip.groups.div_ceil(2);
    assert!(ip.w.len() >= pairs * ip.blocks * 2 * GROUP * BLOCK);
    assert!(ip.scale.len() >= pairs * ip.blocks * ip.spb * 2 * GROUP);
    assert!(ip.corr.len() >= pairs * ip.blocks * ip.spb * 2 * GROUP);
    // SAFETY: a wide panel is filled only when `kernels::isa()` is AVX-512 (AVX-512 F/BW/VL,
    // VNNI, AVX2 and FMA detected); the asserts above bound every access.
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

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
unsafe fn interleaved<const S: usize, const T: usize>(
    ip: &Interleaved,
    x: &RowTile<'_>,
    cols: usize,
    acc: &mut [f32],
) {
    const WIDE: usize = 2 * GROUP;
    let kb = x.blocks;
    let (xu, xd) = (x.qu.as_ptr(), x.d.as_ptr());
    for p in 0..ip.groups.div_ceil(2) {
        let mut f = [_mm512_setzero_ps(); T];
        for b in 0..kb {
            // SAFETY (this block): pair p, block b lie inside the buffers (asserted); row
            // r < T ≤ x.tile and block b < kb lie inside `x.qu` and `x.d` (asserted).
            unsafe {
                let wb = ip.w.as_ptr().add((p * kb + b) * WIDE * BLOCK);
                let mut dots = [_mm512_setzero_si512(); T];
                for gp in 0..4 {
                    let w0 = _mm512_loadu_si512(wb.add(gp * 128) as *const __m512i);
                    let w1 = _mm512_loadu_si512(wb.add(gp * 128 + 64) as *const __m512i);
                    for (r, dot) in dots.iter_mut().enumerate() {
                        let xr = xu.add((r * kb + b) * BLOCK + gp * 8);
                        let a0 = _mm512_set1_epi32((xr as *const i32).read_unaligned());
                        let a1 = _mm512_set1_epi32((xr.add(4) as *const i32).read_unaligned());
                        *dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(*dot, a0, w0), a1, w1);
                    }
                    // A scale covers 32 values (S = 1) or 16 (S = 2): flush after its groups.
                    if gp == 3 || (S == 2 && gp == 1) {
                        let h = if gp == 1 { 0 } else { S - 1 };
                        let at = ((p * kb + b) * S + h) * WIDE;
                        let scale = _mm512_loadu_ps(ip.scale.as_ptr().add(at));
                        let corr = _mm512_loadu_si512(ip.corr.as_ptr().add(at) as *const __m512i);
                        for (r, (dot, fr)) in dots.iter_mut().zip(f.iter_mut()).enumerate() {
                            let d = _mm512_set1_ps(*xd.add(r * kb + b));
                            let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(*dot, corr));
                            *fr = _mm512_fmadd_ps(v, _mm512_mul_ps(scale, d), *fr);
                            *dot = _mm512_setzero_si512();
                        }
                    }
                }
            }
        }
        let n = cols.saturating_sub(p * WIDE).min(WIDE);
        for (r, fr) in f.iter().enumerate() {
            let mut lanes = [0f32; WIDE];
            // SAFETY: `lanes` holds 16 floats.
            unsafe { _mm512_storeu_ps(lanes.as_mut_ptr(), *fr) };
            acc[r * cols + p * WIDE..r * cols + p * WIDE + n].copy_from_slice(&lanes[..n]);
        }
    }
}
