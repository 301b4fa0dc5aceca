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

use super::x86::{block_bytes, lane_sum, Interleaved, AHEAD, BYTE, GROUP, NIBBLE, NIBBLE5, SIX};
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

/// As on the AVX2 path: more weight rows per pass when there are fewer activation rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
unsafe fn by_rows<const P: u8, const S: usize, const H: bool>(
    w: &Panel<'_>,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    unsafe {
        match x.tile {
            1 => panel::<P, S, H, 1, 4>(w, x, acc),
            2 => panel::<P, S, H, 2, 2>(w, x, acc),
            3 => panel::<P, S, H, 3, 1>(w, x, acc),
            _ => panel::<P, S, H, 4, 1>(w, x, acc),
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
unsafe fn panel<const P: u8, const S: usize, const H: bool, const T: usize, const U: usize>(
    w: &Panel<'_>,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let mut c = 0;
    while c + U <= w.cols {
        unsafe { cols::<P, S, H, T, U>(w, c, x, acc) };
        c += U;
    }
    while c < w.cols {
        unsafe { cols::<P, S, H, T, 1>(w, c, x, acc) };
        c += 1;
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

/// Weight rows `c..c + U` of the panel against the `T` activation rows, two blocks per step.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
#[inline]
unsafe fn cols<const P: u8, const S: usize, const H: bool, const T: usize, const U: usize>(
    w: &Panel<'_>,
    c: usize,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let bb = block_bytes(P);
    let kb = x.blocks;
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
    let mut sums = [[_mm512_setzero_ps(); U]; T];
    let mut b = 0;
    while b < kb {
        let two = b + 1 < kb;
        // The activations of blocks b, b + 1 (zeros past the last block), their −off·Σx per
        // lane, and their scales (per 16 values for S = 2).
        let mut xv = [_mm512_setzero_si512(); T];
        let mut neg = [_mm512_setzero_si512(); T];
        let mut xd = [_mm_setzero_ps(); T];
        for r in 0..T {
            // SAFETY: row r < T ≤ x.tile, blocks b (and b + 1 if `two`) < kb (asserted).
            unsafe {
                let at = xp.add((r * kb + b) * BLOCK);
                xv[r] = if two {
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
                xd[r] = if S == 2 {
                    _mm_unpacklo_ps(pair, pair)
                } else {
                    pair
                };
            }
            let z = _mm512_setzero_si512();
            neg[r] = _mm512_sub_epi32(z, _mm512_dpbusd_epi32(z, off, xv[r]));
        }
        let mut wv = [_mm512_setzero_si512(); U];
        let mut ws = [_mm_setzero_ps(); U];
        for (j, (wv, ws)) in wv.iter_mut().zip(ws.iter_mut()).enumerate() {
            // As on the AVX2 path: rows too short for the hardware prefetcher.
            let ahead = ((j + AHEAD * U) * kb + b) * bb;
            _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(ahead) as *const i8);
            _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(ahead + 2 * bb - 1) as *const i8);
            if H {
                _mm_prefetch::<_MM_HINT_T0>(hp.wrapping_add((j + AHEAD * U) * kb + b) as *const i8);
            } else {
                _mm_prefetch::<_MM_HINT_T0>(
                    sp.wrapping_add(((j + AHEAD * U) * kb + b) * S) as *const i8
                );
            }
            // SAFETY: blocks b (and b + 1 if `two`) of weight row c + j lie inside the panel,
            // and so do their scales (f32, or f16 if H: asserted).
            unsafe {
                *ws = if H {
                    let h = hp.add(j * kb + b);
                    let bits = if two {
                        (h as *const u32).read_unaligned()
                    } else {
                        u32::from(*h)
                    };
                    // f16 → f32 is exact: the floats of the f32 form.
                    _mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32))
                } else {
                    let s = sp.add((j * kb + b) * S);
                    match (S, two) {
                        (2, true) => _mm_loadu_ps(s),
                        (2, false) | (_, true) => _mm_castpd_ps(_mm_load_sd(s as *const f64)),
                        _ => _mm_load_ss(s),
                    }
                };
                *wv = unsigned_pair::<P>(wp.add((j * kb + b) * bb), two);
            }
        }
        for (r, row) in sums.iter_mut().enumerate() {
            for (j, sum) in row.iter_mut().enumerate() {
                let dot = _mm512_dpbusd_epi32(neg[r], wv[j], xv[r]);
                let scale =
                    _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_mul_ps(ws[j], xd[r])));
                *sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, *sum);
            }
        }
        b += 2;
    }
    for (r, row) in sums.iter().enumerate() {
        for (j, s) in row.iter().enumerate() {
            // SAFETY: r < x.tile and c + j < w.cols: inside `acc` (asserted).
            unsafe { *acc.as_mut_ptr().add(r * w.cols + c + j) = _mm512_reduce_add_ps(*s) };
        }
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
    unsafe {
        match x.tile {
            1 => super_panel::<P, S, MINS, 1, 4>(w, sup, x, acc),
            2 => super_panel::<P, S, MINS, 2, 2>(w, sup, x, acc),
            3 => super_panel::<P, S, MINS, 3, 1>(w, sup, x, acc),
            _ => super_panel::<P, S, MINS, 4, 1>(w, sup, x, acc),
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
unsafe fn super_panel<
    const P: u8,
    const S: usize,
    const MINS: bool,
    const T: usize,
    const U: usize,
>(
    w: &Panel<'_>,
    sup: &SuperScales<'_>,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let mut c = 0;
    while c + U <= w.cols {
        unsafe { super_cols::<P, S, MINS, T, U>(w, sup, c, x, acc) };
        c += U;
    }
    while c < w.cols {
        unsafe { super_cols::<P, S, MINS, T, 1>(w, sup, c, x, acc) };
        c += 1;
    }
}

/// [`cols`] with the K-quants' scales read in their own form: per super-block (8 blocks) and
/// weight row, `scale = d · s` and `min = off · scale − dmin · m` are computed in registers, as
/// `kernels::expand_super` computes them, and the minimum terms `Σ min · (d · Σq)` are summed in
/// eight lanes, as `kernels::min_terms` sums them, so the outputs are those of the expanded
/// form bit for bit, with no scales written to memory and no second pass.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")]
#[inline]
unsafe fn super_cols<
    const P: u8,
    const S: usize,
    const MINS: bool,
    const T: usize,
    const U: usize,
>(
    w: &Panel<'_>,
    sup: &SuperScales<'_>,
    c: usize,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let bb = block_bytes(P);
    let kb = x.blocks;
    let ksb = kb / SUPER;
    let wp = unsafe { w.data.as_ptr().add(c * kb * bb) };
    let (sp, mp) = (sup.s.as_ptr(), sup.m.as_ptr());
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
    let mut sums = [[_mm512_setzero_ps(); U]; T];
    let mut mins = [[_mm256_setzero_ps(); U]; T];
    for sb in 0..ksb {
        // This super-block's scales (and minimums) per weight row.
        let mut sc = [_mm512_setzero_ps(); U];
        let mut mn = [_mm256_setzero_ps(); U];
        for j in 0..U {
            let row = c + j;
            let ahead = ((row + AHEAD * U) * kb + sb * SUPER) * S;
            _mm_prefetch::<_MM_HINT_T0>(sp.wrapping_add(ahead));
            // SAFETY: super-block sb of row c + j < cols lies inside the panel (asserted).
            unsafe {
                let d = _mm512_set1_ps(*sup.d.as_ptr().add(row * ksb + sb));
                let s = sp.add((row * kb + sb * SUPER) * S);
                let si = if S == 2 {
                    _mm512_cvtepi8_epi32(_mm_loadu_si128(s as *const __m128i))
                } else {
                    _mm512_zextsi256_si512(_mm256_cvtepi8_epi32(_mm_loadl_epi64(
                        s as *const __m128i,
                    )))
                };
                sc[j] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(si));
                if MINS {
                    let at = row * kb + sb * SUPER;
                    _mm_prefetch::<_MM_HINT_T0>(
                        mp.wrapping_add((row + AHEAD * U) * kb + sb * SUPER) as *const i8,
                    );
                    let m = _mm256_cvtepu8_epi32(_mm_loadl_epi64(mp.add(at) as *const __m128i));
                    let dmin = _mm256_set1_ps(*sup.dmin.as_ptr().add(row * ksb + sb));
                    mn[j] = _mm256_sub_ps(
                        _mm256_mul_ps(offf, _mm512_castps512_ps256(sc[j])),
                        _mm256_mul_ps(dmin, _mm256_cvtepi32_ps(m)),
                    );
                }
            }
        }
        // Per activation row: the weight scales times its block scales, and the minimum terms.
        let mut sx = [[_mm512_setzero_ps(); U]; T];
        for r in 0..T {
            // SAFETY: row r < T ≤ x.tile, blocks of super-block sb < kb (asserted).
            unsafe {
                let at = r * kb + sb * SUPER;
                let xd = _mm512_castps256_ps512(_mm256_loadu_ps(dp.add(at)));
                let xd = if S == 2 {
                    _mm512_permutexvar_ps(twice, xd)
                } else {
                    xd
                };
                for j in 0..U {
                    sx[r][j] = _mm512_mul_ps(sc[j], xd);
                }
                if MINS {
                    let s = _mm256_loadu_ps(xs.add(at));
                    for j in 0..U {
                        mins[r][j] = _mm256_add_ps(mins[r][j], _mm256_mul_ps(mn[j], s));
                    }
                }
            }
        }
        for k in 0..SUPER / 2 {
            let b = sb * SUPER + 2 * k;
            let mut xv = [_mm512_setzero_si512(); T];
            let mut neg = [_mm512_setzero_si512(); T];
            for r in 0..T {
                // SAFETY: row r < T ≤ x.tile, blocks b, b + 1 < kb (asserted).
                xv[r] =
                    unsafe { _mm512_loadu_si512(xp.add((r * kb + b) * BLOCK) as *const __m512i) };
                let z = _mm512_setzero_si512();
                neg[r] = _mm512_sub_epi32(z, _mm512_dpbusd_epi32(z, off, xv[r]));
            }
            let mut wv = [_mm512_setzero_si512(); U];
            for (j, wv) in wv.iter_mut().enumerate() {
                let ahead = ((j + AHEAD * U) * kb + b) * bb;
                _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(ahead) as *const i8);
                _mm_prefetch::<_MM_HINT_T0>(wp.wrapping_add(ahead + 2 * bb - 1) as *const i8);
                // SAFETY: blocks b, b + 1 of weight row c + j lie inside the panel.
                *wv = unsafe { unsigned_pair::<P>(wp.add((j * kb + b) * bb), true) };
            }
            let idx = spread(k as i32);
            for (r, row) in sums.iter_mut().enumerate() {
                for (j, sum) in row.iter_mut().enumerate() {
                    let dot = _mm512_dpbusd_epi32(neg[r], wv[j], xv[r]);
                    let scale = _mm512_permutexvar_ps(idx, sx[r][j]);
                    *sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, *sum);
                }
            }
        }
    }
    for r in 0..T {
        for j in 0..U {
            let mut v = _mm512_reduce_add_ps(sums[r][j]);
            if MINS {
                v += lane_sum(mins[r][j]);
            }
            // SAFETY: r < x.tile and c + j < w.cols: inside `acc` (asserted).
            unsafe { *acc.as_mut_ptr().add(r * w.cols + c + j) = v };
        }
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
