// Chat widget: one conversation per browser tab session, replies streamed over SSE
// (fetch + ReadableStream, since EventSource cannot POST), agent messages via EventSource.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const log = $("log"), form = $("form"), input = $("input"), send = $("send"), statusEl = $("status");
  const KEY = "frontdesk.conversation";
  let conv = null;

  const STATUS_TEXT = {
    bot: "",
    waiting_for_human: "Waiting for a person…",
    human: "An agent has joined the conversation.",
    closed: "This conversation is closed.",
  };
  function setStatus(status) {
    statusEl.textContent = STATUS_TEXT[status] || "";
    statusEl.dataset.status = status;
    input.disabled = send.disabled = status === "closed";
  }

  function addMessage(speaker, text, extra) {
    const div = document.createElement("div");
    div.className = "msg " + speaker;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = speaker === "customer" ? "You" : speaker === "agent" ? (extra && extra.agent) || "Agent" : speaker === "bot" ? "Assistant" : "";
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    div.append(who, body);
    log.append(div);
    div.scrollIntoView({ block: "end" });
    return div;
  }

  function showCitations(div, citations) {
    let box = div.querySelector(".cites");
    if (!box) { box = document.createElement("div"); box.className = "cites"; div.append(box); }
    box.textContent = "";
    for (const c of citations || []) {
      const a = document.createElement(c.url ? "a" : "span");
      if (c.url) { a.href = c.url; a.target = "_blank"; a.rel = "noopener"; }
      a.textContent = c.title || c.doc_id;
      box.append(a);
    }
  }

  async function api(path, opts) {
    const headers = Object.assign({ "Content-Type": "application/json" }, (opts && opts.headers) || {});
    if (conv) headers["Authorization"] = "Bearer " + conv.token;
    return fetch(path, Object.assign({}, opts, { headers }));
  }

  async function ensureConversation() {
    try { conv = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (_) { conv = null; }
    if (conv) {
      const r = await api("/v1/conversations/" + conv.id);
      if (r.ok) {
        const t = await r.json();
        for (const m of t.messages) { const d = addMessage(m.speaker, m.text, m); if (m.citations && m.citations.length) showCitations(d, m.citations); }
        setStatus(t.status);
        return;
      }
      conv = null;
    }
    const r = await api("/v1/conversations", { method: "POST", body: "{}" });
    if (!r.ok) throw new Error("could not start a conversation (" + r.status + ")");
    conv = await r.json();
    sessionStorage.setItem(KEY, JSON.stringify(conv));
    setStatus(conv.status);
  }

  function listen() {
    const es = new EventSource("/v1/conversations/" + conv.id + "/events?token=" + encodeURIComponent(conv.token));
    es.addEventListener("agent_message", (e) => { const d = JSON.parse(e.data); addMessage("agent", d.text, d); });
    es.addEventListener("handoff", (e) => { const d = JSON.parse(e.data); setStatus(d.status); if (d.state === "claimed") addMessage("system", STATUS_TEXT.human); });
    es.addEventListener("done", (e) => { const d = JSON.parse(e.data); if (d.text) { const div = addMessage("bot", d.text); showCitations(div, d.citations); } setStatus(d.status); });
    es.addEventListener("status", (e) => setStatus(JSON.parse(e.data).status));
  }

  // Minimal SSE parser over a fetch body: calls onEvent(name, data) per event.
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
        let name = "message", data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) onEvent(name, data.join("\n"));
      }
    }
  }

  async function sendMessage(text) {
    addMessage("customer", text);
    const bubble = addMessage("bot", "");
    bubble.classList.add("streaming");
    const body = bubble.querySelector(".text");
    const cites = [];
    send.disabled = true;
    try {
      const r = await api("/v1/conversations/" + conv.id + "/messages", {
        method: "POST", body: JSON.stringify({ text }), headers: { Accept: "text/event-stream" },
      });
      if (!r.ok) {
        const err = await r.json().catch(() => ({}));
        body.textContent = (err.error && err.error.message) || "Something went wrong (" + r.status + ").";
        bubble.className = "msg system";
        return;
      }
      await readSse(r, (name, data) => {
        const d = JSON.parse(data);
        if (name === "token") body.textContent += d.text;
        else if (name === "citation") { cites.push(d); showCitations(bubble, cites); }
        else if (name === "handoff") setStatus("waiting_for_human");
        else if (name === "done") {
          if (d.text) body.textContent = d.text; else bubble.remove();
          if (d.citations && d.citations.length) showCitations(bubble, d.citations);
          setStatus(d.status);
        } else if (name === "error") { body.textContent = d.message; bubble.className = "msg system"; }
      });
    } finally {
      bubble.classList.remove("streaming");
      bubble.dataset.done = "1";
      send.disabled = statusEl.dataset.status === "closed";
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendMessage(text);
  });

  for (const b of document.querySelectorAll("#csat button")) {
    b.addEventListener("click", async () => {
      const r = await api("/v1/conversations/" + conv.id + "/feedback", { method: "POST", body: JSON.stringify({ rating: Number(b.dataset.rating), comment: "" }) });
      $("csat-done").textContent = r.ok ? "Thank you!" : "Could not save your rating.";
    });
  }

  ensureConversation().then(() => { listen(); document.body.dataset.ready = "1"; }, (e) => { statusEl.textContent = e.message; });
})();
