// The client finder on the roster. It reads window.CASELOAD_CLIENTS (assets/clients.js,
// loaded by a <script> tag because fetch() is refused on file:// pages) and shows
// matches as links. Caseload text is only ever set as textContent, never as HTML.
(function () {
  "use strict";
  var input = document.getElementById("cl-finder-input");
  var list = document.getElementById("cl-finder-results");
  var clients = window.CASELOAD_CLIENTS || [];
  if (!input || !list) { return; }
  var LIMIT = 25;

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var folded = clients.map(function (c) { return fold(c.id + " " + c.name); });

  function show(query) {
    list.textContent = "";
    var words = fold(query).split(/\s+/).filter(Boolean);
    if (!words.length) { return; }
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
    var note = document.createElement("li");
    note.textContent = total === 0 ? "No client matches." :
      (total > shown ? total + " matches; the first " + shown + " are shown." :
        total + (total === 1 ? " match." : " matches."));
    list.appendChild(note);
  }
  input.addEventListener("input", function () { show(input.value); });
  if (input.value) { show(input.value); }
})();
