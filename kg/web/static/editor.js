// The SPARQL editor: YASGUI (vendored under /static/vendor/yasgui) pointed at this server's /sparql only.
// Its tabs and queries are kept in this browser (localStorage) across reloads; the graph's own IRIs link
// to this app's entity pages, not out to w3id.org; the saved queries are its examples (the gallery).
"use strict";

(function () {
  const element = document.getElementById("yasgui");
  const endpoint = new URL(element.dataset.endpoint, window.location.href).href;
  const example = document.getElementById("example-query").content.textContent;
  const gallery = JSON.parse(document.getElementById("kg-gallery").textContent);
  const OWN = "https://w3id.org/gpu-kg/";  // the namespace of the graph's entities and of its ontology
  // Completion of classes and properties asks a public service; prefixes come from the bundle itself.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  Yasgui.Yasqe.defaults.value = example;
  const yasgui = new Yasgui(element, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: "kg-editor",         // one store per app: tabs, their queries and results survive a reload
    persistencyExpire: 60 * 60 * 24 * 365,
    yasqe: { value: example },
  });

  // An IRI of the graph, wherever YASR draws it (a table cell, a datatype), opens its page in this app.
  function localise(root) {
    root.querySelectorAll("a[href^='" + OWN + "']").forEach((link) => {
      const iri = link.getAttribute("href");
      link.setAttribute("href", "/entity?" + new URLSearchParams({ iri: iri }).toString());
      link.setAttribute("target", "_self");
      link.removeAttribute("rel");
      link.title = iri;
    });
  }
  localise(element);
  new MutationObserver((changes) => {
    for (const change of changes) {
      change.addedNodes.forEach((node) => { if (node.nodeType === 1) localise(node); });
    }
  }).observe(element, { childList: true, subtree: true });

  // The gallery: a saved query opens in a tab of its own (the same tab when opened again).
  document.querySelectorAll("#gallery button[data-query]").forEach((button) => {
    button.addEventListener("click", () => {
      const saved = gallery[button.dataset.query];
      yasgui.addTab(true, { name: saved.name, yasqe: { value: saved.text } }, { avoidDuplicateTabs: true });
      element.scrollIntoView({ block: "start" });
    });
  });
  // The current tab's query on a page of its own (/result): paged, faceted, drawn as its columns allow.
  document.getElementById("open-as-page").addEventListener("click", () => {
    const text = yasgui.getTab().getYasqe().getValue();
    window.location.href = "/result?" + new URLSearchParams({ query: text }).toString();
  });
  window.kgEditor = { yasgui: yasgui, ready: true };
})();
