//! The portable code path: plain integer loops, for CPUs without AVX2 and as the kernels'
//! executable specification.

use super::{Packing, Panel, RowTile, BLOCK};

/// The 32 signed integers of one weight block.
pub(crate) fn unpack(packing: Packing, blk: &[u8], q: &mut [i8; BLOCK]) {
    match packing {
        Packing::Nibble => {
            for j in 0..16 {
                q[j] = (blk[j] & 0x0f) as i8 - 8;
                q[j + 16] = (blk[j] >> 4) as i8 - 8;
            }
        }
        Packing::Nibble5 => {
            let high = u32::from_le_bytes([blk[0], blk[1], blk[2], blk[3]]);
            let qs = &blk[4..20];
            for j in 0..16 {
                let h0 = (((high >> j) & 1) << 4) as u8;
                let h1 = (((high >> (j + 16)) & 1) << 4) as u8;
                q[j] = ((qs[j] & 0x0f) | h0) as i8 - 16;
                q[j + 16] = ((qs[j] >> 4) | h1) as i8 - 16;
            }
        }
        Packing::Six => {
            for j in 0..16 {
                let h0 = ((blk[16 + j % 8] >> (2 * (j / 8))) & 3) << 4;
                let h1 = ((blk[16 + (j + 16) % 8] >> (2 * ((j + 16) / 8))) & 3) << 4;
                q[j] = ((blk[j] & 0x0f) | h0) as i8 - 32;
                q[j + 16] = ((blk[j] >> 4) | h1) as i8 - 32;
            }
        }
        Packing::Byte => {
            for (d, &s) in q.iter_mut().zip(blk) {
                *d = s as i8;
            }
        }
    }
}

/// Widens packed blocks (`src`, whole blocks of `packing`) to 32 signed bytes each in `dst`.
pub(crate) fn widen_blocks(packing: Packing, src: &[u8], dst: &mut [u8]) {
    let mut q = [0i8; BLOCK];
    for (blk, out) in src
        .chunks_exact(packing.block_bytes())
        .zip(dst.chunks_exact_mut(BLOCK))
    {
        unpack(packing, blk, &mut q);
        for (d, &v) in out.iter_mut().zip(&q) {
            *d = v as u8;
        }
    }
}

/// `acc[r · cols + c] = x_r · w_c` (without the minimum terms).
pub(crate) fn panel_product(w: &Panel<'_>, x: &RowTile<'_>, acc: &mut [f32]) {
    assert!(w.sup.is_none(), "the portable path reads expanded scales");
    let bb = w.packing.block_bytes();
    let spb = w.scales_per_block;
    let per_scale = BLOCK / spb;
    let mut q = [0i8; BLOCK];
    acc.fill(0.0);
    for c in 0..w.cols {
        for b in 0..x.blocks {
            let at = c * x.blocks + b;
            unpack(w.packing, &w.data[at * bb..(at + 1) * bb], &mut q);
            for r in 0..x.tile {
                let xq = &x.qs[(r * x.blocks + b) * BLOCK..(r * x.blocks + b + 1) * BLOCK];
                let mut block = 0f32;
                for s in 0..spb {
                    let part: i32 = q[s * per_scale..(s + 1) * per_scale]
                        .iter()
                        .zip(&xq[s * per_scale..(s + 1) * per_scale])
                        .map(|(&wq, &aq)| i32::from(wq) * i32::from(aq))
                        .sum();
                    block += w.scales[at * spb + s] * part as f32;
                }
                acc[r * w.cols + c] += block * x.d[r * x.blocks + b];
            }
        }
    }
}
