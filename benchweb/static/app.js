// The bench page: lists of messages and sessions from the JSON API, one
// shown at a time, reloaded on each server-sent event. Every value from
// the API goes in as text (textContent), never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const api = (path, opts) => fetch("/api/v1" + path, opts).then((r) => r.json());
let view = "messages";
let selected = null; // {kind: "message"|"session", id}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

const time = (s) => (s ? new Date(s).toLocaleString() : "");
const size = (n) => (n > 1 << 20 ? (n / (1 << 20)).toFixed(1) + " MB" : n > 1024 ? Math.round(n / 1024) + " KB" : n + " B");

async function loadMessages() {
  const q = encodeURIComponent($("#search").value);
  const list = await api(`/messages?query=${q}&limit=200`);
  $("#count-messages").textContent = list.total;
  const body = $("#messages tbody");
  body.replaceChildren();
  for (const m of list.messages) {
    const thumbCell = el("td");
    if (m.image) thumbCell.append(el("img", { class: "thumb", alt: "image", src: `/api/v1/messages/${m.key}/parts/${m.image}/thumbnail` }));
    else if (m.attachments === null) thumbCell.append(el("span", { class: "thumbslot", "data-key": m.key }));
    const row = el("tr", { "data-key": m.key, class: "message" + (selected && selected.id === m.key ? " selected" : ""), onclick: () => showMessage(m.key) },
      thumbCell, el("td", {}, time(m.received)), el("td", {}, m.from), el("td", {}, m.to.join(", ")), el("td", { class: "subject" }, m.subject || "(no subject)"), el("td", {}, size(m.size)));
    body.append(row);
  }
  $("#no-messages").hidden = list.total > 0;
  // Messages not parsed yet: their detail parses them, and says whether
  // they have an image.
  for (const slot of body.querySelectorAll(".thumbslot")) {
    api(`/messages/${slot.dataset.key}`).then((d) => {
      const img = d.parts.find((p) => p.contentType.startsWith("image/") && p.width > 0);
      if (img) slot.replaceWith(el("img", { class: "thumb", alt: img.filename || "image", src: `/api/v1/messages/${d.key}/parts/${img.path}/thumbnail` }));
    });
  }
}

async function loadSessions() {
  const failedOnly = $("#failed-only").checked;
  const [shown, failed] = await Promise.all([api(`/sessions${failedOnly ? "?failed=1" : ""}`), api("/sessions?failed=1")]);
  $("#count-failed").textContent = failed.total;
  const body = $("#sessions tbody");
  body.replaceChildren();
  for (const s of shown.sessions) {
    const login = s.logins.length ? s.logins.map((l) => `${l.user} ${l.ok ? "ok" : "refused"}`).join(", ") : "";
    body.append(el("tr", { "data-id": s.id, class: "session" + (s.failed ? " failed" : ""), onclick: () => showSession(s.id) },
      el("td", {}, time(s.started)), el("td", {}, s.server), el("td", {}, s.remote + (s.helo ? ` (${s.helo})` : "")),
      el("td", {}, s.tls ? s.tls.version : s.tlsError ? "failed" : ""), el("td", {}, login), el("td", {}, s.delivered),
      el("td", { class: "why" }, s.problem || s.endReason || (s.ended ? "" : "open"))));
  }
  $("#no-sessions").hidden = shown.total > 0;
}

function fields(pairs) {
  const dl = el("dl", { class: "fields" });
  for (const [k, v] of pairs) if (v !== "" && v !== undefined && v !== null) dl.append(el("dt", {}, k), el("dd", {}, v));
  return dl;
}

function transcript(s) {
  const pre = el("pre", { class: "transcript" });
  for (const l of s.transcript) {
    const who = l.who === "*" ? "N" : l.who;
    pre.append(el("span", { class: who }, `${new Date(l.at).toISOString().slice(11, 23)} ${l.who}: ${l.text}\n`));
  }
  return pre;
}

function sessionFields(s) {
  return fields([
    ["Session", s.id], ["Client", s.remote], ["EHLO", s.helo], ["Port", `${s.local} (${s.mode})`],
    ["TLS", s.tls ? `${s.tls.version}, ${s.tls.cipher}${s.tls.sni ? ", SNI " + s.tls.sni : ""}` : s.tlsError ? "handshake failed: " + s.tlsError : "none"],
    ["Logins", s.logins.map((l) => `${l.mechanism} ${l.user}: ${l.ok ? "accepted" : "refused " + l.reply}`).join("; ")],
    ["Delivered", s.delivered], ["Started", time(s.started)], ["Ended", s.ended ? `${time(s.ended)}: ${s.endReason}` : "still open"],
    ["Why", s.problem], ["Omitted", s.omitted ? `${s.omitted} transcript lines` : ""],
  ]);
}

async function showMessage(key) {
  selected = { kind: "message", id: key };
  const d = await api(`/messages/${key}`);
  const pane = $("#detail");
  pane.hidden = false;
  const base = `/api/v1/messages/${key}`;
  // A 30 MB message is a link, not a page of base64.
  const raw = d.size > 512 * 1024 ? el("p", {}, el("a", { href: `${base}/raw`, target: "_blank" }, `Raw source (${size(d.size)})`)) : el("pre", { class: "raw" }, "loading…");
  if (raw.tagName === "PRE") fetch(base + "/raw").then((r) => r.text()).then((t) => { raw.textContent = t; });
  const atts = el("div", { class: "attachments" });
  for (const p of d.parts.filter((p) => p.filename)) {
    const box = el("div", { class: "attachment" });
    if (p.contentType.startsWith("image/") && p.width > 0) box.append(el("a", { href: `${base}/parts/${p.path}`, target: "_blank" }, el("img", { alt: p.filename, src: `${base}/parts/${p.path}/thumbnail` })));
    box.append(el("a", { href: `${base}/parts/${p.path}`, download: p.filename }, p.filename), el("div", {}, `${p.contentType}, ${size(p.size)}${p.width ? `, ${p.width}×${p.height}` : ""}`));
    atts.append(box);
  }
  const tree = el("ul", { class: "tree" });
  for (const p of d.parts) tree.append(el("li", {}, `${"  ".repeat(p.depth)}${p.path || "message"}  ${p.contentType}${p.filename ? "  " + p.filename : ""}  ${size(p.size)}${p.sha256 ? "  sha256 " + p.sha256.slice(0, 16) + "…" : ""}`));
  pane.replaceChildren(
    el("h2", {}, d.subject || "(no subject)"),
    fields([["From", d.from], ["To", d.to.join(", ")], ["Received", time(d.received)], ["Client", `${d.remote} (${d.helo})`],
      ["TLS", d.tlsInfo ? `${d.tlsInfo.version}, ${d.tlsInfo.cipher}${d.tlsInfo.sni ? ", SNI " + d.tlsInfo.sni : ""}` : "none"],
      ["Login", d.authUser ? `${d.authUser} (${d.authMechanism})` : ""], ["Size", size(d.size)], ["Parse error", d.parseError]]),
    el("p", {}, el("a", { href: `${base}/eml`, download: `${key}.eml` }, "Download .eml"), " ",
      el("button", { type: "button", onclick: async () => { await fetch(base, { method: "DELETE" }); $("#detail").hidden = true; selected = null; } }, "Delete")),
    el("h3", {}, "Text"), el("pre", { class: "text" }, d.text || "(no text part)"),
    d.parts.some((p) => p.filename) ? el("h3", {}, "Attachments") : null, atts,
    el("h3", {}, "MIME tree"), tree,
    el("h3", {}, "Headers"), el("pre", {}, d.headers),
    d.session ? el("h3", {}, "Session") : null, d.session ? sessionFields(d.session) : null, d.session ? transcript(d.session) : null,
    el("h3", {}, "Raw source"), raw);
  markSelected();
}

async function showSession(id) {
  selected = { kind: "session", id };
  const s = await api(`/sessions/${id}`);
  const pane = $("#detail");
  pane.hidden = false;
  const links = el("p");
  for (const k of s.messages || []) links.append(el("a", { href: "#", onclick: (e) => { e.preventDefault(); switchTo("messages"); showMessage(k); } }, "message " + k), " ");
  pane.replaceChildren(el("h2", {}, `Session ${s.id}`), sessionFields(s), links, el("h3", {}, "Transcript"), transcript(s));
  markSelected();
}

function markSelected() {
  for (const r of document.querySelectorAll("tbody tr")) r.classList.toggle("selected", !!selected && (r.dataset.key === selected.id || r.dataset.id === selected.id));
}

function switchTo(v) {
  view = v;
  $("#tab-messages").classList.toggle("active", v === "messages");
  $("#tab-sessions").classList.toggle("active", v === "sessions");
  $("#messages-view").hidden = v !== "messages";
  $("#sessions-view").hidden = v !== "sessions";
  refresh();
}

function refresh() {
  loadMessages();
  loadSessions();
}

function live() {
  const es = new EventSource("/api/v1/events");
  es.addEventListener("hello", () => { $("#live").textContent = "live"; $("#live").classList.add("on"); });
  es.addEventListener("message", () => loadMessages());
  es.addEventListener("session", () => {
    loadSessions();
    if (selected && selected.kind === "session") showSession(selected.id);
  });
  es.onerror = () => { $("#live").textContent = "reconnecting"; $("#live").classList.remove("on"); };
}

document.addEventListener("DOMContentLoaded", () => {
  $("#tab-messages").addEventListener("click", () => switchTo("messages"));
  $("#tab-sessions").addEventListener("click", () => switchTo("sessions"));
  $("#search").addEventListener("input", () => loadMessages());
  $("#failed-only").addEventListener("change", () => loadSessions());
  $("#delete-all").addEventListener("click", async () => { await fetch("/api/v1/messages", { method: "DELETE" }); $("#detail").hidden = true; });
  $("#forget-sessions").addEventListener("click", async () => { await fetch("/api/v1/sessions", { method: "DELETE" }); loadSessions(); });
  refresh();
  live();
});
