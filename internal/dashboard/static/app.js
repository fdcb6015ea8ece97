// AgentOps dashboard: a little plain JavaScript. Everything shown comes
// from the server already escaped; this file only moves it around.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  var sel = document.getElementById("project-select");
  if (sel) sel.addEventListener("change", function () { sel.form.submit(); });
  initSessions();
  initWaterfall();
  // A terminal log opens at its end, as a terminal shows it.
  document.querySelectorAll("pre.log-text").forEach(function (pre) { pre.scrollTop = pre.scrollHeight; });
});

// Sessions: rows of running sessions refresh every 5 s.
function initSessions() {
  var table = document.getElementById("sessions-table");
  if (!table || !table.dataset.live) return;
  var timer = setInterval(function () {
    fetch(location.href, { headers: { "X-Fragment": "rows" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        document.getElementById("session-rows").innerHTML = html;
        if (!document.querySelector("#session-rows tr.live")) clearInterval(timer);
      })
      .catch(function () { clearInterval(timer); });
  }, 5000);
}

function initWaterfall() {
  var wf = document.getElementById("waterfall");
  if (!wf) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("#wf-rows .wf-row"));
  var session = wf.dataset.session;
  var project = wf.dataset.project;

  function depth(row) { return parseInt(row.dataset.depth, 10); }
  // Show or hide the rows under each collapsed row.
  function apply() {
    var hideBelow = -1;
    rows.forEach(function (row) {
      var d = depth(row);
      if (hideBelow >= 0 && d > hideBelow) { row.classList.add("hidden"); return; }
      hideBelow = -1;
      row.classList.remove("hidden");
      if (row.classList.contains("collapsed")) hideBelow = d;
    });
  }
  function select(row) {
    rows.forEach(function (r) { r.classList.remove("sel"); });
    row.classList.add("sel");
    var id = row.dataset.span;
    history.replaceState(null, "", "#span-" + id);
    var detail = document.getElementById("detail");
    var url = "/sessions/" + encodeURIComponent(session) + "/spans/" + encodeURIComponent(id) + "?project=" + encodeURIComponent(project);
    fetch(url, { headers: { "X-Fragment": "span" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      // The fragment is server-rendered html/template output: escaped.
      .then(function (html) { detail.innerHTML = html; })
      .catch(function (status) { detail.textContent = "Could not load the span (" + status + "). Reload the page or log in again."; });
  }
  wf.addEventListener("click", function (e) {
    var row = e.target.closest(".wf-row");
    if (!row) return;
    if (e.target.closest(".tog")) { row.classList.toggle("collapsed"); apply(); return; }
    select(row);
  });
  wf.addEventListener("keydown", function (e) {
    var row = e.target.closest(".wf-row");
    if (row && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(row); }
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    rows.forEach(function (r) { if (r.querySelector(".tog") && depth(r) > 0) r.classList.add("collapsed"); });
    apply();
  });
  document.getElementById("expand-all").addEventListener("click", function () {
    rows.forEach(function (r) { r.classList.remove("collapsed"); });
    apply();
  });
  var m = /^#span-([0-9a-f]{16})$/.exec(location.hash);
  var first = m && document.querySelector('.wf-row[data-span="' + m[1] + '"]');
  if (first) { select(first); first.scrollIntoView({ block: "center" }); }

  var head = document.getElementById("session-head");
  if (head && head.dataset.live) setTimeout(function () { location.reload(); }, 5000);
}
