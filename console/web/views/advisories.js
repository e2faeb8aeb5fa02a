// Advisories (any role that can view): the imported security advisories (AdvisoryService.ListAdvisories) with their
// score, affected pumps and products needing review; one advisory (#/advisories/<tracking id>) shows its
// remediation, the ranges a person must read (never guessed), and the pumps it affects now as the server computes
// them (ListAffectedDevices), grouped by facility and unit with where each pump is and who has it.
import * as api from '../api.js';
import { h, replace, facts, notice, table } from '../dom.js';
import { place, custodyWord, severityWord, when, ago } from '../words.js';

const score = (value) => Number(value || 0).toFixed(1);
const day = (timestamp) => (timestamp ? timestamp.slice(0, 10) : '—');

async function renderList(main, ctx) {
  const advisories = await api.callAll('pumptrack.v1.AdvisoryService/ListAdvisories', {}, 'advisories');
  if (!ctx.isCurrent()) return null;
  const rows = [...advisories].sort((a, b) => (b.maxBaseScore || 0) - (a.maxBaseScore || 0) ||
    a.trackingId.localeCompare(b.trackingId));
  replace(main,
    h('h1', {}, 'Advisories'),
    h('p', {}, 'Security advisories imported from CSAF files (pumptrack advisories import), highest score first. ' +
      'Open one to see its affected pumps, where they are now and who has them.'),
    rows.length
      ? h('div', { class: 'scroll' }, table('Imported advisories', [
        { label: 'Advisory', cell: (a) => h('a', { href: `#/advisories/${encodeURIComponent(a.trackingId)}` }, a.trackingId) },
        { label: 'Title', cell: (a) => a.title || '—' },
        { label: 'Released', cell: (a) => day(a.currentReleaseDate) },
        { label: 'CVEs', cell: (a) => (a.cves || []).join(', ') || '—' },
        { label: 'Max CVSS', class: 'num', cell: (a) => score(a.maxBaseScore) },
        { label: 'Affected pumps', class: 'num', cell: affectedCell },
        { label: 'Needs review', class: 'num', cell: (a) => String(a.needsReviewProducts || 0) },
      ], rows, (a) => ({ dataset: { advisory: a.trackingId } })))
      : notice('info', 'No advisory is imported yet.'));
  return null;
}

// Pumps flagged; while an import's findings are still being written in the background, also how many its versions
// match and how many are left (AdvisorySummary.matchedDevices, findingsPending).
function affectedCell(a) {
  const flagged = String(a.affectedDevices || 0);
  if (!a.findingsPending) return flagged;
  return `${flagged} of ${a.matchedDevices || 0} matched (findings being written: ${a.findingsPending} pumps left)`;
}

// What matched on one pump: "Wi-Fi battery SP-WIFI-BATT U55 in “<= U61 | <= L81”".
function matched(device) {
  const parts = (device.matches || []).map((m) => {
    const what = m.componentModel ? `${m.componentKind || 'component'} ${m.componentModel}` : `${device.model || 'pump'} firmware`;
    return `${what} ${m.matchedVersion} in “${m.versionRange}”`;
  });
  return parts.length ? parts.join('; ') : '—';
}

function custody(device) {
  const state = custodyWord(device.custodyState);
  return device.custodyHolder ? `${state}, held by ${device.custodyHolder}` : state;
}

async function renderOne(main, ctx, trackingId) {
  const [advisory, affected] = await Promise.all([
    api.call('pumptrack.v1.AdvisoryService/GetAdvisory', { trackingId }),
    api.callAll('pumptrack.v1.AdvisoryService/ListAffectedDevices', { trackingId }, 'devices'),
  ]);
  if (!ctx.isCurrent()) return null;
  const cves = [];
  const remediations = [];
  let max = 0;
  for (const v of advisory.vulnerabilities || []) {
    if (v.cve && !cves.includes(v.cve)) cves.push(v.cve);
    for (const s of v.scores || []) max = Math.max(max, s.baseScore || 0);
    for (const r of v.remediations || []) {
      const line = `${r.category || 'remediation'}: ${r.details || ''}${r.url ? ` ${r.url}` : ''}`;
      if (!remediations.includes(line)) remediations.push(line);
    }
  }
  const review = (advisory.products || []).filter((p) => p.needsReview);

  // facility / unit → pumps, in order.
  const units = new Map();
  for (const d of affected) {
    const loc = d.location || {};
    const key = `${loc.facility || '—'} / ${loc.unit || '—'}`;
    if (!units.has(key)) units.set(key, []);
    units.get(key).push(d);
  }
  const unitSections = [...units.keys()].sort().map((key, i) => {
    const pumps = units.get(key);
    const id = `unit-${i}`;
    return h('section', { class: 'card', 'aria-labelledby': id, dataset: { unit: key } },
      h('h3', { id }, `${key} (${pumps.length})`),
      h('div', { class: 'scroll' }, table(`Affected pumps in ${key}`, [
        { label: 'Pump', cell: (d) => h('a', { href: `#/device/${encodeURIComponent(d.assetTag)}` }, d.assetTag) },
        { label: 'Model', cell: (d) => d.model || '—' },
        { label: 'Where now', cell: (d) => place(d.location) },
        { label: 'Custody', cell: (d) => custody(d) },
        { label: 'Last seen', cell: (d) => `${when(d.lastSeenAt)} ${ago(d.lastSeenAt)}`.trim() },
        { label: 'Severity', cell: (d) => h('span', { class: `sev ${String(d.severity || '').toLowerCase()}` }, severityWord(d.severity)) },
        { label: 'What matched', cell: (d) => matched(d) },
      ], pumps, (d) => ({ dataset: { tag: d.assetTag } }))));
  });

  replace(main,
    h('p', {}, h('a', { href: '#/advisories' }, '← All advisories')),
    h('h1', {}, `${advisory.trackingId}: ${advisory.title || ''}`),
    facts([
      ['Revision', `${advisory.version || '—'} of ${day(advisory.currentReleaseDate)}`],
      ['Publisher', advisory.publisher],
      ['CVEs', cves.join(', ')],
      ['Max CVSS', score(max)],
      ['Affected pumps', String(affected.length)],
    ]),
    h('section', { class: 'card', 'aria-labelledby': 'remediation-title' },
      h('h2', { id: 'remediation-title' }, 'What to do'),
      remediations.length ? h('ul', { id: 'remediations' }, remediations.map((r) => h('li', {}, r)))
        : h('p', {}, 'The advisory gives no remediation.')),
    h('section', { class: 'card', 'aria-labelledby': 'review-title' },
      h('h2', { id: 'review-title' }, `Needs review (${review.length})`),
      review.length
        ? [h('p', {}, 'pumptrack cannot read these version ranges and never guesses them; read the advisory.'),
          h('ul', { id: 'needs-review' }, review.map((p) => h('li', {}, `${p.fullName || p.productName}: ${p.reviewReason || ''}`)))]
        : h('p', {}, 'Every range of this advisory was understood.')),
    h('h2', {}, 'Affected pumps by unit'),
    unitSections.length ? unitSections : notice('ok', 'No pump is affected by this advisory now.'));
  return null;
}

export async function render(main, ctx) {
  const [trackingId] = ctx.args;
  return trackingId ? renderOne(main, ctx, trackingId) : renderList(main, ctx);
}
