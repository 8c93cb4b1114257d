// The console: log in with a key, load what the party may see, then follow the event
// stream (alerts, notices, agreements, hotline) and the tracks as the line pushes them
// (polled once a second while the picture socket gives nothing).

import { Api, ApiError, EventFollower, PictureFollower } from './api.js';
import { $, esc, tickTimers } from './dom.js';
import { ahead, circleRing, clockOf, countdown, distanceM, flightLevel } from './geo.js';
import { Draw, TrafficMap } from './map.js';
import { alertLayers, renderAlerts } from './alerts.js';
import { filingText, noticeFeatures, planFeatures, planOf, renderNotices, renderPlans } from './plans.js';
import { messageOf, prioritiesOf, renderMessages, renderTemplateFields, renderThreads } from './hotline.js';

const KEY = 'deconflict.key';
const TRACKS_EVERY_MS = 1000;
// the socket's pictures come at least once a second: with none for this long, poll
const PUSHED_STALE_MS = 2500;

const S = {
  api: null, me: null, offsetS: 0, tracks: [], alerts: new Map(), plans: [], notices: [],
  pending: [], agreements: new Map(), parties: new Map(), templates: [], threads: new Map(),
  messages: new Map(), thread: null, shape: null, lastFiling: null, tracksAt: 0,
  tracksVia: '', pushedAt: 0,
};
let tmap = null;
let draw = null;
let follower = null;
let pictures = null;
let dirty = false;

const now = () => Date.now() / 1000 + S.offsetS;
const partyName = (id) => S.parties.get(id)?.name || id;
const lead = () => Number($('#lead').value);

// -- drawing: the map and the panels, at most once a frame ----------------------------

function changed() {
  if (dirty) return;
  dirty = true;
  requestAnimationFrame(() => {
    dirty = false;
    render();
  });
}

function drawTraffic() {
  const t = now();
  const leadS = lead();
  const points = [];
  const leaders = [];
  const labels = [];
  const ownById = new Map();
  for (const tr of S.tracks) {
    const own = tr.party === S.me.party_id;
    if (own) ownById.set(tr.id, tr);
    const p = [tr.longitude_deg, tr.latitude_deg];
    points.push({ type: 'Feature', properties: { own }, geometry: { type: 'Point', coordinates: p } });
    leaders.push({ type: 'Feature', properties: { own }, geometry: { type: 'LineString', coordinates: [p, ahead(tr, leadS)] } });
    const name = tr.callsign || tr.id;
    labels.push({ lon: p[0], lat: p[1], color: own ? '#4fc3f7' : '#ffb74d',
      text: `${own ? '' : `${tr.party} `}${name}\n${flightLevel(tr.altitude_ft)} ${Math.round(tr.groundspeed_kt)}kt` });
  }
  tmap.set('aircraft', { type: 'FeatureCollection', features: points });
  tmap.set('leaders', { type: 'FeatureCollection', features: leaders });
  const a = alertLayers([...S.alerts.values()], ownById, t, leadS);
  tmap.set('alert-lines', a.lines);
  tmap.set('alert-points', a.points);
  tmap.setLabels(a.labels.concat(labels)); // the alerts' first: they win a place
  const own = ownById.size;
  $('#counts').textContent = `${own} own · ${S.tracks.length - own} shared · picture ${clockOf(S.tracksAt)} (${S.tracksVia})`;
}

function render() {
  if (!S.me) return;
  drawTraffic();
  const n = renderAlerts($('#alerts'), [...S.alerts.values()], S.me, partyName);
  $('#n-alerts').textContent = n || '';
  tmap.set('plans', planFeatures(S.plans));
  tmap.set('notices', noticeFeatures(S.notices.concat(S.pending)));
  renderPlans($('#plans'), S.plans, S.me);
  renderNotices($('#notices'), S.notices, partyName);
  $('#n-notices').textContent = S.notices.length || '';
  renderThreads($('#threads'), S.threads, S.thread, S.me, partyName);
  renderMessages($('#messages'), S.messages, S.thread, S.me, S.templates);
  const waiting = [...S.messages.values()].filter((m) => m.to_party === S.me.party_id && !m.acked_s).length;
  $('#n-hotline').textContent = waiting || '';
  renderAgreements();
  composeTarget();
  tickTimers(now(), countdown);
}

function renderAgreements() {
  const rows = [...S.agreements.values()].map((a) => {
    const other = a.parties.find((p) => p !== S.me.party_id) || a.parties[1];
    const t = a.terms;
    const contacts = (t.contacts || []).map((c) => esc(c.name || JSON.stringify(c))).join(', ') || '—';
    const freqs = (t.frequencies || []).map((f) => esc(typeof f === 'string' ? f : JSON.stringify(f))).join(', ') || '—';
    return `<div class="card agreement" data-agreement="${esc(a.agreement_id)}">
      <div class="head"><b>${esc(partyName(other))}</b><span class="status-${esc(a.status)}">${esc(a.status.replace('_', ' '))}</span></div>
      <div class="meta">${esc(t.sharing)} · ${t.hsep_nm} NM / ${t.vsep_ft} ft · lookahead ${t.lookahead_s} s · ${esc(t.alerting)}</div>
      <div class="meta">contacts: ${contacts} · frequencies: ${freqs} · v${a.version}, ${clockOf(a.updated_s)}</div></div>`;
  });
  $('#agreements').innerHTML = rows.join('') || '<p class="hint">No agreement.</p>';
}

// the composer: a new thread to a party in force, or a reply in the open thread
function composeTarget() {
  const form = $('#compose');
  form.hidden = S.me.role !== 'officer';
  const select = form.elements.to_party;
  const inForce = [...S.agreements.values()].filter((a) => a.status === 'in_force')
    .map((a) => a.parties.find((p) => p !== S.me.party_id));
  const want = inForce.map((p) => `${p}`).join(',');
  if (select.dataset.parties !== want) {
    select.innerHTML = inForce.map((p) => `<option value="${esc(p)}">${esc(partyName(p))}</option>`).join('');
    select.dataset.parties = want;
  }
  select.disabled = !!S.thread;
  form.elements.subject.disabled = !!S.thread;
}

// -- the live picture and the events ---------------------------------------------------

// a picture of the tracks, pushed or polled: the newest wins (a poll's answer may come
// after a newer push)
function takePicture(pic, via) {
  if (pic.time_s < S.tracksAt) return;
  S.offsetS = pic.time_s - Date.now() / 1000;
  S.tracks = pic.tracks;
  S.tracksAt = pic.time_s;
  S.tracksVia = via;
  if (via === 'pushed') S.pushedAt = Date.now();
  changed();
}

// polls the tracks once a second, but only while the socket gives nothing
async function pollTracks() {
  if (!S.me) return;
  const started = Date.now();
  if (!(pictures && pictures.live && started - S.pushedAt < PUSHED_STALE_MS)) {
    try {
      takePicture(await S.api.get('/v1/tracks'), 'polled');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return logout('The key is no longer valid.');
    }
  }
  // at a steady rate: the time the answer took is not added to every period
  setTimeout(pollTracks, Math.max(0, TRACKS_EVERY_MS - (Date.now() - started)));
}

// a message's newer news over what is held: the answers to our requests and the events
// may arrive in any order, and a receipt once given stays
const RECEIPTS = ['delivered_s', 'read_s', 'acked_s', 'exhausted_s', 'contact'];
function keepMessage(m) {
  const old = S.messages.get(m.message_id);
  const next = { ...old, ...m };
  if (old) {
    for (const k of RECEIPTS) if (next[k] == null && old[k] != null) next[k] = old[k];
    next.escalation = Math.max(old.escalation || 0, m.escalation || 0);
    next.contacts_exhausted = !!(old.contacts_exhausted || m.contacts_exhausted);
  }
  S.messages.set(m.message_id, next);
}

function onEvent(e) {
  const b = e.body;
  if (e.kind === 'alert') {
    if (b.change === 'ended') S.alerts.delete(b.alert_id);
    else S.alerts.set(b.alert_id, b);
  } else if (e.kind === 'notice') {
    if (!S.notices.some((n) => n.notice_id === b.notice_id)) S.notices.push(b);
    loadPlans();
  } else if (e.kind === 'agreement') {
    S.agreements.set(b.agreement_id, b);
    loadParties();
  } else if (e.kind.startsWith('hotline.')) {
    const fresh = !S.messages.has(b.message_id);
    keepMessage(b);
    if (fresh || !S.threads.has(b.thread_id)) loadThreads();
    // fetching a message sent to us delivers it (the sender gets the receipt)
    if (fresh && b.to_party === S.me.party_id) deliver(b.thread_id);
    else if (e.kind === 'hotline.acknowledged') loadThreads();
  }
  changed();
}

async function deliver(threadId) {
  const found = await S.api.get(`/v1/hotline/messages?thread_id=${encodeURIComponent(threadId)}`);
  for (const m of found) keepMessage(m);
  changed();
}

// a loader that runs once for any number of calls made while it runs
function coalesced(load) {
  let running = null;
  let again = false;
  const run = async () => {
    try {
      await load();
    } finally {
      running = null;
    }
    if (again) {
      again = false;
      running = run();
    }
  };
  return () => {
    if (running) again = true;
    else running = run();
    return running;
  };
}

const loadPlans = coalesced(async () => {
  S.plans = await S.api.get('/v1/plans');
  changed();
});

const loadParties = coalesced(async () => {
  for (const p of await S.api.get('/v1/parties')) S.parties.set(p.party_id, p);
  changed();
});

const loadThreads = coalesced(async () => {
  S.threads = new Map((await S.api.get('/v1/hotline/threads')).map((t) => [t.thread_id, t]));
  changed();
});

async function boot(key) {
  const api = new Api(key);
  const me = await api.get('/v1/whoami');
  if (me.role !== 'officer' && me.role !== 'observer') {
    throw new ApiError(403, { error: { message: `a ${me.role} key: the console is for a party's officers and observers` } });
  }
  S.api = api;
  S.me = me;
  sessionStorage.setItem(KEY, key);
  $('#login').hidden = true;
  $('#console').hidden = false;
  tmap = new TrafficMap($('#map'), $('#labels'));
  draw = new Draw(tmap, circleRing, distanceM, (shape) => { S.shape = shape; drawHint(); });
  const [alerts, notices, agreements, templates, messages] = await Promise.all([
    api.get('/v1/alerts?active=true'), api.get('/v1/notices'), api.get('/v1/agreements'),
    api.get('/v1/hotline/templates'), api.get('/v1/hotline/messages'), loadParties(), loadPlans(),
    loadThreads(),
  ]);
  for (const a of alerts) S.alerts.set(a.alert_id, a);
  S.notices = notices;
  for (const a of agreements) S.agreements.set(a.agreement_id, a);
  S.templates = templates;
  for (const m of messages) keepMessage(m);
  const mine = S.parties.get(me.party_id);
  $('#who').textContent = `${mine ? mine.name : me.party_id} · ${me.role}`;
  $('#plan-form').hidden = me.role !== 'officer'; // an observer files nothing
  fillTemplates();
  await tmap.ready;
  pictures = new PictureFollower(api, {
    onPicture: (pic) => takePicture(pic, 'pushed'),
    onRefused: () => logout('The key is no longer valid.'),
  }).start();
  pollTracks();
  // the stream from the latest event before the lists above were read: what came since
  // is applied on top (each event once and in order), and the history is not replayed
  follower = new EventFollower(api, { after: me.last_event_id || 0, onEvent, onStatus: linkState }).start();
  changed();
  document.body.dataset.ready = 'true';
}

function linkState(state) {
  const e = $('#link');
  e.dataset.state = state;
  e.textContent = state;
  if (state === 'refused') logout('The key is no longer valid.');
}

function logout(message) {
  sessionStorage.removeItem(KEY);
  if (follower) follower.close();
  if (pictures) pictures.close();
  location.hash = message ? `#${encodeURIComponent(message)}` : '';
  location.reload();
}

// -- the forms -------------------------------------------------------------------------

function drawHint() {
  const s = S.shape;
  $('#draw-hint').textContent = !s
    ? (draw.mode === 'polygon' ? 'Click the vertices; double-click to close.'
      : draw.mode === 'circle' ? 'Click the centre, then the edge.' : 'Draw the plan\'s outline on the map.')
    : s.type === 'circle' ? `Circle of ${(s.radius_m / 1000).toFixed(1)} km.` : `Polygon of ${s.ring.length - 1} vertices.`;
}

async function filePlan(known) {
  if (!S.shape) {
    $('#plan-result').innerHTML = '<p class="error">Draw the outline first.</p>';
    return;
  }
  const plan = planOf($('#plan-form'), S.shape);
  const r = await S.api.request('POST', '/v1/plans', { plan, known: known || {} });
  S.lastFiling = r.data;
  S.pending = r.status === 201 ? [] : (r.data?.notices || []);
  $('#plan-result').innerHTML = filingText(r.status, r.data, partyName);
  if (r.status === 201) {
    draw.clear();
    loadPlans();
  }
  changed();
}

function fillTemplates() {
  const select = $('#compose').elements.template;
  select.innerHTML = S.templates.map((t) => `<option value="${esc(t.name)}">${esc(t.title)}</option>`).join('');
  templateChosen();
}

function templateChosen() {
  const form = $('#compose');
  const t = S.templates.find((x) => x.name === form.elements.template.value);
  renderTemplateFields($('#template-fields'), t);
  const allowed = prioritiesOf(t);
  for (const o of form.elements.priority.options) o.disabled = !allowed.includes(o.value);
  if (!allowed.includes(form.elements.priority.value)) form.elements.priority.value = allowed[0];
}

async function sendMessage(ev) {
  ev.preventDefault();
  const form = ev.target;
  const t = S.templates.find((x) => x.name === form.elements.template.value);
  const r = await S.api.request('POST', '/v1/hotline/messages', messageOf(form, t, S.thread));
  if (r.ok) {
    keepMessage(r.data);
    S.thread = r.data.thread_id;
    $('#compose-result').textContent = `Sent (${r.data.priority}).`;
    for (const i of $('#template-fields').querySelectorAll('input')) i.value = '';
    await loadThreads();
  } else {
    $('#compose-result').textContent = r.data?.error?.message || `HTTP ${r.status}`;
  }
  changed();
}

function defaultWindow() {
  const f = $('#plan-form').elements;
  const start = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3);
  f.time_start.value = start.toISOString().slice(0, 16);
  f.time_end.value = new Date(start.getTime() + 2 * 3600e3).toISOString().slice(0, 16);
}

function wire() {
  $('#login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await boot($('#login-key').value.trim());
    } catch (e) {
      $('#login-error').textContent = e.status === 401 ? 'That key is not valid.' : e.message;
    }
  });
  $('#logout').addEventListener('click', () => logout(''));
  for (const b of document.querySelectorAll('.tabs button')) {
    b.addEventListener('click', () => {
      for (const o of document.querySelectorAll('.tabs button')) o.classList.toggle('on', o === b);
      for (const t of document.querySelectorAll('.tab')) t.classList.toggle('on', t.id === `tab-${b.dataset.tab}`);
    });
  }
  $('#lead').addEventListener('change', changed);
  $('#show-labels').addEventListener('change', (e) => { tmap.showLabels = e.target.checked; tmap.map.triggerRepaint(); });
  $('#alerts').addEventListener('click', async (ev) => {
    const ack = ev.target.closest('[data-ack]');
    if (ack) {
      ack.disabled = true;
      const a = await S.api.post(`/v1/alerts/${ack.dataset.ack}/ack`);
      S.alerts.set(a.alert_id, a);
      changed();
      return;
    }
    const card = ev.target.closest('[data-alert]');
    const a = card && S.alerts.get(card.dataset.alert);
    if (a && a.own) tmap.flyTo(a.own.longitude_deg, a.own.latitude_deg, 8);
  });
  for (const b of document.querySelectorAll('[data-draw]')) {
    b.addEventListener('click', () => { draw.start(b.dataset.draw); drawHint(); });
  }
  $('#draw-clear').addEventListener('click', () => { draw.clear(); S.pending = []; drawHint(); changed(); });
  $('#plan-form').addEventListener('submit', (ev) => { ev.preventDefault(); filePlan(); });
  $('#plan-result').addEventListener('click', (ev) => {
    if (ev.target.id !== 'plan-ack' || !S.lastFiling) return;
    const known = Object.fromEntries(S.lastFiling.notices.map((n) => [n.other_plan_ref, n.other_version]));
    filePlan(known);
  });
  $('#plans').addEventListener('click', async (ev) => {
    const b = ev.target.closest('[data-cancel]');
    if (b) {
      await S.api.request('DELETE', `/v1/plans/${encodeURIComponent(b.dataset.cancel)}`);
      loadPlans();
    }
  });
  $('#threads').addEventListener('click', (ev) => {
    if (ev.target.id === 'new-thread') S.thread = null;
    else {
      const t = ev.target.closest('[data-thread]');
      if (t) S.thread = t.dataset.thread;
    }
    changed();
  });
  $('#messages').addEventListener('click', async (ev) => {
    const b = ev.target.closest('[data-read], [data-hack]');
    if (!b) return;
    b.disabled = true;
    const id = b.dataset.read || b.dataset.hack;
    const m = await S.api.post(`/v1/hotline/messages/${id}/${b.dataset.read ? 'read' : 'ack'}`);
    keepMessage(m);
    loadThreads();
    changed();
  });
  $('#compose').elements.template.addEventListener('change', templateChosen);
  $('#compose').addEventListener('submit', sendMessage);
  setInterval(() => {
    if (!S.me) return;
    $('#clock').textContent = clockOf(now());
    tickTimers(now(), countdown);
  }, 1000);
  defaultWindow();
}

// for the browser's console and the tests: the state and the map, read-only by intent
window.deconflictConsole = {
  state: S, map: () => tmap && tmap.map, traffic: () => tmap, pictures: () => pictures,
};

wire();
if (location.hash.length > 1) $('#login-error').textContent = decodeURIComponent(location.hash.slice(1));
const saved = sessionStorage.getItem(KEY);
if (saved) boot(saved).catch(() => sessionStorage.removeItem(KEY));
