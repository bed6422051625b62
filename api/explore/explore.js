// The /explore page: search (name, ID number, phone, address, USCC) → pick → expand by
// clicking → inspect (attributes, source records, timeline) → find paths → export as PNG.
// The address is a link to the view: #id=… opens an entity, #from=…&to=… the paths between two.
// Chinese by default, English by the switch.
"use strict";

const MESSAGES = {
  "zh-CN": {
    "page.title": "汇通 · 关系探查",
    "page.heading": "汇通 关系探查",
    "language.switch": "切换语言",
    "token.label": "令牌",
    "token.placeholder": "粘贴调查人员（investigator）令牌",
    "export.png": "导出 PNG",
    "export.title": "把当前图保存为 PNG 图片",
    "export.done": "已导出 {file}",
    "search.placeholder": "姓名、企业名称、身份证号、电话或地址",
    "search.kindLabel": "按什么搜索",
    "search.auto": "自动识别",
    "search.name": "姓名 / 名称",
    "search.idNumber": "身份证号",
    "search.phone": "电话",
    "search.address": "地址",
    "search.uscc": "统一社会信用代码",
    "search.button": "搜索",
    "search.as": "按{kind}搜索",
    "search.none": "没有找到",
    "search.searching": "搜索中…",
    "search.points": "{count} 个地址点",
    "search.problem": "地址无法识别：{problem}",
    "search.registered": "登记人员 {count}",
    "search.enterprises": "登记企业 {count}",
    "search.units": "出租屋 {count}",
    "paths.heading": "路径查找",
    "paths.from": "起点",
    "paths.to": "终点",
    "paths.find": "查找路径",
    "paths.chooseEnds": "请先在右侧面板选定路径的起点和终点",
    "paths.finding": "正在查找路径…",
    "paths.none": "4 步之内没有路径",
    "graph.empty": "搜索并选择一个实体，或打开一个链接（/explore/#id=…）。",
    "panel.hint": "搜索并选择一个实体，然后点击节点展开其关联。",
    "panel.pathFrom": "设为路径起点",
    "panel.pathTo": "设为路径终点",
    "panel.link": "本实体的链接",
    "panel.attributes": "属性",
    "panel.records": "来源记录（{count} 条）",
    "panel.recordsShown": "显示前 {shown} 条，共 {count} 条",
    "panel.timeline": "时间线",
    "records.department": "部门",
    "records.record": "来源 / 记录号 · 角色",
    "records.content": "原始内容",
    "timeline.record": "登记",
    "status.opening": "正在打开 {id}…",
    "status.expanding": "正在展开…",
    "status.truncated": "关联超过上限，只显示一部分",
    "kind.Person": "自然人",
    "kind.Enterprise": "法人",
    "kind.RentalUnit": "出租屋",
    "kind.AddressPoint": "地址点",
    "kind.Event": "事件",
    "event.Violation": "违法",
    "event.Complaint": "投诉",
    "event.Birth": "出生",
    "event.Death": "死亡",
    "event.Marriage": "结婚",
    "event.MoveIn": "迁入",
    "event.MoveOut": "迁出",
    "event.Vaccination": "接种",
    "rel.RENTS": "租住",
    "rel.OWNS": "拥有",
    "rel.LEGAL_REPRESENTATIVE_OF": "法定代表人",
    "rel.EMPLOYED_BY": "受雇于",
    "rel.SPOUSE_OF": "配偶",
    "rel.PARENT_OF": "父母",
    "rel.REGISTERED_AT": "登记于",
    "rel.AT": "位于",
    "rel.INVOLVES": "涉及",
    "prop.name": "姓名 / 名称",
    "prop.id_number": "身份证号",
    "prop.birth_date": "出生日期",
    "prop.gender": "性别",
    "prop.phone": "电话",
    "prop.address": "地址",
    "prop.uscc": "统一社会信用代码",
    "prop.district": "区",
    "prop.street": "街道",
    "prop.community": "社区",
    "prop.text": "地址",
    "prop.road": "路",
    "prop.number": "门牌号",
    "prop.sub_number": "之号",
    "prop.type": "类型",
    "prop.date": "日期",
    "prop.department": "部门",
    "prop.place": "地点",
    "prop.sources": "来源",
    "prop.mention_count": "记录数",
    "prop.provenance": "取值来源",
  },
  en: {
    "page.title": "Huitong · explorer",
    "page.heading": "Huitong explorer",
    "language.switch": "Switch language",
    "token.label": "Token",
    "token.placeholder": "Bearer token (investigator or admin)",
    "export.png": "Export PNG",
    "export.title": "save the graph as a PNG picture",
    "export.done": "exported {file}",
    "search.placeholder": "name, enterprise, ID number, phone or address",
    "search.kindLabel": "search by",
    "search.auto": "detect",
    "search.name": "name",
    "search.idNumber": "ID number",
    "search.phone": "phone",
    "search.address": "address",
    "search.uscc": "USCC",
    "search.button": "Search",
    "search.as": "searched by {kind}",
    "search.none": "nothing found",
    "search.searching": "searching…",
    "search.points": "{count} address points",
    "search.problem": "address not read: {problem}",
    "search.registered": "{count} registered",
    "search.enterprises": "{count} enterprises",
    "search.units": "{count} rental units",
    "paths.heading": "Path finder",
    "paths.from": "From",
    "paths.to": "To",
    "paths.find": "Find paths",
    "paths.chooseEnds": "choose both ends of the path in the side panel",
    "paths.finding": "finding paths…",
    "paths.none": "no path within 4 hops",
    "graph.empty": "Search and pick an entity, or open a link (/explore/#id=…).",
    "panel.hint": "Search, pick an entity, then click nodes to expand their neighbours.",
    "panel.pathFrom": "Path from here",
    "panel.pathTo": "Path to here",
    "panel.link": "link to this entity",
    "panel.attributes": "Attributes",
    "panel.records": "Source records ({count})",
    "panel.recordsShown": "first {shown} of {count} shown",
    "panel.timeline": "Timeline",
    "records.department": "department",
    "records.record": "source / record · role",
    "records.content": "as written",
    "timeline.record": "record",
    "status.opening": "opening {id}…",
    "status.expanding": "expanding…",
    "status.truncated": "more neighbours exist than are shown (capped)",
    "kind.RentalUnit": "Rental unit",
    "kind.AddressPoint": "Address point",
  },
};

const COLORS = {
  Person: "#2f7ed8", Enterprise: "#e4a11b", RentalUnit: "#3aa655",
  AddressPoint: "#8a5cc2", Event: "#d9534f",
};
const SHAPES = {
  Person: "ellipse", Enterprise: "round-rectangle", RentalUnit: "diamond",
  AddressPoint: "triangle", Event: "star",
};
const GOLDEN = { Person: "person", Enterprise: "enterprise", RentalUnit: "rentalUnit" };
const FONT = 'system-ui, "Noto Sans CJK SC", sans-serif';
const $ = (id) => document.getElementById(id);
const { t } = I18n;
const expanded = new Set();
const path = { from: null, to: null };
const link = { id: null, from: null, to: null };  // what the address bar opens
let statusState = null;

I18n.init(MESSAGES);

const tokenInput = $("token");
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) sessionStorage.setItem("huitong.token", fragment.get("token"));
tokenInput.value = sessionStorage.getItem("huitong.token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("huitong.token", tokenInput.value));

const relation = (type) => I18n.label(`rel.${type}`, type);
// An event's caption starts with its type (Violation 2023-05-01): that word in the language.
const caption = (kind, label) => (kind !== "Event" ? label
  : label.replace(/^[A-Z]\w*/, (type) => I18n.label(`event.${type}`, type)));
const kindName = (kind) => I18n.label(`kind.${kind}`, kind);

const cy = cytoscape({
  container: $("graph"),
  style: [
    { selector: "node", style: {
      label: "data(label)", "font-size": 9, "font-family": FONT, "text-wrap": "ellipsis",
      "text-max-width": 90, "background-color": (n) => COLORS[n.data("kind")] || "#999",
      shape: (n) => SHAPES[n.data("kind")] || "ellipse", width: 22, height: 22 } },
    { selector: "node.expanded", style: { "border-width": 3, "border-color": "#222" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#f0f" } },
    { selector: "edge", style: {
      width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
      label: "data(label)", "font-size": 7, "font-family": FONT, color: "#555",
      "line-color": "#bbb", "target-arrow-color": "#bbb" } },
    { selector: ".path", style: { "line-color": "#f0f", "target-arrow-color": "#f0f", width: 4 } },
  ],
});
window.explorer = cy;  // for the browser test and the console

// The status line: a message key (data-key, for scripts) or a server's error text.
function status(key, params = {}) {
  statusState = key ? { key, params } : null;
  renderStatus();
}

function statusError(text) {
  statusState = { text };
  renderStatus();
}

function renderStatus() {
  $("status").textContent = statusState ? (statusState.text ?? t(statusState.key, statusState.params)) : "";
  $("status").dataset.key = statusState?.key ?? (statusState?.text ? "error" : "");
}

async function gql(query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokenInput.value}` },
    body: JSON.stringify({ query, variables }),
  });
  const payload = await response.json();
  if (payload.errors && payload.errors.length) throw new Error(payload.errors[0].message);
  return payload.data;
}

const NODE = "id kind label properties";
const EDGE = "source target type role sources";

// Write what the view shows into the address bar (#id=…, #from=…&to=…), never the token.
function writeLink() {
  const params = new URLSearchParams();
  for (const key of ["id", "from", "to"]) if (link[key]) params.set(key, link[key]);
  const hash = params.toString();
  history.replaceState(null, "", location.pathname + location.search + (hash ? `#${hash}` : ""));
}

function graphChanged() {
  $("graph-empty").hidden = cy.nodes().length > 0;
  $("export-png").disabled = cy.nodes().length === 0;
}

function addGraph(nodes, edges) {
  const added = [];
  for (const n of nodes) {
    if (cy.getElementById(n.id).empty()) {
      added.push(cy.add({ group: "nodes", data: { id: n.id, kind: n.kind, caption: n.label,
        label: caption(n.kind, n.label), properties: n.properties } }));
    }
  }
  for (const e of edges) {
    const id = `${e.source}>${e.type}>${e.target}`;
    if (cy.getElementById(id).empty() && !cy.getElementById(e.source).empty()
        && !cy.getElementById(e.target).empty()) {
      added.push(cy.add({ group: "edges", data: { id, ...e, label: relation(e.type) } }));
    }
  }
  if (added.length) cy.layout({ name: "cose", animate: false, randomize: false }).run();
  graphChanged();
  return added.length;
}

async function expand(id) {
  status("status.expanding");
  try {
    const data = await gql(
      `query($id: ID!) { neighborhood(id: $id, depth: 1, first: 60) {
         truncated center { ${NODE} } nodes { ${NODE} } edges { ${EDGE} } } }`, { id });
    const hood = data.neighborhood;
    addGraph([hood.center, ...hood.nodes], hood.edges);
    expanded.add(id);
    cy.getElementById(id).addClass("expanded");
    status(hood.truncated ? "status.truncated" : null);
    return true;
  } catch (error) {
    statusError(error.message);
    return false;
  }
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== "") node.textContent = text;
  return node;
}

function row(cells, attrs = {}) {
  const tr = el("tr", attrs);
  for (const cell of cells) {
    const text = cell !== null && typeof cell === "object" ? JSON.stringify(cell) : String(cell ?? "—");
    tr.append(el("td", {}, text));
  }
  return tr;
}

function choosePathEnd(slot, node) {
  path[slot] = node.id();
  $(`path-${slot}`).textContent = node.data("label");
  $(`path-${slot}`).dataset.id = node.id();
}

let inspected = null;

async function inspect(node) {
  inspected = node;
  const panel = $("panel");
  panel.replaceChildren();
  panel.dataset.id = node.id();
  panel.append(el("h3", { id: "panel-title" }, `${node.data("label")}（${kindName(node.data("kind"))}）`));
  const actions = el("div", { class: "actions" });
  for (const slot of ["from", "to"]) {
    const button = el("button", { type: "button", id: `path-${slot}-here` },
      t(slot === "from" ? "panel.pathFrom" : "panel.pathTo"));
    button.addEventListener("click", () => choosePathEnd(slot, node));
    actions.append(button);
  }
  const href = `${location.pathname}#id=${encodeURIComponent(node.id())}`;
  actions.append(el("a", { id: "permalink", href }, t("panel.link")));
  panel.append(actions);
  panel.append(el("h3", {}, t("panel.attributes")));
  const table = el("table", { id: "attributes" });
  table.append(row(["ID", node.id()]));
  for (const [key, value] of Object.entries(node.data("properties") || {})) {
    if (key === "id") continue;
    table.append(row([I18n.label(`prop.${key}`, key), value]));
  }
  panel.append(table);
  const root = GOLDEN[node.data("kind")];
  if (!root) return;
  const records = el("section", { id: "source-records" });
  const timeline = el("section", { id: "timeline-section" });
  panel.append(records, timeline);
  await Promise.all([showRecords(node.id(), root, records), showTimeline(node.id(), timeline)]);
}

const RECORD = `key source recordId role department name nameRaw idNumberRaw phoneRaw
  uscc addressRaw fieldIssues`;

// The department records resolved into a golden entity: lineage, as each department wrote it.
async function showRecords(id, root, section) {
  const type = root === "rentalUnit" ? "RentalUnit" : root[0].toUpperCase() + root.slice(1);
  try {
    const data = await gql(`query($id: ID!) { ${root}(id: $id) { __typename
        ... on ${type} { sourceRecords(first: 50) { totalCount edges { node { ${RECORD} } } } }
        ... on NotFound { message } ... on OutOfJurisdiction { message } } }`, { id });
    const found = data[root];
    if (!found.sourceRecords) {
      statusError(found.message || found.__typename);
      return;
    }
    const { totalCount, edges } = found.sourceRecords;
    section.append(el("h3", {}, t("panel.records", { count: totalCount })));
    const table = el("table", { id: "records", "data-total": totalCount });
    const head = el("tr");
    for (const key of ["records.department", "records.record", "records.content"]) {
      head.append(el("th", {}, t(key)));
    }
    table.append(head);
    for (const { node: r } of edges) {
      const content = [r.nameRaw || r.name, r.idNumberRaw, r.uscc, r.phoneRaw, r.addressRaw]
        .filter((v) => v).join(" · ");
      table.append(row([r.department, `${r.source}/${r.recordId} · ${r.role}`, content],
        { "data-key": r.key }));
    }
    section.append(table);
    if (totalCount > edges.length) {
      section.append(el("p", { class: "kind" },
        t("panel.recordsShown", { shown: edges.length, count: totalCount })));
    }
  } catch (error) {
    statusError(error.message);
  }
}

async function showTimeline(id, section) {
  try {
    const data = await gql(`query($id: ID!) { timeline(id: $id) { entries {
        kind date type department source recordId role } } }`, { id });
    section.append(el("h3", {}, t("panel.timeline")));
    const table = el("table", { id: "timeline" });
    for (const e of data.timeline.entries) {
      const what = e.kind === "EVENT" ? I18n.label(`event.${e.type}`, e.type) : t("timeline.record");
      table.append(row([e.date ? I18n.date(e.date) : "—",
        `${what} · ${e.department || ""} · ${e.source}/${e.recordId}${e.role ? ` (${e.role})` : ""}`]));
    }
    section.append(table);
  } catch (error) {
    statusError(error.message);
  }
}

// Open an entity (a search result, a link): it and its neighbours, inspected and centred.
async function open(id) {
  status("status.opening", { id });
  if (!(await expand(id))) return;
  const node = cy.getElementById(id);
  if (node.empty()) return;
  cy.$(":selected").unselect();
  node.select();
  cy.center(node);
  link.id = id;
  writeLink();
  await inspect(node);
}

// What a search text is: an ID number, a USCC, a phone, an address, or else a name.
function classify(text) {
  const compact = text.replace(/[\s\-()（）]/g, "");
  if (/^(\d{15}|\d{17}[\dXx])$/.test(compact)) return "idNumber";
  if (/^[0-9A-HJ-NPQRTUWXY]{18}$/i.test(compact)) return "uscc";
  if (/^(\+|＋)?\d{7,14}$/.test(compact)) return "phone";
  if (/[0-9０-９一二三四五六七八九十]+号/.test(text) || /[路街巷道弄里坊村]$/.test(text)) return "address";
  return "name";
}

const SEARCHES = {
  name: {
    query: `query($text: String!) {
      searchPeople(name: $text, first: 10) { edges { node { id name address } } }
      searchEnterprises(name: $text, first: 10) { edges { node { id name address } } } }`,
    results: (d) => [...people(d.searchPeople), ...enterprises(d.searchEnterprises)],
  },
  idNumber: {
    query: `query($text: String!) {
      searchPeople(idNumber: $text, first: 10) { edges { node { id name address } } } }`,
    results: (d) => people(d.searchPeople),
  },
  phone: {
    query: `query($text: String!) {
      searchPeople(phone: $text, first: 20) { edges { node { id name address } } } }`,
    results: (d) => people(d.searchPeople),
  },
  uscc: {
    query: `query($text: String!) {
      searchEnterprises(uscc: $text, first: 10) { edges { node { id name address } } } }`,
    results: (d) => enterprises(d.searchEnterprises),
  },
  address: {
    query: `query($text: String!) { address(text: $text, first: 10) {
      parsed { problem } points { totalCount edges { node { key text district street community
        registeredPersons(first: 5) { totalCount edges { node { id name } } }
        registeredEnterprises(first: 5) { totalCount edges { node { id name } } }
        rentalUnits(first: 5) { totalCount edges { node { id address } } } } } } } }`,
    results: (d) => d.address.points.edges.map(({ node: p }) => ({
      id: p.key, kind: "AddressPoint", name: p.text,
      detail: [p.district, p.street, p.community].filter((v) => v).join(" "),
      counts: [t("search.registered", { count: p.registeredPersons.totalCount }),
        t("search.enterprises", { count: p.registeredEnterprises.totalCount }),
        t("search.units", { count: p.rentalUnits.totalCount })].join(" · "),
      children: [
        ...p.registeredPersons.edges.map(({ node: n }) => ({ id: n.id, kind: "Person", name: n.name })),
        ...p.registeredEnterprises.edges.map(({ node: n }) => ({ id: n.id, kind: "Enterprise", name: n.name })),
        ...p.rentalUnits.edges.map(({ node: n }) => ({ id: n.id, kind: "RentalUnit", name: n.address })),
      ],
    })),
    problem: (d) => d.address.parsed.problem,
  },
};

function people(connection) {
  return connection.edges.map(({ node }) => ({ ...node, kind: "Person", detail: node.address }));
}

function enterprises(connection) {
  return connection.edges.map(({ node }) => ({ ...node, kind: "Enterprise", detail: node.address }));
}

function resultItem(entity) {
  const li = el("li", { "data-id": entity.id, "data-kind": entity.kind });
  li.append(`${entity.name || entity.id} `);
  li.append(el("span", { class: "kind" },
    [kindName(entity.kind), entity.id, entity.detail, entity.counts].filter((v) => v).join(" · ")));
  li.addEventListener("click", (event) => {
    event.stopPropagation();
    open(entity.id);
  });
  if (entity.children?.length) {
    const sub = el("ul", { class: "sub" });
    for (const child of entity.children) sub.append(resultItem(child));
    li.append(sub);
  }
  return li;
}

async function search(text, chosen) {
  const results = $("results");
  results.replaceChildren();
  $("search-kind-shown").textContent = "";
  if (!text) return;
  const kind = chosen === "auto" ? classify(text) : chosen;
  $("search-kind-shown").textContent = t("search.as", { kind: t(`search.${kind}`) });
  $("search-kind-shown").dataset.kind = kind;
  status("search.searching");
  try {
    const data = await gql(SEARCHES[kind].query, { text });
    const problem = SEARCHES[kind].problem?.(data);
    const found = SEARCHES[kind].results(data);
    for (const entity of found) results.append(resultItem(entity));
    results.dataset.done = "true";
    if (problem && !found.length) status("search.problem", { problem });
    else status(found.length ? null : "search.none");
  } catch (error) {
    statusError(error.message);
  }
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  $("results").dataset.done = "";
  search($("search").value.trim(), $("search-kind").value);
});

cy.on("tap", "node", async (event) => {
  const node = event.target;
  link.id = node.id();
  writeLink();
  await inspect(node);
  if (!expanded.has(node.id())) await expand(node.id());
});

async function findPaths() {
  const list = $("paths");
  list.replaceChildren();
  if (!path.from || !path.to) {
    status("paths.chooseEnds");
    return;
  }
  status("paths.finding");
  try {
    const data = await gql(`query($a: ID!, $b: ID!) { connections(fromId: $a, toId: $b) {
        truncated paths { length nodes { node { ${NODE} } lineage } steps { ${EDGE} } } } }`,
      { a: path.from, b: path.to });
    cy.elements().removeClass("path");
    for (const p of data.connections.paths) {
      addGraph(p.nodes.map((n) => n.node), p.steps);
      const names = p.nodes.map(({ node: n }) => caption(n.kind, n.label));
      const li = el("li", {}, `${names.join(" → ")}  [${
        p.steps.map((s) => `${relation(s.type)}: ${s.sources.join(", ") || "—"}`).join("; ")}]`);
      li.dataset.types = p.steps.map((s) => s.type).join(" ");
      list.append(li);
      for (const s of p.steps) cy.getElementById(`${s.source}>${s.type}>${s.target}`).addClass("path");
    }
    for (const slot of ["from", "to"]) {
      const end = cy.getElementById(path[slot]);
      if (!end.empty()) choosePathEnd(slot, end);
    }
    Object.assign(link, { from: path.from, to: path.to });
    writeLink();
    list.dataset.done = "true";
    status(data.connections.paths.length ? null : "paths.none");
  } catch (error) {
    statusError(error.message);
  }
}

$("find-path").addEventListener("click", () => {
  $("paths").dataset.done = "";
  findPaths();
});

// The view as a PNG file, the whole graph at twice the screen's resolution on white.
$("export-png").addEventListener("click", () => {
  const blob = cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" });
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");
  const file = `huitong-${link.id || "graph"}-${stamp}.png`.replace(/[^\w.-]/g, "_");
  const a = el("a", { href: URL.createObjectURL(blob), download: file });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  status("export.done", { file });
});

// Open what the address names: #id=… (an entity), #from=…&to=… (the paths between two).
async function openLink() {
  const params = new URLSearchParams(location.hash.slice(1));
  link.id = params.get("id");
  link.from = params.get("from");
  link.to = params.get("to");
  writeLink();  // the token leaves the address bar
  if (!tokenInput.value) return;
  if (link.from && link.to) {
    path.from = link.from;
    path.to = link.to;
    $("path-from").textContent = link.from;
    $("path-to").textContent = link.to;
    await findPaths();
  }
  if (link.id) await open(link.id);
}

I18n.onChange(() => {
  renderStatus();
  cy.edges().forEach((edge) => edge.data("label", relation(edge.data("type"))));
  cy.nodes().forEach((node) => node.data("label", caption(node.data("kind"), node.data("caption"))));
  if (inspected && !inspected.removed()) inspect(inspected);
  const shown = $("search-kind-shown").dataset.kind;
  if (shown && $("search-kind-shown").textContent) {
    $("search-kind-shown").textContent = t("search.as", { kind: t(`search.${shown}`) });
  }
});

window.addEventListener("hashchange", openLink);
graphChanged();
openLink();
