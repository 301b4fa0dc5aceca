//! Query latency of the dense index (graph vs exact scan) and of BM25, on synthetic data.
//! The 100k-vector figures come from `frontdesk bench retrieval`; this keeps to 20k so it runs
//! in well under a minute on two cores.

use criterion::{criterion_group, criterion_main, Criterion};
use frontdesk_core::Lang;
use frontdesk_retrieval::bm25::{Bm25Index, Bm25Params};
use frontdesk_retrieval::{clustered_unit_vectors, DenseIndex, HnswParams};

fn dense(c: &mut Criterion) {
    let (n, dim) = (20_000, 384);
    let data = clustered_unit_vectors(n + 100, dim, 200, 1);
    let (base, queries) = data.split_at(n * dim);
    let index = DenseIndex::build(dim, base.to_vec(), HnswParams::default());
    let mut qi = queries.chunks_exact(dim).cycle();
    c.bench_function("hnsw_search_k10_20k", |b| {
        b.iter(|| index.search(qi.next().unwrap_or(&[]), 10, None))
    });
    c.bench_function("exact_scan_k10_20k", |b| {
        b.iter(|| index.exact(qi.next().unwrap_or(&[]), 10, None))
    });
}

fn lexical(c: &mut Criterion) {
    let words = [
        "tent", "pole", "shipping", "return", "refund", "lamp", "boots", "NW-2041", "warranty",
        "card",
    ];
    let texts: Vec<String> = (0..20_000)
        .map(|i| {
            (0..60)
                .map(|j| words[(i * 7 + j * 13 + j * j) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let index = Bm25Index::build(
        texts.iter().map(|t| (t.as_str(), Lang::En)),
        Bm25Params::default(),
    );
    c.bench_function("bm25_search_20k", |b| {
        b.iter(|| index.search("refund for warranty boots NW-2041", 50, None))
    });
}

criterion_group!(benches, dense, lexical);
criterion_main!(benches);
