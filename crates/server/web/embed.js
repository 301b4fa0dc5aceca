// frontdesk chat widget. On a shop's own pages:
//   <script src="https://support.shop.example/embed.js" data-lang="sr-Latn" data-title="Pomoć" async></script>
// opens a launcher button and a chat panel (in a shadow root, so the page's styles and the
// widget's do not mix). Its API calls go to the script's own origin, which answers them when
// the page's origin is in `server.allowed_origins`; no cookies, only the conversation token,
// kept in the page's sessionStorage so a reload or the next page keeps the conversation.
// The service's own page at `/` runs the same script with data-inline (no launcher).
// data-* options: lang (en, sr-Latn, sr-Cyrl; default: the browser's), title, inline, open.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script) return;
  const API = new URL(script.src, location.href).origin;
  const opt = script.dataset;
  const inline = "inline" in opt;
  const KEY = "frontdesk.conversation@" + API;
  const OPEN_KEY = "frontdesk.open@" + API;
  const RATED_KEY = "frontdesk.rated@" + API;

  // UI strings. Serbian Cyrillic is the Latin text transliterated (placeholders kept).
  const EN = {
    title: "Customer service", open: "Open chat", close: "Close chat", input: "Your message",
    placeholder: "Ask a question…", send: "Send", you: "You", bot: "Assistant", agent: "Agent",
    waiting: "Waiting for a person…", human: "You are talking with {name}.", joined: "{name} joined the conversation.",
    released: "You are back with the assistant.", closed: "This conversation is closed.",
    hours: "Our team answers {days}, {open}–{close} ({zone}).", wait: "Expected wait: about {n} min.",
    waitShort: "Expected wait: under a minute.", back: "Our team is offline; a person answers from {when}.",
    confirm: "Shall I go ahead?", yes: "Yes", no: "No", yesWord: "yes", noWord: "no",
    approval: "A colleague approves amounts of {amount} or more before it is done.",
    rate: "How did we do?", star: "{n} of 5", comment: "Comment (optional)", rateSend: "Send rating",
    thanks: "Thank you for your rating!", rateFailed: "Could not save your rating.",
    failed: "Something went wrong ({status}).", startFailed: "Could not start the chat ({status}).",
    newChat: "New conversation", conversation: "Conversation", sources: "Sources",
    days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
  };
  const SR = {
    title: "Korisnička podrška", open: "Otvori čet", close: "Zatvori čet", input: "Vaša poruka",
    placeholder: "Postavite pitanje…", send: "Pošalji", you: "Vi", bot: "Asistent", agent: "Agent",
    waiting: "Čekate da se javi osoba…", human: "Razgovarate sa: {name}.", joined: "{name} je u razgovoru.",
    released: "Ponovo razgovarate sa asistentom.", closed: "Ovaj razgovor je zatvoren.",
    hours: "Naš tim odgovara {days}, {open}–{close} ({zone}).", wait: "Očekivano čekanje: oko {n} min.",
    waitShort: "Očekivano čekanje: manje od minut.", back: "Naš tim trenutno nije dostupan; osoba odgovara od {when}.",
    confirm: "Da li da nastavim?", yes: "Da", no: "Ne", yesWord: "da", noWord: "ne",
    approval: "Iznose od {amount} i više pre izvršenja odobrava kolega.",
    rate: "Kako smo vam pomogli?", star: "{n} od 5", comment: "Komentar (nije obavezan)", rateSend: "Pošalji ocenu",
    thanks: "Hvala na oceni!", rateFailed: "Ocena nije sačuvana.",
    failed: "Nešto nije u redu ({status}).", startFailed: "Čet ne može da se pokrene ({status}).",
    newChat: "Novi razgovor", conversation: "Razgovor", sources: "Izvori",
    days: ["pon", "uto", "sre", "čet", "pet", "sub", "ned"],
  };
  const CYR = { lj: "љ", nj: "њ", dž: "џ", Lj: "Љ", Nj: "Њ", Dž: "Џ" };
  "abvgdđežzijklmnoprstćufhcčš".split("").forEach((c, i) => {
    const k = "абвгдђежзијклмнопрстћуфхцчш"[i];
    CYR[c] = k;
    CYR[c.toUpperCase()] = k.toUpperCase();
  });
  function toCyrillic(s) {
    return s.split(/(\{\w+\})/).map((part) => (part.startsWith("{") ? part : part.replace(/[LlNn]j|[Dd]ž|[a-zA-ZđĐžŽćĆčČšŠ]/g, (m) => CYR[m] || m))).join("");
  }
  const STRINGS = { en: EN, "sr-Latn": SR, "sr-Cyrl": Object.fromEntries(Object.entries(SR).map(([k, v]) => [k, Array.isArray(v) ? v.map(toCyrillic) : toCyrillic(v)])) };
  function browserLang() {
    const l = (navigator.language || "en").toLowerCase();
    if (!l.startsWith("sr") && !l.startsWith("bs") && !l.startsWith("hr") && !l.startsWith("sh")) return "en";
    return l.includes("cyrl") ? "sr-Cyrl" : "sr-Latn";
  }
  let lang = STRINGS[opt.lang] ? opt.lang : browserLang();
  const t = (key, vars) => String(STRINGS[lang][key]).replace(/\{(\w+)\}/g, (_, k) => (vars && vars[k] != null ? vars[k] : ""));

  const CSS = `
:host { all: initial; font-family: system-ui, sans-serif; color: #1d2330; }
* { box-sizing: border-box; }
.launcher { position: fixed; right: 16px; bottom: 16px; width: 56px; height: 56px; border-radius: 50%; border: 0; background: #1f5fbf; color: #fff; display: grid; place-items: center; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); z-index: 2147483000; }
.panel { position: fixed; right: 16px; bottom: 84px; width: min(380px, calc(100vw - 32px)); height: min(600px, calc(100vh - 100px)); display: flex; flex-direction: column; background: #f6f7f9; border: 1px solid #d8dce3; border-radius: 12px; overflow: hidden; box-shadow: 0 8px 30px rgba(0,0,0,.2); z-index: 2147483000; }
.panel[hidden] { display: none; }
:host([data-inline]) .panel { position: static; width: 100%; height: min(640px, calc(100vh - 24px)); box-shadow: none; }
@media (max-width: 480px) { :host(:not([data-inline])) .panel { right: 0; bottom: 0; width: 100vw; height: 100%; border-radius: 0; } }
header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #1f5fbf; color: #fff; }
header h2 { font-size: 1rem; margin: 0; flex: 1; }
header button { background: transparent; border: 0; color: #fff; font-size: 20px; cursor: pointer; padding: 2px 6px; }
.status { font-size: .85rem; padding: 6px 12px; background: #fff8e1; border-bottom: 1px solid #ecd58a; }
.status:empty { display: none; }
.status p { margin: 2px 0; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }
.msg { padding: 8px 10px; border-radius: 10px; max-width: 88%; white-space: pre-wrap; line-height: 1.4; overflow-wrap: anywhere; }
.msg.customer { align-self: flex-end; background: #1f5fbf; color: #fff; }
.msg.bot { align-self: flex-start; background: #fff; border: 1px solid #d8dce3; }
.msg.agent { align-self: flex-start; background: #e8f4ea; border: 1px solid #9cc9a5; }
.msg.system { align-self: center; color: #5b6475; font-size: .85rem; text-align: center; }
.who { display: block; font-size: .72rem; color: #5b6475; }
.msg.customer .who { color: #dfe8f7; }
.cites { font-size: .8rem; margin-top: 4px; display: flex; flex-wrap: wrap; gap: 6px; }
.cites a { color: #1f5fbf; }
.card { align-self: stretch; background: #fff; border: 2px solid #1f5fbf; border-radius: 10px; padding: 10px; }
.card p { margin: 0 0 8px; }
.card .plan { font-weight: 600; }
.row { display: flex; gap: 8px; flex-wrap: wrap; }
button.primary, button.secondary { padding: 8px 14px; border: 0; border-radius: 6px; font: inherit; cursor: pointer; min-height: 40px; }
button.primary { background: #1f5fbf; color: #fff; }
button.secondary { background: #e6e9ef; color: #1d2330; }
button:disabled { opacity: .5; cursor: default; }
button:focus-visible, input:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
form.send { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #d8dce3; background: #fff; }
form.send input { flex: 1; min-width: 0; padding: 10px; border: 1px solid #d8dce3; border-radius: 6px; font: inherit; }
.csat { padding: 10px 12px; border-top: 1px solid #d8dce3; background: #fff; }
.csat[hidden] { display: none; }
.csat fieldset { border: 0; padding: 0; margin: 0 0 6px; }
.csat legend { font-weight: 600; margin-bottom: 4px; }
.stars { display: flex; gap: 2px; }
.stars input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.stars label { font-size: 28px; color: #c9ccd3; cursor: pointer; padding: 0 2px; line-height: 1; }
.stars label.on { color: #c28a00; }
.stars input:focus-visible + label { outline: 3px solid #f2a900; }
.csat textarea { width: 100%; min-height: 48px; padding: 6px; border: 1px solid #d8dce3; border-radius: 6px; font: inherit; margin-bottom: 6px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

  const host = document.createElement("div");
  host.id = "frontdesk-widget";
  if (inline) host.dataset.inline = "";
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `<style>${CSS}</style>
<button class="launcher" type="button" aria-expanded="false" aria-controls="fd-panel"><svg aria-hidden="true" width="28" height="28" viewBox="0 0 24 24" fill="currentColor"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg><span class="sr label-open"></span></button>
<section class="panel" id="fd-panel" role="region" hidden>
  <header><h2 class="title"></h2><button class="close" type="button"><span aria-hidden="true">×</span><span class="sr label-close"></span></button></header>
  <div class="status" role="status" aria-live="polite"></div>
  <div class="log" role="log" aria-live="polite" tabindex="0"></div>
  <div class="csat" hidden>
    <form class="rate">
      <fieldset><legend class="rate-legend"></legend><div class="stars"></div></fieldset>
      <label class="sr comment-label" for="fd-comment"></label>
      <textarea id="fd-comment" maxlength="4000"></textarea>
      <button class="primary rate-send" type="submit" disabled></button>
      <p class="rate-done" role="status"></p>
    </form>
    <button class="secondary new-chat" type="button"></button>
  </div>
  <form class="send">
    <label class="sr input-label" for="fd-input"></label>
    <input id="fd-input" type="text" autocomplete="off" maxlength="4000" required>
    <button class="primary send-btn" type="submit"></button>
  </form>
</section>`;
  const $ = (sel) => root.querySelector(sel);
  const launcher = $(".launcher"), panel = $(".panel"), log = $(".log"), statusEl = $(".status");
  const form = $("form.send"), input = $("#fd-input"), sendBtn = $(".send-btn"), csat = $(".csat");
  if (inline) launcher.hidden = true;

  let conv = null, status = "bot", events = null, waitTimer = null, agentName = "";

  function applyLang() {
    host.lang = lang;
    $(".title").textContent = opt.title || t("title");
    panel.setAttribute("aria-label", opt.title || t("title"));
    $(".label-open").textContent = t("open");
    $(".label-close").textContent = t("close");
    $(".input-label").textContent = t("input");
    input.placeholder = t("placeholder");
    sendBtn.textContent = t("send");
    $(".rate-legend").textContent = t("rate");
    $(".comment-label").textContent = t("comment");
    $("#fd-comment").placeholder = t("comment");
    $(".rate-send").textContent = t("rateSend");
    $(".new-chat").textContent = t("newChat");
    const stars = $(".stars");
    if (!stars.children.length) {
      for (let n = 1; n <= 5; n++) {
        const r = document.createElement("input");
        r.type = "radio"; r.name = "rating"; r.value = n; r.id = "fd-star-" + n;
        const l = document.createElement("label");
        l.htmlFor = r.id;
        l.innerHTML = '<span aria-hidden="true">★</span><span class="sr"></span>';
        r.addEventListener("change", () => { $(".rate-send").disabled = false; paintStars(); });
        stars.append(r, l);
      }
    }
    stars.querySelectorAll("label .sr").forEach((s, i) => { s.textContent = t("star", { n: i + 1 }); });
  }
  function paintStars() {
    const v = Number((root.querySelector(".stars input:checked") || {}).value || 0);
    root.querySelectorAll(".stars label").forEach((l, i) => l.classList.toggle("on", i < v));
  }
  function setLang(l) { if (STRINGS[l] && l !== lang) { lang = l; applyLang(); renderStatus(); } }

  function addMessage(speaker, text, extra) {
    const div = document.createElement("div");
    div.className = "msg " + speaker;
    if (speaker !== "system") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = speaker === "customer" ? t("you") : speaker === "agent" ? (extra && extra.agent) || t("agent") : t("bot");
      div.append(who);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    div.append(body);
    log.append(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }
  function showCitations(div, citations) {
    if (!citations || !citations.length) return;
    let box = div.querySelector(".cites");
    if (!box) { box = document.createElement("div"); box.className = "cites"; box.setAttribute("aria-label", t("sources")); div.append(box); }
    box.textContent = "";
    citations.forEach((c, i) => {
      const a = document.createElement(c.url ? "a" : "span");
      if (c.url) { a.href = c.url; a.target = "_blank"; a.rel = "noopener"; }
      a.textContent = "[" + (c.index || i + 1) + "] " + (c.title || c.doc_id);
      box.append(a);
    });
  }

  // A plan waiting for the customer's yes: a card with Yes / No.
  function showPlan(action) {
    for (const old of root.querySelectorAll(".card button")) old.disabled = true;
    const card = document.createElement("div");
    card.className = "card";
    card.setAttribute("role", "group");
    card.setAttribute("aria-label", t("confirm"));
    const plan = document.createElement("p");
    plan.className = "plan";
    plan.textContent = action.summary;
    const q = document.createElement("p");
    q.textContent = action.approval_amount ? t("approval", { amount: action.approval_amount }) + " " + t("confirm") : t("confirm");
    const row = document.createElement("div");
    row.className = "row";
    const yes = document.createElement("button");
    yes.type = "button"; yes.className = "primary yes"; yes.textContent = t("yes");
    const no = document.createElement("button");
    no.type = "button"; no.className = "secondary no"; no.textContent = t("no");
    const answer = (word, label) => { yes.disabled = no.disabled = true; card.dataset.answered = word; sendMessage(word, label); };
    yes.addEventListener("click", () => answer(t("yesWord"), t("yes")));
    no.addEventListener("click", () => answer(t("noWord"), t("no")));
    row.append(yes, no);
    card.append(plan, q, row);
    log.append(card);
    log.scrollTop = log.scrollHeight;
    yes.focus();
  }

  function fmtDays(days) {
    const names = STRINGS[lang].days;
    const sorted = [...new Set(days)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
    const parts = [];
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
      parts.push(j - i >= 2 ? names[sorted[i] - 1] + "–" + names[sorted[j] - 1] : sorted.slice(i, j + 1).map((d) => names[d - 1]).join(", "));
      i = j + 1;
    }
    return parts.join(", ");
  }
  function zone(mins) {
    const s = mins < 0 ? "−" : "+", a = Math.abs(mins);
    return "UTC" + s + Math.floor(a / 60) + (a % 60 ? ":" + String(a % 60).padStart(2, "0") : "");
  }
  let availability = null;
  async function loadAvailability() {
    try {
      const r = await fetch(API + "/v1/availability");
      if (r.ok) { availability = await r.json(); renderStatus(); }
    } catch (_) { /* the status line keeps what it had */ }
  }
  function renderStatus() {
    host.dataset.status = status;
    statusEl.textContent = "";
    const line = (text, cls) => { const p = document.createElement("p"); p.className = cls; p.textContent = text; statusEl.append(p); };
    if (status === "waiting_for_human") {
      line(t("waiting"), "state");
      const a = availability;
      if (a) {
        line(t("hours", { days: fmtDays(a.hours.days), open: a.hours.open, close: a.hours.close, zone: zone(a.hours.utc_offset_minutes) }), "hours");
        if (!a.open_now && a.next_open) {
          line(t("back", { when: new Date(a.next_open).toLocaleString(lang === "en" ? "en-GB" : "sr-Latn-RS", { weekday: "short", hour: "2-digit", minute: "2-digit" }) }), "wait");
        } else if (a.expected_wait_secs != null) {
          line(a.expected_wait_secs < 60 ? t("waitShort") : t("wait", { n: Math.round(a.expected_wait_secs / 60) }), "wait");
        }
      }
    } else if (status === "human") line(t("human", { name: agentName || t("agent") }), "state");
    else if (status === "closed") line(t("closed"), "state");
    input.disabled = sendBtn.disabled = status === "closed";
    clearInterval(waitTimer);
    if (status === "waiting_for_human") waitTimer = setInterval(loadAvailability, 60000);
  }
  function setStatus(s) {
    const was = status;
    status = s || "bot";
    if (status === "waiting_for_human" && was !== status) loadAvailability();
    renderStatus();
    if (status === "closed") showCsat();
  }
  function showCsat() {
    if (!conv || sessionStorage.getItem(RATED_KEY) === conv.id) return;
    csat.hidden = false;
  }

  async function api(path, opts) {
    const headers = Object.assign({ "Content-Type": "application/json" }, (opts && opts.headers) || {});
    if (conv) headers.Authorization = "Bearer " + conv.token;
    return fetch(API + path, Object.assign({}, opts, { headers }));
  }

  async function startConversation() {
    const r = await api("/v1/conversations", { method: "POST", body: JSON.stringify(opt.lang && STRINGS[opt.lang] ? { lang: opt.lang } : {}) });
    if (!r.ok) throw new Error(t("startFailed", { status: r.status }));
    conv = await r.json();
    sessionStorage.setItem(KEY, JSON.stringify({ id: conv.id, token: conv.token }));
    setStatus(conv.status);
  }
  async function ensureConversation() {
    let saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (_) { saved = null; }
    if (saved && saved.id && saved.token) {
      conv = saved;
      const r = await api("/v1/conversations/" + conv.id);
      if (r.ok) {
        const tr = await r.json();
        if (tr.lang) setLang(tr.lang);
        if (tr.handoff && tr.handoff.agent) agentName = tr.handoff.agent;
        for (const m of tr.messages) {
          const d = addMessage(m.speaker, m.text, m);
          showCitations(d, m.citations);
        }
        const last = tr.messages[tr.messages.length - 1];
        if (last && last.speaker === "bot" && last.pending_action && last.awaiting === "confirmation" && tr.status === "bot") showPlan(last.pending_action);
        setStatus(tr.status);
        return;
      }
      conv = null;
    }
    await startConversation();
  }

  function listen() {
    if (events) events.close();
    events = new EventSource(API + "/v1/conversations/" + conv.id + "/events?token=" + encodeURIComponent(conv.token));
    events.addEventListener("agent_message", (e) => { const d = JSON.parse(e.data); if (d.agent) agentName = d.agent; addMessage("agent", d.text, d); });
    events.addEventListener("handoff", (e) => {
      const d = JSON.parse(e.data);
      if (d.state === "claimed") { agentName = d.agent || agentName; addMessage("system", t("joined", { name: agentName || t("agent") })); }
      else if (d.state === "released") addMessage("system", t("released"));
      setStatus(d.status);
    });
    events.addEventListener("done", (e) => { const d = JSON.parse(e.data); if (d.text) showCitations(addMessage("bot", d.text), d.citations); setStatus(d.status); });
    events.addEventListener("status", (e) => setStatus(JSON.parse(e.data).status));
  }

  // SSE over a fetch body (EventSource cannot POST): calls onEvent(name, data) per event.
  async function readSse(resp, onEvent) {
    const reader = resp.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i).replace(/^\r?\n\r?\n/, "");
        let name = "message";
        const data = [];
        for (const l of block.split(/\r?\n/)) {
          if (l.startsWith("event:")) name = l.slice(6).trim();
          else if (l.startsWith("data:")) data.push(l.slice(5).replace(/^ /, ""));
        }
        if (data.length) onEvent(name, data.join("\n"));
      }
    }
  }

  async function sendMessage(text, shown) {
    addMessage("customer", shown || text);
    const bubble = addMessage("bot", "");
    bubble.classList.add("streaming");
    bubble.setAttribute("aria-busy", "true");
    const body = bubble.querySelector(".text");
    const cites = [];
    sendBtn.disabled = true;
    try {
      const r = await api("/v1/conversations/" + conv.id + "/messages", { method: "POST", body: JSON.stringify({ text }), headers: { Accept: "text/event-stream" } });
      if (!r.ok) {
        const err = await r.json().catch(() => ({}));
        body.textContent = (err.error && err.error.message) || t("failed", { status: r.status });
        bubble.className = "msg system";
        return;
      }
      await readSse(r, (name, data) => {
        const d = JSON.parse(data);
        if (name === "token") body.textContent += d.text;
        else if (name === "citation") { cites.push(d); showCitations(bubble, cites); }
        else if (name === "handoff") setStatus("waiting_for_human");
        else if (name === "done") {
          if (d.lang) setLang(d.lang);
          if (d.text) body.textContent = d.text; else bubble.remove();
          showCitations(bubble, d.citations);
          if (d.pending_action && d.awaiting === "confirmation") showPlan(d.pending_action);
          setStatus(d.status);
        } else if (name === "error") { body.textContent = d.message; bubble.className = "msg system"; }
      });
    } catch (e) {
      body.textContent = t("failed", { status: e.message });
      bubble.className = "msg system";
    } finally {
      bubble.classList.remove("streaming");
      bubble.removeAttribute("aria-busy");
      bubble.dataset.done = "1";
      sendBtn.disabled = status === "closed";
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || !conv) return;
    input.value = "";
    sendMessage(text);
  });
  $("form.rate").addEventListener("submit", async (e) => {
    e.preventDefault();
    const checked = root.querySelector(".stars input:checked");
    if (!checked) return;
    const r = await api("/v1/conversations/" + conv.id + "/feedback", { method: "POST", body: JSON.stringify({ rating: Number(checked.value), comment: $("#fd-comment").value.trim() }) });
    $(".rate-done").textContent = r.ok ? t("thanks") : t("rateFailed");
    if (r.ok) {
      sessionStorage.setItem(RATED_KEY, conv.id);
      for (const el of root.querySelectorAll(".rate input, .rate textarea, .rate button")) el.disabled = true;
      $(".csat").dataset.sent = "1";
    }
  });

  $(".new-chat").addEventListener("click", async () => {
    sessionStorage.removeItem(KEY);
    log.textContent = "";
    csat.hidden = true;
    delete csat.dataset.sent;
    $(".rate-done").textContent = "";
    $("#fd-comment").value = "";
    for (const el of root.querySelectorAll(".csat input, .csat textarea")) { el.disabled = false; el.checked = false; }
    paintStars();
    $(".rate-send").disabled = true;
    agentName = "";
    conv = null;
    try { await startConversation(); listen(); input.focus(); } catch (e) { statusEl.textContent = e.message; }
  });

  let started = null;
  function start() {
    if (!started) {
      started = ensureConversation().then(() => { listen(); host.dataset.ready = "1"; }, (e) => { statusEl.textContent = e.message; host.dataset.error = e.message; });
    }
    return started;
  }
  function setOpen(open, focus) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (!inline) sessionStorage.setItem(OPEN_KEY, open ? "1" : "");
    if (open) { start(); if (focus) input.focus(); } else if (focus) launcher.focus();
  }
  launcher.addEventListener("click", () => setOpen(panel.hidden, true));
  $(".close").addEventListener("click", () => setOpen(false, true));
  if (inline) $(".close").hidden = true;
  panel.addEventListener("keydown", (e) => { if (e.key === "Escape" && !inline) setOpen(false, true); });

  applyLang();
  renderStatus();
  (inline && script.parentNode && script.parentNode !== document.head ? script.parentNode : document.body).append(host);
  if (inline || "open" in opt || sessionStorage.getItem(OPEN_KEY) === "1") setOpen(true, false);
})();
