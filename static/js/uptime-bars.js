// Optional: point at or arrow through a component's day bars and read each day's label. The
// bars are one SVG with a path per status; the list under them already says every day with
// issues in words, so the page is complete without this script. Each SVG becomes a slider
// (one tab stop; arrows, Home, End, Page Up/Down) whose value text is the picked day's label.
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var SVG = "http://www.w3.org/2000/svg";

  function dayText(first, index) {
    var day = new Date(first + index * 86400000);
    return day.getUTCDate() + " " + MONTHS[day.getUTCMonth()] + " " + day.getUTCFullYear();
  }

  // The class of each day, read back from the paths' "M<first day> .5h<days>" segments.
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

  function enhance(svg) {
    var box = svg.parentNode;
    var count = svg.viewBox.baseVal.width;
    var first = Date.parse(svg.getAttribute("data-first") + "T00:00:00Z");
    if (!count || isNaN(first)) return;
    var codes = classes(svg, count);
    var told = {};
    var items = box.querySelectorAll(".uptime-days li[data-i]");
    for (var i = 0; i < items.length; i++) told[items[i].getAttribute("data-i")] = items[i].textContent;

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
    for (var i = 0; i < bars.length; i++) enhance(bars[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
