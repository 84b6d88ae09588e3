(function () {
  "use strict";
  // fedaudit report: sort and filter the tables marked fa-sort. Text only (textContent), no
  // network, no storage; the page's Content-Security-Policy admits this script by its hash.
  function slice(list) { return Array.prototype.slice.call(list); }
  function cellKey(row, i) {
    var cell = row.cells[i];
    if (!cell) { return ""; }
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    var n = Number(v.replace(/,/g, ""));
    return v !== "" && !isNaN(n) ? n : v.toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === typeof b) { return a < b ? -1 : a > b ? 1 : 0; }
    return typeof a === "number" ? -1 : 1;
  }
  slice(document.querySelectorAll("table.fa-sort")).forEach(function (table) {
    var head = table.tHead;
    if (!head || !table.tBodies.length) { return; }
    var grouped = table.tBodies.length > 1;  // the verdicts: one tbody (two rows) per domain
    function units() { return grouped ? slice(table.tBodies) : slice(table.tBodies[0].rows); }
    function firstRow(u) { return grouped ? u.rows[0] : u; }
    var count = document.createElement("span");
    count.className = "fa-count";
    count.setAttribute("aria-live", "polite");
    slice(head.rows[0].cells).forEach(function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "fa-sortbtn";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        slice(head.rows[0].cells).forEach(function (c) { c.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var list = units().map(function (u, k) { return [cellKey(firstRow(u), i), k, u]; });
        list.sort(function (a, b) { return compare(a[0], b[0]) * dir || a[1] - b[1]; });
        var parent = grouped ? table : table.tBodies[0];
        list.forEach(function (e) { parent.appendChild(e[2]); });
      });
    });
    var input = document.createElement("input");
    input.type = "search";
    input.className = "fa-filter";
    input.placeholder = "Filter rows";
    input.setAttribute("aria-label", "Filter the rows of this table");
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      var all = units();
      var shown = 0;
      all.forEach(function (u) {
        var hit = !q || u.textContent.toLowerCase().indexOf(q) >= 0;
        u.hidden = !hit;
        if (hit) { shown += 1; }
      });
      count.textContent = q ? shown + " of " + all.length + " rows" : "";
    });
    var bar = document.createElement("div");
    bar.className = "fa-tools";
    bar.appendChild(input);
    bar.appendChild(count);
    var wrap = table.parentNode;
    wrap.parentNode.insertBefore(bar, wrap);
  });
})();
