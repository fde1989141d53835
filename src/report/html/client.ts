/**
 * The page's only script (inline). Without it the page still shows the summary, findings, timeline,
 * host panel and the connections drawn up front; with it the connection list can be filtered by
 * verdict, searched and sorted, and every listed connection's card and ladder is built on demand
 * from the embedded data (#toa-data) with the same functions the server uses (ESCAPE_SOURCE,
 * DRAW_SOURCE, CARD_SOURCE). It makes no network request.
 */
import { CARD_SOURCE } from './card.js';
import { ESCAPE_SOURCE } from './escape.js';
import { DRAW_SOURCE } from './ladder-draw.js';

const MAIN = String.raw`
var dataEl = document.getElementById('toa-data');
var list = document.getElementById('conn-list');
if (dataEl && list) {
  var D = JSON.parse(dataEl.textContent);
  var looks = D.looks, entries = D.entries;
  var modelsP = null;
  // the ladders not drawn in the page: gzip + base64 in #toa-ladders, unpacked once, on first use
  function loadModels() {
    if (modelsP) return modelsP;
    var el = document.getElementById('toa-ladders');
    var b64 = el ? el.textContent.trim() : '';
    if (!b64) return (modelsP = Promise.resolve({}));
    if (typeof DecompressionStream === 'undefined' || typeof Blob === 'undefined' || typeof Response === 'undefined')
      return (modelsP = Promise.reject(new Error('this browser cannot unpack the ladder data (it needs DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or later)')));
    var bin = atob(b64);
    var u8 = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    modelsP = new Response(new Blob([u8]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(JSON.parse);
    return modelsP;
  }
  document.documentElement.classList.add('js');
  var byId = new Map();
  entries.forEach(function (e) { byId.set(e.id, e); });
  var nodes = new Map();
  list.querySelectorAll('details.conn').forEach(function (el) { nodes.set(Number(el.getAttribute('data-id')), el); });
  var on = {};
  entries.forEach(function (e) { on[e.v] = true; });
  var state = { q: '', sort: 'rank', limit: 200 };
  var hay = new Map();
  var form = document.getElementById('conn-controls');
  var status = document.getElementById('conn-status');
  var more = document.getElementById('conn-more');
  var boxes = form ? form.querySelectorAll('input[type=checkbox][data-verdict]') : [];
  function haystack(e) {
    var h = hay.get(e.id);
    if (h === undefined) {
      h = ('#' + e.id + ' ' + e.c + ' ' + e.s + ' ' + e.a + ' ' + e.r + ' ' + e.v + ' ' + (looks[e.v] ? looks[e.v].label : '')).toLowerCase();
      hay.set(e.id, h);
    }
    return h;
  }
  function matches(e) {
    if (!on[e.v]) return false;
    if (state.q && haystack(e).indexOf(state.q) < 0) return false;
    return true;
  }
  var sorters = {
    rank: function (a, b) { return a.k - b.k; },
    time: function (a, b) { return a.t - b.t || a.id - b.id; },
    id: function (a, b) { return a.id - b.id; },
    client: function (a, b) { return a.c < b.c ? -1 : a.c > b.c ? 1 : a.id - b.id; },
    verdict: function (a, b) { return a.v < b.v ? -1 : a.v > b.v ? 1 : a.k - b.k; }
  };
  function nodeFor(e) {
    var n = nodes.get(e.id);
    if (!n) {
      var tmp = document.createElement('div');
      tmp.innerHTML = connCard(e, looks, '<div class="conn-body lazy"><p class="muted">drawing…</p></div>', false, escapeHtml);
      n = tmp.firstChild;
      nodes.set(e.id, n);
    }
    return n;
  }
  function fill(n) {
    var body = n.querySelector('.conn-body.lazy');
    if (!body || body.getAttribute('data-filling')) return;
    body.setAttribute('data-filling', '1');
    loadModels().then(function (models) {
      var m = models[n.getAttribute('data-id')];
      if (!m) { body.innerHTML = '<p class="muted">no ladder data for this connection</p>'; body.classList.remove('lazy'); return; }
      body.outerHTML = connBody(m, ladderSvg(ladderLayout(m), escapeHtml), looks, escapeHtml);
    }, function (err) {
      body.innerHTML = '<p class="muted"></p>';
      body.firstChild.textContent = String(err && err.message || err);
      body.classList.remove('lazy');
    });
  }
  function render() {
    var shown = entries.filter(matches);
    shown.sort(sorters[state.sort] || sorters.rank);
    var frag = document.createDocumentFragment();
    var n = Math.min(shown.length, state.limit);
    for (var i = 0; i < n; i++) {
      var el = nodeFor(shown[i]);
      if (el.open) fill(el);
      frag.appendChild(el);
    }
    list.textContent = '';
    list.appendChild(frag);
    if (status) status.textContent = 'showing ' + n + ' of ' + shown.length + ' matching connection' + (shown.length === 1 ? '' : 's') + ' (' + entries.length + ' in this page)';
    if (more) more.hidden = n >= shown.length;
    list.setAttribute('data-shown', String(n));
  }
  list.addEventListener('toggle', function (ev) { if (ev.target && ev.target.open) fill(ev.target); }, true);
  Array.prototype.forEach.call(boxes, function (b) {
    b.addEventListener('change', function () { on[b.getAttribute('data-verdict')] = b.checked; state.limit = 200; render(); });
  });
  function setAll(pred) {
    Array.prototype.forEach.call(boxes, function (b) { b.checked = pred(b.getAttribute('data-verdict')); on[b.getAttribute('data-verdict')] = b.checked; });
    state.limit = 200; render();
  }
  var bAll = document.getElementById('f-all'), bProb = document.getElementById('f-problems');
  if (bAll) bAll.addEventListener('click', function () { setAll(function () { return true; }); });
  if (bProb) bProb.addEventListener('click', function () { setAll(function (v) { return v !== 'TOA_OK'; }); });
  var q = document.getElementById('f-search');
  var timer = 0;
  if (q) q.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = q.value.trim().toLowerCase(); state.limit = 200; render(); }, 120);
  });
  var sortSel = document.getElementById('f-sort');
  if (sortSel) sortSel.addEventListener('change', function () { state.sort = sortSel.value; render(); });
  if (more) more.addEventListener('click', function () { state.limit += 500; render(); });
  if (form) form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  function reveal(id) {
    var e = byId.get(id);
    if (!e) return;
    var el = nodes.get(id);
    if (!el || !el.isConnected) {
      if (!matches(e)) {
        on[e.v] = true; state.q = ''; if (q) q.value = '';
        Array.prototype.forEach.call(boxes, function (b) { if (b.getAttribute('data-verdict') === e.v) b.checked = true; });
      }
      var shown = entries.filter(matches).sort(sorters[state.sort] || sorters.rank);
      var at = shown.indexOf(e);
      if (at >= state.limit) state.limit = at + 1;
      render();
      el = nodes.get(id);
    }
    if (!el) return;
    el.open = true;
    fill(el);
    el.scrollIntoView({ block: 'start' });
  }
  function fromHash() {
    var m = /^#c-(\d+)$/.exec(location.hash);
    if (m) reveal(Number(m[1]));
  }
  window.addEventListener('hashchange', fromHash);
  window.addEventListener('beforeprint', function () {
    list.querySelectorAll('details.conn').forEach(function (d) { d.open = true; fill(d); });
  });
  render();
  fromHash();
  // unpack the ladder data while the reader looks at the summary, so opening a connection is quick
  setTimeout(function () { loadModels().catch(function () {}); }, 300);
}
`;

export const CLIENT_SCRIPT = `(function () {\n'use strict';\n${ESCAPE_SOURCE}\n${DRAW_SOURCE}\n${CARD_SOURCE}\n${MAIN}\n})();`;
