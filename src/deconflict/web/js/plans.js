// Plans: the form that files a drawn outline with its band and window, the party's plans
// and their notices, on the map and in the panel. A notice shows what the line tells:
// under `safety` only the coarse region, the window and the band.

import { clockOf, volumePolygon } from './geo.js';
import { esc } from './dom.js';

const fc = (features) => ({ type: 'FeatureCollection', features });

export function planFeatures(plans) {
  const out = [];
  for (const p of plans) {
    for (const v of p.volumes.features) {
      const f = volumePolygon(v);
      out.push({ ...f, properties: { plan_id: p.plan_id, state: p.state } });
    }
  }
  return fc(out);
}

export function noticeFeatures(notices) {
  const out = [];
  for (const n of notices) {
    if (n.region) out.push({ type: 'Feature', properties: { notice: n.notice_id || '' }, geometry: n.region });
    for (const v of n.other_volumes?.features || []) out.push(volumePolygon(v));
  }
  return fc(out);
}

const windowOf = (n) => `${n.time_start.slice(0, 16).replace('T', ' ')}–${n.time_end.slice(11, 16)}Z`;

export function noticeText(n, partyName) {
  const cells = n.region?.coordinates?.length ?? 0;
  const plan = n.other_plan ? ` plan ${esc(n.other_plan)}` : '';
  return `<b>${esc(n.own_plan)}</b> v${n.own_version} conflicts with ${esc(partyName(n.other_party))}${plan}
    <div class="meta">${esc(windowOf(n))} · ${Math.round(n.alt_lower_ft)}–${Math.round(n.alt_upper_ft)} ft ·
    region of ${cells} cell${cells === 1 ? '' : 's'} of ${Math.round((n.region_cell_m || 0) / 1000)} km</div>`;
}

export function renderPlans(root, plans, me) {
  if (!plans.length) {
    root.innerHTML = '<p class="hint">No live plans.</p>';
    return;
  }
  root.innerHTML = plans.map((p) => {
    const v = p.volumes.features[0]?.properties || {};
    const cancel = me.role === 'officer' && p.state !== 'cancelled'
      ? `<button type="button" data-cancel="${esc(p.plan_id)}">Cancel</button>` : '';
    return `<div class="card plan" data-plan="${esc(p.plan_id)}">
      <div class="head"><b>${esc(p.plan_id)}</b><span class="state-${esc(p.status)}">${esc(p.status)}</span></div>
      <div class="meta">v${p.version} · ${p.volumes.features.length} volume(s) · ${esc(windowOf(v))} ·
        ${Math.round(v.alt_lower_ft)}–${Math.round(v.alt_upper_ft)} ft</div>${cancel}</div>`;
  }).join('');
}

export function renderNotices(root, notices, partyName) {
  root.innerHTML = notices.length
    ? notices.slice().reverse().map((n) => `<div class="card notice" data-level="2">${noticeText(n, partyName)}
      <div class="meta">${n.created_s ? clockOf(n.created_s) : ''}</div></div>`).join('')
    : '<p class="hint">No notices.</p>';
}

// "2026-11-25T08:00" (an input's value, read as UTC) as ISO-8601 with a zone
const utc = (local) => `${local.length === 16 ? `${local}:00` : local}Z`;

// the plan of the form and the drawn shape, as the API takes it
export function planOf(form, shape) {
  const d = new FormData(form);
  const props = {
    plan_id: d.get('plan_id'),
    alt_lower_ft: Number(d.get('alt_lower_ft')),
    alt_upper_ft: Number(d.get('alt_upper_ft')),
    time_start: utc(d.get('time_start')),
    time_end: utc(d.get('time_end')),
  };
  let geometry;
  if (shape.type === 'circle') {
    props.radius_m = shape.radius_m;
    geometry = { type: 'Point', coordinates: shape.center };
  } else {
    geometry = { type: 'Polygon', coordinates: [shape.ring] };
  }
  return fc([{ type: 'Feature', properties: props, geometry }]);
}

// the answer to a filing, for the form's result box
export function filingText(status, data, partyName) {
  if (status === 201) {
    const n = data.notices.length;
    return `<p class="state-${esc(data.status)}">${esc(data.plan_id)}: ${esc(data.status.replaceAll('_', ' '))}` +
      ` (v${data.version})${n ? `, ${n} notice(s)` : ''}</p>` +
      data.notices.map((x) => `<div class="card notice" data-level="2">${noticeText(x, partyName)}</div>`).join('');
  }
  if (data && data.notices) {
    const ack = data.status === 'missed'
      ? '<button type="button" id="plan-ack">Acknowledge the notices and file again</button>' : '';
    return `<p class="state-${esc(data.status)}">${esc(data.error.message)}</p>` +
      data.notices.map((x) => `<div class="card notice" data-level="3">${noticeText(x, partyName)}</div>`).join('') + ack;
  }
  return `<p class="error">${esc(data?.error?.message || `HTTP ${status}`)}</p>`;
}
