//! A quantized matrix of random weights for the kernel benches and the decode-stream example
//! (included by path from both: benches and examples share no library code).

use frontdesk_inference::kernels::{QMatrix, SourceFormat};
use rand::Rng;

/// Random bytes are valid blocks for every format once the scales are sane: the scale fields
/// are written as small f16 values.
pub fn random_matrix(
    rng: &mut impl Rng,
    format: SourceFormat,
    rows: usize,
    cols: usize,
) -> QMatrix {
    let mut bytes: Vec<u8> = vec![0; format.bytes_for(rows, cols)];
    rng.fill(&mut bytes[..]);
    let (_, block) = format.block_shape();
    let half = half::f16::from_f32(0.01).to_le_bytes();
    for blk in bytes.chunks_exact_mut(block) {
        match format {
            SourceFormat::Q4K => {
                blk[0..2].copy_from_slice(&half);
                blk[2..4].copy_from_slice(&half);
            }
            SourceFormat::Q6K => blk[208..210].copy_from_slice(&half),
            _ => blk[0..2].copy_from_slice(&half),
        }
    }
    QMatrix::from_format(format, rows, cols, &bytes).expect("shape")
}
