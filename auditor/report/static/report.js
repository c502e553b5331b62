// citation-auditor report: filtering, searching and sorting. The page is complete without it.
// The filters live in the address (?severity=error,warning&rule=NAME&q=words) so a view can be shared.
(function () {
  "use strict";
  var SEVERITIES = ["error", "warning", "info"];

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var severity = params.get("severity");
    return {
      severity: severity === null ? SEVERITIES.slice() : severity.split(",").filter(function (s) { return s; }),
      rule: params.get("rule") || "",
      q: params.get("q") || ""
    };
  }

  function writeState(state) {
    var params = new URLSearchParams();
    if (state.severity.length !== SEVERITIES.length) { params.set("severity", state.severity.join(",")); }
    if (state.rule) { params.set("rule", state.rule); }
    if (state.q) { params.set("q", state.q); }
    var query = params.toString();
    try {
      window.history.replaceState(null, "", (query ? "?" + query : window.location.pathname) + window.location.hash);
    } catch (e) { /* some browsers refuse it on file:// pages; the filter still applies */ }
  }

  function markBars(rule) {
    document.querySelectorAll(".rule-bar").forEach(function (bar) {
      if (rule && bar.dataset.rule === rule) { bar.setAttribute("aria-current", "true"); } else { bar.removeAttribute("aria-current"); }
    });
  }

  function words(list) {
    if (list.length <= 1) { return list.join(""); }
    return list.slice(0, -1).join(", ") + " and " + list[list.length - 1];
  }

  function setupFilters() {
    var form = document.getElementById("filters");
    var table = document.getElementById("findings-table");
    if (!form || !table) { return; }
    form.hidden = false;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var shown = document.getElementById("shown");
    var boxes = form.querySelectorAll("input[name=severity]");

    function current() {
      var severity = [];
      boxes.forEach(function (box) { if (box.checked) { severity.push(box.value); } });
      return { severity: severity, rule: form.elements.rule.value, q: form.elements.q.value.trim() };
    }

    function load(state) {
      boxes.forEach(function (box) { box.checked = state.severity.indexOf(box.value) !== -1; });
      var known = Array.prototype.some.call(form.elements.rule.options, function (o) { return o.value === state.rule; });
      form.elements.rule.value = known ? state.rule : "";
      form.elements.q.value = state.q;
    }

    function apply() {
      var state = current();
      var q = state.q.toLowerCase();
      var visible = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var show = state.severity.indexOf(row.dataset.severity) !== -1 &&
          (!state.rule || row.dataset.rule === state.rule) && (!q || texts[i].indexOf(q) !== -1);
        row.hidden = !show;
        if (show) { visible++; }
      }
      // The caption says what is shown: "3 of 59 findings: error, rule uncited-entry, matching “Smith”".
      var what = [];
      if (state.severity.length !== SEVERITIES.length) { what.push(state.severity.length ? words(state.severity) : "no severity"); }
      if (state.rule) { what.push("rule " + state.rule); }
      if (state.q) { what.push("matching \u201c" + state.q + "\u201d"); }
      shown.textContent = what.length ?
        visible + " of " + rows.length + " findings: " + what.join(", ") :
        rows.length + " finding" + (rows.length === 1 ? "" : "s") + ", errors first, then by line";
      markBars(state.rule);
      writeState(state);
    }

    var timer = null;
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 60); });
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    form.addEventListener("reset", function (e) { e.preventDefault(); load({ severity: SEVERITIES.slice(), rule: "", q: "" }); apply(); });
    document.querySelectorAll(".rule-bar").forEach(function (bar) {
      bar.addEventListener("click", function (e) {
        e.preventDefault();
        form.elements.rule.value = form.elements.rule.value === bar.dataset.rule ? "" : bar.dataset.rule;
        apply();
        table.scrollIntoView({ block: "start" });
      });
    });
    load(readState());
    apply();
  }

  // The index: ?rule=NAME keeps the documents with findings of that rule, and their links open the
  // document's page filtered to it.
  function setupIndexFilter() {
    var table = document.getElementById("documents");
    var note = document.getElementById("rule-filter");
    if (!table || !note) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    function apply(rule) {
      var count = 0;
      rows.forEach(function (row) {
        var has = !rule || (" " + row.dataset.rules + " ").indexOf(" " + rule + " ") !== -1;
        row.hidden = !has;
        if (has) { count++; }
        row.querySelectorAll("a.doc-title").forEach(function (a) {
          var base = a.getAttribute("href").split(/[?#]/)[0];
          a.setAttribute("href", rule ? base + "?rule=" + encodeURIComponent(rule) + "#findings" : base);
        });
      });
      note.hidden = !rule;
      note.textContent = "";
      if (rule) {
        note.appendChild(document.createTextNode(count + " of " + rows.length + " documents have findings of rule " + rule + ". "));
        var all = document.createElement("a");
        all.href = "?";
        all.textContent = "Show all documents";
        all.addEventListener("click", function (e) { e.preventDefault(); apply(""); });
        note.appendChild(all);
      }
      markBars(rule);
      writeState({ severity: SEVERITIES, rule: rule, q: "" });
    }
    document.querySelectorAll(".rule-bar").forEach(function (bar) {
      bar.addEventListener("click", function (e) {
        e.preventDefault();
        apply(readState().rule === bar.dataset.rule ? "" : bar.dataset.rule);
        table.scrollIntoView({ block: "start" });
      });
    });
    var rule = readState().rule;
    if (rule) { apply(rule); }
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
  setupIndexFilter();
  setupSorting();
}());
