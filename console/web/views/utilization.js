// Utilization (any role that can view): per unit, the share of known pump-time spent infusing and the peak number of
// pumps infusing at once against the unit's PAR level, over a window (ReportService.GetUtilization, grouped by unit).
// A unit is flagged, in words, when its peak use went above its PAR (it ran short) or its pumps infused far less than
// the target (it holds more pumps than it uses). See docs/UTILIZATION.md.
import * as api from '../api.js';
import { h, replace, notice, table, field } from '../dom.js';

// Clinical engineering's usual utilization target is 75–80 %; a unit under 40 % of its known pump-time infusing is
// "far below" it.
export const TARGET_SHARE = 0.75;
export const LOW_SHARE = 0.4;
const PERIODS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 };

const percent = (share) => `${(share * 100).toFixed(1)} %`;

function known(row) {
  const t = row.time || {};
  return ['infusingMs', 'idleMs', 'alarmMs', 'offMs'].reduce((sum, k) => sum + Number(t[k] || 0), 0);
}

// The words a unit is flagged with (empty: none), from the same figures the CLI shows.
export function flags(row) {
  const out = [];
  const peak = Number(row.peakInfusing || 0);
  const par = Number(row.parLevel || 0);
  if (par > 0 && peak > par) out.push(`peak above PAR (${peak} > ${par})`);
  if (known(row) > 0 && Number(row.infusingShare || 0) < LOW_SHARE) out.push('far below target');
  return out;
}

function windowOf(params) {
  const since = params.get('since');
  const until = params.get('until');
  if (since) return { since, until: until || undefined, label: `${since} – ${until || 'now'}` };
  const period = PERIODS[params.get('period')] ? params.get('period') : '7d';
  return {
    since: new Date(Date.now() - PERIODS[period] * 3600 * 1000).toISOString(),
    until: undefined,
    period,
    label: `the last ${period}`,
  };
}

export async function render(main, ctx) {
  const win = windowOf(ctx.params);
  const response = await api.call('pumptrack.v1.ReportService/GetUtilization',
    { since: win.since, until: win.until, groupBy: 'UTILIZATION_GROUPING_UNIT' });
  if (!ctx.isCurrent()) return null;
  const rows = (response.rows || []).filter((r) => r.unit);
  const flagged = rows.filter((r) => flags(r).length);

  const select = h('select', { name: 'period' },
    Object.keys(PERIODS).map((p) => h('option', { value: p, selected: p === win.period }, `last ${p}`)));
  select.addEventListener('change', () => { location.hash = `#/utilization?period=${select.value}`; });

  replace(main,
    h('h1', {}, 'Utilization'),
    h('p', {}, `Per unit over ${win.label}: the share of known pump-time spent infusing (target `,
      `${Math.round(TARGET_SHARE * 100)} %) and the most pumps infusing at once against the unit's PAR level. ` +
      'A PAR level should be set from the peak use, not from the head count.'),
    h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, field('Window', select)),
    flagged.length
      ? notice('warn', `Flagged: ${flagged.map((r) => `${r.unit} (${flags(r).join(', ')})`).join('; ')}.`)
      : null,
    rows.length
      ? h('div', { class: 'scroll' }, table('Utilization by unit', [
        { label: 'Facility', cell: (r) => r.facility || '—' },
        { label: 'Unit', cell: (r) => r.unit },
        { label: 'Pumps', class: 'num', cell: (r) => String(r.devices || 0) },
        { label: 'Infusing', class: 'num', cell: (r) => (known(r) > 0 ? percent(Number(r.infusingShare || 0)) : '—') },
        { label: 'Peak in use', class: 'num', cell: (r) => String(r.peakInfusing || 0) },
        { label: 'PAR', class: 'num', cell: (r) => (r.parLevel ? String(r.parLevel) : '—') },
        { label: 'Status', cell: (r) => (flags(r).length ? h('strong', {}, flags(r).join(', ')) : 'ok') },
      ], rows, (r) => ({ dataset: { unit: r.unit, flagged: flags(r).length ? 'yes' : 'no' },
        class: flags(r).length ? 'flagged' : undefined })))
      : notice('info', 'No pump reported in that window.'));
  return null;
}
