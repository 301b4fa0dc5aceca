//! Backup during traffic: while customers keep writing, `backup` copies the data directory
//! (conversations, shop, index); the copy restores into a new directory, and every message
//! acknowledged before the backup began is in it. A damaged backup or a used data directory is
//! refused.

mod common;

use common::http_client::open_conversation;
use common::*;
use frontdesk_core::testing::HashEmbedder;
use frontdesk_core::{Config, Store};
use frontdesk_server::backup::{self, BackupError, DataLayout};
use frontdesk_server::SqliteStore;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn layout(dir: &Path) -> DataLayout {
    DataLayout::from_config(&Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    })
}

/// A data directory with a seeded shop and a small knowledge index beside the conversations.
async fn add_shop_and_index(dir: &Path) -> (Value, String) {
    let shop = frontdesk_commerce::SqliteCommerce::open(&dir.join("shop.db")).unwrap();
    shop.seed_from_dir(&workspace().join("knowledge/store"))
        .unwrap();
    let kb = dir.join("kb");
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(
        kb.join("returns.md"),
        "# Returns\n\nYou can return shoes within 30 days.\n",
    )
    .unwrap();
    let embedder = Arc::new(HashEmbedder::new(64));
    let (_, report) = frontdesk_retrieval::HybridIndex::open_or_build(
        dir,
        &[kb],
        embedder,
        &Default::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.documents, 1);
    let generation = std::fs::read_to_string(dir.join("index/CURRENT")).unwrap();
    (shop.snapshot().unwrap(), generation)
}

#[tokio::test]
async fn backup_during_traffic_restores_every_acknowledged_message() {
    let f = fixture_with(FakeAssistant::slow(Duration::from_millis(1)), |c| {
        c.server.max_concurrent_turns = 16;
    });
    let (shop_before, generation) = add_shop_and_index(f.dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(frontdesk_server::serve(
        listener,
        f.state.clone(),
        std::future::pending(),
        Duration::from_secs(1),
    ));

    // Writers: each acknowledged message is recorded with the instant its 200 arrived.
    let acked: Arc<Mutex<Vec<(String, String, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::new();
    let mut writers = Vec::new();
    for w in 0..6 {
        let (http, base, acked, stop) = (http.clone(), base.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let (id, token) = open_conversation(&http, &base).await;
                for _ in 0..3 {
                    i += 1;
                    let text = format!("writer {w} message {i}");
                    let r = http
                        .post(format!("{base}/v1/conversations/{id}/messages"))
                        .bearer_auth(&token)
                        .json(&json!({ "text": text }))
                        .send()
                        .await
                        .unwrap();
                    if r.status() == 200 {
                        acked
                            .lock()
                            .unwrap()
                            .push((id.clone(), text, Instant::now()));
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let dest = tempfile::tempdir().unwrap();
    let backup_dir = dest.path().join("backup");
    let started = Instant::now();
    let manifest = {
        let (layout, backup_dir) = (layout(f.dir.path()), backup_dir.clone());
        tokio::task::spawn_blocking(move || backup::backup(&layout, &backup_dir))
            .await
            .unwrap()
            .unwrap()
    };
    let finished = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let before: Vec<_> = acked.iter().filter(|(_, _, at)| *at < started).collect();
    let after = acked.iter().filter(|(_, _, at)| *at > finished).count();
    assert!(
        before.len() > 20,
        "too little traffic before the backup: {}",
        before.len()
    );
    assert!(after > 0, "traffic did not go on after the backup");
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert!(
        paths.contains(&"frontdesk.db") && paths.contains(&"shop.db"),
        "{paths:?}"
    );
    assert!(paths.contains(&"index/CURRENT"), "{paths:?}");
    // The folder holds what the manifest lists (no -wal or -shm beside the copies) and no more.
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(&backup_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name != "index" && name != "backup.json" {
            on_disk.push(name);
        }
    }
    on_disk.sort();
    assert_eq!(on_disk, vec!["frontdesk.db", "shop.db"]);
    assert!(
        paths.contains(&format!("index/{generation}/manifest.json").as_str()),
        "{paths:?}"
    );

    // Restore into a new directory: every message acknowledged before the backup is there.
    let restored = tempfile::tempdir().unwrap();
    let target = restored.path().join("data");
    backup::restore(&backup_dir, &layout(&target)).unwrap();
    let store = SqliteStore::open_in(&target).unwrap();
    let mut missing = Vec::new();
    let mut by_conversation: std::collections::HashMap<String, HashSet<String>> =
        Default::default();
    for (id, text, _) in &before {
        if !by_conversation.contains_key(id) {
            let texts = store
                .messages(id)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.text)
                .collect();
            by_conversation.insert(id.clone(), texts);
        }
        if !by_conversation[id].contains(text) {
            missing.push(text.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged messages missing from the restored copy: {missing:?}",
        missing.len()
    );
    eprintln!(
        "backup during traffic: {} messages acknowledged before it, all restored; {} after it; backup took {:?}",
        before.len(),
        after,
        finished - started
    );

    // The shop and the index came back as they were.
    let shop = frontdesk_commerce::SqliteCommerce::open(&target.join("shop.db")).unwrap();
    assert_eq!(shop.snapshot().unwrap(), shop_before);
    assert_eq!(
        std::fs::read_to_string(target.join("index/CURRENT")).unwrap(),
        generation
    );
    let (_, report) = frontdesk_retrieval::HybridIndex::open_or_build(
        &target,
        &[f.dir.path().join("kb")],
        Arc::new(HashEmbedder::new(64)),
        &Default::default(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        report.embedded_chunks, 0,
        "the restored index had to be rebuilt"
    );

    // Restoring over a data directory in use is refused; so is a damaged backup.
    let err = backup::restore(&backup_dir, &layout(&target)).unwrap_err();
    assert!(matches!(err, BackupError::Refused(_)), "{err}");
    let db = backup_dir.join("shop.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&db, bytes).unwrap();
    let err = backup::restore(&backup_dir, &layout(&restored.path().join("other"))).unwrap_err();
    assert!(
        err.to_string()
            .contains("shop.db does not match its checksum"),
        "{err}"
    );
    assert!(
        !restored.path().join("other/frontdesk.db").exists(),
        "a damaged backup was partly restored"
    );
    // A backup goes into a new folder only.
    let err = backup::backup(&layout(f.dir.path()), &backup_dir).unwrap_err();
    assert!(matches!(err, BackupError::Refused(_)), "{err}");
}
