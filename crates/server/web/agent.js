// Agent console: queue, claim, read with the bot's summary, reply, hand back, close.
// Live updates come from /v1/agent/events (the key goes in the query: EventSource has no headers).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem("frontdesk.agentKey") || "";
  let current = null, events = null;

  async function api(path, opts) {
    const r = await fetch(path, Object.assign({}, opts, { headers: { "Content-Type": "application/json", Authorization: "Bearer " + key } }));
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || "HTTP " + r.status);
    return body;
  }
  function say(text) { $("status").textContent = text; }

  async function loadQueue() {
    const { handoffs } = await api("/v1/handoffs?state=" + $("filter").value);
    const ul = $("queue");
    ul.textContent = "";
    for (const h of handoffs) {
      const li = document.createElement("li");
      li.dataset.id = h.id;
      if (current === h.id) li.className = "active";
      const b = document.createElement("button");
      b.type = "button";
      b.className = "open";
      b.textContent = h.reason.replace(/_/g, " ") + (h.ticket ? " (ticket)" : "");
      b.addEventListener("click", () => open(h.id));
      const meta = document.createElement("div");
      meta.className = "who";
      meta.textContent = new Date(h.created_at).toLocaleString() + (h.agent ? " · " + h.agent : "");
      li.append(b, meta);
      ul.append(li);
    }
  }

  async function open(id) {
    current = id;
    const d = await api("/v1/handoffs/" + id);
    $("detail").hidden = false;
    $("detail-title").textContent = "Conversation (" + d.conversation.status.replace(/_/g, " ") + ")";
    $("summary").textContent = d.summary;
    const t = $("transcript");
    t.textContent = "";
    for (const m of d.conversation.messages) {
      const div = document.createElement("div");
      div.className = "msg " + m.speaker;
      div.textContent = m.text;
      t.append(div);
    }
    $("claim").disabled = d.handoff.state !== "waiting";
    $("reply-send").disabled = d.handoff.state !== "claimed";
    $("release").disabled = $("close").disabled = d.handoff.state === "resolved";
    await loadQueue();
  }

  async function act(what) {
    if (!current) return;
    try { await api("/v1/handoffs/" + current + "/" + what, { method: "POST" }); say(what + ": done"); await open(current); }
    catch (e) { say(e.message); }
  }

  function connect() {
    if (events) events.close();
    events = new EventSource("/v1/agent/events?key=" + encodeURIComponent(key));
    events.addEventListener("hello", () => { say("Connected"); document.body.dataset.ready = "1"; });
    events.addEventListener("handoff", () => loadQueue().catch((e) => say(e.message)));
    events.addEventListener("handoff_updated", () => loadQueue().catch((e) => say(e.message)));
    events.addEventListener("customer_message", (e) => {
      const d = JSON.parse(e.data);
      if (current && $("summary").textContent && d.conversation_id) open(current).catch(() => {});
    });
    events.onerror = () => say("Reconnecting…");
    loadQueue().catch((e) => say(e.message));
  }

  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    key = $("key").value.trim();
    sessionStorage.setItem("frontdesk.agentKey", key);
    connect();
  });
  $("filter").addEventListener("change", () => loadQueue().catch((e) => say(e.message)));
  $("claim").addEventListener("click", () => act("claim"));
  $("release").addEventListener("click", () => act("release"));
  $("close").addEventListener("click", () => act("close"));
  $("reply").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("reply-text").value.trim();
    if (!text || !current) return;
    try {
      await api("/v1/handoffs/" + current + "/messages", { method: "POST", body: JSON.stringify({ text }) });
      $("reply-text").value = "";
      await open(current);
    } catch (err) { say(err.message); }
  });
  if (key) { $("key").value = key; connect(); }
})();
