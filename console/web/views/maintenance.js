// Maintenance (any role that can view): pumps whose preventive maintenance is overdue or falls due within a window
// (MaintenanceService.ListDue), overdue first, with the due date, the unit and where each pump is now. A row is the
// pump's own PM or one of its modules' (a battery or Wi-Fi module the policy gives a PM interval), named in the
// Component column. See docs/MAINTENANCE.md. Recording work stays with the CLI (technicians): the console only reads.
import * as api from '../api.js';
import { h, replace, notice, table, field } from '../dom.js';
import { place, parseDue } from '../words.js';

// The module a row is about ("battery-module BM-200, serial B-123"), or "pump" for the pump's own PM.
const component = (p) => (p.componentSerial
  ? `${[p.componentKind, p.componentModel].filter(Boolean).join(' ')}, serial ${p.componentSerial}` : 'pump');

const day = (timestamp) => (timestamp && !timestamp.startsWith('1970-01-01') ? timestamp.slice(0, 10) : '—');

export async function render(main, ctx) {
  const within = ctx.params.get('within') || '30d';
  const duration = parseDue(within);
  const request = duration ? { within: duration } : {};
  const response = await api.call('pumptrack.v1.MaintenanceService/ListDue', request);
  if (!ctx.isCurrent()) return null;
  const pumps = [...(response.pumps || [])].sort((a, b) => Number(Boolean(b.overdue)) - Number(Boolean(a.overdue)) ||
    (a.dueAt || '').localeCompare(b.dueAt || '') || a.assetTag.localeCompare(b.assetTag) ||
    (a.componentSerial || '').localeCompare(b.componentSerial || ''));
  const overdue = pumps.filter((p) => p.overdue).length;

  const input = h('input', { name: 'within', value: within, size: 6, autocomplete: 'off' });
  const form = h('form', { class: 'inline' }, field('Due within', input, 'e.g. 30d, 12h'),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/maintenance?within=${encodeURIComponent(input.value.trim())}`;
  });

  replace(main,
    h('h1', {}, 'Maintenance'),
    h('p', {}, 'Pumps whose preventive maintenance, or a module\'s, is overdue or due within the window, by due date.'),
    form,
    duration ? null : notice('error', `“${within}” is not a duration: showing each model's warning window.`),
    pumps.length
      ? [
        h('p', { id: 'due-summary' }, `${overdue} overdue, ${pumps.length - overdue} due.`),
        h('div', { class: 'scroll' }, table('Pumps due for preventive maintenance', [
          { label: 'Pump', cell: (p) => h('a', { href: `#/device/${encodeURIComponent(p.assetTag)}` }, p.assetTag) },
          { label: 'Model', cell: (p) => p.model || '—' },
          { label: 'Component', cell: component },
          { label: 'Status', cell: (p) => (p.overdue ? h('strong', {}, 'overdue') : 'due') },
          { label: 'Due', cell: (p) => day(p.dueAt) },
          { label: 'Last PM', cell: (p) => day(p.lastPmAt) },
          { label: 'Unit', cell: (p) => (p.location && p.location.unit) || '—' },
          { label: 'Location', cell: (p) => place(p.location) },
        ], pumps, (p) => ({
          dataset: { tag: p.assetTag, component: p.componentSerial || '' },
          class: p.overdue ? 'flagged' : undefined,
        })))]
      : notice('info', 'No pump is due for preventive maintenance in that window.'));
  return null;
}
