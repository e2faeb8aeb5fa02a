// Locate: one search box for an asset tag or a serial number (type-ahead over tags); answers where the pump is.
import * as api from '../api.js';
import { h, replace, field, facts, notice, announce } from '../dom.js';
import { findDevice, allTags } from '../lookup.js';
import { place, sourceWord, when, ago, custodyWord } from '../words.js';

export async function render(main, ctx) {
  const input = h('input', { type: 'search', name: 'q', list: 'tags', autocomplete: 'off', spellcheck: 'false',
    required: true, placeholder: 'PT-00042 or a serial number' });
  const datalist = h('datalist', { id: 'tags' });
  const answer = h('div', { id: 'answer', 'aria-live': 'polite' });
  const form = h('form', { class: 'search', role: 'search' },
    field('Asset tag or serial number', input), h('button', { type: 'submit' }, 'Locate'));

  async function locate(text) {
    replace(answer, h('p', { class: 'loading' }, 'Looking…'));
    let device;
    try {
      device = await findDevice(text);
    } catch (error) {
      replace(answer, notice('error', error.message));
      return;
    }
    if (!device) {
      replace(answer, notice('warn', `No pump has the asset tag or serial number “${text.trim()}”.`));
      announce('No pump found.');
      return;
    }
    const tag = device.identity.assetTag;
    const where = await api.call('pumptrack.v1.InventoryService/Locate', { device: { assetTag: tag } });
    const loc = where.location || {};
    const custody = device.custody || {};
    replace(answer, h('section', { class: 'card result', 'aria-labelledby': 'result-title' },
      h('h2', { id: 'result-title' }, h('a', { href: `#/device/${encodeURIComponent(tag)}` }, tag),
        ` · ${device.identity.manufacturer} ${device.identity.model} · serial ${device.identity.serialNumber}`),
      h('p', { class: 'where' }, place(loc)),
      facts([
        ['Source', `${sourceWord(loc.source)}, confidence ${Math.round((loc.confidence || 0) * 100)} %`],
        ['There since', when(where.since)],
        ['Last seen', `${when(where.lastSeenAt)} ${ago(where.lastSeenAt)}`.trim()],
        ['Custody', custodyWord(custody.state)],
        ['Holder', custody.holder],
        ['Home', device.homeUnit ? `${device.homeFacility} › ${device.homeUnit}` : ''],
      ])));
    announce(`${tag}: ${place(loc)}`);
    history.replaceState(null, '', `#/locate?q=${encodeURIComponent(text.trim())}`);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    locate(input.value);
  });
  replace(main, h('h1', {}, 'Locate a pump'), form, datalist, answer);
  input.focus();
  allTags().then((tags) => replace(datalist, tags.map((t) => h('option', { value: t }))), () => {});
  const q = ctx.params.get('q');
  if (q) {
    input.value = q;
    await locate(q);
  }
}
