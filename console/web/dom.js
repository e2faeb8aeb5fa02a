// Small DOM helpers. Text is always set as text (never parsed as HTML), so data from the server cannot inject markup.

// h('a', {href: '#/x', class: 'c'}, 'text', child, [more children]) → an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces the content of `el` with `children`.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A table: columns [{label, cell: row → node|string, class?}], rows.
export function table(caption, columns, rows, rowAttrs = () => ({})) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
    h('tbody', {}, rows.map((row) => h('tr', rowAttrs(row), columns.map((c) => h('td', { class: c.class }, c.cell(row)))))));
}

// A definition list from [label, value] pairs; empty values show as a dash.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([label, value]) => [
    h('dt', {}, label),
    h('dd', {}, value === undefined || value === null || value === '' ? '—' : value),
  ]));
}

// A labelled form control: field('Asset tag', h('input', {...})) → <div><label for>…</label><input id>…</div>.
let nextId = 0;
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++nextId}`;
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

// A message region: kind 'error' | 'ok' | 'warn' | 'info'.
export function notice(kind, ...children) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, children);
}

// Announces `text` to screen readers through the page's live region.
export function announce(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}
