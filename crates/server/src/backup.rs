//! Online backup and restore of a data directory: the conversation database (`frontdesk.db`),
//! the shop database (`shop.db`) and the knowledge index generation in force.
//!
//! The databases are copied with SQLite's online backup API in one step, which reads one
//! consistent snapshot while the server keeps writing (WAL lets writers go on). The index is
//! copied file by file: a generation is never changed once written, and if a re-index removes
//! it mid-copy the copy starts again from the new `CURRENT`. `backup.json`, written last, lists
//! every file with its size and sha256; restore checks them all before it writes anything, and
//! only restores into a data directory that holds none of these files.

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const MANIFEST_FILE: &str = "backup.json";
const FORMAT_VERSION: u32 = 1;
/// Names inside a backup folder (the shop database keeps this name whatever it is called live).
const CONVERSATIONS_DB: &str = crate::db::DB_FILE;
const SHOP_DB: &str = "shop.db";
const INDEX_DIR: &str = "index";
/// Attempts to copy the index while re-indexes keep replacing its generation.
const INDEX_ATTEMPTS: usize = 5;
/// Attempts at a database step that found it locked (rollback-journal writers on `shop.db`).
const BUSY_ATTEMPTS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Sqlite {
        what: String,
        source: rusqlite::Error,
    },
    #[error("backup is damaged: {0}")]
    Damaged(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

fn sql(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Sqlite { what, source }
}

/// Where a data directory's parts live (the shop database may be configured elsewhere).
#[derive(Debug, Clone)]
pub struct DataLayout {
    pub data_dir: PathBuf,
    pub shop_db: PathBuf,
}

impl DataLayout {
    pub fn from_config(config: &frontdesk_core::Config) -> Self {
        Self {
            data_dir: config.data_dir.clone(),
            shop_db: config
                .shop
                .database
                .clone()
                .unwrap_or_else(|| config.data_dir.join(SHOP_DB)),
        }
    }
    fn conversations_db(&self) -> PathBuf {
        self.data_dir.join(CONVERSATIONS_DB)
    }
    fn index_dir(&self) -> PathBuf {
        self.data_dir.join(INDEX_DIR)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupFile {
    /// Path inside the backup folder, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `backup.json`: what a complete backup holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupManifest {
    pub format_version: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub frontdesk_version: String,
    /// Newest applied migration of `frontdesk.db` (a newer server migrates a restored copy).
    pub schema_version: i64,
    pub files: Vec<BackupFile>,
}

fn is_missing_or_empty(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io(format!("cannot read {}", dir.display()))(e)),
    }
}

fn sha256_of(path: &Path) -> Result<(u64, String), BackupError> {
    let mut file =
        std::fs::File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)
        .map_err(io(format!("cannot read {}", path.display())))?;
    Ok((bytes, hex::encode(hasher.finalize())))
}

fn sync_file(path: &Path) -> Result<(), BackupError> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("cannot sync {}", path.display())))
}

/// Copies a live SQLite database into `dest` in one backup step (one consistent snapshot).
fn backup_database(src: &Path, dest: &Path) -> Result<(), BackupError> {
    let from = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql(format!("cannot open {}", src.display())))?;
    from.busy_timeout(Duration::from_secs(5))
        .map_err(sql("setting the busy timeout"))?;
    let mut to =
        Connection::open(dest).map_err(sql(format!("cannot create {}", dest.display())))?;
    {
        let backup = Backup::new(&from, &mut to)
            .map_err(sql(format!("cannot start backing up {}", src.display())))?;
        let mut attempts = 0;
        loop {
            match backup
                .step(-1)
                .map_err(sql(format!("backing up {}", src.display())))?
            {
                StepResult::Done => break,
                StepResult::More => continue,
                StepResult::Busy | StepResult::Locked if attempts < BUSY_ATTEMPTS => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => {
                    return Err(BackupError::Refused(format!(
                        "{} stayed locked during the backup ({other:?}); try again",
                        src.display()
                    )))
                }
            }
        }
    }
    check_integrity(&to, dest)?;
    // The copy keeps the source's WAL flag; a rollback journal makes it one self-contained
    // file (no -wal/-shm beside it). A server opening the restored file turns WAL on again.
    to.pragma_update(None, "journal_mode", "DELETE")
        .map_err(sql(format!("finishing {}", dest.display())))?;
    drop(to);
    sync_file(dest)
}

fn check_integrity(conn: &Connection, path: &Path) -> Result<(), BackupError> {
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sql(format!("checking {}", path.display())))?;
    if verdict != "ok" {
        return Err(BackupError::Damaged(format!(
            "{} fails SQLite's integrity check: {verdict}",
            path.display()
        )));
    }
    Ok(())
}

fn schema_version(db: &Path) -> Result<i64, BackupError> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(sql(format!("cannot open {}", db.display())))?;
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )
    .map_err(sql(format!(
        "reading the schema version of {}",
        db.display()
    )))
}

/// Copies the index generation in force (and its `CURRENT` pointer) into `dest/index`.
/// Returns the generation's name, or `None` when the data directory has no index yet.
fn backup_index(index: &Path, dest: &Path) -> Result<Option<String>, BackupError> {
    for _ in 0..INDEX_ATTEMPTS {
        let generation = match std::fs::read_to_string(index.join("CURRENT")) {
            Ok(name) => name.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("cannot read the index's CURRENT")(e)),
        };
        if generation.is_empty() || generation.contains(['/', '\\']) || generation == ".." {
            return Err(BackupError::Damaged(format!(
                "the index's CURRENT names {generation:?}, not a generation folder"
            )));
        }
        let out = dest.join(INDEX_DIR).join(&generation);
        let _ = std::fs::remove_dir_all(dest.join(INDEX_DIR));
        std::fs::create_dir_all(&out).map_err(io(format!("cannot create {}", out.display())))?;
        match copy_folder(&index.join(&generation), &out) {
            Ok(()) => {}
            // A re-index replaced the generation while it was being copied: start again.
            Err(BackupError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                continue
            }
            Err(e) => return Err(e),
        }
        frontdesk_retrieval::persist::read_manifest(&out)
            .map_err(|e| BackupError::Damaged(format!("the copied index: {e}")))?;
        let pointer = dest.join(INDEX_DIR).join("CURRENT");
        std::fs::write(&pointer, &generation)
            .map_err(io(format!("cannot write {}", pointer.display())))?;
        return Ok(Some(generation));
    }
    Err(BackupError::Refused(format!(
        "the index was replaced {INDEX_ATTEMPTS} times while it was being copied; try again when no re-index is running"
    )))
}

fn copy_folder(from: &Path, to: &Path) -> Result<(), BackupError> {
    let entries = std::fs::read_dir(from).map_err(io(format!("cannot list {}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(io(format!("cannot list {}", from.display())))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            std::fs::create_dir_all(&dst)
                .map_err(io(format!("cannot create {}", dst.display())))?;
            copy_folder(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(format!("cannot copy {}", src.display())))?;
            sync_file(&dst)?;
        }
    }
    Ok(())
}

fn list_files(root: &Path, dir: &Path, out: &mut Vec<BackupFile>) -> Result<(), BackupError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(format!("cannot list {}", dir.display())))?
        .collect::<Result<_, _>>()
        .map_err(io(format!("cannot list {}", dir.display())))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            list_files(root, &path, out)?;
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        if rel == MANIFEST_FILE {
            continue;
        }
        let (bytes, sha256) = sha256_of(&path)?;
        out.push(BackupFile {
            path: rel,
            bytes,
            sha256,
        });
    }
    Ok(())
}

/// Makes a consistent copy of a (possibly running) data directory in `dest`, which must be
/// missing or empty.
pub fn backup(layout: &DataLayout, dest: &Path) -> Result<BackupManifest, BackupError> {
    if !is_missing_or_empty(dest)? {
        return Err(BackupError::Refused(format!(
            "{} is not empty; back up into a new folder",
            dest.display()
        )));
    }
    let conversations = layout.conversations_db();
    if !conversations.exists() {
        return Err(BackupError::Refused(format!(
            "{} does not exist: nothing to back up in {}",
            conversations.display(),
            layout.data_dir.display()
        )));
    }
    std::fs::create_dir_all(dest).map_err(io(format!("cannot create {}", dest.display())))?;
    backup_database(&conversations, &dest.join(CONVERSATIONS_DB))?;
    if layout.shop_db.exists() {
        backup_database(&layout.shop_db, &dest.join(SHOP_DB))?;
    }
    backup_index(&layout.index_dir(), dest)?;

    let mut files = Vec::new();
    list_files(dest, dest, &mut files)?;
    let manifest = BackupManifest {
        format_version: FORMAT_VERSION,
        created_at: chrono::Utc::now(),
        frontdesk_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: schema_version(&dest.join(CONVERSATIONS_DB))?,
        files,
    };
    // Written last and renamed into place: a folder without it is an unfinished backup.
    let tmp = dest.join(format!("{MANIFEST_FILE}.tmp"));
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| BackupError::Damaged(format!("cannot serialise the manifest: {e}")))?;
    let mut f =
        std::fs::File::create(&tmp).map_err(io(format!("cannot create {}", tmp.display())))?;
    f.write_all(&text)
        .and_then(|()| f.sync_all())
        .map_err(io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, dest.join(MANIFEST_FILE))
        .map_err(io(format!("cannot finish {}", dest.display())))?;
    Ok(manifest)
}

/// Reads and checks a backup: the manifest, then every file's size and sha256.
pub fn verify(src: &Path) -> Result<BackupManifest, BackupError> {
    let path = src.join(MANIFEST_FILE);
    let text = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => BackupError::Refused(format!(
            "{} has no {MANIFEST_FILE}: not a complete frontdesk backup",
            src.display()
        )),
        _ => io(format!("cannot read {}", path.display()))(e),
    })?;
    let manifest: BackupManifest = serde_json::from_slice(&text)
        .map_err(|e| BackupError::Damaged(format!("{MANIFEST_FILE} is not valid: {e}")))?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(BackupError::Refused(format!(
            "backup format {} is not the {FORMAT_VERSION} this frontdesk reads",
            manifest.format_version
        )));
    }
    if !manifest.files.iter().any(|f| f.path == CONVERSATIONS_DB) {
        return Err(BackupError::Damaged(format!(
            "{MANIFEST_FILE} lists no {CONVERSATIONS_DB}"
        )));
    }
    for f in &manifest.files {
        let unsafe_path = f.path.split('/').any(|p| p.is_empty() || p == "..")
            || f.path.starts_with('/')
            || f.path.contains('\\');
        if unsafe_path {
            return Err(BackupError::Damaged(format!(
                "{MANIFEST_FILE} lists the path {:?}",
                f.path
            )));
        }
        let (bytes, sha256) = sha256_of(&src.join(&f.path))?;
        if bytes != f.bytes || sha256 != f.sha256 {
            return Err(BackupError::Damaged(format!(
                "{} does not match its checksum in {MANIFEST_FILE}",
                f.path
            )));
        }
    }
    Ok(manifest)
}

/// Restores a backup made by [`backup`] into a data directory that holds none of its parts.
pub fn restore(src: &Path, layout: &DataLayout) -> Result<BackupManifest, BackupError> {
    let manifest = verify(src)?;
    for taken in [
        layout.conversations_db(),
        layout.shop_db.clone(),
        layout.index_dir(),
    ] {
        if taken.exists() {
            return Err(BackupError::Refused(format!(
                "{} already exists; restore into an empty data directory (or move it away first)",
                taken.display()
            )));
        }
    }
    std::fs::create_dir_all(&layout.data_dir)
        .map_err(io(format!("cannot create {}", layout.data_dir.display())))?;
    // The index's CURRENT goes last, so it never names a generation that is not all there.
    let (pointer, rest): (Vec<&BackupFile>, Vec<&BackupFile>) = manifest
        .files
        .iter()
        .partition(|f| f.path == format!("{INDEX_DIR}/CURRENT"));
    for f in rest.into_iter().chain(pointer) {
        let target = match f.path.as_str() {
            CONVERSATIONS_DB => layout.conversations_db(),
            SHOP_DB => layout.shop_db.clone(),
            other => layout.data_dir.join(other),
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io(format!("cannot create {}", parent.display())))?;
        }
        // Copy to a temporary name and rename, so a half-copied file never looks restored.
        let tmp = target.with_extension("restoring");
        std::fs::copy(src.join(&f.path), &tmp)
            .map_err(io(format!("cannot copy {} into place", f.path)))?;
        sync_file(&tmp)?;
        std::fs::rename(&tmp, &target)
            .map_err(io(format!("cannot move {} into place", target.display())))?;
    }
    let db = layout.conversations_db();
    let conn = Connection::open(&db).map_err(sql(format!("cannot open {}", db.display())))?;
    check_integrity(&conn, &db)?;
    Ok(manifest)
}
