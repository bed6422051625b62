// The stewards' review page: the queue, two records side by side, the match-weight
// waterfall, match / not match / skip (keys m, n, s), and the entities both records belong
// to now, with split and merge (buttons only: they are deliberate). Talks only to /graphql.
"use strict";

const FIELDS = [
  "name", "nameRaw", "idNumber", "gender", "birthDate", "phone", "uscc", "address",
  "addressRaw", "district", "street", "community", "unitKey", "source", "department",
  "recordId", "role", "key",
];
const RECORD = FIELDS.join(" ");
const CLUSTER = `id size records { ${RECORD} }`;
const QUEUE = `query Queue($entity: EntityType!) {
  reviewQueue(entity: $entity, first: 50) { totalCount edges { node {
    id matchProbability matchWeight leftEntityId rightEntityId
    comparisons { name matchWeight }
    left { ${RECORD} } right { ${RECORD} }
    leftCluster { ${CLUSTER} } rightCluster { ${CLUSTER} } } } } }`;
const HISTORY = `query History { decisions(mine: true, first: 20) { totalCount edges { node {
  id kind subject reason decidedAt pairs { decision } } } } }`;
const RESULT = `__typename ... on StewardDecision { id kind }
    ... on NotFound { message } ... on OutOfJurisdiction { message }`;
const DECIDE = `mutation Decide($id: ID!, $decision: Decision!, $reason: String!) {
  decideCandidate(id: $id, decision: $decision, reason: $reason) { ${RESULT} } }`;
const SPLIT = `mutation Split($id: ID!, $records: [ID!]!, $reason: String!) {
  splitEntity(id: $id, recordIds: $records, reason: $reason) { ${RESULT} } }`;
const MERGE = `mutation Merge($keep: ID!, $merge: ID!, $reason: String!) {
  mergeEntities(keepId: $keep, mergeId: $merge, reason: $reason) { ${RESULT} } }`;

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

// The entities both sides belong to now (once when they are one), a checkbox per record.
function clustersOf(c) {
  const sides = [["left", c.leftCluster], ["right", c.rightCluster]];
  if (c.leftCluster && c.rightCluster && c.leftCluster.id === c.rightCluster.id) {
    return [["both sides", c.leftCluster]];
  }
  return sides;
}

function recordLine(entityId, r) {
  const item = el("li");
  const label = el("label");
  const box = el("input", { type: "checkbox", value: r.key, "data-entity": entityId });
  const ids = [r.idNumber, r.uscc, r.unitKey].filter((v) => v);
  const text = [r.name || r.address || r.addressRaw, ...ids].filter((v) => v).join(" · ");
  label.append(box, " ", el("code", {}, r.key), text ? ` ${text}` : "");
  item.append(label);
  return item;
}

function renderCluster(side, cluster) {
  const column = el("div", { class: "cluster", "data-side": side });
  if (!cluster) {
    column.append(el("h4", {}, `${side}: no entity`));
    return column;
  }
  column.setAttribute("data-entity", cluster.id);
  const heading = el("h4", {}, `${side}: `);
  const count = `${cluster.size} record${cluster.size === 1 ? "" : "s"}`;
  heading.append(el("code", {}, cluster.id), ` · ${count}`);
  const list = el("ul", { "aria-label": `records of ${cluster.id}` });
  for (const r of cluster.records) list.append(recordLine(cluster.id, r));
  column.append(heading, list);
  if (cluster.size > cluster.records.length) {
    const shown = `first ${cluster.records.length} of ${cluster.size} shown`;
    column.append(el("p", { class: "more" }, shown));
  }
  return column;
}

function renderClusters(c) {
  const clusters = c ? clustersOf(c) : [];
  $("clusters").replaceChildren(...clusters.map(([side, cluster]) => renderCluster(side, cluster)));
  const ids = c && c.leftCluster && c.rightCluster && clusters.length === 2
    ? [c.leftCluster.id, c.rightCluster.id] : [];
  $("keep").replaceChildren(...ids.map((id, i) =>
    el("option", { value: id }, `${id} (${i ? "right" : "left"})`)));
  $("keep").disabled = ids.length !== 2;
  $("merge").disabled = ids.length !== 2;
  $("split").disabled = !clusters.some(([, cluster]) => cluster);
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
  renderClusters(c);
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
  // newest first: the first candidate decision on a subject is the one the server honours
  const seen = new Set();
  for (const { node } of data.decisions.edges) {
    const kind = node.kind === "candidate" ? node.pairs[0]?.decision : node.kind;
    // a merge's subject is "keep+merge": the merged-away ID goes into the kept one
    const subject = node.kind === "merge" ? node.subject.replace("+", " ← ") : node.subject;
    const item = el("li", { "data-id": node.id, "data-kind": node.kind });
    item.append(el("span", { class: kind }, kind), document.createTextNode(
      ` ${subject} · ${node.decidedAt.slice(0, 19).replace("T", " ")} · ${node.reason}`));
    if (node.kind === "candidate" && OPPOSITE[kind]) {
      item.dataset.subject = node.subject;
      item.append(" ", seen.has(node.subject)
        ? el("span", { class: "superseded", title: "a later decision on this candidate holds" },
          "superseded")
        : reverseButton(node.subject, kind));
      seen.add(node.subject);
    }
    list.append(item);
  }
}

const OPPOSITE = { MATCH: "NOT_A_MATCH", NOT_A_MATCH: "MATCH" };

function reverseButton(subject, decision) {
  const button = el("button", {
    type: "button", class: "reverse", "aria-label": `Reverse ${decision} on ${subject}`,
    title: `decide ${subject} again as ${OPPOSITE[decision]} (uses the reason below)`,
  }, "Reverse");
  button.addEventListener("click", () => reverse(subject, decision));
  return button;
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

function reason() {
  const text = $("reason").value.trim();
  if (!text) status("a decision needs a reason", true);
  return text;
}

// Run a mutation answering a DecisionResult; reload the queue and history when recorded.
// Resolves to the decision ({id, kind}) or null when nothing was recorded.
async function record(what, query, variables, field) {
  state.busy = true;
  status(`recording ${what}…`);
  try {
    const result = (await graphql(query, variables))[field];
    if (result.__typename !== "StewardDecision") {
      status(result.message || `${what} not recorded (${result.__typename})`, true);
      return null;
    }
    await Promise.all([loadQueue(), loadHistory()]);
    return result;
  } catch (error) {
    status(error.message, true);
    return null;
  } finally {
    state.busy = false;
  }
}

async function decide(decision) {
  const c = state.current;
  if (!c || state.busy) return;
  const why = reason();
  if (!why) return;
  const variables = { id: c.id, decision, reason: why };
  const done = await record(decision, DECIDE, variables, "decideCandidate");
  if (done) status(`${decision} recorded for ${c.id}`);
}

// Reverse a candidate decision: decide the same candidate again with the opposite answer
// (the server honours the later of two contradicting decisions).
async function reverse(subject, decision) {
  if (state.busy) return;
  const why = reason();
  if (!why) return;
  const opposite = OPPOSITE[decision];
  const variables = { id: subject, decision: opposite, reason: why };
  const done = await record(`reversal of ${subject}`, DECIDE, variables, "decideCandidate");
  if (done) status(`reversed: ${opposite} recorded (${done.id})`);
}

async function split() {
  const c = state.current;
  if (!c || state.busy) return;
  const checked = [...$("clusters").querySelectorAll("input[type=checkbox]:checked")];
  const entities = [...new Set(checked.map((box) => box.dataset.entity))];
  if (!checked.length) {
    status("check the records to split off first", true);
    return;
  }
  if (entities.length > 1) {
    status("check records of one entity only: a split takes records off one entity", true);
    return;
  }
  const cluster = [c.leftCluster, c.rightCluster].find((x) => x && x.id === entities[0]);
  if (checked.length >= cluster.size) {
    status(`a split must leave at least one record in ${cluster.id}: uncheck one`, true);
    return;
  }
  const why = reason();
  if (!why) return;
  const records = checked.map((box) => box.value);
  const variables = { id: cluster.id, records, reason: why };
  const done = await record("split", SPLIT, variables, "splitEntity");
  if (done) status(`split recorded (${done.id})`);
}

async function merge() {
  const c = state.current;
  if (!c || state.busy) return;
  const ids = [c.leftCluster?.id, c.rightCluster?.id];
  if (!ids[0] || !ids[1] || ids[0] === ids[1]) {
    status("merge needs two different entities", true);
    return;
  }
  const keep = $("keep").value || ids[0];
  const other = ids.find((id) => id !== keep);
  const why = reason();
  if (!why) return;
  const done = await record("merge", MERGE, { keep, merge: other, reason: why }, "mergeEntities");
  if (done) status(`merge recorded (${done.id})`);
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
  $("split").addEventListener("click", split);
  $("merge").addEventListener("click", merge);
  document.addEventListener("keydown", (event) => {
    if (event.target.matches("input, select, textarea") || event.ctrlKey || event.metaKey) return;
    if (event.key === "m") decide("MATCH");
    else if (event.key === "n") decide("NOT_A_MATCH");
    else if (event.key === "s") skip();
  });
  if (token()) load();
}

init();
