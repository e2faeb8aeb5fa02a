// Findings: filter by kind, severity, unit and state; acknowledge with a note (asset managers); new and changed
// findings arrive live from /api/v1/events.
import * as api from '../api.js';
import { h, replace, field, notice, announce } from '../dom.js';
import { ackForm } from '../ack.js';
import {
  FINDING_KINDS, SEVERITIES, FINDING_STATES, kindWord, severityWord, findingStateWord, when,
} from '../words.js';

function select(name, label, values, wordOf, current) {
  const control = h('select', { name },
    h('option', { value: '' }, 'any'),
    values.map((v) => h('option', { value: v, selected: v === current }, wordOf(v))));
  return field(label, control);
}

export async function render(main, ctx) {
  const p = ctx.params;
  const filters = {
    kind: p.get('kind') || '', severity: p.get('severity') || '', unit: p.get('unit') || '',
    state: p.has('state') ? p.get('state') : 'FINDING_STATE_OPEN',
  };
  const unitInput = h('input', { type: 'text', name: 'unit', value: filters.unit, autocomplete: 'off' });
  const form = h('form', { class: 'filters', 'aria-label': 'Filter findings' },
    select('kind', 'Kind', FINDING_KINDS, kindWord, filters.kind),
    select('severity', 'Severity', SEVERITIES, severityWord, filters.severity),
    field('Unit', unitInput),
    select('state', 'State', FINDING_STATES, findingStateWord, filters.state),
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) q.set(k, String(v).trim());
    location.hash = `#/findings?${q}`;
  });

  const request = {};
  if (filters.kind) request.kind = filters.kind;
  if (filters.severity) request.severity = filters.severity;
  if (filters.unit) request.unit = filters.unit;
  if (filters.state) request.state = filters.state;
  const findings = await api.callAll('pumptrack.v1.FindingService/ListFindings', request, 'findings', 2000);
  if (!ctx.isCurrent()) return null;

  const matches = (f) => (!filters.kind || f.kind === filters.kind) &&
    (!filters.severity || f.severity === filters.severity) && (!filters.unit || f.unit === filters.unit) &&
    (!filters.state || f.state === filters.state);

  const tbody = h('tbody', {});
  const count = h('span', {});
  const streamState = h('span', { class: 'stream' }, document.body.dataset.stream === 'live' ? 'live' : 'connecting…');
  const rows = new Map();

  function row(f, fresh) {
    const tr = h('tr', { class: fresh ? 'fresh' : '', dataset: { finding: f.id, state: f.state, tag: f.assetTag } },
      h('td', { 'data-label': 'Severity' }, h('strong', { class: `sev ${f.severity.toLowerCase()}` }, severityWord(f.severity))),
      h('td', { 'data-label': 'Kind' }, kindWord(f.kind)),
      h('td', { 'data-label': 'Pump' }, f.assetTag ? h('a', { href: `#/device/${encodeURIComponent(f.assetTag)}` }, f.assetTag) : 'the unit'),
      h('td', { 'data-label': 'Where' }, [f.facility, f.unit].filter(Boolean).join(' › ') || '—'),
      h('td', { class: 'reason', 'data-label': 'Reason' }, f.reason,
        f.evidence && (f.evidence.expected || f.evidence.seen)
          ? h('small', { class: 'evidence' }, ` expected ${f.evidence.expected || '—'}, seen ${f.evidence.seen || '—'}`) : null),
      h('td', { class: 'time', 'data-label': 'Last seen' }, when(f.lastSeenAt)),
      h('td', { class: 'state', 'data-label': 'State' }, findingStateWord(f.state),
        f.acknowledgedBy ? h('small', {}, ` by ${f.acknowledgedBy}: ${f.acknowledgementNote}`) : null),
      ctx.can('manage') ? h('td', { class: 'ack-cell', 'data-label': 'Acknowledge' }, ackForm(f, ctx.can, (updated) => upsert(updated, false))) : null);
    return tr;
  }

  // A note being written survives the row's redraw (a finding changes on every report that still breaks the rule).
  function keepNote(oldRow, newRow) {
    const oldForm = oldRow.querySelector('form.ack');
    const newForm = newRow.querySelector('form.ack');
    if (!oldForm || !newForm) return;
    const input = oldForm.querySelector('input');
    if (input.value || document.activeElement === input) newForm.replaceWith(oldForm);
  }

  function upsert(f, fresh) {
    const old = rows.get(f.id);
    if (!matches(f)) {
      if (old && f.state !== filters.state) {
        // Keep it on screen with its new state until the next filter, so the change is seen.
        const tr = row(f, fresh);
        old.replaceWith(tr);
        rows.set(f.id, tr);
      }
      return;
    }
    const tr = row(f, fresh);
    if (old) {
      keepNote(old, tr);
      old.replaceWith(tr);
    } else {
      tbody.prepend(tr);
    }
    rows.set(f.id, tr);
    count.textContent = `${rows.size} finding${rows.size === 1 ? '' : 's'}`;
  }

  for (const f of findings) {
    const tr = row(f, false);
    tbody.append(tr);
    rows.set(f.id, tr);
  }
  count.textContent = `${rows.size} finding${rows.size === 1 ? '' : 's'}`;

  replace(main,
    h('h1', {}, 'Findings'),
    form,
    h('p', { class: 'summary' }, count, ' · updates: ', streamState),
    h('div', { class: 'scroll' }, h('table', { class: 'findings' },
      h('caption', { class: 'sr-only' }, 'Findings, newest changes first'),
      h('thead', {}, h('tr', {},
        ['Severity', 'Kind', 'Pump', 'Where', 'Reason', 'Last seen', 'State'].map((t) => h('th', { scope: 'col' }, t)),
        ctx.can('manage') ? h('th', { scope: 'col' }, 'Acknowledge') : null)),
      tbody)),
    findings.length ? null : notice('info', 'No findings match.'));

  const onFinding = (event) => {
    const e = event.detail || {};
    if (!e.finding || e.type === 'TYPE_RESYNC') return;
    const isNew = !rows.has(e.finding.id);
    upsert(e.finding, true);
    if (isNew && matches(e.finding)) announce(`New finding: ${kindWord(e.finding.kind)} on ${e.finding.assetTag}`);
  };
  const onStream = (event) => { streamState.textContent = event.detail === 'live' ? 'live' : 'reconnecting…'; };
  ctx.live.addEventListener('finding', onFinding);
  ctx.live.addEventListener('stream', onStream);
  return () => {
    ctx.live.removeEventListener('finding', onFinding);
    ctx.live.removeEventListener('stream', onStream);
  };
}
