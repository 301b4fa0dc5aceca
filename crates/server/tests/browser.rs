//! The web pages in a real headless chromium. Each test serves the app on a loopback port, a
//! driver page (served only by the test) works the page like a person would and posts what the
//! DOM showed, step by step, back to the test, which plays the other side (the agent through
//! the API, or the customers) between the steps:
//!
//! - the widget embedded with `<script src=".../embed.js">` on a page of another origin, on a
//!   360 px wide screen: a plan confirmed with the Yes button, a cited answer, the keyboard,
//!   a reload that keeps the conversation, the wait for a person (hours, expected wait), the
//!   agent's name and reply, the hand back, CSAT after a close, the Serbian Cyrillic strings;
//! - the agent console: the live queue (counts, title badge, alert), two conversations open,
//!   the verified customer's orders, a suggested reply inserted, edited and sent, a customer's
//!   message arriving live, a canned response, the "mine" filter, the Serbian strings;
//! - the operator page's charts from a seeded database, the unanswered questions, re-index
//!   and reload.
//!
//! Skipped without chromium unless FRONTDESK_REQUIRE_BROWSER=1. With FRONTDESK_SCREENSHOTS=DIR
//! the tests also write the README's screenshots there (`scripts/screenshots`).

#[path = "common/cdp.rs"]
mod cdp;
mod common;

use axum::routing::{get, post};
use axum::Router;
use common::*;
use frontdesk_core::conversation::Speaker;
use frontdesk_core::store::{HandoffRecord, HandoffState};
use frontdesk_core::EscalationReason;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Helpers every driver page starts with: `until` polls a condition, `step` reports to the
/// test, errors (thrown or uncaught) are reported as the step `error`.
const DRIVER_JS: &str = r##"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, what, ms = 30000) {
  const t = Date.now();
  let last;
  while (Date.now() - t < ms) { try { const v = fn(); if (v) return v; } catch (e) { last = e; } await sleep(60); }
  throw new Error("timed out waiting for " + what + (last ? " (" + last + ")" : ""));
}
const step = (name, data) => fetch("/selftest/step", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(Object.assign({ step: name }, data || {})) });
window.addEventListener("error", (e) => step("error", { error: String(e.message) + " at " + e.filename + ":" + e.lineno }));
async function drive(fn) { try { await fn(); } catch (e) { await step("error", { error: String(e && e.stack || e) }); } }
"##;

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

fn chromium_or_skip() -> Option<String> {
    let found = find_chromium();
    if found.is_none() {
        assert!(
            std::env::var("FRONTDESK_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "FRONTDESK_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install -y chromium)"
        );
        eprintln!("skipping: chromium not installed");
    }
    found
}

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--autoplay-policy=no-user-gesture-required",
    "--lang=en-GB",
];

/// A chromium showing `url` in a `width`×`height` window until dropped.
struct Browser {
    child: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn open(chromium: &str, url: &str, (width, height): (u32, u32)) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = tokio::process::Command::new(chromium)
            .args(CHROMIUM_FLAGS)
            .arg("--remote-debugging-port=0")
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromium");
        Browser {
            child,
            _profile: profile,
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Where `FRONTDESK_SCREENSHOTS` asks for the README's screenshots, if it does.
fn screenshot_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("FRONTDESK_SCREENSHOTS")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
}

/// Writes a PNG of `url` in a `width`×`height` viewport once the JavaScript expression
/// `ready` holds (through the DevTools protocol: `common/cdp.rs`).
async fn screenshot(
    chromium: &str,
    url: &str,
    size: (u32, u32),
    ready: &str,
    out: &std::path::Path,
) {
    let (chromium, url, ready, out) = (
        chromium.to_string(),
        url.to_string(),
        ready.to_string(),
        out.to_path_buf(),
    );
    tokio::task::spawn_blocking(move || {
        let mut page = cdp::Page::launch(&chromium, CHROMIUM_FLAGS);
        page.screenshot(&url, size, &ready, &out);
    })
    .await
    .expect("screenshot");
}

/// The steps a driver page reports, in order.
struct Steps(mpsc::UnboundedReceiver<Value>);

impl Steps {
    /// Waits for step `name`; any other step first (an error) fails the test.
    async fn expect(&mut self, name: &str) -> Value {
        let v = tokio::time::timeout(Duration::from_secs(90), self.0.recv())
            .await
            .unwrap_or_else(|_| panic!("the page did not report {name:?} within 90 s"))
            .expect("step channel");
        assert_eq!(v["step"], name, "expected step {name:?}, got {v}");
        v
    }
}

/// A router serving `page` at `/selftest` and taking its steps at `/selftest/step`.
fn driver(page: String) -> (Router, Steps) {
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    let router = Router::new()
        .route(
            "/selftest",
            get(move || {
                let page = page.clone();
                async move { axum::response::Html(page) }
            }),
        )
        .route(
            "/selftest/step",
            post(move |axum::Json(v): axum::Json<Value>| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(v);
                    "ok"
                }
            }),
        );
    (router, Steps(rx))
}

async fn listen() -> (tokio::net::TcpListener, SocketAddr) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

fn serve(listener: tokio::net::TcpListener, router: Router) {
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
}

/// Seeds a handoff opened ten minutes ago and claimed `wait_secs` later: the last day's
/// median wait the widget shows.
async fn seed_claimed_handoff(f: &Fixture, wait_secs: i64) {
    let (cid, _) = new_conversation(&f.state).await;
    let created = chrono::Utc::now() - chrono::Duration::minutes(10);
    f.state
        .store
        .create_handoff(&HandoffRecord {
            id: "earlier-handoff".into(),
            conversation_id: cid,
            reason: EscalationReason::CustomerRequest,
            summary: "an earlier customer".into(),
            state: HandoffState::Resolved,
            agent: Some("ana".into()),
            created_at: created,
            updated_at: created,
            ticket: false,
            claimed_at: Some(created + chrono::Duration::seconds(wait_secs)),
        })
        .await
        .unwrap();
}

async fn the_waiting_handoff(f: &Fixture) -> String {
    let l = call(
        &f.state,
        "GET",
        "/v1/handoffs?state=waiting",
        Some(AGENT_KEY),
        None,
        None,
    )
    .await
    .json();
    let all = l["handoffs"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{l}");
    all[0]["id"].as_str().unwrap().to_string()
}

async fn agent_post(f: &Fixture, path: &str, body: Option<Value>) -> Value {
    let r = call(&f.state, "POST", path, Some(AGENT_KEY), body, None).await;
    assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    r.json()
}

/// The shop's own page, on its own origin, with the widget's one script tag.
const SHOP_PAGE: &str = r##"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>A shop</title>
<style>body { font-family: Georgia, serif; margin: 0; padding: 1rem; background: #fdf6ec; } h1 { color: #6b3e26; }</style></head>
<body><h1>Kettle &amp; Crumb</h1><p>Hand-thrown mugs and teapots. Questions? Ask us in the chat.</p>
<script src="__API__/embed.js" data-lang="en" data-title="Kettle & Crumb help"></script>
</body></html>"##;

/// Drives the shop's page in a 360 × 740 frame (a phone's screen; a headless window is never
/// that narrow).
const WIDGET_DRIVER: &str = r##"<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="shop" src="/host" style="width:360px;height:740px;border:0"></iframe>
<script>__DRIVER__
const win = () => document.getElementById("shop").contentWindow;
const host = () => win().document.getElementById("frontdesk-widget");
const root = () => host().shadowRoot;
const q = (s) => root().querySelector(s);
const texts = (sel) => [...root().querySelectorAll(sel)].map((e) => e.textContent);
async function say(text) {
  const before = root().querySelectorAll(".msg.bot[data-done]").length;
  q("#fd-input").value = text;
  q(".send-btn").click();
  return until(() => { const b = root().querySelectorAll(".msg.bot[data-done]"); return b.length > before && b[b.length - 1]; }, "the reply to " + text);
}
window.addEventListener("load", () => drive(async () => {
  {
    await until(() => host() && q(".launcher"), "launcher");
    const panelHiddenAtFirst = q(".panel").hidden;
    q(".launcher").click();
    await until(() => host().dataset.ready === "1", "widget ready");
    const focusedInput = root().activeElement === q("#fd-input");
    const expanded = q(".launcher").getAttribute("aria-expanded");
    const plan = await say("please show me the plan");
    const card = await until(() => q(".card"), "plan card");
    const planText = card.querySelector(".plan").textContent;
    const yesFocused = root().activeElement === card.querySelector(".yes");
    const labels = [card.querySelector(".yes").textContent, card.querySelector(".no").textContent];
    const before = root().querySelectorAll(".msg.bot[data-done]").length;
    card.querySelector(".yes").click();
    const done = await until(() => { const b = root().querySelectorAll(".msg.bot[data-done]"); return b.length > before && b[b.length - 1].querySelector(".text").textContent; }, "the yes answered");
    const customerSaid = texts(".msg.customer .text").pop();
    const cardClosed = card.querySelector(".yes").disabled && card.querySelector(".no").disabled;
    const answer = (await say("What are your opening hours?")).querySelector(".text").textContent;
    const cite = await until(() => q(".msg.bot .cites a"), "citation link");
    const panel = q(".panel").getBoundingClientRect();
    const layout = { innerWidth: win().innerWidth, scrollWidth: win().document.documentElement.scrollWidth, panelWidth: panel.width, panelLeft: panel.left, inputWidth: q("#fd-input").getBoundingClientRect().width, sendRight: q(".send-btn").getBoundingClientRect().right };
    q("#fd-input").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, composed: true }));
    const closedByEscape = q(".panel").hidden && root().activeElement === q(".launcher");
    q(".launcher").click();
    await step("before-reload", { panelHiddenAtFirst, focusedInput, expanded, planReply: plan.querySelector(".text").textContent, planText, yesFocused, labels, done, customerSaid, cardClosed, answer, cite: cite.href, citeText: cite.textContent, layout, closedByEscape });
    win().location.reload();
    await sleep(300);
  }
  await until(() => host() && host().dataset.ready === "1" && !q(".panel").hidden, "widget ready again, open");
  await step("after-reload", { customer: texts(".msg.customer .text"), bot: texts(".msg.bot .text"), cards: root().querySelectorAll(".card").length });
  await say("I want to talk to a human");
  await until(() => host().dataset.status === "waiting_for_human" && q(".status .wait"), "waiting status with the expected wait");
  await step("waiting", { status: q(".status").textContent, hours: q(".status .hours").textContent, wait: q(".status .wait").textContent });
  const agent = await until(() => q(".msg.agent"), "the agent's message");
  await until(() => host().dataset.status === "human", "human status");
  await step("agent", { text: agent.querySelector(".text").textContent, who: agent.querySelector(".who").textContent, status: q(".status").textContent, system: texts(".msg.system .text") });
  await until(() => host().dataset.status === "bot" && texts(".msg.system .text").includes("You are back with the assistant."), "back with the bot");
  await step("released", {});
  await say("a human again please");
  await until(() => host().dataset.status === "waiting_for_human", "waiting again");
  await step("waiting-again", {});
  await until(() => !q(".csat").hidden, "the rating form after the close");
  const disabledBefore = q(".rate-send").disabled;
  root().querySelector("label[for=fd-star-4]").click();
  q("#fd-comment").value = "Quick and kind.";
  q(".rate-send").click();
  const thanks = await until(() => q(".rate-done").textContent, "the thanks");
  await step("rated", { status: q(".status").textContent, inputDisabled: q("#fd-input").disabled, disabledBefore, thanks, stars: root().querySelectorAll(".stars label.on").length, legend: q(".rate-legend").textContent });
  q(".new-chat").click();
  await until(() => host().dataset.status === "bot" && !q("#fd-input").disabled && !root().querySelector(".msg"), "a new conversation");
  await say("Здраво");
  await until(() => q(".send-btn").textContent === "Пошаљи", "Cyrillic strings");
  await step("cyrillic", { placeholder: q("#fd-input").placeholder, send: q(".send-btn").textContent, rate: q(".rate-legend").textContent, lang: host().lang });
}));
</script></body></html>"##;

/// The widget on another origin's page, on a 360 px wide screen.
#[tokio::test]
async fn embedded_widget_on_another_origin_in_headless_chromium() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (api_listener, api_addr) = listen().await;
    let (shop_listener, shop_addr) = listen().await;
    let shop_origin = format!("http://{shop_addr}");
    let api_origin = format!("http://{api_addr}");
    let f = fixture_with(FakeAssistant::slow(Duration::from_millis(10)), |c| {
        c.server.allowed_origins = vec![shop_origin.clone()];
    });
    seed_claimed_handoff(&f, 180).await;
    serve(api_listener, frontdesk_server::app(f.state.clone()));
    let shop_page = SHOP_PAGE.replace("__API__", &api_origin);
    let (router, mut steps) = driver(WIDGET_DRIVER.replace("__DRIVER__", DRIVER_JS));
    let router = router
        .route(
            "/host",
            get(move || async move { axum::response::Html(shop_page) }),
        )
        .route(
            "/shot",
            get(
                move |axum::extract::Query(q): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >| async move { axum::response::Html(shot_page(&api_origin, &q)) },
            ),
        );
    serve(shop_listener, router);
    let _browser = Browser::open(&chromium, &format!("{shop_origin}/selftest"), (800, 900));

    let s = steps.expect("before-reload").await;
    assert_eq!(s["panelHiddenAtFirst"], true, "{s}");
    assert_eq!(
        s["focusedInput"], true,
        "opening moves focus to the input: {s}"
    );
    assert_eq!(s["expanded"], "true");
    assert_eq!(s["planReply"], "You said: please show me the plan");
    assert_eq!(s["planText"], "cancel order #W1");
    assert_eq!(s["yesFocused"], true, "{s}");
    assert_eq!(s["labels"], json!(["Yes", "No"]));
    assert_eq!(s["customerSaid"], "Yes");
    assert_eq!(s["done"], "Done: order #W1 is cancelled.");
    assert_eq!(s["cardClosed"], true);
    assert_eq!(s["answer"], "We are open every day from 8 to 20 [1].");
    assert_eq!(s["cite"], "https://shop.example/hours");
    assert_eq!(s["closedByEscape"], true, "{s}");
    let layout = &s["layout"];
    assert_eq!(layout["innerWidth"], 360, "{s}");
    assert!(layout["scrollWidth"].as_f64().unwrap() <= 360.0, "{s}");
    assert!(
        layout["panelWidth"].as_f64().unwrap() <= 360.0
            && layout["panelLeft"].as_f64().unwrap() >= 0.0,
        "{s}"
    );
    assert!(
        layout["inputWidth"].as_f64().unwrap() >= 180.0
            && layout["sendRight"].as_f64().unwrap() <= 360.0,
        "{s}"
    );
    // The plan was carried out once, as the yes asked.
    let conversation = {
        let (convs, _) = (f.state.store.open_conversations().await.unwrap(), ());
        let mut found = None;
        for c in convs {
            let m = f.state.store.messages(&c).await.unwrap();
            if m.iter().any(|m| m.text == "Done: order #W1 is cancelled.") {
                found = Some(c);
            }
        }
        found.expect("the widget's conversation")
    };
    let said: Vec<String> = f
        .state
        .store
        .messages(&conversation)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.speaker == Speaker::Customer)
        .map(|m| m.text)
        .collect();
    assert_eq!(
        said,
        [
            "please show me the plan",
            "yes",
            "What are your opening hours?"
        ]
    );

    let s = steps.expect("after-reload").await;
    assert_eq!(
        s["customer"],
        json!([
            "please show me the plan",
            "yes",
            "What are your opening hours?"
        ]),
        "{s}"
    );
    assert_eq!(s["bot"][1], "Done: order #W1 is cancelled.", "{s}");
    assert_eq!(
        s["cards"], 0,
        "an answered plan shows no card after a reload: {s}"
    );

    let s = steps.expect("waiting").await;
    assert_eq!(
        s["hours"], "Our team answers Mon–Sun, 00:00–23:59 (UTC+0).",
        "{s}"
    );
    assert_eq!(s["wait"], "Expected wait: about 3 min.", "{s}");
    let h = the_waiting_handoff(&f).await;
    agent_post(&f, &format!("/v1/handoffs/{h}/claim"), None).await;
    agent_post(
        &f,
        &format!("/v1/handoffs/{h}/messages"),
        Some(json!({"text": "Hello, Ana here. How can I help?"})),
    )
    .await;

    let s = steps.expect("agent").await;
    assert_eq!(s["text"], "Hello, Ana here. How can I help?");
    assert_eq!(s["who"], "ana");
    assert_eq!(s["status"], "You are talking with ana.");
    assert!(
        s["system"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "ana joined the conversation."),
        "{s}"
    );
    agent_post(&f, &format!("/v1/handoffs/{h}/release"), None).await;

    steps.expect("released").await;
    steps.expect("waiting-again").await;
    let h = the_waiting_handoff(&f).await;
    agent_post(&f, &format!("/v1/handoffs/{h}/close"), None).await;

    let s = steps.expect("rated").await;
    assert_eq!(s["status"], "This conversation is closed.");
    assert_eq!(s["inputDisabled"], true);
    assert_eq!(
        s["disabledBefore"], true,
        "no rating is sent before a star is chosen"
    );
    assert_eq!(s["thanks"], "Thank you for your rating!");
    assert_eq!(s["stars"], 4);
    assert_eq!(s["legend"], "How did we do?");
    let a = f.state.store.analytics().await.unwrap();
    assert_eq!((a.csat_count, a.csat_average), (1, Some(4.0)));
    let export = f.state.store.messages(&conversation).await.unwrap();
    assert!(export
        .iter()
        .any(|m| m.text == "Hello, Ana here. How can I help?"));

    let s = steps.expect("cyrillic").await;
    assert_eq!(s["placeholder"], "Поставите питање…");
    assert_eq!(s["send"], "Пошаљи");
    assert_eq!(s["rate"], "Како смо вам помогли?");
    assert_eq!(s["lang"], "sr-Cyrl");

    if let Some(dir) = screenshot_dir() {
        // A conversation to show: a cited answer and a plan waiting for its yes.
        let (id, token) = new_conversation(&f.state).await;
        for text in [
            "What are your opening hours?",
            "Please cancel it, show me the plan",
        ] {
            let r = call(
                &f.state,
                "POST",
                &format!("/v1/conversations/{id}/messages"),
                Some(&token),
                Some(json!({ "text": text })),
                None,
            )
            .await;
            assert!(r.status.is_success());
        }
        let url = format!("{shop_origin}/shot?id={id}&token={token}");
        screenshot(
            &chromium,
            &url,
            (1100, 760),
            WIDGET_CARD,
            &dir.join("widget-desktop.png"),
        )
        .await;
        // On a phone: waiting for a person, with the hours and the expected wait.
        let (id, token) = customer_says(
            &f,
            &[
                "What are your opening hours?",
                "I would like to talk to a human",
            ],
        )
        .await;
        let url = format!("{shop_origin}/shot?id={id}&token={token}");
        screenshot(
            &chromium,
            &url,
            (360, 740),
            WIDGET_WAIT,
            &dir.join("widget-phone.png"),
        )
        .await;
    }
}

/// The widget's screenshots are taken once it shows the plan card, or the expected wait.
const WIDGET_CARD: &str =
    "document.getElementById('frontdesk-widget').shadowRoot.querySelector('.card')";
const WIDGET_WAIT: &str =
    "document.getElementById('frontdesk-widget').shadowRoot.querySelector('.status .wait')";

/// The host page for a screenshot: the shop's page with the widget open on a given
/// conversation (its id and token put where the widget keeps them).
fn shot_page(api: &str, q: &std::collections::HashMap<String, String>) -> String {
    let conv = json!(json!({"id": q.get("id"), "token": q.get("token")}).to_string());
    format!(
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A shop</title>
<style>body {{ font-family: Georgia, serif; margin: 0; padding: 1rem 2rem; background: #fdf6ec; }} h1 {{ color: #6b3e26; }}</style></head>
<body><h1>Kettle &amp; Crumb</h1><p>Hand-thrown mugs and teapots, fired in small batches.</p>
<script>sessionStorage.setItem({key}, {conv});</script>
<script src="{api}/embed.js" data-lang="en" data-title="Kettle &amp; Crumb help" data-open></script></body></html>"##,
        key = json!(format!("frontdesk.conversation@{api}")),
    )
}

const CONSOLE_PAGE: &str = r##"<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="console" src="/agent" style="width:1280px;height:880px;border:0"></iframe>
<iframe id="home" src="/" style="width:600px;height:700px;border:0"></iframe>
<script>__DRIVER__
const d = () => document.getElementById("console").contentWindow.document;
const home = () => document.getElementById("home").contentWindow.document.getElementById("frontdesk-widget").shadowRoot;
const $$ = (s) => [...d().querySelectorAll(s)];
const conv = (id) => d().querySelector('.conv[data-id="' + id + '"]');
window.addEventListener("load", () => drive(async () => {
  // The service's own page at / runs the same widget script, inline.
  await until(() => home().host.dataset.ready === "1", "the built-in page's widget");
  const inline = { launcherHidden: home().querySelector(".launcher").hidden, panelOpen: !home().querySelector(".panel").hidden };
  home().querySelector("#fd-input").value = "What are your opening hours?";
  home().querySelector(".send-btn").click();
  inline.answer = (await until(() => home().querySelector(".msg.bot[data-done] .text"), "the built-in page's answer")).textContent;
  await step("home", inline);
  await until(() => d().getElementById("connect"), "console page");
  d().getElementById("key").value = "__AGENT_KEY__";
  d().getElementById("connect").click();
  await until(() => d().body.dataset.ready === "1", "console connected");
  await step("ready", { title: d().title, empty: $$("#queue li.none").length });
  await until(() => $$("#queue li button.open").length === 2 && d().title.startsWith("(2)"), "two handoffs arriving live");
  const waitingCount = d().querySelector('#filters [data-filter="waiting"] .count').textContent;
  const items = $$("#queue li").map((li) => ({ id: li.dataset.id, reason: li.querySelector(".open").textContent, age: li.querySelector(".age").textContent, gist: li.querySelector(".gist").textContent }));
  await step("queue", { title: d().title, waitingCount, alerts: d().body.dataset.alerts, items });
  $$("#queue li button.open")[0].click();
  const first = items[0].id, second = items[1].id;
  await until(() => conv(first) && conv(first).querySelector(".cust-name"), "the first conversation with its customer");
  $$("#queue li button.open")[1].click();
  await until(() => conv(second) && conv(second).querySelector(".transcript .msg"), "the second conversation");
  const open = { tabs: $$("#tabs .tab").length, panels: $$(".conv").length, visible: $$(".conv").filter((c) => !c.hidden).map((c) => c.dataset.id) };
  d().querySelector('#tabs .tab[data-id="' + first + '"] .tab-label').click();
  const c1 = conv(first);
  const customer = { name: c1.querySelector(".cust-name").textContent, orders: [...c1.querySelectorAll(".orders li")].map((li) => li.dataset.order + " " + li.querySelector(".ostatus").textContent.trim()) };
  c1.querySelector(".claim").click();
  await until(() => !c1.querySelector(".reply-send").disabled, "claimed");
  const insert = await until(() => c1.querySelector(".sugg.draft .insert"), "the suggested draft");
  const passages = [...c1.querySelectorAll(".sugg.passage .sugg-head")].map((e) => e.textContent);
  insert.click();
  const box = c1.querySelector(".reply-text");
  const inserted = box.value;
  box.value = box.value + " Anything else I can do?";
  c1.querySelector(".reply-send").click();
  await until(() => [...c1.querySelectorAll(".transcript .msg.agent .text")].some((e) => e.textContent.endsWith("Anything else I can do?")), "the sent reply in the transcript");
  await step("replied", { open, customer, passages, inserted, visibleAfter: $$(".conv").filter((c) => !c.hidden).map((c) => c.dataset.id) });
  await until(() => [...c1.querySelectorAll(".transcript .msg.customer .text")].some((e) => e.textContent === "And my blanket order?"), "the customer's new message, live");
  await step("live", {});
  d().querySelector('#tabs .tab[data-id="' + second + '"] .tab-label').click();
  const c2 = conv(second);
  c2.querySelector(".claim").click();
  await until(() => !c2.querySelector(".reply-send").disabled, "second claimed");
  const canned = await until(() => c2.querySelector(".canned-insert"), "a canned response");
  canned.click();
  const cannedText = c2.querySelector(".reply-text").value;
  c2.querySelector(".reply-send").click();
  await until(() => c2.querySelector(".transcript .msg.agent"), "the canned reply sent");
  d().querySelector('#filters [data-filter="mine"]').click();
  await until(() => d().querySelector('#filters [data-filter="mine"]').getAttribute("aria-pressed") === "true" && $$("#queue li button.open").length === 2, "my two conversations");
  await step("mine", { cannedTitle: canned.textContent, cannedText, mine: d().querySelector('#filters [data-filter="mine"] .count').textContent, title: d().title });
  const lang = d().getElementById("lang");
  lang.value = "sr-Latn";
  lang.dispatchEvent(new Event("change"));
  const latin = { waiting: d().querySelector('#filters [data-filter="waiting"] [data-t]').textContent, claim: c2.querySelector(".claim").textContent };
  lang.value = "sr-Cyrl";
  lang.dispatchEvent(new Event("change"));
  await step("serbian", { latin, cyrillic: { waiting: d().querySelector('#filters [data-filter="waiting"] [data-t]').textContent, send: c2.querySelector(".reply-send").textContent, title: d().title } });
  lang.value = "en";
  lang.dispatchEvent(new Event("change"));
  // A working day in small: the two conversations closed, then eight more handoffs worked
  // one by one through the page alone.
  for (const id of [first, second]) { conv(id).querySelector(".resolve").click(); await until(() => conv(id).dataset.state === "resolved", "resolved " + id); d().querySelector('#tabs .tab[data-id="' + id + '"] .tab-close').click(); }
  d().querySelector('#filters [data-filter="waiting"]').click();
  await until(() => d().querySelector('#filters [data-filter="waiting"] .count').textContent === "8" && $$("#queue li button.open").length === 8, "eight more handoffs");
  let worked = 0;
  while ($$("#queue li button.open").length) {
    const li = $$("#queue li")[0];
    const id = li.dataset.id;
    li.querySelector("button.open").click();
    const c = await until(() => conv(id) && conv(id).dataset.state === "waiting" && conv(id), "handoff " + id);
    c.querySelector(".claim").click();
    await until(() => !c.querySelector(".reply-send").disabled, "claimed " + id);
    c.querySelector(".reply-text").value = "Hello, this is Ana. It is sorted: your reference is " + (worked + 1) + ".";
    c.querySelector(".reply-send").click();
    await until(() => c.querySelector(".transcript .msg.agent"), "reply " + id);
    c.querySelector(".resolve").click();
    await until(() => c.dataset.state === "resolved", "closed " + id);
    d().querySelector('#tabs .tab[data-id="' + id + '"] .tab-close').click();
    worked++;
    await until(() => !$$("#queue li").some((l) => l.dataset.id === id), "the queue without " + id);
  }
  await step("worked", { worked, resolved: d().querySelector('#filters [data-filter="resolved"] .count').textContent, waiting: d().querySelector('#filters [data-filter="waiting"] .count').textContent, title: d().title, tabs: $$("#tabs .tab").length });
}));
</script></body></html>"##;

/// Customer `text`s of a new conversation through the API; returns (id, token).
async fn customer_says(f: &Fixture, texts: &[&str]) -> (String, String) {
    let (id, token) = new_conversation(&f.state).await;
    for text in texts {
        let r = call(
            &f.state,
            "POST",
            &format!("/v1/conversations/{id}/messages"),
            Some(&token),
            Some(json!({ "text": text })),
            None,
        )
        .await;
        assert!(r.status.is_success(), "{}", r.text);
    }
    (id, token)
}

/// The agent console working two handoffs that arrive while it is open.
#[tokio::test]
async fn agent_console_in_headless_chromium() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let f = fixture_with_shop(
        FakeAssistant::new(),
        |c| {
            c.server.canned_responses = vec![frontdesk_core::config::CannedResponse {
                title: "Looking into it".into(),
                text: "Thanks for waiting, I am checking this for you now.".into(),
                lang: None,
            }];
        },
        Some(invented_shop()),
    );
    let (listener, addr) = listen().await;
    let page = CONSOLE_PAGE
        .replace("__DRIVER__", DRIVER_JS)
        .replace("__AGENT_KEY__", AGENT_KEY);
    let (router, mut steps) = driver(page);
    let router = frontdesk_server::app(f.state.clone()).merge(router.route(
        "/shot",
        get(|| async {
            axum::response::Html(format!(
                r##"<!doctype html><body style="margin:0"><iframe id="c" src="/agent" style="width:1280px;height:800px;border:0"></iframe>
<script>sessionStorage.setItem("frontdesk.agentKey", "{AGENT_KEY}");
const d = () => document.getElementById("c").contentWindow.document;
const go = setInterval(() => {{ const b = d() && d().querySelector("#queue li button.open"); if (b) {{ clearInterval(go); b.click(); }} }}, 100);</script></body>"##
            ))
        }),
    ));
    serve(listener, router);
    let _browser = Browser::open(&chromium, &format!("http://{addr}/selftest"), (1280, 900));

    let s = steps.expect("home").await;
    assert_eq!(s["launcherHidden"], true, "{s}");
    assert_eq!(s["panelOpen"], true, "{s}");
    assert_eq!(s["answer"], "We are open every day from 8 to 20 [1].");
    let s = steps.expect("ready").await;
    assert_eq!(s["title"], "Agent console");
    assert_eq!(s["empty"], 1);
    let (mila, mila_token) = customer_says(
        &f,
        &["verify me as mila_zoric_7", "I need a human about my order"],
    )
    .await;
    // The newest message of Mila's is what the suggestions answer.
    call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{mila}/messages"),
        Some(&mila_token),
        Some(json!({"text": "Also, when are you open on Sunday?"})),
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    customer_says(&f, &["a human please, the lid of my teapot is cracked"]).await;

    let s = steps.expect("queue").await;
    assert_eq!(s["title"], "(2) Agent console", "{s}");
    assert_eq!(s["waitingCount"], "2");
    assert_eq!(s["alerts"], "2", "one alert per new handoff: {s}");
    assert_eq!(s["items"][0]["reason"], "Asked for a person");
    assert_eq!(s["items"][0]["age"], "just now");
    assert!(
        s["items"][0]["gist"]
            .as_str()
            .unwrap()
            .contains("I need a human about my order"),
        "{s}"
    );

    let s = steps.expect("replied").await;
    assert_eq!(s["open"]["tabs"], 2, "{s}");
    assert_eq!(s["open"]["panels"], 2);
    assert_eq!(s["open"]["visible"].as_array().unwrap().len(), 1);
    assert_eq!(s["customer"]["name"], "Mila Zorić");
    assert_eq!(
        s["customer"]["orders"],
        json!(["#T502 pending · 61.00", "#T501 delivered · 24.50"]),
        "{s}"
    );
    assert_eq!(
        s["passages"],
        json!(["Passage: Opening hours", "Passage: Returns"])
    );
    assert_eq!(
        s["inserted"],
        "We are open every day from 8 to 20 (https://shop.example/hours)."
    );
    let sent =
        "We are open every day from 8 to 20 (https://shop.example/hours). Anything else I can do?";
    let stored = f.state.store.messages(&mila).await.unwrap();
    assert!(
        stored
            .iter()
            .any(|m| m.speaker == Speaker::Agent && m.text == sent),
        "{stored:?}"
    );
    // Suggestions committed no turn: the customer's messages are the three they wrote.
    assert_eq!(
        stored
            .iter()
            .filter(|m| m.speaker == Speaker::Customer)
            .count(),
        3
    );
    call(
        &f.state,
        "POST",
        &format!("/v1/conversations/{mila}/messages"),
        Some(&mila_token),
        Some(json!({"text": "And my blanket order?"})),
        None,
    )
    .await;

    steps.expect("live").await;
    let s = steps.expect("mine").await;
    assert_eq!(s["cannedTitle"], "Looking into it");
    assert_eq!(
        s["cannedText"],
        "Thanks for waiting, I am checking this for you now."
    );
    assert_eq!(s["mine"], "2");
    assert_eq!(s["title"], "Agent console", "nobody waits any more: {s}");
    let s = steps.expect("serbian").await;
    assert_eq!(s["latin"], json!({"waiting": "Čekaju", "claim": "Preuzmi"}));
    assert_eq!(
        s["cyrillic"],
        json!({"waiting": "Чекају", "send": "Пошаљи", "title": "Конзола агента"})
    );
    let mut customers = Vec::new();
    for n in 0..8 {
        customers.push(
            customer_says(&f, &[&format!("human please, question number {n}")])
                .await
                .0,
        );
    }
    let s = steps.expect("worked").await;
    assert_eq!(s["worked"], 8, "{s}");
    assert_eq!(s["resolved"], "10", "{s}");
    assert_eq!(s["waiting"], "0");
    assert_eq!(s["title"], "Agent console");
    assert_eq!(s["tabs"], 0);
    let all = f.state.store.handoffs(None).await.unwrap();
    assert_eq!(all.len(), 10);
    assert!(all
        .iter()
        .all(|h| h.state == HandoffState::Resolved && h.agent.as_deref() == Some("ana")));
    for c in &customers {
        let m = f.state.store.messages(c).await.unwrap();
        assert!(
            m.iter()
                .any(|m| m.speaker == Speaker::Agent && m.text.starts_with("Hello, this is Ana.")),
            "{c}"
        );
    }

    if let Some(dir) = screenshot_dir() {
        customer_says(
            &f,
            &[
                "verify me as mila_zoric_7",
                "human, please",
                "When are you open on Saturdays?",
            ],
        )
        .await;
        screenshot(
            &chromium,
            &format!("http://{addr}/shot"),
            (1280, 800),
            "document.getElementById('c').contentWindow.document.querySelector('.sugg.draft')",
            &dir.join("agent-console.png"),
        )
        .await;
    }
}

const ADMIN_PAGE: &str = r##"<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="admin" src="/admin" style="width:1280px;height:1000px;border:0"></iframe>
<script>__DRIVER__
const d = () => document.getElementById("admin").contentWindow.document;
const marks = (id) => [...d().querySelectorAll("#" + id + " .mark")].map((m) => [m.dataset.day, m.dataset.series, Number(m.dataset.value)]);
window.addEventListener("load", () => drive(async () => {
  await until(() => d().getElementById("connect"), "operator page");
  d().getElementById("key").value = "__ADMIN_KEY__";
  d().getElementById("days").value = "7";
  d().getElementById("connect").click();
  await until(() => d().body.dataset.ready === "1", "charts drawn");
  const charts = {};
  for (const id of ["chart-containment", "chart-escalations", "chart-csat", "chart-latency"]) charts[id] = { marks: marks(id), svg: !!d().querySelector("#" + id + " svg"), legend: [...d().querySelectorAll("#" + id + " .legend li")].map((l) => l.textContent) };
  const unanswered = [...d().querySelectorAll("#unanswered tbody tr")].map((tr) => [...tr.children].map((td) => td.textContent));
  const kpis = [...d().querySelectorAll(".kpi")].map((k) => k.querySelector(".kpi-label").textContent + "=" + k.querySelector(".kpi-value").textContent);
  d().getElementById("reindex").click();
  await until(() => d().body.dataset.lastAction === "/v1/admin/reindex" && !d().getElementById("reindex").disabled, "re-index done");
  const reindexed = d().getElementById("status").textContent;
  d().getElementById("reload").click();
  await until(() => d().body.dataset.lastAction === "/v1/admin/reload", "reload done");
  await step("charts", { charts, unanswered, kpis, reindexed, reloaded: d().getElementById("status").textContent });
}));
</script></body></html>"##;

struct CountingReindex;

#[async_trait::async_trait]
impl frontdesk_server::Reindexer for CountingReindex {
    async fn reindex(&self) -> Result<Value, String> {
        Ok(json!({"documents": 4, "chunks": 19}))
    }
}

struct SameConfig(frontdesk_core::Config);

impl frontdesk_server::ConfigReloader for SameConfig {
    fn reload(&self) -> Result<frontdesk_core::Config, String> {
        Ok(self.0.clone())
    }
}

/// Moves every row of conversation `id` (its messages, handoffs, feedback) `days` days back.
fn move_back(db: &rusqlite::Connection, id: &str, days: i64) {
    for table in ["messages", "feedback"] {
        db.execute(
            &format!("UPDATE {table} SET at = strftime('%Y-%m-%dT%H:%M:%fZ', at, ?2) WHERE conversation_id = ?1"),
            rusqlite::params![id, format!("-{days} days")],
        )
        .unwrap();
    }
    db.execute(
        "UPDATE handoffs SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ?2) WHERE conversation_id = ?1",
        rusqlite::params![id, format!("-{days} days")],
    )
    .unwrap();
}

/// The operator page's charts drawn from a database seeded over three days.
#[tokio::test]
async fn operator_page_in_headless_chromium() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let store = Arc::new(frontdesk_server::SqliteStore::open_in(dir.path()).unwrap());
    let state =
        frontdesk_server::AppState::builder(config.clone(), Arc::new(FakeAssistant::new()), store)
            .reindexer(Arc::new(CountingReindex))
            .reloader(Arc::new(SameConfig(config)))
            .build();
    let f = Fixture {
        dir,
        state,
        assistant: Arc::new(FakeAssistant::new()),
    };
    // Two days ago: two conversations, one handed over for frustration, latencies 100 and 300.
    // Yesterday: one contained conversation rated 5, one handed over on request, rated 2.
    // Today: one conversation whose question found no answer (twice).
    let st = &f.state.store;
    let mut plan: Vec<(i64, String)> = Vec::new();
    for (days, handoff, rating, latency) in [
        (2, Some(EscalationReason::Frustration), None, 100),
        (2, None, None, 300),
        (1, None, Some(5), 40),
        (1, Some(EscalationReason::CustomerRequest), Some(2), 60),
    ] {
        let (id, _) = new_conversation(&f.state).await;
        st.append_message(&id, Speaker::Customer, "an invented question", json!({}))
            .await
            .unwrap();
        st.append_message(
            &id,
            Speaker::Bot,
            "an invented answer",
            json!({"latency_ms": latency}),
        )
        .await
        .unwrap();
        if let Some(reason) = handoff {
            let now = chrono::Utc::now();
            st.create_handoff(&HandoffRecord {
                id: format!("h-{id}"),
                conversation_id: id.clone(),
                reason,
                summary: "invented".into(),
                state: HandoffState::Resolved,
                agent: Some("ana".into()),
                created_at: now,
                updated_at: now,
                ticket: false,
                claimed_at: Some(now),
            })
            .await
            .unwrap();
        }
        if let Some(r) = rating {
            st.add_feedback(&id, r, "").await.unwrap();
        }
        plan.push((days, id));
    }
    let (today, _) = new_conversation(&f.state).await;
    for _ in 0..2 {
        st.append_message(
            &today,
            Speaker::Customer,
            "Do you engrave names on mugs?",
            json!({}),
        )
        .await
        .unwrap();
        st.append_message(&today, Speaker::Bot, "I could not find that.", json!({"latency_ms": 20, "unanswered": true, "question": "Do you engrave names on mugs?"})).await.unwrap();
    }
    {
        let db = rusqlite::Connection::open(f.dir.path().join("frontdesk.db")).unwrap();
        for (days, id) in &plan {
            move_back(&db, id, *days);
        }
    }
    let (listener, addr) = listen().await;
    let page = ADMIN_PAGE
        .replace("__DRIVER__", DRIVER_JS)
        .replace("__ADMIN_KEY__", ADMIN_KEY);
    let (router, mut steps) = driver(page);
    let router = frontdesk_server::app(f.state.clone()).merge(router.route(
        "/shot",
        get(|| async {
            axum::response::Html(format!(
                r#"<!doctype html><body style="margin:0"><script>sessionStorage.setItem("frontdesk.adminKey", "{ADMIN_KEY}"); location.replace("/admin");</script></body>"#
            ))
        }),
    ));
    serve(listener, router);
    let _browser = Browser::open(&chromium, &format!("http://{addr}/selftest"), (1280, 1000));

    let s = steps.expect("charts").await;
    let day = |back: i64| {
        (chrono::Utc::now() - chrono::Duration::days(back))
            .format("%Y-%m-%d")
            .to_string()
    };
    let c = &s["charts"];
    assert_eq!(
        c["chart-containment"]["marks"],
        json!([
            [day(2), "containment", 0.5],
            [day(1), "containment", 0.5],
            [day(0), "containment", 1]
        ]),
        "{s}"
    );
    assert_eq!(
        c["chart-escalations"]["marks"],
        json!([[day(1), "customer request", 1], [day(2), "frustration", 1]]),
        "{s}"
    );
    assert_eq!(
        c["chart-escalations"]["legend"],
        json!(["customer request", "frustration"])
    );
    assert_eq!(
        c["chart-csat"]["marks"],
        json!([[day(1), "mean rating", 3.5]]),
        "{s}"
    );
    assert_eq!(
        c["chart-latency"]["marks"],
        json!([
            [day(2), "p50", 100],
            [day(1), "p50", 40],
            [day(0), "p50", 20],
            [day(2), "p95", 300],
            [day(1), "p95", 60],
            [day(0), "p95", 20]
        ]),
        "{s}"
    );
    assert_eq!(
        s["unanswered"],
        json!([["Do you engrave names on mugs?", "2"]])
    );
    assert!(
        s["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "conversations=5"),
        "{s}"
    );
    assert!(
        s["reindexed"]
            .as_str()
            .unwrap()
            .starts_with("Re-index: done."),
        "{s}"
    );
    assert!(
        s["reloaded"].as_str().unwrap().starts_with("Reload: done."),
        "{s}"
    );

    if let Some(dir) = screenshot_dir() {
        // Two weeks of invented traffic, so the charts have a history to show.
        let db = rusqlite::Connection::open(f.dir.path().join("frontdesk.db")).unwrap();
        let reasons = [
            EscalationReason::CustomerRequest,
            EscalationReason::LowConfidence,
            EscalationReason::Frustration,
        ];
        for back in 3..17i64 {
            for k in 0..(3 + back % 4) {
                let (id, _) = new_conversation(&f.state).await;
                st.append_message(&id, Speaker::Customer, "an invented question", json!({}))
                    .await
                    .unwrap();
                let latency = 30 + (back * 37 + k * 53) % 140;
                st.append_message(
                    &id,
                    Speaker::Bot,
                    "an invented answer",
                    json!({"latency_ms": latency}),
                )
                .await
                .unwrap();
                if (back + k) % 3 == 0 {
                    let now = chrono::Utc::now();
                    st.create_handoff(&HandoffRecord {
                        id: format!("h-{id}"),
                        conversation_id: id.clone(),
                        reason: reasons[((back / 2 + k) % 3) as usize],
                        summary: "invented".into(),
                        state: HandoffState::Resolved,
                        agent: Some("ana".into()),
                        created_at: now,
                        updated_at: now,
                        ticket: false,
                        claimed_at: Some(now),
                    })
                    .await
                    .unwrap();
                }
                if k % 2 == 0 {
                    st.add_feedback(&id, (3 + (back + k) % 3) as u8, "")
                        .await
                        .unwrap();
                }
                move_back(&db, &id, back);
            }
        }
        screenshot(
            &chromium,
            &format!("http://{addr}/shot"),
            (1280, 1000),
            "document.body.dataset.ready === '1'",
            &dir.join("operator.png"),
        )
        .await;
    }
}
