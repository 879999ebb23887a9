// The auditors' page: same-day groups and claim findings over a day range,
// charts (Chart.js, vendored in assets/vendor), drill-down to each visit
// and claim, reviews, and the exports. Every text from the server goes in
// with textContent, never as HTML.
(function () {
  'use strict';

  var KEY = 'audit.settings.v1';
  var I18N = window.AUDIT_I18N;
  var settings = load();
  var state = { groupsCursor: '', findingsCursor: '', charts: {} };

  function load() {
    try {
      var v = JSON.parse(localStorage.getItem(KEY));
      if (v && typeof v === 'object') return { token: String(v.token || ''), lang: v.lang === 'en' ? 'en' : 'vi' };
    } catch (e) { /* a damaged entry is a fresh start */ }
    return { token: '', lang: 'vi' };
  }
  function save() { localStorage.setItem(KEY, JSON.stringify(settings)); }
  function $(id) { return document.getElementById(id); }
  function t(key, args) {
    var s = (I18N[settings.lang] && I18N[settings.lang][key]) || I18N.vi[key] || key;
    return s.replace(/\{(\w+)\}/g, function (_, k) { return args && args[k] !== undefined ? String(args[k]) : ''; });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function money(n) { return Number(n || 0).toLocaleString('vi-VN'); }
  function localDay(d) {
    var z = new Date(d.getTime() - d.getTimezoneOffset() * 60000);
    return z.toISOString().slice(0, 10);
  }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(settings.lang === 'en' ? 'en-GB' : 'vi-VN', { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit' });
  }
  function claimTime(s) { return s && s.length === 12 ? s.slice(6, 8) + '/' + s.slice(4, 6) + ' ' + s.slice(8, 10) + ':' + s.slice(10, 12) : s; }
  function facilityLabel(code, name) { return name ? code + ' · ' + name : code; }

  function translate() {
    document.documentElement.lang = settings.lang;
    document.title = t('title');
    document.querySelectorAll('[data-i18n]').forEach(function (e) { e.textContent = t(e.getAttribute('data-i18n')); });
    var lb = $('lang-btn');
    lb.textContent = t('lang_switch');
    lb.setAttribute('lang', settings.lang === 'vi' ? 'en' : 'vi');
  }

  function api(path, opts) {
    opts = opts || {};
    var headers = { 'Authorization': 'Bearer ' + settings.token, 'Accept': opts.accept || 'application/json' };
    if (opts.body) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: opts.method || 'GET', headers: headers, body: opts.body, cache: 'no-store' }).then(function (r) {
      if (opts.blob && r.ok) return r.blob().then(function (b) { return { blob: b, response: r }; });
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var err = new Error((j.error && j.error.message) || ('HTTP ' + r.status));
          err.status = r.status;
          throw err;
        }
        return j;
      });
    });
  }

  function query(extra) {
    var q = new URLSearchParams({ from: $('from').value, to: $('to').value });
    var f = $('facility').value.trim();
    if (f) q.set('facility', f);
    Object.keys(extra || {}).forEach(function (k) { if (extra[k]) q.set(k, extra[k]); });
    return q.toString();
  }

  function showLogin(msg) {
    $('workbench').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = msg || '';
    $('token-input').focus();
  }

  function refresh() {
    $('status').textContent = t('loading');
    document.body.removeAttribute('data-loaded');
    $('groups').querySelector('tbody').textContent = '';
    $('findings').querySelector('tbody').textContent = '';
    state.groupsCursor = state.findingsCursor = '';
    return Promise.all([
      api('/v1/duplicates/summary?' + query()),
      api('/v1/claims/findings/summary?' + query()),
      loadGroups(), loadFindings()
    ]).then(function (r) {
      var dup = r[0], fin = r[1];
      $('totals').textContent = t('totals', { groups: dup.groups, findings: fin.findings, paid: money(fin.t_bhtt_total) });
      drawCharts(dup, fin);
      $('status').textContent = t('loaded', { groups: dup.groups, findings: fin.findings });
      document.body.setAttribute('data-loaded', 'true');
    }).catch(function (e) {
      if (e.status === 401 || e.status === 403) { showLogin(t('login_bad')); return; }
      $('status').textContent = t('failed', { msg: e.message });
      document.body.setAttribute('data-loaded', 'error');
    });
  }

  // ------------------------------------------------------------ charts

  var KIND_COLOURS = {
    multi_facility_same_day: '#b42318', same_facility_same_day: '#b76e00',
    claim_without_checkin: '#5b3fa3', flagged_checkins_all_claimed: '#0b6e6e'
  };

  function drawCharts(dup, fin) {
    if (!window.Chart) return;
    var days = [];
    for (var d = new Date($('from').value + 'T00:00:00'); localDay(d) <= $('to').value; d.setDate(d.getDate() + 1)) days.push(localDay(d));
    var groupsByDay = {};
    (dup.by_day || []).forEach(function (x) { groupsByDay[x.day] = x.groups; });
    var findByDay = {};
    (fin.by_day || []).forEach(function (x) { findByDay[x.day] = x.by_kind; });
    var datasets = [{ label: t('series_groups'), data: days.map(function (d) { return groupsByDay[d] || 0; }), backgroundColor: '#0b4f94', stack: 'desk' }];
    Object.keys(KIND_COLOURS).forEach(function (k) {
      datasets.push({ label: t('kind_' + k), data: days.map(function (d) { return (findByDay[d] || {})[k] || 0; }), backgroundColor: KIND_COLOURS[k], stack: 'claims' });
    });
    chart('chart-day', { type: 'bar', data: { labels: days.map(function (d) { return d.slice(8, 10) + '/' + d.slice(5, 7); }), datasets: datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } } });

    var pairs = {};
    (dup.by_pair || []).forEach(function (p) { var k = p.facilities.join(' – '); pairs[k] = pairs[k] || { g: 0, f: 0 }; pairs[k].g = p.groups; });
    (fin.by_pair || []).forEach(function (p) { var k = p.facilities.join(' – '); pairs[k] = pairs[k] || { g: 0, f: 0 }; pairs[k].f = p.findings; });
    var keys = Object.keys(pairs).sort(function (a, b) { return (pairs[b].g + pairs[b].f) - (pairs[a].g + pairs[a].f); }).slice(0, 10);
    chart('chart-pair', { type: 'bar', data: { labels: keys, datasets: [
      { label: t('series_groups'), data: keys.map(function (k) { return pairs[k].g; }), backgroundColor: '#0b4f94' },
      { label: t('findings_title'), data: keys.map(function (k) { return pairs[k].f; }), backgroundColor: '#b42318' }
    ] }, options: { indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } } });
  }

  function chart(id, cfg) {
    if (state.charts[id]) state.charts[id].destroy();
    state.charts[id] = new window.Chart($(id), cfg);
  }

  // ------------------------------------------------------------ tables

  function toggleButton(detail) {
    var b = el('button', { type: 'button', 'class': 'btn btn-quiet btn-small', 'aria-expanded': 'false', 'aria-controls': detail.id }, t('show'));
    b.addEventListener('click', function () {
      var open = b.getAttribute('aria-expanded') !== 'true';
      b.setAttribute('aria-expanded', String(open));
      b.textContent = open ? t('hide') : t('show');
      detail.hidden = !open;
    });
    return b;
  }

  function visitsTable(visits) {
    if (!visits || !visits.length) return el('p', null, t('no_checkins'));
    var tb = el('table', { 'class': 'inner' });
    var h = el('tr');
    ['h_facility', 'h_time', 'h_type', 'h_checkin', 'h_ack'].forEach(function (k) { h.appendChild(el('th', { scope: 'col' }, t(k))); });
    tb.appendChild(el('thead')).appendChild(h);
    var body = tb.appendChild(el('tbody'));
    visits.forEach(function (v) {
      var r = body.appendChild(el('tr'));
      var ack = v.acknowledgement ? (v.acknowledgement.reason + (v.acknowledgement.note ? ': ' + v.acknowledgement.note : '')) : '';
      [facilityLabel(v.facility, v.facility_name), clock(v.at), t('vt_' + v.visit_type), v.checkin_id, ack].forEach(function (x) { r.appendChild(el('td', null, x)); });
    });
    return tb;
  }

  function claimsTable(claims) {
    var tb = el('table', { 'class': 'inner' });
    var h = el('tr');
    ['h_facility', 'h_malk', 'h_loai', 'h_time', 'h_paid'].forEach(function (k) { h.appendChild(el('th', { scope: 'col' }, t(k))); });
    tb.appendChild(el('thead')).appendChild(h);
    var body = tb.appendChild(el('tbody'));
    claims.forEach(function (c) {
      var r = body.appendChild(el('tr'));
      [facilityLabel(c.facility, c.facility_name), c.ma_lk, c.ma_loai_kcb, claimTime(c.ngay_vao)].forEach(function (x) { r.appendChild(el('td', null, x)); });
      r.appendChild(el('td', { 'class': 'num' }, money(c.t_bhtt)));
    });
    return tb;
  }

  function uniqueFacilities(list) {
    var seen = {};
    return list.filter(function (x) { if (seen[x.facility]) return false; seen[x.facility] = true; return true; })
      .map(function (x) { return facilityLabel(x.facility, x.facility_name); }).join('; ');
  }

  var rowSeq = 0;

  function loadGroups(more) {
    var cursor = more ? state.groupsCursor : '';
    return api('/v1/duplicates?' + query({ limit: '100', cursor: cursor })).then(function (page) {
      var body = $('groups').querySelector('tbody');
      page.items.forEach(function (g) { addGroup(body, g); });
      state.groupsCursor = page.next_cursor;
      $('groups-more').hidden = !page.next_cursor;
      $('groups-empty').hidden = body.children.length > 0;
    });
  }

  function addGroup(body, g) {
    var id = 'g' + (++rowSeq);
    var r = body.appendChild(el('tr', { 'data-citizen': g.citizen_id, 'data-day': g.day }));
    r.appendChild(el('td', null, g.day));
    var who = r.appendChild(el('td'));
    who.appendChild(el('span', { 'class': 'name' }, g.full_name));
    who.appendChild(el('span', { 'class': 'id' }, g.citizen_id));
    r.appendChild(el('td', null, uniqueFacilities(g.visits)));
    r.appendChild(el('td', { 'class': 'num' }, String(g.visits.length)));
    var st = (g.review && g.review.state) || 'open';
    var badge = r.appendChild(el('td')).appendChild(el('span', { 'class': 'badge badge-' + st }, t('state_' + st)));
    var detailRow = el('tr', { 'class': 'detail', id: id, hidden: '' });
    var cell = detailRow.appendChild(el('td', { colspan: '6' }));
    r.appendChild(el('td')).appendChild(toggleButton(detailRow));
    cell.appendChild(el('h3', null, t('visits_head')));
    cell.appendChild(visitsTable(g.visits));
    cell.appendChild(reviewForm(g, badge, id));
    body.appendChild(detailRow);
  }

  function reviewForm(g, badge, id) {
    var f = el('form', { 'class': 'review row' });
    var sel = el('select', { id: id + '-state' });
    ['open', 'confirmed', 'dismissed'].forEach(function (s) {
      var o = sel.appendChild(el('option', { value: s }, t('state_' + s)));
      if ((g.review && g.review.state || 'open') === s) o.selected = true;
    });
    f.appendChild(el('label', { 'for': id + '-state' }, t('review_state')));
    f.appendChild(sel);
    f.appendChild(el('label', { 'for': id + '-note' }, t('review_note')));
    var note = f.appendChild(el('input', { id: id + '-note', type: 'text', maxlength: '1000' }));
    note.value = (g.review && g.review.note) || '';
    f.appendChild(el('button', { type: 'submit', 'class': 'btn btn-primary btn-small' }, t('review_save')));
    var msg = f.appendChild(el('span', { 'class': 'status', role: 'status' }));
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      api('/v1/duplicates/' + encodeURIComponent(g.citizen_id) + '/' + encodeURIComponent(g.day) + '/review',
        { method: 'PUT', body: JSON.stringify({ state: sel.value, note: note.value }) }).then(function (r) {
        g.review = r;
        badge.className = 'badge badge-' + r.state;
        badge.textContent = t('state_' + r.state);
        msg.textContent = t('review_saved');
      }).catch(function (e) { msg.textContent = t('failed', { msg: e.message }); });
    });
    return f;
  }

  function loadFindings(more) {
    var cursor = more ? state.findingsCursor : '';
    return api('/v1/claims/findings?' + query({ limit: '100', cursor: cursor })).then(function (page) {
      var body = $('findings').querySelector('tbody');
      page.items.forEach(function (f) { addFinding(body, f); });
      state.findingsCursor = page.next_cursor;
      $('findings-more').hidden = !page.next_cursor;
      $('findings-empty').hidden = body.children.length > 0;
    });
  }

  function addFinding(body, f) {
    var id = 'f' + (++rowSeq);
    var r = body.appendChild(el('tr', { 'data-kind': f.kind }));
    r.appendChild(el('td', null, f.day));
    r.appendChild(el('td')).appendChild(el('span', { 'class': 'kind kind-' + f.kind }, t('kind_' + f.kind)));
    var who = r.appendChild(el('td'));
    who.appendChild(el('span', { 'class': 'name' }, f.full_name));
    who.appendChild(el('span', { 'class': 'id' }, f.citizen_id || t('card_only', { card: f.card_no })));
    r.appendChild(el('td', null, uniqueFacilities(f.claims.concat(f.checkins))));
    r.appendChild(el('td', { 'class': 'num' }, money(f.t_bhtt_total)));
    var detailRow = el('tr', { 'class': 'detail', id: id, hidden: '' });
    var cell = detailRow.appendChild(el('td', { colspan: '6' }));
    r.appendChild(el('td')).appendChild(toggleButton(detailRow));
    cell.appendChild(el('h3', null, t('claims_head')));
    cell.appendChild(claimsTable(f.claims));
    cell.appendChild(el('h3', null, t('visits_head')));
    cell.appendChild(visitsTable(f.checkins));
    body.appendChild(detailRow);
  }

  // ------------------------------------------------------------ exports

  function exportFile(what, format) {
    var path = what === 'duplicates' ? '/v1/duplicates' : '/v1/claims/findings';
    $('status').textContent = t('loading');
    api(path + '?' + query({ format: format }), { blob: true, accept: '*/*' }).then(function (res) {
      var a = el('a', { href: URL.createObjectURL(res.blob), download: what + '-' + $('from').value + '-' + $('to').value + '.' + format });
      document.body.appendChild(a);
      a.click();
      a.remove();
      $('status').textContent = '';
    }).catch(function (e) { $('status').textContent = t('failed', { msg: e.message }); });
  }

  // ------------------------------------------------------------ start

  function start() {
    translate();
    var today = new Date();
    var from = new Date(today.getTime() - 29 * 86400000);
    var params = new URLSearchParams(location.search);
    $('from').value = params.get('from') || localDay(from);
    $('to').value = params.get('to') || localDay(today);
    $('facility').value = params.get('facility') || '';
    $('lang-btn').addEventListener('click', function () {
      settings.lang = settings.lang === 'vi' ? 'en' : 'vi';
      save();
      translate();
      if (!$('workbench').hidden) refresh();
    });
    $('token-btn').addEventListener('click', function () { showLogin(''); });
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      settings.token = $('token-input').value.trim();
      $('token-input').value = '';
      save();
      $('login').hidden = true;
      $('workbench').hidden = false;
      refresh();
    });
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); refresh(); });
    $('groups-more').addEventListener('click', function () { loadGroups(true); });
    $('findings-more').addEventListener('click', function () { loadFindings(true); });
    document.querySelectorAll('[data-export]').forEach(function (b) {
      b.addEventListener('click', function () { exportFile(b.getAttribute('data-export'), b.getAttribute('data-format')); });
    });
    document.body.setAttribute('data-ready', 'true');
    if (!settings.token) { showLogin(''); return; }
    $('workbench').hidden = false;
    refresh();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
