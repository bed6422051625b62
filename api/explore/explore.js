// The /explore page: search → pick → expand by clicking → inspect → find paths.
"use strict";

const COLORS = {
  Person: "#2f7ed8", Enterprise: "#e4a11b", RentalUnit: "#3aa655",
  AddressPoint: "#8a5cc2", Event: "#d9534f",
};
const SHAPES = {
  Person: "ellipse", Enterprise: "round-rectangle", RentalUnit: "diamond",
  AddressPoint: "triangle", Event: "star",
};
const $ = (id) => document.getElementById(id);
const expanded = new Set();
const path = { from: null, to: null };

const tokenInput = $("token");
const hashToken = new URLSearchParams(location.hash.slice(1)).get("token");
tokenInput.value = hashToken || sessionStorage.getItem("huitong-token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("huitong-token", tokenInput.value));

const cy = cytoscape({
  container: $("graph"),
  style: [
    { selector: "node", style: {
      label: "data(label)", "font-size": 9, "text-wrap": "ellipsis", "text-max-width": 90,
      "background-color": (n) => COLORS[n.data("kind")] || "#999",
      shape: (n) => SHAPES[n.data("kind")] || "ellipse", width: 22, height: 22 } },
    { selector: "node.expanded", style: { "border-width": 3, "border-color": "#222" } },
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#f0f" } },
    { selector: "edge", style: {
      width: 1.5, "curve-style": "bezier", "target-arrow-shape": "triangle",
      label: "data(type)", "font-size": 7, color: "#555", "line-color": "#bbb",
      "target-arrow-color": "#bbb" } },
    { selector: ".path", style: { "line-color": "#f0f", "target-arrow-color": "#f0f", width: 4 } },
  ],
});
window.explorer = cy;  // for the browser test and the console

function status(text) { $("status").textContent = text || ""; }

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

function addGraph(nodes, edges) {
  const added = [];
  for (const n of nodes) {
    if (cy.getElementById(n.id).empty()) {
      added.push(cy.add({ group: "nodes", data: { id: n.id, kind: n.kind, label: n.label,
                                                    properties: n.properties } }));
    }
  }
  for (const e of edges) {
    const id = `${e.source}>${e.type}>${e.target}`;
    if (cy.getElementById(id).empty() && !cy.getElementById(e.source).empty()
        && !cy.getElementById(e.target).empty()) {
      added.push(cy.add({ group: "edges", data: { id, ...e } }));
    }
  }
  if (added.length) cy.layout({ name: "cose", animate: false, randomize: false }).run();
  return added.length;
}

async function expand(id) {
  status("expanding…");
  try {
    const data = await gql(
      `query($id: ID!) { neighborhood(id: $id, depth: 1, first: 60) {
         truncated nodes { ${NODE} } edges { ${EDGE} } } }`, { id });
    const hood = data.neighborhood;
    addGraph(hood.nodes, hood.edges);
    expanded.add(id);
    cy.getElementById(id).addClass("expanded");
    status(hood.truncated ? "more neighbours exist than are shown (capped)" : "");
  } catch (error) { status(error.message); }
}

function row(key, value) {
  const tr = document.createElement("tr");
  for (const text of [key, typeof value === "object" ? JSON.stringify(value) : String(value)]) {
    const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
  }
  return tr;
}

async function inspect(node) {
  const panel = $("panel");
  panel.replaceChildren();
  const title = document.createElement("h3");
  title.textContent = `${node.data("label")} (${node.data("kind")})`;
  panel.appendChild(title);
  for (const [label, slot] of [["Path from here", "from"], ["Path to here", "to"]]) {
    const button = document.createElement("button");
    button.textContent = label;
    button.addEventListener("click", () => {
      path[slot] = node.id(); $(`path-${slot}`).textContent = node.data("label");
    });
    panel.appendChild(button);
  }
  const table = document.createElement("table");
  table.id = "attributes";
  for (const [key, value] of Object.entries(node.data("properties") || {})) {
    table.appendChild(row(key, value));
  }
  panel.appendChild(table);
  if (!["Person", "Enterprise", "RentalUnit"].includes(node.data("kind"))) return;
  const lineage = document.createElement("h3");
  lineage.textContent = "Lineage and timeline";
  panel.appendChild(lineage);
  const list = document.createElement("table");
  list.id = "lineage";
  panel.appendChild(list);
  try {
    const data = await gql(`query($id: ID!) { timeline(id: $id) { entries {
        kind date type department source recordId role } } }`, { id: node.id() });
    for (const e of data.timeline.entries) {
      list.appendChild(row(e.date || "—",
        `${e.kind === "EVENT" ? e.type : "record"} · ${e.department || ""} · ${e.source}/${e.recordId}`
        + (e.role ? ` (${e.role})` : "")));
    }
  } catch (error) { status(error.message); }
}

async function pick(entity) {
  if (cy.getElementById(entity.id).empty()) {
    cy.add({ group: "nodes", data: { id: entity.id, kind: entity.kind, label: entity.label,
                                      properties: entity.properties } });
  }
  const node = cy.getElementById(entity.id);
  cy.$(":selected").unselect(); node.select();
  await inspect(node);
  await expand(entity.id);
  cy.center(node);
}

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("search").value.trim();
  const results = $("results");
  results.replaceChildren();
  if (!name) return;
  status("searching…");
  try {
    const data = await gql(`query($name: String!) {
        searchPeople(name: $name, first: 10) { edges { node { id name address } } }
        searchEnterprises(name: $name, first: 10) { edges { node { id name address } } } }`,
      { name });
    const found = [
      ...data.searchPeople.edges.map((e) => ({ ...e.node, kind: "Person" })),
      ...data.searchEnterprises.edges.map((e) => ({ ...e.node, kind: "Enterprise" })),
    ];
    for (const entity of found) {
      const li = document.createElement("li");
      li.dataset.id = entity.id;
      li.innerHTML = "";
      li.append(`${entity.name} `);
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = `${entity.kind} ${entity.id} ${entity.address || ""}`;
      li.appendChild(kind);
      li.addEventListener("click", () => pick({
        id: entity.id, kind: entity.kind, label: entity.name, properties: entity }));
      results.appendChild(li);
    }
    status(found.length ? "" : "nothing found");
  } catch (error) { status(error.message); }
});

cy.on("tap", "node", async (event) => {
  const node = event.target;
  await inspect(node);
  if (!expanded.has(node.id())) await expand(node.id());
});

$("find-path").addEventListener("click", async () => {
  const list = $("paths");
  list.replaceChildren();
  if (!path.from || !path.to) { status("choose both ends of the path in the side panel"); return; }
  status("finding paths…");
  try {
    const data = await gql(`query($a: ID!, $b: ID!) { connections(fromId: $a, toId: $b) {
        truncated paths { length nodes { node { ${NODE} } lineage } steps { ${EDGE} } } } }`,
      { a: path.from, b: path.to });
    cy.elements().removeClass("path");
    for (const p of data.connections.paths) {
      addGraph(p.nodes.map((n) => n.node), p.steps);
      const li = document.createElement("li");
      li.textContent = p.nodes.map((n) => n.node.label).join(" → ")
        + "  [" + p.steps.map((s) => `${s.type}: ${s.sources.join(", ") || "—"}`).join("; ") + "]";
      list.appendChild(li);
      for (const s of p.steps) cy.getElementById(`${s.source}>${s.type}>${s.target}`).addClass("path");
    }
    status(data.connections.paths.length ? "" : "no path within 4 hops");
  } catch (error) { status(error.message); }
});
