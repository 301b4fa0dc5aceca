use frontdesk_core::Config;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(clap::Subcommand)]
enum BenchWhat {
    /// Embeddings and chat model on the shared peer workloads.
    Inference(super::bench_inference::BenchInferenceArgs),
    /// Vector + lexical index at scale.
    Retrieval(super::bench_retrieval::BenchRetrievalArgs),
    /// Loopback load against a running `frontdesk serve`, the mixed soak (`--workload mixed
    /// --minutes N`) and the after-crash check.
    Load(super::bench_load::BenchLoadArgs),
}

pub fn run(config: Config, args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        BenchWhat::Inference(a) => super::bench_inference::run(config, a),
        BenchWhat::Retrieval(a) => super::bench_retrieval::run(config, a),
        BenchWhat::Load(a) => super::bench_load::run(&config, a),
    }
}
