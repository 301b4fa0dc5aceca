//! Serbian and English mapped onto each other in the embedder's space: linear maps learned from
//! sentence pairs, whose image of a question is searched as one more variant of it.
//!
//! multilingual-e5-small places a Serbian question nearer to Serbian text about something else
//! than to the English page that answers it, and an English question nearer to English text
//! than to the Serbian page that answers it (`language_shift.rs` takes out the part of that
//! which is one direction per language). What is left is more than a direction: each map `W`
//! is fitted by ridge regression towards the identity on the built-in pairs
//! (`language_map/pairs.jsonl`: English customer-service sentences and their Serbian, written
//! for this purpose by a helper session across 20 kinds of business, none of them the demo
//! shop's, and without reading any eval set):
//!
//! `W = (XᵀX + λI)⁻¹ (XᵀY + λI)`
//!
//! - Serbian → English: X the Serbian vectors (Latin and, transliterated, Cyrillic), Y the
//!   English ones, so that `v_sr · W ≈ v_en`;
//! - English → Serbian: X the English vectors (twice), Y the Latin and the Cyrillic ones, so
//!   that `v_en · W` lands between a Serbian question's two scripts.
//!
//! Only queries are mapped, and the mapped vector is searched beside the question's own (a
//! chunk's cosine is its best over the query's vectors, `SearchQuery::variants`), as a
//! question in the other language: chunks and their stored vectors are untouched, so each
//! language still meets itself on the cosines it always had, and a page in the other language
//! meets the mapped question on its own language's scale, the one the confidence model was
//! fitted on. A Serbian question is mapped whenever the index is searched; an English one only
//! when the index holds Serbian pages. (Mapping the chunks too — all vectors in one space —
//! ranked about as well but lifted every Serbian cosine, Serbian pages' included, and with
//! them the confidence: more answers, right and wrong alike; crates/retrieval/README.md.)
//! Fitting embeds the pairs once (about 1,800 short texts, 5 s here); the result is cached by
//! the hash of the pairs, the model and the ridge, so later starts read it from disk.

use frontdesk_core::embed::dot;
use frontdesk_core::text::latin_to_cyrillic;
use frontdesk_core::{EmbedKind, Embedder, EmbedderInfo, InferenceError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The built-in sentence pairs, one `{"en": …, "sr": …}` per line (Serbian in Latin script).
pub const BUILTIN_PAIRS: &str = include_str!("language_map/pairs.jsonl");

/// The ridge λ towards the identity. Chosen on the demo shop's fresh dev half before the
/// built-in pairs existed, with maps fitted on the Serbian/English rows of xSID's validation
/// set (`../shared/evaldata`, used for this choice only): dense hit@1 of Serbian questions for
/// λ 0.3, 1, 3, 10 and 30, 3 best in Latin and near best in Cyrillic (crates/retrieval/README.md).
pub const RIDGE: f64 = 3.0;

/// Bumped when the fitting or the file layout changes, so old cache files are not read.
const FORMAT: &str = "frontdesk-language-map-2";

/// Texts embedded per call while fitting.
const FIT_BATCH: usize = 64;

/// The two directions between Serbian and English, fitted from the same pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageMaps {
    /// A Serbian vector (either script) to English.
    pub to_english: LanguageMap,
    /// An English vector to Serbian.
    pub to_serbian: LanguageMap,
}

impl LanguageMaps {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.to_english.to_bytes();
        out.extend(self.to_serbian.to_bytes());
        out
    }

    fn from_bytes(bytes: &[u8], key: &str) -> Option<Self> {
        let half = bytes.len() / 2;
        let (a, b) = (bytes.get(..half)?, bytes.get(half..)?);
        Some(Self {
            to_english: LanguageMap::from_bytes(a, key)?,
            to_serbian: LanguageMap::from_bytes(b, key)?,
        })
    }
}

/// One linear map of the embedder's space.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageMap {
    dim: usize,
    /// Row-major `dim × dim`; a row vector `v` maps to `v · W`.
    w: Vec<f32>,
    /// Short hash of what the map was fitted from.
    key: String,
}

#[derive(serde::Deserialize)]
struct Pair {
    en: String,
    sr: String,
}

/// The pairs of a JSONL text; a line that does not parse is an error (the built-in file is
/// checked by a test).
fn parse_pairs(text: &str) -> Result<Vec<Pair>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

impl LanguageMap {
    /// Ridge regression of `dst` on `src` towards the identity; `None` when the rows disagree
    /// in length or the system cannot be solved.
    pub fn fit(src: &[Vec<f32>], dst: &[Vec<f32>], ridge: f64, key: String) -> Option<Self> {
        let dim = src.first()?.len();
        if dim == 0
            || src.len() != dst.len()
            || src.iter().chain(dst).any(|v| v.len() != dim)
            || ridge <= 0.0
        {
            return None;
        }
        // A = XᵀX + λI, B = XᵀY + λI (f64: the sums of a few thousand products).
        let mut a = vec![0f64; dim * dim];
        let mut b = vec![0f64; dim * dim];
        for (x, y) in src.iter().zip(dst) {
            for i in 0..dim {
                let xi = x[i] as f64;
                if xi == 0.0 {
                    continue;
                }
                let (ra, rb) = (
                    &mut a[i * dim..(i + 1) * dim],
                    &mut b[i * dim..(i + 1) * dim],
                );
                for j in 0..dim {
                    ra[j] += xi * x[j] as f64;
                    rb[j] += xi * y[j] as f64;
                }
            }
        }
        for i in 0..dim {
            a[i * dim + i] += ridge;
            b[i * dim + i] += ridge;
        }
        let l = cholesky(&a, dim)?;
        let w = solve_columns(&l, &b, dim);
        Some(Self {
            dim,
            w: w.into_iter().map(|x| x as f32).collect(),
            key,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// `v · W`, L2-normalised (vectors of another length are returned as they are).
    pub fn apply(&self, v: &[f32]) -> Vec<f32> {
        if v.len() != self.dim {
            return v.to_vec();
        }
        let mut out = vec![0f32; self.dim];
        for (i, &x) in v.iter().enumerate() {
            if x == 0.0 {
                continue;
            }
            let row = &self.w[i * self.dim..(i + 1) * self.dim];
            for (o, r) in out.iter_mut().zip(row) {
                *o += x * r;
            }
        }
        let norm = dot(&out, &out).sqrt();
        if norm > 0.0 {
            out.iter_mut().for_each(|x| *x /= norm);
        }
        out
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.key.len() + self.w.len() * 4);
        out.extend_from_slice(FORMAT.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(self.key.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&(self.dim as u32).to_le_bytes());
        for x in &self.w {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    fn from_bytes(bytes: &[u8], key: &str) -> Option<Self> {
        let header = format!("{FORMAT}\n{key}\n");
        let rest = bytes.strip_prefix(header.as_bytes())?;
        let dim = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let body = &rest[4..];
        if dim == 0 || body.len() != dim * dim * 4 {
            return None;
        }
        let w = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some(Self {
            dim,
            w,
            key: key.to_string(),
        })
    }
}

/// Lower-triangular L with L·Lᵀ = a (row-major), or None when `a` is not positive definite.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// X with L·Lᵀ·X = b, column by column (row-major n × n).
fn solve_columns(l: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut x = vec![0f64; n * n];
    let mut y = vec![0f64; n];
    for c in 0..n {
        for i in 0..n {
            let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
            y[i] = (b[i * n + c] - s) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k * n + c]).sum();
            x[i * n + c] = (y[i] - s) / l[i * n + i];
        }
    }
    x
}

/// What a map fitted on `pairs` with `embedder` is keyed by.
fn fit_key(info: &EmbedderInfo, pairs: &str) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT.as_bytes());
    h.update(info.model_id.as_bytes());
    h.update((info.dim as u64).to_le_bytes());
    h.update(RIDGE.to_le_bytes());
    h.update(pairs.as_bytes());
    hex::encode(h.finalize())[..16].to_string()
}

async fn embed_all(
    embedder: &dyn Embedder,
    texts: Vec<String>,
) -> Result<Vec<Vec<f32>>, InferenceError> {
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(FIT_BATCH) {
        let want = batch.len();
        let vecs = embedder.embed(batch.to_vec(), EmbedKind::Query).await?;
        if vecs.len() != want {
            return Err(InferenceError::Backend(format!(
                "the embedder returned {} vectors for {want} texts",
                vecs.len()
            )));
        }
        out.extend(vecs);
    }
    Ok(out)
}

/// The maps for `embedder` fitted on `pairs` (JSONL, see [`BUILTIN_PAIRS`]): read from
/// `cache_dir` when a file for the same pairs, model and ridge is there, else fitted and
/// written there (a cache that cannot be written only costs the next start a refit).
pub async fn load_or_fit(
    embedder: &dyn Embedder,
    pairs: &str,
    cache_dir: Option<&Path>,
) -> Result<LanguageMaps, InferenceError> {
    let info = embedder.info();
    let key = fit_key(&info, pairs);
    let cache_file: Option<PathBuf> = cache_dir.map(|d| d.join(format!("language-map-{key}.bin")));
    if let Some(path) = &cache_file {
        if let Ok(bytes) = std::fs::read(path) {
            match LanguageMaps::from_bytes(&bytes, &key) {
                Some(m) if m.to_english.dim == info.dim && m.to_serbian.dim == info.dim => {
                    return Ok(m)
                }
                _ => {
                    tracing::warn!(path = %path.display(), "unreadable language map; fitting again")
                }
            }
        }
    }
    let pairs = parse_pairs(pairs)
        .map_err(|e| InferenceError::Backend(format!("language map pairs: {e}")))?;
    let en: Vec<String> = pairs.iter().map(|p| p.en.clone()).collect();
    let latin: Vec<String> = pairs.iter().map(|p| p.sr.clone()).collect();
    let cyrillic: Vec<String> = pairs.iter().map(|p| latin_to_cyrillic(&p.sr)).collect();
    let started = std::time::Instant::now();
    let y = embed_all(embedder, en).await?;
    let mut x = embed_all(embedder, latin).await?;
    x.extend(embed_all(embedder, cyrillic).await?);
    let english_twice: Vec<Vec<f32>> = y.iter().chain(y.iter()).cloned().collect();
    let unfit = || InferenceError::Backend("the language map could not be fitted".into());
    let map = LanguageMaps {
        to_english: LanguageMap::fit(&x, &english_twice, RIDGE, key.clone()).ok_or_else(unfit)?,
        to_serbian: LanguageMap::fit(&english_twice, &x, RIDGE, key).ok_or_else(unfit)?,
    };
    tracing::info!(
        pairs = pairs.len(),
        seconds = started.elapsed().as_secs_f32(),
        "fitted the Serbian ↔ English language maps"
    );
    if let Some(path) = &cache_file {
        let tmp = path.with_extension("tmp");
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|_| std::fs::write(&tmp, map.to_bytes()))
            .and_then(|_| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "could not cache the language map");
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests;
