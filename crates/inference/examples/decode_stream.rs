//! The one-row products of a Qwen2.5-Coder-1.5B Q4_K_M decode step on random weights of the
//! same shapes and formats (28 layers and the 151,936-row output projection, about 1 GB, so
//! nothing stays in cache): the streaming kernels' effective GB/s, per matrix kind and per token,
//! without loading the model. With `HOT=1`, the compute-bound rate instead: small matrices that
//! stay in L2, multiplied back to back.
//!
//! `cargo run --release -p frontdesk-inference --example decode_stream -- [TOKENS]`
//! (`MODEL=0.5b`: the 0.5B's shapes and formats)
//! (`FRONTDESK_KERNELS_ISA` picks the path; `THREADS` the pool size, default all cores).
use frontdesk_inference::kernels::{self, QuantizedRows, SourceFormat};
use rand::{Rng, SeedableRng};
use std::time::Instant;

#[path = "../benches/common/random_matrix.rs"]
mod random_matrix;
use random_matrix::random_matrix;

fn main() {
    use SourceFormat::{Q4K, Q5_0, Q6K, Q8_0};
    let tokens: usize = std::env::args()
        .nth(1)
        .map_or(20, |a| a.parse().expect("TOKENS"));
    if let Ok(t) = std::env::var("THREADS") {
        kernels::set_threads(t.parse().expect("THREADS"));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    if std::env::var_os("HOT").is_some() {
        hot(&mut rng);
        return;
    }
    // `MODEL=0.5b`: the 0.5B file's shapes and formats instead (Q5_0 and Q8_0, f16 scales).
    let small = std::env::var("MODEL").is_ok_and(|m| m == "0.5b");
    let (layers, hidden, ffn, kv) = if small {
        (24, 896, 4864, 128)
    } else {
        (28, 1536, 8960, 256)
    };
    let (main, v_format, output_format) = if small {
        (Q5_0, Q8_0, Q8_0)
    } else {
        (Q4K, Q6K, Q6K)
    };
    let mut mats = Vec::new();
    for layer in 0..layers {
        // The files' `ffn_down` is Q6_K in half of the layers, Q4_K in the others.
        let down = if layer % 2 == 0 { Q6K } else { Q4K };
        for (name, format, rows, cols) in [
            ("q", main, hidden, hidden),
            ("k", main, kv, hidden),
            ("v", v_format, kv, hidden),
            ("o", main, hidden, hidden),
            ("gate", main, ffn, hidden),
            ("up", main, ffn, hidden),
            ("down", down, hidden, ffn),
        ] {
            let m = random_matrix(&mut rng, format, rows, cols);
            mats.push((format!("{name:6} {format:?}"), m));
        }
    }
    let output = random_matrix(&mut rng, output_format, 151_936, hidden);
    mats.push((format!("{:6} {output_format:?}", "output"), output));
    let bytes: usize = mats.iter().map(|(_, m)| m.size_bytes()).sum();
    let x: Vec<f32> = (0..ffn).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut xq = QuantizedRows::new();
    let mut y = Vec::new();
    let mut per_kind: std::collections::BTreeMap<&str, (f64, usize)> = Default::default();
    let mut times = Vec::new();
    for t in 0..tokens {
        let start = Instant::now();
        kernels::install(|| {
            for (name, m) in &mats {
                let t0 = Instant::now();
                xq.quantize(&x[..m.cols()], 1, m.cols());
                kernels::matmul(&xq, m, &mut y);
                let e = per_kind.entry(name).or_default();
                e.0 += t0.elapsed().as_secs_f64();
                e.1 += m.size_bytes();
            }
        });
        // The first token warms the pool and the page tables.
        if t > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "{:?}, {} threads: {:.1} MB per token; best {:.2} ms ({:.1} GB/s), median {:.2} ms ({:.1} GB/s)",
        kernels::isa(),
        std::env::var("THREADS").unwrap_or_else(|_| "all".into()),
        bytes as f64 / 1e6,
        best * 1e3,
        bytes as f64 / best / 1e9,
        median * 1e3,
        bytes as f64 / median / 1e9
    );
    for (name, (secs, b)) in per_kind {
        println!(
            "  {name}  {:5.1} GB/s  {:6.2} ms per token",
            b as f64 / secs / 1e9,
            secs * 1e3 / tokens as f64
        );
    }
}

/// Products of matrices small enough to stay in L2, back to back: the kernels' compute rate.
fn hot(rng: &mut impl Rng) {
    use SourceFormat::{Q4K, Q5_0, Q6K, Q8_0};
    for (format, rows, cols) in [
        (Q4K, 256, 1536),
        (Q6K, 256, 1536),
        (Q4K, 64, 8960),
        (Q6K, 64, 8960),
        (Q5_0, 256, 896),
        (Q8_0, 256, 896),
    ] {
        let m = random_matrix(rng, format, rows, cols);
        let x: Vec<f32> = (0..cols).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let mut xq = QuantizedRows::new();
        xq.quantize(&x, 1, cols);
        let mut y = Vec::new();
        let n = 4000;
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t0 = Instant::now();
            kernels::install(|| {
                for _ in 0..n {
                    kernels::matmul(&xq, &m, &mut y);
                }
            });
            best = best.min(t0.elapsed().as_secs_f64() / n as f64);
        }
        println!(
            "{format:?} {rows}×{cols}: {:.2} µs, {:.1} GB/s",
            best * 1e6,
            m.size_bytes() as f64 / best / 1e9
        );
    }
}
