// Optional: show times in the reader's own zone, keeping the page's original in the tooltip.
// The page is complete without this script.
(function () {
  "use strict";
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
})();
