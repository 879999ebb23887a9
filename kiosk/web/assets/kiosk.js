// The reception kiosk page: keyboard-wedge scanner, webcam, photo upload and
// manual entry; the check-in result; an offline queue. Plain JS, no build
// step, no network resource but this service (the page runs under a strict
// CSP: no inline script or style).
'use strict';

(function () {
  var STRINGS = window.KIOSK_I18N;
  var LS_SETTINGS = 'kiosk.settings.v1';
  var LS_QUEUE = 'kiosk.queue.v1';

  // Scanner timing. A keyboard-wedge scanner types with gaps of a few ms;
  // people type with gaps of 80 ms and more.
  var BURST_GAP = 50; // ms: a gap at most this long is "scanner fast"
  var RESET_GAP = 300; // ms: a pause this long starts a new buffer
  var MIN_SCAN = 8; // characters: shorter bursts are not scans
  var FAST_SHARE = 0.8; // share of fast gaps that makes a burst a scan
  var HUMAN_DELAY = 120; // ms: a lone digit with no follow-up is typed by hand

  var CAMERA_INTERVAL = 333; // ms between frames sent to /v1/decode (3/s)
  var CAMERA_TIMEOUT = 60; // s without a code before the camera gives up
  var QUEUE_MAX = 200;
  var RETRY_BASE = 2000; // ms, doubled per failed attempt
  var RETRY_MAX = 60000;
  var PROBE_EVERY = 10000; // ms between health probes while offline

  var DEFAULTS = { facility: '', kiosk: '', token: '', idleSeconds: 20, lang: 'vi', autoPrint: false };

  // ---------------------------------------------------------------- helpers
  function $(id) { return document.getElementById(id); }

  function readJSON(key, fallback) {
    try {
      var v = JSON.parse(localStorage.getItem(key));
      return v === null || v === undefined ? fallback : v;
    } catch (e) {
      return fallback;
    }
  }

  function writeJSON(key, v) {
    try {
      localStorage.setItem(key, JSON.stringify(v));
      return true;
    } catch (e) {
      return false;
    }
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  // "1995-03-14" -> "14/03/1995"; partial dates stay partial.
  function fmtDate(s) {
    if (!s) return '';
    var p = String(s).split('-');
    if (p.length === 3) return p[2] + '/' + p[1] + '/' + p[0];
    if (p.length === 2) return p[1] + '/' + p[0];
    return p[0];
  }

  // offsetOf is the UTC offset, in minutes, an RFC 3339 time is written in.
  function offsetOf(rfc) {
    var m = /(Z|([+-])(\d\d):(\d\d))$/i.exec(rfc || '');
    if (!m) return null;
    if (m[1].toUpperCase() === 'Z') return 0;
    var v = parseInt(m[3], 10) * 60 + parseInt(m[4], 10);
    return m[2] === '-' ? -v : v;
  }

  // wallClock is the time rfc on the clocks of the zone off minutes from
  // UTC (default: the zone it is written in). The service writes the visit
  // in the facility's zone, which may not be this PC's: times are shown
  // in the facility's zone.
  function wallClock(rfc, off) {
    var ms = Date.parse(rfc || '');
    if (isNaN(ms)) return null;
    if (off === null || off === undefined) off = offsetOf(rfc) || 0;
    return new Date(ms + off * 60000);
  }

  function fmtTimeOf(rfc, off) {
    var d = wallClock(rfc, off);
    return d ? pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) : '';
  }

  function fmtDayOf(rfc, off) {
    var d = wallClock(rfc, off);
    return d ? pad2(d.getUTCDate()) + '/' + pad2(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear() : '';
  }

  function fmtLocalTime(ms) {
    var d = new Date(ms);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes());
  }

  function maskID(id) {
    id = String(id || '');
    if (id.length !== 12) return id;
    return id.slice(0, 3) + ' \u2022\u2022\u2022 \u2022\u2022\u2022 ' + id.slice(9);
  }

  function isEditable(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
    if (tag !== 'INPUT') return false;
    var t = (el.type || 'text').toLowerCase();
    return ['button', 'submit', 'reset', 'checkbox', 'radio', 'file', 'image', 'range', 'color'].indexOf(t) < 0;
  }

  function isButtonLike(el) {
    return !!el && (el.tagName === 'BUTTON' || el.tagName === 'A' ||
      (el.tagName === 'INPUT' && ['button', 'submit', 'checkbox', 'radio'].indexOf(el.type) >= 0));
  }

  function newID() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function canvasBlob(canvas, type, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, type, quality); });
  }

  // ---------------------------------------------------------------- settings
  var settings = loadSettings();
  var lang = settings.lang;

  function loadSettings() {
    var s = readJSON(LS_SETTINGS, {});
    var out = {};
    Object.keys(DEFAULTS).forEach(function (k) { out[k] = s[k] === undefined ? DEFAULTS[k] : s[k]; });
    out.idleSeconds = clampIdle(out.idleSeconds);
    if (out.lang !== 'en') out.lang = 'vi';
    return out;
  }

  function clampIdle(n) {
    n = parseInt(n, 10);
    if (!(n >= 5 && n <= 600)) return DEFAULTS.idleSeconds;
    return n;
  }

  function configured() {
    return settings.facility.length === 5 && settings.token.length > 0;
  }

  // ---------------------------------------------------------------- i18n
  function t(key, vars) {
    var s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.vi[key] || key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return vars[name] === undefined || vars[name] === null ? '' : String(vars[name]);
      });
    }
    return s;
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.title = t('app_title');
    document.querySelectorAll('[data-i18n]').forEach(function (el) {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
    document.querySelectorAll('[data-i18n-aria-label]').forEach(function (el) {
      el.setAttribute('aria-label', t(el.getAttribute('data-i18n-aria-label')));
    });
    var lb = $('lang-btn');
    lb.textContent = t('lang_switch');
    lb.lang = lang === 'vi' ? 'en' : 'vi';
    renderHeader();
    renderQueue();
    if (state.result) renderResult(state.result, state.resultFromQueue);
    if (state.error) renderError(state.error);
    if (state.queuedAt) renderQueued();
    if (state.screen === 'camera' && state.cameraMsg) setCameraStatus(state.cameraMsg.key, state.cameraMsg.vars);
    renderCountdown();
  }

  // ---------------------------------------------------------------- state
  var state = {
    screen: 'idle',
    busy: false,
    ackPending: false,
    pending: null, // a scan that arrived while busy or awaiting acknowledgement
    result: null,
    resultFromQueue: false,
    error: null,
    queuedAt: 0,
    queuedID: null,
    countdown: 0,
    countdownTimer: null,
    online: true,
    queueHeld: false, // the key was refused: queued scans wait for new settings
    cameraMsg: null
  };

  function showScreen(name) {
    state.screen = name;
    document.body.setAttribute('data-screen', name);
    ['idle', 'busy', 'camera', 'result', 'error', 'queued'].forEach(function (s) {
      $('screen-' + s).hidden = s !== name;
    });
    $('main').scrollTop = 0;
  }

  function goIdle() {
    stopCountdown();
    stopCamera();
    state.result = null;
    state.error = null;
    state.queuedAt = 0;
    state.queuedID = null;
    state.ackPending = false;
    document.body.removeAttribute('data-ack');
    clearResult();
    if (lang !== settings.lang) {
      lang = settings.lang;
      applyLanguage();
    }
    showScreen('idle');
    var active = document.activeElement;
    if (active && active !== document.body && !isEditable(active)) active.blur();
    runPending();
  }

  // Idle countdown on the result, error and queued screens.
  function startCountdown() {
    stopCountdown();
    state.countdown = settings.idleSeconds;
    renderCountdown();
    state.countdownTimer = setInterval(function () {
      state.countdown--;
      if (state.countdown <= 0) {
        goIdle();
        return;
      }
      renderCountdown();
    }, 1000);
  }

  function stopCountdown() {
    if (state.countdownTimer) clearInterval(state.countdownTimer);
    state.countdownTimer = null;
    state.countdown = 0;
    renderCountdown();
  }

  function renderCountdown() {
    var text = state.countdown > 0 ? t('countdown', { n: state.countdown }) : '';
    if (state.screen === 'result' && state.ackPending) text = t('dup_wait');
    ['countdown', 'err-countdown', 'queued-countdown'].forEach(function (id) { $(id).textContent = text; });
  }

  // ---------------------------------------------------------------- header
  function renderHeader() {
    var place = [];
    if (settings.facility) place.push(settings.facility);
    if (settings.kiosk) place.push(settings.kiosk);
    $('place-label').textContent = configured() ? place.join(' \u00b7 ') : t('not_configured');
    var ns = $('net-status');
    ns.className = 'pill ' + (state.online ? 'pill-ok' : 'pill-bad');
    ns.setAttribute('data-online', state.online ? 'true' : 'false');
    $('net-text').textContent = t(state.online ? 'net_online' : 'net_offline');
  }

  function tickClock() {
    var d = new Date();
    $('clock').textContent = pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + '  ' +
      pad2(d.getDate()) + '/' + pad2(d.getMonth() + 1) + '/' + d.getFullYear();
  }

  function setOnline(on) {
    if (state.online === on) return;
    state.online = on;
    renderHeader();
    if (!on) scheduleProbe();
  }

  // ---------------------------------------------------------------- toasts
  function toast(text, kind, ms) {
    var el = document.createElement('div');
    el.className = 'toast toast-' + (kind || 'info');
    el.textContent = text;
    $('toasts').appendChild(el);
    setTimeout(function () { el.remove(); }, ms || 6000);
  }

  // ---------------------------------------------------------------- API
  // call answers {kind: 'ok'|'rejected'|'unavailable', status, data}.
  // 'unavailable': no answer, a 5xx, 408 or 429 (worth retrying);
  // 'rejected': any other 4xx (final for this request).
  function call(path, opts) {
    var headers = { 'Accept': 'application/json', 'Authorization': 'Bearer ' + settings.token };
    var body = opts.form;
    if (opts.json) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, opts.timeout || 15000);
    return fetch(path, {
      method: 'POST', headers: headers, body: body, signal: ctrl.signal,
      cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer'
    }).then(function (res) {
      return res.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (res.ok && data) return { kind: 'ok', status: res.status, data: data };
        if (res.ok || res.status >= 500 || res.status === 408 || res.status === 429) {
          return { kind: 'unavailable', status: res.status, data: data };
        }
        return { kind: 'rejected', status: res.status, data: data };
      });
    }, function () {
      return { kind: 'unavailable', status: 0, data: null };
    }).finally(function () { clearTimeout(timer); });
  }

  function errCode(r) {
    return (r.data && r.data.error && r.data.error.code) || '';
  }

  function errMessage(r) {
    return (r.data && r.data.error && r.data.error.message) || ('HTTP ' + r.status);
  }

  // ---------------------------------------------------------------- check-in
  // src: {scan: text} | {citizen_id: id} | {image: Blob, name}
  function checkin(src) {
    if (!configured()) {
      openSettings();
      return;
    }
    if (state.busy || state.ackPending) {
      state.pending = src;
      if (state.ackPending) $('pending-note').hidden = false;
      else toast(t('busy_wait'), 'info', 2500);
      return;
    }
    stopCountdown();
    stopCamera();
    var scannedAt = Date.now();
    state.busy = true;
    showScreen('busy');
    var req;
    if (src.image) {
      var fd = new FormData();
      fd.append('facility', settings.facility);
      if (settings.kiosk) fd.append('kiosk', settings.kiosk);
      if (src.source) fd.append('source', src.source);
      fd.append('image', src.image, src.name || 'card.jpg');
      req = call('/v1/checkins', { form: fd, timeout: 30000 });
    } else {
      req = call('/v1/checkins', { json: checkinBody(src) });
    }
    req.then(function (r) {
      state.busy = false;
      if (r.kind === 'ok') {
        setOnline(true);
        state.queueHeld = false;
        showResult(r.data, false);
        flushSoon(0);
      } else if (r.kind === 'rejected') {
        setOnline(true);
        showError({ status: r.status, code: errCode(r), message: errMessage(r), manual: !!src.citizen_id, image: !!src.image });
      } else if (src.image) {
        setOnline(false);
        showError({ status: r.status, code: 'offline_image', message: t('photo_offline'), image: true });
      } else {
        setOnline(false);
        var item = enqueue(checkinBody(src), scannedAt);
        showQueued(item);
      }
      runPending();
    });
  }

  function checkinBody(src) {
    var b = { facility: settings.facility };
    if (settings.kiosk) b.kiosk = settings.kiosk;
    if (src.scan !== undefined) b.scan = src.scan;
    if (src.citizen_id !== undefined) b.citizen_id = src.citizen_id;
    return b;
  }

  function runPending() {
    if (!state.pending || state.busy || state.ackPending) return;
    var src = state.pending;
    state.pending = null;
    $('pending-note').hidden = true;
    checkin(src);
  }

  // ---------------------------------------------------------------- result
  function showResult(d, fromQueue) {
    state.result = d;
    state.resultFromQueue = fromQueue;
    state.error = null;
    state.queuedAt = 0;
    state.ackPending = !!(d.duplicate && d.duplicate.flagged);
    renderResult(d, fromQueue);
    $('pending-note').hidden = true;
    $('dup-acked').hidden = true;
    showScreen('result');
    if (state.ackPending) {
      document.body.setAttribute('data-ack', 'pending');
      stopCountdown();
      renderCountdown();
      $('dup-ack').focus();
    } else {
      document.body.removeAttribute('data-ack');
      startCountdown();
      $('next-btn').focus();
      if (d.visit && d.visit.ticket && settings.autoPrint) printTicket();
    }
  }

  function acknowledge() {
    if (!state.ackPending) return;
    state.ackPending = false;
    document.body.setAttribute('data-ack', 'done');
    $('dup-ack').hidden = true;
    $('dup-acked').hidden = false;
    $('dup-banner').classList.add('acked');
    startCountdown();
    $('next-btn').focus();
    var d = state.result;
    if (d && d.visit && d.visit.ticket && settings.autoPrint) printTicket();
    runPending();
  }

  function clearResult() {
    ['r-name', 'r-dob', 'r-gender', 'r-id', 'r-address', 'ins-status', 'ins-percent', 'ins-message',
      'r-card', 'r-valid', 'r-reg', 'r-route', 'ins-extra', 'visit-line', 'ticket-no',
      'pt-facility', 'pt-number', 'pt-name', 'pt-coverage', 'pt-time'].forEach(function (id) { $(id).textContent = ''; });
    $('identity-notes').replaceChildren();
    $('dup-list').replaceChildren();
    $('dup-banner').hidden = true;
  }

  function addNote(list, text, kind) {
    var li = document.createElement('li');
    li.className = 'note note-' + kind;
    li.textContent = text;
    list.appendChild(li);
  }

  function genderText(g) {
    if (g === 'male') return t('gender_male');
    if (g === 'female') return t('gender_female');
    return g || t('unknown_value');
  }

  function renderResult(d, fromQueue) {
    var c = d.citizen || {};
    var off = offsetOf(d.visit && d.visit.at); // the facility's zone
    $('r-name').textContent = c.full_name || '';
    $('r-dob').textContent = fmtDate(c.dob) || t('unknown_value');
    $('r-gender').textContent = genderText(c.gender);
    $('r-id').textContent = maskID(c.id);
    $('r-address').textContent = c.address || t('unknown_value');

    // Identity: mismatches, a degraded scan, warnings.
    var notes = $('identity-notes');
    notes.replaceChildren();
    var id = d.identity || {};
    var degraded = id.source === 'cccd_qr_degraded';
    if (degraded) addNote(notes, t('degraded_note'), 'warn');
    var mm = id.mismatches || [];
    mm.forEach(function (f) {
      var key = 'mismatch_' + f;
      addNote(notes, STRINGS.vi[key] ? t(key) : t('mismatch_other', { field: f }), 'warn');
    });
    if (mm.length) addNote(notes, t('mismatch_check'), 'warn');
    (id.warnings || []).forEach(function (w) {
      if (degraded && (w === 'name_degraded' || w === 'name_repaired')) return;
      var key = 'warn_' + w;
      var kind = w === 'citizen_deceased' ? 'danger' : (/repaired$/.test(w) ? 'info' : 'warn');
      addNote(notes, STRINGS.vi[key] ? t(key) : t('warn_generic', { code: w }), kind);
    });
    if (id.source && id.source !== 'cccd_qr' && !degraded && STRINGS.vi['source_' + id.source]) {
      addNote(notes, t('source_' + id.source), 'info');
    }
    if (d.repeat) addNote(notes, t('repeat_note', { time: fmtTimeOf(d.visit && d.visit.at) }), 'info');
    if (d.dedupe === 'unavailable') addNote(notes, t('dedupe_unavailable'), 'warn');
    notes.hidden = !notes.children.length;

    // Insurance.
    var e = d.eligibility || {};
    var status = ['eligible', 'ineligible', 'unknown'].indexOf(e.status) >= 0 ? e.status : 'unknown';
    $('ins-panel').setAttribute('data-status', status);
    $('ins-status').textContent = t('status_' + status);
    var msg = lang === 'en' && e.message_en ? e.message_en : (e.message || '');
    var line = e.code ? t('result_code', { code: e.code }) + (msg ? ': ' + msg : '') : msg;
    $('ins-message').textContent = line;
    var showPct = status === 'eligible';
    $('ins-coverage').hidden = !showPct;
    $('ins-percent').textContent = showPct ? (e.coverage_percent || 0) + '%' : '';
    setFact('f-card', 'r-card', e.card_no);
    var valid = '';
    if (e.valid_from || e.valid_to) {
      valid = e.valid_to ? t('valid_range', { from: fmtDate(e.valid_from) || '…', to: fmtDate(e.valid_to) })
        : t('valid_open', { from: fmtDate(e.valid_from) });
    }
    setFact('f-valid', 'r-valid', valid);
    setFact('f-reg', 'r-reg', e.registered_facility);
    setFact('f-route', 'r-route', e.route ? t('route_' + e.route) : '');
    var extra = [];
    if (e.replaced_by) extra.push(t('replaced_by', { no: e.replaced_by }));
    if (e.new_card && e.new_card.card_no && e.new_card.card_no !== e.replaced_by) {
      extra.push(t('new_card', { no: e.new_card.card_no, range: t('valid_range', { from: fmtDate(e.new_card.valid_from), to: fmtDate(e.new_card.valid_to) }) }));
    }
    if (e.reason && STRINGS.vi['reason_' + e.reason]) extra.push(t('reason_' + e.reason));
    $('ins-extra').textContent = extra.join(' ');
    $('ins-extra').hidden = !extra.length;

    // Same-day visits elsewhere.
    var dup = d.duplicate || {};
    var banner = $('dup-banner');
    var list = $('dup-list');
    list.replaceChildren();
    banner.hidden = !dup.flagged;
    if (dup.flagged) {
      (dup.others || []).forEach(function (o) {
        var li = document.createElement('li');
        li.textContent = t('dup_item', { facility: o.facility_name ? o.facility_name + ' (' + o.facility + ')' : o.facility, time: fmtTimeOf(o.at, off) + ' ' + fmtDayOf(o.at, off), type: t('visit_' + o.visit_type) });
        list.appendChild(li);
      });
      $('dup-ack').hidden = !state.ackPending;
      banner.classList.toggle('acked', !state.ackPending);
    }

    // Visit and ticket.
    var v = d.visit || {};
    var vl = t('visit_line', { time: fmtTimeOf(v.at), day: fmtDayOf(v.at), facility: v.facility });
    if (fromQueue) vl += ' \u00b7 ' + t('queued_sent_line', { time: fmtTimeOf(v.at) });
    $('visit-line').textContent = vl;
    var hasTicket = !!v.ticket;
    $('ticket-panel').hidden = !hasTicket;
    $('screen-result').classList.toggle('has-ticket', hasTicket);
    $('ticket-no').textContent = hasTicket ? String(v.ticket) : '';

    // The receipt.
    $('pt-facility').textContent = [v.facility, settings.kiosk].filter(Boolean).join(' \u00b7 ');
    $('pt-number').textContent = hasTicket ? String(v.ticket) : '';
    $('pt-name').textContent = c.full_name || '';
    $('pt-coverage').textContent = showPct ? t('print_coverage', { percent: e.coverage_percent || 0 }) : t('print_no_coverage');
    $('pt-time').textContent = fmtTimeOf(v.at) + '  ' + fmtDayOf(v.at);
  }

  function setFact(rowID, ddID, value) {
    $(ddID).textContent = value || '';
    $(rowID).hidden = !value;
  }

  function printTicket() {
    if (!state.result || !state.result.visit || !state.result.visit.ticket) return;
    window.print();
  }

  // ---------------------------------------------------------------- errors
  function errorView(err) {
    var code = err.code;
    var s = err.status;
    var v = { title: 'err_generic_title', body: 'err_generic_body', steps: ['step_rescan', 'step_type', 'step_desk'] };
    if (code === 'citizen_not_found') {
      v = { title: 'err_not_found_title', body: 'err_not_found_body', steps: err.manual ? ['step_check_id', 'step_rescan', 'step_desk'] : ['step_rescan', 'step_type', 'step_desk'] };
    } else if (code === 'card_not_found') {
      v = { title: 'err_card_not_found_title', body: 'err_card_not_found_body', steps: ['step_rescan', 'step_type', 'step_desk'] };
    } else if (code === 'no_code_found') {
      v = { title: 'err_no_code_title', body: 'err_no_code_body', steps: ['step_rescan', 'step_type', 'step_desk'] };
    } else if (code === 'invalid_citizen_id') {
      v = { title: 'err_invalid_id_title', body: 'err_invalid_id_body', steps: ['step_check_id', 'step_rescan', 'step_desk'] };
    } else if (code === 'scanned_at_too_old') {
      v = { title: 'err_too_old_title', body: 'err_too_old_body', steps: ['step_by_hand'] };
    } else if (code === 'unknown_facility' || code === 'invalid_facility' || code === 'facility_required') {
      v = { title: 'err_facility_title', body: 'err_facility_body', steps: ['step_staff', 'step_desk'] };
    } else if (s === 401) {
      v = { title: 'err_auth_title', body: 'err_auth_body', steps: ['step_staff', 'step_desk'] };
    } else if (s === 403) {
      v = { title: 'err_forbidden_title', body: 'err_forbidden_body', steps: ['step_staff', 'step_desk'] };
    } else if (code === 'offline_image') {
      v = { title: 'queued_title', body: null, steps: ['step_rescan', 'step_type', 'step_retry_later'] };
    } else if (s === 422 || s === 413 || s === 415) {
      v = { title: 'err_unreadable_title', body: 'err_unreadable_body', steps: ['step_rescan', 'step_type', 'step_desk'] };
    }
    return v;
  }

  function showError(err) {
    state.error = err;
    state.result = null;
    clearResult();
    renderError(err);
    showScreen('error');
    startCountdown();
    $('err-rescan').focus();
  }

  function renderError(err) {
    var v = errorView(err);
    var card = $('screen-error');
    card.setAttribute('data-code', err.code || String(err.status));
    $('err-title').textContent = t(v.title);
    $('err-body').textContent = v.body ? t(v.body) : err.message;
    var ol = $('err-steps');
    ol.replaceChildren();
    v.steps.forEach(function (k) {
      var li = document.createElement('li');
      li.textContent = t(k);
      ol.appendChild(li);
    });
    $('err-detail').textContent = err.status ? t('err_detail', { code: err.code || '-', status: err.status }) : '';
  }

  // ---------------------------------------------------------------- queue
  function loadQueue() {
    var q = readJSON(LS_QUEUE, []);
    return Array.isArray(q) ? q : [];
  }

  function saveQueue(q) {
    while (!writeJSON(LS_QUEUE, q) && q.length > 1) q.shift(); // storage full: drop the oldest
    renderQueue();
  }

  function enqueue(body, scannedAt) {
    var q = loadQueue();
    var item = { id: newID(), body: body, scanned_at: new Date(scannedAt).toISOString(), attempts: 0 };
    q.push(item);
    if (q.length > QUEUE_MAX) {
      q.shift();
      toast(t('queue_full'), 'warn');
    }
    saveQueue(q);
    flushSoon(RETRY_BASE);
    return item;
  }

  function renderQueue() {
    var n = loadQueue().length;
    var el = $('queue-status');
    el.hidden = n === 0;
    el.setAttribute('data-count', String(n));
    el.textContent = n ? t('queue_count', { n: n }) : '';
    if (state.screen === 'queued') $('queued-count').textContent = n ? t('queue_count', { n: n }) : '';
  }

  function showQueued(item) {
    state.queuedAt = Date.parse(item.scanned_at);
    state.queuedID = item.id;
    state.result = null;
    state.error = null;
    clearResult();
    showScreen('queued');
    renderQueued();
    startCountdown();
    $('queued-ok').focus();
  }

  function renderQueued() {
    $('queued-body').textContent = t('queued_body', { time: fmtLocalTime(state.queuedAt) });
    renderQueue();
  }

  var flushing = false;
  var flushTimer = null;

  function flushSoon(ms) {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = setTimeout(function () { flushTimer = null; flush(); }, ms);
  }

  // flush sends queued scans, oldest first, each with its scanned_at. A
  // failure to reach the service stops the round and retries with backoff;
  // a 4xx answer is final for that scan.
  function flush() {
    if (flushing || !configured() || state.queueHeld) return;
    var q = loadQueue();
    if (!q.length) return;
    flushing = true;
    var item = q[0];
    var body = Object.assign({}, item.body, { scanned_at: item.scanned_at });
    call('/v1/checkins', { json: body }).then(function (r) {
      flushing = false;
      var cur = loadQueue();
      if (r.kind === 'unavailable') {
        setOnline(false);
        cur.forEach(function (x) { if (x.id === item.id) x.attempts = (x.attempts || 0) + 1; });
        saveQueue(cur);
        var attempts = item.attempts + 1;
        var delay = Math.min(RETRY_MAX, RETRY_BASE * Math.pow(2, attempts - 1));
        flushSoon(delay * (0.8 + Math.random() * 0.4));
        return;
      }
      setOnline(true);
      if (r.status === 401 || r.status === 403) {
        // The kiosk's key, not the scan, was refused: keep the scans until
        // the settings change (or a check-in goes through again).
        state.queueHeld = true;
        toast(t('queue_held'), 'bad', 15000);
        return;
      }
      saveQueue(cur.filter(function (x) { return x.id !== item.id; }));
      if (r.kind === 'ok') queuedSent(item, r.data);
      else toast(t('queue_rejected', { msg: errMessage(r) }), 'bad', 10000);
      flushSoon(0);
    });
  }

  function queuedSent(item, d) {
    if (state.screen === 'queued' && state.queuedID === item.id) {
      showResult(d, true);
      return;
    }
    var name = (d.citizen && d.citizen.full_name) || '';
    if (d.duplicate && d.duplicate.flagged && d.duplicate.others && d.duplicate.others.length) {
      var o = d.duplicate.others[0];
      toast(t('queue_sent_dup', { name: name, facility: o.facility, time: fmtTimeOf(o.at, offsetOf(d.visit && d.visit.at)) }), 'warn', 20000);
    } else {
      toast(t('queue_sent', { name: name }), 'ok');
    }
  }

  var probeTimer = null;

  // While offline with nothing queued, a cheap probe finds the link again.
  function scheduleProbe() {
    if (probeTimer) return;
    probeTimer = setTimeout(function () {
      probeTimer = null;
      if (state.online) return;
      if (loadQueue().length) { flushSoon(0); scheduleProbe(); return; }
      fetch('/healthz', { cache: 'no-store', credentials: 'omit' }).then(function (res) {
        if (res.ok) setOnline(true);
        else scheduleProbe();
      }, scheduleProbe);
    }, PROBE_EVERY);
  }

  // ---------------------------------------------------------------- scanner
  var buf = [];
  var times = [];
  var lastKey = -1e9;
  var snaps = []; // per key: the focused field and its value before the key
  var charPending = false; // a keydown without a character: keypress brings it
  var handTimer = null;
  var swallowUntil = 0; // an Enter this page took: its keypress must not click or submit
  var movedToField = ''; // what typedByHand last put in the ID field
  var movedAt = -1e9; // and when (performance.now)
  var MOVED_RECENT = 3000; // ms: digits moved longer ago than this were typed by a person
  var CARD_START = /^[0-9]{12}\|/; // a chip card's QR payload: the 12-digit ID, then "|"

  function resetBuffer() {
    buf = [];
    times = [];
    snaps = [];
  }

  function pushKey(ch, now, target) {
    buf.push(ch);
    times.push(now);
    snaps.push(isEditable(target) ? { el: target, value: target.value } : null);
    lastKey = now;
  }

  function popKey(now) {
    buf.pop();
    times.pop();
    snaps.pop();
    lastKey = now;
  }

  // fastShare is the share of scanner-fast gaps between the key times ts
  // and, when given, the time now.
  function fastShare(ts, now) {
    var fast = 0;
    var gaps = 0;
    var n = now === undefined ? ts.length - 1 : ts.length;
    for (var i = 1; i <= n; i++) {
      var g = (i < ts.length ? ts[i] : now) - ts[i - 1];
      gaps++;
      if (g <= BURST_GAP) fast++;
    }
    return gaps ? fast / gaps : 0;
  }

  // burstStart is where the last fast run of keys began: keys typed by a
  // person just before a scan are not part of it. A single slow gap with
  // fast keys before it is a hiccup of the scanner, not the start.
  function burstStart() {
    var j = buf.length - 1;
    while (j > 0) {
      var g = times[j] - times[j - 1];
      if (g > BURST_GAP) {
        // Fast keys before the slow gap (three, or all of at least two
        // keys) make it a hiccup inside the scan.
        var fastBefore = 0;
        var k = j - 1;
        for (; k > 0 && fastBefore < 3 && times[k] - times[k - 1] <= BURST_GAP; k--) fastBefore++;
        if (fastBefore < 3 && !(k === 0 && fastBefore >= 1)) break;
      }
      j--;
    }
    return Math.max(j, 0);
  }

  // scanIn returns the scan that ends with an Enter at now, or null when
  // the keys were typed by a person.
  function scanIn(now) {
    var j = burstStart();
    if (buf.length - j < MIN_SCAN || fastShare(times.slice(j), now) < FAST_SHARE) return null;
    return { text: buf.slice(j).join(''), snap: snaps[j] };
  }

  function isCharKey(k) {
    if (!k) return false;
    if (k.length === 1) return true;
    // one code point outside the BMP (a surrogate pair)
    return k.length === 2 && k.charCodeAt(0) >= 0xd800 && k.charCodeAt(0) < 0xdc00;
  }

  function onKeyDown(e) {
    if ($('settings').open) return;
    var k = e.key;
    charPending = false;
    if (e.ctrlKey && e.altKey && (e.code === 'KeyS' || k === 's' || k === 'S')) {
      e.preventDefault();
      openSettings();
      return;
    }
    // Ctrl or Meta shortcuts are not scanner input; AltGr (Ctrl+Alt) may be.
    if ((e.ctrlKey || e.metaKey) && !(e.ctrlKey && e.altKey)) return;
    var now = e.timeStamp || performance.now();
    var gap = now - lastKey;
    var target = e.target;
    var editable = isEditable(target);
    if (gap > RESET_GAP) resetBuffer();
    var inBurst = buf.length > 0 && gap <= BURST_GAP;

    if (k === 'Enter') {
      var scan = scanIn(now);
      resetBuffer();
      lastKey = -1e9;
      if (scan) {
        e.preventDefault();
        e.stopPropagation();
        swallowUntil = now + 500;
        // The scanner typed into a field: put the field back as it was.
        if (scan.snap && scan.snap.el === target) target.value = scan.snap.value;
        var text = scan.text;
        // What is left in the ID field is only the digits the typed-by-hand
        // timer moved there just before this scan: most likely its first
        // key, the scanner having paused after it. They leave the field, and
        // go back in front of the scan when that makes a card's payload of
        // what otherwise is not one.
        if (movedToField && $('manual-id').value === movedToField && now - movedAt < MOVED_RECENT) {
          $('manual-id').value = '';
          if (!CARD_START.test(text) && CARD_START.test(movedToField + text)) text = movedToField + text;
        }
        movedToField = '';
        onScan(text);
        return;
      }
      if (state.ackPending && !editable) {
        e.preventDefault();
        swallowUntil = now + 500;
        acknowledge();
      }
      return;
    }
    if (k === 'Escape') {
      resetBuffer();
      if (state.screen === 'camera') { stopCamera(); goIdle(); }
      else if (state.screen !== 'idle' && !state.ackPending && !state.busy) goIdle();
      else if (target === $('manual-id')) { target.value = ''; setManualError(''); }
      return;
    }
    if (k === 'F2') {
      e.preventDefault();
      focusManual('');
      return;
    }
    if (k === 'Backspace') {
      // An input method (Telex) rewrites what the scanner typed by erasing
      // and retyping: keep what finally arrived.
      if (buf.length && gap <= BURST_GAP) {
        popKey(now);
        if (!editable) e.preventDefault();
      }
      return;
    }
    if (k === 'Tab') {
      if (inBurst && buf.length >= 3) {
        e.preventDefault();
        pushKey('\t', now, target);
      }
      return;
    }
    if (k === 'Unidentified' || k === 'Process') {
      // A character the layout does not know (a Vietnamese letter sent as
      // a Unicode packet, an input method at work): it arrives as keypress.
      charPending = true;
      return;
    }
    if (!isCharKey(k)) return; // Shift, Dead, arrows…

    // A human pressing Space on a focused button means "click".
    if (k === ' ' && isButtonLike(target) && !inBurst) {
      lastKey = -1e9;
      resetBuffer();
      return;
    }
    pushKey(k, now, target);
    if (!editable) {
      if (handTimer) clearTimeout(handTimer);
      handTimer = null;
      // Clearly a person: the ID field takes the digits so far, and this
      // key goes on to it as usual (focus moves before the key is typed).
      if (buf.length >= 2 && gap > BURST_GAP && fastShare(times) < 0.5 && typedByHand(true)) return;
      e.preventDefault();
      handTimer = setTimeout(typedByHand, HUMAN_DELAY);
    }
  }

  // onKeyPress takes the characters whose keydown did not name them.
  function onKeyPress(e) {
    if (e.key === 'Enter' && (e.timeStamp || performance.now()) < swallowUntil) {
      // The keydown was a scan's end or an acknowledgement: the Enter must
      // not also press the focused button or submit the focused form.
      e.preventDefault();
      e.stopPropagation();
      swallowUntil = 0;
      return;
    }
    if (!charPending || $('settings').open) return;
    charPending = false;
    var ch = isCharKey(e.key) ? e.key : (e.charCode > 31 ? String.fromCodePoint(e.charCode) : '');
    if (!ch) return;
    var now = e.timeStamp || performance.now();
    if (now - lastKey > RESET_GAP) resetBuffer();
    pushKey(ch, now, e.target);
    if (!isEditable(e.target)) e.preventDefault();
  }

  // Digits typed by hand outside any field (keys well apart, then a pause)
  // start manual entry: they move to the ID field, which keeps the focus.
  function typedByHand(lastGoesOn) {
    handTimer = null;
    if (!buf.length || state.ackPending || state.busy || state.screen === 'camera' || $('settings').open) return false;
    if (isEditable(document.activeElement)) return false;
    if (buf.length > 1 && fastShare(times) >= 0.5) return false; // a scanner burst, not a person
    var typed = buf.join('');
    if (!/^[0-9]+$/.test(typed)) return false;
    if (lastGoesOn) typed = typed.slice(0, -1);
    if (state.screen !== 'idle') goIdle();
    var f = $('manual-id');
    f.value = '';
    focusManual(typed);
    // Should these keys turn out to be the start of a scan that arrived
    // late (a busy machine: the timer fired between keys the scanner sent
    // fast), the scan's end must empty the field again, or the scanned ID
    // would stay there for the next patient's typed check-in.
    for (var i = 0; i < snaps.length; i++) snaps[i] = { el: f, value: '' };
    movedToField = f.value + (lastGoesOn ? buf[buf.length - 1] : '');
    movedAt = performance.now();
    return true;
  }

  function focusManual(prefill) {
    if (state.screen !== 'idle') goIdle();
    var f = $('manual-id');
    if (prefill) f.value = (f.value + prefill).replace(/\D/g, '').slice(0, 12);
    f.focus();
    var n = f.value.length;
    f.setSelectionRange(n, n);
  }

  function onScan(text) {
    text = text.replace(/[\r\n]+$/, '');
    if (!text.trim()) return;
    if ($('manual-id') === document.activeElement) $('manual-id').blur();
    // A barcode that holds only the 12-digit ID (or a paste) is an ID,
    // not a card's QR payload.
    if (/^\s*[0-9]{12}\s*$/.test(text)) checkin({ citizen_id: text.trim() });
    else checkin({ scan: text });
  }

  // ---------------------------------------------------------------- manual entry
  function setManualError(msg) {
    var f = $('manual-id');
    var hint = $('manual-hint');
    if (msg) {
      f.setAttribute('aria-invalid', 'true');
      hint.textContent = msg;
      hint.classList.add('hint-error');
    } else {
      f.removeAttribute('aria-invalid');
      hint.textContent = t('manual_hint');
      hint.classList.remove('hint-error');
    }
  }

  function onManualSubmit(e) {
    e.preventDefault();
    var f = $('manual-id');
    var v = f.value.replace(/\D/g, '');
    if (v.length !== 12) {
      setManualError(t('manual_invalid', { n: v.length }));
      f.focus();
      return;
    }
    setManualError('');
    f.value = '';
    movedToField = '';
    f.blur();
    checkin({ citizen_id: v });
  }

  function onManualInput() {
    var f = $('manual-id');
    var clean = f.value.replace(/\D/g, '').slice(0, 12);
    if (clean !== f.value) f.value = clean;
    if (f.getAttribute('aria-invalid') && clean.length === 12) setManualError('');
  }

  // ---------------------------------------------------------------- camera
  var cam = { stream: null, timer: null, inFlight: false, deadline: 0, canvas: null, frameCanvas: null };

  function setCameraStatus(key, vars) {
    state.cameraMsg = { key: key, vars: vars };
    $('camera-status').textContent = t(key, vars);
  }

  function openCamera() {
    if (!configured()) { openSettings(); return; }
    if (state.busy || state.ackPending) return;
    stopCountdown();
    showScreen('camera');
    var md = navigator.mediaDevices;
    if (!md || !md.getUserMedia) {
      setCameraStatus('camera_unsupported');
      return;
    }
    setCameraStatus('camera_starting');
    md.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } } })
      .then(function (stream) {
        if (state.screen !== 'camera') { stream.getTracks().forEach(function (tr) { tr.stop(); }); return; }
        cam.stream = stream;
        var video = $('camera-video');
        video.srcObject = stream;
        return video.play().then(function () {
          setCameraStatus('camera_looking');
          cam.deadline = Date.now() + CAMERA_TIMEOUT * 1000;
          cam.timer = setInterval(cameraTick, CAMERA_INTERVAL);
        });
      })
      .catch(function (err) {
        stopCamera();
        setCameraStatus('camera_denied', { reason: (err && err.name) || 'error' });
      });
  }

  function grabFrame(source, w, h, maxW) {
    var scale = Math.min(1, maxW / w);
    var c = cam.canvas || (cam.canvas = document.createElement('canvas'));
    c.width = Math.round(w * scale);
    c.height = Math.round(h * scale);
    c.getContext('2d').drawImage(source, 0, 0, c.width, c.height);
    return canvasBlob(c, 'image/jpeg', 0.85);
  }

  // A live frame as the server's short path for camera frames wants it
  // (openapi.yaml: ImageSource, source=camera): grey, at most 640x480 px, JPEG
  // quality 0.8. A CCCD code held to fill a third of the frame has 3-4 px
  // per module there, which is what the decoder needs; more pixels only
  // cost the server's JPEG decoding (most of a frame's CPU there), and
  // colour is not read. Browsers write three-component JPEGs: with grey
  // pixels the two colour planes are flat and cost little to decode.
  var FRAME_MAX_LONG = 640, FRAME_MAX_SHORT = 480, FRAME_QUALITY = 0.8;

  function grabCameraFrame(video) {
    var w = video.videoWidth, h = video.videoHeight;
    var scale = Math.min(1, FRAME_MAX_LONG / Math.max(w, h), FRAME_MAX_SHORT / Math.min(w, h));
    var c = cam.frameCanvas || (cam.frameCanvas = document.createElement('canvas'));
    var fw = Math.max(1, Math.round(w * scale)), fh = Math.max(1, Math.round(h * scale));
    if (c.width !== fw || c.height !== fh) { c.width = fw; c.height = fh; }
    var ctx = c.getContext('2d', { willReadFrequently: true });
    if (typeof ctx.filter === 'string') {
      ctx.filter = 'grayscale(1)';
      ctx.drawImage(video, 0, 0, fw, fh);
      ctx.filter = 'none';
    } else {
      // No canvas filters (older Safari): the luma by hand, Rec. 601.
      ctx.drawImage(video, 0, 0, fw, fh);
      var img = ctx.getImageData(0, 0, fw, fh), d = img.data;
      for (var i = 0; i < d.length; i += 4) {
        var y = (306 * d[i] + 601 * d[i + 1] + 117 * d[i + 2] + 512) >> 10;
        d[i] = d[i + 1] = d[i + 2] = y;
      }
      ctx.putImageData(img, 0, 0);
    }
    return canvasBlob(c, 'image/jpeg', FRAME_QUALITY);
  }

  function cameraTick() {
    if (!cam.stream || cam.inFlight) return;
    if (Date.now() > cam.deadline) {
      stopCamera();
      setCameraStatus('camera_timeout', { n: CAMERA_TIMEOUT });
      return;
    }
    var video = $('camera-video');
    if (video.readyState < 2 || !video.videoWidth) return;
    cam.inFlight = true;
    grabCameraFrame(video).then(function (blob) {
      if (!blob || !cam.stream) { cam.inFlight = false; return; }
      var fd = new FormData();
      fd.append('source', 'camera');
      fd.append('image', blob, 'frame.jpg');
      return call('/v1/decode', { form: fd, timeout: 10000 }).then(function (r) {
        cam.inFlight = false;
        if (!cam.stream) return; // cancelled meanwhile
        if (r.kind === 'ok') {
          setOnline(true);
          setCameraStatus('camera_found');
          stopCamera();
          checkin({ image: blob, name: 'frame.jpg', source: 'camera' });
        } else if (r.kind === 'rejected' && r.status === 422) {
          // no code in this frame: keep looking
        } else if (r.kind === 'rejected') {
          stopCamera();
          showError({ status: r.status, code: errCode(r), message: errMessage(r), image: true });
        } else {
          setOnline(false);
          stopCamera();
          setCameraStatus('camera_offline');
        }
      });
    }).catch(function () { cam.inFlight = false; });
  }

  function stopCamera() {
    if (cam.timer) clearInterval(cam.timer);
    cam.timer = null;
    if (cam.stream) cam.stream.getTracks().forEach(function (tr) { tr.stop(); });
    cam.stream = null;
    var video = $('camera-video');
    if (video.srcObject) video.srcObject = null;
  }

  // ---------------------------------------------------------------- photo
  var PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/gif'];

  function onPhoto() {
    var input = $('photo-input');
    var file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    if (!configured()) { openSettings(); return; }
    if (PHOTO_TYPES.indexOf(file.type) >= 0 && file.size <= 6 * 1024 * 1024) {
      checkin({ image: file, name: file.name || 'card' });
      return;
    }
    // Large or unusual photos are re-encoded as a JPEG of at most 2400 px.
    if (!window.createImageBitmap) { checkin({ image: file, name: file.name || 'card' }); return; }
    createImageBitmap(file).then(function (bmp) {
      return grabFrame(bmp, bmp.width, bmp.height, 2400);
    }).then(function (blob) {
      checkin({ image: blob || file, name: 'card.jpg' });
    }, function () {
      checkin({ image: file, name: file.name || 'card' });
    });
  }

  // ---------------------------------------------------------------- settings dialog
  function openSettings() {
    var dlg = $('settings');
    if (dlg.open) return;
    stopCamera();
    stopCountdown();
    $('set-facility').value = settings.facility;
    $('set-kiosk').value = settings.kiosk;
    $('set-token').value = '';
    $('set-token').placeholder = settings.token ? t('set_token_keep') : '';
    $('set-idle').value = String(settings.idleSeconds);
    $('set-lang').value = settings.lang;
    $('set-autoprint').checked = !!settings.autoPrint;
    $('settings-error').hidden = true;
    $('settings-cancel').hidden = !configured();
    dlg.showModal();
    $('set-facility').focus();
  }

  function closeSettings() {
    $('settings').close();
    resetBuffer();
    if (state.screen === 'idle' || state.screen === 'camera') goIdle();
    else if (!state.ackPending) startCountdown();
  }

  function settingsError(key) {
    var el = $('settings-error');
    el.textContent = t(key);
    el.hidden = false;
  }

  function onSettingsSave(e) {
    e.preventDefault();
    var facility = $('set-facility').value.trim().toUpperCase();
    var token = $('set-token').value.trim() || settings.token;
    var idle = parseInt($('set-idle').value, 10);
    if (facility.length !== 5) { settingsError('settings_err_facility'); $('set-facility').focus(); return; }
    if (!token) { settingsError('settings_err_token'); $('set-token').focus(); return; }
    if (!(idle >= 5 && idle <= 600)) { settingsError('settings_err_idle'); $('set-idle').focus(); return; }
    settings = {
      facility: facility,
      kiosk: $('set-kiosk').value.trim().slice(0, 64),
      token: token,
      idleSeconds: idle,
      lang: $('set-lang').value === 'en' ? 'en' : 'vi',
      autoPrint: $('set-autoprint').checked
    };
    writeJSON(LS_SETTINGS, settings);
    lang = settings.lang;
    applyLanguage();
    closeSettings();
    toast(t('settings_saved'), 'ok', 2500);
    state.queueHeld = false;
    flushSoon(0);
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    window.addEventListener('keydown', onKeyDown, true);
    window.addEventListener('keypress', onKeyPress, true);
    $('manual-form').addEventListener('submit', onManualSubmit);
    $('manual-id').addEventListener('input', onManualInput);
    $('camera-btn').addEventListener('click', openCamera);
    $('camera-cancel').addEventListener('click', function () { stopCamera(); goIdle(); });
    $('photo-btn').addEventListener('click', function () { $('photo-input').click(); });
    $('photo-input').addEventListener('change', onPhoto);
    $('dup-ack').addEventListener('click', acknowledge);
    $('next-btn').addEventListener('click', goIdle);
    $('print-btn').addEventListener('click', printTicket);
    $('err-rescan').addEventListener('click', goIdle);
    $('err-manual').addEventListener('click', function () { focusManual(''); });
    $('queued-ok').addEventListener('click', goIdle);
    $('settings-btn').addEventListener('click', openSettings);
    $('settings-form').addEventListener('submit', onSettingsSave);
    $('settings-cancel').addEventListener('click', closeSettings);
    $('settings').addEventListener('cancel', function (e) {
      e.preventDefault();
      if (configured()) closeSettings();
    });
    $('settings').addEventListener('close', function () {
      // First run: the settings are required. (Chromium lets Escape close a
      // modal dialog even when its cancel event is refused.)
      var dlg = $('settings');
      if (!configured()) setTimeout(function () { if (!dlg.open) dlg.showModal(); }, 0);
    });
    $('lang-btn').addEventListener('click', function () {
      lang = lang === 'vi' ? 'en' : 'vi';
      applyLanguage();
    });
    $('main').addEventListener('pointerdown', function () {
      if (state.countdownTimer) startCountdown(); // someone is reading: start the count again
    });
    window.addEventListener('online', function () { flushSoon(0); });
    window.addEventListener('offline', function () { setOnline(false); });
    window.addEventListener('storage', function (e) {
      if (e.key === LS_QUEUE) renderQueue();
    });

    applyLanguage();
    tickClock();
    setInterval(tickClock, 15000);
    showScreen('idle');
    document.body.setAttribute('data-ready', 'true');
    if (!configured()) openSettings();
    else flushSoon(500);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
