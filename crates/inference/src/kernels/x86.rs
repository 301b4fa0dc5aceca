//! AVX2 + FMA code path. A weight block is unpacked once to 32 signed bytes and multiplied with
//! up to four activation rows: `maddubs(|w|, sign(x, w))` gives pairwise products (|w| ≤ 128 and
//! |x| ≤ 127 cannot saturate 16 bits), `madd` with ones sums them to eight 32-bit lanes of four
//! values each, so a scale per 16 values is just a lane-wise float multiply.

use super::{Packing, Panel, RowTile, BLOCK};
use std::arch::x86_64::*;

// Packings as const parameters, so each inner loop is compiled for one block layout.
const NIBBLE: u8 = 0;
const NIBBLE5: u8 = 1;
const BYTE: u8 = 2;

/// How many groups of weight rows ahead of the one being multiplied are fetched into cache.
const AHEAD: usize = 4;

/// `acc[r · cols + c] = x_r · w_c` for the (≤ 4) activation rows of `x` and every weight row of
/// the panel (without the minimum terms).
pub(crate) fn panel_product(w: &Panel<'_>, x: &RowTile<'_>, acc: &mut [f32]) {
    let bb = w.packing.block_bytes();
    assert_eq!(w.blocks, x.blocks);
    assert!(w.scales_per_block == 1 || (w.scales_per_block == 2 && w.packing == Packing::Byte));
    assert!(w.data.len() >= w.cols * w.blocks * bb);
    assert!(w.scales.len() >= w.cols * w.blocks * w.scales_per_block);
    assert!(x.qs.len() >= x.tile * x.blocks * BLOCK && x.d.len() >= x.tile * x.blocks);
    assert!(acc.len() >= x.tile * w.cols);
    // SAFETY: `kernels::isa()` selects this path only after detecting AVX2 and FMA, and the
    // asserts above bound every pointer read and write below.
    unsafe {
        match (w.packing, w.scales_per_block) {
            (Packing::Nibble, _) => by_rows::<NIBBLE, 1>(w, x, acc),
            (Packing::Nibble5, _) => by_rows::<NIBBLE5, 1>(w, x, acc),
            (Packing::Byte, 1) => by_rows::<BYTE, 1>(w, x, acc),
            (Packing::Byte, _) => by_rows::<BYTE, 2>(w, x, acc),
        }
    }
}

/// Register tiles: more weight rows per pass when there are fewer activation rows, so that
/// there are always four independent accumulators and no spills.
#[target_feature(enable = "avx2,fma")]
unsafe fn by_rows<const P: u8, const S: usize>(w: &Panel<'_>, x: &RowTile<'_>, acc: &mut [f32]) {
    unsafe {
        match x.tile {
            1 => panel::<P, S, 1, 4>(w, x, acc),
            2 => panel::<P, S, 2, 2>(w, x, acc),
            3 => panel::<P, S, 3, 1>(w, x, acc),
            _ => panel::<P, S, 4, 1>(w, x, acc),
        }
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn panel<const P: u8, const S: usize, const T: usize, const U: usize>(
    w: &Panel<'_>,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let mut c = 0;
    while c + U <= w.cols {
        unsafe { cols::<P, S, T, U>(w, c, x, acc) };
        c += U;
    }
    while c < w.cols {
        unsafe { cols::<P, S, T, 1>(w, c, x, acc) };
        c += 1;
    }
}

/// Weight rows `c..c + U` of the panel against the `T` activation rows.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn cols<const P: u8, const S: usize, const T: usize, const U: usize>(
    w: &Panel<'_>,
    c: usize,
    x: &RowTile<'_>,
    acc: &mut [f32],
) {
    let bb = block_bytes(P);
    let kb = x.blocks;
    let wp = unsafe { w.data.as_ptr().add(c * kb * bb) };
    let sp = unsafe { w.scales.as_ptr().add(c * kb * S) };
    let (xp, dp) = (x.qs.as_ptr(), x.d.as_ptr());
    let ones = _mm256_set1_epi16(1);
    let mut sums = [[_mm256_setzero_ps(); U]; T];
    for b in 0..kb {
        let mut wq = [_mm256_setzero_si256(); U];
        let mut wabs = [_mm256_setzero_si256(); U];
        let mut scale = [_mm256_setzero_ps(); U];
        for j in 0..U {
            // Rows are short (a few hundred bytes) and read U at a time, too short for the
            // hardware prefetcher to follow; a decode step is bound by this stream.
            _mm_prefetch::<_MM_HINT_T0>(
                wp.wrapping_add(((j + AHEAD * U) * kb + b) * bb) as *const i8
            );
            _mm_prefetch::<_MM_HINT_T0>(
                sp.wrapping_add(((j + AHEAD * U) * kb + b) * S) as *const i8
            );
            // SAFETY: block b of weight row c + j lies inside the panel (asserted).
            unsafe {
                wq[j] = unpack::<P>(wp.add((j * kb + b) * bb));
                let s = sp.add((j * kb + b) * S);
                scale[j] = if S == 2 {
                    _mm256_setr_m128(_mm_set1_ps(*s), _mm_set1_ps(*s.add(1)))
                } else {
                    _mm256_set1_ps(*s)
                };
            }
            wabs[j] = _mm256_sign_epi8(wq[j], wq[j]);
        }
        for (r, row) in sums.iter_mut().enumerate() {
            // SAFETY: row r < T ≤ x.tile and block b < kb: inside `x.qs` and `x.d` (asserted).
            let (a, da) = unsafe {
                (
                    _mm256_loadu_si256(xp.add((r * kb + b) * BLOCK) as *const __m256i),
                    _mm256_set1_ps(*dp.add(r * kb + b)),
                )
            };
            for (j, sum) in row.iter_mut().enumerate() {
                let p = _mm256_maddubs_epi16(wabs[j], _mm256_sign_epi8(a, wq[j]));
                let s = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
                *sum = _mm256_fmadd_ps(s, _mm256_mul_ps(scale[j], da), *sum);
            }
        }
    }
    for (r, row) in sums.iter().enumerate() {
        for (j, s) in row.iter().enumerate() {
            // SAFETY: r < x.tile and c + j < w.cols: inside `acc` (asserted).
            unsafe { *acc.as_mut_ptr().add(r * w.cols + c + j) = hsum(*s) };
        }
    }
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
            Packing::Byte => dst[..src.len()].copy_from_slice(src),
        }
    }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn widen<const P: u8>(src: &[u8], dst: &mut [u8]) {
    let bb = block_bytes(P);
    for (b, blk) in src.chunks_exact(bb).enumerate() {
        unsafe {
            let v = unpack::<P>(blk.as_ptr());
            _mm256_storeu_si256(dst.as_mut_ptr().add(b * BLOCK) as *mut __m256i, v);
        }
    }
}

const fn block_bytes(p: u8) -> usize {
    match p {
        NIBBLE => Packing::Nibble.block_bytes(),
        NIBBLE5 => Packing::Nibble5.block_bytes(),
        _ => Packing::Byte.block_bytes(),
    }
}

/// 32 signed bytes of the block at `p`.
#[target_feature(enable = "avx2,fma")]
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

/// Low nibbles of the 16 bytes in the lower half, high nibbles in the upper half.
#[target_feature(enable = "avx2,fma")]
fn nibbles(raw: __m128i, low4: __m128i) -> __m256i {
    let lo = _mm_and_si128(raw, low4);
    let hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low4);
    _mm256_set_m128i(hi, lo)
}

#[target_feature(enable = "avx2,fma")]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s)
}
