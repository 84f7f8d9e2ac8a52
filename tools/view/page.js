/*
 * weft view: draws the data of the <script id="weft-data"> element (see
 * tools/view_data.h for its shape): a canvas timeline with one lane per
 * rank and thread, the causal tree, the details of the selected action
 * and a search box.  Every text from the log goes through textContent or
 * canvas fillText, never through innerHTML.  window.weftView exposes the
 * page's state for the tests (tests/view/).
 */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('weft-data').textContent);
  var N = D.nodes, LANES = D.lanes, TYPES = D.types, AGG = D.agg;
  var STATUS = ['message', 'succeeded', 'failed', 'unfinished'];
  var STATUS_COLOUR = ['#78909c', '#43a047', '#e53935', '#fb8c00'];
  var GUTTER = 150, AXIS = 26, ROW = 18, PAD = 5;
  var originMs = Number(D.origin) / 1e6;

  /* ---- derived structure ------------------------------------------- */
  var kids = N.map(function () { return []; });
  var depth = new Int32Array(N.length); /* row inside its lane */
  var laneNodes = LANES.map(function () { return []; });
  /* two rows at least: the lane's label and its host */
  var laneRows = LANES.map(function (l) { return l.host ? 2 : 1; });
  var laneAgg = LANES.map(function () { return []; });
  var tMin = Infinity, tMax = -Infinity;
  N.forEach(function (n, i) {
    if (n.p >= 0) kids[n.p].push(i);
    /* parents come first, so their depth is known */
    depth[i] = n.p >= 0 && N[n.p].l === n.l ? depth[n.p] + 1 : 0;
    laneNodes[n.l].push(i);
    laneRows[n.l] = Math.max(laneRows[n.l], depth[i] + 1);
    tMin = Math.min(tMin, n.b);
    tMax = Math.max(tMax, n.e);
  });
  AGG.forEach(function (a, k) {
    laneAgg[a[0]].push(k);
    tMin = Math.min(tMin, a[3]);
    tMax = Math.max(tMax, a[4]);
  });
  if (!isFinite(tMin)) { tMin = 0; tMax = 1000; }
  var threadsOfRank = {};
  LANES.forEach(function (l) {
    var k = l.file + ':' + l.rank;
    threadsOfRank[k] = (threadsOfRank[k] || 0) + 1;
  });
  function laneLabel(l) {
    var L = LANES[l], s = (D.files.length > 1 ? 'file ' + L.file + ' ' : '') +
      'rank ' + L.rank;
    if (threadsOfRank[L.file + ':' + L.rank] > 1) s += ' · thread ' + L.thread;
    return s;
  }
  var laneTop = [], totalHeight = AXIS;
  LANES.forEach(function (l, k) {
    laneTop[k] = totalHeight;
    totalHeight += laneHeight(k);
  });
  /* the lane's rows of nested actions, then one row per summary bar */
  function laneHeight(k) {
    return (laneRows[k] + laneAgg[k].length) * ROW + 2 * PAD;
  }

  /* ---- formatting -------------------------------------------------- */
  function fmtDur(ns) {
    var a = Math.abs(ns), s = ns < 0 ? '-' : '';
    if (a < 1e3) return s + Math.round(a) + 'ns';
    if (a < 1e6) return s + (a / 1e3).toPrecision(3) + 'µs';
    if (a < 1e9) return s + (a / 1e6).toPrecision(3) + 'ms';
    if (a < 60e9) return s + (a / 1e9).toPrecision(3) + 's';
    var m = Math.floor(a / 60e9);
    return s + m + 'm' + String(Math.floor((a - m * 60e9) / 1e9)).padStart(2, '0') + 's';
  }
  function fmtWall(ns) {
    var d = new Date(originMs + ns / 1e6);
    return isNaN(d) ? String(ns) : d.toISOString().replace('T', ' ');
  }
  function valueText(v) {
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  function fieldsInline(f, limit) {
    if (!f) return '';
    var s = Object.keys(f).map(function (k) {
      return k + ': ' + valueText(f[k]);
    }).join(', ');
    return s.length > limit ? s.slice(0, limit) + '…' : s;
  }
  function typeName(i) { return TYPES[N[i].t]; }
  function elapsed(i) { return N[i].e - N[i].b; }

  /* ---- colours ----------------------------------------------------- */
  var typeColour = {};
  function colourOfType(t) {
    if (!(t in typeColour)) {
      var h = 2166136261, s = TYPES[t];
      for (var k = 0; k < s.length; k++) {
        h ^= s.charCodeAt(k);
        h = Math.imul(h, 16777619) >>> 0;
      }
      typeColour[t] = 'hsl(' + (h % 360) + ',58%,' + (55 + (h >> 9) % 15) + '%)';
    }
    return typeColour[t];
  }
  var colourMode = 'type';
  function colourOf(i) {
    var n = N[i];
    return colourMode === 'status' ? STATUS_COLOUR[n.s] : colourOfType(n.t);
  }

  /* ---- state ------------------------------------------------------- */
  var view = { t0: 0, t1: 1, vy: 0 };
  var sel = -1, selAgg = -1, matchSet = null, matchList = [], matchPos = -1;
  var stats = { drawn: 0, links: 0, messages: 0, agg: 0 };
  function fit() {
    var span = Math.max(tMax - tMin, 1000);
    view.t0 = tMin - span * 0.02;
    view.t1 = tMax + span * 0.02;
  }
  fit();

  /* ---- timeline ---------------------------------------------------- */
  var canvas = document.getElementById('canvas');
  var ctx = canvas.getContext('2d');
  var W = 0, H = 0;
  function plotW() { return Math.max(W - GUTTER, 10); }
  function X(t) { return GUTTER + (t - view.t0) / (view.t1 - view.t0) * plotW(); }
  function T(x) { return view.t0 + (x - GUTTER) / plotW() * (view.t1 - view.t0); }
  function rowY(i) { return laneTop[N[i].l] - view.vy + PAD + depth[i] * ROW; }
  function aggY(l, k) {
    return laneTop[l] - view.vy + PAD + (laneRows[l] + k) * ROW;
  }

  function niceStep(span, n) {
    var raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  var hatch = null;
  function hatchPattern() {
    if (hatch) return hatch;
    var c = document.createElement('canvas');
    c.width = c.height = 8;
    var g = c.getContext('2d');
    g.fillStyle = '#cfd8dc';
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = '#90a4ae';
    g.beginPath();
    g.moveTo(0, 8); g.lineTo(8, 0);
    g.stroke();
    hatch = ctx.createPattern(c, 'repeat');
    return hatch;
  }
  function label(text, x, y, w) {
    var max = Math.floor((w - 6) / 6.5);
    if (max < 2) return;
    ctx.fillText(text.length > max ? text.slice(0, max - 1) + '…' : text, x + 3, y);
  }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    W = canvas.clientWidth; H = canvas.clientHeight;
    if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    stats = { drawn: 0, links: 0, messages: 0, agg: 0 };
    /* lane backgrounds */
    LANES.forEach(function (l, k) {
      var y = laneTop[k] - view.vy;
      ctx.fillStyle = k % 2 ? '#f3f5f7' : '#ffffff';
      ctx.fillRect(GUTTER, y, W - GUTTER, laneHeight(k));
    });
    /* time grid */
    var step = niceStep(view.t1 - view.t0, Math.max(2, plotW() / 110));
    ctx.strokeStyle = '#e3e7ea';
    ctx.lineWidth = 1;
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var gx = Math.round(X(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(gx, AXIS); ctx.lineTo(gx, H); ctx.stroke();
    }
    /* actions and messages */
    var dim = matchSet !== null;
    for (var l = 0; l < LANES.length; l++) {
      var ly = laneTop[l] - view.vy;
      if (ly > H || ly + laneHeight(l) < AXIS) continue;
      var list = laneNodes[l], last = {}, alpha = -1, fill = '';
      for (var k = 0; k < list.length; k++) {
        var i = list[k], n = N[i];
        if (n.e < view.t0 || n.b > view.t1) continue;
        stats.drawn++;
        var y = rowY(i), x0 = X(n.b), a = dim && !matchSet[i] ? 0.22 : 1;
        /* zoomed out, thousands of actions share a pixel: paint the
         * pixel once (per row, kind and dimming) */
        var px = Math.floor(x0), key = depth[i] * 4 + n.k * 2 + (a < 1 ? 1 : 0);
        if (n.e - n.b < (view.t1 - view.t0) / plotW() && last[key] === px &&
            i !== sel) continue;
        last[key] = px;
        if (a !== alpha) ctx.globalAlpha = alpha = a;
        var c = colourOf(i);
        if (c !== fill) ctx.fillStyle = fill = c;
        if (n.k === 1) {
          var x1 = X(n.e), xa = Math.max(x0, GUTTER - 2), w = Math.max(1, Math.min(x1, W + 2) - xa);
          ctx.fillRect(xa, y + 1, w, ROW - 2);
          if (n.s === 3) { /* unfinished: open right end */
            ctx.fillStyle = fill = 'rgba(255,255,255,0.55)';
            ctx.fillRect(xa + w - Math.min(6, w / 2), y + 1, Math.min(6, w / 2), ROW - 2);
          }
          if (w > 24) {
            ctx.fillStyle = fill = '#111';
            label(typeName(i), xa, y + ROW / 2, w);
          }
        } else {
          ctx.beginPath();
          ctx.moveTo(x0, y + 3); ctx.lineTo(x0 + 4, y + ROW / 2);
          ctx.lineTo(x0, y + ROW - 3); ctx.lineTo(x0 - 4, y + ROW / 2);
          ctx.closePath(); ctx.fill();
        }
      }
      /* summary bars of what was left out */
      laneAgg[l].forEach(function (a, row) {
        var g = AGG[a], ax0 = Math.max(X(g[3]), GUTTER), ax1 = Math.min(X(g[4]), W);
        if (ax1 < GUTTER || ax0 > W) return;
        var aw = Math.max(2, ax1 - ax0), ay = aggY(l, row);
        ctx.globalAlpha = 1;
        ctx.fillStyle = hatchPattern();
        ctx.fillRect(ax0, ay + 1, aw, ROW - 2);
        ctx.strokeStyle = selAgg === a ? '#000' : '#78909c';
        ctx.strokeRect(ax0 + 0.5, ay + 1.5, aw - 1, ROW - 3);
        ctx.fillStyle = '#263238';
        label(aggText(g), ax0, ay + ROW / 2, aw);
        stats.agg++;
      });
    }
    ctx.globalAlpha = 1;
    /* cross-rank links: a continued context, from the parent to the child */
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = 'rgba(55,71,79,0.75)';
    ctx.setLineDash([4, 3]);
    N.forEach(function (n, i) {
      if (n.p < 0 || N[n.p].l === n.l) return;
      var p = N[n.p], tx = X(n.b), fx = X(Math.min(Math.max(n.b, p.b), p.e));
      if (Math.max(tx, fx) < GUTTER || Math.min(tx, fx) > W) return;
      link(fx, rowY(n.p) + ROW / 2, tx, rowY(i) + ROW / 2);
      stats.links++;
    });
    ctx.setLineDash([]);
    ctx.strokeStyle = 'rgba(21,101,192,0.85)';
    /* from the send's start to the arrival: a receipt message, or the end
     * of a receiving call that is its own receipt (MPI_Recv naming its
     * source and tag) */
    D.messages.forEach(function (m) {
      var s = N[m[0]], r = N[m[1]], fx = X(s.b), tx = X(r.k === 1 ? r.e : r.b);
      if (Math.max(tx, fx) < GUTTER || Math.min(tx, fx) > W) return;
      link(fx, rowY(m[0]) + ROW / 2, tx, rowY(m[1]) + ROW / 2);
      stats.messages++;
    });
    /* the selection on top */
    if (sel >= 0) {
      var sn = N[sel], sy = rowY(sel), sx0 = X(sn.b);
      var sx1 = sn.k === 1 ? Math.max(X(sn.e), sx0 + 1) : sx0 + 4;
      if (sn.k !== 1) sx0 -= 4;
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = '#000';
      ctx.strokeRect(sx0 - 1, sy, sx1 - sx0 + 2, ROW);
      ctx.lineWidth = 1;
    }
    /* gutter with lane labels, and the axis */
    ctx.fillStyle = '#eceff1';
    ctx.fillRect(0, AXIS, GUTTER, H - AXIS);
    ctx.fillStyle = '#263238';
    LANES.forEach(function (L, k) {
      var y = laneTop[k] - view.vy;
      if (y + laneHeight(k) < AXIS || y > H) return;
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.fillText(laneLabel(k), 8, y + PAD + ROW / 2);
      if (L.host) {
        ctx.font = '11px system-ui, sans-serif';
        ctx.fillStyle = '#607d8b';
        ctx.fillText(L.host.slice(0, 22), 8, y + PAD + ROW * 1.5);
        ctx.fillStyle = '#263238';
      }
      ctx.strokeStyle = '#cfd8dc';
      ctx.beginPath(); ctx.moveTo(0, y + laneHeight(k) + 0.5);
      ctx.lineTo(W, y + laneHeight(k) + 0.5); ctx.stroke();
    });
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, AXIS);
    ctx.fillStyle = '#37474f';
    for (t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var ax = X(t);
      if (ax < GUTTER) continue;
      ctx.fillRect(Math.round(ax), AXIS - 6, 1, 6);
      ctx.fillText('+' + fmtDur(t - tMin), ax + 3, AXIS / 2);
    }
    ctx.fillText('time since the first event', 8, AXIS / 2);
    ctx.strokeStyle = '#b0bec5';
    ctx.beginPath(); ctx.moveTo(0, AXIS - 0.5); ctx.lineTo(W, AXIS - 0.5); ctx.stroke();
  }
  function aggText(g) {
    return g[2] + '× ' + TYPES[g[1]] + (g[5] > 0 ? ' Σ ' + fmtDur(g[5]) : '');
  }
  function link(x0, y0, x1, y1) {
    var my = (y0 + y1) / 2;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(x0, my, x1, my, x1, y1);
    ctx.stroke();
    /* arrow head at the end */
    var dir = y1 >= y0 ? 1 : -1;
    ctx.beginPath();
    ctx.moveTo(x1, y1); ctx.lineTo(x1 - 3, y1 - 5 * dir);
    ctx.moveTo(x1, y1); ctx.lineTo(x1 + 3, y1 - 5 * dir);
    ctx.stroke();
  }
  var pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(); });
  }

  /* what is under (x, y): {node} or {agg} or null */
  function hit(x, y) {
    if (x < GUTTER || y < AXIS) return null;
    var t = T(x), tol = 4 * (view.t1 - view.t0) / plotW();
    for (var l = 0; l < LANES.length; l++) {
      var top = laneTop[l] - view.vy;
      if (y < top || y >= top + laneHeight(l)) continue;
      var row = Math.floor((y - top - PAD) / ROW);
      if (row >= laneRows[l]) {
        var a = laneAgg[l][row - laneRows[l]];
        return a !== undefined && t >= AGG[a][3] - tol && t <= AGG[a][4] + tol
          ? { agg: a } : null;
      }
      var best = -1, bestD = Infinity;
      laneNodes[l].forEach(function (i) {
        if (depth[i] !== row) return;
        var n = N[i];
        var d = t < n.b ? n.b - t : t > n.e ? t - n.e : 0;
        if (n.k !== 1) d = Math.abs(t - n.b);
        if (d <= tol && (d < bestD || (d === bestD && n.k !== 1))) { best = i; bestD = d; }
      });
      return best >= 0 ? { node: best } : null;
    }
    return null;
  }

  var drag = null;
  canvas.addEventListener('mousedown', function (e) {
    drag = { x: e.clientX, y: e.clientY, t0: view.t0, t1: view.t1, vy: view.vy, moved: false };
  });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (!drag.moved) return;
    var dt = dx / plotW() * (drag.t1 - drag.t0);
    view.t0 = drag.t0 - dt; view.t1 = drag.t1 - dt;
    view.vy = clampVy(drag.vy - dy);
    redraw();
  });
  window.addEventListener('mouseup', function (e) {
    if (!drag) return;
    var d = drag;
    drag = null;
    if (d.moved) return;
    var r = canvas.getBoundingClientRect();
    var h = hit(e.clientX - r.left, e.clientY - r.top);
    if (h && h.agg !== undefined) selectAgg(h.agg);
    else if (h) select(h.node, 'timeline');
  });
  function clampVy(v) {
    return Math.max(0, Math.min(v, Math.max(0, totalHeight - H + 20)));
  }
  canvas.addEventListener('wheel', function (e) {
    e.preventDefault();
    if (e.shiftKey) {
      view.vy = clampVy(view.vy + (e.deltaY || e.deltaX));
    } else {
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left;
      var t = T(Math.max(x, GUTTER)), f = Math.exp(e.deltaY * 0.0015);
      var span = Math.max((view.t1 - view.t0) * f, 50);
      view.t0 = t - (t - view.t0) * span / (view.t1 - view.t0);
      view.t1 = view.t0 + span;
    }
    redraw();
  }, { passive: false });
  window.addEventListener('keydown', function (e) {
    if (e.target.tagName === 'INPUT') return;
    var c = (view.t0 + view.t1) / 2, s = view.t1 - view.t0;
    if (e.key === '0') fit();
    else if (e.key === '+' || e.key === '=') { view.t0 = c - s / 4; view.t1 = c + s / 4; }
    else if (e.key === '-') { view.t0 = c - s; view.t1 = c + s; }
    else return;
    redraw();
  });
  window.addEventListener('resize', redraw);
  document.getElementById('fit').addEventListener('click', function () {
    fit(); view.vy = 0; redraw();
  });
  document.getElementById('colour').addEventListener('change', function (e) {
    colourMode = e.target.value; legend(); redraw();
  });

  /* bring node i into the timeline's view, wide enough to click */
  function showInTimeline(i) {
    var n = N[i], s = view.t1 - view.t0, w = Math.max(n.e - n.b, 0);
    if (w > s * 0.9 || (n.k === 1 && w / s * plotW() < 6)) {
      s = Math.max(w / 0.5, 2000);
    }
    if (n.b < view.t0 || n.e > view.t1 || s !== view.t1 - view.t0) {
      view.t0 = (n.b + n.e) / 2 - s / 2;
      view.t1 = view.t0 + s;
    }
    var y = laneTop[n.l] + PAD + depth[i] * ROW;
    if (y - view.vy < AXIS || y - view.vy + ROW > H) view.vy = clampVy(y - H / 2);
  }

  /* ---- tree -------------------------------------------------------- */
  var treeEl = document.getElementById('tree');
  var rowEl = new Array(N.length), kidsEl = new Array(N.length);
  function rankText(i) {
    var n = N[i], L = LANES[n.l];
    if (n.p >= 0) {
      var P = LANES[N[n.p].l];
      if (P.rank === L.rank && P.file === L.file) {
        return P.thread === L.thread ? '' : '[thread ' + L.thread + ']';
      }
    }
    return '[' + laneLabel(n.l).replace(' · ', ' ') + ']';
  }
  function span(cls, text) {
    var s = document.createElement('span');
    s.className = cls;
    s.textContent = text;
    return s;
  }
  function makeNode(i, level) {
    var n = N[i], wrap = document.createElement('div');
    var row = document.createElement('div');
    row.className = 'row';
    row.setAttribute('role', 'treeitem');
    row.dataset.i = i;
    row.style.paddingLeft = (6 + level * 14) + 'px';
    var open = kids[i].length > 0 || n.h;
    row.appendChild(span('tog', open ? '▸' : ' '));
    row.appendChild(span('ty', typeName(i)));
    var rk = rankText(i);
    if (rk) row.appendChild(span('rk', ' ' + rk));
    var f = fieldsInline(n.f, 70);
    if (f) row.appendChild(span('in', ' (' + f + ')'));
    if (n.k === 1) {
      row.appendChild(span('st-' + n.s, ' ⇒ ' + STATUS[n.s]));
      if (!(n.x & 1))
        row.appendChild(span('el', ' · ' + (n.s === 3 ? '≥' : '') + fmtDur(elapsed(i))));
    }
    if (matchSet && matchSet[i]) row.classList.add('match');
    if (i === sel) row.classList.add('selected');
    rowEl[i] = row;
    wrap.appendChild(row);
    var k = document.createElement('div');
    k.hidden = true;
    kidsEl[i] = k;
    k.dataset.level = level + 1;
    wrap.appendChild(k);
    return wrap;
  }
  function expand(i, on) {
    var k = kidsEl[i];
    if (!k || (!kids[i].length && !N[i].h)) return;
    if (on && !k.firstChild) {
      var lv = Number(k.dataset.level);
      kids[i].forEach(function (c) { k.appendChild(makeNode(c, lv)); });
      if (N[i].h) {
        var more = document.createElement('div');
        more.className = 'more';
        more.style.paddingLeft = (6 + lv * 14) + 'px';
        more.textContent = '… ' + N[i].h + ' more left out (summed in the timeline)';
        k.appendChild(more);
      }
    }
    k.hidden = !on;
    rowEl[i].firstChild.textContent = on ? '▾' : '▸';
  }
  /* Roots are added to the tree TREE_PAGE at a time (a log may hold a
   * million tasks); the first few open two levels deep. */
  var TREE_PAGE = 500, roots = [], shownRoots = 0, lastTask = -1, moreEl = null;
  N.forEach(function (n, i) { if (n.p < 0) roots.push(i); });
  function showRoots(upto) {
    if (moreEl) { moreEl.remove(); moreEl = null; }
    for (; shownRoots < Math.min(upto, roots.length); shownRoots++) {
      var i = roots[shownRoots], n = N[i];
      if (n.T !== lastTask) {
        lastTask = n.T;
        var h = document.createElement('div');
        h.className = 'task';
        h.textContent = 'task ' + D.tasks[n.T];
        treeEl.appendChild(h);
      }
      treeEl.appendChild(makeNode(i, 0));
      if (shownRoots < 20) {
        expand(i, true);
        kids[i].forEach(function (c) { if (kids[c].length < 50) expand(c, true); });
      }
    }
    if (shownRoots < roots.length) {
      moreEl = document.createElement('div');
      moreEl.className = 'row more';
      moreEl.textContent = '… ' + (roots.length - shownRoots) + ' more roots: show ' +
        Math.min(TREE_PAGE, roots.length - shownRoots) + ' more';
      moreEl.addEventListener('click', function () { showRoots(shownRoots + TREE_PAGE); });
      treeEl.appendChild(moreEl);
    }
  }
  function buildTree() { showRoots(TREE_PAGE); }
  treeEl.addEventListener('click', function (e) {
    var row = e.target.closest('.row');
    if (!row || row.dataset.i === undefined) return;
    var i = Number(row.dataset.i);
    if (e.target.classList.contains('tog')) {
      expand(i, kidsEl[i].hidden);
      return;
    }
    select(i, 'tree');
  });
  treeEl.addEventListener('dblclick', function (e) {
    var row = e.target.closest('.row');
    if (row && row.dataset.i !== undefined) expand(Number(row.dataset.i), kidsEl[Number(row.dataset.i)].hidden);
  });
  function reveal(i) {
    var chain = [], root = i;
    for (var p = N[i].p; p >= 0; p = N[p].p) { chain.push(p); root = p; }
    if (!rowEl[root]) showRoots(roots.indexOf(root) + 1);
    for (var k = chain.length - 1; k >= 0; k--) expand(chain[k], true);
    return rowEl[i];
  }

  /* ---- details ----------------------------------------------------- */
  var detailsEl = document.getElementById('details');
  function details(rows, title) {
    detailsEl.textContent = '';
    var h = document.createElement('h2');
    h.textContent = title;
    detailsEl.appendChild(h);
    var tb = document.createElement('table');
    rows.forEach(function (r) {
      var tr = document.createElement('tr'), th = document.createElement('th');
      th.textContent = r[0];
      tr.appendChild(th);
      if (r.length > 1) {
        var td = document.createElement('td');
        td.textContent = r[1];
        tr.appendChild(td);
      } else {
        tr.className = 'sec';
        th.colSpan = 2;
      }
      tb.appendChild(tr);
    });
    detailsEl.appendChild(tb);
  }
  function showNode(i) {
    var n = N[i], L = LANES[n.l], rows = [];
    rows.push([n.k === 1 ? 'status' : 'kind', n.k === 1 ? STATUS[n.s] : 'message']);
    rows.push(['rank', String(L.rank) + (threadsOfRank[L.file + ':' + L.rank] > 1 ? ' thread ' + L.thread : '') + (L.host ? ' on ' + L.host : '')]);
    if (D.files.length > 1) rows.push(['file', D.files[L.file]]);
    rows.push(['task', D.tasks[n.T] + ' ' + n.L]);
    rows.push(['start', fmtWall(n.b)]);
    if (n.k === 1) rows.push(['elapsed', (n.s === 3 ? '≥ ' : '') + fmtDur(elapsed(i)) + (n.s === 3 ? ' (unfinished: to its last event)' : '')]);
    if (n.f) {
      rows.push([n.k === 1 ? 'fields' : 'message fields']);
      Object.keys(n.f).forEach(function (k) { rows.push([k, valueText(n.f[k])]); });
    }
    if (n.r) {
      rows.push(['results']);
      Object.keys(n.r).forEach(function (k) { rows.push([k, valueText(n.r[k])]); });
    }
    if (n.s === 2) {
      rows.push(['failure']);
      rows.push(['reason', n.why === null ? '(none)' : valueText(n.why)]);
      rows.push(['code', String(n.code)]);
    }
    if (n.p >= 0) rows.push(['parent', typeName(n.p) + ' on ' + laneLabel(N[n.p].l)]);
    if (kids[i].length) rows.push(['children', String(kids[i].length)]);
    if (n.h) rows.push(['left out', n.h + ' children (too many for the page)']);
    if (n.x & 1) rows.push(['note', 'start not recorded']);
    if (n.x & 2) rows.push(['note', 'continues a context whose action is missing']);
    details(rows, typeName(i));
  }
  function selectAgg(a) {
    var g = AGG[a];
    sel = -1; selAgg = a;
    setTreeSelection(-1);
    details([['lane', laneLabel(g[0])], ['left out', g[2] + ' nodes'],
             ['total elapsed', fmtDur(g[5])],
             ['from', fmtWall(g[3])], ['to', fmtWall(g[4])]],
            TYPES[g[1]] + ' (summary)');
    redraw();
  }
  var treeSel = -1;
  function setTreeSelection(i) {
    if (treeSel >= 0 && rowEl[treeSel]) rowEl[treeSel].classList.remove('selected');
    treeSel = i;
    if (i >= 0) {
      var r = reveal(i);
      r.classList.add('selected');
      r.scrollIntoView({ block: 'nearest' });
    }
  }
  function select(i, from) {
    sel = i; selAgg = -1;
    showNode(i);
    setTreeSelection(i);
    if (from !== 'timeline') showInTimeline(i);
    redraw();
  }

  /* ---- search ------------------------------------------------------ */
  var searchText = null;
  function haystack(i) {
    var n = N[i];
    return (typeName(i) + ' ' + fieldsInline(n.f, 1e9) + ' ' + fieldsInline(n.r, 1e9) +
            ' ' + (n.why ? valueText(n.why) : '') + ' ' + STATUS[n.s]).toLowerCase();
  }
  var searchEl = document.getElementById('search'), matchesEl = document.getElementById('matches');
  function search(q) {
    q = q.trim().toLowerCase();
    matchList.forEach(function (i) { if (rowEl[i]) rowEl[i].classList.remove('match'); });
    matchPos = -1;
    if (!q) { matchSet = null; matchList = []; matchesEl.textContent = ''; redraw(); return; }
    if (!searchText) searchText = N.map(function (n, i) { return haystack(i); });
    matchSet = new Uint8Array(N.length);
    matchList = [];
    searchText.forEach(function (s, i) {
      if (s.indexOf(q) >= 0) { matchSet[i] = 1; matchList.push(i); }
    });
    matchList.forEach(function (i) { if (rowEl[i]) rowEl[i].classList.add('match'); });
    matchesEl.textContent = matchList.length + (matchList.length === 1 ? ' match' : ' matches');
    redraw();
  }
  searchEl.addEventListener('input', function () { search(searchEl.value); });
  searchEl.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || !matchList.length) return;
    matchPos = (matchPos + (e.shiftKey ? matchList.length - 1 : 1)) % matchList.length;
    select(matchList[matchPos], 'search');
    matchesEl.textContent = (matchPos + 1) + ' of ' + matchList.length;
  });

  /* ---- header, banner, legend ---------------------------------------- */
  function legend() {
    var el = document.getElementById('legend');
    el.textContent = '';
    var items = [];
    if (colourMode === 'status') {
      STATUS.forEach(function (s, k) { items.push([STATUS_COLOUR[k], s]); });
    } else {
      var count = {};
      N.forEach(function (n) { count[n.t] = (count[n.t] || 0) + 1; });
      Object.keys(count).sort(function (a, b) { return count[b] - count[a]; })
        .slice(0, 14).forEach(function (t) { items.push([colourOfType(t), TYPES[t]]); });
    }
    items.forEach(function (it) {
      var sw = document.createElement('span');
      sw.className = 'sw';
      sw.style.background = it[0];
      el.appendChild(sw);
      el.appendChild(document.createTextNode(it[1]));
    });
    var note = document.createElement('span');
    note.style.marginLeft = '18px';
    note.style.color = '#607d8b';
    note.textContent = '- - ▸ work continued on another rank or thread' +
      (D.messages.length ? '   — ▸ MPI message' : '');
    el.appendChild(note);
  }
  var name = D.files.join(', ');
  document.title = 'weft view: ' + name;
  document.getElementById('title').textContent = 'weft view: ' + name;
  var ranks = {};
  LANES.forEach(function (l) { ranks[l.file + ':' + l.rank] = 1; });
  document.getElementById('stats').textContent = Object.keys(ranks).length + ' ranks, ' +
    LANES.length + ' lanes, ' + D.tasks.length + ' tasks, ' + D.total + ' actions and messages, ' +
    fmtDur(tMax - tMin);
  if (D.aggregated) {
    var b = document.getElementById('banner');
    b.hidden = false;
    b.textContent = 'This log has ' + D.total + ' actions and messages, more than a page can ' +
      'show (' + D.max + '): the ' + D.shown + ' shown are the slowest actions with their ' +
      'ancestors; the other ' + (D.total - D.shown) + ' are summed per rank and type in the ' +
      'hatched bars.  weft view --max-nodes changes the limit.';
  }
  buildTree();
  legend();
  draw();

  /* ---- for tests and scripting --------------------------------------- */
  window.weftView = {
    data: D,
    lanes: function () { return LANES.map(function (l, k) { return laneLabel(k); }); },
    stats: function () { draw(); return stats; },
    selected: function () { return sel; },
    treeSelected: function () { return treeSel; },
    select: function (i) { select(i, 'api'); draw(); },
    /* client coordinates of the middle of node i, scrolled into view */
    pointOf: function (i) {
      showInTimeline(i);
      draw();
      var r = canvas.getBoundingClientRect(), n = N[i];
      var x0 = Math.max(X(n.b), GUTTER), x1 = n.k === 1 ? Math.min(X(n.e), W) : x0;
      return { x: r.left + (x0 + x1) / 2, y: r.top + rowY(i) + ROW / 2 };
    },
    rowOf: function (i) { return reveal(i); },
    /* the time (ns from the origin) under client x in the timeline */
    timeAt: function (x) {
      var r = canvas.getBoundingClientRect();
      return T(Math.max(x - r.left, GUTTER));
    },
    matches: function () { return matchList.slice(); },
    view: view
  };
})();
