// The controls of a gpu-kg view: tooltips, legend and filters, search, language.
// Text from the facts arrives as JSON and goes on screen only through textContent or
// DOM elements built here: never through innerHTML.
(function () {
  "use strict";

  function read(id) { return JSON.parse(document.getElementById(id).textContent); }
  const page = read("kg-page");
  const rawNodes = read("kg-nodes");
  const rawEdges = read("kg-edges");
  const options = read("kg-options");

  const UI = {
    en: {
      nodes: "nodes", edges: "edges", classes: "Classes", relations: "Relations", find: "Find",
      search: "Find: English or 中文 name", other: "中文", notFound: "No node is named",
      found: "Found", laying: "Laying out", facts: "Key facts", quote: "Source sentence", source: "Source",
      note: "Note", aliases: "Also", more: "more", reset: "Show all",
      leftOut: (p) => `Showing the ${fmt(p.total - p.leftOut)} best-connected of ${fmt(p.total)} nodes; ` +
        `${fmt(p.leftOut)} left out so the page stays responsive. Narrow the view with ` +
        "kg view --focus ENTITY or kg view --query FILE.rq.",
      hint: "Click a legend entry to hide or show that class or relation. Hover a node for its facts.",
    },
    zh: {
      nodes: "个节点", edges: "条边", classes: "类别", relations: "关系", find: "查找",
      search: "查找节点:中文或英文名称", other: "English", notFound: "未找到节点", found: "已找到",
      laying: "正在布局", facts: "关键事实", quote: "原文", source: "信息来源", note: "说明",
      aliases: "别名", more: "更多", reset: "全部显示",
      leftOut: (p) => `共${fmt(p.total)}个节点,仅显示连接最多的${fmt(p.total - p.leftOut)}个,` +
        `省略${fmt(p.leftOut)}个以保持页面流畅。可用 kg view --focus 或 kg view --query 缩小范围。`,
      hint: "点击图例可隐藏或显示该类别或关系;鼠标悬停节点可查看事实。",
    },
  };

  let lang = page.lang === "zh" ? "zh" : "en";
  function t(key) { return UI[lang][key]; }
  function fmt(n) { return Number(n).toLocaleString("en-US"); }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function lines(text) { return text ? String(text).split("\n").filter((x) => x !== "") : []; }

  // --- tooltips: DOM elements, so vis-network never parses them as HTML ----------------
  function listBlock(box, heading, items, limit) {
    if (!items.length) return;
    box.appendChild(el("div", "kg-tip-heading", heading));
    const list = el("ul", items.length > 10 ? "kg-tip-list kg-tip-columns" : "kg-tip-list");
    items.slice(0, limit).forEach((item) => list.appendChild(el("li", null, item)));
    if (items.length > limit) list.appendChild(el("li", "kg-tip-more", `+${items.length - limit} ${t("more")}`));
    box.appendChild(list);
  }

  function nodeTip(data) {
    const kg = data.kg;
    const box = el("div", "kg-tip");
    const first = lang === "zh" ? kg.name_zh : kg.name_en;
    const second = lang === "zh" ? kg.name_en : kg.name_zh;
    box.appendChild(el("div", "kg-tip-name", first));
    if (second && second !== first) box.appendChild(el("div", "kg-tip-name2", second));
    const cls = (page.legend.find((c) => c.key === kg.cls) || {})[lang] || kg.cls;
    box.appendChild(el("div", "kg-tip-class", cls));
    if (kg.aliases) box.appendChild(el("div", "kg-tip-line", `${t("aliases")}: ${kg.aliases}`));
    listBlock(box, t("facts"), lines(lang === "zh" ? kg.facts_zh : kg.facts_en), page.tooltipFacts);
    listBlock(box, t("quote"), lines(kg.quotes).map((q) => `“${q}”`), page.tooltipQuotes);
    if (lang === "en" && kg.note) listBlock(box, t("note"), lines(kg.note), 2);
    const source = lang === "zh" ? kg.source_zh : kg.source_en;
    if (source) box.appendChild(el("div", "kg-tip-source", `${t("source")}: ${source}`));
    return box;
  }

  function edgeTip(data) {
    const kg = data.kg;
    const box = el("div", "kg-tip");
    const from = nodeById.get(data.from), to = nodeById.get(data.to);
    const name = (n) => (n ? (lang === "zh" ? n.kg.name_zh : n.kg.name_en) : "");
    box.appendChild(el("div", "kg-tip-name", lang === "zh" ? kg.label_zh : kg.label_en));
    box.appendChild(el("div", "kg-tip-class", `${name(from)} → ${name(to)}`));
    listBlock(box, t("quote"), lines(kg.quotes).map((q) => `“${q}”`), 2);
    if (lang === "en" && kg.note) listBlock(box, t("note"), lines(kg.note), 2);
    const source = lang === "zh" ? kg.source_zh : kg.source_en;
    if (source) box.appendChild(el("div", "kg-tip-source", `${t("source")}: ${source}`));
    return box;
  }

  const nodeById = new Map(rawNodes.map((n) => [n.id, n]));

  function nodeItem(n) {
    return Object.assign({}, n, { label: lang === "zh" ? n.kg.label_zh : n.kg.label_en, title: nodeTip(n) });
  }
  // An edge label that would cover a node or another label is drawn only when zoomed in (see quietEdges).
  const quietEdges = new Set();
  let closeUp = false;
  function edgeLabel(e) {
    if (quietEdges.has(e.id) && !closeUp) return " ";  // vis-network keeps the old label when given ""
    return lang === "zh" ? e.kg.label_zh : e.kg.label_en;
  }
  function edgeItem(e) { return Object.assign({}, e, { label: edgeLabel(e), title: edgeTip(e) }); }

  const nodes = new vis.DataSet(rawNodes.map(nodeItem));
  const edges = new vis.DataSet(rawEdges.map(edgeItem));
  const container = document.getElementById("kg-network");

  const view = {
    nodes: nodes, edges: edges, network: null, ready: false, stabilizedMs: null, found: null,
    search: search, setLang: setLang,
  };
  window.kgView = view;

  // --- header, notice, legend -------------------------------------------------------
  function swatch(shape, color, dashed, line) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "14");
    svg.setAttribute("viewBox", "0 0 18 14");
    svg.setAttribute("class", "kg-swatch");
    let mark;
    if (line) {
      mark = document.createElementNS(ns, "line");
      mark.setAttribute("x1", "1"); mark.setAttribute("y1", "7"); mark.setAttribute("x2", "17"); mark.setAttribute("y2", "7");
      mark.setAttribute("stroke", color); mark.setAttribute("stroke-width", "2.5");
      if (dashed) mark.setAttribute("stroke-dasharray", "4 3");
    } else {
      const points = {
        square: "4,2 14,2 14,12 4,12", diamond: "9,1 15,7 9,13 3,7", triangle: "9,1 16,13 2,13",
        triangleDown: "2,1 16,1 9,13", hexagon: "5,1 13,1 17,7 13,13 5,13 1,7",
        star: "9,0.5 11,5.3 16.2,5.5 12.2,8.8 13.6,13.6 9,10.9 4.4,13.6 5.8,8.8 1.8,5.5 7,5.3",
      }[shape];
      if (points) {
        mark = document.createElementNS(ns, "polygon");
        mark.setAttribute("points", points);
      } else {
        mark = document.createElementNS(ns, "circle");
        mark.setAttribute("cx", "9"); mark.setAttribute("cy", "7"); mark.setAttribute("r", "5.5");
      }
      mark.setAttribute("fill", color);
      mark.setAttribute("stroke", "#333");
      mark.setAttribute("stroke-width", "0.6");
    }
    svg.appendChild(mark);
    return svg;
  }

  const hiddenClasses = new Set();
  const hiddenRelations = new Set();
  const edgeKey = (e) => e.kg.relation + (e.kg.level === "group" ? "|group" : "");

  function applyFilters() {
    const nodeUpdates = rawNodes.map((n) => ({ id: n.id, hidden: hiddenClasses.has(n.kg.cls) }));
    nodes.update(nodeUpdates);
    const hiddenNode = new Set(nodeUpdates.filter((u) => u.hidden).map((u) => u.id));
    edges.update(rawEdges.map((e) => ({
      id: e.id, hidden: hiddenRelations.has(edgeKey(e)) || hiddenNode.has(e.from) || hiddenNode.has(e.to),
    })));
    document.querySelectorAll("[data-filter]").forEach((item) => {
      const [kind, key] = [item.dataset.filter, item.dataset.key];
      const off = kind === "class" ? hiddenClasses.has(key) : hiddenRelations.has(key);
      item.classList.toggle("kg-off", off);
      item.setAttribute("aria-pressed", off ? "false" : "true");
    });
  }

  function filterButton(kind, entry, mark) {
    const button = el("button", "kg-filter");
    button.type = "button";
    button.dataset.filter = kind;
    button.dataset.key = entry.key;
    button.setAttribute("aria-pressed", "true");
    button.appendChild(mark);
    button.appendChild(el("span", "kg-filter-label", entry[lang]));
    button.appendChild(el("span", "kg-count", fmt(entry.count)));
    button.addEventListener("click", () => {
      const set = kind === "class" ? hiddenClasses : hiddenRelations;
      if (set.has(entry.key)) set.delete(entry.key); else set.add(entry.key);
      applyFilters();
    });
    return button;
  }

  function drawChrome() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.getElementById("kg-title").textContent = page.title[lang];
    document.getElementById("kg-about").textContent = page.about[lang];
    document.getElementById("kg-counts").textContent =
      lang === "zh" ? `${fmt(rawNodes.length)}${t("nodes")} · ${fmt(rawEdges.length)}${t("edges")}`
        : `${fmt(rawNodes.length)} ${t("nodes")} · ${fmt(rawEdges.length)} ${t("edges")}`;
    const input = document.getElementById("kg-search");
    input.placeholder = t("search");
    input.setAttribute("aria-label", t("search"));
    document.getElementById("kg-find").textContent = t("find");
    document.getElementById("kg-reset").textContent = t("reset");
    document.getElementById("kg-lang").textContent = t("other");
    document.getElementById("kg-hint").textContent = t("hint");
    const notice = document.getElementById("kg-notice");
    notice.hidden = !page.leftOut;
    notice.textContent = page.leftOut ? UI[lang].leftOut(page) : "";

    const classes = document.getElementById("kg-classes");
    classes.replaceChildren(el("h2", null, t("classes")));
    page.legend.forEach((c) => classes.appendChild(filterButton("class", c, swatch(c.shape, c.color))));
    const relations = document.getElementById("kg-relations");
    relations.replaceChildren(el("h2", null, t("relations")));
    page.relations.forEach((r) => relations.appendChild(filterButton("relation", r, swatch(null, r.color, r.dashed, true))));
    relations.hidden = page.relations.length === 0;

    const names = document.getElementById("kg-names");
    const seen = new Set();
    const options = [];
    rawNodes.forEach((n) => {
      [n.kg.name_en, n.kg.name_zh].forEach((name) => {
        if (name && !seen.has(name)) { seen.add(name); options.push(name); }
      });
    });
    names.replaceChildren(...options.sort().map((name) => { const o = el("option"); o.value = name; return o; }));
    applyFilters();
  }

  // --- search: either name, an alias or the id; exact first, then a part of a name ----
  function candidates(n) {
    const kg = n.kg;
    return [kg.name_en, kg.name_zh, kg.label_en, kg.label_zh, n.id, n.id.replace(/^kgr:/, "")]
      .concat(kg.aliases ? kg.aliases.split("; ") : [])
      .filter(Boolean).map((x) => x.toLocaleLowerCase());
  }

  function search(text) {
    const status = document.getElementById("kg-status");
    const query = String(text || "").trim().toLocaleLowerCase();
    if (!query) { status.textContent = ""; return null; }
    let hit = rawNodes.find((n) => candidates(n).includes(query));
    if (!hit) hit = rawNodes.find((n) => candidates(n).some((c) => c.includes(query)));
    if (!hit) {
      status.textContent = `${t("notFound")} “${text}”`;
      view.found = null;
      return null;
    }
    if (hiddenClasses.delete(hit.kg.cls)) applyFilters();
    view.network.selectNodes([hit.id]);
    view.network.focus(hit.id, { scale: Math.max(1.3, view.network.getScale()), animation: false });
    status.textContent = `${t("found")}: ${lang === "zh" ? hit.kg.name_zh : hit.kg.name_en}`;
    view.found = hit.id;
    return hit.id;
  }

  function setLang(next) {
    lang = next === "zh" ? "zh" : "en";
    nodes.update(rawNodes.map((n) => ({ id: n.id, label: lang === "zh" ? n.kg.label_zh : n.kg.label_en, title: nodeTip(n) })));
    edges.update(rawEdges.map((e) => ({ id: e.id, label: edgeLabel(e), title: edgeTip(e) })));
    drawChrome();
    if (view.ready) {  // the other language's words take other room
      spreadLabels();
      quietenEdgeLabels();
      view.quietEdges = Array.from(quietEdges).sort();
    }
  }

  // --- labels apart: the physics keeps nodes apart, not the words drawn under them ----------
  // Each node's box (its shape and label, as vis-network measures them) is pushed out of every box
  // it overlaps, along the shorter way out, until none overlaps; then the view fits the page again.
  // Deterministic: the same layout gives the same moves.
  const SPREAD_LIMIT = 400;  // nodes; a bigger page keeps the physics' layout (pairs grow with the square)
  const GAP = 4;             // canvas pixels kept between two boxes
  function spreadLabels() {
    const network = view.network;
    const ids = nodes.getIds({ filter: (n) => !n.hidden });
    if (ids.length < 2 || ids.length > SPREAD_LIMIT) return 0;
    network.redraw();  // boxes are measured as they are drawn
    const at = network.getPositions(ids);
    const items = ids.map((id) => {
      const box = network.getBoundingBox(id), p = at[id];
      return { id: id, x: p.x, y: p.y, l: box.left - p.x - GAP, r: box.right - p.x + GAP,
               t: box.top - p.y - GAP, b: box.bottom - p.y + GAP };
    });
    let rounds = 0;
    for (; rounds < 500; rounds++) {
      let moved = false;
      for (let i = 0; i < items.length; i++) {
        for (let j = i + 1; j < items.length; j++) {
          const a = items[i], c = items[j];
          const dx = Math.min(a.x + a.r, c.x + c.r) - Math.max(a.x + a.l, c.x + c.l);
          const dy = Math.min(a.y + a.b, c.y + c.b) - Math.max(a.y + a.t, c.y + c.t);
          if (dx <= 0 || dy <= 0) continue;
          moved = true;
          if (dx < dy) {
            const away = (a.x + (a.l + a.r) / 2 <= c.x + (c.l + c.r) / 2 ? -1 : 1) * (dx / 2 + 0.5);
            a.x += away; c.x -= away;
          } else {
            const away = (a.y + (a.t + a.b) / 2 <= c.y + (c.t + c.b) / 2 ? -1 : 1) * (dy / 2 + 0.5);
            a.y += away; c.y -= away;
          }
        }
      }
      if (!moved) break;
    }
    items.forEach((item) => network.moveNode(item.id, item.x, item.y));
    network.fit({ animation: false });
    return rounds;
  }

  // --- the network: stabilise once with a fixed seed, then stop the physics -------------
  const progress = document.getElementById("kg-progress");
  // Edge labels go where vis-network puts them: midway along their (straight) edge, turned to it
  // and drawn above it. One that would lie over a node, a node's label or a label already kept
  // waits for a closer zoom. Supply relations and named relations first; "statement about",
  // which every statement has, last.
  const measure = document.createElement("canvas").getContext("2d");
  function edgeLabelBox(e, at, text) {
    const from = at[e.from], to = at[e.to];
    if (!from || !to || !text) return null;
    measure.font = `${e.font && e.font.size ? e.font.size : 10}px arial`;
    const w = measure.measureText(text).width + 6, h = (e.font && e.font.size ? e.font.size : 10) + 4;
    const angle = Math.atan2(to.y - from.y, to.x - from.x);
    const cos = Math.abs(Math.cos(angle)), sin = Math.abs(Math.sin(angle));
    const halfW = (w * cos + h * sin) / 2 + h / 2, halfH = (w * sin + h * cos) / 2 + h / 2;  // turned, and above
    const x = (from.x + to.x) / 2, y = (from.y + to.y) / 2;
    return { l: x - halfW, r: x + halfW, t: y - halfH, b: y + halfH };
  }

  function quietenEdgeLabels() {
    const network = view.network;
    quietEdges.clear();
    closeUp = false;
    network.redraw();
    const ids = nodes.getIds({ filter: (n) => !n.hidden });
    const at = network.getPositions(ids);
    const taken = ids.map((id) => { const b = network.getBoundingBox(id); return { l: b.left, r: b.right, t: b.top, b: b.bottom }; });
    const overlaps = (a, c) => a.l < c.r && c.l < a.r && a.t < c.b && c.t < a.b;
    const rank = (e) => (e.kg.relation === "gpu:SupplyRelation" ? 0 : e.kg.relation === "gpu:statementAbout" ? 2 : 1);
    const order = rawEdges.slice().sort((a, c) => rank(a) - rank(c) || (a.id < c.id ? -1 : a.id > c.id ? 1 : 0));
    order.forEach((e) => {
      const here = edgeLabelBox(e, at, lang === "zh" ? e.kg.label_zh : e.kg.label_en);
      if (!here) return;
      if (taken.some((b) => overlaps(b, here))) quietEdges.add(e.id); else taken.push(here);
    });
    edges.update(rawEdges.map((e) => ({ id: e.id, label: edgeLabel(e) })));
    view.fitScale = network.getScale();
  }

  function finished() {
    if (view.ready) return;
    view.network.setOptions({ physics: { enabled: false } });
    const apart = performance.now();
    view.spreadRounds = spreadLabels();
    quietenEdgeLabels();
    // A large graph fitted whole would draw its names too small to read: the first zoom stops at a
    // readable size, centred on the graph, and "reset" shows the whole of it.
    const readable = 8 / 14;
    if (view.network.getScale() < readable) view.network.moveTo({ scale: readable, animation: false });
    view.showWhole = () => { view.network.fit({ animation: false }); return true; };  // for a picture of the page
    view.quietEdges = Array.from(quietEdges).sort();
    view.spreadMs = Math.round(performance.now() - apart);  // what keeping labels apart costs (benchmarks/views.py)
    view.network.on("zoom", () => {
      const near = view.network.getScale() >= 1.6 * view.fitScale;  // close enough for every label
      if (near === closeUp) return;
      closeUp = near;
      // Relabelling makes vis-network settle the view again: keep the zoom the reader chose.
      const position = view.network.getViewPosition(), scale = view.network.getScale();
      edges.update(rawEdges.filter((e) => quietEdges.has(e.id)).map((e) => ({ id: e.id, label: edgeLabel(e) })));
      view.network.moveTo({ position: position, scale: scale, animation: false });
    });
    view.ready = true;
    view.stabilizedMs = Math.round(performance.now());
    progress.hidden = true;
    document.body.dataset.state = "ready";
  }

  drawChrome();
  view.network = new vis.Network(container, { nodes: nodes, edges: edges }, options);
  view.network.on("stabilizationProgress", (p) => {
    progress.hidden = false;
    progress.textContent = `${t("laying")} ${fmt(rawNodes.length)} ${lang === "zh" ? "" : t("nodes")}… ` +
      `${Math.round((100 * p.iterations) / p.total)}%`;
  });
  view.network.once("stabilizationIterationsDone", finished);
  view.network.once("stabilized", finished);
  if (rawNodes.length === 0) finished();

  const input = document.getElementById("kg-search");
  input.addEventListener("keydown", (event) => { if (event.key === "Enter") search(input.value); });
  input.addEventListener("change", () => search(input.value));
  document.getElementById("kg-find").addEventListener("click", () => search(input.value));
  document.getElementById("kg-lang").addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
  document.getElementById("kg-reset").addEventListener("click", () => {
    hiddenClasses.clear();
    hiddenRelations.clear();
    applyFilters();
    view.network.unselectAll();
    view.network.fit({ animation: false });
  });
}());
