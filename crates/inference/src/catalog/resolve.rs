//! From a configured model name or path to files on disk.

use super::error::CatalogError;
use super::spec::{Catalog, Format, ModelSpec};
use frontdesk_core::config::ModelsConfig;
use std::path::{Path, PathBuf};

/// The model cache: `FRONTDESK_MODEL_DIR`, else `models.model_dir`, else the user's cache dir.
pub fn model_dir(cfg: &ModelsConfig) -> PathBuf {
    if let Some(d) = std::env::var_os("FRONTDESK_MODEL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = &cfg.model_dir {
        return d.clone();
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("frontdesk")
        .join("models")
}

/// A fetched model file (`relative` to the model cache) for a test that needs the real model:
/// `Some(path)` when it is there; `None` when it is not, so the test skips and says so, unless
/// `FRONTDESK_REQUIRE_MODELS=1` (CI), where a missing file fails the test.
pub fn model_file_for_test(relative: &str) -> Option<PathBuf> {
    let file = model_dir(&ModelsConfig::default()).join(relative);
    if file.exists() {
        return Some(file);
    }
    assert!(
        std::env::var("FRONTDESK_REQUIRE_MODELS").as_deref() != Ok("1"),
        "FRONTDESK_REQUIRE_MODELS=1 but {} is missing; run `frontdesk models fetch`",
        file.display()
    );
    eprintln!("skipped: {} not found", file.display());
    None
}

/// The catalog named by `models.catalog`, or the embedded one.
pub fn catalog_for(cfg: &ModelsConfig) -> Result<Catalog, CatalogError> {
    match &cfg.catalog {
        Some(p) => Catalog::load(p),
        None => Ok(Catalog::embedded()),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    /// Catalog name, or the path as given.
    pub name: String,
    /// Present for catalog models (fetchable and verifiable).
    pub spec: Option<ModelSpec>,
    pub format: Format,
    /// The file to open (GGUF, E5S1) or the folder (safetensors models).
    pub path: PathBuf,
}

impl ResolvedModel {
    /// All files the model needs exist (sizes are not checked here; `verify` hashes them).
    pub fn is_present(&self) -> bool {
        match &self.spec {
            Some(spec) => {
                let dir = self.folder();
                spec.files.iter().all(|f| dir.join(&f.output).is_file())
            }
            None => self.path.exists(),
        }
    }

    /// Folder holding the model's files.
    pub fn folder(&self) -> PathBuf {
        if self.path.is_dir() || (self.spec.is_some() && self.format == Format::BertSafetensors) {
            self.path.clone()
        } else {
            self.path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        }
    }
}

fn magic(path: &Path) -> Option<[u8; 4]> {
    use std::io::Read;
    let mut b = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .ok()?;
    Some(b)
}

fn local_format(path: &Path) -> Option<(Format, PathBuf)> {
    if path.is_file() {
        return match &magic(path)? {
            b"GGUF" => Some((Format::Gguf, path.to_path_buf())),
            b"E5S1" => Some((Format::E5s1, path.to_path_buf())),
            _ => None,
        };
    }
    if path.join("model.safetensors").is_file() && path.join("tokenizer.json").is_file() {
        return Some((Format::BertSafetensors, path.to_path_buf()));
    }
    for (file, format) in [
        ("model.gguf", Format::Gguf),
        ("e5-small-q4.bin", Format::E5s1),
    ] {
        if path.join(file).is_file() {
            return Some((format, path.join(file)));
        }
    }
    None
}

/// A catalog name resolves into `model_dir`; an existing path is taken as-is (operators who keep
/// the files elsewhere).
pub fn resolve(
    catalog: &Catalog,
    name_or_path: &str,
    model_dir: &Path,
) -> Result<ResolvedModel, CatalogError> {
    if let Some(spec) = catalog.get(name_or_path) {
        let dir = model_dir.join(&spec.name);
        let path = match spec.main_file() {
            Some(f) => dir.join(f),
            None => dir,
        };
        return Ok(ResolvedModel {
            name: spec.name.clone(),
            spec: Some(spec.clone()),
            format: spec.format,
            path,
        });
    }
    let p = Path::new(name_or_path);
    if p.exists() {
        return match local_format(p) {
            Some((format, path)) => Ok(ResolvedModel { name: name_or_path.to_string(), spec: None, format, path }),
            None => Err(CatalogError::Unusable {
                model: name_or_path.to_string(),
                why: "not a GGUF file, an E5S1 file, or a folder with model.safetensors + tokenizer.json".into(),
            }),
        };
    }
    Err(CatalogError::UnknownModel {
        name: name_or_path.to_string(),
        known: catalog.names().join(", "),
    })
}
