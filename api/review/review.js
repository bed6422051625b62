// The stewards' review page: the queue (how many are left, how many you did today), two records
// side by side, the match-weight waterfall, match / not match / skip and a keyboard path through
// the queue, and the entities both records belong to now, with split and merge (buttons only:
// they are deliberate). Chinese by default, English by the switch. Talks only to /graphql.
"use strict";

const MESSAGES = {
  "zh-CN": {
    "page.title": "汇通 · 数据复核",
    "page.heading": "汇通 复核队列",
    "language.switch": "切换语言",
    "entity.label": "实体类型",
    "entity.PERSON": "自然人",
    "entity.ENTERPRISE": "法人",
    "entity.RENTAL_UNIT": "出租屋",
    "token.label": "令牌",
    "token.placeholder": "粘贴数据管理员（steward）令牌",
    load: "载入",
    "progress.left": "待复核 {count} 条",
    "progress.today": "今日已完成 {count} 条",
    "queue.heading": "队列",
    "candidate.heading": "候选对",
    probability: "匹配概率 {p}",
    "queue.meta": "p {p} · 优先级 {priority}",
    "priority.title": "匹配概率与优先级（不确定性 × 决定会影响的记录数），队列按优先级排序",
    "records.field": "字段",
    "records.left": "左",
    "records.right": "右",
    "reason.label": "理由",
    "reason.default": "复核页面人工审核",
    "decision.MATCH": "是同一实体",
    "decision.NOT_A_MATCH": "不是同一实体",
    "decision.split": "拆分",
    "decision.merge": "合并",
    "match.title": "两条记录是同一实体（键 m）",
    "notMatch.title": "两条记录不是同一实体（键 n）",
    "skip.title": "先跳过，留在队列中（键 s）",
    skip: "跳过",
    keys: "键盘：m 是同一实体 · n 不是同一实体 · s 跳过 · j 或 ↓ 下一条 · k 或 ↑ 上一条 · "
      + "r 填写理由（Esc 返回）",
    "entities.heading": "当前所属实体",
    split: "拆分所选记录",
    "split.title": "把勾选的记录从所属实体中拆出（使用上面的理由）",
    "keep.label": "保留编号",
    merge: "合并这两个实体",
    "merge.title": "把两个实体合并为保留编号的那一个（使用上面的理由）",
    "weights.heading": "匹配权重",
    "history.heading": "我的决定",
    "history.hint": "最新的在前。“撤销”按相反结论重新决定该候选对（使用上面的理由）。",
    "side.left": "左",
    "side.right": "右",
    "side.both": "两侧",
    "cluster.heading": "{side}：",
    "cluster.none": "{side}：无实体",
    "cluster.size": "{count} 条记录",
    "cluster.more": "显示前 {shown} 条，共 {size} 条",
    "cluster.records": "{id} 的记录",
    "keep.option": "{id}（{side}）",
    "waterfall.label": "匹配权重瀑布图",
    "waterfall.prior": "先验",
    "waterfall.total": "合计",
    reverse: "撤销",
    "reverse.label": "撤销 {decision}：{subject}",
    "reverse.title": "把 {subject} 重新决定为“{opposite}”（使用上面的理由）",
    superseded: "已被取代",
    "superseded.title": "之后对该候选对的决定有效",
    "status.loading": "载入中…",
    "status.ready": "就绪",
    "status.empty": "队列已清空",
    "status.onlySkipped": "只剩跳过的候选对",
    "status.reasonNeeded": "每个决定都需要理由",
    "status.recording": "正在记录：{what}…",
    "status.notRecorded": "未记录：{what}（{type}）",
    "status.decided": "已记录“{decision}”：{id}（{decisionId}）",
    "status.reversed": "已撤销：改记为“{decision}”（{decisionId}）",
    "status.checkFirst": "请先勾选要拆出的记录",
    "status.oneEntity": "只能勾选同一个实体的记录：拆分是从一个实体中拆出记录",
    "status.keepOne": "拆分后 {id} 至少要留一条记录：请取消勾选一条",
    "status.splitRecorded": "已记录拆分（{decisionId}）",
    "status.mergeNeedsTwo": "合并需要两个不同的实体",
    "status.mergeRecorded": "已记录合并（{decisionId}）",
    "field.entity": "实体",
    "field.name": "姓名 / 名称",
    "field.nameRaw": "姓名（原文）",
    "field.idNumber": "证件号码",
    "field.gender": "性别",
    "field.birthDate": "出生日期",
    "field.phone": "电话",
    "field.uscc": "统一社会信用代码",
    "field.address": "地址",
    "field.addressRaw": "地址（原文）",
    "field.district": "区",
    "field.street": "街道",
    "field.community": "社区",
    "field.unitKey": "房屋键",
    "field.source": "来源",
    "field.department": "部门",
    "field.recordId": "记录编号",
    "field.role": "角色",
    "field.key": "记录键",
    "comparison.tf": "{what}（常见度调整）",
    "comparison.name": "姓名 / 名称",
    "comparison.id_number": "证件号码",
    "comparison.dob": "出生日期",
    "comparison.gender": "性别",
    "comparison.phone": "电话",
    "comparison.address": "地址",
    "comparison.child": "子女",
    "comparison.owned_unit": "名下房屋",
    "comparison.legal_form": "企业类型",
    "comparison.uscc": "统一社会信用代码",
    "comparison.unit": "房屋",
  },
  en: {
    "page.title": "Huitong · steward review",
    "page.heading": "Huitong review queue",
    "language.switch": "Switch language",
    "entity.label": "Entity",
    "entity.PERSON": "Person",
    "entity.ENTERPRISE": "Enterprise",
    "entity.RENTAL_UNIT": "Rental unit",
    "token.label": "Token",
    "token.placeholder": "paste a steward bearer token",
    load: "Load",
    "progress.left": "{count} left",
    "progress.today": "{count} done today",
    "queue.heading": "Queue",
    "candidate.heading": "Candidate",
    probability: "p = {p}",
    "queue.meta": "p {p} · priority {priority}",
    "priority.title": "match probability and priority (uncertainty × records a decision would "
      + "affect); the queue is ordered by priority",
    "records.field": "field",
    "records.left": "left",
    "records.right": "right",
    "reason.label": "Reason",
    "reason.default": "reviewed on /review",
    "decision.MATCH": "Match",
    "decision.NOT_A_MATCH": "Not a match",
    "decision.split": "split",
    "decision.merge": "merge",
    "match.title": "both records are one entity (key m)",
    "notMatch.title": "the records are different entities (key n)",
    "skip.title": "leave it in the queue for now (key s)",
    skip: "Skip",
    keys: "Keys: m match · n not a match · s skip · j or ↓ next · k or ↑ previous · "
      + "r type a reason (Esc to return)",
    "entities.heading": "Entities now",
    split: "Split selected off",
    "split.title": "split the checked records off their entity (uses the reason above)",
    "keep.label": "Keep ID",
    merge: "Merge these entities",
    "merge.title": "merge both entities into the one whose ID is kept (uses the reason above)",
    "weights.heading": "Match weights",
    "history.heading": "My decisions",
    "history.hint": "Newest first. Reverse decides the candidate again the other way (uses the "
      + "reason above).",
    "side.left": "left",
    "side.right": "right",
    "side.both": "both sides",
    "cluster.heading": "{side}: ",
    "cluster.none": "{side}: no entity",
    "cluster.size": "{count} records",
    "cluster.more": "first {shown} of {size} shown",
    "cluster.records": "records of {id}",
    "keep.option": "{id} ({side})",
    "waterfall.label": "match weight waterfall",
    "waterfall.prior": "prior",
    "waterfall.total": "total",
    reverse: "Reverse",
    "reverse.label": "Reverse {decision} on {subject}",
    "reverse.title": "decide {subject} again as {opposite} (uses the reason above)",
    superseded: "superseded",
    "superseded.title": "a later decision on this candidate holds",
    "status.loading": "loading…",
    "status.ready": "ready",
    "status.empty": "the queue is empty",
    "status.onlySkipped": "only skipped candidates left",
    "status.reasonNeeded": "a decision needs a reason",
    "status.recording": "recording {what}…",
    "status.notRecorded": "{what} not recorded ({type})",
    "status.decided": "{decision} recorded for {id} ({decisionId})",
    "status.reversed": "reversed: {decision} recorded ({decisionId})",
    "status.checkFirst": "check the records to split off first",
    "status.oneEntity": "check records of one entity only: a split takes records off one entity",
    "status.keepOne": "a split must leave at least one record in {id}: uncheck one",
    "status.splitRecorded": "split recorded ({decisionId})",
    "status.mergeNeedsTwo": "merge needs two different entities",
    "status.mergeRecorded": "merge recorded ({decisionId})",
    "comparison.tf": "{what} (frequency adjustment)",
    "field.entity": "entity",
    "field.nameRaw": "name as written",
    "field.idNumber": "ID number",
    "field.birthDate": "birth date",
    "field.addressRaw": "address as written",
    "field.unitKey": "unit key",
    "field.recordId": "record ID",
  },
};

const FIELDS = [
  "name", "nameRaw", "idNumber", "gender", "birthDate", "phone", "uscc", "address",
  "addressRaw", "district", "street", "community", "unitKey", "source", "department",
  "recordId", "role", "key",
];
const RECORD = FIELDS.join(" ");
const CLUSTER = `id size records { ${RECORD} }`;
const QUEUE = `query Queue($entity: EntityType!) {
  reviewQueue(entity: $entity, first: 50) { totalCount edges { node {
    id matchProbability matchWeight priority leftEntityId rightEntityId
    comparisons { name matchWeight }
    left { ${RECORD} } right { ${RECORD} }
    leftCluster { ${CLUSTER} } rightCluster { ${CLUSTER} } } } } }`;
const HISTORY = `query History { decisions(mine: true, first: 20) { edges { node {
  id kind subject reason decidedAt pairs { decision } } } } }`;
// Your decisions newest first, a page at a time, to count today's.
const TODAY = `query Today($after: String) { decisions(mine: true, first: 100, after: $after) {
  edges { node { decidedAt } } pageInfo { hasNextPage endCursor } } }`;
const RESULT = `__typename ... on StewardDecision { id kind }
    ... on NotFound { message } ... on OutOfJurisdiction { message }`;
const DECIDE = `mutation Decide($id: ID!, $decision: Decision!, $reason: String!) {
  decideCandidate(id: $id, decision: $decision, reason: $reason) { ${RESULT} } }`;
const SPLIT = `mutation Split($id: ID!, $records: [ID!]!, $reason: String!) {
  splitEntity(id: $id, recordIds: $records, reason: $reason) { ${RESULT} } }`;
const MERGE = `mutation Merge($keep: ID!, $merge: ID!, $reason: String!) {
  mergeEntities(keepId: $keep, mergeId: $merge, reason: $reason) { ${RESULT} } }`;
const OPPOSITE = { MATCH: "NOT_A_MATCH", NOT_A_MATCH: "MATCH" };

const $ = (id) => document.getElementById(id);
const { t } = I18n;
const state = {
  queue: [], skipped: new Set(), current: null, busy: false,
  left: null, doneToday: null, history: [], status: null,
};

// The status line, kept as a message key and its parameters so a language switch rewrites it;
// data-key tells scripts (and tests) which message it is, in any language.
function status(key, params = {}, error = false) {
  state.status = { key, params, error };
  renderStatus();
}

function statusError(message) {
  state.status = { text: message, error: true };
  renderStatus();
}

function renderStatus() {
  const s = state.status;
  const line = $("status");
  line.textContent = s ? (s.text ?? t(s.key, s.params)) : "";
  line.dataset.key = s?.key ?? (s?.text ? "error" : "");
  line.classList.toggle("error", Boolean(s?.error));
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

const decisionName = (kind) => t(`decision.${kind}`);
const probability = (c) => I18n.number(c.matchProbability ?? 0, {
  minimumFractionDigits: 2, maximumFractionDigits: 2 });

function renderProgress() {
  const left = $("left-count");
  const today = $("done-today");
  left.dataset.count = state.left ?? "";
  today.dataset.count = state.doneToday ?? "";
  left.textContent = state.left === null ? "" : t("progress.left", { count: state.left });
  today.textContent = state.doneToday === null ? ""
    : t("progress.today", { count: state.doneToday });
}

function renderQueue() {
  const list = $("queue");
  list.replaceChildren();
  for (const c of state.queue) {
    const item = el("li", { "data-id": c.id, "data-priority": c.priority ?? "" },
      `${c.left.name || c.left.address || c.left.key} ↔ `
      + `${c.right.name || c.right.address || c.right.key} `);
    const priority = c.priority === null || c.priority === undefined ? "—"
      : I18n.number(c.priority, { maximumFractionDigits: 2 });
    item.append(el("span", { class: "meta", title: t("priority.title") },
      t("queue.meta", { p: probability(c), priority })));
    if (state.current && c.id === state.current.id) {
      item.classList.add("current");
      item.setAttribute("aria-current", "true");
    }
    if (state.skipped.has(c.id)) item.classList.add("skipped");
    item.addEventListener("click", () => select(c));
    list.append(item);
  }
  list.querySelector("li.current")?.scrollIntoView({ block: "nearest" });
}

function renderRecords(c) {
  const body = $("records").querySelector("tbody");
  body.replaceChildren();
  const rows = [["entity", c.leftEntityId, c.rightEntityId],
    ...FIELDS.map((f) => [f, c.left[f], c.right[f]])];
  for (const [field, l, r] of rows) {
    if ((l === null || l === undefined) && (r === null || r === undefined)) continue;
    const row = el("tr", { "data-field": field });
    if (show(l) !== show(r)) row.classList.add("differs");
    row.append(el("td", {}, I18n.label(`field.${field}`, field)), el("td", {}, show(l)),
      el("td", {}, show(r)));
    body.append(row);
  }
}

// The entities both sides belong to now (once when they are one), a checkbox per record.
function clustersOf(c) {
  const sides = [["left", c.leftCluster], ["right", c.rightCluster]];
  if (c.leftCluster && c.rightCluster && c.leftCluster.id === c.rightCluster.id) {
    return [["both", c.leftCluster]];
  }
  return sides;
}

function recordLine(entityId, r, checked) {
  const item = el("li");
  const label = el("label");
  const box = el("input", { type: "checkbox", value: r.key, "data-entity": entityId });
  box.checked = checked.has(r.key);
  const ids = [r.idNumber, r.uscc, r.unitKey].filter((v) => v);
  const text = [r.name || r.address || r.addressRaw, ...ids].filter((v) => v).join(" · ");
  label.append(box, " ", el("code", {}, r.key), text ? ` ${text}` : "");
  item.append(label);
  return item;
}

function renderCluster(side, cluster, checked) {
  const column = el("div", { class: "cluster", "data-side": side });
  const sideName = t(`side.${side}`);
  if (!cluster) {
    column.append(el("h4", {}, t("cluster.none", { side: sideName })));
    return column;
  }
  column.setAttribute("data-entity", cluster.id);
  const heading = el("h4", {}, t("cluster.heading", { side: sideName }));
  heading.append(el("code", {}, cluster.id), ` · ${t("cluster.size", { count: cluster.size })}`);
  const list = el("ul", { "aria-label": t("cluster.records", { id: cluster.id }) });
  for (const r of cluster.records) list.append(recordLine(cluster.id, r, checked));
  column.append(heading, list);
  if (cluster.size > cluster.records.length) {
    const shown = t("cluster.more", { shown: cluster.records.length, size: cluster.size });
    column.append(el("p", { class: "more" }, shown));
  }
  return column;
}

function renderClusters(c) {
  const checked = new Set([...$("clusters").querySelectorAll("input:checked")]
    .map((box) => box.value));
  const clusters = c ? clustersOf(c) : [];
  $("clusters").replaceChildren(
    ...clusters.map(([side, cluster]) => renderCluster(side, cluster, checked)));
  const ids = c && c.leftCluster && c.rightCluster && clusters.length === 2
    ? [c.leftCluster.id, c.rightCluster.id] : [];
  const kept = $("keep").value;
  $("keep").replaceChildren(...ids.map((id, i) => el("option", { value: id },
    t("keep.option", { id, side: t(i ? "side.right" : "side.left") }))));
  if (ids.includes(kept)) $("keep").value = kept;
  $("keep").disabled = ids.length !== 2;
  $("merge").disabled = ids.length !== 2;
  $("split").disabled = !clusters.some(([, cluster]) => cluster);
}

// A comparison's name; Splink's term-frequency adjustments (tf_adj_name) say what they adjust.
function comparisonName(name) {
  const adjusted = /^tf_adj_(.+)$/.exec(name);
  if (adjusted) return t("comparison.tf", { what: comparisonName(adjusted[1]) });
  return I18n.label(`comparison.${name}`, name);
}

// A horizontal waterfall: the prior, then each comparison's weight, then the total.
function renderWaterfall(c) {
  const ns = "http://www.w3.org/2000/svg";
  const sum = c.comparisons.reduce((a, x) => a + x.matchWeight, 0);
  const prior = (c.matchWeight ?? sum) - sum;
  const steps = [{ name: t("waterfall.prior"), matchWeight: prior },
    ...c.comparisons.map((x) => ({ ...x, name: comparisonName(x.name) }))];
  let running = 0;
  const bars = steps.map((s) => {
    const from = running;
    running += s.matchWeight;
    return { name: s.name, w: s.matchWeight, from, to: running };
  });
  bars.push({ name: t("waterfall.total"), w: running, from: 0, to: running, total: true });
  const values = bars.flatMap((b) => [b.from, b.to]).concat([0]);
  const lo = Math.min(...values), hi = Math.max(...values);
  const width = 640, label = 130, right = 60, rowH = 22;
  const scale = (v) => label + ((v - lo) / ((hi - lo) || 1)) * (width - label - right);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${bars.length * rowH + 10}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("waterfall.label"));
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
    value.textContent = I18n.number(b.w, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    svg.append(rect, name, value);
  });
  $("waterfall").replaceChildren(svg);
}

function renderCandidate() {
  const c = state.current;
  $("candidate-id").textContent = c ? c.id : "—";
  $("probability").textContent = c ? t("probability", {
    p: I18n.number(c.matchProbability ?? 0, { minimumFractionDigits: 3, maximumFractionDigits: 3 }),
  }) : "";
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

function select(c) {
  if (state.current?.id !== c?.id) $("clusters").replaceChildren();  // no checks carried over
  state.current = c;
  renderCandidate();
}

function next() {
  const open = state.queue.filter((c) => !state.skipped.has(c.id));
  select(open[0] || null);
  if (!open.length) status(state.queue.length ? "status.onlySkipped" : "status.empty");
}

// Move through the queue in its order (j / k, arrows), skipped ones included.
function move(step) {
  if (!state.queue.length) return;
  const at = state.queue.findIndex((c) => c.id === state.current?.id);
  const to = Math.min(state.queue.length - 1, Math.max(0, at + step));
  select(state.queue[to]);
}

// Loads overlap (the page's first load, the reload after a decision): only the answer of the
// latest call of each kind is shown, never an older one that arrived late.
const calls = {};
async function latest(kind, work) {
  const call = (calls[kind] = (calls[kind] || 0) + 1);
  const value = await work();
  return call === calls[kind] ? value : null;
}

async function loadQueue() {
  const data = await latest("queue", () => graphql(QUEUE, { entity: $("entity").value }));
  if (!data) return;
  state.queue = data.reviewQueue.edges.map((e) => e.node);
  state.left = data.reviewQueue.totalCount;
  renderProgress();
  next();
}

function startOfToday() {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

// How many decisions you recorded since local midnight (the history is newest first).
async function loadDoneToday() {
  const count = await latest("today", async () => {
    const since = startOfToday();
    let found = 0;
    let after = null;
    for (;;) {
      const page = (await graphql(TODAY, { after })).decisions;
      const today = page.edges.filter((e) => new Date(e.node.decidedAt) >= since);
      found += today.length;
      if (today.length < page.edges.length || !page.pageInfo.hasNextPage) return found;
      after = page.pageInfo.endCursor;
    }
  });
  if (count === null) return;
  state.doneToday = count;
  renderProgress();
}

async function loadHistory() {
  const data = await latest("history", () => graphql(HISTORY));
  if (!data) return;
  state.history = data.decisions.edges.map((e) => e.node);
  renderHistory();
}

function renderHistory() {
  const list = $("history");
  list.replaceChildren();
  // newest first: the first candidate decision on a subject is the one the server honours
  const seen = new Set();
  for (const node of state.history) {
    const kind = node.kind === "candidate" ? node.pairs[0]?.decision : node.kind;
    // a merge's subject is "keep+merge": the merged-away ID goes into the kept one
    const subject = node.kind === "merge" ? node.subject.replace("+", " ← ") : node.subject;
    const item = el("li", { "data-id": node.id, "data-kind": node.kind });
    item.append(el("span", { class: kind, "data-decision": kind }, decisionName(kind)),
      document.createTextNode(` ${subject} · `),
      el("time", { datetime: node.decidedAt }, I18n.dateTime(node.decidedAt)),
      document.createTextNode(` · ${node.reason}`));
    if (node.kind === "candidate" && OPPOSITE[kind]) {
      item.dataset.subject = node.subject;
      item.append(" ", seen.has(node.subject)
        ? el("span", { class: "superseded", title: t("superseded.title") }, t("superseded"))
        : reverseButton(node.subject, kind));
      seen.add(node.subject);
    }
    list.append(item);
  }
}

function reverseButton(subject, decision) {
  const opposite = decisionName(OPPOSITE[decision]);
  const button = el("button", {
    type: "button", class: "reverse", "data-reverses": decision,
    "aria-label": t("reverse.label", { decision: decisionName(decision), subject }),
    title: t("reverse.title", { subject, opposite }),
  }, t("reverse"));
  button.addEventListener("click", () => reverse(subject, decision));
  return button;
}

async function refresh() {
  await Promise.all([loadQueue(), loadHistory(), loadDoneToday()]);
}

async function load() {
  sessionStorage.setItem("huitong.token", token());
  status("status.loading");
  try {
    await refresh();
    // unless a decision was made meanwhile, whose message stands
    if (state.current && state.status?.key === "status.loading") status("status.ready");
  } catch (error) {
    statusError(error.message);
  }
}

function reason() {
  const text = $("reason").value.trim();
  if (!text) status("status.reasonNeeded", {}, true);
  return text;
}

// Run a mutation answering a DecisionResult; reload the queue, history and counts when
// recorded. Resolves to the decision ({id, kind}) or null when nothing was recorded.
async function record(what, query, variables, field) {
  state.busy = true;
  status("status.recording", { what });
  try {
    const result = (await graphql(query, variables))[field];
    if (result.__typename !== "StewardDecision") {
      if (result.message) statusError(result.message);
      else status("status.notRecorded", { what, type: result.__typename }, true);
      return null;
    }
    $("clusters").replaceChildren();  // the entities change: no checks carried over
    await refresh();
    return result;
  } catch (error) {
    statusError(error.message);
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
  const done = await record(decisionName(decision), DECIDE, variables, "decideCandidate");
  if (done) {
    status("status.decided", { decision: decisionName(decision), id: c.id, decisionId: done.id });
  }
}

// Reverse a candidate decision: decide the same candidate again with the opposite answer
// (the server honours the later of two contradicting decisions).
async function reverse(subject, decision) {
  if (state.busy) return;
  const why = reason();
  if (!why) return;
  const opposite = OPPOSITE[decision];
  const variables = { id: subject, decision: opposite, reason: why };
  const done = await record(t("reverse"), DECIDE, variables, "decideCandidate");
  if (done) status("status.reversed", { decision: decisionName(opposite), decisionId: done.id });
}

async function split() {
  const c = state.current;
  if (!c || state.busy) return;
  const checked = [...$("clusters").querySelectorAll("input[type=checkbox]:checked")];
  const entities = [...new Set(checked.map((box) => box.dataset.entity))];
  if (!checked.length) {
    status("status.checkFirst", {}, true);
    return;
  }
  if (entities.length > 1) {
    status("status.oneEntity", {}, true);
    return;
  }
  const cluster = [c.leftCluster, c.rightCluster].find((x) => x && x.id === entities[0]);
  if (checked.length >= cluster.size) {
    status("status.keepOne", { id: cluster.id }, true);
    return;
  }
  const why = reason();
  if (!why) return;
  const records = checked.map((box) => box.value);
  const variables = { id: cluster.id, records, reason: why };
  const done = await record(decisionName("split"), SPLIT, variables, "splitEntity");
  if (done) status("status.splitRecorded", { decisionId: done.id });
}

async function merge() {
  const c = state.current;
  if (!c || state.busy) return;
  const ids = [c.leftCluster?.id, c.rightCluster?.id];
  if (!ids[0] || !ids[1] || ids[0] === ids[1]) {
    status("status.mergeNeedsTwo", {}, true);
    return;
  }
  const keep = $("keep").value || ids[0];
  const other = ids.find((id) => id !== keep);
  const why = reason();
  if (!why) return;
  const variables = { keep, merge: other, reason: why };
  const done = await record(decisionName("merge"), MERGE, variables, "mergeEntities");
  if (done) status("status.mergeRecorded", { decisionId: done.id });
}

function skip() {
  if (!state.current) return;
  state.skipped.add(state.current.id);
  next();
}

const KEYS = {
  m: () => decide("MATCH"),
  n: () => decide("NOT_A_MATCH"),
  s: skip,
  j: () => move(1),
  ArrowDown: () => move(1),
  k: () => move(-1),
  ArrowUp: () => move(-1),
  r: () => { $("reason").focus(); $("reason").select(); },
};

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.matches("input, select, textarea")) {
    if (event.key === "Escape" || (event.key === "Enter" && event.target.id === "reason")) {
      event.target.blur();  // back to the keys
    }
    return;
  }
  const action = KEYS[event.key];
  if (!action) return;
  event.preventDefault();
  action();
}

function rerender() {
  renderStatus();
  renderProgress();
  renderCandidate();
  renderHistory();
}

function init() {
  I18n.init(MESSAGES);
  const defaults = new Set([MESSAGES["zh-CN"]["reason.default"], MESSAGES.en["reason.default"]]);
  $("reason").value = t("reason.default");
  I18n.onChange(() => {
    if (defaults.has($("reason").value)) $("reason").value = t("reason.default");
    rerender();
  });
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("huitong.token", fromHash);
    history.replaceState(null, "", location.pathname);
  }
  $("token").value = sessionStorage.getItem("huitong.token") || "";
  $("load").addEventListener("click", () => { $("load").blur(); load(); });
  $("entity").addEventListener("change", () => {
    $("entity").blur();
    state.skipped.clear();
    load();
  });
  $("match").addEventListener("click", () => decide("MATCH"));
  $("not-match").addEventListener("click", () => decide("NOT_A_MATCH"));
  $("skip").addEventListener("click", skip);
  $("split").addEventListener("click", split);
  $("merge").addEventListener("click", merge);
  document.addEventListener("keydown", onKey);
  if (token()) load();
}

init();
