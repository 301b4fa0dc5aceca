//! The widget and the agent console in a real headless chromium: a customer asks, gets a
//! streamed answer, asks for a human; an agent claims and replies; the customer sees it.
//! A self-test page (served only by this test) drives both pages in iframes and posts what
//! the DOM showed back to the test. Skipped without chromium unless FRONTDESK_REQUIRE_BROWSER=1.

mod common;

use axum::routing::{get, post};
use common::*;
use serde_json::Value;
use std::time::Duration;

const SELFTEST: &str = r##"<!doctype html><html><body>
<iframe id="cust" src="/" width="600" height="600"></iframe>
<iframe id="agent" src="/agent" width="900" height="600"></iframe>
<script>
const KEY = "__AGENT_KEY__";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, what, ms = 30000) {
  const t = Date.now();
  while (Date.now() - t < ms) { try { const v = fn(); if (v) return v; } catch (_) {} await sleep(100); }
  throw new Error("timed out waiting for " + what);
}
const report = (r) => fetch("/selftest/result", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(r) });
window.addEventListener("load", async () => {
  const cd = () => document.getElementById("cust").contentWindow.document;
  const ad = () => document.getElementById("agent").contentWindow.document;
  try {
    await until(() => cd().body.dataset.ready === "1", "widget ready");
    cd().getElementById("input").value = "What are your opening hours?";
    cd().getElementById("send").click();
    const answer = await until(() => { const b = [...cd().querySelectorAll(".msg.bot")].find((m) => m.dataset.done === "1"); return b && b.querySelector(".text").textContent; }, "bot answer");
    const cite = await until(() => cd().querySelector(".msg.bot .cites a"), "citation link");
    cd().getElementById("input").value = "I want to talk to a human";
    cd().getElementById("send").click();
    await until(() => cd().getElementById("status").dataset.status === "waiting_for_human", "waiting status");
    ad().getElementById("key").value = KEY;
    ad().getElementById("connect").click();
    (await until(() => ad().querySelector("#queue li button.open"), "queue item")).click();
    await until(() => !ad().getElementById("detail").hidden && !ad().getElementById("claim").disabled, "handoff detail");
    const summary = ad().getElementById("summary").textContent;
    ad().getElementById("claim").click();
    await until(() => !ad().getElementById("reply-send").disabled, "claimed");
    ad().getElementById("reply-text").value = "Hi, this is Ana from support.";
    ad().getElementById("reply-send").click();
    const agentMsg = await until(() => { const m = cd().querySelector(".msg.agent .text"); return m && m.textContent; }, "agent message in the widget");
    const status = await until(() => cd().getElementById("status").dataset.status === "human" && cd().getElementById("status").textContent, "human status");
    await report({ ok: true, answer, cite: cite.href, summary, agentMsg, status });
  } catch (e) {
    await report({ ok: false, error: String(e) });
  }
});
</script></body></html>"##;

fn find_chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")
                .and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|p| p.join(name))
                        .find(|p| p.is_file())
                })
                .map(|p| p.display().to_string())
        })
}

#[tokio::test]
async fn widget_and_agent_console_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        assert!(std::env::var("FRONTDESK_REQUIRE_BROWSER").as_deref() != Ok("1"), "FRONTDESK_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install -y chromium)");
        eprintln!("skipping: chromium not installed");
        return;
    };
    let f = fixture_with(FakeAssistant::slow(Duration::from_millis(20)), |_| {});
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Value>(1);
    let page = SELFTEST.replace("__AGENT_KEY__", AGENT_KEY);
    let router = frontdesk_server::app(f.state.clone()).merge(
        axum::Router::new()
            .route(
                "/selftest",
                get(move || async move { axum::response::Html(page.clone()) }),
            )
            .route(
                "/selftest/result",
                post(move |axum::Json(v): axum::Json<Value>| {
                    let tx = tx.clone();
                    async move {
                        let _ = tx.send(v).await;
                        "ok"
                    }
                }),
            ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/selftest", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let profile = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(&url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromium");
    let result = tokio::time::timeout(Duration::from_secs(90), rx.recv()).await;
    let _ = child.kill().await;
    let result = result
        .expect("the self-test page did not report within 90 s")
        .expect("result");
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["answer"], "We are open every day from 8 to 20 [1].");
    assert_eq!(result["cite"], "https://shop.example/hours");
    assert!(
        result["summary"]
            .as_str()
            .unwrap()
            .contains("talk to a human"),
        "{result}"
    );
    assert_eq!(result["agentMsg"], "Hi, this is Ana from support.");
    assert!(
        result["status"]
            .as_str()
            .unwrap()
            .contains("agent has joined"),
        "{result}"
    );
}
