// citation-auditor report: filtering, searching and sorting. The page is complete without it.
(function () {
  "use strict";

  function setupFilters() {
    var form = document.getElementById("filters");
    var table = document.getElementById("findings-table");
    if (!form || !table) { return; }
    form.hidden = false;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var shown = document.getElementById("shown");
    function apply() {
      var severities = {};
      form.querySelectorAll("input[name=severity]").forEach(function (box) { severities[box.value] = box.checked; });
      var rule = form.elements.rule.value;
      var q = form.elements.q.value.trim().toLowerCase();
      var visible = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var show = severities[row.dataset.severity] !== false &&
          (!rule || row.dataset.rule === rule) && (!q || texts[i].indexOf(q) !== -1);
        row.hidden = !show;
        if (show) { visible++; }
      }
      shown.textContent = visible + " of " + rows.length + " findings shown";
    }
    var timer = null;
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 60); });
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }

  function setupSorting() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var headers = table.tHead.rows[0].cells;
      Array.prototype.forEach.call(headers, function (th, column) {
        var button = th.querySelector("button");
        if (!button) { return; }
        button.addEventListener("click", function () {
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          Array.prototype.forEach.call(headers, function (h) { if (h.hasAttribute("aria-sort")) { h.setAttribute("aria-sort", "none"); } });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          var numeric = button.dataset.sort === "number";
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = a.cells[column].dataset.value || a.cells[column].textContent;
            var y = b.cells[column].dataset.value || b.cells[column].textContent;
            var order = numeric ? (parseFloat(x) - parseFloat(y)) : x.localeCompare(y);
            return ascending ? order : -order;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
    });
  }

  setupFilters();
  setupSorting();
}());
