//! A server as a child process: the test binary re-runs itself with one ignored test selected
//! (the child's entry point), which serves on 127.0.0.1:0 and publishes its address in a file,
//! so a test can `kill -9` a real process and start another.

use frontdesk_server::AppState;
use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

/// The child's side: serves `state` on a free loopback port until killed, after writing the
/// address to `dir/addr` (whole or not at all: written aside, then renamed).
pub async fn serve_publishing_address(dir: &Path, state: AppState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::fs::write(dir.join("addr.tmp"), addr).unwrap();
    std::fs::rename(dir.join("addr.tmp"), dir.join("addr")).unwrap();
    frontdesk_server::serve(
        listener,
        state,
        std::future::pending(),
        Duration::from_secs(1),
    )
    .await
    .unwrap();
}

/// The test's side: starts this test binary's ignored test `entry` as a child with `env` set
/// (the child finds `dir` through one of them) and waits up to 20 s for its address; returns
/// the child (killed when dropped) and its base URL.
pub async fn start_child_server(
    entry: &str,
    dir: &Path,
    env: &[(&str, &OsStr)],
) -> (tokio::process::Child, String) {
    let _ = std::fs::remove_file(dir.join("addr"));
    let mut command = tokio::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", entry, "--ignored", "--nocapture"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().unwrap();
    for _ in 0..400 {
        if let Ok(a) = std::fs::read_to_string(dir.join("addr")) {
            return (child, format!("http://{a}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("child server {entry} did not start");
}
