// Optional: point at or arrow through a component's day bars and read each day's label. The
// bars are one SVG with a path per status; the list under them names, without this script,
// every day with issues under its worst status. Each day's full label (minutes per status,
// related notices) is a compact code in the list's data-days ("12d114m132r3,7", see
// DayBar.code): this script spells the codes out as the list, when it is opened, and as the
// text of a slider (one tab stop; arrows, Home, End, Page Up/Down) each SVG becomes.
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var WORDS = { d: "degraded performance", p: "partial outage", m: "major outage", u: "under maintenance" };
  var SVG = "http://www.w3.org/2000/svg";

  function dayText(first, index) {
    var day = new Date(first + index * 86400000);
    return day.getUTCDate() + " " + MONTHS[day.getUTCMonth()] + " " + day.getUTCFullYear();
  }

  function minutesText(minutes) {
    if (minutes < 1) return "under 1 min";
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    return hours + " h" + (rest ? " " + rest + " min" : "");
  }

  // [day index, label] of one code; *first* is the bars' first day (ms), *names* the page's
  // related notices.
  function spell(code, first, names) {
    var found = /^(\d+)((?:[dpmu]\d+)*)(?:r([\d,]+))?$/.exec(code);
    if (!found) return null;
    var index = +found[1], parts = [], spent = found[2].match(/[dpmu]\d+/g) || [];
    for (var i = 0; i < spent.length; i++) {
      parts.push(WORDS[spent[i][0]] + " " + minutesText(+spent[i].slice(1)));
    }
    var text = dayText(first, index) + " — " + (parts.length ? parts.join(", ") : "no downtime");
    if (found[3]) {
      var related = found[3].split(",").map(function (n) { return names[+n]; });
      text += " — related: " + related.join(", ");
    }
    return [index, text];
  }

  function dayLabel(code, firstDay, names) {
    var spelled = spell(code, Date.parse(firstDay + "T00:00:00Z"), names || []);
    return spelled && spelled[1];
  }
  window.statuspage = window.statuspage || {};
  window.statuspage.dayLabel = dayLabel;

  // The day classes as drawn, read back from the paths' "M<first day> .5h<days>" segments.
  function classes(svg, count) {
    var codes = new Array(count);
    var paths = svg.querySelectorAll("path");
    for (var i = 0; i < paths.length; i++) {
      var css = paths[i].getAttribute("class");
      var runs = (paths[i].getAttribute("d") || "").match(/M\d+ \.5h\d+/g) || [];
      for (var r = 0; r < runs.length; r++) {
        var parts = runs[r].match(/\d+/g);
        for (var d = +parts[0]; d < +parts[0] + +parts[2] && d < count; d++) codes[d] = css;
      }
    }
    return codes;
  }

  // The list under the bars, day by day, in place of the days grouped by worst status.
  function listDays(details, told) {
    var list = details.querySelector("ul");
    var grouped = list.querySelectorAll(".by-status");
    for (var g = 0; g < grouped.length; g++) list.removeChild(grouped[g]);
    Object.keys(told).sort(function (a, b) { return a - b; }).forEach(function (index) {
      var item = document.createElement("li");
      item.setAttribute("data-i", index);
      item.textContent = told[index];
      list.appendChild(item);
    });
  }

  function enhance(svg, names) {
    var box = svg.parentNode;
    var count = svg.viewBox.baseVal.width;
    var first = Date.parse(svg.getAttribute("data-first") + "T00:00:00Z");
    if (!count || isNaN(first)) return;
    var codes = classes(svg, count);
    var told = {};
    var details = box.querySelector(".uptime-days[data-days]");
    if (details) {
      var entries = details.getAttribute("data-days").split(";");
      for (var e = 0; e < entries.length; e++) {
        var spelled = spell(entries[e], first, names);
        if (spelled) told[spelled[0]] = spelled[1];
      }
      var listed = false;
      details.addEventListener("toggle", function () {
        if (details.open && !listed) { listed = true; listDays(details, told); }
      });
    }

    function label(index) {
      if (told[index]) return told[index];
      return dayText(first, index) + " — " + (codes[index] === "n" ? "no data" : "no downtime");
    }

    var pick = document.createElementNS(SVG, "rect");
    pick.setAttribute("class", "bar-pick");
    pick.setAttribute("width", "1");
    pick.setAttribute("height", "1");
    pick.setAttribute("vector-effect", "non-scaling-stroke");  // a 2 px frame at any width
    pick.style.display = "none";
    svg.appendChild(pick);
    var tip = document.createElement("div");
    tip.className = "bar-tip";
    tip.setAttribute("aria-hidden", "true");
    tip.hidden = true;
    box.appendChild(tip);

    var current = count - 1;
    svg.setAttribute("role", "slider");
    svg.setAttribute("tabindex", "0");
    svg.setAttribute("aria-valuemin", "1");
    svg.setAttribute("aria-valuemax", String(count));
    svg.setAttribute("aria-orientation", "horizontal");

    function show(index) {
      current = Math.max(0, Math.min(count - 1, index));
      var text = label(current);
      svg.setAttribute("aria-valuenow", String(current + 1));
      svg.setAttribute("aria-valuetext", text);
      pick.setAttribute("x", String(current));
      pick.style.display = "";
      tip.textContent = text;
      tip.hidden = false;
      var width = box.clientWidth;
      var centre = ((current + 0.5) / count) * width;
      var left = Math.max(0, Math.min(width - tip.offsetWidth, centre - tip.offsetWidth / 2));
      tip.style.left = left + "px";
    }

    function hide() {
      if (document.activeElement === svg) return;
      pick.style.display = "none";
      tip.hidden = true;
    }

    show(current);
    hide();
    svg.addEventListener("pointermove", function (event) {
      var rect = svg.getBoundingClientRect();
      show(Math.floor(((event.clientX - rect.left) / rect.width) * count));
    });
    svg.addEventListener("pointerleave", hide);
    svg.addEventListener("focus", function () { show(current); });
    svg.addEventListener("blur", function () { pick.style.display = "none"; tip.hidden = true; });
    svg.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -7, PageUp: 7 };
      if (event.key === "Home") show(0);
      else if (event.key === "End") show(count - 1);
      else if (moves[event.key]) show(current + moves[event.key]);
      else return;
      event.preventDefault();
    });
  }

  function start() {
    var bars = document.querySelectorAll("svg.bars[data-first]");
    // The page's related notices, read once for all its components (hundreds on a big page).
    var table = document.getElementById("uptime-notices");
    var names = table ? JSON.parse(table.textContent) : [];
    for (var i = 0; i < bars.length; i++) enhance(bars[i], names);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
