// The client finder on the roster. It reads window.CASELOAD_CLIENTS (assets/clients.js,
// loaded by a <script> tag because fetch() is refused on file:// pages) and shows
// matches as links. Caseload text is only ever set as textContent, never as HTML.
//
// From the keyboard: type to search; Tab or Down arrow moves to the matches, Up and
// Down arrows between them; Enter in the field opens the only match; Escape clears
// the field, or from a match goes back to it. The number of matches is said in a
// polite live region (#cl-finder-status), so a screen reader announces it.
(function () {
  "use strict";
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
})();
