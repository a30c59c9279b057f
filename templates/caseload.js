// caseload's own script: the client finder, sortable tables, and the roster's filter.
// Everything here only adds to a page that reads fully without it. Caseload text is
// only ever set as textContent, never as HTML. There is no inline script and no
// handler attribute anywhere, so `caseload serve`'s Content-Security-Policy
// (script-src 'self') lets this file run as it is.
(function () {
  "use strict";

  // --- the client finder ---------------------------------------------------------------
  // It reads window.CASELOAD_CLIENTS (assets/clients.js, loaded by a <script> tag
  // because fetch() is refused on file:// pages) and shows matches as links.
  //
  // From the keyboard: type to search; Tab or Down arrow moves to the matches, Up and
  // Down arrows between them; Enter in the field opens the only match; Escape clears
  // the field, or from a match goes back to it. The number of matches is said in a
  // polite live region (#cl-finder-status), so a screen reader announces it.
  function finder() {
    var input = document.getElementById("cl-finder-input");
    var list = document.getElementById("cl-finder-results");
    var status = document.getElementById("cl-finder-status");
    var clients = window.CASELOAD_CLIENTS || [];
    if (!input || !list) { return; }
    var LIMIT = 25;

    function fold(text) {
      return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    }
    var folded = clients.map(function (c) { return fold(c.id + " " + c.name); });

    function say(text) {
      if (status) { status.textContent = text; }
    }

    function links() {
      return Array.prototype.slice.call(list.querySelectorAll("a"));
    }

    function show(query) {
      list.textContent = "";
      var words = fold(query).split(/\s+/).filter(Boolean);
      if (!words.length) { say(""); return; }
      var shown = 0, total = 0;
      for (var i = 0; i < clients.length; i++) {
        var hay = folded[i];
        if (!words.every(function (w) { return hay.indexOf(w) !== -1; })) { continue; }
        total++;
        if (shown >= LIMIT) { continue; }
        shown++;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = clients[i].url;
        link.textContent = clients[i].id + ": " + clients[i].name;
        item.appendChild(link);
        item.appendChild(document.createTextNode(" (" + clients[i].status + ")"));
        list.appendChild(item);
      }
      say(total === 0 ? "No client matches." :
        (total > shown ? total + " matches; the first " + shown + " are shown." :
          total + (total === 1 ? " match." : " matches.")));
    }

    input.addEventListener("input", function () { show(input.value); });
    input.addEventListener("keydown", function (event) {
      var found = links();
      if (event.key === "ArrowDown" && found.length) {
        event.preventDefault();
        found[0].focus();
      } else if (event.key === "Enter" && found.length === 1) {
        event.preventDefault();
        found[0].click();
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        show("");
      }
    });
    list.addEventListener("keydown", function (event) {
      var found = links();
      var at = found.indexOf(document.activeElement);
      if (at === -1) { return; }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (at + 1 < found.length) { found[at + 1].focus(); }
      } else if (event.key === "ArrowUp" || event.key === "Escape") {
        event.preventDefault();
        (at > 0 && event.key === "ArrowUp" ? found[at - 1] : input).focus();
      }
    });
    if (input.value) { show(input.value); }
  }

  // --- sorting a table by any column ------------------------------------------------------
  // A column sorts when its header cell has data-sort-type: "text" (in the reader's
  // order, numbers inside text by value, so C-999 before C-1000), "number" or "date"
  // (ISO dates). A cell's key is its data-sort attribute, which the page's template
  // writes from what the report decided, else its text. A blank key, or a cell that
  // shows only "—", sorts last whichever way the column is sorted; rows with equal
  // keys keep their order. The header's text becomes a button (click, Enter or
  // Space): ascending first, then descending; aria-sort on the header says which.
  // Each table sorts on its own, within its page.
  var BLANK = "\u2014";
  var collator = new Intl.Collator(document.documentElement.lang || undefined,
    {numeric: true, sensitivity: "base"});

  function keyOf(raw, type) {
    if (raw === null || raw === undefined) { return null; }
    var text = String(raw).trim();
    if (text === "" || text === BLANK) { return null; }
    if (type === "number") {
      var number = Number(text);
      return isNaN(number) ? null : number;
    }
    return text;
  }

  function cellKey(cell, type) {
    if (!cell) { return null; }
    return keyOf(cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") :
      cell.textContent, type);
  }

  function compare(a, b, type) {
    if (type === "number") { return a - b; }
    if (type === "date") { return a < b ? -1 : (a > b ? 1 : 0); }
    return collator.compare(a, b);
  }

  // `items` in the order of their `keys` (one for each): stable, blanks last.
  function ordered(items, keys, type, descending) {
    var places = items.map(function (_, i) { return i; });
    places.sort(function (i, j) {
      var a = keys[i], b = keys[j];
      if (a === null || b === null) {
        return a === b ? i - j : (a === null ? 1 : -1);
      }
      var order = compare(a, b, type);
      return (descending ? -order : order) || i - j;
    });
    return places.map(function (i) { return items[i]; });
  }

  var sortStatus = null;

  function announce(text) {
    if (!sortStatus) { return; }
    sortStatus.textContent = text;
  }

  function sortable(table) {
    var head = table.tHead && table.tHead.rows[0];
    var body = table.tBodies[0];
    if (!head || !body) { return null; }
    var sorter = {table: table, heads: [], column: -1, descending: false, source: null};
    Array.prototype.forEach.call(head.cells, function (th, index) {
      sorter.heads.push(th);
      if (!th.hasAttribute("data-sort-type")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cl-sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      var icon = document.createElement("span");
      icon.className = "cl-sort__icon";
      icon.setAttribute("aria-hidden", "true");
      button.appendChild(icon);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var descending = sorter.column === index ? !sorter.descending : false;
        sortBy(sorter, index, descending);
        announce("Sorted by " + th.textContent.trim() + ", " +
          (descending ? "descending." : "ascending."));
      });
    });
    return sorter;
  }

  function typeOf(sorter, column) {
    return sorter.heads[column].getAttribute("data-sort-type");
  }

  function sortBy(sorter, column, descending) {
    sorter.column = column;
    sorter.descending = descending;
    sorter.heads.forEach(function (th, index) {
      if (index === column) {
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    if (sorter.source) { sorter.source(); } else { sortRows(sorter); }
  }

  function sortRows(sorter) {
    if (sorter.column < 0) { return; }
    var body = sorter.table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var type = typeOf(sorter, sorter.column);
    var keys = rows.map(function (row) { return cellKey(row.cells[sorter.column], type); });
    var fragment = document.createDocumentFragment();
    ordered(rows, keys, type, sorter.descending).forEach(function (row) {
      fragment.appendChild(row);
    });
    body.appendChild(fragment);
  }

  // --- the roster's filter ------------------------------------------------------------------
  // Filters the whole roster, every page of it, by status, clinician, payer and the
  // severity of the open findings, from each client's row in window.CASELOAD_ROSTER
  // (assets/roster.js, in the order of the finder's index; see roster_index_script in
  // generator/pages/render.py). While a filter is set, the
  // page's table shows the matching clients instead of its own rows, PAGE at a time,
  // drawn as the page's template draws a row (_client_row.j2), and sorting it sorts
  // every match; the page's own links to the roster's other pages are hidden.
  // Clearing the filters puts the page back. The count is said in a live region.
  var ROW = {status: 0, clinician: 1, payer: 2, last: 3, next: 4, age: 5, due: 6,
    error: 7, warning: 8, info: 9};
  var SEVERITIES = ["error", "warning", "info"];

  function optionNames(select) {
    var names = {};
    for (var i = 1; i < select.options.length; i++) {
      names[select.options[i].value] = select.options[i].text;
    }
    return names;
  }

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function orBlank(value) {
    return value === null || value === undefined ? BLANK : String(value);
  }

  function filter(sorters) {
    var box = document.getElementById("cl-filter");
    var clients = window.CASELOAD_CLIENTS;
    var rows = window.CASELOAD_ROSTER;
    if (!box || !Array.isArray(clients) || !Array.isArray(rows) ||
        rows.length !== clients.length) { return; }
    // Each client gets its row: c.row, as the code below reads it.
    clients.forEach(function (c, i) { c.row = rows[i]; });
    var sorter = null;
    sorters.forEach(function (candidate) {
      if (!sorter && candidate.table.querySelector("th[data-column]")) { sorter = candidate; }
    });
    var selects = {};
    var missing = ["status", "clinician", "payer", "severity"].some(function (facet) {
      selects[facet] = document.getElementById("cl-filter-" + facet);
      return !selects[facet];
    });
    if (!sorter || missing) { return; }
    var count = document.getElementById("cl-filter-count");
    var more = document.getElementById("cl-filter-more");
    var previous = document.getElementById("cl-filter-previous");
    var next = document.getElementById("cl-filter-next");
    var clear = document.getElementById("cl-filter-clear");
    var table = sorter.table;
    var body = table.tBodies[0];
    // How many matches are shown at a time (FILTER_PAGE_SIZE in render.py).
    var PAGE = parseInt(box.getAttribute("data-page-size"), 10) || 100;

    var clinicians = optionNames(selects.clinician);
    var payers = optionNames(selects.payer);
    var rank = {};
    for (var s = 1; s < selects.status.options.length; s++) {
      rank[selects.status.options[s].value] = s - 1;
    }

    // The roster's columns as _client_row.j2 draws them: each cell's text (or its
    // content, `fill`), its data-sort key when the template gives one, and its style.
    var COLUMNS = {
      client: {fill: function (td, c) {
        var link = element("a", null, c.id);
        link.href = c.url;
        td.appendChild(link);
      }, text: function (c) { return c.id; }},
      name: {text: function (c) { return c.name; }},
      status: {fill: function (td, c) {
        td.appendChild(element("span", "cl-status cl-" + c.row[ROW.status].replace(/_/g, "-"),
          c.status));
      }, text: function (c) { return c.status; },
      sort: function (c) { return String(rank[c.row[ROW.status]]); }},
      clinician: {text: function (c) {
        var key = c.row[ROW.clinician] === null ? "" : c.row[ROW.clinician];
        return key in clinicians ? clinicians[key] : key;
      }},
      payer: {text: function (c) {
        var id = c.row[ROW.payer];
        return id === null ? BLANK : (id in payers ? payers[id] : id);
      }},
      last_session: dated(ROW.last),
      next_appointment: dated(ROW.next),
      plan_age_days: {text: function (c) { return orBlank(c.row[ROW.age]); },
        sort: function (c) { return c.row[ROW.age] === null ? "" : String(c.row[ROW.age]); },
        right: true},
      plan_due: dated(ROW.due),
      findings: {fill: function (td, c) {
        SEVERITIES.forEach(function (severity) {
          var n = c.row[ROW[severity]];
          if (!n) { return; }
          if (td.firstChild) { td.appendChild(document.createTextNode(" ")); }
          td.appendChild(element("span", "cl-severity cl-" + severity, n + " " + severity));
        });
      }, text: function (c) {
        return SEVERITIES.filter(function (s) { return c.row[ROW[s]]; })
          .map(function (s) { return c.row[ROW[s]] + " " + s; }).join(" ");
      }, sort: function (c) {
        return String(c.row[ROW.error] * 1000000 + c.row[ROW.warning] * 1000 + c.row[ROW.info]);
      }}
    };

    function dated(at) {
      return {text: function (c) { return orBlank(c.row[at]); },
        sort: function (c) { return c.row[at] === null ? "" : c.row[at]; }};
    }

    var columns = sorter.heads.map(function (th) {
      return COLUMNS[th.getAttribute("data-column")] || null;
    });

    function rowOf(c) {
      var tr = document.createElement("tr");
      columns.forEach(function (column) {
        var td = document.createElement("td");
        if (column) {
          if (column.right) { td.style.textAlign = "right"; }
          if (column.sort) { td.setAttribute("data-sort", column.sort(c)); }
          if (column.fill) { column.fill(td, c); } else { td.textContent = column.text(c); }
        }
        tr.appendChild(td);
      });
      return tr;
    }

    var want = null;  // the facets set: facet -> value
    var matches = [];
    var page = 0;
    var ownRows = null;  // the page's own rows, while the table shows matches
    var pager = null;  // the page's "Pages: 1 · 2 · ..." links, hidden meanwhile

    function wanted() {
      var found = null;
      Object.keys(selects).forEach(function (facet) {
        var select = selects[facet];
        if (select.selectedIndex > 0) {
          found = found || {};
          found[facet] = select.value;
        }
      });
      return found;
    }

    function matching(c) {
      var row = c.row;
      if ("status" in want && row[ROW.status] !== want.status) { return false; }
      if ("clinician" in want && (row[ROW.clinician] || "") !== want.clinician) { return false; }
      if ("payer" in want && (row[ROW.payer] || "") !== want.payer) { return false; }
      if ("severity" in want) {
        if (want.severity === "") {
          return !(row[ROW.error] || row[ROW.warning] || row[ROW.info]);
        }
        return row[ROW[want.severity]] > 0;
      }
      return true;
    }

    function sortMatches() {
      if (sorter.column < 0) { return; }
      var column = columns[sorter.column];
      if (!column) { return; }
      var type = typeOf(sorter, sorter.column);
      var keys = matches.map(function (c) {
        return keyOf(column.sort ? column.sort(c) : column.text(c), type);
      });
      matches = ordered(matches, keys, type, sorter.descending);
    }

    function number(n) {
      return n.toLocaleString("en-US");
    }

    function show() {
      var start = page * PAGE;
      var fragment = document.createDocumentFragment();
      matches.slice(start, start + PAGE).forEach(function (c) {
        fragment.appendChild(rowOf(c));
      });
      body.textContent = "";
      body.appendChild(fragment);
      var total = number(clients.length);
      var said;
      if (!matches.length) {
        said = "No client of the " + total + " on the roster matches.";
      } else {
        said = number(matches.length) + (matches.length === 1 ? " client matches" :
          " clients match") + ", of " + total + " on the whole roster";
        if (matches.length > PAGE) {
          said += "; " + number(start + 1) + " to " +
            number(Math.min(start + PAGE, matches.length)) + " are shown";
        }
        said += ".";
      }
      count.textContent = said;
      if (more) {
        more.hidden = matches.length <= PAGE;
        previous.disabled = page === 0;
        next.disabled = start + PAGE >= matches.length;
      }
    }

    function pagerOf() {
      var block = table.closest(".md-typeset__scrollwrap") || table;
      var before = block.previousElementSibling;
      return before && before.tagName === "P" && /^Pages:/.test(before.textContent.trim()) ?
        before : null;
    }

    function apply() {
      want = wanted();
      if (!want) {
        if (ownRows) {
          sorter.source = null;
          body.textContent = "";
          ownRows.forEach(function (row) { body.appendChild(row); });
          ownRows = null;
          sortRows(sorter);
          if (pager) { pager.hidden = false; pager = null; }
        }
        count.textContent = "";
        if (more) { more.hidden = true; }
        return;
      }
      if (!ownRows) {
        ownRows = Array.prototype.slice.call(body.rows);
        pager = pagerOf();
        if (pager) { pager.hidden = true; }
        sorter.source = function () { sortMatches(); page = 0; show(); };
      }
      matches = clients.filter(matching);
      sortMatches();
      page = 0;
      show();
    }

    Object.keys(selects).forEach(function (facet) {
      selects[facet].addEventListener("change", apply);
    });
    clear.addEventListener("click", function () {
      Object.keys(selects).forEach(function (facet) { selects[facet].selectedIndex = 0; });
      apply();
    });
    if (more) {
      previous.addEventListener("click", function () {
        if (page > 0) { page--; show(); }
      });
      next.addEventListener("click", function () {
        if ((page + 1) * PAGE < matches.length) { page++; show(); }
      });
    }
    box.hidden = false;
    apply();  // a filter the browser kept from before (back and forward)
  }

  // --- start --------------------------------------------------------------------------------
  function tables() {
    var sorters = [];
    Array.prototype.forEach.call(document.querySelectorAll("table"), function (table) {
      if (!table.querySelector("thead th[data-sort-type]")) { return; }
      var sorter = sortable(table);
      if (sorter) { sorters.push(sorter); }
    });
    if (sorters.length) {
      // Present before it speaks, as a live region must be to be heard.
      sortStatus = element("p", "cl-visually-hidden");
      sortStatus.setAttribute("role", "status");
      sortStatus.setAttribute("aria-live", "polite");
      var content = document.querySelector(".md-content__inner") || document.body;
      content.appendChild(sortStatus);
    }
    filter(sorters);
  }

  finder();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", tables);
  } else {
    tables();
  }
})();
