// geokg explorer: the page's own script. It reads the REST API of the server that served it
// (same origin, nothing else) and draws with cytoscape.js and its fCoSE layout, vendored.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  // Read at each use, so a test can lower the cap on a page it opened.
  const nodeCap = () => Number(body.dataset.nodeCap);
  const exportCap = () => Number(body.dataset.exportCap);

  const ENTITY_COLOURS = {
    state: "#1f77b4", person: "#d62728", group: "#9467bd", organisation: "#8c564b",
    international_organisation: "#17becf", government_body: "#2ca02c", company: "#bcbd22",
    media_outlet: "#7f7f7f", place: "#ff7f0e", military_force: "#393b79",
  };
  // Events are coloured by CAMEO QuadClass, as event datasets draw them.
  const QUAD_CLASSES = {
    1: ["#74c476", "verbal cooperation"], 2: ["#238b45", "material cooperation"],
    3: ["#fd8d3c", "verbal conflict"], 4: ["#d94801", "material conflict"],
  };
  const NO_CODE = "#c9ced6";
  const SOURCE_COLOUR = "#f2f2f2";

  const view = { nodes: new Map(), edges: new Map(), root: null, selected: null };
  let cy = null;

  // -- small helpers ------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }

  async function api(path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== "" && value !== null && value !== undefined) query.set(key, value);
    }
    const url = query.toString() ? `${path}?${query}` : path;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const answer = await response.json();
    if (!response.ok) {
      const candidates = answer.candidates ? ` (one of: ${answer.candidates.join(", ")})` : "";
      throw new Error(`${answer.title || response.status}: ${answer.detail || ""}${candidates}`);
    }
    return answer;
  }

  function say(id, text, isError) {
    const node = $(id);
    node.textContent = text;
    node.classList.toggle("alert", Boolean(isError));
  }

  function short(text, size) {
    return text.length > size ? `${text.slice(0, size - 1)}…` : text;
  }

  function colourOf(node) {
    if (node.node_type === "entity") return ENTITY_COLOURS[node.kind] || "#999";
    if (node.node_type === "event") return node.cameo ? QUAD_CLASSES[node.cameo.quad_class][0] : NO_CODE;
    return SOURCE_COLOUR;
  }

  function sourceLink(evidence) {
    const query = new URLSearchParams({ start: evidence.start, end: evidence.end });
    return `/explore/sources/${encodeURIComponent(evidence.source)}?${query}#quote`;
  }

  function evidenceList(items) {
    if (!items || items.length === 0) return [el("p", { class: "note", text: "No quote." })];
    return items.flatMap((ev) => [
      el("blockquote", { class: "quote", text: ev.quote }),
      el("p", { class: "cite" }, `${ev.source}, characters ${ev.start}–${ev.end} · `,
        el("a", { href: sourceLink(ev), target: "_blank", rel: "noopener", class: "source-link" },
          "open in source")),
    ]);
  }

  function fields(rows) {
    const list = el("dl");
    for (const [name, value] of rows) {
      if (value === null || value === undefined || value === "" ||
          (Array.isArray(value) && value.length === 0)) continue;
      list.append(el("dt", { text: name }), el("dd", {}, value));
    }
    return list;
  }

  // -- the graph ----------------------------------------------------------------------------

  function makeGraph() {
    cy = cytoscape({
      container: $("graph"),
      minZoom: 0.05,
      maxZoom: 4,
      hideEdgesOnViewport: true,
      textureOnViewport: true,
      style: [
        { selector: "node", style: {
          "background-color": "data(colour)", label: "data(short)", "font-size": 10,
          "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis",
          "text-max-width": 140, "min-zoomed-font-size": 6, width: 22, height: 22,
          "border-width": 1, "border-color": "#1d2430",
        } },
        { selector: "node[ntype = 'event']", style: { shape: "diamond", width: 20, height: 20 } },
        { selector: "node[ntype = 'source']", style: { shape: "rectangle" } },
        { selector: "edge", style: {
          width: 1.2, "line-color": "#9aa3ae", "target-arrow-color": "#9aa3ae",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.7,
          label: "data(type)", "font-size": 8, color: "#5b6472", "text-rotation": "autorotate",
          "min-zoomed-font-size": 7,
        } },
        { selector: ".root", style: { "border-width": 3, "border-color": "#0b5cad" } },
        { selector: "edge.on-path", style: {
          "line-color": "#e8590c", "target-arrow-color": "#e8590c", width: 3,
        } },
        { selector: "node.on-path", style: { "border-color": "#e8590c", "border-width": 3 } },
        { selector: ":selected", style: { "overlay-color": "#e8590c", "overlay-opacity": 0.25 } },
        { selector: ".filtered", style: { display: "none" } },
      ],
    });
    cy.on("tap", "node", (event) => {
      const id = event.target.id();
      if (view.selected === id) expand(id);
      else select(id);
    });
    cy.on("dbltap", "node", (event) => expand(event.target.id()));
    cy.on("tap", "edge", (event) => selectEdge(event.target.id()));
  }

  function nodeData(node) {
    return {
      id: node.id, short: short(node.label, 30), colour: colourOf(node), ntype: node.node_type,
    };
  }

  function clearView() {
    view.nodes.clear();
    view.edges.clear();
    view.selected = null;
    cy.elements().remove();
  }

  // Adds nodes and edges to the view, at most nodeCap() nodes in all; lays out the new ones
  // around `near` (the node expanded), keeping the others where they are.
  function merge(subgraph, near) {
    const added = [];
    let refused = 0;
    for (const node of subgraph.nodes) {
      if (view.nodes.has(node.id)) {
        view.nodes.set(node.id, node);
        continue;
      }
      if (view.nodes.size >= nodeCap()) {
        refused += 1;
        continue;
      }
      view.nodes.set(node.id, node);
      added.push({ group: "nodes", data: nodeData(node) });
    }
    for (const edge of subgraph.edges) {
      if (view.edges.has(edge.id) || !view.nodes.has(edge.source) || !view.nodes.has(edge.target)) {
        continue;
      }
      view.edges.set(edge.id, edge);
      added.push({ group: "edges", data: {
        id: edge.id, source: edge.source, target: edge.target, type: edge.type,
      } });
    }
    layout(cy.add(added).nodes(), near);
    applyFilters();
    showNodeList();
    updateExport();
    status(refused, subgraph.truncated);
  }

  // fcose is force-directed: each of its steps pushes every node away from those near it, and
  // a neighbourhood is a star whose events crowd round their hub, so its cost grows far faster
  // than the nodes (fcose alone, in headless Chromium on two shared cores: 0.6 s at 300 nodes,
  // 1.5 s at 500, 7.5 s at 1,000, 157 s at 3,000; see the README). Past FORCE_LAYOUT_MAX nodes
  // the nodes on screen stay where they are and only the new ones are placed, in linear time.
  const FORCE_LAYOUT_MAX = 300;
  const SPACING = 45; // px per placed node: a node and room for its label
  const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));

  // Each finished layout bumps body[data-layouts] and dispatches "geokg:layoutstop" with its
  // duration, so bench/explorer.py (or a test) can wait for it instead of guessing.
  function layoutDone(started) {
    body.dataset.layouts = String(Number(body.dataset.layouts || 0) + 1);
    window.dispatchEvent(new CustomEvent("geokg:layoutstop", { detail: {
      nodes: cy.nodes().length, edges: cy.edges().length, ms: performance.now() - started,
    } }));
  }

  // Lays out the view after `fresh` nodes were added (from `near`, the node expanded, if any).
  function layout(fresh, near) {
    if (cy.nodes().empty()) return;
    const started = performance.now();
    const all = cy.nodes().length;
    if (all <= FORCE_LAYOUT_MAX) {
      // fcose moves the new nodes on from a ring round the node they came from.
      const from = near ? cy.getElementById(near) : cy.collection();
      const centre = from.nonempty() ? from.position() : { x: 0, y: 0 };
      const count = Math.max(1, fresh.length);
      fresh.forEach((node, i) => {
        const angle = (2 * Math.PI * i) / count;
        node.position({ x: centre.x + 60 * Math.cos(angle), y: centre.y + 60 * Math.sin(angle) });
      });
      cy.layout({
        name: "fcose", animate: false, randomize: fresh.length === all, fit: true,
        padding: 30, quality: "default", nodeDimensionsIncludeLabels: true, idealEdgeLength: 90,
        nodeRepulsion: 6000,
      }).run(); // without animation, run() returns when the layout is done
    } else if (fresh.nonempty()) {
      place(fresh, near);
      cy.fit(undefined, 30);
    }
    layoutDone(started);
  }

  // Places new nodes evenly on a disc (a sunflower spiral), without moving any other: around
  // the root when the view was empty, else just outside the drawing, on the side of `near`, so
  // they cover nothing already on screen and the edges from `near` lead to them.
  function place(fresh, near) {
    const old = cy.nodes().not(fresh);
    const anchor = near ? cy.getElementById(near) : cy.collection();
    const order = fresh.sort((a, b) => Number(b.id() === view.root) - Number(a.id() === view.root));
    const radius = SPACING * Math.sqrt(order.length / Math.PI);
    let centre = { x: 0, y: 0 };
    if (old.nonempty()) {
      const box = old.boundingBox({ includeLabels: false });
      const mid = { x: (box.x1 + box.x2) / 2, y: (box.y1 + box.y2) / 2 };
      const from = anchor.nonempty() && !fresh.contains(anchor) ? anchor.position() : mid;
      let dx = from.x - mid.x;
      let dy = from.y - mid.y;
      const length = Math.hypot(dx, dy);
      [dx, dy] = length < 1 ? [1, 0] : [dx / length, dy / length];
      // Along the ray from the middle through `near`, to the edge of the box and beyond it.
      const edge = Math.min(dx ? box.w / 2 / Math.abs(dx) : Infinity,
        dy ? box.h / 2 / Math.abs(dy) : Infinity);
      const away = edge + radius + SPACING;
      centre = { x: mid.x + dx * away, y: mid.y + dy * away };
    }
    cy.batch(() => order.forEach((node, i) => {
      const r = SPACING * Math.sqrt((i + 0.5) / Math.PI);
      node.position({
        x: centre.x + r * Math.cos(i * GOLDEN_ANGLE), y: centre.y + r * Math.sin(i * GOLDEN_ANGLE),
      });
    }));
  }

  function status(refused, truncated) {
    const shown = cy.nodes().not(".filtered").length;
    const hidden = cy.nodes(".filtered").length;
    let text = `${view.nodes.size} nodes, ${view.edges.size} edges in view`;
    if (hidden) text += ` (${hidden} nodes hidden by the filters, ${shown} shown)`;
    text += `. At most ${nodeCap()} nodes are drawn at once.`;
    if (refused) {
      text += ` The cap of ${nodeCap()} nodes was reached: ${refused} more were not added.`;
    } else if (truncated) {
      text += " The server cut this neighbourhood at its node limit (see /limits).";
    }
    say("view-status", text, Boolean(refused));
  }

  function showNodeList() {
    const list = $("node-list");
    list.replaceChildren(...[...view.nodes.values()].map((node) => el("li", {},
      el("button", { type: "button", "data-id": node.id, onclick: () => select(node.id) },
        node.label, " ", el("span", { class: "kind", text: node.kind })))));
    $("node-count").textContent = String(view.nodes.size);
  }

  function showLegend() {
    const items = Object.entries(ENTITY_COLOURS).map(([kind, colour]) =>
      el("span", {}, el("span", { class: "swatch", "data-colour": colour }), kind));
    const events = Object.values(QUAD_CLASSES).map(([colour, name]) =>
      el("span", {}, el("span", { class: "swatch event", "data-colour": colour }), `event: ${name}`));
    events.push(el("span", {}, el("span", { class: "swatch event", "data-colour": NO_CODE }),
      "event: no CAMEO code"));
    $("legend").replaceChildren(...items, ...events);
    // Colours through the CSSOM: the policy allows no inline style attribute.
    for (const swatch of $("legend").querySelectorAll(".swatch")) {
      swatch.style.backgroundColor = swatch.dataset.colour;
    }
  }

  async function openNeighbourhood(id) {
    say("view-status", "Loading…");
    try {
      const subgraph = await api(`/entities/${encodeURIComponent(id)}/neighbors`,
        { depth: 1, limit: Math.min(1000, nodeCap() + 1) });
      clearView();
      view.root = id;
      showTab("graph");
      merge(subgraph, null);
      cy.getElementById(id).addClass("root");
      await select(id);
      $("details").focus();
    } catch (error) {
      say("view-status", error.message, true);
    }
  }

  async function expand(id) {
    const room = nodeCap() - view.nodes.size;
    if (room <= 0) {
      status(1, false);
      return;
    }
    try {
      const subgraph = await api(`/entities/${encodeURIComponent(id)}/neighbors`,
        { depth: 1, limit: Math.min(1000, room + 1) });
      merge(subgraph, id);
      cy.getElementById(id).select();
    } catch (error) {
      say("view-status", error.message, true);
    }
  }

  // -- filters ------------------------------------------------------------------------------

  function unchecked(name) {
    return new Set([...document.querySelectorAll(`input[name="${name}"]:not(:checked)`)]
      .map((box) => box.value));
  }

  function eventDays(event) {
    const first = event.date.start || event.date.end;
    const last = event.date.end || event.date.start;
    return first ? [first, last] : null;
  }

  function applyFilters() {
    if (!cy) return;
    const hide = {
      entity: unchecked("entity-kind"), event: unchecked("event-kind"),
      root: unchecked("cameo-root"), modality: unchecked("modality"),
    };
    const from = $("filter-from").value;
    const to = $("filter-to").value;
    const visible = (node) => {
      if (node.node_type === "entity") return !hide.entity.has(node.kind);
      if (node.node_type !== "event") return true;
      const root = node.cameo ? node.cameo.code.slice(0, 2) : "none";
      if (hide.event.has(node.kind) || hide.root.has(root) || hide.modality.has(node.modality)) {
        return false;
      }
      if (!from && !to) return true;
      const days = eventDays(node);
      if (!days) return false;
      return !((from && days[1] < from) || (to && days[0] > to));
    };
    cy.batch(() => {
      cy.nodes().forEach((n) => n.toggleClass("filtered", !visible(view.nodes.get(n.id()))));
    });
    for (const button of $("node-list").querySelectorAll("button")) {
      button.parentElement.hidden = cy.getElementById(button.dataset.id).hasClass("filtered");
    }
    status(0, false);
  }

  // -- the side panel -----------------------------------------------------------------------

  function nodeButton(id, label) {
    return el("button", { type: "button", class: "link", onclick: () => select(id) }, label);
  }

  function labelOf(id) {
    const node = view.nodes.get(id);
    return node ? node.label : id;
  }

  function connections(id) {
    const edges = [...view.edges.values()].filter((e) => e.source === id || e.target === id);
    if (edges.length === 0) return null;
    return el("ul", { class: "choices" }, edges.map((edge) => {
      const other = edge.source === id ? edge.target : edge.source;
      const arrow = edge.source === id ? "→" : "←";
      return el("li", {}, el("button", { type: "button", onclick: () => selectEdge(edge.id) },
        `${edge.type} ${arrow} ${labelOf(other)}`));
    }));
  }

  function actions(node) {
    const row = el("div", { class: "actions" },
      el("button", { type: "button", id: "expand-button", onclick: () => expand(node.id) }, "Expand"));
    if (node.node_type === "entity") {
      row.append(
        el("button", { type: "button", onclick: () => openTimeline(node.id, "") }, "Timeline"),
        el("button", { type: "button", onclick: () => { $("path-from").value = node.label; $("path-to").focus(); } },
          "Path from here"));
    }
    return row;
  }

  function dateText(date) {
    if (!date.start && !date.end) return "undated";
    const span = date.start === date.end ? date.start : `${date.start || "?"} to ${date.end || "?"}`;
    return `${span} (${date.granularity || "no granularity"})`;
  }

  function cameoText(event) {
    if (!event.cameo) return `none: ${event.cameo_note}`;
    const c = event.cameo;
    const goldstein = c.goldstein === null ? "no Goldstein score" : `Goldstein ${c.goldstein}`;
    return `${c.code} ${c.name}; ${goldstein}; QuadClass ${c.quad_class} (${QUAD_CLASSES[c.quad_class][1]})`;
  }

  function showDetails(...children) {
    $("details").replaceChildren(...children);
  }

  // Shows a node in the side panel: from the view, or read from the API when it is not in
  // view (`type` says which route); an event is always read again for its participants.
  async function select(id, type) {
    view.selected = id;
    if (cy) {
      cy.elements().unselect();
      cy.getElementById(id).select();
    }
    let node = view.nodes.get(id);
    const nodeType = node ? node.node_type : type || "entity";
    const routes = { entity: "/entities/", event: "/events/", source: "/sources/" };
    try {
      if (!node || nodeType === "event") {
        node = await api(`${routes[nodeType]}${encodeURIComponent(id)}`);
      }
    } catch (error) {
      showDetails(el("p", { class: "alert", text: error.message }));
      return;
    }
    if (node.node_type === "event") showEvent(node);
    else if (node.node_type === "entity") showEntity(node);
    else showSource(node);
  }

  function showEntity(entity) {
    showDetails(
      el("h2", { text: entity.label }),
      el("p", { class: "kind", text: `entity · ${entity.kind}` }),
      actions(entity),
      fields([
        ["id", entity.id], ["description", entity.description],
        ["aliases", entity.aliases.join("; ")],
        ["unnamed", entity.unnamed ? "yes: the article does not name it" : ""],
        ["analyst", entity.analyst_assertion ? "asserted by an analyst, without a quote" : ""],
      ]),
      entity.identifiers.length ? el("h3", { text: "Identifiers" }) : null,
      entity.identifiers.length ? fields(entity.identifiers.map((i) => [i.scheme, `${i.value} (${i.origin})`])) : null,
      el("h3", { text: "Connections in view" }), connections(entity.id) || el("p", { class: "note", text: "None yet: expand it." }),
      el("h3", { text: "Evidence" }), ...evidenceList(entity.evidence));
  }

  function showEvent(event) {
    const participants = (event.participants || []).map((p) => [p.role, nodeButton(p.id, p.label)]);
    showDetails(
      el("h2", { text: event.label }),
      el("p", { class: "kind", text: `event · ${event.kind} · ${event.modality}` }),
      actions(event),
      fields([
        ["id", event.id], ["modality", event.modality], ["date", dateText(event.date)],
        ["expression", event.date.expression ? `“${event.date.expression}”` : "none in the text"],
        ["date rule", event.date.rule], ["date note", event.date.note],
        ["CAMEO", cameoText(event)],
        ["place", event.place],
        ["quantities", event.quantities.map((q) => q.text).join("; ")],
        ["analyst", event.analyst_assertion ? "asserted by an analyst, without a quote" : ""],
      ]),
      participants.length ? el("h3", { text: "Participants" }) : null,
      participants.length ? fields(participants) : null,
      el("h3", { text: "Evidence" }), ...evidenceList(event.evidence));
  }

  function showSource(source) {
    showDetails(
      el("h2", { text: source.label }),
      el("p", { class: "kind", text: `source · ${source.kind}` }),
      fields([
        ["id", source.id], ["publisher", source.publisher], ["published", source.published],
        ["url", source.url], ["length", `${source.text_length} characters`],
      ]),
      el("p", {}, el("a", { href: `/explore/sources/${encodeURIComponent(source.id)}`, target: "_blank", rel: "noopener" }, "Read the text")));
  }

  function selectEdge(id) {
    const edge = view.edges.get(id) || pathEdges.get(id);
    if (!edge) return;
    view.selected = id;
    if (cy) {
      cy.elements().unselect();
      cy.getElementById(id).select();
    }
    const attributes = Object.entries(edge.attributes || {}).map(([k, v]) => [k, String(v)]);
    showDetails(
      el("h2", { text: edge.type }),
      el("p", { class: "kind", text: `edge · ${edge.category}` }),
      fields([
        ["id", edge.id], ["from", nodeButton(edge.source, labelOf(edge.source))],
        ["to", nodeButton(edge.target, labelOf(edge.target))], ...attributes,
        ["analyst", edge.analyst_assertion ? "asserted by an analyst, without a quote" : ""],
      ]),
      el("h3", { text: "Evidence" }), ...evidenceList(edge.evidence));
  }

  // -- search -------------------------------------------------------------------------------

  async function search(event) {
    event.preventDefault();
    const q = $("search-q").value.trim();
    if (!q) return;
    say("search-status", "Searching…");
    try {
      const page = await api("/entities", { q, limit: 20 });
      $("search-results").replaceChildren(...page.items.map((entity) => el("li", {},
        el("button", { type: "button", onclick: () => openNeighbourhood(entity.id) },
          entity.label, " ", el("span", { class: "kind", text: entity.kind }),
          entity.aliases.length ? el("span", { class: "kind", text: ` (${entity.aliases.join(", ")})` }) : null))));
      const more = page.total === null || page.total > page.items.length ? " (the best 20)" : "";
      say("search-status", page.items.length
        ? `${page.items.length} found${more}: pick one to open its neighbourhood.` : "No entity has that name.");
    } catch (error) {
      say("search-status", error.message, true);
    }
  }

  // -- paths --------------------------------------------------------------------------------

  const pathEdges = new Map();

  function hopItem(path, i) {
    const from = path.nodes[i];
    const to = path.nodes[i + 1];
    return el("li", { class: "hop" },
      path.hops[i].map((edge) => el("div", {},
        el("p", {}, el("strong", { text: from.label }),
          ` ${edge.source === from.id ? "—" : "←"}${edge.type}${edge.source === from.id ? "→" : "—"} `,
          el("strong", { text: to.label })),
        ...evidenceList(edge.evidence))));
  }

  function drawPath(path) {
    for (const hop of path.hops) for (const edge of hop) pathEdges.set(edge.id, edge);
    merge({ nodes: path.nodes, edges: path.hops.flat(), truncated: false }, view.root);
    cy.elements().removeClass("on-path");
    for (const node of path.nodes) cy.getElementById(node.id).addClass("on-path");
    for (const edge of path.hops.flat()) cy.getElementById(edge.id).addClass("on-path");
    showTab("graph");
  }

  async function findPaths(event) {
    event.preventDefault();
    say("path-status", "Searching…");
    $("path-results").replaceChildren();
    try {
      const answer = await api("/paths", {
        source: $("path-from").value.trim(), target: $("path-to").value.trim(),
        limit: $("path-k").value, max_length: $("path-hops").value,
      });
      if (answer.paths.length === 0) {
        say("path-status", `No path within ${$("path-hops").value} hops.`);
        return;
      }
      const cut = answer.truncated ? ` (cut short by the ${answer.truncated_by} budget)` : "";
      say("path-status", `${answer.paths.length} path(s), shortest first${cut}.`);
      $("path-results").replaceChildren(...answer.paths.map((path, n) => el("div", { class: "path" },
        el("h3", {}, `Path ${n + 1}: ${path.length} hop(s) `,
          el("button", { type: "button", onclick: () => drawPath(path) }, "Draw")),
        el("ol", {}, path.hops.map((_, i) => hopItem(path, i))))));
      if (!view.root) view.root = answer.paths[0].nodes[0].id;
      drawPath(answer.paths[0]);
    } catch (error) {
      say("path-status", error.message, true);
    }
  }

  // -- timeline -----------------------------------------------------------------------------

  const DAY = 86400000;
  const toDay = (iso) => Date.parse(`${iso}T00:00:00Z`) / DAY;
  const isoOf = (day) => new Date(day * DAY).toISOString().slice(0, 10);

  function ticks(first, last) {
    const span = last - first;
    const out = [];
    if (span <= 21) {
      for (let d = first; d <= last; d += 1) out.push(d);
      return out;
    }
    const start = new Date(first * DAY);
    const monthly = span <= 800;
    const cursor = monthly
      ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
      : new Date(Date.UTC(start.getUTCFullYear() + 1, 0, 1));
    while (cursor.getTime() / DAY <= last) {
      out.push(cursor.getTime() / DAY);
      if (monthly) cursor.setUTCMonth(cursor.getUTCMonth() + 1);
      else cursor.setUTCFullYear(cursor.getUTCFullYear() + 1);
    }
    return out;
  }

  function chart(dated, onPick) {
    const width = Math.max(560, $("timeline").clientWidth - 30);
    const height = 300;
    const margin = { left: 46, right: 20, top: 26, bottom: 70 };
    const spans = dated.map((e) => eventDays(e).map(toDay));
    let first = Math.min(...spans.map((s) => s[0]));
    let last = Math.max(...spans.map((s) => s[1]));
    first -= 1;
    last += 1;
    const x = (day) => margin.left + ((day - first) / (last - first)) * (width - margin.left - margin.right);
    const plotBottom = height - margin.bottom;
    const y = (score) => margin.top + ((10 - score) / 20) * (plotBottom - 30 - margin.top);
    const lane = plotBottom - 10;
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": "Goldstein score of each dated event over time" });
    const axis = svg("g", { class: "axis" });
    for (const score of [-10, -5, 0, 5, 10]) {
      axis.append(svg("text", { x: margin.left - 6, y: y(score) + 4, "text-anchor": "end", text: String(score) }));
    }
    axis.append(
      svg("line", { x1: margin.left, x2: margin.left, y1: margin.top, y2: plotBottom }),
      svg("line", { x1: margin.left, x2: width - margin.right, y1: plotBottom, y2: plotBottom }),
      svg("line", { class: "grid-zero", x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0) }),
      svg("text", { x: 4, y: 12, text: "Goldstein score" }),
    );
    for (const day of ticks(first + 1, last - 1)) {
      axis.append(
        svg("line", { x1: x(day), x2: x(day), y1: plotBottom, y2: plotBottom + 5 }),
        svg("text", { x: x(day), y: plotBottom + 18, "text-anchor": "middle", text: isoOf(day).slice(5) }));
    }
    axis.append(svg("text", { x: margin.left, y: plotBottom + 34, text: `${isoOf(first + 1)} to ${isoOf(last - 1)}` }));
    root.append(axis, svg("g", { class: "lane" },
      svg("text", { x: margin.left + 4, y: lane - 8, text: "no Goldstein score" })));
    // The line: each day's mean score, days in order.
    const byDay = new Map();
    dated.forEach((event, i) => {
      if (!event.cameo || event.cameo.goldstein === null) return;
      const day = spans[i][0];
      byDay.set(day, [...(byDay.get(day) || []), event.cameo.goldstein]);
    });
    const means = [...byDay.entries()].sort((a, b) => a[0] - b[0])
      .map(([day, scores]) => `${x(day)},${y(scores.reduce((s, v) => s + v, 0) / scores.length)}`);
    if (means.length > 1) root.append(svg("polyline", { class: "goldstein-line", points: means.join(" ") }));
    const seen = new Map();
    dated.forEach((event, i) => {
      const score = event.cameo ? event.cameo.goldstein : null;
      const [start, end] = spans[i];
      const py = score === null ? lane : y(score);
      const key = `${start}:${py}`;
      const shift = (seen.get(key) || 0);
      seen.set(key, shift + 1);
      const px = x(start) + shift * 9;
      const label = `${isoOf(start)}${end > start ? ` to ${isoOf(end)}` : ""}: ${event.label}; ` +
        (score === null ? "no Goldstein score" : `Goldstein ${score}`);
      const point = svg("g", { class: "point", tabindex: "0", role: "button", "aria-label": label,
        "data-id": event.id, onclick: () => onPick(event.id),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick(event.id); } } },
      svg("title", { text: label }));
      if (end > start) point.append(svg("rect", { x: px, y: py - 3, width: Math.max(6, x(end) - x(start)), height: 6, fill: "#9ecae1" }));
      point.append(svg("circle", { cx: px, cy: py, r: 6,
        fill: event.cameo ? QUAD_CLASSES[event.cameo.quad_class][0] : NO_CODE }));
      root.append(point);
    });
    return root;
  }

  function eventRows(events) {
    return el("table", { class: "events" },
      el("thead", {}, el("tr", {}, ["Date", "Expression (rule)", "Event", "CAMEO", "Goldstein"].map((h) => el("th", { text: h })))),
      el("tbody", {}, events.map((event) => el("tr", {},
        el("td", { text: dateText(event.date) }),
        el("td", { text: `${event.date.expression ? `“${event.date.expression}”` : "—"} (${event.date.rule})` }),
        el("td", {}, el("button", { type: "button", onclick: () => pickEvent(event.id) }, event.label)),
        el("td", { text: event.cameo ? event.cameo.code : "none" }),
        el("td", { text: event.cameo && event.cameo.goldstein !== null ? String(event.cameo.goldstein) : "—" })))));
  }

  function pickEvent(id) {
    for (const point of $("timeline").querySelectorAll(".point")) {
      point.classList.toggle("selected", point.dataset.id === id);
    }
    select(id, "event");
  }

  async function openTimeline(entity, other) {
    $("timeline-entity").value = entity;
    $("timeline-other").value = other;
    say("timeline-status", "Loading…");
    try {
      const line = await api("/timeline", { entity, other });
      const names = line.entities.map((e) => e.label).join(" and ");
      const heading = `Timeline of ${names}: ${line.total} ${line.total === 1 ? "event" : "events"}, ${line.dated.length} dated, ${line.undated.length} undated`;
      const parts = [el("h2", { id: "timeline-title", text: heading })];
      if (line.truncated) parts.push(el("p", { class: "alert", text: `Only the first ${line.dated.length + line.undated.length} are shown (see /limits).` }));
      if (line.dated.length) {
        parts.push(el("p", { class: "note", text: "Each point is a dated event at the first day of its date (a bar spans a longer interval), at its Goldstein score (−10 conflict to +10 cooperation); the line joins each day's mean. Select a point, or press Enter on it, to see the event." }));
        parts.push(el("div", { id: "timeline-chart" }));
        parts.push(eventRows(line.dated));
      } else {
        parts.push(el("p", { class: "note", text: "No event of this timeline has a date." }));
      }
      parts.push(el("h3", { text: `Undated events (${line.undated.length}): the sources give no date, so they are not on the axis` }));
      parts.push(el("ul", { id: "undated", class: "choices" }, line.undated.map((event) => el("li", {},
        el("button", { type: "button", onclick: () => pickEvent(event.id) }, event.label, " ",
          el("span", { class: "kind", text: `${event.kind} · ${event.modality}${event.cameo ? ` · CAMEO ${event.cameo.code}` : ""}` }))))));
      $("timeline").replaceChildren(...parts);
      showTab("timeline");
      if (line.dated.length) $("timeline-chart").append(chart(line.dated, pickEvent));
      say("timeline-status", heading);
    } catch (error) {
      say("timeline-status", error.message, true);
    }
  }

  // -- tabs and export ----------------------------------------------------------------------

  function showTab(name) {
    for (const tab of ["graph", "timeline"]) {
      $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
      $(`${tab}-panel`).hidden = tab !== name;
    }
    if (name === "graph" && cy) cy.resize();
  }

  function updateExport() {
    const ids = [...view.nodes.keys()];
    const links = { graphml: "export-graphml", turtle: "export-turtle", jsonld: "export-jsonld" };
    const extension = { graphml: "graphml", turtle: "ttl", jsonld: "jsonld" };
    let scope = null;
    if (ids.length === 0) {
      say("export-note", "Open a neighbourhood first.");
    } else if (ids.length <= exportCap()) {
      scope = { nodes: ids.join(",") };
      say("export-note", `The ${ids.length} nodes in view and every edge among them.`);
    } else {
      scope = { root: view.root, depth: 1 };
      say("export-note", `The view has ${ids.length} nodes and an export takes at most ${exportCap()} ids: these export the neighbourhood of ${labelOf(view.root)} instead.`, true);
    }
    for (const [format, id] of Object.entries(links)) {
      const link = $(id);
      if (scope) {
        link.href = `/export?${new URLSearchParams({ format, ...scope })}`;
        link.setAttribute("download", `geokg-view.${extension[format]}`);
        link.removeAttribute("aria-disabled");
      } else {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
    }
  }

  // -- start --------------------------------------------------------------------------------

  function start() {
    makeGraph();
    showLegend();
    $("search-form").addEventListener("submit", search);
    $("path-form").addEventListener("submit", findPaths);
    $("timeline-form").addEventListener("submit", (event) => {
      event.preventDefault();
      openTimeline($("timeline-entity").value.trim(), $("timeline-other").value.trim());
    });
    $("filters").addEventListener("change", applyFilters);
    $("filters").addEventListener("reset", () => setTimeout(applyFilters, 0));
    $("tab-graph").addEventListener("click", () => showTab("graph"));
    $("tab-timeline").addEventListener("click", () => showTab("timeline"));
    body.dataset.ready = "true";
  }

  start();
})();
