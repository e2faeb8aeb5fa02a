// Device page: identity, firmware, drug library, configuration, security posture with each finding's reason and
// evidence, the history timeline and the chain of custody.
import * as api from '../api.js';
import { h, replace, facts, table, notice } from '../dom.js';
import { ackForm } from '../ack.js';
import {
  place, when, ago, sourceWord, custodyWord, operatingWord, kindWord, severityWord, findingStateWord, changeWord,
  actionWord, sealWord, caseWord, serviceWord, wifiWord, homeSourceWord,
} from '../words.js';

function findingCard(f, ctx, refresh) {
  const ev = f.evidence || {};
  return h('li', { class: `finding ${f.severity.toLowerCase()}`, dataset: { finding: f.id, state: f.state } },
    h('p', {},
      h('strong', { class: `sev ${f.severity.toLowerCase()}` }, severityWord(f.severity)), ' ',
      h('span', { class: 'kind' }, kindWord(f.kind)), ' · ', h('code', {}, f.rule), ' · ',
      h('span', { class: 'state' }, findingStateWord(f.state))),
    h('p', { class: 'reason' }, f.reason),
    facts([
      ['Expected', ev.expected], ['Seen', ev.seen], ev.advisory ? ['Advisory', ev.advisory] : null,
      ['First seen', when(f.firstSeenAt)], ['Last seen', when(f.lastSeenAt)],
      f.acknowledgedBy ? ['Acknowledged', `${f.acknowledgedBy}, ${when(f.acknowledgedAt)}: ${f.acknowledgementNote}`] : null,
    ].filter(Boolean)),
    ackForm(f, ctx.can, refresh));
}

async function draw(main, ctx) {
  const tag = ctx.args[0] || '';
  const key = { assetTag: tag };
  let device;
  try {
    device = await api.call('pumptrack.v1.InventoryService/GetDevice', { device: key });
  } catch (error) {
    replace(main, h('h1', {}, tag), notice(error.httpStatus === 404 ? 'warn' : 'error',
      error.httpStatus === 404 ? `No pump has the asset tag “${tag}”.` : error.message));
    return null;
  }
  const [findings, history, custody] = await Promise.all([
    api.call('pumptrack.v1.FindingService/ListFindings', { assetTag: tag, pageSize: 200 }),
    api.call('pumptrack.v1.InventoryService/GetDeviceHistory', { device: key, pageSize: 50 }),
    api.call('pumptrack.v1.CustodyService/GetCustodyHistory', { assetTag: tag, pageSize: 100 }),
  ]);
  if (!ctx.isCurrent()) return null;
  const obs = device.lastObservation || {};
  const id = device.identity || {};
  const lib = obs.drugLibrary || {};
  const config = obs.configuration || {};
  const sec = obs.security || {};
  const phys = obs.physical || {};
  const cust = device.custody || {};
  const refresh = () => draw(main, ctx);
  const list = findings.findings || [];
  const openFirst = [...list].sort((a, b) => (a.state === 'FINDING_STATE_OPEN' ? 0 : 1) - (b.state === 'FINDING_STATE_OPEN' ? 0 : 1));

  replace(main,
    h('h1', {}, tag, h('small', {}, ` ${id.manufacturer} ${id.model}`)),
    h('p', { class: 'summary' }, place(obs.location), ' · ', custodyWord(cust.state), ' · ',
      `risk ${device.riskScore || 0}, ${device.openFindings || 0} open findings`),
    h('div', { class: 'grid' },
      h('section', { class: 'card', 'aria-labelledby': 'identity' },
        h('h2', { id: 'identity' }, 'Identity'),
        facts([
          ['Asset tag', id.assetTag], ['Serial number', id.serialNumber], ['Manufacturer', id.manufacturer],
          ['Model', id.model], ['Home', device.homeUnit ? `${device.homeFacility} › ${device.homeUnit} (${homeSourceWord(device.homeSource)})` : ''],
          ['Where', place(obs.location)], ['Located by', `${sourceWord((obs.location || {}).source)}`],
          ['Last seen', `${when(device.lastSeenAt)} ${ago(device.lastSeenAt)}`.trim()],
          ['Operating state', operatingWord(obs.operatingState)],
          ['Reporting agent', (device.lastAgent || {}).agentId],
        ])),
      h('section', { class: 'card', 'aria-labelledby': 'software' },
        h('h2', { id: 'software' }, 'Firmware and drug library'),
        facts([
          ['Firmware', obs.firmwareVersion],
          ['Drug library', lib.name ? `${lib.name} ${lib.version}` : ''],
          ['Library published', when(lib.publishedAt)],
          ['Library digest', lib.digest ? h('code', {}, lib.digest.slice(0, 16)) : ''],
          ['Configuration digest', config.digest ? h('code', {}, config.digest.slice(0, 16)) : ''],
        ])),
      h('section', { class: 'card', 'aria-labelledby': 'security' },
        h('h2', { id: 'security' }, 'Security posture'),
        facts([
          ['Default credentials', sec.defaultCredentials ? h('strong', { class: 'bad' }, 'yes') : 'no'],
          ['Credentials changed', when(sec.credentialsChangedAt)],
          ['Open services', (sec.openServices || []).map((s) => `${serviceWord(s.kind)}${s.port ? `:${s.port}` : ''}`).join(', ') || 'none'],
          ['Wi-Fi security', wifiWord(sec.wifiSecurity)],
          ['Remote access', sec.remoteAccessEnabled ? 'enabled' : 'disabled'],
          ['Clock offset', sec.clockOffset || '0s'],
          ['Seal', `${phys.sealId || '—'} (${sealWord(phys.sealState)})`],
          ['Case', caseWord(phys.caseState)],
          ['Battery', phys.batteryPercent !== undefined ? `${phys.batteryPercent} %` : ''],
        ])),
      h('section', { class: 'card', 'aria-labelledby': 'configuration' },
        h('h2', { id: 'configuration' }, 'Configuration'),
        Object.keys(config.settings || {}).length
          ? table('Settings the pump reported', [
            { label: 'Setting', cell: ([k]) => h('code', {}, k) },
            { label: 'Value', cell: ([, v]) => v },
          ], Object.entries(config.settings).sort())
          : h('p', {}, 'No settings reported.')),
      h('section', { class: 'card', 'aria-labelledby': 'custody-now' },
        h('h2', { id: 'custody-now' }, 'Custody'),
        facts([
          ['State', custodyWord(cust.state)], ['Holder', cust.holder],
          ['From', cust.originUnit ? `${cust.originFacility} › ${cust.originUnit}` : ''],
          ['To', cust.destinationUnit ? `${cust.destinationFacility} › ${cust.destinationUnit}` : ''],
          ['Reason', cust.reason], ['Due', when(cust.dueAt)], ['Recorded seal', cust.recordedSealId],
          ['Quarantined for', (cust.quarantineReasons || []).join('; ')],
        ]))),
    h('section', { 'aria-labelledby': 'findings-title' },
      h('h2', { id: 'findings-title' }, `Findings (${list.length})`),
      list.length ? h('ul', { class: 'findings' }, openFirst.map((f) => findingCard(f, ctx, refresh)))
        : h('p', {}, 'No findings.')),
    h('section', { 'aria-labelledby': 'history-title' },
      h('h2', { id: 'history-title' }, 'History'),
      h('ol', { class: 'timeline' }, (history.entries || []).map((e) => {
        const before = e.before || {};
        const after = e.after || {};
        const changes = (e.changes || []).map(changeWord).join(', ');
        const detail = [];
        for (const c of e.changes || []) {
          if (c === 'CHANGE_KIND_LOCATION') detail.push(`${place(before.location)} → ${place(after.location)}`);
          if (c === 'CHANGE_KIND_FIRMWARE') detail.push(`firmware ${before.firmwareVersion || '—'} → ${after.firmwareVersion}`);
          if (c === 'CHANGE_KIND_SEAL') detail.push(`seal ${sealWord(before.sealState)} → ${sealWord(after.sealState)}`);
          if (c === 'CHANGE_KIND_DRUG_LIBRARY') detail.push(`library ${(before.drugLibrary || {}).version || '—'} → ${(after.drugLibrary || {}).version || '—'}`);
        }
        return h('li', {}, h('time', { datetime: e.observedAt }, when(e.observedAt)), ' ',
          h('strong', {}, changes), detail.length ? `: ${detail.join('; ')}` : '');
      }))),
    h('section', { 'aria-labelledby': 'chain-title' },
      h('h2', { id: 'chain-title' }, 'Chain of custody'),
      (custody.events || []).length
        ? h('div', { class: 'scroll' }, table('Custody events, oldest first', [
          { label: '#', cell: (e) => e.index, class: 'num' },
          { label: 'When', cell: (e) => when(e.at) },
          { label: 'Action', cell: (e) => actionWord(e.action) },
          { label: 'State', cell: (e) => `${custodyWord(e.fromState)} → ${custodyWord(e.toState)}` },
          { label: 'By', cell: (e) => e.actor },
          { label: 'Where', cell: (e) => [e.unit, e.destinationUnit].filter(Boolean).join(' → ') },
          { label: 'Details', cell: (e) => [e.reason, e.observedSealId && `seal ${e.observedSealId}`,
            (e.gateFailures || []).length && `gate failed: ${e.gateFailures.join('; ')}`].filter(Boolean).join(' · ') },
        ], custody.events))
        : h('p', {}, 'No custody events yet.')));
  return null;
}

export async function render(main, ctx) {
  await draw(main, ctx);
  // This pump's findings, live: a new or changed one redraws the page.
  const tag = ctx.args[0] || '';
  const onFinding = (event) => {
    const f = (event.detail || {}).finding;
    if (!f || f.assetTag !== tag || !ctx.isCurrent()) return;
    // Not while someone is writing an acknowledgement note: the redraw would lose it.
    const writing = [...main.querySelectorAll('form.ack input')].some((i) => i.value || i === document.activeElement);
    if (!writing) draw(main, ctx).catch(() => {});
  };
  ctx.live.addEventListener('finding', onFinding);
  return () => ctx.live.removeEventListener('finding', onFinding);
}
