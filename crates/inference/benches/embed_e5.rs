//! Throughput and single-sentence latency of the embedders through their worker handles, with
//! the peer benchmark's method (`/work/shared/peers/lib/embed_bench.py`): every sentence of the
//! workload as passages in requests of 64, then 64 sentences (every 8th line) one call each;
//! 3 repetitions, medians. Prints one JSON line.
//!
//! `cargo bench -p frontdesk-inference --bench embed_e5 -- [e5|minilm] [SENTENCES_FILE]`
//! Model files come from FRONTDESK_MODEL_DIR or ~/.cache/frontdesk/models.

use frontdesk_core::{EmbedKind, Embedder};
use frontdesk_inference::embed::{spawn_e5, spawn_minilm, EmbedWorkerOptions, EmbedderHandle};
use std::path::PathBuf;
use std::time::Instant;

const BATCH: usize = 64;
const REPS: usize = 3;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let which = args.first().map_or("e5", String::as_str).to_string();
    let sentences_file = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "/work/shared/peers/workload/sentences.txt".to_string());
    let models = std::env::var_os("FRONTDESK_MODEL_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".cache/frontdesk/models")))
        .expect("set FRONTDESK_MODEL_DIR");
    let text = std::fs::read_to_string(&sentences_file).expect("read the sentences file");
    let sentences: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let step = (sentences.len() / 64).max(1);
    let singles: Vec<String> = sentences.iter().step_by(step).take(64).cloned().collect();

    let opts = EmbedWorkerOptions {
        max_batch: BATCH,
        ..Default::default()
    };
    let t0 = Instant::now();
    let handle: EmbedderHandle = match which.as_str() {
        "minilm" => spawn_minilm(&models.join("all-minilm-l6-v2"), &opts),
        _ => spawn_e5(&models.join("multilingual-e5-small/e5-small-q4.bin"), &opts),
    }
    .expect("load the model");
    let load_s = t0.elapsed().as_secs_f64();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let embed = |texts: Vec<String>| {
            let h = handle.clone();
            async move { h.embed(texts, EmbedKind::Passage).await.expect("embed") }
        };
        embed(sentences.iter().take(BATCH).cloned().collect()).await;
        for s in singles.iter().take(4) {
            embed(vec![s.clone()]).await;
        }
        let (mut tput, mut single) = (Vec::new(), Vec::new());
        for rep in 0..REPS {
            let t = Instant::now();
            for chunk in sentences.chunks(BATCH) {
                embed(chunk.to_vec()).await;
            }
            tput.push(sentences.len() as f64 / t.elapsed().as_secs_f64());
            let t = Instant::now();
            for s in &singles {
                embed(vec![s.clone()]).await;
            }
            single.push(t.elapsed().as_secs_f64() * 1000.0 / singles.len() as f64);
            eprintln!("[embed] rep {}/{REPS}: {:.1} sentences/s, single {:.2} ms", rep + 1, tput[rep], single[rep]);
        }
        let info = handle.info();
        println!(
            "{{\"model\":\"{}\",\"sentences\":{},\"batch\":{BATCH},\"sentences_per_s\":{:.1},\"sentences_per_s_min\":{:.1},\"sentences_per_s_max\":{:.1},\"single_ms\":{:.2},\"single_ms_min\":{:.2},\"single_ms_max\":{:.2},\"load_s\":{load_s:.2},\"peak_rss_mb\":{:.0}}}",
            info.model_id,
            sentences.len(),
            median(tput.clone()),
            tput.iter().copied().fold(f64::INFINITY, f64::min),
            tput.iter().copied().fold(0.0, f64::max),
            median(single.clone()),
            single.iter().copied().fold(f64::INFINITY, f64::min),
            single.iter().copied().fold(0.0, f64::max),
            peak_rss_mb()
        );
    });
}
