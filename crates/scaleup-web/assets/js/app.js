// scaleup counsellor app: works offline on a low-end phone.
//
// Where things live:
// - The shell (this script, the stylesheet, the page around it) is cached by the service worker
//   and holds nothing personal.
// - Everything personal lives in an IndexedDB database of the signed-in user's own
//   ("scaleup-<user id>"): the caseload pulled from the server (`records`), what the counsellor
//   recorded and has not yet sent (`outbox`), and settings and definitions (`meta`). Another
//   user of the same phone opens another database and sees nothing of this one.
// - Records are sent with the sync API (POST /api/v1/sync) and the caseload pulled with
//   GET /api/v1/sync; the server rescores every assessment and stays the authority.
// Sync runs at start, when the phone comes online, when the app comes back to the front, and
// on "Send now". A record stays in the outbox until the server acknowledged it; a rejected one
// stays, with the server's reason, until the counsellor discards it.
//
// The scorer (score.js), the protocol rules (rules.js) and the message formatter (fluent.js)
// are part of this module: scoreInstrument(def, responses), riskFlags(def, responses),
// nextSessionOf(...), eligibilityOf(...), formatMessage(pattern, args, pluralRules). Scores have
// the server's shape (assets/js/README.md): a risk flag's rule id is `rule`.

const $ = (id) => document.getElementById(id);
const M = JSON.parse($('messages').textContent);
const CFG = JSON.parse($('config').textContent);
const LANG = CFG.lang;
const PLURAL = new Intl.PluralRules(LANG);

// ---------------------------------------------------------------- messages (fluent.js)
const t = (id, args = {}) => (M[id] ? formatMessage(M[id], args, PLURAL) : id);

// ---------------------------------------------------------------- small DOM helper
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid.nodeType ? kid : String(kid));
  return el;
}
const main = $('main');
function show(title, ...content) {
  main.replaceChildren(h('h1', {}, title), ...content.flat().filter((c) => c != null && c !== false));
  document.title = title + ' · scaleup';
  main.focus();
}
function banner(text, kind = 'info', ...extra) {
  $('banner').replaceChildren(text ? h('p', { class: kind }, text, ...extra) : '');
}

// ---------------------------------------------------------------- dates (the phone's own day)
const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const today = () => iso(new Date());
const dayNo = (s) => Math.round(Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 864e5);
const addDays = (s, n) => new Date((dayNo(s) + n) * 864e5).toISOString().slice(0, 10);
const fmtDate = (s) => new Date(s.length > 10 ? s : s + 'T12:00:00').toLocaleDateString(LANG, { day: 'numeric', month: 'short' });
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// ---------------------------------------------------------------- IndexedDB
let db = null;
const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
function openDb(userId) {
  const r = indexedDB.open('scaleup-' + userId, 1);
  r.onupgradeneeded = () => {
    const d = r.result;
    d.createObjectStore('records', { keyPath: 'id' });
    d.createObjectStore('outbox', { keyPath: 'id' });
    d.createObjectStore('meta', { keyPath: 'k' });
  };
  return req(r);
}
// Writes commit durably before the promise resolves: "saved on this phone" must be true.
function write(stores, fn) {
  return new Promise((ok, fail) => {
    const tx = db.transaction(stores, 'readwrite', { durability: 'strict' });
    fn((name) => tx.objectStore(name));
    tx.oncomplete = () => ok();
    tx.onerror = tx.onabort = () => fail(tx.error);
  });
}
const all = (name) => req(db.transaction(name).objectStore(name).getAll());
const meta = async (k) => (await req(db.transaction('meta').objectStore('meta').get(k)))?.v;
const setMeta = (k, v) => write(['meta'], (s) => s('meta').put({ k, v }));

// ---------------------------------------------------------------- state
let user = null;          // {id, name, role, csrf}
let defs = null;          // programmes, facilities, protocols, instruments, supervisor
let records = new Map();  // id -> {id, kind, version, data, score, pending}
let outbox = new Map();   // id -> {id, kind, data, base_version, device_time, status, error, ...}
let alerts = [];
let formOpen = false;
let waitingWorker = null;
let flash = null;         // {hash, show}: shown at the top of one screen (a score just computed)

function clientRecords(cid) {
  const out = [];
  for (const r of records.values()) if (r.id === cid || r.data.client_id === cid) out.push(r);
  return out;
}
const byDate = (f) => (a, b) => (f(a) || '').localeCompare(f(b) || '');

function clientView(cid) {
  const recs = clientRecords(cid);
  const client = records.get(cid);
  if (!client || client.kind !== 'client') return null;
  const kind = (k) => recs.filter((r) => r.kind === k);
  const identity = kind('client_identity')[0];
  const episodes = kind('episode').sort(byDate((r) => r.data.enrolled_on));
  const episode = episodes[episodes.length - 1] || null;
  const sessions = kind('session').filter((s) => episode && s.data.episode_id === episode.id).map((s) => s.data);
  const assessments = kind('assessment').sort(byDate((r) => r.data.administered_on));
  const programme = defs?.programmes.find((p) => p.id === client.data.programme_id);
  const protocol = programme && defs.protocols[programme.protocol];
  const name = identity ? [identity.data.given_name, identity.data.family_name].filter(Boolean).join(' ') : cid.slice(0, 8);
  return { cid, client, identity, name, episode, episodes, sessions, assessments, programme, protocol, eligibility: kind('eligibility'), recs };
}

function nextSession(v, day = today()) {
  return nextSessionOf(v.protocol, v.episode?.data, v.sessions, day);
}

// ---------------------------------------------------------------- scoring and protocol rules
function instrumentDef(code) { return defs?.instruments[code]; }
function score(code, responses) {
  const def = instrumentDef(code);
  return def ? scoreInstrument(def, responses) : null;
}
// The red flags of a form whether or not it is complete enough for a total.
function flags(code, responses) {
  const def = instrumentDef(code);
  const f = def ? riskFlags(def, responses) : [];
  return Array.isArray(f) ? f : [];
}
function latestScores(v) {
  const out = {};
  for (const a of v.assessments) {
    const s = score(a.data.instrument, a.data.responses);
    if (s && !s.error) out[a.data.instrument] = { s, record: a };
  }
  return out;
}
function eligibility(protocol, scores) {
  const plain = {};
  for (const [code, x] of Object.entries(scores)) plain[code] = x.s;
  return eligibilityOf(protocol, plain);
}

// ---------------------------------------------------------------- queueing records
// Saves records on the phone (outbox and the local caseload together, in one transaction).
async function queue(items) {
  const now = new Date().toISOString();
  // Records go to the server in the order they were made (a client before its assessment);
  // IndexedDB returns them in key order, so each carries its place in the queue.
  let order = Date.now() * 1000;
  const entries = items.map(({ kind, id, data }) => {
    const prior = outbox.get(id);
    const known = records.get(id);
    // An edit of a record not yet sent replaces the queued version; an edit of a sent record
    // names the version it edits, so the server can tell a stale edit from a fresh one.
    const base = prior && prior.status === 'pending' ? prior.base_version : known && !known.pending ? known.version : null;
    const entry = { id, kind, data, base_version: base ?? null, device_time: now, queued_at: prior?.queued_at || now, order: prior?.order ?? order++, status: 'pending', error: null };
    if (kind === 'assessment') entry.instrument_version = instrumentDef(data.instrument)?.version;
    return entry;
  });
  await write(['outbox', 'records'], (s) => {
    for (const e of entries) {
      s('outbox').put(e);
      const rec = { id: e.id, kind: e.kind, version: records.get(e.id)?.version ?? 0, data: e.data, pending: true };
      s('records').put(rec);
    }
  });
  for (const e of entries) {
    outbox.set(e.id, e);
    records.set(e.id, { id: e.id, kind: e.kind, version: records.get(e.id)?.version ?? 0, data: e.data, pending: true });
  }
  updatePending();
  if (navigator.onLine) sync();
}
const pendingEntries = () => [...outbox.values()].filter((e) => e.status === 'pending').sort((a, b) => a.order - b.order);
function updatePending() {
  const n = pendingEntries().length;
  $('pending').textContent = t('app-pending', { n });
}

// ---------------------------------------------------------------- sync
let syncing = null;
function sync() {
  if (!syncing) syncing = doSync().finally(() => { syncing = null; updatePending(); });
  return syncing;
}
async function api(path, options = {}) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { 'content-type': 'application/json' }, ...options });
  if (res.status === 401) throw Object.assign(new Error('unauthenticated'), { auth: true });
  if (!res.ok) throw Object.assign(new Error('http ' + res.status), { status: res.status });
  return res.json();
}
async function doSync() {
  document.body.dataset.sync = 'busy';
  $('send').disabled = true;
  $('netstate').textContent = t('app-sending');
  try {
    await push();
    // The caseload, the definitions and the alerts come in parallel: on a 2-second round trip
    // that is the difference between a usable first day and a long wait.
    const stale = !defs || defs.lang !== LANG || Date.now() - ((await meta('defs_at')) || 0) > 6 * 36e5;
    const [, , fresh] = await Promise.all([
      pull(),
      stale ? loadDefs() : null,
      api(`/api/v1/alerts?from=${addDays(today(), -30)}&limit=500`),
    ]);
    alerts = fresh.items;
    await setMeta('alerts', alerts);
    await setMeta('last_sync', new Date().toISOString());
    banner('');
  } catch (e) {
    if (e.auth) banner(t('app-session-ended'), 'error', ' ', h('a', { href: '/' }, t('app-sign-in')));
    else banner(t('app-unreachable'));
  } finally {
    $('send').disabled = false;
    await netState();
    if (!formOpen) route();
    // A signal for people (the status line) and for the browser tests.
    document.body.dataset.sync = 'idle';
  }
}
async function push() {
  for (;;) {
    const batch = pendingEntries().slice(0, 100);
    if (!batch.length) return;
    const body = {
      device_id: await deviceId(),
      records: batch.map((e) => {
        const data = { ...e.data };
        if (e.instrument_version && e.kind === 'assessment') data.instrument_version = e.instrument_version;
        return { kind: e.kind, id: e.id, base_version: e.base_version, device_time: e.device_time, data };
      }),
    };
    const { acks } = await api('/api/v1/sync', { method: 'POST', body: JSON.stringify(body) });
    const updates = [];
    acks.forEach((ack, i) => {
      const e = batch[i];
      if (!ack) return;
      if (ack.status === 'rejected') Object.assign(e, { status: 'rejected', error: ack.error });
      else Object.assign(e, { status: ack.status === 'conflict' ? 'conflict' : 'sent', version: ack.version, sent_at: new Date().toISOString(), ack });
      updates.push(e);
    });
    await write(['outbox', 'records'], (s) => {
      for (const e of updates) {
        s('outbox').put(e);
        const rec = records.get(e.id);
        if (rec && e.status === 'sent') {
          Object.assign(rec, { version: e.version, pending: false, score: e.ack.score || rec.score });
          s('records').put(rec);
        }
      }
    });
    if (updates.length < batch.length) return;
  }
}
async function pull() {
  let cursor = (await meta('cursor')) || '';
  const first = !cursor;
  let n = 0;
  for (;;) {
    const page = await api('/api/v1/sync?limit=500&cursor=' + encodeURIComponent(cursor));
    await write(['records', 'meta'], (s) => {
      for (const c of page.changes) {
        if (outbox.get(c.id)?.status === 'pending') continue;
        const rec = { id: c.id, kind: c.kind, version: c.version, data: c.data, score: c.score, pending: false };
        records.set(c.id, rec);
        s('records').put(rec);
      }
      // The cursor moves in the same transaction as the records: a pull interrupted by a lost
      // connection resumes where it stopped.
      s('meta').put({ k: 'cursor', v: page.next_cursor });
    });
    cursor = page.next_cursor;
    n += page.changes.length;
    if (first && page.has_more) banner(t('app-first-sync') + ' ' + t('app-first-sync-progress', { n }));
    if (!page.has_more) break;
  }
  await prune();
}
// The phone keeps the active caseload and recent history: a client whose treatment ended more
// than 90 days ago, with nothing left to send, is removed from the phone (it stays on the server).
async function prune() {
  const cutoff = addDays(today(), -90);
  const drop = [];
  for (const r of records.values()) {
    if (r.kind !== 'client') continue;
    const v = clientView(r.id);
    const closed = v?.episode?.data.closed_on;
    if (closed && closed < cutoff && !v.recs.some((x) => outbox.get(x.id)?.status === 'pending')) drop.push(...v.recs.map((x) => x.id));
  }
  if (!drop.length) return;
  await write(['records'], (s) => drop.forEach((id) => s('records').delete(id)));
  drop.forEach((id) => records.delete(id));
}
async function loadDefs() {
  defs = await api('/app/defs?lang=' + LANG);
  await setMeta('defs', defs);
  await setMeta('defs_at', Date.now());
}
async function deviceId() {
  let id = localStorage.getItem('scaleup.device');
  if (!id) localStorage.setItem('scaleup.device', (id = uuid()));
  return id;
}
async function netState() {
  const last = db && (await meta('last_sync'));
  $('netstate').textContent = navigator.onLine ? (last ? t('app-last-sync', { when: new Date(last).toLocaleTimeString(LANG, { hour: '2-digit', minute: '2-digit' }) }) : t('app-never-synced')) : t('app-offline');
}

// ---------------------------------------------------------------- views
function routeTo(hash) { if (location.hash === hash) route(); else location.hash = hash; }
function route() {
  if (!db) return;
  view();
  showFlash();
}
function view() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  formOpen = false;
  const [a, b, c, d, e] = parts;
  if (a === 'new') return newClient();
  if (a === 'outbox') return outboxView();
  if (a === 'signout') return signOutView();
  if (a === 'c' && b) {
    const v = clientView(b);
    if (!v) return show(t('app-client-page'), h('p', { class: 'error' }, t('app-not-found')));
    if (c === 'assess') return assessForm(v, d, e);
    if (c === 'enrol') return enrolForm(v);
    if (c === 'session') return sessionForm(v);
    if (c === 'refer') return referForm(v);
    if (c === 'close') return closeForm(v);
    if (c === 'safety') return safetySteps(v, +(d || 1));
    return clientPage(v);
  }
  applyUpdateIfWaiting();
  return todayView();
}
function showFlash() {
  if (flash && flash.hash === location.hash) flash.show();
  else flash = null;
}
function link(href, text, cls) { return h('a', { href, class: cls }, text); }
function section(title, items, empty) {
  return h('section', {}, h('h2', {}, title), items.length ? h('ul', { class: 'list' }, items) : empty ? h('p', { class: 'muted' }, empty) : null);
}
function clientItem(v, detail, cls) {
  return h('li', { class: cls }, link('#/c/' + v.cid, v.name), detail ? h('span', { class: 'detail' }, detail) : null);
}

function todayView() {
  const day = today();
  const views = [...records.values()].filter((r) => r.kind === 'client').map((r) => clientView(r.id)).filter(Boolean);
  const alerted = new Map();
  for (const al of alerts) {
    if (al.status !== 'acknowledged' || (al.acknowledged_at || '') >= addDays(day, -3)) alerted.set(al.client_id, al);
  }
  const alertItems = [];
  for (const v of views) {
    const al = alerted.get(v.cid);
    const localFlag = !al && v.assessments.some((a) => a.pending && flags(a.data.instrument, a.data.responses).some((f) => f.escalation === 'urgent'));
    if (al) alertItems.push(clientItem(v, t('app-alert-' + al.status), al.status === 'acknowledged' ? 'ok' : 'risk'));
    else if (localFlag) alertItems.push(clientItem(v, t('app-alert-open'), 'risk'));
  }
  const due = [], overdue = [], missed = [], upcoming = [];
  for (const v of views) {
    const n = nextSession(v, day);
    if (!n) continue;
    const label = t('app-session-n', { n: n.number });
    if (n.status === 'today') due.push(clientItem(v, label));
    else if (n.status === 'overdue') overdue.push(clientItem(v, label + ' · ' + t('app-overdue-days', { n: n.late }), 'warn'));
    else if (n.status === 'missed') missed.push(clientItem(v, label + ' · ' + t('app-overdue-days', { n: n.late }), 'warn'));
    else if (n.late >= -7) upcoming.push(clientItem(v, label + ' · ' + t('app-due-on', { date: fmtDate(n.due) })));
  }
  const search = h('input', { type: 'search', id: 'find', 'aria-label': t('app-search'), placeholder: t('app-search') });
  const list = h('ul', { class: 'list' });
  // The whole caseload is one search away; the list itself stays short on a small screen.
  let all = false;
  const more = h('button', { type: 'button', onclick: () => { all = true; fill(); } });
  const fill = () => {
    const q = search.value.trim().toLowerCase();
    const found = views.filter((v) => !q || v.name.toLowerCase().includes(q)).sort(byDate((v) => v.name));
    const shown = all || q ? found.slice(0, 500) : found.slice(0, 10);
    list.replaceChildren(...shown.map((v) => clientItem(v)));
    more.hidden = shown.length >= found.length;
    more.textContent = t('app-show-all', { n: found.length });
  };
  let timer = 0;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(fill, 200); });
  fill();
  show(t('app-today'),
    h('p', {}, h('a', { href: '#/new', class: 'button primary' }, t('app-new-client'))),
    alertItems.length ? section(t('app-section-alerts'), alertItems) : null,
    section(t('app-section-due'), due, t('app-nothing-due')),
    overdue.length ? section(t('app-section-overdue'), overdue) : null,
    missed.length ? section(t('app-section-missed'), missed) : null,
    upcoming.length ? section(t('app-section-upcoming'), upcoming) : null,
    h('section', {}, h('h2', {}, t('app-all-clients')), views.length ? [search, list, more] : h('p', { class: 'muted' }, t('app-no-clients'))));
}

// Form building blocks. Validation happens on submit, never per keystroke (slow phones).
function field(label, input, hint) {
  const id = input.id || (input.id = 'f' + Math.random().toString(36).slice(2, 8));
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('small', {}, hint) : null);
}
function choices(name, legend, options, { type = 'radio', checked = [] } = {}) {
  return h('fieldset', { class: 'choices' }, h('legend', {}, legend),
    options.map(([value, label, extra]) => h('label', {}, h('input', { type, name, value, checked: checked.includes(String(value)) }), h('span', {}, label, extra ? h('small', {}, extra) : null))));
}
function select(name, options, value) {
  return h('select', { name, id: 'f-' + name }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
}
function form(title, body, onSave, cancelHref) {
  formOpen = true;
  const errors = h('div', { role: 'alert', class: 'error', hidden: true });
  const f = h('form', { class: 'card', novalidate: true }, errors, body, h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary' }, t('app-save')),
    cancelHref ? link(cancelHref, t('app-cancel'), 'button') : null));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = new FormData(f);
    const problem = await onSave(data, f);
    if (problem) { errors.hidden = false; errors.textContent = problem; errors.focus?.(); }
  });
  show(title, f);
}
const dateInput = (name, value) => h('input', { type: 'date', name, id: 'f-' + name, value, max: today(), required: true });

function newClient() {
  if (!defs) return show(t('app-new-client'), h('p', { class: 'error' }, t('app-offline')));
  const progs = defs.programmes.map((p) => [p.id, p.name]);
  const facs = defs.facilities.map((f) => [f.id, f.name]);
  const year = new Date().getFullYear();
  form(t('app-new-client'), [
    field(t('app-client-given-name'), h('input', { name: 'given_name', autocomplete: 'off', required: true })),
    field(t('app-client-family-name'), h('input', { name: 'family_name', autocomplete: 'off' })),
    field(t('app-client-phone'), h('input', { name: 'phone', type: 'tel', autocomplete: 'off' })),
    choices('sex', t('app-client-sex'), ['female', 'male', 'other', 'unknown'].map((s) => [s, t('app-sex-' + s)])),
    field(t('app-client-birth-year'), h('input', { name: 'birth_year', type: 'number', inputmode: 'numeric', min: year - 110, max: year })),
    field(t('app-client-programme'), select('programme_id', progs, progs[0]?.[0])),
    field(t('app-client-facility'), select('facility_id', facs, facs[0]?.[0])),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'consent_treatment', value: '1' }), ' ', t('app-consent-treatment')),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'consent_research', value: '1' }), ' ', t('app-consent-research')),
  ], async (d) => {
    const given = (d.get('given_name') || '').trim();
    if (!given || !d.get('sex')) return t('app-required');
    if (!d.get('consent_treatment')) return t('app-consent-required');
    const by = d.get('birth_year') ? +d.get('birth_year') : null;
    if (by != null && !(by >= year - 110 && by <= year)) return t('app-invalid-year', { min: year - 110, max: year });
    const cid = uuid();
    const day = today();
    const identity = { client_id: cid, given_name: given };
    for (const k of ['family_name', 'phone']) if ((d.get(k) || '').trim()) identity[k] = d.get(k).trim();
    const client = { programme_id: d.get('programme_id'), facility_id: d.get('facility_id'), registered_on: day, sex: d.get('sex') };
    if (by != null) client.birth_year = by;
    const items = [
      { kind: 'client', id: cid, data: client },
      { kind: 'client_identity', id: uuid(), data: identity },
      { kind: 'consent', id: uuid(), data: { client_id: cid, scope: 'treatment', given: true, on: day } },
    ];
    if (d.get('consent_research')) items.push({ kind: 'consent', id: uuid(), data: { client_id: cid, scope: 'research', given: true, on: day } });
    await queue(items);
    const p = defs.programmes.find((x) => x.id === client.programme_id);
    const screening = defs.protocols[p?.protocol]?.screening?.instrument;
    routeTo(screening ? `#/c/${cid}/assess/${screening}/screening` : '#/c/' + cid);
  }, '#/');
}

function clientPage(v) {
  const p = v.protocol;
  const scores = latestScores(v);
  const body = [];
  const status = t('app-episode-' + (v.episode ? (v.episode.data.closed_on ? 'closed' : 'active') : 'none'));
  body.push(h('p', { class: 'lead' }, [v.programme?.name, status].filter(Boolean).join(' · ')));
  const al = alerts.find((a) => a.client_id === v.cid && a.status !== 'acknowledged');
  if (al) body.push(h('p', { class: 'risk' }, t('app-alert-' + al.status)));
  const next = nextSession(v);
  const actions = [];
  const screening = p?.screening?.instrument;
  const outcome = p?.outcomes?.[0]?.instrument;
  const active = v.episode && !v.episode.data.closed_on;
  if (!v.episode && screening) {
    if (!scores[screening]) actions.push(link(`#/c/${v.cid}/assess/${screening}/screening`, t('app-screen', { instrument: instrumentDef(screening)?.short_name || screening }), 'button primary'));
    else {
      const el = eligibility(p, scores);
      body.push(h('p', { class: el.excluded ? 'risk' : '' }, eligibilityText(el, v)));
      if (!v.eligibility.length) actions.push(link(`#/c/${v.cid}/enrol`, el.eligible ? t('app-enrol') : t('app-record-decision'), 'button primary'));
    }
  }
  if (active) {
    if (next) body.push(h('div', { class: 'card' }, h('h2', {}, t('app-next-step')), h('p', {}, t('app-session-n', { n: next.number }) + ' · ' + (next.status === 'upcoming' ? t('app-due-on', { date: fmtDate(next.due) }) : next.status === 'today' ? t('app-section-due') : t('app-overdue-days', { n: next.late }))),
      next.components.length ? h('ul', {}, next.components.map((c) => h('li', {}, componentLabel(p, c)))) : null));
    actions.push(link(`#/c/${v.cid}/session`, t('app-record-session'), 'button primary'));
    if (outcome) actions.push(link(`#/c/${v.cid}/assess/${outcome}/session`, t('app-measure', { instrument: instrumentDef(outcome)?.short_name || outcome }), 'button'));
  }
  actions.push(link(`#/c/${v.cid}/refer`, t('app-refer'), 'button'));
  if (active) actions.push(link(`#/c/${v.cid}/close`, t('app-close-episode'), 'button'));
  body.push(h('div', { class: 'actions' }, actions));
  body.push(h('p', {}, t('app-sessions-attended', { n: v.sessions.filter((s) => s.attended).length })));
  body.push(h('h2', {}, t('app-trend')), trend(v, outcome || screening));
  body.push(h('h2', {}, t('app-outbox')), h('ul', { class: 'list' }, v.recs.filter((r) => outbox.has(r.id)).map((r) => outboxItem(outbox.get(r.id)))));
  show(v.name, ...body);
}
function componentLabel(p, code) { return p?.components?.find((c) => c.code === code)?.label || code; }
function eligibilityText(el, v) {
  const programme = v.programme?.name || '';
  if (el.excluded) return t(el.excluded.action === 'refer' ? 'app-excluded-refer' : 'app-excluded', { rule: el.excluded.id });
  return t(el.eligible ? 'app-eligible' : 'app-not-eligible', { programme });
}

// A small inline chart of an instrument's totals over time: no library, no request.
function trend(v, code) {
  const pts = v.assessments.filter((a) => a.data.instrument === code).map((a) => [a.data.administered_on, score(code, a.data.responses)?.total]).filter(([, y]) => typeof y === 'number');
  if (pts.length < 1) return h('p', { class: 'muted' }, t('app-no-trend'));
  const range = instrumentDef(code)?.scoring?.range || [0, Math.max(...pts.map((p) => p[1]))];
  const W = 300, H = 120, P = 24;
  const x0 = dayNo(pts[0][0]), x1 = Math.max(dayNo(pts[pts.length - 1][0]), x0 + 1);
  const X = (d) => P + ((dayNo(d) - x0) / (x1 - x0)) * (W - 2 * P);
  const Y = (y) => H - P - ((y - range[0]) / (range[1] - range[0] || 1)) * (H - 2 * P);
  const ns = 'http://www.w3.org/2000/svg';
  const s = (tag, attrs) => { const el = document.createElementNS(ns, tag); for (const [k, val] of Object.entries(attrs)) el.setAttribute(k, val); return el; };
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'trend' });
  svg.append(Object.assign(s('title', {}), { textContent: `${instrumentDef(code)?.short_name || code}: ${pts.map((p) => p[1]).join(', ')}` }));
  svg.append(s('line', { x1: P, y1: H - P, x2: W - P, y2: H - P, class: 'axis' }));
  svg.append(s('polyline', { points: pts.map(([d, y]) => `${X(d).toFixed(1)},${Y(y).toFixed(1)}`).join(' '), class: 'line' }));
  for (const [d, y] of pts) {
    svg.append(s('circle', { cx: X(d).toFixed(1), cy: Y(y).toFixed(1), r: 3 }));
    const label = s('text', { x: X(d).toFixed(1), y: (Y(y) - 6).toFixed(1), 'text-anchor': 'middle' });
    label.textContent = y;
    svg.append(label);
  }
  return svg;
}

function assessForm(v, code, occasion) {
  const def = instrumentDef(code);
  if (!def) return show(code, h('p', { class: 'error' }, t('app-not-found')));
  const options = (item) => item.options || def.response_sets?.[item.response_set]?.options || null;
  const range = (item) => item.range || def.response_sets?.[item.response_set]?.range || null;
  const items = def.items.map((item, i) => {
    const text = item.text || item.label || t('app-item-n', { n: i + 1 });
    const legend = [text, item.fallback ? h('small', { class: 'fallback' }, ' ', t('app-fallback-marker')) : null];
    const opts = options(item) || (range(item) ? Array.from({ length: range(item).max - range(item).min + 1 }, (_, k) => ({ code: range(item).min + k, label: String(range(item).min + k) })) : []);
    return h('fieldset', { class: 'item' }, h('legend', {}, ...legend),
      opts.map((o) => h('label', {}, h('input', { type: 'radio', name: 'i' + item.id, value: o.code }), ' ', o.label)));
  });
  const progress = h('p', { class: 'muted', 'aria-live': 'polite' });
  const count = (f) => { progress.textContent = t('app-answered', { n: def.items.filter((it) => new FormData(f).get('i' + it.id) != null).length, total: def.items.length }); };
  const sessionNo = occasion === 'session' ? (nextSession(v)?.number || 1) - 1 || null : null;
  form(def.short_name || def.name, [def.instructions ? h('p', {}, def.instructions) : null, def.texts_source ? h('p', { class: 'muted' }, h('small', {}, def.texts_source)) : null, progress, ...items], async (d) => {
    const responses = {};
    for (const item of def.items) { const val = d.get('i' + item.id); responses[item.id] = val == null ? null : +val; }
    const result = scoreInstrument(def, responses);
    // The server refuses a form its scorer cannot score, so the phone does too, at once: the
    // counsellor is still with the client and can ask the missing questions. Red flags on the
    // answered items are shown with the reason, never held back.
    if (result?.error) {
      const missing = def.items.map((it, i) => [it, i]).filter(([it]) => responses[it.id] == null && it.scored !== false).map(([, i]) => i + 1);
      const red = flags(code, responses).map((f) => t('app-risk-flag', { message: f.message }));
      return [t('app-incomplete-missing', { items: missing.join(', ') }), ...red].join(' ');
    }
    const id = uuid();
    // A measure "at a session" before any session is the baseline (the server requires a
    // session number for a session measure).
    const when = occasion === 'session' && !sessionNo ? 'baseline' : occasion || 'screening';
    const data = { client_id: v.cid, instrument: code, occasion: when, administered_on: today(), responses };
    if (v.episode && (!v.episode.data.closed_on || when === 'endpoint')) data.episode_id = v.episode.id;
    if (sessionNo && when === 'session') data.session_number = sessionNo;
    await queue([{ kind: 'assessment', id, data }]);
    const urgent = flags(code, responses).length;
    const next = urgent ? `#/c/${v.cid}/safety/1` : `#/c/${v.cid}`;
    flash = { hash: next, show: () => resultPanel(code, result, v) };
    routeTo(next);
  }, '#/c/' + v.cid);
  const f = main.querySelector('form');
  f.addEventListener('change', () => count(f));
  count(f);
}
// The score as the phone computed it, shown at the top of the next screen.
function resultPanel(code, r, v) {
  if (!r) return;
  const def = instrumentDef(code);
  const lines = [h('h2', {}, t('app-score') + ' · ' + (def?.short_name || code))];
  if (r.error) {
    lines.push(h('p', {}, t('app-incomplete')));
    // No total, but the answered items' red flags still show.
    for (const f of r.error.risk_flags || []) lines.push(h('p', { class: 'risk' }, t('app-risk-flag', { message: f.message })));
  } else {
    lines.push(h('p', { class: 'score' }, t('app-total', { total: r.total }), r.band ? ' · ' + t('app-band', { band: r.band.label }) : ''));
    for (const f of r.risk_flags) lines.push(h('p', { class: 'risk' }, t('app-risk-flag', { message: f.message })));
    const p = v.protocol;
    if (p?.screening?.instrument === code && !v.episode) lines.push(h('p', {}, eligibilityText(eligibility(p, { [code]: { s: r } }), v)));
  }
  main.prepend(h('div', { class: 'card result', role: 'status' }, lines));
}

// The protocol's safety steps (its [risk] safety_steps, or the four standard ones), one at a
// time. A standard step is worded in the counsellor's language; a protocol's own text is shown
// as written, marked when it is not in the counsellor's language.
const SAFETY = {
  ask: () => ['app-safety-ask-title', t('app-safety-ask')],
  keep_safe: () => ['app-safety-keep-title', t('app-safety-keep')],
  call: (v) => ['app-safety-call-title', t('app-safety-call', { hours: v.protocol?.risk?.acknowledge_within_hours ?? 24 }), defs?.supervisor ? t('app-safety-call-who', { name: defs.supervisor.name }) : null, t('app-safety-emergency')],
  record: () => ['app-safety-record-title', t('app-safety-record')],
};
function safetySteps(v, n) {
  const listed = v.protocol?.risk?.safety_steps?.length ? v.protocol.risk.safety_steps : Object.keys(SAFETY).map((kind) => ({ kind }));
  const steps = listed.map((s) => {
    const [title, ...lines] = SAFETY[s.kind](v);
    return s.text ? [title, s.text, LANG === 'en' ? null : t('app-fallback-marker')] : [title, ...lines];
  });
  const i = Math.min(Math.max(n, 1), steps.length);
  const [title, ...lines] = steps[i - 1];
  const nav = i < steps.length
    ? link(`#/c/${v.cid}/safety/${i + 1}`, t('app-safety-next'), 'button primary')
    : [link(`#/c/${v.cid}/refer?urgent`, t('app-refer'), 'button primary'), link('#/c/' + v.cid, t('app-safety-done'), 'button')];
  show(t('app-safety-title'),
    h('p', { class: 'muted' }, t('app-safety-step', { n: i, total: steps.length })),
    h('section', { class: 'card safety' }, h('h2', {}, t(title)), lines.filter(Boolean).map((l) => h('p', {}, l))),
    h('div', { class: 'actions' }, nav),
    h('p', { class: 'muted' }, t('app-safety-source')));
}

function enrolForm(v) {
  const scores = latestScores(v);
  const el = eligibility(v.protocol, scores);
  const reasons = ['no_time', 'distance', 'cost', 'family_objection', 'stigma', 'not_needed', 'prefers_other_care', 'other'];
  const screening = scores[v.protocol?.screening?.instrument]?.record;
  const decision = (extra) => {
    const d = { client_id: v.cid, decided_on: today(), eligible: el.eligible, ...extra };
    if (screening) d.assessment_id = screening.id;
    return d;
  };
  // Treatment is offered only to an eligible client (the server holds the same rule); for
  // anyone else the decision is recorded and the counsellor is pointed to referral.
  if (!el.eligible) {
    return form(t('app-enrol'), [h('p', { class: el.excluded ? 'risk' : '' }, eligibilityText(el, v))], async () => {
      await queue([{ kind: 'eligibility', id: uuid(), data: decision({ offered: false }) }]);
      routeTo(`#/c/${v.cid}/refer` + (el.excluded?.action === 'refer' ? '?urgent' : ''));
    }, '#/c/' + v.cid);
  }
  form(t('app-enrol'), [
    h('p', {}, eligibilityText(el, v)),
    choices('accepted', t('app-enrol'), [['yes', t('app-offer-accepted')], ['no', t('app-offer-declined')]]),
    field(t('app-decline-reason'), select('decline_reason', [['', '—'], ...reasons.map((r) => [r, t('app-decline-' + r)])], '')),
  ], async (d) => {
    if (!d.get('accepted')) return t('app-required');
    const accepted = d.get('accepted') === 'yes';
    if (!accepted && !d.get('decline_reason')) return t('app-decline-reason') + ': ' + t('app-required');
    const items = [{ kind: 'eligibility', id: uuid(), data: decision(accepted ? { offered: true, accepted } : { offered: true, accepted, decline_reason: d.get('decline_reason') }) }];
    if (accepted) items.push({ kind: 'episode', id: uuid(), data: { client_id: v.cid, programme_id: v.client.data.programme_id, enrolled_on: today() } });
    await queue(items);
    routeTo('#/c/' + v.cid);
  }, '#/c/' + v.cid);
}

function sessionForm(v) {
  const p = v.protocol || {};
  const next = nextSession(v) || { number: (v.sessions.length || 0) + 1, components: [] };
  const planned = new Set(next.components);
  const comps = [...(p.components || [])].sort((a, b) => planned.has(b.code) - planned.has(a.code));
  const modalities = (Array.isArray(p.delivery) ? p.delivery : [p.delivery || 'individual']);
  form(t('app-record-session'), [
    field(t('app-session-number'), h('input', { name: 'number', type: 'number', min: 1, value: next.number, inputmode: 'numeric' })),
    field(t('app-session-date'), dateInput('on', today())),
    choices('attended', t('app-session-attendance'), [['yes', t('app-session-attended')], ['no', t('app-session-missed')]], { checked: ['yes'] }),
    choices('modality', t('app-session-modality'), modalities.map((m) => [m, t('app-modality-' + m)]), { checked: [modalities[0]] }),
    field(t('app-session-minutes'), h('input', { name: 'minutes', type: 'number', min: 1, max: 600, value: p.sessions?.typical_minutes || '', inputmode: 'numeric' })),
    choices('components', t('app-session-components'), comps.map((c) => [c.code, c.label, planned.has(c.code) ? '(' + t('app-planned') + ')' : '']), { type: 'checkbox' }),
  ], async (d) => {
    const on = d.get('on');
    if (!on) return t('app-required');
    if (on > today()) return t('app-date-future');
    const attended = d.get('attended') === 'yes';
    const data = { client_id: v.cid, episode_id: v.episode.id, number: +d.get('number') || next.number, on, attended, modality: d.get('modality') || modalities[0], components: attended ? d.getAll('components') : [] };
    if (attended && d.get('minutes')) data.duration_minutes = +d.get('minutes');
    await queue([{ kind: 'session', id: uuid(), data }]);
    const outcome = p.outcomes?.find((o) => o.at.includes('each_session'));
    routeTo(attended && outcome ? `#/c/${v.cid}/assess/${outcome.instrument}/session` : '#/c/' + v.cid);
  }, '#/c/' + v.cid);
}

function referForm(v) {
  const urgent = location.hash.includes('?urgent');
  const services = ['primary_care_doctor', 'psychiatry', 'emergency', 'social_services', 'other'];
  const reasons = ['suicide_risk', 'no_improvement', 'psychosis', 'medical', 'other'];
  form(t('app-refer'), [
    field(t('app-refer-to'), select('to_service', services.map((s) => [s, t('app-service-' + s)]), urgent ? 'psychiatry' : services[0])),
    field(t('app-refer-reason'), select('reason', reasons.map((r) => [r, t('app-reason-' + r)]), urgent ? 'suicide_risk' : reasons[0])),
    choices('urgency', t('app-urgency'), ['routine', 'urgent', 'emergency'].map((u) => [u, t('app-urgency-' + u)]), { checked: [urgent ? 'urgent' : 'routine'] }),
  ], async (d) => {
    const data = { client_id: v.cid, on: today(), to_service: d.get('to_service'), reason: d.get('reason'), urgency: d.get('urgency') || 'routine', status: 'made' };
    if (v.episode && !v.episode.data.closed_on) data.episode_id = v.episode.id;
    await queue([{ kind: 'referral', id: uuid(), data }]);
    routeTo('#/c/' + v.cid);
  }, '#/c/' + v.cid);
}

function closeForm(v) {
  const reasons = ['completed', 'dropped_out', 'referred', 'transferred', 'died'];
  form(t('app-close-episode'), [
    choices('reason', t('app-close-reason'), reasons.map((r) => [r, t('app-closure-' + r)])),
    field(t('app-close-date'), dateInput('on', today())),
  ], async (d) => {
    if (!d.get('reason') || !d.get('on')) return t('app-required');
    if (d.get('on') > today()) return t('app-date-future');
    await queue([{ kind: 'episode', id: v.episode.id, data: { ...v.episode.data, closed_on: d.get('on'), closure_reason: d.get('reason') } }]);
    // Treatment completed: the protocol's end-of-treatment measure, if it has one.
    const end = d.get('reason') === 'completed' && v.protocol?.outcomes?.find((o) => o.at.includes('end'));
    routeTo(end ? `#/c/${v.cid}/assess/${end.instrument}/endpoint` : '#/c/' + v.cid);
  }, '#/c/' + v.cid);
}

function outboxItem(e) {
  const st = h('span', { class: 'chip ' + e.status }, t('app-status-' + e.status));
  const extra = e.status === 'rejected' ? [h('small', {}, ' ' + t('app-error-reason', { message: `${e.error?.field ? e.error.field + ': ' : ''}${e.error?.message || ''}` })),
    h('button', { type: 'button', onclick: async () => { await write(['outbox'], (s) => s('outbox').delete(e.id)); outbox.delete(e.id); route(); } }, t('app-discard'))] : [];
  const score = e.ack?.score && e.ack.score.total != null ? h('small', {}, ' ' + t('app-server-score', { total: e.ack.score.total })) : null;
  return h('li', {}, t('app-kind-' + e.kind), ' ', st, score, ...extra);
}
function outboxView() {
  const entries = [...outbox.values()].sort((a, b) => (b.order ?? 0) - (a.order ?? 0));
  show(t('app-outbox'),
    entries.length ? h('ul', { class: 'list' }, entries.map(outboxItem)) : h('p', {}, t('app-outbox-empty')),
    h('p', {}, downloadLink()));
}
// The escape hatch: every record not yet accepted by the server, as a file the counsellor can
// keep or hand to their supervisor.
function downloadLink() {
  return h('button', { type: 'button', onclick: () => {
    const unsent = [...outbox.values()].filter((e) => e.status !== 'sent');
    const blob = new Blob([JSON.stringify({ user: user.id, exported_at: new Date().toISOString(), records: unsent }, null, 1)], { type: 'application/json' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `scaleup-unsent-${today()}.json` });
    document.body.append(a); a.click(); a.remove();
  } }, t('app-download-unsent'));
}

async function signOutView() {
  if (navigator.onLine) await sync().catch(() => {});
  const n = [...outbox.values()].filter((e) => e.status === 'pending' || e.status === 'rejected').length;
  if (!n) return signOut();
  show(t('app-signout-title'), h('p', { class: 'risk' }, t('app-signout-unsent', { n })), h('p', {}, t('app-signout-explain')),
    h('div', { class: 'actions' }, downloadLink(), link('#/', t('app-stay'), 'button primary'),
      h('button', { type: 'button', onclick: signOut }, t('app-signout-anyway'))));
}
// Signing out removes this user's caseload from the phone but never an unsent record.
async function signOut() {
  await write(['records', 'meta', 'outbox'], (s) => {
    s('records').clear();
    s('meta').clear();
    for (const e of outbox.values()) if (e.status === 'sent') s('outbox').delete(e.id);
  });
  localStorage.removeItem('scaleup.user');
  try {
    await fetch('/logout', { method: 'POST', credentials: 'same-origin', body: new URLSearchParams({ _csrf: user.csrf }) });
  } catch {
    localStorage.setItem('scaleup.logout', user.csrf);
  }
  location.href = '/';
}

// ---------------------------------------------------------------- service worker updates
async function registerWorker() {
  if (!('serviceWorker' in navigator)) return;
  const hadController = !!navigator.serviceWorker.controller;
  const reg = await navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' });
  const waiting = (w) => { waitingWorker = w; applyUpdateIfWaiting(); };
  if (reg.waiting && hadController) waiting(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const w = reg.installing;
    w?.addEventListener('statechange', () => { if (w.state === 'installed' && navigator.serviceWorker.controller) waiting(w); });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => { if (hadController && !reloading) { reloading = true; location.reload(); } });
  setInterval(() => reg.update().catch(() => {}), 36e5);
}
// An update takes over only outside a form; the records it might interrupt are in IndexedDB
// anyway, but a half-filled form is not.
function applyUpdateIfWaiting() {
  if (!waitingWorker) return;
  if (formOpen) banner(t('app-update-ready'));
  else waitingWorker.postMessage('skip-waiting');
}

// ---------------------------------------------------------------- start
async function whoAmI() {
  const stored = JSON.parse(localStorage.getItem('scaleup.user') || 'null');
  try {
    const res = await fetch('/api/v1/auth/me', { credentials: 'same-origin' });
    if (res.status === 401) return { user: stored, ended: true };
    if (!res.ok) return { user: stored };
    const me = await res.json();
    const u = { id: me.user.id, name: me.user.display_name, role: me.user.role, csrf: me.csrf };
    localStorage.setItem('scaleup.user', JSON.stringify(u));
    return { user: u };
  } catch {
    return { user: stored };
  }
}
async function start() {
  if (!('indexedDB' in window) || !window.indexedDB) {
    banner(t('app-no-indexeddb'), 'error');
    return;
  }
  const pendingLogout = localStorage.getItem('scaleup.logout');
  if (pendingLogout && navigator.onLine) {
    fetch('/logout', { method: 'POST', credentials: 'same-origin', body: new URLSearchParams({ _csrf: pendingLogout }) }).catch(() => {});
    localStorage.removeItem('scaleup.logout');
  }
  // Offline first: when the browser's sign-in marker names the user this phone last worked
  // for (or there is no marker, the session having lapsed), the caseload opens at once from
  // IndexedDB and the server is asked in the background. When it names someone else, the
  // server must say who is signed in before anything personal is shown.
  const stored = JSON.parse(localStorage.getItem('scaleup.user') || 'null');
  const marker = document.cookie.split('; ').find((c) => c.startsWith('scaleup_uid='))?.slice(12);
  const who = stored && (!marker || marker === stored.id) ? { user: stored, later: whoAmI() } : await whoAmI();
  user = who.user;
  if (!user) {
    show(t('app-title'), h('p', {}, t('app-signed-out')), h('p', {}, link('/', t('app-sign-in'), 'button primary')));
    return;
  }
  if (user.role !== 'counsellor') { location.href = '/'; return; }
  try {
    db = await openDb(user.id);
  } catch {
    banner(t('app-no-indexeddb'), 'error');
    return;
  }
  $('who').textContent = user.name;
  const out = $('signout');
  out.hidden = false;
  out.addEventListener('click', () => routeTo('#/signout'));
  for (const r of await all('records')) records.set(r.id, r);
  for (const e of await all('outbox')) {
    // Sent entries are kept a week so the counsellor can see they went.
    if (e.status === 'sent' && e.sent_at && e.sent_at < addDays(today(), -7)) continue;
    outbox.set(e.id, e);
  }
  defs = (await meta('defs')) || null;
  alerts = (await meta('alerts')) || [];
  updatePending();
  if (who.ended) banner(t('app-session-ended'), 'error', ' ', h('a', { href: '/' }, t('app-sign-in')));
  who.later?.then((fresh) => {
    if (fresh.ended) banner(t('app-session-ended'), 'error', ' ', h('a', { href: '/' }, t('app-sign-in')));
    else if (fresh.user && fresh.user.id !== user.id) location.reload();
    else if (fresh.user) user = { ...user, ...fresh.user };
  });
  const persisted = navigator.storage?.persist ? await navigator.storage.persist().catch(() => false) : false;
  $('storage').textContent = t(persisted ? 'app-storage-persisted' : 'app-storage-not-persisted');
  $('send').addEventListener('click', () => sync());
  window.addEventListener('online', () => sync());
  window.addEventListener('offline', netState);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && navigator.onLine) sync(); });
  window.addEventListener('hashchange', route);
  registerWorker().catch(() => {});
  await netState();
  route();
  if (!who.ended) (who.later || Promise.resolve({})).then((fresh) => { if (!fresh.ended) sync(); });
}
start();
