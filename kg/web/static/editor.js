// The SPARQL editor: YASGUI (vendored under /static/vendor/yasgui) pointed at this server's /sparql only.
"use strict";

(function () {
  const element = document.getElementById("yasgui");
  const endpoint = new URL(element.dataset.endpoint, window.location.href).href;
  const example = document.getElementById("example-query").content.textContent;
  // Completion of classes and properties asks a public service; prefixes come from the bundle itself.
  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  Yasgui.Yasqe.defaults.value = example;
  const yasgui = new Yasgui(element, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: null,
    yasqe: { value: example },
  });
  window.kgEditor = { yasgui: yasgui, ready: true };
})();
