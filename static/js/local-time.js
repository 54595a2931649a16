// Optional: show times in the reader's own zone (the page's original in the tooltip), and
// the relative phrases beside them ("12 min ago", "in 2 h", "2 h 15 min so far"), refreshed
// each minute. The page is complete without this script: every time in the HTML is absolute,
// so a page's bytes change only when its data does.
(function () {
  "use strict";

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    if (minutes < 1) return "under 1 min";
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) return days + " d" + (hours ? " " + hours + " h" : "");
    if (hours) return hours + " h" + (mins ? " " + mins + " min" : "");
    return mins + " min";
  }
  // The one shared helper: sla-clocks.js, loaded after this script, words its spans the same.
  window.statuspage = window.statuspage || {};
  window.statuspage.span = span;

  function relative(ms) {
    if (Math.abs(ms) < 60000) return "just now";
    return ms > 0 ? span(ms) + " ago" : "in " + span(ms);
  }

  function refresh() {
    var now = Date.now();
    var nodes = document.querySelectorAll("[data-relative]");
    for (var i = 0; i < nodes.length; i++) {
      var moment = Date.parse(nodes[i].getAttribute("data-relative"));
      if (isNaN(moment)) continue;
      var around = nodes[i].getAttribute("data-around") || "(%)";
      nodes[i].textContent = around.replace("%", relative(now - moment));
      nodes[i].hidden = false;
    }
    var open = document.querySelectorAll("[data-elapsed]");
    for (var j = 0; j < open.length; j++) {
      var start = Date.parse(open[j].getAttribute("data-elapsed"));
      if (isNaN(start)) continue;
      open[j].textContent = span(Math.max(0, now - start)) + " so far";
    }
  }

  function localise() {
    if (!window.Intl || !Intl.DateTimeFormat) return;
    var pageZone = document.documentElement.getAttribute("data-timezone");
    var readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!readerZone || readerZone === pageZone) return;
    var withDate = new Intl.DateTimeFormat(undefined, {
      day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    var timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    var nodes = document.querySelectorAll("time[data-local]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment.getTime())) continue;
      var original = node.textContent;
      node.textContent = (node.getAttribute("data-local") === "time" ? timeOnly : withDate).format(moment);
      node.setAttribute("title", original);
    }
  }

  localise();
  refresh();
  window.setInterval(refresh, 60000);
})();
