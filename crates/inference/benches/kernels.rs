//! Quantized matrix products at the shapes the shipped models run: e5-small (Q4_0, K = 384 and
//! 1536) over an embedding batch, and the Qwen2.5-0.5B projections (Q5_0, Q4_K, Q6_K, Q8_0) for
//! prompt processing (256 rows) and decoding (1 row); e5's matrices also as prepared at load; and
//! the prompt attention tiles. Throughput is in multiply-adds per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use frontdesk_inference::kernels::{self, PreparedMatrix, QuantizedRows, SourceFormat};
use rand::{Rng, SeedableRng};

#[path = "common/random_matrix.rs"]
mod random_matrix;
use random_matrix::random_matrix;

fn bench(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let cases: &[(&str, SourceFormat, usize, usize, usize)] = &[
        ("e5_ffn_in", SourceFormat::Q4_0, 1280, 1536, 384),
        ("e5_ffn_out", SourceFormat::Q4_0, 1280, 384, 1536),
        ("e5_single", SourceFormat::Q4_0, 20, 1536, 384),
        ("qwen_up_prefill", SourceFormat::Q5_0, 256, 4864, 896),
        ("qwen_down_prefill_q4k", SourceFormat::Q4K, 256, 896, 4864),
        ("qwen_down_prefill_q6k", SourceFormat::Q6K, 256, 896, 4864),
        ("qwen_up_decode", SourceFormat::Q5_0, 1, 4864, 896),
        ("qwen_down_decode_q4k", SourceFormat::Q4K, 1, 896, 4864),
        ("qwen_output_decode", SourceFormat::Q8_0, 1, 151_936, 896),
    ];
    let mut group = c.benchmark_group("qmatmul");
    group.sample_size(10);
    for &(name, format, m, n, k) in cases {
        let w = random_matrix(&mut rng, format, n, k);
        let xf: Vec<f32> = (0..m * k).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let mut x = QuantizedRows::new();
        let mut y = Vec::new();
        group.throughput(Throughput::Elements((m * n * k) as u64));
        group.bench_function(BenchmarkId::new(name, format!("{m}x{n}x{k}")), |b| {
            b.iter(|| {
                x.quantize(&xf, m, k);
                kernels::matmul(&x, &w, &mut y);
            })
        });
        // e5 runs its matrices prepared at load: the same product without the per-call re-lay.
        if name.starts_with("e5") {
            let prepared = PreparedMatrix::new(w.clone());
            group.bench_function(
                BenchmarkId::new(format!("{name}_prepared"), format!("{m}x{n}x{k}")),
                |b| {
                    b.iter(|| {
                        x.quantize(&xf, m, k);
                        kernels::matmul_prepared(&x, &prepared, &mut y);
                    })
                },
            );
        }
    }
    group.finish();
}

/// One head's prompt attention tiles at Qwen2.5-0.5B's head size (64), 300 positions: scores of
/// 6 queries against every key, and a 300-key weighted sum of value rows. Throughput in
/// multiply-adds per second.
fn bench_attention(c: &mut Criterion) {
    use kernels::attention::{score_tile, weighted_sum, KEY_TILE, QUERY_TILE, VALUE_CHUNK};
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let (hd, n_pos, kv_dim) = (64, 304, 128);
    let q_t: Vec<f32> = (0..hd * QUERY_TILE)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let k_t: Vec<f32> = (0..hd * n_pos).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let v: Vec<f32> = (0..n_pos * kv_dim)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let p: Vec<f32> = (0..n_pos)
        .map(|_| rng.gen_range(0.0..1.0 / n_pos as f32))
        .collect();
    let mut group = c.benchmark_group("attention");
    group.sample_size(20);
    group.throughput(Throughput::Elements((QUERY_TILE * n_pos * hd) as u64));
    group.bench_function("score_tiles_6x304x64", |b| {
        let mut tile = [0f32; QUERY_TILE * KEY_TILE];
        b.iter(|| {
            for j0 in (0..n_pos).step_by(KEY_TILE) {
                score_tile(&q_t, &k_t, n_pos, j0, &mut tile);
            }
        })
    });
    group.throughput(Throughput::Elements((n_pos * VALUE_CHUNK) as u64));
    group.bench_function("weighted_sum_304x64", |b| {
        let mut out = vec![0f32; VALUE_CHUNK];
        b.iter(|| weighted_sum(&p, &v, kv_dim, &mut out))
    });
    group.finish();
}

criterion_group!(benches, bench, bench_attention);
criterion_main!(benches);
