// Audit (auditors and admins): the hash chain, its verification result, and an export of the entries as JSON lines.
import * as api from '../api.js';
import { h, replace, notice, field } from '../dom.js';
import { when, word } from '../words.js';

function hex(base64) {
  if (!base64) return '';
  const bytes = atob(base64);
  let out = '';
  for (let i = 0; i < bytes.length && i < 6; i++) out += bytes.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}

export async function render(main, ctx) {
  const actor = ctx.params.get('actor') || '';
  const [verify, first] = await Promise.all([
    api.call('pumptrack.v1.AuditService/VerifyAudit', {}),
    api.call('pumptrack.v1.AuditService/ListAudit', { actor, pageSize: 200 }),
  ]);
  if (!ctx.isCurrent()) return null;
  const entries = [...(first.entries || [])];
  let next = first.nextPageToken || '';
  const tbody = h('tbody', {});
  const more = h('button', { type: 'button', hidden: !next }, 'Show more');
  const addRows = (list) => tbody.append(...list.map((e) => h('tr', {},
    h('td', { class: 'num' }, e.index),
    h('td', {}, when(e.time)),
    h('td', {}, `${e.actor} (${word(e.actorKind, 'ACTOR_KIND_')})`),
    h('td', {}, h('code', {}, e.action)),
    h('td', {}, e.target),
    h('td', {}, h('code', { title: e.hash }, hex(e.hash))))));
  addRows(entries);
  more.addEventListener('click', async () => {
    const page = await api.call('pumptrack.v1.AuditService/ListAudit', { actor, pageSize: 200, pageToken: next });
    entries.push(...(page.entries || []));
    addRows(page.entries || []);
    next = page.nextPageToken || '';
    more.hidden = !next;
  });

  const exportButton = h('button', { type: 'button', id: 'export' }, 'Export all as JSON lines');
  const exportStatus = h('span', { role: 'status' });
  exportButton.addEventListener('click', async () => {
    exportStatus.textContent = 'Exporting…';
    const all = await api.callAll('pumptrack.v1.AuditService/ListAudit', { actor }, 'entries', 1e9);
    const blob = new Blob(all.map((e) => `${JSON.stringify(e)}\n`), { type: 'application/x-ndjson' });
    const link = h('a', { href: URL.createObjectURL(blob), download: 'pumptrack-audit.jsonl' }, 'download');
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    exportStatus.textContent = `Exported ${all.length} entries.`;
  });

  const actorInput = h('input', { type: 'text', name: 'actor', value: actor, autocomplete: 'off' });
  const filter = h('form', { class: 'filters', 'aria-label': 'Filter the audit log' },
    field('Actor', actorInput), h('button', { type: 'submit' }, 'Filter'));
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/audit?actor=${encodeURIComponent(actorInput.value.trim())}`;
  });

  replace(main,
    h('h1', {}, 'Audit log'),
    verify.ok
      ? notice('ok', `The chain verifies: ${verify.entries} entries, each hash links to the one before.`)
      : notice('error', `The chain does NOT verify at entry ${verify.firstBadIndex}: ${verify.reason}`),
    h('p', {}, exportButton, ' ', exportStatus),
    filter,
    h('div', { class: 'scroll' }, h('table', { class: 'audit' },
      h('caption', {}, 'Audit entries, oldest first'),
      h('thead', {}, h('tr', {}, ['#', 'Time', 'Actor', 'Action', 'Target', 'Hash'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)),
    more);
  return null;
}
