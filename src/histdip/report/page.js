// histdip report: the viewer (divider, zoom, pan, layer), the fit's slider, the count table.
// Everything it shows is in the JSON block #report-data; it fetches nothing.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var images = DATA.images;

  document.querySelectorAll("img[data-key]").forEach(function (img) {
    if (images[img.dataset.key]) { img.src = images[img.dataset.key]; }
  });

  // ------------------------------------------------------------------ the viewer
  var viewer = document.getElementById("viewer");
  var after = document.getElementById("pane-after");
  var divider = document.getElementById("divider");
  var afterImage = document.getElementById("after-image");
  var overlay = document.getElementById("after-overlay");
  var stages = viewer.querySelectorAll(".stage");
  var zoomLabel = document.getElementById("zoom-label");
  var frames = document.querySelectorAll(".frame");
  var state = { split: 0.5, zoom: 1, tx: 0, ty: 0, layer: DATA.primary, snap: DATA.snapshots.length - 1 };
  var MAX_ZOOM = 16;

  function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }

  function apply() {
    var w = viewer.clientWidth, h = viewer.clientHeight;
    state.tx = clamp(state.tx, w - w * state.zoom, 0);
    state.ty = clamp(state.ty, h - h * state.zoom, 0);
    var t = "translate(" + state.tx + "px," + state.ty + "px) scale(" + state.zoom + ")";
    stages.forEach(function (s) { s.style.transform = t; });
    var pct = (100 * state.split).toFixed(2) + "%";
    after.style.clipPath = "inset(0 0 0 " + pct + ")";
    divider.style.left = pct;
    divider.setAttribute("aria-valuenow", Math.round(100 * state.split));
    viewer.dataset.split = state.split.toFixed(4);
    viewer.dataset.zoom = state.zoom.toFixed(3);
    viewer.classList.toggle("zoomed", state.zoom > 1.0001);
    // Past 2.5 screen pixels an image pixel, show pixels as squares rather than blur them.
    viewer.classList.toggle("pixels", state.zoom * w / DATA.display.width > 2.5);
    frames.forEach(function (f) { f.classList.toggle("pixels", f.clientWidth / DATA.display.width > 2.5); });
    zoomLabel.textContent = Math.round(100 * state.zoom) + " %";
  }

  function zoomAt(clientX, clientY, zoom) {
    var r = viewer.getBoundingClientRect();
    var px = clientX - r.left, py = clientY - r.top;
    zoom = clamp(zoom, 1, MAX_ZOOM);
    state.tx = px - (px - state.tx) * zoom / state.zoom;
    state.ty = py - (py - state.ty) * zoom / state.zoom;
    state.zoom = zoom;
    apply();
  }

  function splitAt(clientX) {
    var r = viewer.getBoundingClientRect();
    state.split = clamp((clientX - r.left) / r.width, 0, 1);
    apply();
  }

  var drag = null;
  viewer.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) { return; }
    var onDivider = divider.contains(e.target);
    drag = { mode: onDivider || state.zoom <= 1.0001 ? "divide" : "pan", x: e.clientX, y: e.clientY,
             tx: state.tx, ty: state.ty };
    viewer.setPointerCapture(e.pointerId);
    if (drag.mode === "divide" && !onDivider) { splitAt(e.clientX); }
    if (drag.mode === "pan") { viewer.classList.add("panning"); }
    e.preventDefault();
  });
  viewer.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    if (drag.mode === "divide") { splitAt(e.clientX); }
    else { state.tx = drag.tx + e.clientX - drag.x; state.ty = drag.ty + e.clientY - drag.y; apply(); }
  });
  function endDrag() { drag = null; viewer.classList.remove("panning"); }
  viewer.addEventListener("pointerup", endDrag);
  viewer.addEventListener("pointercancel", endDrag);
  viewer.addEventListener("wheel", function (e) {
    e.preventDefault();
    zoomAt(e.clientX, e.clientY, state.zoom * Math.exp(-e.deltaY * 0.0015));
  }, { passive: false });
  viewer.addEventListener("dblclick", function (e) { zoomAt(e.clientX, e.clientY, state.zoom * 2); });
  divider.addEventListener("keydown", function (e) {
    var step = { ArrowLeft: -0.02, ArrowRight: 0.02 }[e.key];
    if (step) { state.split = clamp(state.split + step, 0, 1); apply(); e.preventDefault(); }
  });
  function centre(factor) {
    var r = viewer.getBoundingClientRect();
    zoomAt(r.left + r.width / 2, r.top + r.height / 2, state.zoom * factor);
  }
  document.getElementById("zoom-in").addEventListener("click", function () { centre(1.5); });
  document.getElementById("zoom-out").addEventListener("click", function () { centre(1 / 1.5); });
  document.getElementById("zoom-reset").addEventListener("click", function () {
    state.zoom = 1; state.tx = 0; state.ty = 0; apply();
  });
  window.addEventListener("resize", apply);

  function layerOf(key) {
    if (key === "step") {
      var snap = DATA.snapshots[state.snap];
      return { key: "step", label: snap.label, uri: snap.uri, overlay: null,
               text: "The output at the step the fit's slider shows (below)." };
    }
    var layer = DATA.layers.filter(function (l) { return l.key === key; })[0];
    return { key: key, label: layer.label, uri: images[layer.image], overlay: layer.overlay ? images[layer.overlay] : null,
             text: layer.text };
  }

  function showLayer(key) {
    var layer = layerOf(key);
    state.layer = key;
    afterImage.src = layer.uri;
    if (layer.overlay) { overlay.src = layer.overlay; overlay.hidden = false; }
    else { overlay.hidden = true; overlay.removeAttribute("src"); }
    document.getElementById("after-tag").textContent = layer.label;
    document.getElementById("layer-text").textContent = layer.label + ": " + layer.text;
    viewer.dataset.layer = key;
  }
  document.querySelectorAll("input[name=layer]").forEach(function (input) {
    input.addEventListener("change", function () { if (input.checked) { showLayer(input.value); } });
  });

  // ------------------------------------------------------------------ the fit
  var slider = document.getElementById("snap-slider");
  var snapImage = document.getElementById("snap-image");
  var snapLabel = document.getElementById("snap-label");
  var charts = document.querySelectorAll("svg.chart[data-last]");

  function showSnapshot(index) {
    var snap = DATA.snapshots[index];
    state.snap = index;
    snapImage.src = snap.uri;
    snapImage.dataset.step = snap.step;
    snapImage.dataset.index = index;
    snapLabel.textContent = snap.label + "  (" + (index + 1) + " of " + DATA.snapshots.length + ")";
    snapLabel.dataset.step = snap.step;
    charts.forEach(function (svg) {
      var x0 = +svg.dataset.x0, x1 = +svg.dataset.x1, last = +svg.dataset.last;
      var x = x0 + (x1 - x0) * Math.min(snap.step / last, 1);
      var marker = svg.querySelector(".step-marker");
      marker.setAttribute("x1", x.toFixed(1));
      marker.setAttribute("x2", x.toFixed(1));
    });
    if (state.layer === "step") { showLayer("step"); }
  }

  if (slider && DATA.snapshots.length) {
    slider.addEventListener("input", function () { showSnapshot(+slider.value); });
    var timer = null, play = document.getElementById("snap-play");
    play.addEventListener("click", function () {
      if (timer) { clearInterval(timer); timer = null; play.textContent = "play"; return; }
      if (+slider.value >= DATA.snapshots.length - 1) { slider.value = 0; showSnapshot(0); }
      play.textContent = "pause";
      timer = setInterval(function () {
        var next = +slider.value + 1;
        if (next >= DATA.snapshots.length) { clearInterval(timer); timer = null; play.textContent = "play"; return; }
        slider.value = next;
        showSnapshot(next);
      }, 450);
    });
    showSnapshot(+slider.value);
  }

  // ------------------------------------------------------------------ the counts
  var countTable = document.getElementById("count-table");
  if (countTable) {
    var columns = Array.prototype.map.call(countTable.tHead.rows[0].cells, function (th) { return th.textContent; });
    var pick = document.getElementById("pick");
    var scale = DATA.display.scale;
    Array.prototype.forEach.call(countTable.tHead.rows[0].cells, function (th, col) {
      th.addEventListener("click", function () {
        var down = th.classList.contains("sorted-asc");
        var body = countTable.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent, y = b.cells[col].textContent;
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
          return down ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        countTable.querySelectorAll("th").forEach(function (h) { h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(down ? "sorted-desc" : "sorted-asc");
      });
    });
    countTable.tBodies[0].addEventListener("click", function (e) {
      var row = e.target.closest("tr");
      if (!row) { return; }
      var cell = function (name) { return parseFloat(row.cells[columns.indexOf(name)].textContent); };
      countTable.querySelectorAll("tr.picked").forEach(function (r) { r.classList.remove("picked"); });
      row.classList.add("picked");
      pick.setAttribute("cx", (cell("x") + 0.5) * scale);
      pick.setAttribute("cy", (cell("y") + 0.5) * scale);
      pick.setAttribute("r", Math.max(6, 1.8 * cell("equivalent_radius_px") * scale));
    });
  }

  showLayer(state.layer);
  apply();
}());
