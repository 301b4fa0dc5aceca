// Operator page: the analytics API drawn over time (containment, escalations by reason, CSAT,
// latency p50/p95 per day) as plain SVG, the unanswered questions, and the re-index and
// reload buttons. Admin key in sessionStorage; nothing is drawn by a library.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f5fbf", "#d9480f", "#2b8a3e", "#ae3ec9", "#e8a200", "#0b7285", "#868e96"];
  let key = sessionStorage.getItem("frontdesk.adminKey") || "";

  function say(text) { $("status").textContent = text; }
  async function api(path, opts) {
    const r = await fetch(path, Object.assign({}, opts, { headers: { "Content-Type": "application/json", Authorization: "Bearer " + key } }));
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || "HTTP " + r.status);
    return body;
  }
  function node(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }
  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }

  // One chart: `series` = [{name, values}], one value (or null) per day. kind: "line" or "bars"
  // (stacked). Every mark carries its day, series and value (data-*) and a <title>.
  function draw(figure, days, series, { kind = "line", min = 0, max, fmt = String }) {
    const W = 600, H = 220, L = 48, R = 12, T = 12, B = 30;
    const plot = figure.querySelector(".plot");
    plot.textContent = "";
    const totals = days.map((_, i) => series.reduce((s, x) => s + (x.values[i] || 0), 0));
    const all = kind === "bars" ? totals : series.flatMap((s) => s.values.filter((v) => v != null));
    // Counts get whole-number ticks (a multiple of 4 on top); other figures 10% headroom.
    const nice = (v) => { const p = Math.pow(10, Math.floor(Math.log10(v))); return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= v); };
    const top = max != null ? max : kind === "bars" ? Math.max(4, Math.ceil(Math.max(0, ...all) / 4) * 4) : 4 * nice(Math.max(1, ...all) * 1.05 / 4);
    const y = (v) => T + (H - T - B) * (1 - (v - min) / (top - min || 1));
    const step = (W - L - R) / Math.max(1, days.length);
    const x = (i) => L + step * (i + 0.5);
    const svg = node("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": figure.querySelector("figcaption").textContent });
    for (let k = 0; k <= 4; k++) {
      const v = min + ((top - min) * k) / 4;
      svg.append(node("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid" }));
      svg.append(node("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, fmt(v)));
    }
    const every = Math.max(1, Math.ceil(days.length / 8));
    days.forEach((d, i) => { if (i % every === 0 || (i === days.length - 1 && i % every >= every / 2)) svg.append(node("text", { x: x(i), y: H - 10, "text-anchor": "middle", class: "tick" }, d.slice(5))); });
    let marks = 0;
    if (kind === "bars") {
      const base = days.map(() => 0);
      series.forEach((s, si) => {
        s.values.forEach((v, i) => {
          if (!v) return;
          const r = node("rect", { x: x(i) - step * 0.35, width: step * 0.7, y: y(base[i] + v), height: y(base[i]) - y(base[i] + v), fill: COLORS[si % COLORS.length], "data-day": days[i], "data-series": s.name, "data-value": v, class: "mark" });
          r.append(node("title", {}, `${days[i]} · ${s.name}: ${fmt(v)}`));
          svg.append(r);
          base[i] += v;
          marks++;
        });
      });
    } else {
      series.forEach((s, si) => {
        const color = COLORS[si % COLORS.length];
        let path = "";
        s.values.forEach((v, i) => {
          if (v == null) return;
          path += (path && s.values[i - 1] != null ? " L" : " M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
        });
        if (path) svg.append(node("path", { d: path.trim(), stroke: color, fill: "none", "stroke-width": 2 }));
        s.values.forEach((v, i) => {
          if (v == null) return;
          const c = node("circle", { cx: x(i), cy: y(v), r: 3.5, fill: color, "data-day": days[i], "data-series": s.name, "data-value": v, class: "mark" });
          c.append(node("title", {}, `${days[i]} · ${s.name}: ${fmt(v)}`));
          svg.append(c);
          marks++;
        });
      });
    }
    svg.dataset.marks = marks;
    plot.append(svg);
    const legend = el("ul", "legend");
    series.forEach((s, si) => { const li = el("li", null, s.name); li.style.setProperty("--c", COLORS[si % COLORS.length]); legend.append(li); });
    plot.append(legend);
    if (!marks) plot.append(el("p", "muted", "No data in these days."));
  }

  const pct = (v) => Math.round(v * 100) + "%";
  function kpi(label, value) { const d = el("div", "kpi"); d.append(el("div", "kpi-value", value), el("div", "kpi-label", label)); $("totals").append(d); }

  async function load() {
    const a = await api("/v1/admin/analytics?days=" + $("days").value);
    const days = a.daily.map((d) => d.day);
    $("totals").textContent = "";
    kpi("conversations", String(a.conversations));
    kpi("containment", a.active_conversations ? pct(a.containment_rate) : "–");
    kpi("escalated", String(a.escalated_conversations));
    kpi("CSAT (" + a.csat_count + ")", a.csat_average != null ? a.csat_average.toFixed(2) : "–");
    kpi("latency p50 / p95", a.latency_p50_ms != null ? a.latency_p50_ms + " / " + a.latency_p95_ms + " ms" : "–");
    draw($("chart-containment"), days, [{ name: "containment", values: a.daily.map((d) => d.containment_rate) }], { min: 0, max: 1, fmt: pct });
    const reasons = [...new Set(a.daily.flatMap((d) => Object.keys(d.escalations_by_reason)))].sort();
    draw($("chart-escalations"), days, reasons.map((r) => ({ name: r.replace(/_/g, " "), values: a.daily.map((d) => d.escalations_by_reason[r] || 0) })), { kind: "bars", fmt: (v) => String(Math.round(v)) });
    draw($("chart-csat"), days, [{ name: "mean rating", values: a.daily.map((d) => d.csat_average) }], { min: 1, max: 5, fmt: (v) => v.toFixed(1) });
    draw($("chart-latency"), days, [
      { name: "p50", values: a.daily.map((d) => d.latency_p50_ms) },
      { name: "p95", values: a.daily.map((d) => d.latency_p95_ms) },
    ], { fmt: (v) => String(Math.round(v)) });
    const tbody = $("unanswered").querySelector("tbody");
    tbody.textContent = "";
    for (const q of a.unanswered_questions) {
      const tr = el("tr");
      tr.append(el("td", null, q.text), el("td", "num", String(q.count)));
      tbody.append(tr);
    }
    if (!a.unanswered_questions.length) { const tr = el("tr"); const td = el("td", "muted", "None: every question found its answer."); td.colSpan = 2; tr.append(td); tbody.append(tr); }
    $("reindex").disabled = $("reload").disabled = false;
    document.body.dataset.ready = "1";
    say("Updated " + new Date().toLocaleTimeString());
  }

  async function post(path, button, label) {
    button.disabled = true;
    say(label + "…");
    try {
      const r = await api(path, { method: "POST" });
      const rep = r.report && typeof r.report === "object" ? " " + JSON.stringify(r.report).slice(0, 160) : "";
      say(label + ": done." + (r.note ? " " + r.note : "") + rep);
      document.body.dataset.lastAction = path;
    } catch (e) { say(label + " failed: " + e.message); }
    finally { button.disabled = false; }
  }

  $("login").addEventListener("submit", (e) => {
    e.preventDefault();
    key = $("key").value.trim();
    sessionStorage.setItem("frontdesk.adminKey", key);
    load().catch((err) => say(err.message));
  });
  $("reindex").addEventListener("click", () => post("/v1/admin/reindex", $("reindex"), "Re-index"));
  $("reload").addEventListener("click", () => post("/v1/admin/reload", $("reload"), "Reload"));
  if (key) { $("key").value = key; load().catch((err) => say(err.message)); }
})();
