// Tiny DOM helpers: escaping for the templates, and the timers that tick every second.

export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Elements with data-until (a time of the line, s) show a countdown to it; data-since,
// the time elapsed since. `now` is the line's time.
export function tickTimers(now, fmt) {
  for (const e of document.querySelectorAll('[data-until]')) {
    const left = Number(e.dataset.until) - now;
    e.textContent = fmt(left);
    e.classList.toggle('late', left < 0);
  }
  for (const e of document.querySelectorAll('[data-since]')) {
    e.textContent = fmt(now - Number(e.dataset.since));
  }
}
