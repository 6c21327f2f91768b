// A result drawn as a chart or a timeline (Vega-Lite, vendored) or as a graph (vis-network, vendored), from
// what the server wrote into the page (#kg-shown): a Vega-Lite spec, or nodes and edges. No other host is
// asked, and nothing is evaluated: Vega parses its spec to an AST and the vega-interpreter runs it.
// window.kgShown says when the drawing is done (ready), what it is (kind) and holds the Vega view or network.
"use strict";

(function () {
  const element = document.getElementById("kg-shown");
  const area = document.getElementById("kg-shown-area");
  const state = { ready: false, kind: null, view: null, network: null, error: null };
  window.kgShown = state;
  if (!element || !area) {
    state.ready = true;
    return;
  }
  const shown = JSON.parse(element.textContent);
  state.kind = shown.kind;

  function tooltip(handler, event, item, value) {
    const tip = document.getElementById("kg-tooltip");
    if (value === null || value === undefined || value === "") {
      tip.hidden = true;
      return;
    }
    tip.replaceChildren();
    const entries = typeof value === "object" ? Object.entries(value) : [["", value]];
    for (const [key, text] of entries) {
      if (text === null || text === undefined || text === "") continue;
      const line = document.createElement("div");
      if (key) {
        const name = document.createElement("b");
        name.textContent = key + " ";
        line.append(name);
      }
      line.append(document.createTextNode(String(text)));  // text only: values are data, never markup
      tip.append(line);
    }
    tip.hidden = false;
    tip.style.left = Math.max(Math.min(event.pageX + 14, window.innerWidth - tip.offsetWidth - 8), 4) + "px";
    tip.style.top = event.pageY + 14 + "px";
  }

  async function drawVega() {
    const compiled = vegaLite.compile(shown.spec).spec;
    const runtime = vega.parse(compiled, null, { ast: true });
    const view = new vega.View(runtime, {
      expr: vega.expressionInterpreter, renderer: "svg", container: area, hover: true, tooltip: tooltip,
    });
    await view.runAsync();
    view.addEventListener("click", function (event, item) {
      const href = item && item.datum && item.datum.href;
      if (href && href.startsWith("/entity?")) window.location.href = href;  // the app's own pages only
    });
    state.view = view;
  }

  function drawGraph() {
    const nodes = new vis.DataSet(shown.nodes.map((node) => ({
      id: node.id, label: node.label, title: node.title, group: node.group, shape: "dot", size: 10 + 3 * Math.sqrt(node.degree),
    })));
    const edges = new vis.DataSet(shown.edges.map((edge, index) => ({
      id: index, from: edge.from, to: edge.to, label: edge.label, arrows: "to", font: { size: 10, align: "middle" },
    })));
    const network = new vis.Network(area, { nodes: nodes, edges: edges }, {
      layout: { randomSeed: 20251219 },
      physics: { stabilization: { iterations: 300 }, barnesHut: { springLength: 140 } },
      interaction: { hover: true },
    });
    const hrefs = new Map(shown.nodes.map((node) => [node.id, node.href]));
    network.on("doubleClick", function (event) {
      const href = event.nodes.length ? hrefs.get(event.nodes[0]) : null;
      if (href) window.location.href = href;
    });
    state.network = network;
    return new Promise((resolve) => {
      network.once("stabilizationIterationsDone", () => { network.setOptions({ physics: false }); resolve(); });
      setTimeout(resolve, 5000);
    });
  }

  (shown.kind === "graph" ? drawGraph() : drawVega())
    .then(() => { state.ready = true; area.dataset.state = "ready"; })
    .catch((error) => {
      state.error = String(error);
      area.dataset.state = "error";
      area.textContent = "could not draw this result: " + String(error);
      console.error(error);
    });
})();
