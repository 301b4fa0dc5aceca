// Agent console: the queue by state (waiting, mine, claimed, resolved) with counts and ages,
// live over /v1/agent/events (title badge and a sound on a new handoff); several
// conversations open at once, each with the summary, transcript, the verified customer and
// their orders, suggested replies and canned responses to insert, claim / reply / hand back /
// close. The key goes in the stream's query: EventSource cannot send headers.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const EN = {
    console: "Agent console", key: "Agent API key", connect: "Connect", sound: "Sound", language: "Language",
    queue: "Queue", waiting: "Waiting", mine: "Mine", claimed: "Claimed", resolved: "Resolved",
    empty: "Open a conversation from the queue.", claim: "Claim", release: "Hand back to bot", close: "Close",
    summary: "Summary", reply: "Reply to the customer", send: "Send", customer: "Customer",
    suggestions: "Suggested replies", refresh: "Refresh", canned: "Canned responses", insert: "Insert",
    draft: "The bot's draft", passage: "Passage", noSuggestion: "Nothing in the knowledge base fits the last question.",
    notVerified: "Not verified.", orders: "Orders", noOrders: "No orders.", connected: "Connected",
    reconnecting: "Reconnecting…", done: "Done", ticket: "ticket", by: "by {name}", now: "just now",
    min: "{n} min", hour: "{n} h", day: "{n} d", closeTab: "Close tab", newHandoff: "New handoff",
    noneHere: "Nothing here.", question: "Question: {q}", loading: "Loading…",
    states: { waiting: "waiting", claimed: "claimed", resolved: "resolved" },
    speakers: { customer: "Customer", bot: "Bot", agent: "Agent", system: "" },
    reasons: { customer_request: "Asked for a person", out_of_scope: "Out of scope", low_confidence: "No answer found", frustration: "Frustrated", repeated_failure: "Repeated failures", needs_approval: "Needs approval", sensitive_topic: "Sensitive topic" },
  };
  const SR = {
    console: "Konzola agenta", key: "API ključ agenta", connect: "Poveži", sound: "Zvuk", language: "Jezik",
    queue: "Red", waiting: "Čekaju", mine: "Moji", claimed: "Preuzeti", resolved: "Rešeni",
    empty: "Otvorite razgovor iz reda.", claim: "Preuzmi", release: "Vrati botu", close: "Zatvori",
    summary: "Rezime", reply: "Odgovor kupcu", send: "Pošalji", customer: "Kupac",
    suggestions: "Predlozi odgovora", refresh: "Osveži", canned: "Gotovi odgovori", insert: "Ubaci",
    draft: "Nacrt bota", passage: "Odlomak", noSuggestion: "U bazi znanja nema ničeg za poslednje pitanje.",
    notVerified: "Nije potvrđen.", orders: "Porudžbine", noOrders: "Nema porudžbina.", connected: "Povezano",
    reconnecting: "Ponovno povezivanje…", done: "Gotovo", ticket: "tiket", by: "preuzeo: {name}", now: "upravo",
    min: "{n} min", hour: "{n} č", day: "{n} d", closeTab: "Zatvori karticu", newHandoff: "Novi zahtev",
    noneHere: "Ovde nema ničega.", question: "Pitanje: {q}", loading: "Učitavanje…",
    states: { waiting: "čeka", claimed: "preuzet", resolved: "rešen" },
    speakers: { customer: "Kupac", bot: "Bot", agent: "Agent", system: "" },
    reasons: { customer_request: "Traži osobu", out_of_scope: "Van delokruga", low_confidence: "Bez odgovora", frustration: "Nezadovoljan kupac", repeated_failure: "Ponovljeni neuspesi", needs_approval: "Čeka odobrenje", sensitive_topic: "Osetljiva tema" },
  };
  const CYR = { lj: "љ", nj: "њ", dž: "џ", Lj: "Љ", Nj: "Њ", Dž: "Џ" };
  "abvgdđežzijklmnoprstćufhcčš".split("").forEach((c, i) => { const k = "абвгдђежзијклмнопрстћуфхцчш"[i]; CYR[c] = k; CYR[c.toUpperCase()] = k.toUpperCase(); });
  const cyr = (s) => s.split(/(\{\w+\})/).map((p) => (p.startsWith("{") ? p : p.replace(/[LlNn]j|[Dd]ž|[a-zA-ZđĐžŽćĆčČšŠ]/g, (m) => CYR[m] || m))).join("");
  const deep = (o, f) => (typeof o === "string" ? f(o) : Object.fromEntries(Object.entries(o).map(([k, v]) => [k, deep(v, f)])));
  const STRINGS = { en: EN, "sr-Latn": SR, "sr-Cyrl": deep(SR, cyr) };
  let lang = localStorage.getItem("frontdesk.consoleLang") || ((navigator.language || "").toLowerCase().startsWith("sr") ? "sr-Latn" : "en");
  if (!STRINGS[lang]) lang = "en";
  const t = (k, vars) => String(k.split(".").reduce((o, p) => (o ? o[p] : undefined), STRINGS[lang]) ?? k).replace(/\{(\w+)\}/g, (_, v) => (vars && vars[v] != null ? vars[v] : ""));

  let key = sessionStorage.getItem("frontdesk.agentKey") || "";
  let me = "", filter = "waiting", counts = {}, items = [], now0 = Date.now(), skew = 0, events = null, canned = [], audio = null;
  const open = new Map(); // handoff id → { el, tab, detail }
  let active = null;

  function translatePage() {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const el of document.querySelectorAll("[data-t-placeholder]")) el.placeholder = t(el.dataset.tPlaceholder);
    for (const el of document.querySelectorAll(".reply-text")) el.placeholder = t("reply") + "…";
    $("lang").value = lang;
    updateTitle();
  }
  function updateTitle() { document.title = (counts.waiting ? "(" + counts.waiting + ") " : "") + t("console"); }
  function say(text) { $("status").textContent = text; }

  async function api(path, opts) {
    const r = await fetch(path, Object.assign({}, opts, { headers: { "Content-Type": "application/json", Authorization: "Bearer " + key } }));
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || "HTTP " + r.status);
    return body;
  }
  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function age(iso) {
    const s = Math.max(0, (Date.now() + skew - Date.parse(iso)) / 1000);
    if (s < 60) return t("now");
    if (s < 3600) return t("min", { n: Math.floor(s / 60) });
    if (s < 86400) return t("hour", { n: Math.floor(s / 3600) });
    return t("day", { n: Math.floor(s / 86400) });
  }

  async function loadQueue() {
    const q = filter === "mine" ? "state=claimed&agent=" + encodeURIComponent(me || "-") : "state=" + filter;
    const r = await api("/v1/handoffs?" + q);
    me = r.me; counts = r.counts; items = r.handoffs; skew = Date.parse(r.now) - Date.now();
    renderQueue();
  }
  function renderQueue() {
    for (const b of document.querySelectorAll("#filters button")) {
      b.setAttribute("aria-pressed", String(b.dataset.filter === filter));
      b.querySelector(".count").textContent = counts[b.dataset.filter] ?? 0;
    }
    updateTitle();
    const ul = $("queue");
    ul.textContent = "";
    if (!items.length) ul.append(el("li", "none", t("noneHere")));
    // Oldest first for those waiting (who waited longest is served first), newest first otherwise.
    const list = filter === "waiting" ? items : [...items].reverse();
    for (const h of list) {
      const li = el("li");
      li.dataset.id = h.id;
      if (open.has(h.id)) li.classList.add("opened");
      if (active === h.id) li.classList.add("active");
      const b = el("button", "open", t("reasons." + h.reason));
      b.type = "button";
      b.addEventListener("click", () => openConv(h.id));
      const meta = el("div", "meta");
      const a = el("span", "age", age(h.created_at));
      a.dataset.at = h.created_at;
      meta.append(a);
      if (h.ticket) meta.append(el("span", "tag", t("ticket")));
      if (h.agent) meta.append(el("span", "agent", t("by", { name: h.agent })));
      const first = (h.summary || "").split("\n")[0];
      li.append(b, meta, el("div", "gist", first.length > 90 ? first.slice(0, 90) + "…" : first));
      ul.append(li);
    }
  }

  function activate(id) {
    active = id;
    for (const [hid, c] of open) {
      c.el.hidden = hid !== id;
      c.tab.setAttribute("aria-selected", String(hid === id));
      c.tab.tabIndex = hid === id ? 0 : -1;
    }
    $("empty").hidden = open.size > 0;
    for (const li of document.querySelectorAll("#queue li")) li.classList.toggle("active", li.dataset.id === id);
  }

  async function openConv(id) {
    if (open.has(id)) { activate(id); return; }
    const node = $("conv-tpl").content.firstElementChild.cloneNode(true);
    node.id = "conv-" + id;
    node.dataset.id = id;
    const tab = el("div", "tab");
    tab.setAttribute("role", "tab");
    tab.dataset.id = id;
    tab.setAttribute("aria-controls", node.id);
    const label = el("button", "tab-label", "…");
    label.type = "button";
    label.addEventListener("click", () => activate(id));
    const x = el("button", "tab-close", "×");
    x.type = "button";
    x.setAttribute("aria-label", t("closeTab"));
    x.addEventListener("click", () => closeTab(id));
    tab.append(label, x);
    $("tabs").append(tab);
    $("convs").append(node);
    const c = { el: node, tab, detail: null };
    open.set(id, c);
    for (const e of node.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
    node.querySelector(".reply-text").placeholder = t("reply") + "…";
    node.querySelector(".claim").addEventListener("click", () => act(id, "claim"));
    node.querySelector(".release").addEventListener("click", () => act(id, "release"));
    node.querySelector(".resolve").addEventListener("click", () => act(id, "close"));
    node.querySelector(".suggest-btn").addEventListener("click", () => suggest(id));
    node.querySelector(".reply").addEventListener("submit", async (e) => {
      e.preventDefault();
      const box = node.querySelector(".reply-text");
      const text = box.value.trim();
      if (!text) return;
      try {
        await api("/v1/handoffs/" + id + "/messages", { method: "POST", body: JSON.stringify({ text }) });
        box.value = "";
        await refresh(id);
      } catch (err) { say(err.message); }
    });
    activate(id);
    await refresh(id);
    suggest(id);
  }
  function closeTab(id) {
    const c = open.get(id);
    if (!c) return;
    c.el.remove(); c.tab.remove(); open.delete(id);
    if (active === id) activate(open.size ? [...open.keys()].pop() : null); else activate(active);
  }

  function insert(id, text) {
    const box = open.get(id).el.querySelector(".reply-text");
    box.value = box.value.trim() ? box.value.replace(/\s*$/, "\n") + text : text;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  async function refresh(id) {
    const c = open.get(id);
    if (!c) return;
    const d = await api("/v1/handoffs/" + id);
    c.detail = d;
    const n = c.el, h = d.handoff, conv = d.conversation;
    const who = (d.shop && d.shop.customer && d.shop.customer.name) || (conv.customer && conv.customer.display_name) || "";
    const title = t("reasons." + h.reason) + (who ? " · " + who : "");
    n.querySelector(".conv-title").textContent = title;
    c.tab.querySelector(".tab-label").textContent = title;
    c.tab.classList.remove("unread");
    n.dataset.state = h.state;
    n.querySelector(".conv-state").textContent = t("states." + h.state) + (h.agent ? " · " + h.agent : "") + " · " + age(h.created_at);
    n.querySelector(".summary").textContent = d.summary;
    const tr = n.querySelector(".transcript");
    tr.textContent = "";
    for (const m of conv.messages) {
      const div = el("div", "msg " + m.speaker);
      const label = m.speaker === "agent" ? (m.meta && m.meta.agent) || t("speakers.agent") : t("speakers." + m.speaker);
      if (label) div.append(el("span", "who", label));
      div.append(el("span", "text", m.text));
      tr.append(div);
    }
    tr.scrollTop = tr.scrollHeight;
    renderCustomer(n.querySelector(".customer-body"), conv, d.shop);
    renderCanned(id);
    const mine = h.state === "claimed" && h.agent === me;
    n.querySelector(".claim").disabled = h.state !== "waiting";
    n.querySelector(".reply-send").disabled = !mine;
    n.querySelector(".release").disabled = n.querySelector(".resolve").disabled = h.state === "resolved";
  }

  function renderCustomer(box, conv, shop) {
    box.textContent = "";
    if (!conv.customer) { box.append(el("p", "muted", t("notVerified"))); return; }
    if (!shop || shop.error) {
      box.append(el("p", null, conv.customer.display_name + " (" + conv.customer.customer_id + ")"));
      if (shop && shop.error) box.append(el("p", "muted", shop.error));
      return;
    }
    const c = shop.customer;
    box.append(el("p", "cust-name", c.name), el("p", "muted", c.email));
    if (c.address) box.append(el("p", "muted", [c.address.address1, c.address.city, c.address.zip, c.address.country].filter(Boolean).join(", ")));
    box.append(el("h4", null, t("orders")));
    if (!shop.orders.length) { box.append(el("p", "muted", t("noOrders"))); return; }
    const ul = el("ul", "orders");
    for (const o of shop.orders) {
      const li = el("li", "order");
      li.dataset.order = o.order_id;
      li.append(el("strong", null, o.order_id), el("span", "ostatus", " " + o.status + " · " + o.total.toFixed(2)));
      li.append(el("div", "muted", o.items.map((i) => i.name).join(", ")));
      ul.append(li);
    }
    box.append(ul);
  }

  // The draft's [n] markers name sources the customer cannot see in an agent's message:
  // they become the source's link, or go.
  function plainDraft(text, citations) {
    return text.replace(/\s*\[(\d+)\]/g, (_, n) => { const c = (citations || []).find((x) => String(x.index) === n); return c && c.url ? " (" + c.url + ")" : ""; });
  }
  async function suggest(id) {
    const c = open.get(id);
    if (!c) return;
    const box = c.el.querySelector(".suggestions");
    box.textContent = t("loading");
    try {
      const s = await api("/v1/handoffs/" + id + "/suggestions");
      box.textContent = "";
      box.append(el("p", "muted", t("question", { q: s.question })));
      const card = (cls, head, text, src) => {
        const div = el("div", "sugg " + cls);
        div.append(el("div", "sugg-head", head), el("div", "sugg-text", text));
        if (src) div.append(el("div", "muted", src));
        const b = el("button", "secondary insert", t("insert"));
        b.type = "button";
        b.addEventListener("click", () => insert(id, text));
        div.append(b);
        box.append(div);
      };
      if (s.draft) card("draft", t("draft"), plainDraft(s.draft.text, s.draft.citations));
      for (const p of s.passages) card("passage", t("passage") + ": " + p.title, p.text, p.url || "");
      if (!s.draft && !s.passages.length) box.append(el("p", "muted", t("noSuggestion")));
    } catch (e) { box.textContent = e.message; }
  }
  function renderCanned(id) {
    const c = open.get(id);
    const ul = c.el.querySelector(".canned-list");
    ul.textContent = "";
    const convLang = c.detail && c.detail.conversation.lang;
    for (const r of canned.filter((x) => !x.lang || !convLang || x.lang === convLang)) {
      const li = el("li");
      const b = el("button", "secondary canned-insert", r.title);
      b.type = "button";
      b.title = r.text;
      b.addEventListener("click", () => insert(id, r.text));
      li.append(b);
      ul.append(li);
    }
  }

  async function act(id, what) {
    try { await api("/v1/handoffs/" + id + "/" + what, { method: "POST" }); say(t("done")); await refresh(id); await loadQueue(); }
    catch (e) { say(e.message); }
  }

  function beep() {
    document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
    if (!$("sound").checked || !audio) return;
    try {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880; g.gain.value = 0.08;
      o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + 0.18);
    } catch (_) { /* no sound device: the badge still shows */ }
  }

  function connect() {
    if (events) events.close();
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); } catch (_) { audio = null; }
    events = new EventSource("/v1/agent/events?key=" + encodeURIComponent(key));
    events.addEventListener("hello", () => { say(t("connected")); document.body.dataset.ready = "1"; });
    events.addEventListener("handoff", () => { beep(); say(t("newHandoff")); loadQueue().catch((e) => say(e.message)); });
    events.addEventListener("handoff_updated", (e) => {
      const d = JSON.parse(e.data);
      loadQueue().catch((err) => say(err.message));
      if (open.has(d.id)) refresh(d.id).catch(() => {});
    });
    events.addEventListener("customer_message", (e) => {
      const d = JSON.parse(e.data);
      for (const [id, c] of open) {
        if (c.detail && c.detail.conversation.id === d.conversation_id) {
          refresh(id).then(() => { if (id !== active) c.tab.classList.add("unread"); }).catch(() => {});
        }
      }
    });
    events.onerror = () => say(t("reconnecting"));
    api("/v1/agent/canned-responses").then((r) => { canned = r.canned_responses; for (const id of open.keys()) renderCanned(id); }).catch(() => {});
    loadQueue().catch((e) => say(e.message));
  }

  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    key = $("key").value.trim();
    sessionStorage.setItem("frontdesk.agentKey", key);
    connect();
  });
  for (const b of document.querySelectorAll("#filters button")) {
    b.addEventListener("click", () => { filter = b.dataset.filter; loadQueue().catch((e) => say(e.message)); });
  }
  $("tabs").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const ids = [...open.keys()];
    const i = ids.indexOf(active) + (e.key === "ArrowRight" ? 1 : -1);
    if (ids[i]) { activate(ids[i]); open.get(ids[i]).tab.querySelector(".tab-label").focus(); }
  });
  $("lang").addEventListener("change", () => {
    lang = $("lang").value;
    localStorage.setItem("frontdesk.consoleLang", lang);
    translatePage();
    renderQueue();
    for (const id of open.keys()) { for (const e of open.get(id).el.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t); refresh(id).catch(() => {}); }
  });
  setInterval(() => { for (const a of document.querySelectorAll("#queue .age")) a.textContent = age(a.dataset.at); }, 30000);
  translatePage();
  $("empty").hidden = false;
  if (key) { $("key").value = key; connect(); }
})();
