// The console's one way to the server: POST /api/v1/<Service>/<Method> with protobuf JSON, the bearer token from
// sessionStorage (never a cookie, a URL or a log line), and the finding events of GET /api/v1/events.

const TOKEN_KEY = 'pumptrack.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// An error answered by the server: HTTP status, gRPC status name, message, and the field it names (if any).
export class ApiError extends Error {
  constructor(httpStatus, body) {
    super(body && body.message ? body.message : `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.status = (body && body.status) || '';
    this.field = (body && body.field) || '';
  }
}

// Called when the server says the token is no longer good (401); app.js sends the person to the sign-in page.
let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

function headers() {
  const h = { 'Content-Type': 'application/json' };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (!response.ok) {
    if (response.status === 401 && token()) onUnauthenticated();
    throw new ApiError(response.status, body);
  }
  return body;
}

// call('pumptrack.v1.InventoryService/Locate', {device: {assetTag: 'PT-00001'}}) → the response message as JSON.
export async function call(method, request = {}) {
  const response = await fetch(`/api/v1/${method}`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify(request),
    credentials: 'omit',
    cache: 'no-store',
  });
  return parse(response);
}

// Every page of a list RPC: `field` names the repeated field of the response.
export async function callAll(method, request, field, limit = 20000) {
  const out = [];
  let pageToken = '';
  do {
    const page = await call(method, { ...request, pageSize: 1000, pageToken });
    out.push(...(page[field] || []));
    pageToken = page.nextPageToken || '';
  } while (pageToken && out.length < limit);
  return out;
}

// {name, role} of the signed-in token.
export async function session() {
  const response = await fetch('/api/v1/session', { headers: headers(), credentials: 'omit', cache: 'no-store' });
  return parse(response);
}

// Username and password sign-in (AuthService.SignIn, when the server has it): {token, expiresAt, role, displayName}.
export async function signIn(username, password) {
  const response = await fetch('/api/v1/pumptrack.v1.AuthService/SignIn', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
    credentials: 'omit',
    cache: 'no-store',
  });
  return parse(response);
}

// Ends a directory session on the server (AuthService.SignOut revokes the token) before the page forgets it. A
// hand-made token is not a session (FAILED_PRECONDITION) and a server without AuthService answers 404: both are fine,
// the page forgets the token either way. Never goes through parse(): a 401 here must not sign out again.
export async function signOut(value) {
  if (!value) return;
  try {
    await fetch('/api/v1/pumptrack.v1.AuthService/SignOut', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${value}` },
      body: '{}',
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    // The server is unreachable: the session ends at its TTL; the page still forgets the token.
  }
}

// Finding events, live: calls onEvent(FindingEvent JSON) for each `event: finding` of the server-sent event stream
// (read with fetch, since EventSource cannot send the Authorization header), reconnecting with back-off until
// `signal` aborts. onState('live' | 'reconnecting') tells the page how the stream is doing.
export async function watchFindings(onEvent, onState, signal) {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const response = await fetch('/api/v1/events', {
        headers: { Authorization: `Bearer ${token()}`, Accept: 'text/event-stream' },
        credentials: 'omit',
        cache: 'no-store',
        signal,
      });
      if (response.status === 401) {
        onUnauthenticated();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onState('live');
      delay = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          dispatch(block, onEvent);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

function dispatch(block, onEvent) {
  let event = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
  }
  if (event !== 'finding' || data.length === 0) return;
  try {
    onEvent(JSON.parse(data.join('\n')));
  } catch {
    // A malformed event is skipped; the next list refresh shows the truth.
  }
}
