//! On-disk layout under `<data_dir>/index/`: each build writes a fresh `gen-<n>/` folder
//! (manifest.json, chunks.json, vectors.f32, units.f32, bm25.json), then `CURRENT` is replaced by
//! an atomic rename to name it. A crash mid-write leaves the previous generation in force.

use crate::bm25::Bm25Index;
use crate::chunker::{Chunk, ChunkerSettings};
use crate::snapshot::{DocMeta, Snapshot};
use frontdesk_core::RetrievalError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Bumped when what is stored changes meaning, so an older index is rebuilt rather than read:
/// 2 — a long table is chunked between rows under its header (it was cut into word windows);
/// 3 — every chunk's units are embedded too (`units.f32`, counts in `chunks.json`).
pub const FORMAT_VERSION: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocEntry {
    pub hash: String,
    pub source: String,
    pub chunk_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub embedding_model: String,
    pub dim: usize,
    pub chunker: ChunkerSettings,
    pub documents: BTreeMap<String, DocEntry>,
}

#[derive(Serialize, Deserialize)]
struct ChunkFile {
    docs: Vec<DocMeta>,
    chunks: Vec<Chunk>,
    /// How many unit vectors of `units.f32` belong to each chunk, in chunk order.
    unit_counts: Vec<usize>,
}

/// The parts of a stored generation, ready to assemble into a `Snapshot`.
pub struct Stored {
    pub manifest: Manifest,
    pub docs: Vec<DocMeta>,
    pub chunks: Vec<Chunk>,
    pub vectors: Vec<f32>,
    /// Per chunk, its units' vectors.
    pub unit_vectors: Vec<Vec<Vec<f32>>>,
    pub bm25: Option<Bm25Index>,
}

fn io(path: &Path, what: &str, e: impl std::fmt::Display) -> RetrievalError {
    RetrievalError::Io(format!("{what} {}: {e}", path.display()))
}

pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// The folder of the generation in force, if any.
pub fn current_generation(root: &Path) -> Result<Option<PathBuf>, RetrievalError> {
    let pointer = root.join("CURRENT");
    match std::fs::read_to_string(&pointer) {
        Ok(name) => Ok(Some(root.join(name.trim()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&pointer, "cannot read", e)),
    }
}

pub fn read_manifest(gen: &Path) -> Result<Manifest, RetrievalError> {
    let path = gen.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, "cannot read", e))?;
    serde_json::from_str(&text).map_err(|e| io(&path, "is corrupt (re-index with --rebuild)", e))
}

pub fn read_generation(gen: &Path, manifest: Manifest) -> Result<Stored, RetrievalError> {
    let path = gen.join("chunks.json");
    let bytes = std::fs::read(&path).map_err(|e| io(&path, "cannot read", e))?;
    let file: ChunkFile = serde_json::from_slice(&bytes)
        .map_err(|e| io(&path, "is corrupt (re-index with --rebuild)", e))?;
    let path = gen.join("vectors.f32");
    let (vectors, raw_len) = read_floats(&path)?;
    if raw_len % 4 != 0 || vectors.len() != file.chunks.len() * manifest.dim {
        return Err(io(
            &path,
            "does not match the chunk count (re-index with --rebuild)",
            format!(
                "{} floats for {} chunks of dim {}",
                vectors.len(),
                file.chunks.len(),
                manifest.dim
            ),
        ));
    }
    let path = gen.join("units.f32");
    let (unit_floats, raw_len) = read_floats(&path)?;
    let units: usize = file.unit_counts.iter().sum();
    if raw_len % 4 != 0
        || file.unit_counts.len() != file.chunks.len()
        || unit_floats.len() != units * manifest.dim
    {
        return Err(io(
            &path,
            "does not match the unit counts (re-index with --rebuild)",
            format!(
                "{} floats for {units} units of dim {} in {} chunks",
                unit_floats.len(),
                manifest.dim,
                file.unit_counts.len()
            ),
        ));
    }
    let mut rows = unit_floats.chunks_exact(manifest.dim.max(1));
    let unit_vectors = file
        .unit_counts
        .iter()
        .map(|&n| rows.by_ref().take(n).map(<[f32]>::to_vec).collect())
        .collect();
    // The lexical index is a cache: if it is unreadable it is rebuilt from the chunks.
    let bm25 = std::fs::read(gen.join("bm25.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    Ok(Stored {
        manifest,
        docs: file.docs,
        chunks: file.chunks,
        vectors,
        unit_vectors,
        bm25,
    })
}

/// A file of little-endian f32s, and its length in bytes.
fn read_floats(path: &Path) -> Result<(Vec<f32>, usize), RetrievalError> {
    let raw = std::fs::read(path).map_err(|e| io(path, "cannot read", e))?;
    let floats = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok((floats, raw.len()))
}

fn floats_le<'a>(rows: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    rows.flat_map(|x| x.to_le_bytes()).collect()
}

pub fn manifest_of(snap: &Snapshot) -> Manifest {
    let mut documents: BTreeMap<String, DocEntry> = snap
        .docs
        .iter()
        .map(|d| {
            (
                d.id.clone(),
                DocEntry {
                    hash: d.hash.clone(),
                    source: d.source.clone(),
                    chunk_ids: Vec::new(),
                },
            )
        })
        .collect();
    for c in &snap.chunks {
        if let Some(e) = documents.get_mut(&c.doc_id) {
            e.chunk_ids.push(c.id.clone());
        }
    }
    Manifest {
        format_version: FORMAT_VERSION,
        embedding_model: snap.model_id.clone(),
        dim: snap.dense.dim(),
        chunker: snap.chunker,
        documents,
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RetrievalError> {
    let mut f = std::fs::File::create(path).map_err(|e| io(path, "cannot create", e))?;
    f.write_all(bytes)
        .map_err(|e| io(path, "cannot write", e))?;
    f.sync_all().map_err(|e| io(path, "cannot sync", e))
}

/// The time stamp in a generation's name (`gen-<nanoseconds>-<pid>`).
fn generation_stamp(name: &str) -> Option<u128> {
    name.strip_prefix("gen-")?.split('-').next()?.parse().ok()
}

/// Writes `snap` as a new generation and points `CURRENT` at it; older generations are removed.
///
/// Several processes may index one data directory at once (a running `serve` and a
/// `frontdesk index`): the pointer swap and the clean-up happen under an exclusive lock on
/// `LOCK`, each process writes its own temporary pointer, and only generations *older* than the
/// one installed are removed, so another process's generation still being written is never
/// deleted under it.
pub fn write_generation(data_dir: &Path, snap: &Snapshot) -> Result<PathBuf, RetrievalError> {
    let root = index_dir(data_dir);
    std::fs::create_dir_all(&root).map_err(|e| io(&root, "cannot create", e))?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!("gen-{stamp}-{}", std::process::id());
    let gen = root.join(&name);
    std::fs::create_dir(&gen).map_err(|e| io(&gen, "cannot create", e))?;

    write_file(&gen.join("manifest.json"), &json(&manifest_of(snap))?)?;
    let chunks = ChunkFile {
        docs: snap.docs.clone(),
        chunks: snap.chunks.clone(),
        unit_counts: snap.unit_vectors.iter().map(|u| u.vectors.len()).collect(),
    };
    write_file(&gen.join("chunks.json"), &json(&chunks)?)?;
    write_file(&gen.join("bm25.json"), &json(&snap.bm25)?)?;
    write_file(
        &gen.join("vectors.f32"),
        &floats_le(snap.dense.vectors().iter()),
    )?;
    let units = snap
        .unit_vectors
        .iter()
        .flat_map(|u| u.vectors.iter().flatten());
    write_file(&gen.join("units.f32"), &floats_le(units))?;

    let lock_path = root.join("LOCK");
    let lock = std::fs::File::create(&lock_path).map_err(|e| io(&lock_path, "cannot create", e))?;
    lock.lock().map_err(|e| io(&lock_path, "cannot lock", e))?;
    let tmp = root.join(format!("CURRENT.tmp-{}", std::process::id()));
    write_file(&tmp, name.as_bytes())?;
    let pointer = root.join("CURRENT");
    std::fs::rename(&tmp, &pointer).map_err(|e| io(&pointer, "cannot replace", e))?;
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let n = entry.file_name().to_string_lossy().into_owned();
            let older = match (generation_stamp(&n), generation_stamp(&name)) {
                (Some(theirs), Some(ours)) => theirs < ours,
                _ => false,
            };
            if older {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    drop(lock);
    Ok(gen)
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, RetrievalError> {
    serde_json::to_vec(value)
        .map_err(|e| RetrievalError::Io(format!("cannot serialise the index: {e}")))
}
