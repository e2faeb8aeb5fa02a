// Custody desk, scanner first: a focused field takes a scanned tag (a keyboard-wedge scanner types it and Enter),
// then check-out (destination unit with type-ahead, reason, due) or check-in (unit, seal id — scannable too —,
// notes). A check-in the gate quarantines says why. Find-available near a unit. Laid out for a 768-px tablet.
import * as api from '../api.js';
import { h, replace, field, facts, notice, announce, table } from '../dom.js';
import { findDevice } from '../lookup.js';
import { place, custodyWord, when, parseDue, proximityWord, ago, sealWord } from '../words.js';

const POLL_MS = 5000;
const AVAILABLE = new Set(['CUSTODY_STATE_AVAILABLE', 'CUSTODY_STATE_UNSPECIFIED', undefined, '']);

// Why the gate quarantined a pump, in words for the person at the cart: the server's reasons, led by what to do.
function quarantineMessage(tag, reasons) {
  return notice('error',
    h('p', {}, h('strong', {}, `${tag} is quarantined. Do not use it: put it on the quarantine shelf and tell biomed.`)),
    h('p', {}, 'Why:'),
    h('ul', { class: 'reasons' }, (reasons.length ? reasons : ['the check-in gate refused it']).map((r) => h('li', {}, r))));
}

export async function render(main, ctx) {
  const policy = await api.call('pumptrack.v1.PolicyService/GetPolicy', {});
  if (!ctx.isCurrent()) return null;
  const units = ((policy.policy && policy.policy.site && policy.policy.site.units) || [])
    .map((u) => ({ id: u.id, label: `${u.name || u.id} (${u.facility})` }));
  const unitList = h('datalist', { id: 'units' }, units.map((u) => h('option', { value: u.id }, u.label)));

  const scan = h('input', { type: 'text', name: 'tag', autocomplete: 'off', spellcheck: 'false', required: true,
    autocapitalize: 'characters', enterkeyhint: 'go', class: 'scan' });
  const scanForm = h('form', { class: 'scan-form', id: 'scan-form' },
    field('Scan or type an asset tag', scan, 'A barcode scanner types the tag and Enter.'),
    h('button', { type: 'submit' }, 'Look up'));
  const pumpArea = h('div', { id: 'pump', 'aria-live': 'polite' });
  const resultArea = h('div', { id: 'result' });

  function refocus() {
    scan.value = '';
    scan.focus();
  }

  function checkOutForm(device) {
    const tag = device.identity.assetTag;
    const to = h('input', { type: 'text', name: 'destination', list: 'units', autocomplete: 'off', required: true });
    const reason = h('input', { type: 'text', name: 'reason', required: true, maxlength: 200 });
    const due = h('input', { type: 'text', name: 'due', value: '4h', inputmode: 'text', required: true });
    const form = h('form', { class: 'card action', id: 'checkout-form', 'aria-labelledby': 'co-title' },
      h('h2', { id: 'co-title' }, `Check ${tag} out`),
      field('Destination unit', to, 'Start typing a unit.'),
      field('Reason', reason),
      field('Due back in', due, 'For example 30m, 4h or 2d.'),
      h('button', { type: 'submit' }, 'Check out'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const dueIn = parseDue(due.value);
      if (!dueIn) {
        replace(resultArea, notice('error', 'Due back in: write a number and s, m, h or d, for example 4h.'));
        due.focus();
        return;
      }
      try {
        const result = await api.call('pumptrack.v1.CustodyService/CheckOut',
          { assetTag: tag, destinationUnit: to.value.trim(), reason: reason.value.trim(), dueIn });
        const c = result.custody || {};
        replace(resultArea, notice('ok', `${tag} checked out to ${c.destinationUnit}, due ${when(c.dueAt)}. ` +
          `Seal on record: ${c.recordedSealId || 'none'}.`));
        announce(`${tag} checked out.`);
        refreshOut();
        replace(pumpArea);
        refocus();
      } catch (error) {
        replace(resultArea, notice('error', `Check-out refused: ${error.message}`));
      }
    });
    return { form, first: to };
  }

  function checkInForm(device) {
    const tag = device.identity.assetTag;
    const c = device.custody || {};
    const unit = h('input', { type: 'text', name: 'unit', list: 'units', autocomplete: 'off', required: true,
      value: c.destinationUnit || '' });
    const seal = h('input', { type: 'text', name: 'seal', autocomplete: 'off', spellcheck: 'false' });
    const notes = h('input', { type: 'text', name: 'notes', maxlength: 500 });
    const form = h('form', { class: 'card action', id: 'checkin-form', 'aria-labelledby': 'ci-title' },
      h('h2', { id: 'ci-title' }, `Check ${tag} in`),
      field('Unit', unit),
      field('Seal id', seal, 'Scan the seal on the pump.'),
      field('Notes', notes),
      h('button', { type: 'submit' }, 'Check in'));
    // A scanned seal ends with Enter: submit only when the unit is filled, else move on.
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const result = await api.call('pumptrack.v1.CustodyService/CheckIn',
          { assetTag: tag, unit: unit.value.trim(), observedSealId: seal.value.trim(), notes: notes.value.trim() });
        const custody = result.custody || {};
        const ev = result.event || {};
        if (custody.state === 'CUSTODY_STATE_QUARANTINED') {
          const reasons = (ev.gateFailures && ev.gateFailures.length) ? ev.gateFailures : custody.quarantineReasons || [];
          replace(resultArea, quarantineMessage(tag, reasons));
          announce(`${tag} quarantined.`);
        } else {
          replace(resultArea, notice('ok', `${tag} checked in at ${custody.placedUnit || unit.value}: ` +
            `${custodyWord(custody.state)}.`));
          announce(`${tag} checked in.`);
        }
        replace(pumpArea);
        refocus();
        refreshOut();
      } catch (error) {
        replace(resultArea, notice('error', `Check-in refused: ${error.message}`));
      }
    });
    return { form, first: seal };
  }

  async function show(text) {
    replace(resultArea);
    let device;
    try {
      device = await findDevice(text);
    } catch (error) {
      replace(pumpArea, notice('error', error.message));
      return;
    }
    if (!device) {
      replace(pumpArea, notice('warn', `No pump has the tag “${text.trim()}”. Scan again.`));
      refocus();
      return;
    }
    const c = device.custody || {};
    const obs = device.lastObservation || {};
    const tag = device.identity.assetTag;
    const card = h('section', { class: 'card pump', 'aria-labelledby': 'pump-title', dataset: { tag } },
      h('h2', { id: 'pump-title' }, h('a', { href: `#/device/${encodeURIComponent(tag)}` }, tag),
        ` · ${device.identity.model}`),
      facts([
        ['Custody', h('strong', { class: 'custody-state' }, custodyWord(c.state))],
        ['Where', place(obs.location)],
        ['Holder', c.holder],
        ['Going to', c.destinationUnit],
        ['Due', when(c.dueAt)],
        ['Seal on the pump', `${(obs.physical || {}).sealId || '—'} (${sealWord((obs.physical || {}).sealState)})`],
        ['Seal on record', c.recordedSealId],
        ['Quarantined for', (c.quarantineReasons || []).join('; ')],
      ]));
    let action = null;
    if (!ctx.can('transport')) {
      action = notice('info', 'Your role can look pumps up here but not check them out or in.');
    } else if (AVAILABLE.has(c.state)) {
      action = checkOutForm(device);
    } else if (c.state === 'CUSTODY_STATE_IN_TRANSIT') {
      action = checkInForm(device);
    } else {
      action = notice('warn', `${tag} is ${custodyWord(c.state)}; it cannot be checked out until an asset manager ` +
        'releases it.');
    }
    replace(pumpArea, card, action && action.form ? action.form : action);
    if (action && action.first) {
      action.first.focus();
    } else {
      // Nothing to fill in: the next scan replaces this tag instead of being appended to it.
      scan.focus();
      scan.select();
    }
  }

  scanForm.addEventListener('submit', (event) => {
    event.preventDefault();
    show(scan.value);
  });

  const near = h('input', { type: 'text', name: 'near', list: 'units', autocomplete: 'off', required: true });
  const nearResult = h('div', { 'aria-live': 'polite' });
  const nearForm = h('form', { class: 'card', id: 'available-form', 'aria-labelledby': 'near-title' },
    h('h2', { id: 'near-title' }, 'Find available pumps near a unit'),
    field('Unit', near),
    h('button', { type: 'submit' }, 'Find'),
    nearResult);
  nearForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const answer = await api.call('pumptrack.v1.CustodyService/FindAvailable', { nearUnit: near.value.trim(), count: 10 });
      replace(nearResult,
        h('p', {}, `${answer.availableInUnit || 0} available in the unit, PAR ${answer.parLevel || 0}.`),
        (answer.pumps || []).length ? table('Nearest available pumps', [
          { label: 'Pump', cell: (p) => h('a', { href: `#/device/${encodeURIComponent(p.assetTag)}` }, p.assetTag) },
          { label: 'Model', cell: (p) => p.model },
          { label: 'Where', cell: (p) => place(p.location) },
          { label: 'How near', cell: (p) => proximityWord(p.proximity) },
          { label: 'Last seen', cell: (p) => ago(p.lastSeenAt) },
        ], answer.pumps) : h('p', {}, 'No available pump anywhere.'));
    } catch (error) {
      replace(nearResult, notice('error', error.message));
    }
  });

  // Pumps out now (ListCustody), polled: check-outs and check-ins made elsewhere (another cart, the CLI) show here
  // without a reload. The finding stream carries no custody events, so this list asks every POLL_MS.
  const outBody = h('tbody', {});
  const outCount = h('span', {});
  const outSection = h('section', { class: 'card', id: 'out-now', 'aria-labelledby': 'out-title' },
    h('h2', { id: 'out-title' }, 'Out now ', outCount),
    h('div', { class: 'scroll' }, h('table', { class: 'out' },
      h('caption', { class: 'sr-only' }, 'Pumps checked out now, overdue first'),
      h('thead', {}, h('tr', {}, ['Pump', 'Holder', 'From', 'To', 'Due', 'Where now'].map((t) => h('th', { scope: 'col' }, t)))),
      outBody)));
  async function refreshOut() {
    let answer;
    try {
      answer = await api.call('pumptrack.v1.CustodyService/ListCustody', {});
    } catch {
      return;
    }
    const rows = [...(answer.checkouts || [])].sort((a, b) => Number(b.overdue) - Number(a.overdue) ||
      a.assetTag.localeCompare(b.assetTag));
    outCount.textContent = `(${rows.length})`;
    if (!rows.length) {
      replace(outBody, h('tr', {}, h('td', { colspan: 6 }, 'No pump is checked out.')));
      return;
    }
    replace(outBody, rows.map((r) => {
      const c = r.custody || {};
      return h('tr', { class: r.overdue ? 'overdue' : '', dataset: { tag: r.assetTag } },
        h('td', {}, h('a', { href: `#/device/${encodeURIComponent(r.assetTag)}` }, r.assetTag)),
        h('td', {}, c.holder || '—'),
        h('td', {}, c.originUnit || '—'),
        h('td', {}, c.destinationUnit || '—'),
        h('td', {}, when(c.dueAt), r.overdue ? h('strong', { class: 'badge short' }, 'overdue') : null),
        h('td', {}, place(r.location)));
    }));
  }
  await refreshOut();
  const timer = setInterval(() => { if (ctx.isCurrent()) refreshOut(); }, POLL_MS);

  replace(main,
    h('h1', {}, 'Custody desk'),
    unitList,
    scanForm,
    resultArea,
    pumpArea,
    nearForm,
    outSection);
  refocus();
  return () => clearInterval(timer);
}
