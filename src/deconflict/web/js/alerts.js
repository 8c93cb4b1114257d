// Alerts: the panel (by level, with acknowledge buttons and timers) and what the map
// draws of each (both aircraft, their predicted tracks to the closest approach, the
// closest-approach point). The other aircraft is drawn exactly as the alert gives it:
// under `safety` an anonymous track, moved along its own velocity from the alert's time.

import { at, clockOf, flightLevel } from './geo.js';
import { esc } from './dom.js';

const NAMES = ['conflict', 'preventive', 'corrective', 'warning'];

function cpaOf(alert) {
  const c = alert.conflict || {};
  const a = alert.alerting || {};
  return {
    tcpa_s: c.tcpa_s ?? a.tcpa_s ?? null,
    dcpa_nm: c.dcpa_nm ?? a.dcpa_nm ?? null,
    dz_ft: c.dz_cpa_ft ?? null,
    los: !!c.los_now,
  };
}

function ownNow(alert, ownById, now) {
  const seen = alert.own && ownById.get(alert.own.id);
  return seen || (alert.own ? at(alert.own, now) : null);
}

const point = (coords, props) => ({ type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: coords } });
const line = (coords, props) => ({ type: 'Feature', properties: props, geometry: { type: 'LineString', coordinates: coords } });

// {lines, points, labels} of the active alerts at the line's time `now`
export function alertLayers(alerts, ownById, now, leadS) {
  const lines = [];
  const points = [];
  const labels = [];
  for (const a of alerts) {
    if (a.state !== 'active' || !a.own || !a.other) continue;
    const level = a.level;
    const own = ownNow(a, ownById, now);
    const other = at(a.other, now);
    const { tcpa_s } = cpaOf(a);
    const t0 = a.own.time_s;
    const cpaAt = tcpa_s != null ? t0 + tcpa_s : null;
    const until = cpaAt != null && cpaAt > now ? cpaAt : now + leadS;
    const ownEnd = at(a.own, until);
    const otherEnd = at(a.other, until);
    const ll = (t) => [t.longitude_deg, t.latitude_deg];
    lines.push(line([ll(own), ll(ownEnd)], { level, cpa: false }));
    lines.push(line([ll(other), ll(otherEnd)], { level, cpa: false }));
    if (cpaAt != null && cpaAt > now) {
      lines.push(line([ll(ownEnd), ll(otherEnd)], { level, cpa: true }));
      const mid = [(ownEnd.longitude_deg + otherEnd.longitude_deg) / 2,
        (ownEnd.latitude_deg + otherEnd.latitude_deg) / 2];
      points.push(point(mid, { level, kind: 'cpa', alert_id: a.alert_id }));
    }
    points.push(point(ll(own), { level, kind: 'own', alert_id: a.alert_id }));
    points.push(point(ll(other), { level, kind: 'other', alert_id: a.alert_id }));
    const who = a.other.callsign || a.other.id || 'anonymous';
    labels.push({ lon: other.longitude_deg, lat: other.latitude_deg, color: '#ffb74d',
      text: `${who} (${a.other_party})\n${flightLevel(other.altitude_ft)}` });
  }
  return {
    lines: { type: 'FeatureCollection', features: lines },
    points: { type: 'FeatureCollection', features: points },
    labels,
  };
}

function card(a, me, partyName) {
  const { tcpa_s, dcpa_nm, dz_ft, los } = cpaOf(a);
  const ours = (a.acks || []).find((k) => k.party === me.party_id);
  const theirs = (a.acks || []).find((k) => k.party !== me.party_id);
  const cpaAt = tcpa_s != null ? a.own.time_s + tcpa_s : null;
  const own = a.own ? (a.own.callsign || a.own.id) : '?';
  const other = a.other ? (a.other.callsign || a.other.id || 'anonymous track') : '?';
  const canAck = me.role === 'officer' && !ours && a.state === 'active';
  return `<div class="card alert" data-level="${a.level}" data-alert="${esc(a.alert_id)}">
    <div class="head"><span class="level">${esc(NAMES[a.level] || a.level_name)}</span>
      <span class="timer" title="since raised" data-since="${a.raised_s}"></span></div>
    <div><b>${esc(own)}</b> ↔ ${esc(other)} <span class="meta">(${esc(partyName(a.other_party))})</span></div>
    <div class="meta">${los ? '<b class="error">separation lost</b> · ' : ''}${cpaAt != null
      ? `CPA in <span class="timer" data-until="${cpaAt}"></span> · ` : ''}${dcpa_nm != null
      ? `${dcpa_nm.toFixed(1)} NM` : ''}${dz_ft != null ? ` / ${Math.round(dz_ft)} ft` : ''}</div>
    <div class="meta">${ours ? `<span class="acked">acknowledged ${clockOf(ours.at_s)}</span>` : 'not acknowledged'}${theirs
      ? ` · ${esc(partyName(theirs.party))} acknowledged ${clockOf(theirs.at_s)}` : ''}</div>
    ${canAck ? `<button type="button" data-ack="${esc(a.alert_id)}">Acknowledge</button>` : ''}
  </div>`;
}

export function renderAlerts(root, alerts, me, partyName) {
  const active = alerts.filter((a) => a.state === 'active').sort((x, y) => y.level - x.level || x.raised_s - y.raised_s);
  if (!active.length) {
    root.innerHTML = '<p class="hint">No active alerts.</p>';
    return 0;
  }
  let html = '';
  for (let level = 3; level >= 0; level -= 1) {
    const here = active.filter((a) => a.level === level);
    if (!here.length) continue;
    html += `<div class="level-group">${NAMES[level]} (${here.length})</div>`;
    html += here.map((a) => card(a, me, partyName)).join('');
  }
  root.innerHTML = html;
  return active.length;
}
