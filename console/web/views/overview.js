// Overview: every facility › building › floor › unit of the policy's site, with pumps present by state, available
// pumps against PAR, missing pumps and open findings by severity. A unit at or below PAR stands out.
import * as api from '../api.js';
import { h, replace, notice } from '../dom.js';
import { OPERATING_STATES, SEVERITIES, operatingWord, severityWord } from '../words.js';

const key = (facility, unit) => `${facility}\u0000${unit}`;

function tally(map, k, sub) {
  const entry = map.get(k) || {};
  entry[sub] = (entry[sub] || 0) + 1;
  map.set(k, entry);
}

// Runs `work` on every item, `width` at a time.
async function pool(items, width, work) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

async function load() {
  const [policy, devices, findings] = await Promise.all([
    api.call('pumptrack.v1.PolicyService/GetPolicy', {}),
    api.callAll('pumptrack.v1.InventoryService/ListDevices', {}, 'devices'),
    api.callAll('pumptrack.v1.FindingService/ListFindings', { state: 'FINDING_STATE_OPEN' }, 'findings'),
  ]);
  const site = (policy.policy && policy.policy.site) || { facilities: [], buildings: [], units: [] };
  const present = new Map();
  for (const d of devices) {
    const obs = d.lastObservation || {};
    const loc = obs.location || {};
    tally(present, key(loc.facility, loc.unit), obs.operatingState || 'OPERATING_STATE_UNSPECIFIED');
  }
  const open = new Map();
  const missing = new Map();
  for (const f of findings) {
    tally(open, key(f.facility, f.unit), f.severity);
    if (f.kind === 'FINDING_KIND_MISSING') tally(missing, key(f.facility, f.unit), 'n');
  }
  // The engine's own count of available pumps per unit (FindAvailable answers it beside the PAR level).
  const available = new Map();
  // At most 4 at a time, so that a large site stays well inside the server's per-client rate limit.
  await pool(site.units || [], 4, async (unit) => {
    try {
      const answer = await api.call('pumptrack.v1.CustodyService/FindAvailable', { nearUnit: unit.id, count: 1 });
      available.set(key(unit.facility, unit.id), { available: answer.availableInUnit || 0, par: answer.parLevel || 0 });
    } catch {
      available.set(key(unit.facility, unit.id), null);
    }
  });
  return { site, present, open, missing, available, devices: devices.length, findings: findings.length };
}

function unitRow(unit, data) {
  const k = key(unit.facility, unit.id);
  const present = data.present.get(k) || {};
  const open = data.open.get(k) || {};
  const avail = data.available.get(k);
  const par = avail ? avail.par : unit.parLevel || 0;
  const short = avail && par > 0 && avail.available <= par;
  const total = Object.values(present).reduce((a, b) => a + b, 0);
  const findingsLink = (severity, n) => n
    ? h('a', { href: `#/findings?unit=${encodeURIComponent(unit.id)}&severity=${severity}&state=FINDING_STATE_OPEN`,
      class: `sev ${severity.toLowerCase()}`, 'aria-label': `${n} ${severityWord(severity)}` }, String(n))
    : h('span', { class: 'zero' }, '0');
  return h('tr', { class: short ? 'short' : '', dataset: { unit: unit.id } },
    h('th', { scope: 'row' }, h('span', { class: 'unit-name' }, unit.name || unit.id), h('small', {}, ` ${unit.id}`)),
    h('td', { class: 'num' }, String(total)),
    OPERATING_STATES.map((s) => h('td', { class: 'num' }, String(present[s] || 0))),
    h('td', { class: 'num avail' },
      avail ? `${avail.available} / ${par}` : `? / ${par}`,
      short ? h('strong', { class: 'badge short' }, avail.available < par ? 'below PAR' : 'at PAR') : null),
    h('td', { class: 'num' }, String((data.missing.get(k) || {}).n || 0)),
    SEVERITIES.map((s) => h('td', { class: 'num' }, findingsLink(s, open[s] || 0))));
}

function floorTable(floor, units, data) {
  return h('table', { class: 'units' },
    h('caption', {}, floor ? `Floor ${floor}` : 'Floor not given'),
    h('thead', {},
      h('tr', {},
        h('th', { scope: 'col', rowspan: 2 }, 'Unit'),
        h('th', { scope: 'col', rowspan: 2, class: 'num' }, 'Pumps'),
        h('th', { scope: 'colgroup', colspan: OPERATING_STATES.length }, 'Present by state'),
        h('th', { scope: 'col', rowspan: 2, class: 'num' }, 'Available / PAR'),
        h('th', { scope: 'col', rowspan: 2, class: 'num' }, 'Missing'),
        h('th', { scope: 'colgroup', colspan: SEVERITIES.length }, 'Open findings')),
      h('tr', {},
        OPERATING_STATES.map((s) => h('th', { scope: 'col', class: 'num' }, operatingWord(s))),
        SEVERITIES.map((s) => h('th', { scope: 'col', class: 'num' }, severityWord(s))))),
    h('tbody', {}, units.map((u) => unitRow(u, data))));
}

async function draw(main, ctx) {
  const data = await load();
  if (!ctx.isCurrent()) return;
  const { site } = data;
  const sections = (site.facilities || []).map((facility) => {
    const units = (site.units || []).filter((u) => u.facility === facility.id);
    const buildings = (site.buildings || []).filter((b) => b.facility === facility.id);
    const buildingIds = new Set(buildings.map((b) => b.id));
    const loose = units.filter((u) => !buildingIds.has(u.building));
    const groups = buildings.map((b) => ({ id: b.id, name: b.name || b.id, units: units.filter((u) => u.building === b.id) }));
    if (loose.length) groups.push({ id: '', name: 'Other units', units: loose });
    return h('section', { class: 'facility', 'aria-labelledby': `fac-${facility.id}` },
      h('h2', { id: `fac-${facility.id}` }, facility.name || facility.id, h('small', {}, ` ${facility.id}`)),
      groups.filter((g) => g.units.length).map((g) => {
        const floors = [...new Set(g.units.map((u) => u.floor || ''))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
        return h('section', { class: 'building' },
          h('h3', {}, g.name, g.id ? h('small', {}, ` ${g.id}`) : null),
          h('div', { class: 'scroll' },
            floors.map((floor) => floorTable(floor, g.units.filter((u) => (u.floor || '') === floor), data))));
      }));
  });
  const shortUnits = (site.units || []).filter((u) => {
    const a = data.available.get(key(u.facility, u.id));
    return a && a.par > 0 && a.available <= a.par;
  });
  replace(main,
    h('h1', {}, 'Overview'),
    h('p', { class: 'summary' },
      `${data.devices} pumps tracked, ${data.findings} open findings. `,
      shortUnits.length
        ? h('strong', {}, `${shortUnits.length} unit${shortUnits.length === 1 ? ' is' : 's are'} at or below PAR: `,
          shortUnits.map((u) => u.name || u.id).join(', '), '.')
        : 'Every unit is above PAR.'),
    sections.length ? sections : notice('info', 'The policy names no site yet.'));
}

export async function render(main, ctx) {
  await draw(main, ctx);
  // New and changed findings (PAR low among them) redraw the overview, at most every 10 s.
  let timer = null;
  const onFinding = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (ctx.isCurrent()) draw(main, ctx).catch(() => {});
    }, 10000);
  };
  ctx.live.addEventListener('finding', onFinding);
  return () => {
    clearTimeout(timer);
    ctx.live.removeEventListener('finding', onFinding);
  };
}
