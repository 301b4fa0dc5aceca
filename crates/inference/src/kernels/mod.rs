//! Quantized matrix multiplication for CPU inference: `y = x · Wᵀ` with `W` kept in (close to)
//! its file's block format and `x` quantized on the fly to 8 bits per 32-value block.
//!
//! Every supported file format (GGUF Q4_0, Q5_0, Q8_0, Q4_K, Q6_K; the E5S1 file's Q4_0) becomes
//! one [`QMatrix`]: rows of 32-value blocks of small signed integers with a scale per block (or per
//! 16 values), plus, for formats with a per-block minimum (Q4_K), an additive term per block. So a
//! single integer dot-product loop serves them all, and one block of weights is unpacked once and
//! used for up to [`ROW_TILE`] activation rows (prompt processing and embedding batches).
//!
//! Code paths are chosen at run time: AVX-512 (F, BW, VL) with VNNI where the CPU has them, else
//! AVX2+FMA, else a portable loop, so one binary runs on every x86-64 CPU (slower without AVX2).
//! `FRONTDESK_KERNELS_ISA=portable|avx2|avx512` picks a lower path than the CPU's best (tests and
//! comparisons). Work is split over output rows on rayon's pool.

/// `$vis fn $name(args)` running `$body_fn(args)` compiled for AVX2+FMA when [`isa`] says the
/// CPU has them, and for the baseline otherwise (`$body_fn` must be `#[inline(always)]`). The same
/// arithmetic either way: Rust never fuses a multiply and an add on its own.
macro_rules! avx2_when_available {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $body_fn:path) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide($($arg: $ty),*) {
                    $body_fn($($arg),*)
                }
                // AVX-512 CPUs run the AVX2 build of these f32 loops: they are short and
                // memory-bound, and one compiled variant fewer keeps the binary small.
                if $crate::kernels::isa() >= $crate::kernels::Isa::Avx2 {
                    // SAFETY: `isa()` reports AVX2 or more only after detecting AVX2 and FMA.
                    return unsafe { wide($($arg),*) };
                }
            }
            $body_fn($($arg),*)
        }
    };
}

pub mod attention;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod convert;
mod pointwise;
mod portable;
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(test)]
mod tests;

pub use convert::{ConvertError, SourceFormat};
pub use pointwise::{axpy, gelu_erf, silu, softmax_in_place};

use rayon::prelude::*;
use std::sync::OnceLock;

/// Values per block, for weights and activations alike.
pub const BLOCK: usize = 32;
/// Activation rows that share one unpacked weight block.
pub const ROW_TILE: usize = 4;
/// Output rows handed to one rayon task.
const COLS_PER_TASK: usize = 16;

/// How the integers of a weight block are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// 16 bytes: value `j` is the low nibble of byte `j`, value `j + 16` the high one; minus 8.
    Nibble,
    /// 20 bytes: 4 bytes of fifth bits (bit `j` for value `j`), then 16 bytes as `Nibble`; minus 16.
    Nibble5,
    /// 24 bytes (Q6_K's 6 bits, not widened to a byte): 16 bytes as `Nibble`, then 8 bytes of the
    /// two high bits, value `j`'s at bit `2 · (j / 8)` of byte `j % 8` (so that one 64-bit
    /// broadcast and one variable shift per 64-bit lane line them up); minus 32.
    Six,
    /// 32 signed bytes.
    Byte,
}

impl Packing {
    pub const fn block_bytes(self) -> usize {
        match self {
            Packing::Nibble => 16,
            Packing::Nibble5 => 20,
            Packing::Six => 24,
            Packing::Byte => 32,
        }
    }
}

/// How a matrix's scales (and per-block minimums) are held.
#[derive(Debug, Clone)]
enum Scales {
    /// One f32 per scale and per minimum.
    Plain {
        scales: Vec<f32>,
        mins: Option<Vec<f32>>,
    },
    /// One scale per block as the file holds it, f16 bits (Q4_0, Q5_0, Q8_0): exact in f32, and
    /// half the bytes of `Plain` (24 → 22 bytes per 32 weights for Q5_0, 36 → 34 for Q8_0). The
    /// streaming kernels convert them as they read them; other paths get a panel's f32 scales
    /// expanded into a buffer of their thread.
    Half { scales: Vec<u16> },
    /// The K-quants' own form, about 2.5 bytes per 32 values rather than 8: per super-block
    /// of [`SUPER`] blocks a scale `d` and a minimum scale `dmin`; per scale a small integer,
    /// `scale = d · s`; per block a small integer, `min = off · scale − dmin · m`. A decode step
    /// streams every weight once, so these bytes are time; the kernels get the f32 scales of a
    /// panel expanded into a buffer of their thread ([`QMatrix::panel`]), computed as the plain
    /// form computes them at load, so both give the same floats.
    Super {
        d: Vec<f32>,
        dmin: Vec<f32>,
        s: Vec<i8>,
        /// Empty for formats without minimums (Q6_K).
        m: Vec<u8>,
        off: f32,
    },
}

/// Blocks per K-quant super-block (256 values).
const SUPER: usize = 8;

/// f32 scales and minimums expanded from [`Scales::Super`] or [`Scales::Half`].
#[derive(Default)]
struct ScaleBuf {
    scales: Vec<f32>,
    mins: Vec<f32>,
}

/// A weight matrix `[rows, cols]` (each row is one output), `cols` a multiple of [`BLOCK`].
#[derive(Debug, Clone)]
pub struct QMatrix {
    rows: usize,
    cols: usize,
    packing: Packing,
    /// Row-major blocks, `packing.block_bytes()` each.
    data: Vec<u8>,
    /// `scales_per_block` scales per block (2: one per 16 values), row-major, and optionally
    /// per block a minimum: `value = scale · q + min` adds `min · Σx` over the block.
    scales: Scales,
    scales_per_block: usize,
    /// Every integer is within ±32, so products with unsigned activations fit 16 bits (see
    /// `x86::Interleaved`): all formats of 6 bits or fewer.
    narrow: bool,
}

impl QMatrix {
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn packing(&self) -> Packing {
        self.packing
    }

    /// Bytes held (weights, scales and mins).
    pub fn size_bytes(&self) -> usize {
        self.data.len()
            + match &self.scales {
                Scales::Plain { scales, mins } => {
                    4 * scales.len() + mins.as_ref().map_or(0, |m| 4 * m.len())
                }
                Scales::Half { scales } => 2 * scales.len(),
                Scales::Super { d, dmin, s, m, .. } => {
                    4 * (d.len() + dmin.len()) + s.len() + m.len()
                }
            }
    }

    fn blocks_per_row(&self) -> usize {
        self.cols / BLOCK
    }

    /// Weight rows `n0..n0 + cols`, the scales of compact formats expanded into `buf`.
    fn panel<'a>(&'a self, n0: usize, cols: usize, buf: &'a mut ScaleBuf) -> Panel<'a> {
        let kb = self.blocks_per_row();
        let bb = self.packing.block_bytes();
        let spb = self.scales_per_block;
        let (b0, nb) = (n0 * kb, cols * kb);
        let (scales, mins) = match &self.scales {
            Scales::Plain { scales, mins } => (
                &scales[b0 * spb..(b0 + nb) * spb],
                mins.as_ref().map(|m| &m[b0..b0 + nb]),
            ),
            Scales::Half { scales } => {
                buf.scales.clear();
                buf.scales.extend(
                    scales[b0..b0 + nb]
                        .iter()
                        .map(|&h| half::f16::from_bits(h).to_f32()),
                );
                (&buf.scales[..], None)
            }
            Scales::Super { d, dmin, s, m, off } => {
                // Rows are whole super-blocks (the K-quants need 256 columns).
                let supers = b0 / SUPER..(b0 + nb) / SUPER;
                buf.scales.resize(nb * spb, 0.0);
                buf.mins.resize(if m.is_empty() { 0 } else { nb }, 0.0);
                expand_super(
                    &d[supers.clone()],
                    &dmin[supers],
                    &s[b0 * spb..(b0 + nb) * spb],
                    if m.is_empty() { &[] } else { &m[b0..b0 + nb] },
                    *off,
                    &mut buf.scales,
                    &mut buf.mins,
                );
                let mins = (!m.is_empty()).then_some(&buf.mins[..]);
                (&buf.scales[..], mins)
            }
        };
        Panel {
            packing: self.packing,
            narrow: self.narrow,
            scales_per_block: spb,
            data: &self.data[b0 * bb..(b0 + nb) * bb],
            scales,
            mins,
            sup: None,
            half: None,
            cols,
            blocks: kb,
        }
    }

    /// Weight rows `n0..n0 + cols` with the K-quants' scales left in their own form, or f16
    /// scales as f16, for the streaming kernels, which expand them as they go (`None` for
    /// other formats).
    #[cfg(target_arch = "x86_64")]
    fn compact_panel(&self, n0: usize, cols: usize) -> Option<Panel<'_>> {
        let kb = self.blocks_per_row();
        let bb = self.packing.block_bytes();
        let spb = self.scales_per_block;
        let (b0, nb) = (n0 * kb, cols * kb);
        let (sup, half) = match &self.scales {
            Scales::Super { d, dmin, s, m, off } => {
                let supers = b0 / SUPER..(b0 + nb) / SUPER;
                let sup = SuperScales {
                    d: &d[supers.clone()],
                    dmin: &dmin[supers],
                    s: &s[b0 * spb..(b0 + nb) * spb],
                    m: if m.is_empty() { &[] } else { &m[b0..b0 + nb] },
                    off: *off,
                };
                (Some(sup), None)
            }
            Scales::Half { scales } => (None, Some(&scales[b0..b0 + nb])),
            Scales::Plain { .. } => return None,
        };
        Some(Panel {
            packing: self.packing,
            narrow: self.narrow,
            scales_per_block: spb,
            data: &self.data[b0 * bb..(b0 + nb) * bb],
            scales: &[],
            mins: None,
            sup,
            half,
            cols,
            blocks: kb,
        })
    }

    /// Row `r` as f32 (the reference the kernels are tested against; also embedding lookups).
    pub fn dequantize_row_into(&self, r: usize, out: &mut [f32]) {
        let mut buf = ScaleBuf::default();
        let row = self.panel(r, 1, &mut buf);
        let bb = self.packing.block_bytes();
        let spb = self.scales_per_block;
        let mut q = [0i8; BLOCK];
        for b in 0..self.blocks_per_row() {
            portable::unpack(self.packing, &row.data[b * bb..(b + 1) * bb], &mut q);
            let min = row.mins.map_or(0.0, |m| m[b]);
            for (j, (&v, o)) in q
                .iter()
                .zip(&mut out[b * BLOCK..(b + 1) * BLOCK])
                .enumerate()
            {
                let s = row.scales[b * spb + j * spb / BLOCK];
                *o = s * f32::from(v) + min;
            }
        }
    }

    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * self.cols];
        for (r, row) in out.chunks_exact_mut(self.cols).enumerate() {
            self.dequantize_row_into(r, row);
        }
        out
    }
}

/// Activations `[rows, cols]` quantized per 32 values: `x ≈ d · q`, with `d · Σq` kept per block.
/// The integer loop is NaN-blind; a NaN activation (a broken model) comes out as a zero.
#[derive(Debug, Default, Clone)]
pub struct QuantizedRows {
    rows: usize,
    cols: usize,
    qs: Vec<i8>,
    /// `qs + 128`, for products whose other factor is signed.
    qu: Vec<u8>,
    d: Vec<f32>,
    sums: Vec<f32>,
}

impl QuantizedRows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Quantizes `x` (`rows × cols`, row-major) in place of what this buffer held.
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
        assert_eq!(x.len(), rows * cols, "activation shape");
        assert!(cols.is_multiple_of(BLOCK), "cols must be a multiple of 32");
        let nb = rows * cols / BLOCK;
        self.rows = rows;
        self.cols = cols;
        self.qs.resize(rows * cols, 0);
        self.qu.resize(rows * cols, 0);
        self.d.resize(nb, 0.0);
        self.sums.resize(nb, 0.0);
        // Prompts spread the work over the pool; a decode step's row is too short to split.
        const BLOCKS_PER_TASK: usize = 64;
        if nb >= 4 * BLOCKS_PER_TASK {
            let n = BLOCKS_PER_TASK * BLOCK;
            x.par_chunks(n)
                .zip(self.qs.par_chunks_mut(n))
                .zip(self.qu.par_chunks_mut(n))
                .zip(self.d.par_chunks_mut(BLOCKS_PER_TASK))
                .zip(self.sums.par_chunks_mut(BLOCKS_PER_TASK))
                .for_each(|((((x, qs), qu), d), sums)| quantize_blocks(x, qs, qu, d, sums));
        } else {
            quantize_blocks(x, &mut self.qs, &mut self.qu, &mut self.d, &mut self.sums);
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }
}

avx2_when_available! {
    /// Per 32 values of `x`: `q = round(x / d)` with `d = max|x| / 127`, `q + 128`, and `d · Σq`.
    fn quantize_blocks(x: &[f32], qs: &mut [i8], qu: &mut [u8], d: &mut [f32], sums: &mut [f32]) => quantize_blocks_loop
}

#[inline(always)]
fn quantize_blocks_loop(x: &[f32], qs: &mut [i8], qu: &mut [u8], d: &mut [f32], sums: &mut [f32]) {
    for (((xb, qb), ub), (d, sum)) in x
        .chunks_exact(BLOCK)
        .zip(qs.chunks_exact_mut(BLOCK))
        .zip(qu.chunks_exact_mut(BLOCK))
        .zip(d.iter_mut().zip(sums.iter_mut()))
    {
        // Eight running maxima rather than one: a single chain of `max` stays scalar (the
        // compiler may not reorder it), eight independent lanes become one vector.
        let mut lanes = [0f32; 8];
        for part in xb.chunks_exact(8) {
            for (m, v) in lanes.iter_mut().zip(part) {
                *m = m.max(v.abs());
            }
        }
        let amax = lanes.iter().fold(0f32, |m, &v| m.max(v));
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut s = 0i32;
        for ((q, u), &v) in qb.iter_mut().zip(ub.iter_mut()).zip(xb) {
            let r = (v * inv).round() as i32;
            let r = r.clamp(-127, 127);
            *q = r as i8;
            *u = (r + 128) as u8;
            s += r;
        }
        // The scale is kept at f16 precision, as ggml's Q8_0 activations do, so products with
        // Q8_0/Q5_0/Q4_0 weights agree with ggml and candle up to summation order.
        let stored = half::f16::from_f32(scale).to_f32();
        *d = stored;
        *sum = stored * s as f32;
    }
}

avx2_when_available! {
    /// A panel's f32 scales and minimums from [`Scales::Super`]: `scale = d · s` and, where
    /// there are minimums (`m` not empty), `min = off · scale − dmin · m`, per super-block.
    fn expand_super(
        d: &[f32],
        dmin: &[f32],
        s: &[i8],
        m: &[u8],
        off: f32,
        scales: &mut [f32],
        mins: &mut [f32],
    ) => expand_super_loop
}

#[inline(always)]
fn expand_super_loop(
    d: &[f32],
    dmin: &[f32],
    s: &[i8],
    m: &[u8],
    off: f32,
    scales: &mut [f32],
    mins: &mut [f32],
) {
    // Fixed-size chunks, so each super-block is one unrolled vector step: this runs for every
    // panel of a decode step, next to a kernel that reads 19 bytes per block.
    if s.len() == 2 * SUPER * d.len() {
        expand_scales::<{ 2 * SUPER }>(d, s, scales);
    } else {
        expand_scales::<SUPER>(d, s, scales);
    }
    if m.is_empty() {
        return;
    }
    let (scales, _) = scales.as_chunks::<SUPER>();
    let (m, _) = m.as_chunks::<SUPER>();
    let (out, _) = mins.as_chunks_mut::<SUPER>();
    for (((o, m), sc), &dm) in out.iter_mut().zip(m).zip(scales).zip(dmin) {
        for j in 0..SUPER {
            o[j] = off * sc[j] - dm * f32::from(m[j]);
        }
    }
}

#[inline(always)]
fn expand_scales<const N: usize>(d: &[f32], s: &[i8], scales: &mut [f32]) {
    let (out, _) = scales.as_chunks_mut::<N>();
    let (s, _) = s.as_chunks::<N>();
    for ((o, s), &d) in out.iter_mut().zip(s).zip(d) {
        for j in 0..N {
            o[j] = d * f32::from(s[j]);
        }
    }
}

/// Sizes the pool the kernels run on; the first call wins (models share the cores, so one pool
/// of `threads` is what keeps them from oversubscribing a small machine).
pub fn set_threads(threads: usize) {
    let _ = POOL.set(build_pool(threads));
}

static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

fn build_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("frontdesk-kernels-{i}"))
        .build()
        .expect("spawn the kernels' threads")
}

fn pool() -> &'static rayon::ThreadPool {
    POOL.get_or_init(|| {
        build_pool(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
    })
}

/// Runs `f` on the kernels' pool. A whole forward pass runs this way, so the products inside it
/// split work from a pool thread (the caller takes part) instead of handing every one of the
/// hundreds of products per token to the pool and sleeping until it is done.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    pool().install(f)
}

/// A code path, ordered: each one's CPU features include the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    Portable,
    /// AVX2, FMA and F16C.
    Avx2,
    /// AVX-512 F, BW and VL with VNNI (`vpdpbusd`), on top of AVX2, FMA and F16C.
    Avx512,
}

impl Isa {
    /// The name `FRONTDESK_KERNELS_ISA` and `FRONTDESK_EXPECT_ISA` use.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Isa::Portable, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .find(|i| i.name() == name)
    }
}

/// The best code path this CPU has.
pub fn detected_isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        // F16C (f16 scales) came before AVX2 on every CPU that has both.
        let avx2 = has!("avx2") && has!("fma") && has!("f16c");
        if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vl") && has!("avx512vnni") {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// The code path the kernels run (decided once): the CPU's best, or the lower one
/// `FRONTDESK_KERNELS_ISA` names. A path the CPU lacks cannot be forced; it falls back to the
/// CPU's best with a warning, and `FRONTDESK_EXPECT_ISA` in the tests catches that.
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        let best = detected_isa();
        let Ok(asked) = std::env::var("FRONTDESK_KERNELS_ISA") else {
            return best;
        };
        match Isa::from_name(asked.trim()) {
            Some(want) if want <= best => want,
            Some(want) => {
                tracing::warn!(
                    "FRONTDESK_KERNELS_ISA={}: this CPU lacks it; running {}",
                    want.name(),
                    best.name()
                );
                best
            }
            None => {
                tracing::warn!(
                    "FRONTDESK_KERNELS_ISA={asked}: expected portable, avx2 or avx512; running {}",
                    best.name()
                );
                best
            }
        }
    })
}

/// `y[m, n] = Σ_k x[m, k] · w[n, k]` for all `m < x.rows()`, `n < w.rows()`; `y` is row-major
/// `[x.rows(), w.rows()]` and is overwritten.
pub fn matmul(x: &QuantizedRows, w: &QMatrix, y: &mut Vec<f32>) {
    matmul_with(isa(), x, w, y);
}

/// [`matmul`] on a chosen code path, at most [`isa`] (tests run every path the CPU has).
pub fn matmul_with(isa: Isa, x: &QuantizedRows, w: &QMatrix, y: &mut Vec<f32>) {
    matmul_folding(isa, x, w, y, true);
}

/// [`matmul_with`], where `fold` says whether the streaming kernels read compact scales (the
/// K-quants' own form, f16) themselves: always, but in the tests that compare this with the
/// products of the expanded scales, which must be the same bit for bit.
fn matmul_folding(isa: Isa, x: &QuantizedRows, w: &QMatrix, y: &mut Vec<f32>, fold: bool) {
    assert!(isa <= self::isa(), "{isa:?} is not available here");
    assert_eq!(x.cols, w.cols, "inner dimensions differ");
    let (m, n) = (x.rows, w.rows);
    // Every element is written below; zeroing a prompt's output first was a serial memset.
    y.resize(m * n, 0.0);
    if m == 0 || n == 0 {
        return;
    }
    let out = OutPtr(y.as_mut_ptr());
    let tasks = n.div_ceil(COLS_PER_TASK);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = fold;
    install(|| {
        (0..tasks).into_par_iter().for_each(|t| {
            let (n0, cols) = task_columns(t, n);
            // One row tile streams the packed weights; the x86 kernels read the K-quants'
            // scales and minimums in their own form, and f16 scales as f16, in one pass,
            // nothing expanded to memory.
            #[cfg(target_arch = "x86_64")]
            if fold && isa >= Isa::Avx2 && m <= ROW_TILE {
                if let Some(packed) = w.compact_panel(n0, cols) {
                    panel_rows(x, &packed, out, n, n0, |tile, acc| {
                        tile_product(isa, &packed, tile, acc)
                    });
                    return;
                }
            }
            SCALES.with_borrow_mut(|buf| {
                let packed = w.panel(n0, cols, buf);
                // Several row tiles reuse the panel: unpack it once to bytes (it stays in L2) rather
                // than once per tile. A single row streams the packed form: fewer bytes to read.
                #[cfg(target_arch = "x86_64")]
                if isa >= Isa::Avx2 && m > ROW_TILE && packed.narrow {
                    INTERLEAVED.with_borrow_mut(|ip| {
                        ip.fill(&packed, isa == Isa::Avx512);
                        panel_rows(x, &packed, out, n, n0, |tile, acc| {
                            x86::interleaved_product(ip, tile, cols, acc)
                        });
                    });
                    return;
                }
                if m > ROW_TILE && packed.packing != Packing::Byte {
                    UNPACKED.with_borrow_mut(|buf| {
                        let widened = packed.unpacked_into(isa, buf);
                        panel_rows(x, &widened, out, n, n0, |tile, acc| {
                            tile_product(isa, &widened, tile, acc)
                        });
                    });
                } else {
                    panel_rows(x, &packed, out, n, n0, |tile, acc| {
                        tile_product(isa, &packed, tile, acc)
                    });
                }
            })
        })
    });
}

/// Output rows `n0..n0 + cols` of task `t` in a product with `n` outputs: (`n0`, `cols`).
fn task_columns(t: usize, n: usize) -> (usize, usize) {
    let n0 = t * COLS_PER_TASK;
    (n0, (n0 + COLS_PER_TASK).min(n) - n0)
}

/// A matrix whose multi-row panels are re-laid once, when it is loaded, instead of at every
/// product. For a small model run on short inputs (e5 on one sentence: ~15 rows per product) the
/// per-product re-lay was a tenth of the work; it costs 40 bytes per 32 weights beside the packed
/// matrix, so it is for small models only (the chat model keeps the per-task re-lay).
pub struct PreparedMatrix {
    matrix: QMatrix,
    /// One re-laid panel per task of [`COLS_PER_TASK`] outputs; empty where the interleaved
    /// kernel does not apply (no AVX2, or weights wider than ±32).
    #[cfg(target_arch = "x86_64")]
    interleaved: Vec<x86::Interleaved>,
}

impl PreparedMatrix {
    pub fn new(matrix: QMatrix) -> Self {
        #[cfg(target_arch = "x86_64")]
        let interleaved = if prepares(isa(), &matrix) {
            (0..matrix.rows.div_ceil(COLS_PER_TASK))
                .map(|t| {
                    let (n0, cols) = task_columns(t, matrix.rows);
                    let mut ip = x86::Interleaved::default();
                    let mut buf = ScaleBuf::default();
                    ip.fill(&matrix.panel(n0, cols, &mut buf), isa() == Isa::Avx512);
                    ip
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            matrix,
            #[cfg(target_arch = "x86_64")]
            interleaved,
        }
    }

    /// The weights as floats `[rows, cols]` (a layer about to be fine-tuned).
    pub fn dequantize(&self) -> Vec<f32> {
        self.matrix.dequantize()
    }

    /// Whether multi-row products use panels re-laid at load.
    pub fn is_prepared(&self) -> bool {
        #[cfg(target_arch = "x86_64")]
        return !self.interleaved.is_empty();
        #[cfg(not(target_arch = "x86_64"))]
        false
    }
}

/// Whether [`PreparedMatrix`] re-lays `matrix` for the interleaved kernel on `isa`. AVX2's
/// `maddubs` sums pairs of products in 16 bits, so it needs integers within ±32; AVX-512's
/// `vpdpbusd` sums in 32 bits, so 8-bit weights (MiniLM's) are prepared there too.
fn prepares(isa: Isa, matrix: &QMatrix) -> bool {
    isa == Isa::Avx512 || (isa == Isa::Avx2 && matrix.narrow)
}

/// [`matmul`] with a [`PreparedMatrix`]: the same kernels and the same results (for 8-bit
/// weights on AVX-512, the same up to the order of the float sums), without the re-lay of the
/// panels.
pub fn matmul_prepared(x: &QuantizedRows, w: &PreparedMatrix, y: &mut Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    if x.rows > ROW_TILE && w.is_prepared() {
        assert_eq!(x.cols, w.matrix.cols, "inner dimensions differ");
        let (m, n) = (x.rows, w.matrix.rows);
        y.resize(m * n, 0.0);
        let out = OutPtr(y.as_mut_ptr());
        install(|| {
            w.interleaved.par_iter().enumerate().for_each(|(t, ip)| {
                let (n0, cols) = task_columns(t, n);
                SCALES.with_borrow_mut(|buf| {
                    let packed = w.matrix.panel(n0, cols, buf);
                    panel_rows(x, &packed, out, n, n0, |tile, acc| {
                        x86::interleaved_product(ip, tile, cols, acc)
                    });
                });
            })
        });
        return;
    }
    matmul(x, &w.matrix, y);
}

/// `acc = x · panelᵀ` for one row tile, on the plain (not interleaved) kernels.
fn tile_product(isa: Isa, panel: &Panel<'_>, tile: &RowTile<'_>, acc: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86::panel_product(panel, tile, acc),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => avx512::panel_product(panel, tile, acc),
        _ => portable::panel_product(panel, tile, acc),
    }
}

/// All rows of `x` against one panel (output columns `n0..n0 + panel.cols` of the `n`), one
/// tile of rows at a time through `product` (which leaves out the minimum terms).
fn panel_rows(
    x: &QuantizedRows,
    panel: &Panel<'_>,
    out: OutPtr,
    n: usize,
    n0: usize,
    product: impl Fn(&RowTile<'_>, &mut [f32]),
) {
    let (m, cols) = (x.rows, panel.cols);
    let mut local = [0f32; ROW_TILE * COLS_PER_TASK];
    let mut r0 = 0;
    while r0 < m {
        let rows = (m - r0).min(ROW_TILE);
        let x_tile = x.tile(r0, rows);
        let acc = &mut local[..rows * cols];
        product(&x_tile, acc);
        min_terms(panel, &x_tile, acc);
        for (i, row) in acc.chunks_exact(cols).enumerate() {
            // SAFETY: row r0 + i, columns n0..n0 + cols are inside the m × n output, and
            // this task is the only writer of those columns.
            unsafe { out.write_row((r0 + i) * n + n0, row) };
        }
        r0 += rows;
    }
}

/// The output buffer shared by the tasks of one product; each writes a disjoint set of columns.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: tasks write disjoint elements and the buffer outlives the parallel loop.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// # Safety
    /// `at..at + row.len()` is in bounds and no other thread touches it.
    unsafe fn write_row(self, at: usize, row: &[f32]) {
        unsafe { std::ptr::copy_nonoverlapping(row.as_ptr(), self.0.add(at), row.len()) };
    }
}

impl QuantizedRows {
    fn tile(&self, r0: usize, rows: usize) -> RowTile<'_> {
        let kb = self.cols / BLOCK;
        RowTile {
            qs: &self.qs[r0 * self.cols..(r0 + rows) * self.cols],
            qu: &self.qu[r0 * self.cols..(r0 + rows) * self.cols],
            d: &self.d[r0 * kb..(r0 + rows) * kb],
            sums: &self.sums[r0 * kb..(r0 + rows) * kb],
            tile: rows,
            blocks: kb,
        }
    }
}

thread_local! {
    /// Per pool thread: the current panel's scales, where the matrix holds them compactly.
    static SCALES: std::cell::RefCell<ScaleBuf> = std::cell::RefCell::new(ScaleBuf::default());
    /// Per pool thread: the current panel unpacked to one byte per value.
    static UNPACKED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(target_arch = "x86_64")]
thread_local! {
    /// Per pool thread: the current panel re-laid for several rows.
    static INTERLEAVED: std::cell::RefCell<x86::Interleaved> =
        std::cell::RefCell::new(x86::Interleaved::default());
}

impl Panel<'_> {
    /// What the SIMD panel products' unsafe loads rely on: `x` and `acc` fit this panel, and
    /// the panel holds every block and scale its shape says (one check for every SIMD path).
    pub(crate) fn assert_bounds(&self, x: &RowTile<'_>, acc: &[f32]) {
        assert_eq!(self.blocks, x.blocks);
        assert!(self.scales_per_block == 1 || self.scales_per_block == 2);
        assert!(self.data.len() >= self.cols * self.blocks * self.packing.block_bytes());
        let scales = self.cols * self.blocks * self.scales_per_block;
        if let Some(sup) = &self.sup {
            assert!(self.blocks.is_multiple_of(SUPER));
            let supers = self.cols * self.blocks / SUPER;
            assert!(sup.d.len() >= supers && sup.s.len() >= scales);
            assert!(
                sup.m.is_empty() || (sup.m.len() >= supers * SUPER && sup.dmin.len() >= supers)
            );
            assert!(x.sums.len() >= x.tile * x.blocks);
        } else if let Some(half) = self.half {
            assert!(self.scales_per_block == 1 && half.len() >= scales);
        } else {
            assert!(self.scales.len() >= scales);
        }
        assert!(x.qs.len() >= x.tile * x.blocks * BLOCK && x.d.len() >= x.tile * x.blocks);
        assert!(acc.len() >= x.tile * self.cols);
    }

    /// The same panel with its blocks widened to [`Packing::Byte`] in `buf`.
    fn unpacked_into<'b>(&self, isa: Isa, buf: &'b mut Vec<u8>) -> Panel<'b>
    where
        Self: 'b,
    {
        buf.resize(self.cols * self.blocks * BLOCK, 0);
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 | Isa::Avx512 => x86::widen_blocks(self.packing, self.data, buf),
            _ => portable::widen_blocks(self.packing, self.data, buf),
        }
        Panel {
            packing: Packing::Byte,
            data: buf,
            ..*self
        }
    }
}

/// Consecutive weight rows of a [`QMatrix`].
#[derive(Clone, Copy)]
pub(crate) struct Panel<'a> {
    pub packing: Packing,
    pub narrow: bool,
    pub scales_per_block: usize,
    pub data: &'a [u8],
    /// f32 scales per block (or per 16 values); empty when `sup` holds them.
    pub scales: &'a [f32],
    pub mins: Option<&'a [f32]>,
    /// The K-quants' scales and minimums in their own form ([`QMatrix::compact_panel`]): the
    /// streaming kernels expand them per super-block in registers and add the minimum terms.
    pub sup: Option<SuperScales<'a>>,
    /// f16 scales, one per block ([`Scales::Half`]), where `scales` is empty.
    pub half: Option<&'a [u16]>,
    pub cols: usize,
    pub blocks: usize,
}

/// A panel's [`Scales::Super`]: per super-block of [`SUPER`] blocks `d` and `dmin`, per scale
/// `s`, per block `m` (empty without minimums); `scale = d · s`, `min = off · scale − dmin · m`.
#[derive(Clone, Copy)]
pub(crate) struct SuperScales<'a> {
    pub d: &'a [f32],
    pub dmin: &'a [f32],
    pub s: &'a [i8],
    pub m: &'a [u8],
    pub off: f32,
}

/// Up to [`ROW_TILE`] consecutive activation rows.
pub(crate) struct RowTile<'a> {
    pub qs: &'a [i8],
    pub qu: &'a [u8],
    pub d: &'a [f32],
    pub sums: &'a [f32],
    pub tile: usize,
    pub blocks: usize,
}

/// Adds the per-block term of formats with minimums, `Σ_b min_b · (d · Σq)_b`, to `acc`
/// (`[rows][cols]`).
pub(crate) fn min_terms(w: &Panel<'_>, x: &RowTile<'_>, acc: &mut [f32]) {
    let Some(mins) = w.mins else { return };
    for (r, out) in acc.chunks_exact_mut(w.cols).enumerate() {
        let sums = &x.sums[r * x.blocks..(r + 1) * x.blocks];
        for (o, m) in out.iter_mut().zip(mins.chunks_exact(w.blocks)) {
            *o += dot_f32(m, sums);
        }
    }
}

/// Float matrix product for the few small dense weights that stay f32: `y = x · wᵀ`.
pub fn matmul_f32(x: &[f32], rows: usize, w: &[f32], out_dim: usize, y: &mut Vec<f32>) {
    let k = x.len() / rows.max(1);
    y.clear();
    y.resize(rows * out_dim, 0.0);
    for (xr, yr) in x.chunks_exact(k).zip(y.chunks_exact_mut(out_dim)) {
        for (o, wr) in yr.iter_mut().zip(w.chunks_exact(k)) {
            *o = dot_f32(xr, wr);
        }
    }
}

/// f32 dot product in 8 independent lanes (vectorises without fast-math): core's.
pub use frontdesk_core::embed::dot as dot_f32;
