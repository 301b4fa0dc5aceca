use frontdesk_core::Config;
use frontdesk_retrieval::{clustered_unit_vectors, DenseIndex, HnswParams};
use serde::Serialize;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchRetrievalArgs {
    /// Indexed vectors.
    #[arg(long, default_value_t = 100_000)]
    n: usize,
    #[arg(long, default_value_t = 384)]
    dim: usize,
    /// Queries timed and checked against the exact scan.
    #[arg(long, default_value_t = 500)]
    queries: usize,
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Clusters the synthetic vectors are drawn around (default: one per 100 vectors). Fewer,
    /// wider clusters are harder for the graph, closer to real embeddings whose cosines all sit
    /// in a narrow band.
    #[arg(long)]
    clusters: Option<usize>,
    /// HNSW links per node (M); default: the index's own setting.
    #[arg(long)]
    m: Option<usize>,
    #[arg(long)]
    ef_construction: Option<usize>,
    #[arg(long)]
    ef_search: Option<usize>,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct BenchReport {
    n: usize,
    dim: usize,
    queries: usize,
    k: usize,
    clusters: usize,
    params: HnswParams,
    build_s: f64,
    query_p50_us: f64,
    query_p99_us: f64,
    exact_p50_us: f64,
    recall_at_k: f64,
    rss_mb: f64,
    peak_rss_mb: f64,
}

/// Current and peak resident memory of this process in MB (Linux `/proc`; 0 elsewhere).
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn run(_config: Config, args: BenchRetrievalArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.n > 0 && args.dim > 0 && args.queries > 0 && args.k > 0,
        "--n, --dim, --queries and --k must be positive"
    );
    let defaults = HnswParams::default();
    let params = HnswParams {
        max_connections: args.m.unwrap_or(defaults.max_connections),
        ef_construction: args.ef_construction.unwrap_or(defaults.ef_construction),
        ef_search: args.ef_search.unwrap_or(defaults.ef_search),
        // Always the graph: the point is to measure it at scale.
        exact_below: 0,
    };
    let clusters = args.clusters.unwrap_or((args.n / 100).max(10)).max(1);
    let data = clustered_unit_vectors(args.n + args.queries, args.dim, clusters, 42);
    let (base, queries) = data.split_at(args.n * args.dim);
    let base = base.to_vec();
    let queries: Vec<&[f32]> = queries.chunks_exact(args.dim).collect();
    if !args.json {
        eprintln!(
            "building HNSW over {} × {}-d vectors (M {}, ef_construction {})…",
            args.n, args.dim, params.max_connections, params.ef_construction
        );
    }

    let t = Instant::now();
    let index = DenseIndex::build(args.dim, base, params);
    let build_s = t.elapsed().as_secs_f64();
    let (rss, peak) = rss_mb();

    let mut graph_us = Vec::with_capacity(queries.len());
    let mut exact_us = Vec::with_capacity(queries.len());
    let mut found = 0usize;
    for q in &queries {
        let t = Instant::now();
        let approx = index.search(q, args.k, None);
        graph_us.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        let exact = index.exact(q, args.k, None);
        exact_us.push(t.elapsed().as_secs_f64() * 1e6);
        found += approx
            .iter()
            .filter(|a| exact.iter().any(|e| e.0 == a.0))
            .count();
    }
    graph_us.sort_by(f64::total_cmp);
    exact_us.sort_by(f64::total_cmp);
    let report = BenchReport {
        n: args.n,
        dim: args.dim,
        queries: queries.len(),
        k: args.k,
        clusters,
        params,
        build_s,
        query_p50_us: percentile(&graph_us, 0.5),
        query_p99_us: percentile(&graph_us, 0.99),
        exact_p50_us: percentile(&exact_us, 0.5),
        recall_at_k: found as f64 / (queries.len() * args.k) as f64,
        rss_mb: rss,
        peak_rss_mb: peak,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "HNSW over {} × {}-d clustered unit vectors ({} clusters)",
            report.n, report.dim, clusters
        );
        println!(
            "  build            {:.1} s ({:.0} vectors/s)",
            report.build_s,
            report.n as f64 / report.build_s.max(1e-9)
        );
        println!(
            "  query k={}       p50 {:.0} µs, p99 {:.0} µs (exact scan p50 {:.0} µs)",
            report.k, report.query_p50_us, report.query_p99_us, report.exact_p50_us
        );
        println!(
            "  recall@{}        {:.4} against exact search ({} queries)",
            report.k, report.recall_at_k, report.queries
        );
        println!(
            "  memory           RSS {:.0} MB (peak {:.0} MB)",
            report.rss_mb, report.peak_rss_mb
        );
    }
    Ok(ExitCode::SUCCESS)
}
