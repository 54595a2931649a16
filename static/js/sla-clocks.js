// Optional: keeps the SLA clocks' "time left" and states current between page loads.
// The server renders every clock; without this script the page is complete, only static.
(function () {
  "use strict";
  var rows = document.querySelectorAll("[data-sla-clocks] tr[data-due]");
  if (!rows.length) return;
  var span = window.statuspage.span; // static/js/local-time.js, loaded first
  var labels = { running: "Running", due_soon: "Due soon", breached: "Breached" };
  function tick() {
    var now = Date.now();
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var due = Date.parse(row.getAttribute("data-due"));
      var warn = Date.parse(row.getAttribute("data-warn"));
      if (isNaN(due)) continue;
      var state = now >= due ? "breached" : now >= warn ? "due_soon" : "running";
      var left = row.querySelector(".clock-left");
      if (left) left.textContent = now >= due ? "overdue by " + span(now - due) : span(due - now) + " left";
      var label = row.querySelector(".clock-state");
      if (label) label.textContent = labels[state];
      row.className = row.className.replace(/\bclock-(running|due_soon|breached)\b/, "clock-" + state);
    }
  }
  tick();
  window.setInterval(tick, 15000);
})();
