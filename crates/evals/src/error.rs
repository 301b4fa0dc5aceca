//! Errors of the eval runner: each names the file or suite at fault and what to change.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("suite manifest {path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("suite {suite}: {message}")]
    Suite { suite: String, message: String },
    #[error("{0}")]
    Backend(String),
    #[error("target {url}: {message}")]
    Http { url: String, message: String },
    #[error("cannot write report {path}: {message}")]
    Report { path: PathBuf, message: String },
}

impl EvalError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
    pub fn suite(suite: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Suite {
            suite: suite.into(),
            message: message.to_string(),
        }
    }
}
