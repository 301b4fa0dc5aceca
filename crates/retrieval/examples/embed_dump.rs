//! Embeds one text per line of a file with multilingual-e5-small and writes the vectors as
//! little-endian f32 rows (for offline analysis of the embedding space).
//!
//!   cargo run -p frontdesk-retrieval --release --example embed_dump -- query|passage IN.txt OUT.f32

use frontdesk_core::{EmbedKind, Embedder};
use std::io::Write;
use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, input, output] = &args[..] else {
        return Err("usage: embed_dump query|passage IN.txt OUT.f32".into());
    };
    let kind = match kind.as_str() {
        "query" => EmbedKind::Query,
        "passage" => EmbedKind::Passage,
        other => return Err(format!("unknown kind {other}").into()),
    };
    let dir = frontdesk_inference::model_dir(&frontdesk_core::config::ModelsConfig::default());
    let embedder = frontdesk_inference::embed::spawn_e5(
        &dir.join("multilingual-e5-small/e5-small-q4.bin"),
        &Default::default(),
    )?;
    let texts: Vec<String> = std::fs::read_to_string(input)?
        .lines()
        .map(str::to_string)
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(PathBuf::from(output))?);
    for batch in texts.chunks(32) {
        for v in embedder.embed(batch.to_vec(), kind).await? {
            for x in v {
                out.write_all(&x.to_le_bytes())?;
            }
        }
    }
    out.flush()?;
    eprintln!("{} vectors", texts.len());
    Ok(())
}
