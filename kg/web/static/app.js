// gpu-kg's pages: name completion for entity fields, sortable result tables. No other host is ever asked.
"use strict";

(function () {
  // --- completion: /api/complete?q=TEXT&class=CLASS answers [{value, iri, en, zh}] ---
  function attach(input) {
    const list = document.createElement("ul");
    list.className = "completions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    let asked = 0;
    let active = -1;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      active = -1;
      input.setAttribute("aria-expanded", "false");
    }

    function choose(item) {
      input.value = item.dataset.value;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function mark(index) {
      const items = list.querySelectorAll("li");
      items.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
    }

    function show(entries) {
      list.replaceChildren();
      for (const entry of entries) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.dataset.value = entry.value;
        const names = [entry.en, entry.zh].filter(Boolean).join(" / ");
        li.append(document.createTextNode(names || entry.value));  // text only: names are data, never markup
        const id = document.createElement("small");
        id.textContent = entry.value;
        li.append(id);
        li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(li); });
        list.append(li);
      }
      list.hidden = entries.length === 0;
      input.setAttribute("aria-expanded", entries.length ? "true" : "false");
      active = -1;
    }

    input.addEventListener("input", () => {
      const text = input.value.trim();
      const ticket = ++asked;
      if (!text) { close(); return; }
      const params = new URLSearchParams({ q: text });
      if (input.dataset.class) params.set("class", input.dataset.class);
      fetch("/api/complete?" + params.toString(), { headers: { Accept: "application/json" } })
        .then((response) => response.ok ? response.json() : [])
        .then((entries) => { if (ticket === asked) show(entries); })
        .catch(() => close());
    });
    input.addEventListener("keydown", (event) => {
      const items = list.querySelectorAll("li");
      if (list.hidden || !items.length) return;
      if (event.key === "ArrowDown") { event.preventDefault(); mark((active + 1) % items.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); mark((active - 1 + items.length) % items.length); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(items[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // --- sorting: click a column's header; numbers by value, text in both languages' order ---
  function sortable(table) {
    const headers = table.querySelectorAll("thead th");
    headers.forEach((th) => {
      th.querySelector("button").addEventListener("click", () => {
        const column = Number(th.dataset.column);
        const numeric = th.hasAttribute("data-numeric");
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach((other) => other.setAttribute("aria-sort", "none"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => row.cells[column].dataset.sort;
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          if (x === "" || y === "") return x === y ? 0 : (x === "" ? 1 : -1);  // empty cells last
          const order = numeric ? Number(x) - Number(y) : x.localeCompare(y, undefined, { numeric: true });
          return ascending ? order : -order;
        });
        body.append(...rows);
      });
    });
  }

  document.querySelectorAll("input[data-complete]").forEach(attach);
  document.querySelectorAll("table.result").forEach(sortable);
  window.kgApp = { ready: true };
})();
