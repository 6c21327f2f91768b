// Draws the chart of this page from its Vega-Lite spec, offline and without eval: Vega-Lite compiles
// the spec to Vega, Vega parses it to an AST (ast: true) and the vega-interpreter evaluates the
// expressions, so the Content-Security-Policy needs no 'unsafe-eval'. Text reaches the screen only
// through textContent. window.kgChart says when the chart is drawn (ready) and holds the Vega view.
(function () {
  "use strict";
  const page = JSON.parse(document.getElementById("kg-page").textContent);
  const specs = JSON.parse(document.getElementById("kg-specs").textContent);
  const state = { ready: false, lang: page.lang, view: null, error: null };
  window.kgChart = state;
  const tip = document.getElementById("kg-tooltip");
  const words = { en: { other: "中文" }, zh: { other: "English" } };

  function tooltip(handler, event, item, value) {
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
        name.textContent = key;
        line.append(name);
      }
      line.append(document.createTextNode(String(text)));
      tip.append(line);
    }
    tip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(event.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = Math.max(x, 4) + "px";
    tip.style.top = Math.max(y, 4) + "px";
  }

  function texts(lang) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.getElementById("kg-title").textContent = page.title[lang];
    document.getElementById("kg-about").textContent = page.about[lang];
    document.title = page.title[lang] + " · gpu-kg";
    document.getElementById("kg-lang").textContent = words[lang].other;
    const notes = document.getElementById("kg-notes");
    notes.replaceChildren();
    for (const note of page.notes[lang]) {
      const item = document.createElement("li");
      item.textContent = note;
      notes.append(item);
    }
  }

  async function draw(lang) {
    state.ready = false;
    document.body.dataset.state = "loading";
    tip.hidden = true;
    if (state.view) state.view.finalize();
    const compiled = vegaLite.compile(specs[lang]).spec;
    const runtime = vega.parse(compiled, null, { ast: true });
    const view = new vega.View(runtime, {
      expr: vega.expressionInterpreter, renderer: "svg", container: "#kg-chart", hover: true, tooltip: tooltip,
    });
    await view.runAsync();
    state.view = view;
    state.lang = lang;
    texts(lang);
    state.ready = true;
    document.body.dataset.state = "ready";
  }

  function fail(error) {
    state.error = String(error);
    document.getElementById("kg-status").textContent = String(error);
    document.body.dataset.state = "error";
    console.error(error);
  }

  document.getElementById("kg-lang").addEventListener("click", function () {
    draw(state.lang === "en" ? "zh" : "en").catch(fail);
  });
  document.getElementById("kg-chart").addEventListener("mouseleave", function () { tip.hidden = true; });
  draw(page.lang).catch(fail);
})();
