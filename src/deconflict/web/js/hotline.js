// The hotline: threads per party, their messages with priority, receipts and the
// countdown to each unacknowledged message's deadline, and the composer (templates).

import { clockOf } from './geo.js';
import { esc } from './dom.js';

const PRIORITIES = ['routine', 'urgent', 'emergency'];

export function renderThreads(root, threads, selected, me, partyName) {
  const rows = [...threads.values()].sort((a, b) => b.last_s - a.last_s);
  const html = rows.map((t) => {
    const other = t.parties.find((p) => p !== me.party_id) || t.parties[0];
    const waiting = t.unacknowledged ? ` · <b class="countdown">${t.unacknowledged} to acknowledge</b>` : '';
    return `<div class="thread${t.thread_id === selected ? ' on' : ''}" data-thread="${esc(t.thread_id)}">
      <b>${esc(partyName(other))}</b> — ${esc(t.subject)}
      <div class="meta">${t.messages} message(s)${waiting}</div></div>`;
  }).join('');
  root.innerHTML = `${html}<button type="button" id="new-thread">New thread</button>`;
}

function fieldsText(m) {
  return Object.entries(m.fields || {}).map(([k, v]) => (k === 'text'
    ? `<div>${esc(v)}</div>` : `<div class="meta">${esc(k)}: ${esc(v)}</div>`)).join('');
}

function receipts(m, mine) {
  const r = [];
  if (m.delivered_s) r.push(`delivered ${clockOf(m.delivered_s)}`);
  if (m.read_s) r.push(`read ${clockOf(m.read_s)}`);
  if (m.acked_s) r.push(`<span class="acked">acknowledged ${clockOf(m.acked_s)}</span>`);
  else {
    r.push(`${mine ? 'their' : 'our'} acknowledgement due in <span class="countdown" data-until="${m.deadline_s}"></span>`);
  }
  if (m.escalation) r.push(`escalated ×${m.escalation}${m.contact ? ` to ${esc(m.contact.name)}` : ''}`);
  if (m.contacts_exhausted) r.push('no contact left');
  return r.join(' · ');
}

export function renderMessages(root, messages, threadId, me, templates) {
  const list = [...messages.values()].filter((m) => m.thread_id === threadId)
    .sort((a, b) => a.created_s - b.created_s);
  const title = (name) => templates.find((t) => t.name === name)?.title || name;
  root.innerHTML = list.map((m) => {
    const mine = m.from_party === me.party_id;
    const canAnswer = !mine && me.role === 'officer';
    const buttons = canAnswer ? `${m.read_s ? '' : `<button type="button" data-read="${esc(m.message_id)}">Read</button>`}
      ${m.acked_s ? '' : `<button type="button" data-hack="${esc(m.message_id)}">Acknowledge</button>`}` : '';
    return `<div class="msg prio-${esc(m.priority)}${mine ? ' mine' : ''}" data-message="${esc(m.message_id)}">
      <div class="head"><b>${esc(m.priority.toUpperCase())}</b> ${esc(title(m.template))}
        <span class="meta">${esc(m.from_party)} → ${esc(m.to_party)} ${clockOf(m.created_s)}</span></div>
      ${fieldsText(m)}<div class="receipts">${receipts(m, mine)}</div>${buttons}</div>`;
  }).join('');
}

export function renderTemplateFields(root, template) {
  root.innerHTML = (template?.fields || []).map((f) => {
    const req = f.required ? ' required' : '';
    const input = f.kind === 'text'
      ? `<input name="f_${esc(f.name)}" maxlength="${f.max_length}"${req}>`
      : `<input name="f_${esc(f.name)}" type="number" step="any" min="${f.min}" max="${f.max}"${req}>`;
    return `<label>${esc(f.name)}${f.required ? ' *' : ''} ${input}</label>`;
  }).join('');
}

// the priorities a template allows (its least, and above)
export function prioritiesOf(template) {
  return PRIORITIES.slice(Math.max(0, PRIORITIES.indexOf(template?.least_priority || 'routine')));
}

// the body of POST /v1/hotline/messages from the composer
export function messageOf(form, template, threadId) {
  const d = new FormData(form);
  const fields = {};
  for (const f of template.fields) {
    const v = d.get(`f_${f.name}`);
    if (v === null || v === '') continue;
    fields[f.name] = f.kind === 'text' ? v : Number(v);
  }
  const body = { client_id: crypto.randomUUID(), priority: d.get('priority'), template: template.name, fields };
  if (threadId) body.thread_id = threadId;
  else {
    body.to_party = d.get('to_party');
    body.subject = d.get('subject') || template.title;
  }
  return body;
}
