// The reception kiosk page: keyboard-wedge scanner, webcam, photo upload and
// manual entry; the visit at the desk (route and visit type, department,
// priority); the check-in result with the coverage of this visit; the
// same-day warning acknowledged with a reason; the queue ticket; an offline
// queue in IndexedDB, and the list of its visits that came back flagged and
// wait for a reason. Plain JS, no build
// step, no network resource but this service (the page runs under a strict
// CSP: no inline script or style).
'use strict';

(function () {
  var STRINGS = window.KIOSK_I18N;
  var LS_SETTINGS = 'kiosk.settings.v1';
  var LS_QUEUE = 'kiosk.queue.v1'; // the queue before it moved to IndexedDB: migrated once
  var LS_DESK = 'kiosk.desk.v1'; // the last answer of GET /v1/desk, for use while offline
  var LS_FLAGGED = 'kiosk.flagged.v1'; // visits sent from the queue that wait for a reason
  var IDB_NAME = 'kiosk';
  var IDB_STORE = 'queue';

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
  var RETRY_MAX = 30000;
  var PROBE_EVERY = 5000; // ms between health probes while offline
  var BATCH_MAX = 50; // queued check-ins sent per POST /v1/checkins/batch
  var FRAGMENT_WINDOW = 1500; // ms after a broken-off scanner burst before the page says so
  var FLAGGED_MAX = 200; // visits kept waiting for a reason (the queue's size)

  // The visit types the desk chooses from, in the order of their Alt+digit
  // shortcuts (scanners never send Alt, so these cannot collide with a
  // scan's characters). docs/domain.md §10: referral, emergency and a
  // follow-up appointment are correct-route cases.
  var VISIT_TYPES = ['outpatient', 'referral', 'emergency', 'follow_up'];
  // The contract's acknowledgement reasons and the clerk-chosen priority
  // groups (docs/domain.md §11), until GET /v1/desk says the facility's own.
  var ACK_REASONS = ['referral', 'emergency', 'follow_up', 'chronic', 'patient_choice', 'other'];
  var CLERK_PRIORITY = ['pregnant', 'disability'];

  var DEFAULTS = { facility: '', kiosk: '', token: '', idleSeconds: 20, lang: 'vi', autoPrint: false, department: '' };

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

  // The facility's zone (GET /v1/desk), so that the header clock and the
  // queued scans' times read as the facility's wall clock whatever this
  // PC's zone; Vietnam's until the service has said (docs/domain.md §7).
  function facilityZone() {
    return (desk && desk.facility && desk.facility.time_zone) || 'Asia/Ho_Chi_Minh';
  }

  function zoneParts(ms) {
    var f;
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone: facilityZone(), hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    } catch (e) {
      f = new Intl.DateTimeFormat('en-GB', { hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    }
    var out = {};
    f.formatToParts(new Date(ms)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  function fmtLocalTime(ms) {
    var p = zoneParts(ms);
    return p.hour + ':' + p.minute;
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
  var desk = loadDesk();

  function loadDesk() {
    var d = readJSON(LS_DESK, null);
    return d && d.facility && d.facility.code === settings.facility ? d : null;
  }

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
    tickClock();
    renderQueue();
    renderDeskLists();
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
    cameraMsg: null,
    ackBusy: false, // an acknowledgement is on its way
    vbBusy: false, // a change of this visit is on its way
    vbStatus: null // {key, vars, kind}: what the last change of the visit came to
  };

  // next is the visit the desk set up for the patient about to be scanned;
  // the visit of a result on screen is state.result.visit.
  var next = freshNext();

  function freshNext() {
    return { visit_type: 'outpatient', referral_no: '', priority: [] };
  }

  function showScreen(name) {
    state.screen = name;
    document.body.setAttribute('data-screen', name);
    ['idle', 'busy', 'camera', 'result', 'error', 'queued'].forEach(function (s) {
      $('screen-' + s).hidden = s !== name;
    });
    placeVisitBar();
    // Every state opens at its top (on a phone: the name and the ticket).
    $('main').scrollTop = 0;
    window.scrollTo(0, 0);
  }

  // focusQuietly moves the focus without scrolling: a button at the foot
  // of a long result must not scroll its top out of sight on a phone.
  function focusQuietly(el) {
    try { el.focus({ preventScroll: true }); } catch (e) { el.focus(); }
  }

  function goIdle() {
    stopCountdown();
    stopCamera();
    state.result = null;
    state.error = null;
    state.queuedAt = 0;
    state.queuedID = null;
    state.ackPending = false;
    state.vbStatus = null;
    // next stays: chosen for a patient whose scan failed, it is still
    // theirs (and shown on the idle screen's bar).
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
  // facilityLabel is "name (code)" when the name is known.
  function facilityLabel(code, name) {
    if (!name && desk && desk.facility && desk.facility.code === code) name = desk.facility.name;
    return name ? name + ' (' + code + ')' : (code || '');
  }

  function deskName() {
    return settings.kiosk || (desk && desk.desk) || '';
  }

  function renderHeader() {
    var place = [];
    if (settings.facility) place.push(facilityLabel(settings.facility));
    if (deskName()) place.push(deskName());
    $('place-label').textContent = configured() ? place.join(' \u00b7 ') : t('not_configured');
    var ns = $('net-status');
    ns.className = 'pill ' + (state.online ? 'pill-ok' : 'pill-bad');
    ns.setAttribute('data-online', state.online ? 'true' : 'false');
    $('net-text').textContent = t(state.online ? 'net_online' : 'net_offline');
    renderFlaggedBtn();
  }

  function tickClock() {
    var p = zoneParts(Date.now());
    var el = $('clock');
    el.textContent = p.hour + ':' + p.minute + '  ' + p.day + '/' + p.month + '/' + p.year;
    el.setAttribute('data-tz', facilityZone());
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
    var headers = { 'Accept': 'application/json', 'Authorization': 'Bearer ' + (opts.token || settings.token) };
    if (opts.idem) headers['Idempotency-Key'] = opts.idem;
    var body = opts.form;
    if (opts.json) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, opts.timeout || 15000);
    return fetch(path, {
      method: opts.method || (body ? 'POST' : 'GET'), headers: headers, body: body, signal: ctrl.signal,
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
    hideScanNotice();
    var scannedAt = Date.now();
    var body = checkinBody(src);
    state.busy = true;
    showScreen('busy');
    var req;
    if (src.image) {
      var fd = new FormData();
      Object.keys(body).forEach(function (k) {
        var v = body[k];
        if (Array.isArray(v)) v.forEach(function (x) { fd.append(k, x); });
        else fd.append(k, v);
      });
      if (src.source) fd.append('source', src.source);
      fd.append('image', src.image, src.name || 'card.jpg');
      req = call('/v1/checkins', { form: fd, timeout: 30000 });
    } else {
      req = call('/v1/checkins', { json: body });
    }
    req.then(function (r) {
      state.busy = false;
      if (r.kind === 'ok') {
        setOnline(true);
        state.queueHeld = false;
        next = freshNext(); // what the desk chose went with this patient
        showResult(r.data, false);
        flushSoon(0);
      } else if (r.kind === 'rejected') {
        setOnline(true);
        showError({ status: r.status, code: errCode(r), message: errMessage(r), manual: !!src.citizen_id, image: !!src.image });
      } else if (src.image) {
        setOnline(false);
        showError({ status: r.status, code: 'offline_image', message: t('photo_offline'), image: true });
      } else {
        // No answer, or 503 not_recorded (the visit could not be
        // recorded): the scan waits in the queue with its time.
        setOnline(false);
        state.busy = true; // until the scan is safely kept
        next = freshNext();
        enqueue(body, scannedAt).then(function (item) {
          state.busy = false;
          showQueued(item);
          runPending();
        });
        return;
      }
      runPending();
    });
  }

  // checkinBody is the check-in as the desk set it up: the card or ID, and
  // the visit the clerk chose before the scan.
  function checkinBody(src) {
    var b = { facility: settings.facility };
    if (settings.kiosk) b.kiosk = settings.kiosk;
    if (src.scan !== undefined) b.scan = src.scan;
    if (src.citizen_id !== undefined) b.citizen_id = src.citizen_id;
    if (next.visit_type !== 'outpatient') b.visit_type = next.visit_type;
    if (next.visit_type === 'referral' && next.referral_no) b.referral_no = next.referral_no;
    if (settings.department && deptKnown(settings.department)) b.department = settings.department;
    if (next.priority.length) b.priority = next.priority.slice();
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
  // Scan-to-screen time: from the scanner's Enter (or the camera frame
  // that read) to the result painted, as a performance measure
  // "kiosk-scan-to-screen" (the browser tests report it).
  var scanStart = 0;

  function scanStarted(at) {
    scanStart = at;
  }

  function measureScan() {
    if (!scanStart) return;
    var start = scanStart;
    scanStart = 0;
    requestAnimationFrame(function () {
      setTimeout(function () {
        try {
          var m = performance.measure('kiosk-scan-to-screen', { start: start, end: performance.now() });
          document.body.setAttribute('data-scan-ms', String(Math.round(m.duration)));
        } catch (e) { /* no User Timing level 3: not measured */ }
      }, 0);
    });
  }

  function showResult(d, fromQueue) {
    if (!fromQueue) measureScan();
    state.result = d;
    state.resultFromQueue = fromQueue;
    state.error = null;
    state.queuedAt = 0;
    state.vbStatus = null;
    var v = d.visit || {};
    state.ackPending = !!(d.duplicate && d.duplicate.flagged) && !v.acknowledgement;
    if (v.acknowledgement) flaggedRemove(d.checkin_id);
    // Kept on this PC too: should the page be reloaded (or the phone's
    // browser closed) before the reason, the visit waits in the list.
    if (state.ackPending) flaggedAdd(d);
    resetAckForm();
    renderResult(d, fromQueue);
    $('pending-note').hidden = true;
    showScreen('result');
    if (state.ackPending) {
      document.body.setAttribute('data-ack', 'pending');
      stopCountdown();
      renderCountdown();
      focusQuietly(firstReason());
    } else {
      document.body.removeAttribute('data-ack');
      startCountdown();
      focusQuietly($('next-btn'));
      if (v.ticket && settings.autoPrint) printTicket();
    }
  }

  // ---------------------------------------------------------------- acknowledgement
  // A same-day visit elsewhere goes ahead only with a reason the clerk
  // chose (stored for the auditors with POST
  // /v1/checkins/{id}/acknowledgement): Enter alone asks for it.
  function ackReasons() {
    var r = desk && Array.isArray(desk.acknowledgement_reasons) && desk.acknowledgement_reasons.length ? desk.acknowledgement_reasons : ACK_REASONS;
    return r.map(function (x) { return typeof x === 'string' ? x : (x && x.code) || ''; }).filter(Boolean);
  }

  function reasonName(code) {
    return STRINGS.vi['ackr_' + code] ? t('ackr_' + code) : humanCode(code);
  }

  // humanCode makes a code the page has no words for readable: "home_visit" → "Home visit".
  function humanCode(code) {
    var s = String(code || '').replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  // The reason form has two copies: the live warning's, on the result,
  // and the list's, for a visit sent from the offline queue. Same reasons,
  // same checks, same words.
  var LIVE_FORM = { box: 'ack-reasons', note: 'ack-note', btn: 'dup-ack', err: 'ack-error', prefix: 'ackr-', name: 'ack-reason' };
  var LIST_FORM = { box: 'fl-ack-reasons', note: 'fl-ack-note', btn: 'fl-ack', err: 'fl-ack-error', prefix: 'flr-', name: 'fl-ack-reason' };

  function renderAckReasons(F) {
    F = F || LIVE_FORM;
    var box = $(F.box);
    var chosen = checkedReason(F);
    box.replaceChildren();
    ackReasons().forEach(function (code, i) {
      var label = document.createElement('label');
      label.className = 'ack-reason';
      var input = document.createElement('input');
      input.type = 'radio';
      input.name = F.name;
      input.value = code;
      input.id = F.prefix + code;
      if (code === chosen) input.checked = true;
      var span = document.createElement('span');
      span.textContent = reasonName(code);
      label.appendChild(input);
      label.appendChild(span);
      box.appendChild(label);
    });
  }

  function checkedReason(F) {
    var el = document.querySelector('#' + (F || LIVE_FORM).box + ' input:checked');
    return el ? el.value : '';
  }

  function firstReason(F) {
    F = F || LIVE_FORM;
    return document.querySelector('#' + F.box + ' input:checked') || document.querySelector('#' + F.box + ' input') || $(F.btn);
  }

  function resetAckForm(F) {
    F = F || LIVE_FORM;
    document.querySelectorAll('#' + F.box + ' input').forEach(function (el) { el.checked = false; });
    $(F.note).value = '';
    ackMessage('', '', F);
    if (F === LIVE_FORM) state.ackBusy = false;
    $(F.btn).disabled = false;
  }

  function ackMessage(text, kind, F) {
    var el = $((F || LIVE_FORM).err);
    el.textContent = text;
    el.hidden = !text;
    el.setAttribute('data-kind', kind || '');
  }

  // readAck is the form's reason and note, or null when the clerk must
  // still choose a reason (or, for "other", write the note): said, and
  // the focus put where it is wanted.
  function readAck(F) {
    var reason = checkedReason(F);
    var note = $(F.note).value.trim();
    if (!reason) {
      ackMessage(t('ack_need_reason'), 'bad', F);
      focusQuietly(firstReason(F));
      return null;
    }
    if (reason === 'other' && !note) {
      ackMessage(t('ack_need_note'), 'bad', F);
      focusQuietly($(F.note));
      return null;
    }
    return { reason: reason, note: note };
  }

  // askReason answers a try to leave a warning that waits for its reason
  // (F2; quiet: a tap on the phone's strip): it leads to the reasons and,
  // unless quiet, asks for one.
  function askReason(quiet) {
    if (quiet !== true && !checkedReason()) ackMessage(t('ack_need_reason'), 'bad');
    var el = firstReason();
    try { el.scrollIntoView({ block: 'center' }); } catch (e) { /* old browser: focus scrolls */ }
    focusQuietly(el);
  }

  function ackErrorText(r) {
    var code = errCode(r);
    if (r.kind === 'unavailable') return t('ack_err_offline');
    if (r.status === 401) return t('ack_err_auth');
    if (r.status === 403) return t('ack_err_forbidden');
    if (r.status === 404) return t('ack_err_not_found');
    if (code === 'invalid_reason') return t('ack_err_reason');
    if (code === 'invalid_note') return t('ack_err_note');
    return t('ack_err_generic');
  }

  function submitAck() {
    if (!state.ackPending || state.ackBusy) return;
    var d = state.result;
    var a = readAck(LIVE_FORM);
    if (!a) return;
    var reason = a.reason, note = a.note;
    state.ackBusy = true;
    $('dup-ack').disabled = true;
    ackMessage(t('ack_saving'), 'info');
    call('/v1/checkins/' + encodeURIComponent(d.checkin_id) + '/acknowledgement', { json: { reason: reason, note: note } }).then(function (r) {
      state.ackBusy = false;
      $('dup-ack').disabled = false;
      if (state.result !== d) return;
      if (r.kind === 'ok') {
        setOnline(true);
        acknowledged(r.data || { reason: reason, note: note });
        return;
      }
      if (r.kind === 'unavailable') {
        // No answer: the reason is kept on this PC and sent when the link
        // is back, so that a dropped link does not hold up the queue.
        setOnline(false);
        var kept = { reason: reason, note: note, at: new Date().toISOString(), kept: true };
        enqueueAck(d.checkin_id, { reason: reason, note: note }).then(function () {
          if (state.result === d && state.ackPending) acknowledged(kept);
        });
        return;
      }
      ackMessage(ackErrorText(r), 'bad');
      focusQuietly(r.status === 422 && errCode(r) === 'invalid_note' ? $('ack-note') : $('dup-ack'));
    });
  }

  function acknowledged(a) {
    var d = state.result;
    if (d) {
      d.visit = d.visit || {};
      d.visit.acknowledgement = a;
      flaggedRemove(d.checkin_id);
    }
    state.ackPending = false;
    document.body.setAttribute('data-ack', 'done');
    renderAcked();
    startCountdown();
    // Back to the top: the ticket and the next-patient button.
    $('main').scrollTop = 0;
    focusQuietly($('next-btn'));
    if (d && d.visit && d.visit.ticket && settings.autoPrint) printTicket();
    runPending();
  }

  function renderAcked() {
    var d = state.result;
    var a = d && d.visit && d.visit.acknowledgement;
    var done = !!(d && d.duplicate && d.duplicate.flagged && !state.ackPending);
    $('ack-form').hidden = !(d && d.duplicate && d.duplicate.flagged) || done;
    $('dup-banner').classList.toggle('acked', done);
    var el = $('dup-acked');
    el.hidden = !done;
    el.textContent = done && a ? t(a.kept ? 'ack_kept' : 'ack_done', { reason: reasonName(a.reason) }) + (a.note ? ' \u2014 ' + a.note : '') : '';
  }

  function clearResult() {
    ['r-name', 'r-dob', 'r-gender', 'r-id', 'r-address', 'ins-status', 'ins-percent', 'ins-message',
      'r-card', 'r-valid', 'r-reg', 'r-route', 'ins-extra', 'visit-line', 'ticket-no', 'ticket-dept', 'ticket-prio',
      'ins-route-line', 'ins-hint', 'dup-acked',
      'pt-facility', 'pt-desk', 'pt-dept', 'pt-number', 'pt-prio', 'pt-time'].forEach(function (id) { $(id).textContent = ''; });
    $('identity-notes').replaceChildren();
    $('dup-list').replaceChildren();
    $('dup-banner').hidden = true;
    document.body.removeAttribute('data-checkin-id');
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
    document.body.setAttribute('data-checkin-id', d.checkin_id || '');
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
      addNote(notes, STRINGS.vi[key] ? t(key) : t('mismatch_other'), 'warn');
    });
    if (mm.length) addNote(notes, t('mismatch_check'), 'warn');
    (id.warnings || []).forEach(function (w) {
      if (degraded && (w === 'name_degraded' || w === 'name_repaired')) return;
      var key = 'warn_' + w;
      var kind = w === 'citizen_deceased' ? 'danger' : (/repaired$/.test(w) ? 'info' : 'warn');
      addNote(notes, STRINGS.vi[key] ? t(key) : t('warn_generic'), kind);
    });
    if (id.source && id.source !== 'cccd_qr' && !degraded && STRINGS.vi['source_' + id.source]) {
      addNote(notes, t('source_' + id.source), 'info');
    }
    if (d.repeat) addNote(notes, t('repeat_note', { time: fmtTimeOf(d.visit && d.visit.at) }), 'info');
    if (d.dedupe === 'unavailable') addNote(notes, t('dedupe_unavailable'), 'warn');
    notes.hidden = !notes.children.length;

    // Insurance: what THIS visit is covered at, and why. A valid card is
    // not a covered visit (docs/domain.md §11): 0% is never shown green.
    var v = d.visit || {};
    var e = d.eligibility || {};
    var status = ['eligible', 'ineligible', 'unknown'].indexOf(e.status) >= 0 ? e.status : 'unknown';
    var pct = e.coverage_percent || 0;
    var uncovered = status === 'eligible' && pct === 0;
    $('ins-panel').setAttribute('data-status', uncovered ? 'uncovered' : status);
    $('ins-status').textContent = t(uncovered ? 'status_uncovered' : 'status_' + status);
    var msg = lang === 'en' && e.message_en ? e.message_en : (e.message || '');
    $('ins-message').textContent = e.code && msg ? t('result_code', { code: e.code, msg: msg }) : msg;
    var showPct = status === 'eligible';
    $('ins-coverage').hidden = !showPct;
    $('ins-percent').textContent = showPct ? pct + '%' : '';
    var routeLine = showPct ? coverageLine(e, v, pct) : '';
    $('ins-route-line').textContent = routeLine;
    $('ins-route-line').hidden = !routeLine;
    var hint = uncovered && e.route === 'self_referred';
    $('ins-hint').textContent = hint ? t('cov_uncovered_hint') : '';
    $('ins-hint').hidden = !hint;
    setFact('f-card', 'r-card', e.card_no);
    var valid = '';
    if (e.valid_from || e.valid_to) {
      valid = e.valid_to ? t('valid_range', { from: fmtDate(e.valid_from) || '…', to: fmtDate(e.valid_to) })
        : t('valid_open', { from: fmtDate(e.valid_from) });
    }
    setFact('f-valid', 'r-valid', valid);
    setFact('f-reg', 'r-reg', e.registered_facility ? facilityLabel(e.registered_facility, e.registered_facility_name) : '');
    setFact('f-route', 'r-route', e.route && STRINGS.vi['route_' + e.route] ? t('route_' + e.route) : '');
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
    var list = $('dup-list');
    list.replaceChildren();
    $('dup-banner').hidden = !dup.flagged;
    if (dup.flagged) {
      (dup.others || []).forEach(function (o) {
        var li = document.createElement('li');
        li.textContent = t('dup_item', { facility: facilityLabel(o.facility, o.facility_name), time: fmtTimeOf(o.at, off) + ' ' + fmtDayOf(o.at, off), type: visitTypeWords(o.visit_type) });
        list.appendChild(li);
      });
    }
    renderAcked();

    // Visit and ticket.
    var vl = t('visit_line', { time: fmtTimeOf(v.at), day: fmtDayOf(v.at), facility: facilityLabel(v.facility, v.facility_name) });
    if (fromQueue) vl += ' \u00b7 ' + t('queued_sent_line', { time: fmtTimeOf(v.at) });
    $('visit-line').textContent = vl;
    var hasTicket = !!v.ticket;
    $('ticket-panel').hidden = !hasTicket;
    $('screen-result').classList.toggle('has-ticket', hasTicket);
    $('ticket-no').textContent = hasTicket ? String(v.ticket) : '';
    var dept = v.department_name || deptName(v.department);
    var groups = priorityOf(v);
    $('ticket-dept').textContent = dept;
    $('ticket-dept').hidden = !dept;
    $('ticket-prio').textContent = groups.length ? t('ticket_prio', { groups: groups.map(prioName).join(', ') }) : '';
    $('ticket-prio').hidden = !groups.length;
    document.querySelector('#ticket-panel .ticket-info').hidden = !dept && !groups.length;

    // The patient's slip: where to go and the number; no coverage (the
    // desk settles that, and it may change with the route).
    $('pt-facility').textContent = v.facility_name || facilityLabel(v.facility);
    $('pt-desk').textContent = deskName() ? t('print_desk', { desk: deskName() }) : '';
    $('pt-dept').textContent = dept;
    $('pt-number').textContent = hasTicket ? String(v.ticket) : '';
    $('pt-prio').textContent = groups.length ? t('print_prio', { groups: groups.map(prioName).join(', ') }) : '';
    $('pt-time').textContent = fmtTimeOf(v.at) + '  ' + fmtDayOf(v.at);
    renderVisitBar();
  }

  // coverageLine says what this visit is covered at and why.
  function coverageLine(e, v, pct) {
    var vt = v.visit_type;
    if (e.route === 'emergency') return t('cov_emergency', { p: pct });
    if (e.route === 'correct') {
      if (vt === 'referral') return t('cov_correct_referral', { p: pct });
      if (vt === 'follow_up') return t('cov_correct_follow_up', { p: pct });
      if (e.registered_facility && e.registered_facility === v.facility) return t('cov_correct_registered', { p: pct });
      return t('cov_correct', { p: pct });
    }
    if (e.route === 'self_referred') {
      var level = e.facility_level || (desk && desk.facility && desk.facility.code === v.facility && desk.facility.level);
      var place = level && STRINGS.vi['level_' + level] ? t('level_' + level) : (v.facility_name || v.facility);
      return t('cov_self', { p: pct, place: place });
    }
    return '';
  }

  function visitTypeWords(vt) {
    return STRINGS.vi['visit_' + vt] ? t('visit_' + vt) : humanCode(vt).toLowerCase();
  }

  // priorityOf is the visit's priority groups: those the service computed
  // (age), those the clerk chose, and an emergency.
  function priorityOf(v) {
    var g = Array.isArray(v.priority) ? v.priority.slice() : [];
    if (v.visit_type === 'emergency' && g.indexOf('emergency') < 0) g.unshift('emergency');
    return g;
  }

  function prioName(code) {
    if (STRINGS.vi['prio_' + code]) return t('prio_' + code);
    var g = desk && Array.isArray(desk.priority_groups) && desk.priority_groups.filter(function (x) { return x && x.code === code; })[0];
    return (g && g.name) || humanCode(code);
  }

  function setFact(rowID, ddID, value) {
    $(ddID).textContent = value || '';
    $(rowID).hidden = !value;
  }

  function printTicket() {
    if (!state.result || !state.result.visit || !state.result.visit.ticket) return;
    window.print();
  }

  // ---------------------------------------------------------------- the visit at the desk
  // The bar of visit type, referral number, department and priority sits
  // on the idle screen (the next patient's visit) and on the result (this
  // patient's: a change updates the same check-in with PATCH, never a
  // second check-in).
  function placeVisitBar() {
    var bar = $('visit-bar');
    var slot = state.screen === 'idle' ? $('slot-idle') : state.screen === 'result' ? $('slot-result') : null;
    if (!slot || !configured()) {
      bar.hidden = true;
      return;
    }
    if (bar.parentNode !== slot) slot.appendChild(bar);
    bar.hidden = false;
    renderVisitBar();
  }

  function departments() {
    return desk && Array.isArray(desk.departments) ? desk.departments : [];
  }

  function deptKnown(code) {
    return departments().some(function (x) { return x.code === code; });
  }

  function deptName(code) {
    if (!code) return '';
    var d = departments().filter(function (x) { return x.code === code; })[0];
    return d ? d.name : code;
  }

  // clerkGroups are the priority groups the desk chooses (the others,
  // auto, the service computes from the population record).
  function clerkGroups() {
    var g = desk && Array.isArray(desk.priority_groups) ? desk.priority_groups : null;
    if (!g) return CLERK_PRIORITY;
    return g.filter(function (x) { return x && !x.auto; }).map(function (x) { return x.code; });
  }

  // visitNow is the visit the bar shows: this patient's on the result, the
  // next one's elsewhere.
  function visitNow() {
    if (state.screen === 'result' && state.result) {
      var v = state.result.visit || {};
      var chosen = clerkGroups();
      return {
        visit_type: v.visit_type || 'outpatient',
        referral_no: v.referral_no || '',
        department: v.department || '',
        priority: (v.priority || []).filter(function (g) { return chosen.indexOf(g) >= 0; })
      };
    }
    return { visit_type: next.visit_type, referral_no: next.referral_no, department: settings.department, priority: next.priority };
  }

  function renderDeskLists() {
    var sel = $('vb-dept');
    var keep = sel.value;
    sel.replaceChildren();
    var none = document.createElement('option');
    none.value = '';
    none.textContent = t('dept_none');
    sel.appendChild(none);
    departments().forEach(function (x) {
      var o = document.createElement('option');
      o.value = x.code;
      o.textContent = x.name || x.code;
      sel.appendChild(o);
    });
    sel.value = keep;
    $('vb-dept').parentNode.querySelector('label').hidden = !departments().length;
    sel.hidden = !departments().length;

    var box = $('vb-prio');
    box.querySelectorAll('button').forEach(function (b) { b.remove(); });
    clerkGroups().forEach(function (code) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'seg seg-prio';
      b.setAttribute('data-prio', code);
      b.setAttribute('aria-pressed', 'false');
      b.textContent = prioName(code);
      box.appendChild(b);
    });
    box.hidden = !clerkGroups().length;
    renderAckReasons(LIVE_FORM);
    renderAckReasons(LIST_FORM);
    renderVisitBar();
  }

  function renderVisitBar() {
    var bar = $('visit-bar');
    if (bar.hidden) return;
    var onResult = state.screen === 'result';
    var cur = visitNow();
    $('vb-title').textContent = t(onResult ? 'vb_title_this' : 'vb_title_next');
    bar.setAttribute('data-for', onResult ? 'this' : 'next');
    bar.querySelectorAll('[data-vt]').forEach(function (b) {
      b.setAttribute('aria-pressed', b.getAttribute('data-vt') === cur.visit_type ? 'true' : 'false');
      b.disabled = state.vbBusy;
      b.hidden = !offered(b.getAttribute('data-vt'));
    });
    var isRef = cur.visit_type === 'referral';
    $('referral-form').hidden = !isRef;
    var rn = $('referral-no');
    if (document.activeElement !== rn) rn.value = isRef ? cur.referral_no : '';
    $('referral-save').hidden = !onResult;
    var sel = $('vb-dept');
    sel.value = deptKnown(cur.department) ? cur.department : '';
    sel.disabled = state.vbBusy;
    $('vb-prio').querySelectorAll('[data-prio]').forEach(function (b) {
      b.setAttribute('aria-pressed', cur.priority.indexOf(b.getAttribute('data-prio')) >= 0 ? 'true' : 'false');
      b.disabled = state.vbBusy;
    });
    var st = $('vb-status');
    var vs = state.vbStatus;
    st.textContent = vs ? t(vs.key, vs.vars) : '';
    st.setAttribute('data-kind', vs ? vs.kind : '');
    st.hidden = !vs;
  }

  function setVbStatus(key, vars, kind) {
    state.vbStatus = key ? { key: key, vars: vars, kind: kind } : null;
    renderVisitBar();
  }

  // offered says whether the service takes visit type vt (GET /v1/desk
  // lists them; all four until it has answered).
  function offered(vt) {
    var l = desk && Array.isArray(desk.visit_types) ? desk.visit_types : null;
    return !l || l.indexOf(vt) >= 0;
  }

  function setVisitType(vt) {
    if (VISIT_TYPES.indexOf(vt) < 0 || !offered(vt)) return;
    if (state.screen === 'result' && state.result) {
      var change = { visit_type: vt };
      var rn = $('referral-no').value.trim();
      if (vt === 'referral' && rn) change.referral_no = rn;
      // A referral letter's number goes only with a referral.
      if (vt !== 'referral' && state.result.visit && state.result.visit.referral_no) change.referral_no = '';
      // Told why the visit goes ahead: offer it as the warning's reason.
      if (state.ackPending && !checkedReason() && ackReasons().indexOf(vt) >= 0) {
        var r = $('ackr-' + vt);
        if (r) r.checked = true;
      }
      patchVisit(change, t('vt_' + vt), function () {
        // The letter's number next, in the field that opened.
        if (vt === 'referral' && !change.referral_no) focusQuietly($('referral-no'));
      });
      return;
    }
    if (state.screen !== 'idle') return;
    next.visit_type = vt;
    if (vt !== 'referral') next.referral_no = '';
    renderVisitBar();
    if (vt === 'referral') focusQuietly($('referral-no'));
  }

  function vbErrorKey(r) {
    var code = errCode(r);
    if (r.kind === 'unavailable') return 'vb_err_offline';
    if (r.status === 401) return 'vb_err_auth';
    if (r.status === 403) return 'vb_err_forbidden';
    if (r.status === 404) return 'vb_err_not_found';
    if (/visit_type/.test(code)) return 'vb_err_visit_type';
    if (/referral/.test(code)) return 'vb_err_referral_no';
    if (/department/.test(code)) return 'vb_err_department';
    if (/priority/.test(code)) return 'vb_err_priority';
    return 'vb_err_generic';
  }

  // patchVisit changes this patient's visit: the same check-in, its ID and
  // ticket kept, the coverage recomputed by the service.
  function patchVisit(change, what, done) {
    var d = state.result;
    if (!d || !d.checkin_id || state.vbBusy) return;
    state.vbBusy = true;
    setVbStatus('vb_saving', null, 'info');
    if (state.countdownTimer) startCountdown(); // someone is working: start the count again
    call('/v1/checkins/' + encodeURIComponent(d.checkin_id), { method: 'PATCH', json: change }).then(function (r) {
      state.vbBusy = false;
      if (state.result !== d) return; // the page moved on meanwhile
      if (r.kind === 'ok' && r.data && r.data.checkin_id) {
        setOnline(true);
        var ack = d.visit && d.visit.acknowledgement;
        state.result = r.data;
        if (ack && r.data.visit && !r.data.visit.acknowledgement) r.data.visit.acknowledgement = ack;
        state.vbStatus = { key: 'vb_saved', vars: { what: what }, kind: 'ok' };
        renderResult(r.data, state.resultFromQueue);
        if (done) done();
        return;
      }
      if (r.kind === 'unavailable') setOnline(false);
      setVbStatus(vbErrorKey(r), null, 'bad');
    });
  }

  function onVisitBarClick(e) {
    var b = e.target.closest('button');
    if (!b || b.disabled) return;
    if (b.hasAttribute('data-vt')) {
      setVisitType(b.getAttribute('data-vt'));
    } else if (b.hasAttribute('data-prio')) {
      var code = b.getAttribute('data-prio');
      var cur = visitNow().priority.slice();
      var i = cur.indexOf(code);
      if (i >= 0) cur.splice(i, 1); else cur.push(code);
      if (state.screen === 'result') patchVisit({ priority: cur }, prioName(code));
      else { next.priority = cur; renderVisitBar(); }
    }
  }

  function onDeptChange() {
    var code = $('vb-dept').value;
    // The desk's department stays for the next patients.
    settings.department = code;
    writeJSON(LS_SETTINGS, settings);
    if (state.screen === 'result') patchVisit({ department: code }, deptName(code) || t('dept_none'));
    else renderVisitBar();
  }

  function onReferralSubmit(e) {
    e.preventDefault();
    var v = $('referral-no').value.trim();
    if (state.screen === 'result') patchVisit({ visit_type: 'referral', referral_no: v }, t('referral_no') + ' ' + v);
    else next.referral_no = v;
  }

  function onReferralInput() {
    if (state.screen !== 'result') next.referral_no = $('referral-no').value.trim();
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
    } else if (/^invalid_(visit_type|referral_no|department|priority)$/.test(code)) {
      v = { title: 'err_visit_title', body: vbErrorKey({ kind: 'rejected', status: 422, data: { error: { code: code } } }), steps: ['step_fix_visit', 'step_desk'] };
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
    focusQuietly($('err-rescan'));
  }

  function renderError(err) {
    var v = errorView(err);
    // The service's code and status stay out of sight (words only on
    // screen), for support tools and the tests.
    var card = $('screen-error');
    card.setAttribute('data-code', err.code || String(err.status));
    card.setAttribute('data-status', String(err.status || ''));
    $('err-title').textContent = t(v.title);
    $('err-body').textContent = v.body ? t(v.body) : err.message;
    var ol = $('err-steps');
    ol.replaceChildren();
    v.steps.forEach(function (k) {
      var li = document.createElement('li');
      li.textContent = t(k);
      ol.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- queue
  // Scans the service could not take (no answer, or 503 not_recorded) wait
  // in IndexedDB (it survives a reload or a crash of the browser, and
  // unlike localStorage is not capped at a few MB nor written on the main
  // thread), each with its scanned_at, and go through POST
  // /v1/checkins/batch when the service is back.
  var queueMem = null; // the queue in memory when IndexedDB cannot be opened
  var queueCount = 0; // scans and reasons waiting
  var queueAcks = 0; // of which reasons (acknowledgements)
  var dbOpening = null;

  function openDB() {
    if (!dbOpening) {
      dbOpening = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error('no IndexedDB')); return; }
        var req = indexedDB.open(IDB_NAME, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore(IDB_STORE, { keyPath: 'seq', autoIncrement: true }); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
        req.onblocked = function () { reject(new Error('IndexedDB blocked')); };
      });
    }
    return dbOpening;
  }

  // store runs fn(objectStore) in one transaction and resolves with the
  // result of the request fn returns, once the transaction is committed.
  function store(mode, fn) {
    return openDB().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(IDB_STORE, mode);
        var req = fn(tx.objectStore(IDB_STORE));
        tx.oncomplete = function () { resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function memFallback(err) {
    if (queueMem === null) {
      queueMem = [];
      toast(t('queue_no_storage'), 'bad', 15000);
    }
    return err;
  }

  function queueAll() {
    if (queueMem !== null) return Promise.resolve(queueMem.slice());
    return store('readonly', function (st) { return st.getAll(); }).catch(function (err) {
      memFallback(err);
      return queueMem.slice();
    });
  }

  function queueAdd(item) {
    if (queueMem !== null) { item.seq = Date.now() + Math.random(); queueMem.push(item); return Promise.resolve(); }
    return store('readwrite', function (st) { return st.add(item); }).catch(function (err) {
      memFallback(err);
      queueMem.push(item);
    });
  }

  function queueDelete(seqs) {
    if (!seqs.length) return Promise.resolve();
    if (queueMem !== null) {
      queueMem = queueMem.filter(function (x) { return seqs.indexOf(x.seq) < 0; });
      return Promise.resolve();
    }
    return store('readwrite', function (st) { seqs.forEach(function (k) { st.delete(k); }); return null; });
  }

  function queuePut(items) {
    if (queueMem !== null || !items.length) return Promise.resolve();
    return store('readwrite', function (st) { items.forEach(function (x) { st.put(x); }); return null; });
  }

  function refreshQueue() {
    return queueAll().then(function (q) {
      queueCount = q.length;
      queueAcks = q.filter(function (x) { return x.kind === 'ack'; }).length;
      renderQueue();
      return q;
    });
  }

  // migrateQueue moves what the page kept in localStorage before into
  // IndexedDB, once.
  function migrateQueue() {
    var old = readJSON(LS_QUEUE, null);
    if (!Array.isArray(old) || !old.length) return Promise.resolve();
    return old.reduce(function (p, x) {
      return p.then(function () { return queueAdd({ id: x.id || newID(), body: x.body, scanned_at: x.scanned_at, attempts: x.attempts || 0 }); });
    }, Promise.resolve()).then(function () {
      try { localStorage.removeItem(LS_QUEUE); } catch (e) { /* kept: tried again next start */ }
    });
  }

  function enqueue(body, scannedAt) {
    var item = { id: newID(), body: body, scanned_at: new Date(scannedAt).toISOString(), attempts: 0 };
    return queueAll().then(function (q) {
      var drop = [];
      while (q.length - drop.length >= QUEUE_MAX) drop.push(q[drop.length].seq);
      if (drop.length) toast(t('queue_full'), 'warn');
      return queueDelete(drop);
    }).then(function () {
      return queueAdd(item);
    }).then(function () {
      return refreshQueue();
    }).then(function () {
      flushSoon(RETRY_BASE);
      scheduleProbe();
      return item;
    });
  }

  function renderQueue() {
    var n = queueCount;
    var scans = n - queueAcks;
    var parts = [];
    if (scans) parts.push(t('queue_count', { n: scans }));
    if (queueAcks) parts.push(t('queue_acks', { n: queueAcks }));
    var el = $('queue-status');
    el.hidden = n === 0;
    el.setAttribute('data-count', String(scans));
    el.setAttribute('data-acks', String(queueAcks));
    el.textContent = parts.join(' \u00b7 ');
    $('queued-count').textContent = scans ? t('queue_count', { n: scans }) : '';
  }

  // enqueueAck keeps a same-day warning's reason for sending later.
  function enqueueAck(checkinID, body) {
    return queueAdd({ id: newID(), kind: 'ack', checkin_id: checkinID, body: body, scanned_at: new Date().toISOString(), attempts: 0 })
      .then(refreshQueue)
      .then(function () { flushSoon(RETRY_BASE); scheduleProbe(); });
  }

  // flushAck sends a kept reason; a refusal (the check-in unknown, another
  // facility's, a reason not taken) is final, and said.
  function flushAck(item) {
    return call('/v1/checkins/' + encodeURIComponent(item.checkin_id) + '/acknowledgement', { json: item.body }).then(function (r) {
      if (r.kind === 'unavailable') {
        setOnline(false);
        retryLater();
        return;
      }
      setOnline(true);
      if (r.status === 401) {
        state.queueHeld = true;
        toast(t('queue_held'), 'bad', 15000);
        return;
      }
      if (r.kind === 'ok') toast(t('queue_ack_sent', { reason: reasonName(item.body.reason) }), 'ok');
      else toast(t('queue_ack_rejected', { msg: ackErrorText(r) }), 'bad', 15000);
      return queueDelete([item.seq]).then(function () { flushSoon(0); });
    });
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
    focusQuietly($('queued-ok'));
  }

  function renderQueued() {
    $('queued-body').textContent = t('queued_body', { time: fmtLocalTime(state.queuedAt) });
    renderQueue();
  }

  var flushing = false;
  var flushTimer = null;
  var flushAttempts = 0;

  function flushSoon(ms) {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = setTimeout(function () { flushTimer = null; flush(); }, ms);
  }

  function retryLater() {
    flushAttempts++;
    var delay = Math.min(RETRY_MAX, RETRY_BASE * Math.pow(2, flushAttempts - 1));
    flushSoon(delay * (0.8 + Math.random() * 0.4));
    document.body.setAttribute('data-flush-failures', String(flushAttempts));
  }

  // flush sends queued scans, oldest first, up to BATCH_MAX in one POST
  // /v1/checkins/batch, each with its scanned_at. No answer retries with
  // backoff; an item answered 503 (not recorded) or 5xx stays; a refused
  // key holds the queue until the settings change; any other 4xx is final
  // for that scan.
  function flush() {
    if (flushing || !configured() || state.queueHeld) return;
    flushing = true;
    queueAll().then(function (q) {
      if (!q.length) { flushing = false; flushAttempts = 0; return; }
      // Scans first (in one batch), then the kept reasons one by one.
      var scans = q.filter(function (x) { return x.kind !== 'ack'; });
      if (!scans.length) return flushAck(q[0]);
      var batch = scans.slice(0, BATCH_MAX);
      var items = batch.map(function (x) { return Object.assign({}, x.body, { scanned_at: x.scanned_at }); });
      // The same batch sent again (its answer lost) is answered from the
      // service's idempotency store, not recorded twice.
      var key = 'kiosk-batch-' + batch[0].id + '-' + batch.length;
      $('queue-status').textContent = t('queue_sending', { n: batch.length });
      return call('/v1/checkins/batch', { json: { items: items }, idem: key, timeout: 30000 }).then(function (r) {
        return settleBatch(batch, r);
      });
    }).catch(function () {
      retryLater();
    }).then(function () {
      flushing = false;
      return refreshQueue();
    });
  }

  function settleBatch(batch, r) {
    if (r.kind === 'unavailable') {
      setOnline(false);
      retryLater();
      return;
    }
    setOnline(true);
    if (r.status === 401 || r.status === 403) {
      // The kiosk's key, not the scans, was refused: keep them until the
      // settings change (or a check-in goes through again).
      state.queueHeld = true;
      toast(t('queue_held'), 'bad', 15000);
      return;
    }
    var results = r.kind === 'ok' && r.data && Array.isArray(r.data.results) ? r.data.results : null;
    if (!results) {
      // The batch itself was refused (a malformed request): the oldest
      // scan is dropped, said, so that the rest are not held behind it.
      toast(t('queue_rejected', { what: fmtLocalTime(Date.parse(batch[0].scanned_at)), msg: t(errorView({ status: r.status, code: errCode(r) }).title) }), 'bad', 10000);
      return queueDelete([batch[0].seq]).then(function () { flushSoon(0); });
    }
    var done = [], kept = [], failed = false;
    results.forEach(function (res) {
      var item = batch[res.index];
      if (!item) return;
      if (res.status === 200 && res.result) {
        done.push(item.seq);
        queuedSent(item, res.result);
      } else if (res.status >= 500 || res.status === 408 || res.status === 429) {
        item.attempts = (item.attempts || 0) + 1;
        kept.push(item);
        failed = true;
      } else if (res.status === 401 || res.status === 403) {
        state.queueHeld = true;
        kept.push(item);
      } else {
        done.push(item.seq);
        var code = res.error && res.error.code;
        toast(t('queue_rejected', { what: fmtLocalTime(Date.parse(item.scanned_at)), msg: t(errorView({ status: res.status, code: code }).title) }), 'bad', 10000);
      }
    });
    return queueDelete(done).then(function () { return queuePut(kept); }).then(function () {
      if (state.queueHeld) { toast(t('queue_held'), 'bad', 15000); return; }
      if (failed) { retryLater(); return; }
      flushAttempts = 0;
      document.body.removeAttribute('data-flush-failures');
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
      var vars = { name: name, facility: facilityLabel(o.facility, o.facility_name), time: fmtTimeOf(o.at, offsetOf(d.visit && d.visit.at)) };
      if (d.visit && d.visit.acknowledgement) {
        toast(t('queue_sent_dup', vars), 'warn', 20000);
        return;
      }
      // The patient may have gone on long ago: the visit waits in the
      // list for its reason, and the desk goes on.
      flaggedAdd(d);
      toast(t('queue_sent_dup_wait', vars), 'warn', 20000);
    } else {
      toast(t('queue_sent', { name: name }), 'ok');
    }
  }

  // ---------------------------------------------------------------- visits waiting for a reason
  // A scan sent from the offline queue that comes back with a same-day
  // warning is no longer on screen (the patient may be in the waiting
  // room, or gone): it waits in this list, kept on this PC (localStorage:
  // a few small entries, written at once), until the clerk records its
  // reason with the same form as the live warning. The list is reached
  // from the header and never holds up the desk: a scan closes it.
  function flaggedAll() {
    var l = readJSON(LS_FLAGGED, []);
    return Array.isArray(l) ? l.filter(function (x) { return x && x.checkin_id; }) : [];
  }

  // flaggedHere is the list of this kiosk's facility (another facility's
  // visits, kept from before a change of the settings, would be refused),
  // less the warning on screen now, which is asked for there.
  function flaggedHere() {
    var live = state.ackPending && state.result ? state.result.checkin_id : '';
    return flaggedAll().filter(function (x) { return x.facility === settings.facility && x.checkin_id !== live; });
  }

  function flaggedSave(l) {
    if (l.length > FLAGGED_MAX) l = l.slice(l.length - FLAGGED_MAX);
    writeJSON(LS_FLAGGED, l);
    renderFlaggedBtn();
    if ($('flagged').open) renderFlagged();
  }

  // flaggedAdd keeps what the clerk needs to find the patient and ask: the
  // name, the ID masked, the visit's time and ticket, the other visits.
  function flaggedAdd(d) {
    var v = d.visit || {};
    var c = d.citizen || {};
    var item = {
      checkin_id: d.checkin_id, facility: v.facility || settings.facility, name: c.full_name || '', citizen: maskID(c.id),
      at: v.at || '', ticket: v.ticket || 0,
      others: ((d.duplicate && d.duplicate.others) || []).map(function (o) {
        return { facility: o.facility, facility_name: o.facility_name || '', at: o.at, visit_type: o.visit_type };
      })
    };
    var l = flaggedAll().filter(function (x) { return x.checkin_id !== item.checkin_id; });
    l.push(item);
    flaggedSave(l);
  }

  function flaggedRemove(id) {
    var l = flaggedAll();
    var rest = l.filter(function (x) { return x.checkin_id !== id; });
    if (rest.length !== l.length) flaggedSave(rest);
  }

  function renderFlaggedBtn() {
    var n = configured() ? flaggedHere().length : 0;
    var b = $('flagged-btn');
    b.hidden = !n;
    b.setAttribute('data-count', String(n));
    b.textContent = '\u26a0 ' + t('flagged_btn', { n: n });
  }

  var flaggedCur = null; // the check-in whose reason the list's form takes
  var flaggedBusy = false;

  function flaggedOpen() {
    return $('flagged').open;
  }

  function openFlagged() {
    if ($('settings').open || !configured()) return;
    flaggedCur = null;
    renderFlagged();
    if (!flaggedOpen()) $('flagged').showModal();
    focusQuietly(document.querySelector('#flagged-list button') || $('flagged-close'));
  }

  function closeFlagged() {
    if (flaggedOpen()) $('flagged').close();
  }

  function visitWords(item) {
    var s = t('flagged_visit', { time: fmtTimeOf(item.at), day: fmtDayOf(item.at) });
    return item.ticket ? s + ' \u00b7 ' + t('flagged_ticket', { n: item.ticket }) : s;
  }

  function renderOthers(ul, others, at) {
    var off = offsetOf(at);
    ul.replaceChildren();
    (others || []).forEach(function (o) {
      var li = document.createElement('li');
      li.textContent = t('dup_item', { facility: facilityLabel(o.facility, o.facility_name), time: fmtTimeOf(o.at, off) + ' ' + fmtDayOf(o.at, off), type: visitTypeWords(o.visit_type) });
      ul.appendChild(li);
    });
  }

  function renderFlagged() {
    var items = flaggedHere();
    var cur = flaggedCur ? items.filter(function (x) { return x.checkin_id === flaggedCur; })[0] : null;
    if (!cur) flaggedCur = null;
    var list = $('flagged-list');
    list.hidden = !!cur;
    $('flagged-one').hidden = !cur;
    $('flagged-back').hidden = !cur;
    $('flagged-empty').hidden = !!cur || items.length > 0;
    list.replaceChildren();
    items.forEach(function (x) {
      var li = document.createElement('li');
      li.className = 'flagged-item';
      li.setAttribute('data-checkin-id', x.checkin_id);
      var text = document.createElement('div');
      text.className = 'fl-text';
      var who = document.createElement('p');
      who.className = 'fl-who';
      who.textContent = x.name + (x.citizen ? ' \u00b7 ' + x.citizen : '');
      var when = document.createElement('p');
      when.className = 'fl-visit';
      when.textContent = visitWords(x);
      var ul = document.createElement('ul');
      ul.className = 'dup-list';
      renderOthers(ul, x.others, x.at);
      text.appendChild(who);
      text.appendChild(when);
      text.appendChild(ul);
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn btn-amber';
      b.setAttribute('data-checkin-id', x.checkin_id);
      b.textContent = t('flagged_record');
      b.setAttribute('aria-label', t('flagged_record_for', { name: x.name }));
      li.appendChild(text);
      li.appendChild(b);
      list.appendChild(li);
    });
    if (cur) {
      $('flagged-who').textContent = cur.name + (cur.citizen ? ' \u00b7 ' + cur.citizen : '');
      $('flagged-visit').textContent = visitWords(cur);
      renderOthers($('flagged-others'), cur.others, cur.at);
    }
  }

  function pickFlagged(id) {
    flaggedCur = id;
    resetAckForm(LIST_FORM);
    flaggedBusy = false;
    renderFlagged();
    focusQuietly(firstReason(LIST_FORM));
  }

  function backToFlaggedList() {
    flaggedCur = null;
    renderFlagged();
    if (!flaggedHere().length) { closeFlagged(); return; }
    focusQuietly(document.querySelector('#flagged-list button') || $('flagged-close'));
  }

  // submitFlagged records the list's visit's reason: as the live warning
  // does, a reason the service cannot take now waits in the queue; a
  // visit the service refuses for good (unknown, another facility's)
  // leaves the list, said.
  function submitFlagged() {
    var id = flaggedCur;
    if (!id || flaggedBusy) return;
    var item = flaggedHere().filter(function (x) { return x.checkin_id === id; })[0];
    if (!item) return;
    var a = readAck(LIST_FORM);
    if (!a) return;
    flaggedBusy = true;
    $(LIST_FORM.btn).disabled = true;
    ackMessage(t('ack_saving'), 'info', LIST_FORM);
    call('/v1/checkins/' + encodeURIComponent(id) + '/acknowledgement', { json: a }).then(function (r) {
      flaggedBusy = false;
      $(LIST_FORM.btn).disabled = false;
      var vars = { name: item.name, reason: reasonName(a.reason) };
      // settled takes the visit off the list and, when its form is still
      // the one on screen, goes back to the list (closed when empty).
      var settled = function (text, kind, ms) {
        var shown = flaggedOpen() && flaggedCur === id;
        flaggedRemove(id);
        toast(text, kind, ms);
        if (shown) backToFlaggedList();
      };
      if (r.kind === 'ok') {
        setOnline(true);
        settled(t('flagged_done', vars), 'ok');
        return;
      }
      if (r.kind === 'unavailable') {
        setOnline(false);
        enqueueAck(id, a).then(function () { settled(t('flagged_kept', vars), 'info', 8000); });
        return;
      }
      setOnline(true);
      if (r.status === 404 || r.status === 403) {
        settled(t('flagged_gone', { name: item.name, msg: ackErrorText(r) }), 'bad', 15000);
        return;
      }
      if (flaggedCur !== id) return;
      ackMessage(ackErrorText(r), 'bad', LIST_FORM);
      focusQuietly(r.status === 422 && errCode(r) === 'invalid_note' ? $(LIST_FORM.note) : $(LIST_FORM.btn));
    });
  }

  var probeTimer = null;

  // While offline, a cheap probe finds the link again; then the queue goes
  // at once rather than at the end of its backoff.
  function scheduleProbe() {
    if (probeTimer) return;
    probeTimer = setTimeout(function () {
      probeTimer = null;
      if (state.online && !queueCount) return;
      fetch('/healthz', { cache: 'no-store', credentials: 'omit' }).then(function (res) {
        if (res.ok) {
          setOnline(true);
          if (queueCount && !flushing) flushSoon(0);
          if (queueCount) scheduleProbe();
        } else scheduleProbe();
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

  // A scanner burst broken off by a pause longer than RESET_GAP is kept as
  // a fragment: when the rest arrives and the pieces together make a card's
  // payload, that is the scan; when they do not (or nothing follows), the
  // page says the scan arrived too broken up to read, instead of letting
  // it vanish.
  var fragment = null; // {text, at}
  var fragmentTimer = null;

  // gapReset starts a new buffer after a pause, keeping a broken-off
  // scanner burst as a fragment.
  function gapReset(now) {
    if (buf.length >= 3 && fastShare(times) >= FAST_SHARE && !state.busy) {
      var text = buf.join('');
      fragment = fragment && now - fragment.at < FRAGMENT_WINDOW * 2 ? { text: fragment.text + text, at: now } : { text: text, at: now };
      // The fragment's keys may have gone to a focused field: put it back.
      if (snaps[0] && snaps[0].el && snaps[0].el.value !== undefined) {
        snaps[0].el.value = snaps[0].value;
        if (snaps[0].el === $('referral-no')) onReferralInput();
      }
      armFragmentTimer();
    }
    resetBuffer();
  }

  function armFragmentTimer() {
    if (fragmentTimer) clearTimeout(fragmentTimer);
    fragmentTimer = setTimeout(function () {
      fragmentTimer = null;
      if (!fragment) return;
      // Keys still arriving: the scan is not over yet.
      if (buf.length && performance.now() - lastKey < FRAGMENT_WINDOW) { armFragmentTimer(); return; }
      if (fragment.text.length + buf.length >= MIN_SCAN) showScanNotice();
      fragment = null;
    }, FRAGMENT_WINDOW);
  }

  // joinFragment returns the scan a fragment and the scan (or the keys)
  // that ended with Enter make together, or null when they make no card's
  // payload.
  function joinFragment(tail) {
    var f = fragment;
    fragment = null;
    if (fragmentTimer) clearTimeout(fragmentTimer);
    fragmentTimer = null;
    var joined = f.text + tail;
    if (CARD_START.test(joined) && joined.split('|').length >= 7) return joined;
    return null;
  }

  // looksComplete says whether a scan is a whole code on its own: a chip
  // card's payload (7 fields or more), an insurance card's QR (ends with
  // "$"), or a bare 12-digit ID.
  function looksComplete(text) {
    return (CARD_START.test(text) && text.split('|').length >= 7) || /\$\s*$/.test(text) || /^\s*[0-9]{12}\s*$/.test(text);
  }

  function showScanNotice() {
    if (state.screen === 'idle') {
      var el = $('scan-notice');
      el.textContent = t('scan_fragmented');
      el.hidden = false;
    } else {
      toast(t('scan_fragmented'), 'warn', 8000);
    }
    document.body.setAttribute('data-scan-fragmented', String(Date.now()));
  }

  function hideScanNotice() {
    $('scan-notice').hidden = true;
  }

  function pushKey(ch, now, target) {
    buf.push(ch);
    times.push(now);
    snaps.push(isEditable(target) ? { el: target, value: target.value } : null);
    lastKey = now;
    armStallTimer();
  }

  // A scanner burst that stops without its Enter is a scan that broke off
  // too: said once the keys have stopped for FRAGMENT_WINDOW.
  var stallTimer = null;

  function armStallTimer() {
    if (stallTimer) clearTimeout(stallTimer);
    stallTimer = setTimeout(function () {
      stallTimer = null;
      if (performance.now() - lastKey < FRAGMENT_WINDOW - 50) { armStallTimer(); return; }
      if (buf.length >= 3 && fastShare(times) >= FAST_SHARE && (buf.length >= MIN_SCAN || fragment)) {
        gapReset(performance.now());
      }
    }, FRAGMENT_WINDOW);
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
    // Alt+1..4: the visit type, before or after the scan (not while the
    // list of visits waiting for a reason is open over the screen).
    if (e.altKey && !e.ctrlKey && !e.metaKey && /^Digit[1-4]$/.test(e.code || '')) {
      e.preventDefault();
      if (!flaggedOpen()) setVisitType(VISIT_TYPES[parseInt(e.code.slice(5), 10) - 1]);
      return;
    }
    // Ctrl or Meta shortcuts are not scanner input; AltGr (Ctrl+Alt) may be.
    if ((e.ctrlKey || e.metaKey) && !(e.ctrlKey && e.altKey)) return;
    var now = e.timeStamp || performance.now();
    var gap = now - lastKey;
    var target = e.target;
    var editable = isEditable(target);
    if (gap > RESET_GAP) gapReset(now);
    var inBurst = buf.length > 0 && gap <= BURST_GAP;

    if (k === 'Enter') {
      var scan = scanIn(now);
      if (fragment && !(scan && looksComplete(scan.text))) {
        // The end of a scan that broke off: whole with the fragment, or
        // said to be unreadable (never sent as a piece).
        var fast = buf.length > 0 && fastShare(times, now) >= FAST_SHARE;
        var tail = scan ? scan.text : (fast ? buf.join('') : '');
        var snap = scan ? scan.snap : snaps[0];
        resetBuffer();
        lastKey = -1e9;
        var whole = joinFragment(tail);
        if (whole || scan || fast) {
          e.preventDefault();
          e.stopPropagation();
          swallowUntil = now + 500;
          if (snap && snap.el === target) {
            target.value = snap.value;
            if (target === $('referral-no')) onReferralInput();
          }
          if (whole) onScan(whole);
          else showScanNotice();
          return;
        }
        showScanNotice();
      } else if (fragment) {
        fragment = null; // a whole scan after a broken one: the scan counts
      }
      resetBuffer();
      lastKey = -1e9;
      if (scan) {
        e.preventDefault();
        e.stopPropagation();
        swallowUntil = now + 500;
        // The scanner typed into a field: put the field back as it was.
        if (scan.snap && scan.snap.el === target) {
          target.value = scan.snap.value;
          if (target === $('referral-no')) onReferralInput(); // its input events saw the scan
        }
        var text = scan.text;
        // A referral letter's barcode scanned into its field is the
        // letter's number, not a card: it stays there and is saved.
        if (target === $('referral-no') && !looksComplete(text) && text.indexOf('|') < 0) {
          target.value = text.trim().slice(0, 64);
          onReferralInput();
          if (state.screen === 'result') $('referral-form').requestSubmit();
          movedToField = '';
          return;
        }
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
      if (flaggedOpen()) {
        // Enter on a reason of the list's form records it, as on the
        // live warning.
        if (flaggedCur && $('fl-ack-form').contains(target) && !editable && target.tagName !== 'BUTTON') {
          e.preventDefault();
          swallowUntil = now + 500;
          submitFlagged();
        }
        return;
      }
      if (state.ackPending && !editable) {
        e.preventDefault();
        swallowUntil = now + 500;
        submitAck();
      }
      return;
    }
    if (k === 'Escape') {
      resetBuffer();
      // The list closes (its dialog's own Escape); the warning under it
      // stays as it was.
      if (flaggedOpen()) return;
      if (state.screen === 'camera') { stopCamera(); goIdle(); }
      else if (state.screen !== 'idle' && !state.ackPending && !state.busy) goIdle();
      else if (target === $('manual-id')) { target.value = ''; setManualError(''); }
      return;
    }
    if (k === 'F2') {
      e.preventDefault();
      closeFlagged();
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
    if (now - lastKey > RESET_GAP) gapReset(now);
    pushKey(ch, now, e.target);
    if (!isEditable(e.target)) e.preventDefault();
  }

  // Digits typed by hand outside any field (keys well apart, then a pause)
  // start manual entry: they move to the ID field, which keeps the focus.
  function typedByHand(lastGoesOn) {
    handTimer = null;
    if (!buf.length || state.ackPending || state.busy || state.screen === 'camera' || $('settings').open || flaggedOpen()) return false;
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
    // A same-day warning waits for its reason: F2 does not leave it in
    // silence, it asks for the reason (the next patient's scan waits).
    if (state.ackPending) { askReason(); return; }
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
    closeFlagged(); // the patient at the desk first
    scanStarted(performance.now());
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
  // cost the server's JPEG decoding (about half of a frame's CPU there),
  // and colour is not read. Browsers write three-component baseline JPEGs:
  // the server decodes their luma plane only, and with grey pixels the two
  // colour planes are flat and cost little to read past.
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
    var frameAt = performance.now();
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
          scanStarted(frameAt);
          stopCamera();
          checkin({ image: blob, name: 'frame.jpg', source: 'camera' });
        } else if (r.kind === 'rejected' && r.status === 422) {
          // no code in this frame: keep looking
        } else if (r.status === 429 || (r.status === 503 && errCode(r) === 'image_work_busy')) {
          // the server is shedding image work (rate or decoder slots): a
          // live frame is cheap to lose, the next one retries
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
    closeFlagged();
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
    $('settings-info').hidden = true;
    $('settings-save').disabled = false;
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

  function settingsError(key, vars) {
    var el = $('settings-error');
    el.textContent = t(key, vars);
    el.hidden = false;
    $('settings-info').hidden = true;
  }

  // onSettingsSave checks the token with the service (GET /v1/desk) before
  // anything is saved: a wrong token found at 7 a.m. with a queue is a
  // kiosk that records nothing.
  function onSettingsSave(e) {
    e.preventDefault();
    var facility = $('set-facility').value.trim().toUpperCase();
    var token = $('set-token').value.trim() || settings.token;
    var idle = parseInt($('set-idle').value, 10);
    if (facility && facility.length !== 5) { settingsError('settings_err_facility'); $('set-facility').focus(); return; }
    if (!token) { settingsError('settings_err_token'); $('set-token').focus(); return; }
    if (!(idle >= 5 && idle <= 600)) { settingsError('settings_err_idle'); $('set-idle').focus(); return; }
    var save = $('settings-save');
    save.disabled = true;
    $('settings-error').hidden = true;
    var info = $('settings-info');
    info.textContent = t('settings_checking');
    info.hidden = false;
    call('/v1/desk', { token: token, timeout: 10000 }).then(function (r) {
      save.disabled = false;
      info.hidden = true;
      if (r.kind !== 'ok') {
        if (r.kind === 'unavailable') settingsError('settings_err_offline');
        else if (r.status === 401) settingsError('settings_err_auth');
        else if (r.status === 403) settingsError('settings_err_role');
        else settingsError('settings_err_generic');
        $('set-token').focus();
        return;
      }
      var f = (r.data && r.data.facility) || {};
      if (f.code && facility && f.code !== facility) {
        settingsError('settings_err_other_facility', { facility: facilityLabel(f.code, f.name), entered: facility });
        $('set-facility').focus();
        return;
      }
      facility = facility || f.code || '';
      if (facility.length !== 5) { settingsError('settings_err_facility'); $('set-facility').focus(); return; }
      var changed = facility !== settings.facility;
      settings = {
        facility: facility,
        kiosk: $('set-kiosk').value.trim().slice(0, 64),
        token: token,
        idleSeconds: idle,
        lang: $('set-lang').value === 'en' ? 'en' : 'vi',
        autoPrint: $('set-autoprint').checked,
        department: changed ? '' : settings.department
      };
      writeJSON(LS_SETTINGS, settings);
      setDesk(r.data);
      lang = settings.lang;
      applyLanguage();
      closeSettings();
      toast(t('settings_saved'), 'ok', 2500);
      state.queueHeld = false;
      flushSoon(0);
    });
  }

  // ---------------------------------------------------------------- the desk
  // GET /v1/desk: the facility's name and zone, the desk, its departments,
  // the priority groups and the acknowledgement reasons. Kept for offline
  // starts.
  function setDesk(d) {
    if (!d || !d.facility) return;
    desk = d;
    writeJSON(LS_DESK, d);
    renderHeader();
    tickClock();
    renderDeskLists();
    if (state.result) renderResult(state.result, state.resultFromQueue);
  }

  function fetchDesk() {
    if (!configured()) return;
    call('/v1/desk', { timeout: 10000 }).then(function (r) {
      if (r.kind === 'ok') {
        setOnline(true);
        if (r.data && r.data.facility && r.data.facility.code && r.data.facility.code !== settings.facility) return;
        setDesk(r.data);
      } else if (r.kind === 'unavailable') {
        setOnline(false);
        setTimeout(fetchDesk, PROBE_EVERY * 2);
      }
    });
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
    $('ack-form').addEventListener('submit', function (e) { e.preventDefault(); submitAck(); });
    $('ack-reasons').addEventListener('change', function () { if (state.ackPending) ackMessage('', ''); });
    $('dup-jump').addEventListener('click', function () { askReason(true); });
    $('flagged-btn').addEventListener('click', openFlagged);
    $('flagged-close').addEventListener('click', closeFlagged);
    $('flagged-back').addEventListener('click', backToFlaggedList);
    $('flagged-list').addEventListener('click', function (e) {
      var b = e.target.closest('button[data-checkin-id]');
      if (b) pickFlagged(b.getAttribute('data-checkin-id'));
    });
    $('fl-ack-form').addEventListener('submit', function (e) { e.preventDefault(); submitFlagged(); });
    $('fl-ack-reasons').addEventListener('change', function () { ackMessage('', '', LIST_FORM); });
    $('flagged').addEventListener('close', function () { flaggedCur = null; });
    $('visit-bar').addEventListener('click', onVisitBarClick);
    $('vb-dept').addEventListener('change', onDeptChange);
    $('referral-form').addEventListener('submit', onReferralSubmit);
    $('referral-no').addEventListener('input', onReferralInput);
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

    applyLanguage();
    setInterval(tickClock, 5000);
    showScreen('idle');
    migrateQueue().then(refreshQueue, refreshQueue).then(function () {
      document.body.setAttribute('data-queue-ready', 'true');
      if (configured() && queueCount) flushSoon(500);
    });
    document.body.setAttribute('data-ready', 'true');
    if (!configured()) openSettings();
    else fetchDesk();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
