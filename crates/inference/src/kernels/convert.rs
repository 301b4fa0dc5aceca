//! File block formats → [`QMatrix`]. Lossless for the quantized formats (the same integers and
//! scales, regrouped per 32 values); f16/f32 matrices are quantized to 8 bits per 32 values.

use super::{Packing, QMatrix, Scales, BLOCK};
use half::f16;

/// Block formats found in GGUF files (ggml type names) and in the E5S1 file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q4K,
    Q5K,
    Q6K,
}

impl SourceFormat {
    /// (values per block, bytes per block)
    pub const fn block_shape(self) -> (usize, usize) {
        match self {
            SourceFormat::F32 => (1, 4),
            SourceFormat::F16 => (1, 2),
            SourceFormat::Q4_0 => (32, 18),
            SourceFormat::Q4_1 => (32, 20),
            SourceFormat::Q5_0 => (32, 22),
            SourceFormat::Q5_1 => (32, 24),
            SourceFormat::Q8_0 => (32, 34),
            SourceFormat::Q4K => (256, 144),
            SourceFormat::Q5K => (256, 176),
            SourceFormat::Q6K => (256, 210),
        }
    }

    /// Bytes of a `[rows, cols]` matrix in this format.
    pub fn bytes_for(self, rows: usize, cols: usize) -> usize {
        let (vals, bytes) = self.block_shape();
        rows * cols / vals * bytes
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConvertError {
    #[error("a {rows}×{cols} matrix: columns must be a multiple of {need} for {format:?}")]
    Shape {
        format: SourceFormat,
        rows: usize,
        cols: usize,
        need: usize,
    },
    #[error("{format:?} {rows}×{cols} needs {need} bytes, got {got}")]
    Length {
        format: SourceFormat,
        rows: usize,
        cols: usize,
        need: usize,
        got: usize,
    },
}

/// A block's leading f16 scale, as bits.
fn f16_bits(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

fn f16_at(b: &[u8], i: usize) -> f32 {
    f16::from_le_bytes([b[i], b[i + 1]]).to_f32()
}

/// Packs 32 values in 0..16 as `Packing::Nibble` (value `j` low, `j + 16` high).
fn pack_nibbles(q: &[u8; BLOCK], out: &mut Vec<u8>) {
    for j in 0..16 {
        out.push((q[j] & 0x0f) | (q[j + 16] << 4));
    }
}

/// The 6-bit scale and min of sub-block `j` of a Q4_K super-block.
fn q4k_scale_min(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4),
            (s[j + 4] >> 4) | ((s[j] >> 6) << 4),
        )
    }
}

impl QMatrix {
    /// Converts a row-major `[rows, cols]` matrix stored in `format`.
    pub fn from_format(
        format: SourceFormat,
        rows: usize,
        cols: usize,
        bytes: &[u8],
    ) -> Result<Self, ConvertError> {
        let (vals, _) = format.block_shape();
        let need_cols = vals.max(BLOCK);
        if !cols.is_multiple_of(need_cols) {
            return Err(ConvertError::Shape {
                format,
                rows,
                cols,
                need: need_cols,
            });
        }
        let need = format.bytes_for(rows, cols);
        if bytes.len() != need {
            return Err(ConvertError::Length {
                format,
                rows,
                cols,
                need,
                got: bytes.len(),
            });
        }
        let nb = rows * cols / BLOCK;
        Ok(match format {
            SourceFormat::Q4_0 => {
                let mut data = Vec::with_capacity(nb * 16);
                let mut scales = Vec::with_capacity(nb);
                for blk in bytes.chunks_exact(18) {
                    scales.push(f16_bits(blk));
                    data.extend_from_slice(&blk[2..18]);
                }
                Self::build(
                    rows,
                    cols,
                    Packing::Nibble,
                    data,
                    Scales::Half { scales },
                    1,
                )
            }
            SourceFormat::Q4_1 => {
                let mut data = Vec::with_capacity(nb * 16);
                let mut scales = Vec::with_capacity(nb);
                let mut mins = Vec::with_capacity(nb);
                for blk in bytes.chunks_exact(20) {
                    let (d, m) = (f16_at(blk, 0), f16_at(blk, 2));
                    scales.push(d);
                    // d·q + m = d·(q − 8) + (8d + m)
                    mins.push(8.0 * d + m);
                    data.extend_from_slice(&blk[4..20]);
                }
                Self::build(
                    rows,
                    cols,
                    Packing::Nibble,
                    data,
                    plain(scales, Some(mins)),
                    1,
                )
            }
            SourceFormat::Q5_1 => {
                let mut data = Vec::with_capacity(nb * 20);
                let mut scales = Vec::with_capacity(nb);
                let mut mins = Vec::with_capacity(nb);
                for blk in bytes.chunks_exact(24) {
                    let (d, m) = (f16_at(blk, 0), f16_at(blk, 2));
                    scales.push(d);
                    mins.push(16.0 * d + m);
                    data.extend_from_slice(&blk[4..24]);
                }
                Self::build(
                    rows,
                    cols,
                    Packing::Nibble5,
                    data,
                    plain(scales, Some(mins)),
                    1,
                )
            }
            SourceFormat::Q5K => {
                let mut data = Vec::with_capacity(nb * 20);
                let mut sup = SuperBuilder::new(nb, 1, 16.0);
                for sb in bytes.chunks_exact(176) {
                    sup.super_block(f16_at(sb, 0), f16_at(sb, 2));
                    let sc = &sb[4..16];
                    let qh = &sb[16..48];
                    let qs = &sb[48..176];
                    for chunk in 0..4 {
                        let q = &qs[chunk * 32..(chunk + 1) * 32];
                        for (half, shift) in [(0usize, 0u8), (1, 4)] {
                            let j = chunk * 2 + half;
                            let (s, m) = q4k_scale_min(j, sc);
                            let mut low = [0u8; BLOCK];
                            let mut high = 0u32;
                            for (l, (v, &b)) in low.iter_mut().zip(q).enumerate() {
                                *v = (b >> shift) & 0x0f;
                                high |= u32::from((qh[l] >> j) & 1) << l;
                            }
                            data.extend_from_slice(&high.to_le_bytes());
                            pack_nibbles(&low, &mut data);
                            sup.block(&[s as i8], Some(m));
                        }
                    }
                }
                Self::build(rows, cols, Packing::Nibble5, data, sup.finish(), 1)
            }
            SourceFormat::Q5_0 => {
                let mut data = Vec::with_capacity(nb * 20);
                let mut scales = Vec::with_capacity(nb);
                for blk in bytes.chunks_exact(22) {
                    scales.push(f16_bits(blk));
                    data.extend_from_slice(&blk[2..22]);
                }
                Self::build(
                    rows,
                    cols,
                    Packing::Nibble5,
                    data,
                    Scales::Half { scales },
                    1,
                )
            }
            SourceFormat::Q8_0 => {
                let mut data = Vec::with_capacity(nb * 32);
                let mut scales = Vec::with_capacity(nb);
                for blk in bytes.chunks_exact(34) {
                    scales.push(f16_bits(blk));
                    data.extend_from_slice(&blk[2..34]);
                }
                Self::build(rows, cols, Packing::Byte, data, Scales::Half { scales }, 1)
            }
            SourceFormat::Q4K => {
                let mut data = Vec::with_capacity(nb * 16);
                // value = scale·q − dmin·m = scale·(q − 8) + (8·scale − dmin·m)
                let mut sup = SuperBuilder::new(nb, 1, 8.0);
                for sb in bytes.chunks_exact(144) {
                    sup.super_block(f16_at(sb, 0), f16_at(sb, 2));
                    let sc = &sb[4..16];
                    let qs = &sb[16..144];
                    for chunk in 0..4 {
                        let q = &qs[chunk * 32..(chunk + 1) * 32];
                        for (half, shift) in [(0usize, 0u8), (1, 4)] {
                            let j = chunk * 2 + half;
                            let (s, m) = q4k_scale_min(j, sc);
                            let mut vals = [0u8; BLOCK];
                            for (v, &b) in vals.iter_mut().zip(q) {
                                *v = (b >> shift) & 0x0f;
                            }
                            pack_nibbles(&vals, &mut data);
                            sup.block(&[s as i8], Some(m));
                        }
                    }
                }
                Self::build(rows, cols, Packing::Nibble, data, sup.finish(), 1)
            }
            SourceFormat::Q6K => {
                let mut data = Vec::with_capacity(nb * 24);
                let mut sup = SuperBuilder::new(nb, 2, 0.0);
                for sb in bytes.chunks_exact(210) {
                    let ql = &sb[0..128];
                    let qh = &sb[128..192];
                    let sc = &sb[192..208];
                    sup.super_block(f16_at(sb, 208), 0.0);
                    // Unsigned 6-bit values (the signed ones plus 32), in order.
                    let mut vals = [0u8; 256];
                    for half in 0..2 {
                        let ql = &ql[half * 64..(half + 1) * 64];
                        let qh = &qh[half * 32..(half + 1) * 32];
                        let y = &mut vals[half * 128..(half + 1) * 128];
                        for l in 0..32 {
                            y[l] = (ql[l] & 0x0f) | ((qh[l] & 3) << 4);
                            y[l + 32] = (ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4);
                            y[l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                            y[l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
                        }
                    }
                    for (blk, sc) in vals.chunks_exact(BLOCK).zip(sc.chunks_exact(2)) {
                        let mut low = [0u8; BLOCK];
                        let mut high = [0u8; 8];
                        for (j, &v) in blk.iter().enumerate() {
                            low[j] = v & 0x0f;
                            high[j % 8] |= (v >> 4) << (2 * (j / 8));
                        }
                        pack_nibbles(&low, &mut data);
                        data.extend_from_slice(&high);
                        sup.block(&[sc[0] as i8, sc[1] as i8], None);
                    }
                }
                Self::build(rows, cols, Packing::Six, data, sup.finish(), 2)
            }
            SourceFormat::F32 | SourceFormat::F16 => {
                let floats: Vec<f32> = if format == SourceFormat::F32 {
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect()
                } else {
                    bytes.chunks_exact(2).map(|c| f16_at(c, 0)).collect()
                };
                Self::from_f32(rows, cols, &floats)
            }
        })
    }

    /// Quantizes a float matrix to 8 bits per value with one scale per 32 values.
    pub fn from_f32(rows: usize, cols: usize, w: &[f32]) -> Self {
        Self::from_f32_grouped(rows, cols, w, BLOCK)
    }

    /// As [`Self::from_f32`] with one scale per 16 values.
    pub fn from_f32_per16(rows: usize, cols: usize, w: &[f32]) -> Self {
        Self::from_f32_grouped(rows, cols, w, 16)
    }

    /// Symmetric 8-bit quantisation with one scale per `group` values (`group` divides
    /// `BLOCK`, so each block holds `BLOCK / group` scales).
    fn from_f32_grouped(rows: usize, cols: usize, w: &[f32], group: usize) -> Self {
        assert_eq!(w.len(), rows * cols, "matrix shape");
        assert!(cols.is_multiple_of(BLOCK), "cols must be a multiple of 32");
        assert!(BLOCK.is_multiple_of(group), "a scale group divides a block");
        let mut data = Vec::with_capacity(w.len());
        let mut scales = Vec::with_capacity(w.len() / group);
        for blk in w.chunks_exact(group) {
            let amax = blk.iter().fold(0f32, |m, v| m.max(v.abs()));
            let d = amax / 127.0;
            let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
            data.extend(
                blk.iter()
                    .map(|&v| ((v * inv).round() as i32).clamp(-127, 127) as i8 as u8),
            );
            scales.push(d);
        }
        Self::build(
            rows,
            cols,
            Packing::Byte,
            data,
            plain(scales, None),
            BLOCK / group,
        )
    }

    /// The same values stored one byte each: twice (4-bit) or 1.6 times (5-bit) the memory. The
    /// models keep the packed form, since a decode step is bound by the bytes it streams, and
    /// [`matmul`](super::matmul) widens a panel at a time when several rows share it.
    pub fn widened(self) -> Self {
        if self.packing == Packing::Byte {
            return self;
        }
        let bb = self.packing.block_bytes();
        let mut data = Vec::with_capacity(self.data.len() / bb * BLOCK);
        let mut q = [0i8; BLOCK];
        for blk in self.data.chunks_exact(bb) {
            super::portable::unpack(self.packing, blk, &mut q);
            data.extend(q.iter().map(|&v| v as u8));
        }
        Self {
            packing: Packing::Byte,
            data,
            ..self
        }
    }

    fn build(
        rows: usize,
        cols: usize,
        packing: Packing,
        data: Vec<u8>,
        scales: Scales,
        scales_per_block: usize,
    ) -> Self {
        debug_assert_eq!(data.len(), rows * cols / BLOCK * packing.block_bytes());
        Self {
            rows,
            cols,
            packing,
            data,
            scales,
            scales_per_block,
            narrow: packing != Packing::Byte,
        }
    }
}

fn plain(scales: Vec<f32>, mins: Option<Vec<f32>>) -> Scales {
    Scales::Plain { scales, mins }
}

/// Collects a K-quant's scales in their own form ([`Scales::Super`]).
struct SuperBuilder {
    d: Vec<f32>,
    dmin: Vec<f32>,
    s: Vec<i8>,
    m: Vec<u8>,
    off: f32,
}

impl SuperBuilder {
    fn new(blocks: usize, scales_per_block: usize, off: f32) -> Self {
        Self {
            d: Vec::with_capacity(blocks / super::SUPER),
            dmin: Vec::with_capacity(blocks / super::SUPER),
            s: Vec::with_capacity(blocks * scales_per_block),
            m: Vec::with_capacity(blocks),
            off,
        }
    }

    fn super_block(&mut self, d: f32, dmin: f32) {
        self.d.push(d);
        self.dmin.push(dmin);
    }

    fn block(&mut self, scales: &[i8], min: Option<u8>) {
        self.s.extend_from_slice(scales);
        self.m.extend(min);
    }

    fn finish(self) -> Scales {
        Scales::Super {
            d: self.d,
            dmin: self.dmin,
            s: self.s,
            m: self.m,
            off: self.off,
        }
    }
}
