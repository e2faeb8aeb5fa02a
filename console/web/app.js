// The console's shell: sign-in state, role-aware navigation, the hash router and the live finding stream.
import * as api from './api.js';
import { h, replace, notice } from './dom.js';
import { roleWord } from './words.js';

const GRANTS = {
  view: ['ROLE_VIEWER', 'ROLE_TRANSPORT', 'ROLE_ASSET_MANAGER', 'ROLE_TECHNICIAN', 'ROLE_ADMIN'],
  transport: ['ROLE_TRANSPORT', 'ROLE_ASSET_MANAGER', 'ROLE_ADMIN'],
  manage: ['ROLE_ASSET_MANAGER', 'ROLE_ADMIN'],
  audit: ['ROLE_AUDITOR', 'ROLE_ADMIN'],
  admin: ['ROLE_ADMIN'],
};

// Views by the first part of the hash (#/device/PT-00001 → 'device', with args ['PT-00001']).
const VIEWS = {
  signin: { load: () => import('./views/signin.js'), title: 'Sign in' },
  overview: { load: () => import('./views/overview.js'), title: 'Overview', needs: 'view' },
  locate: { load: () => import('./views/locate.js'), title: 'Locate', needs: 'view' },
  device: { load: () => import('./views/device.js'), title: 'Device', needs: 'view' },
  findings: { load: () => import('./views/findings.js'), title: 'Findings', needs: 'view' },
  custody: { load: () => import('./views/custody.js'), title: 'Custody desk', needs: 'view' },
  advisories: { load: () => import('./views/advisories.js'), title: 'Advisories', needs: 'view' },
  utilization: { load: () => import('./views/utilization.js'), title: 'Utilization', needs: 'view' },
  maintenance: { load: () => import('./views/maintenance.js'), title: 'Maintenance', needs: 'view' },
  audit: { load: () => import('./views/audit.js'), title: 'Audit', needs: 'audit' },
};

const state = {
  session: null,      // {name, role}
  live: new EventTarget(),  // 'finding' events (detail: FindingEvent), 'stream' (detail: 'live' | 'reconnecting')
  streamAbort: null,
  cleanup: null,
  renderId: 0,
};

export function can(permission) {
  return Boolean(state.session && (GRANTS[permission] || []).includes(state.session.role));
}

function home() {
  return can('view') ? '#/overview' : can('audit') ? '#/audit' : '#/signin';
}

// `revoke`: the person pressed Sign out, so a directory session is also ended on the server (not when the server has
// already refused the token).
async function signOut(revoke = false) {
  const old = api.token();
  api.clearToken();
  state.session = null;
  if (state.streamAbort) state.streamAbort.abort();
  state.streamAbort = null;
  if (revoke) await api.signOut(old);
  location.hash = '#/signin';
  route();
}

function startStream() {
  if (state.streamAbort || !can('view')) return;
  state.streamAbort = new AbortController();
  api.watchFindings(
    (event) => state.live.dispatchEvent(new CustomEvent('finding', { detail: event })),
    (s) => {
      document.body.dataset.stream = s;
      state.live.dispatchEvent(new CustomEvent('stream', { detail: s }));
    },
    state.streamAbort.signal);
}

function showChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const signedIn = Boolean(state.session);
  nav.hidden = !signedIn;
  who.hidden = !signedIn;
  if (!signedIn) return;
  for (const item of nav.querySelectorAll('li[data-needs]')) item.hidden = !can(item.dataset.needs);
  document.getElementById('who-name').textContent = `${state.session.name} (${roleWord(state.session.role)})`;
  const current = location.hash.split('/')[1] || '';
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${current}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// Reads the session once per sign-in; null when there is no token or the server refuses it.
async function ensureSession() {
  if (state.session || !api.token()) return state.session;
  try {
    state.session = await api.session();
  } catch (error) {
    if (error.httpStatus === 401) api.clearToken();
    state.session = null;
    if (error.httpStatus !== 401) throw error;
  }
  return state.session;
}

export async function route() {
  const id = ++state.renderId;
  const main = document.getElementById('main');
  if (state.cleanup) {
    state.cleanup();
    state.cleanup = null;
  }
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...args] = path.split('/').map(decodeURIComponent);
  let session = null;
  try {
    session = await ensureSession();
  } catch (error) {
    replace(main, notice('error', `The server could not be reached: ${error.message}`));
    return;
  }
  if (id !== state.renderId) return;
  let key = name || '';
  if (!session) key = 'signin';
  else if (!VIEWS[key] || key === 'signin') {
    location.replace(home());
    return;
  }
  const view = VIEWS[key];
  if (view.needs && !can(view.needs)) {
    location.replace(home());
    return;
  }
  showChrome();
  if (session) startStream();
  document.title = `${view.title} · pumptrack`;
  document.body.dataset.view = key;
  const module = await view.load();
  if (id !== state.renderId) return;
  const ctx = {
    session, can, args, params: new URLSearchParams(query), live: state.live,
    signedIn: async () => {
      state.session = null;
      await ensureSession();
      location.hash = home();
    },
    isCurrent: () => id === state.renderId,
  };
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    state.cleanup = (await module.render(main, ctx)) || null;
  } catch (error) {
    if (id !== state.renderId) return;
    replace(main, h('h1', {}, view.title), notice('error', error.message));
  }
  if (id !== state.renderId) return;
  // A screen reader or keyboard user continues in the new page, not in the navigation they left.
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
  document.body.dataset.ready = key;
}

api.setUnauthenticatedHandler(() => {
  if (state.session) signOut();
});

document.getElementById('sign-out').addEventListener('click', () => signOut(true));
window.addEventListener('hashchange', () => {
  delete document.body.dataset.ready;
  route();
});
route();
