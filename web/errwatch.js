/*
 * errwatch-web's page script (SPEC §14). The tables come rendered from
 * the server; this script adds the chart (dygraphs, from the JSON API's
 * series) and, every data-refresh ms, fetches the page again and swaps in
 * its sections marked "live", so a page left open keeps up without a
 * reload. It never builds markup from strings: the fetched document is
 * parsed by DOMParser (no script runs in it) and its nodes are imported.
 */
"use strict";
(function () {
  var body = document.body;
  var refresh = parseInt(body.getAttribute("data-refresh"), 10) || 5000;
  var view = body.getAttribute("data-view");
  var name = body.getAttribute("data-name");
  /* each range on the finest resolution that keeps it */
  var ranges = {
    "1h": { res: "10s", step: 10e3, ms: 3600e3 },
    "6h": { res: "1m", step: 60e3, ms: 6 * 3600e3 },
    "48h": { res: "1m", step: 60e3, ms: 48 * 3600e3 },
    "90d": { res: "1h", step: 3600e3, ms: 90 * 86400e3 }
  };
  var range = (location.hash || "#1h").slice(1);
  var graph = null;
  var chartEl = document.getElementById("chart");

  if (!ranges[range])
    range = "1h";

  function markRange() {
    var links = document.querySelectorAll("nav.ranges a");
    for (var i = 0; i < links.length; i++)
      links[i].className =
        links[i].getAttribute("data-range") === range ? "on" : "";
  }

  function drawChart() {
    if (!chartEl || typeof Dygraph === "undefined")
      return;
    var r = ranges[range];
    /* whole steps: open pages ask the same range, and share its read */
    var to = Math.ceil(Date.now() / r.step) * r.step;
    var url = "/api/v1/series?res=" + r.res + "&from=" +
      Math.floor(to - r.ms) + "&to=" + Math.floor(to);
    fetch(url, { cache: "no-store" }).then(function (resp) {
      return resp.json();
    }).then(function (s) {
      var cols = [];
      var labels = ["time"];
      for (var i = 0; i < s.classes.length; i++) {
        if (view === "class" && s.classes[i] !== name)
          continue;
        cols.push(i);
        labels.push(s.classes[i]);
      }
      var data = s.points.map(function (p) {
        var row = [new Date(p[0])];
        for (var j = 0; j < cols.length; j++)
          row.push(p[cols[j] + 1]);
        return row;
      });
      chartEl.setAttribute("data-points", String(data.length));
      chartEl.setAttribute("data-series", JSON.stringify(s.points));
      if (data.length === 0 || cols.length === 0) {
        chartEl.textContent = "No closed buckets in this range yet.";
        graph = null;
        return;
      }
      var opts = { labels: labels, stackedGraph: true, fillGraph: true,
        legend: "always", labelsUTC: true, stepPlot: true,
        ylabel: "lines per " + s.res };
      if (graph) {
        graph.updateOptions(Object.assign({ file: data }, opts));
      } else {
        chartEl.textContent = "";
        graph = new Dygraph(chartEl, data, opts);
      }
    }).catch(function () { /* the next refresh tries again */ });
  }

  function refreshLive() {
    fetch(location.pathname, { cache: "no-store" }).then(function (resp) {
      return resp.text();
    }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      var live = document.querySelectorAll(".live");
      for (var i = 0; i < live.length; i++) {
        var fresh = doc.getElementById(live[i].id);
        if (fresh)
          live[i].replaceWith(document.importNode(fresh, true));
      }
      body.setAttribute("data-updated", String(Date.now()));
    }).catch(function () { /* Redis or we are down: try again */ });
  }

  var links = document.querySelectorAll("nav.ranges a");
  for (var i = 0; i < links.length; i++) {
    links[i].addEventListener("click", function (ev) {
      ev.preventDefault();
      range = this.getAttribute("data-range");
      history.replaceState(null, "", "#" + range);
      markRange();
      drawChart();
    });
  }
  markRange();
  drawChart();
  setInterval(function () { refreshLive(); drawChart(); }, refresh);
})();
