// The stewards' review page: the queue, two records side by side, the match-weight
// waterfall, and match / not match / skip (keys m, n, s). Talks only to /graphql.
"use strict";

const FIELDS = [
  "name", "nameRaw", "idNumber", "gender", "birthDate", "phone", "uscc", "address",
  "addressRaw", "district", "street", "community", "unitKey", "source", "department",
  "recordId", "role", "key",
];
const RECORD = FIELDS.join(" ");
const QUEUE = `query Queue($entity: EntityType!) {
  reviewQueue(entity: $entity, first: 50) { totalCount edges { node {
    id matchProbability matchWeight leftEntityId rightEntityId
    comparisons { name matchWeight }
    left { ${RECORD} } right { ${RECORD} } } } } }`;
const HISTORY = `query History { decisions(mine: true, first: 20) { totalCount edges { node {
  id kind subject reason decidedAt pairs { decision } } } } }`;
const DECIDE = `mutation Decide($id: ID!, $decision: Decision!, $reason: String!) {
  decideCandidate(id: $id, decision: $decision, reason: $reason) {
    ... on StewardDecision { id } ... on NotFound { message } } }`;

const $ = (id) => document.getElementById(id);
const state = { queue: [], skipped: new Set(), current: null, busy: false };

function status(text, error = false) {
  $("status").textContent = text;
  $("status").style.color = error ? "#ffb4ab" : "";
}

function token() {
  return $("token").value.trim();
}

async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token()}` },
    body: JSON.stringify({ query, variables }),
  });
  const payload = await response.json();
  if (payload.errors && payload.errors.length) {
    throw new Error(payload.errors.map((e) => e.message).join("; "));
  }
  return payload.data;
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function show(value) {
  return value === null || value === undefined || value === "" ? "—" : String(value);
}

function renderQueue() {
  const list = $("queue");
  list.replaceChildren();
  for (const c of state.queue) {
    const item = el("li", { "data-id": c.id }, `${c.left.name || c.left.address || c.left.key} ↔ `
      + `${c.right.name || c.right.address || c.right.key} (${(c.matchProbability ?? 0).toFixed(2)})`);
    if (state.current && c.id === state.current.id) item.classList.add("current");
    if (state.skipped.has(c.id)) item.classList.add("skipped");
    item.addEventListener("click", () => select(c));
    list.append(item);
  }
}

function renderRecords(c) {
  const body = $("records").querySelector("tbody");
  body.replaceChildren();
  const rows = [["entity", c.leftEntityId, c.rightEntityId], ...FIELDS.map((f) => [f, c.left[f], c.right[f]])];
  for (const [field, l, r] of rows) {
    if ((l === null || l === undefined) && (r === null || r === undefined)) continue;
    const row = el("tr");
    if (show(l) !== show(r)) row.classList.add("differs");
    row.append(el("td", {}, field), el("td", {}, show(l)), el("td", {}, show(r)));
    body.append(row);
  }
}

// A horizontal waterfall: the prior, then each comparison's weight, then the total.
function renderWaterfall(c) {
  const ns = "http://www.w3.org/2000/svg";
  const sum = c.comparisons.reduce((a, x) => a + x.matchWeight, 0);
  const prior = (c.matchWeight ?? sum) - sum;
  const steps = [{ name: "prior", matchWeight: prior }, ...c.comparisons];
  let running = 0;
  const bars = steps.map((s) => {
    const from = running;
    running += s.matchWeight;
    return { name: s.name, w: s.matchWeight, from, to: running };
  });
  bars.push({ name: "total", w: running, from: 0, to: running, total: true });
  const values = bars.flatMap((b) => [b.from, b.to]).concat([0]);
  const lo = Math.min(...values), hi = Math.max(...values);
  const width = 640, label = 130, right = 60, rowH = 22;
  const scale = (v) => label + ((v - lo) / ((hi - lo) || 1)) * (width - label - right);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${bars.length * rowH + 10}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "match weight waterfall");
  const zero = document.createElementNS(ns, "line");
  Object.entries({ x1: scale(0), x2: scale(0), y1: 0, y2: bars.length * rowH + 10, stroke: "#555" })
    .forEach(([k, v]) => zero.setAttribute(k, v));
  svg.append(zero);
  bars.forEach((b, i) => {
    const y = 5 + i * rowH;
    const rect = document.createElementNS(ns, "rect");
    const x = scale(Math.min(b.from, b.to));
    rect.setAttribute("x", x);
    rect.setAttribute("y", y);
    rect.setAttribute("width", Math.max(1, Math.abs(scale(b.to) - scale(b.from))));
    rect.setAttribute("height", rowH - 6);
    rect.setAttribute("fill", b.total ? "#20374f" : b.w >= 0 ? "#2e9d4b" : "#d2453a");
    rect.setAttribute("class", "bar");
    const name = document.createElementNS(ns, "text");
    name.setAttribute("x", 4);
    name.setAttribute("y", y + rowH - 10);
    name.textContent = b.name;
    const value = document.createElementNS(ns, "text");
    value.setAttribute("x", Math.max(scale(b.from), scale(b.to)) + 4);
    value.setAttribute("y", y + rowH - 10);
    value.textContent = b.w.toFixed(2);
    svg.append(rect, name, value);
  });
  $("waterfall").replaceChildren(svg);
}

function select(c) {
  state.current = c;
  $("candidate-id").textContent = c ? c.id : "—";
  $("probability").textContent = c ? `p = ${(c.matchProbability ?? 0).toFixed(3)}` : "";
  if (c) {
    renderRecords(c);
    renderWaterfall(c);
  } else {
    $("records").querySelector("tbody").replaceChildren();
    $("waterfall").replaceChildren();
  }
  renderQueue();
}

function next() {
  const open = state.queue.filter((c) => !state.skipped.has(c.id));
  select(open[0] || null);
  if (!open.length) status(state.queue.length ? "only skipped candidates left" : "the queue is empty");
}

async function loadQueue() {
  const data = await graphql(QUEUE, { entity: $("entity").value });
  state.queue = data.reviewQueue.edges.map((e) => e.node);
  $("queue-count").textContent = `(${data.reviewQueue.totalCount})`;
  next();
}

async function loadHistory() {
  const data = await graphql(HISTORY);
  const list = $("history");
  list.replaceChildren();
  for (const { node } of data.decisions.edges) {
    const kind = node.kind === "candidate" ? node.pairs[0]?.decision : node.kind;
    const item = el("li", { "data-id": node.id });
    item.append(el("span", { class: kind }, kind), document.createTextNode(
      ` ${node.subject} · ${node.decidedAt.slice(0, 19).replace("T", " ")} · ${node.reason}`));
    list.append(item);
  }
}

async function load() {
  sessionStorage.setItem("huitong.token", token());
  status("loading…");
  try {
    await Promise.all([loadQueue(), loadHistory()]);
    status("ready");
  } catch (error) {
    status(error.message, true);
  }
}

async function decide(decision) {
  const c = state.current;
  if (!c || state.busy) return;
  const reason = $("reason").value.trim();
  if (!reason) {
    status("a decision needs a reason", true);
    return;
  }
  state.busy = true;
  status(`recording ${decision}…`);
  try {
    await graphql(DECIDE, { id: c.id, decision, reason });
    await Promise.all([loadQueue(), loadHistory()]);
    status(`${decision} recorded for ${c.id}`);
  } catch (error) {
    status(error.message, true);
  } finally {
    state.busy = false;
  }
}

function skip() {
  if (!state.current) return;
  state.skipped.add(state.current.id);
  next();
}

function init() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("huitong.token", fromHash);
    history.replaceState(null, "", location.pathname);
  }
  $("token").value = sessionStorage.getItem("huitong.token") || "";
  $("load").addEventListener("click", load);
  $("entity").addEventListener("change", () => { state.skipped.clear(); load(); });
  $("match").addEventListener("click", () => decide("MATCH"));
  $("not-match").addEventListener("click", () => decide("NOT_A_MATCH"));
  $("skip").addEventListener("click", skip);
  document.addEventListener("keydown", (event) => {
    if (event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey) return;
    if (event.key === "m") decide("MATCH");
    else if (event.key === "n") decide("NOT_A_MATCH");
    else if (event.key === "s") skip();
  });
  if (token()) load();
}

init();
