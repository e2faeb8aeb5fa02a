// Directory sign-in through the console's page (#21, #16's sign-in page): the ldap tests' real slapd (TLS, loopback),
// the real pumptrackd started with --ldap_* flags and its console on port 0, and Debian's Chromium. A person types
// their hospital username and password; the page shows their role's pages; a wrong password and an unknown user get
// the same words; Sign out revokes the session on the server (the old token is refused afterwards, over HTTP and
// gRPC); the token lives in sessionStorage only, never in a cookie, a URL or localStorage.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Directory, Fleet, CLI, launchBrowser, waitFor } from './harness.mjs';

describe('signin', () => {
  let directory;
  let fleet;
  let browser;

  before(async () => {
    directory = await Directory.start();
    // Short directory timeouts: the last step makes the directory hang and go away.
    fleet = await Fleet.start({ pumps: 5, daemonFlags: [...directory.flags(), '--ldap_network_timeout=1s',
      '--ldap_timeout=1s', '--ldap_refresh_interval=1s'] });
    browser = await launchBrowser(fleet.dir);
  });

  after(async () => {
    if (browser) await browser.close();
    if (fleet) await fleet.stop();
    if (directory) await directory.stop();
  });

  // A fresh tab on the sign-in page; every request URL it makes is recorded.
  async function signInPage() {
    const page = await browser.newPage();
    page.urls = [];
    page.on('request', (request) => page.urls.push(request.url()));
    await page.goto(`${fleet.url}/`);
    await page.waitForSelector('body[data-ready="signin"] #password-form input[name="username"]');
    return page;
  }

  // Types the username and password into the account form and presses Enter, as a person would.
  async function submit(page, username, password) {
    await page.$eval('#password-form .message', (el) => { el.textContent = ''; });
    await page.click('#password-form input[name="username"]', { clickCount: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#password-form input[name="username"]', username);
    await page.type('#password-form input[name="password"]', password);
    await page.keyboard.press('Enter');
  }

  async function refusal(page, username, password) {
    await submit(page, username, password);
    await page.waitForSelector('#password-form .notice.error');
    return page.$eval('#password-form .notice.error', (el) => el.innerText);
  }

  const visibleNav = (page) => page.$$eval('#nav li', (items) =>
    items.filter((li) => li.getClientRects().length > 0).map((li) => li.innerText.trim()));

  // The pumptrack CLI over gRPC with `token`: a second path to the server, independent of the page.
  function cliWith(token, ...args) {
    return spawnSync(CLI, ['--insecure', ...args], {
      encoding: 'utf8', timeout: 60000,
      env: { ...process.env, PUMPTRACK_SERVER: fleet.grpc, PUMPTRACK_TOKEN: token },
    });
  }

  it('signs in with a hospital account, keeps the token in sessionStorage only, and Sign out revokes it', async () => {
    const page = await signInPage();
    await submit(page, 'bob', 'bob-pw');
    await page.waitForSelector('body[data-ready="overview"]');
    const where = await page.evaluate(() => ({
      cookie: document.cookie, url: location.href, stored: sessionStorage.getItem('pumptrack.token'),
      keys: Object.keys(sessionStorage), local: localStorage.length,
      who: document.getElementById('who-name').innerText,
      password: document.querySelector('#password-form input[name="password"]')?.value ?? null,
    }));
    // bob is in nurses (viewer) and biomed (asset_manager): the higher role wins.
    assert.match(where.who, /^bob \(asset_manager\)$/);
    assert.ok(where.stored && where.stored.length > 20, 'a session token in sessionStorage');
    assert.deepEqual(where.keys, ['pumptrack.token']);
    assert.equal(where.cookie, '');
    assert.equal(where.local, 0);
    const cdp = await page.createCDPSession();
    assert.deepEqual((await cdp.send('Network.getAllCookies')).cookies, []);
    assert.ok(!where.url.includes(where.stored));
    assert.ok(page.urls.every((u) => !u.includes(where.stored) && !u.includes('bob-pw')), page.urls.join('\n'));
    assert.deepEqual(await visibleNav(page), ['Overview', 'Locate', 'Findings', 'Custody desk', 'Advisories', 'Utilization', 'Maintenance']);

    // The same session token works over gRPC, and the server names bob as the session's holder.
    const before = cliWith(where.stored, 'devices', 'list', '--output=json');
    assert.equal(before.status, 0, before.stderr);
    const bobSessions = () => fleet.cli('tokens', 'list', '--output=json').filter((t) => t.directoryUser === 'bob');
    const live = bobSessions();
    assert.equal(live.length, 1, JSON.stringify(live));
    assert.equal(live[0].role, 'ROLE_ASSET_MANAGER');
    assert.equal(live[0].revokedAt, undefined);

    await page.click('#sign-out');
    await page.waitForSelector('body[data-ready="signin"]');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.ok(bobSessions()[0].revokedAt, JSON.stringify(bobSessions()));
    // Revoked on the server, not only forgotten by the page: the old token is refused over HTTP and over gRPC.
    const afterHttp = await page.evaluate(async (t) => (await fetch('/api/v1/session', {
      headers: { Authorization: `Bearer ${t}` }, credentials: 'omit' })).status, where.stored);
    assert.equal(afterHttp, 401);
    const afterGrpc = cliWith(where.stored, 'devices', 'list');
    assert.notEqual(afterGrpc.status, 0);
    assert.match(afterGrpc.stderr, /UNAUTHENTICATED|unauthenticated/i);
    await page.close();
  });

  it('answers a wrong password, an unknown user, a locked account, an unmapped person and an injection alike', async () => {
    const page = await signInPage();
    const wrongPassword = await refusal(page, 'carol', 'not-her-password');
    assert.match(wrongPassword, /username or password/i);
    for (const [username, password] of [['nobody', 'nobody-pw'], ['dave', 'dave-pw'], ['erin', 'erin-pw'],
      ['*)(uid=*', 'x'], ['carol)(|(uid=*', 'carol-pw']]) {
      assert.equal(await refusal(page, username, password), wrongPassword, `${username}`);
    }
    // Still signed out, nothing stored, the password field emptied.
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.$eval('#password-form input[name="password"]', (el) => el.value), '');
    assert.equal(await page.$eval('body', (b) => b.dataset.ready), 'signin');
    await page.close();
  });

  it('shows each role its own pages', async () => {
    for (const [username, who, nav, home] of [
      ['carol', 'carol (viewer)', ['Overview', 'Locate', 'Findings', 'Custody desk', 'Advisories', 'Utilization', 'Maintenance'], 'overview'],
      ['zoë', 'zoë (auditor)', ['Audit'], 'audit'],
      ['alice', 'alice (admin)', ['Overview', 'Locate', 'Findings', 'Custody desk', 'Advisories', 'Utilization', 'Maintenance', 'Audit'], 'overview'],
    ]) {
      const page = await signInPage();
      await submit(page, username, `${username === 'zoë' ? 'zoe' : username}-pw`);
      await page.waitForSelector(`body[data-ready="${home}"]`);
      assert.equal(await page.$eval('#who-name', (el) => el.innerText), who);
      assert.deepEqual(await visibleNav(page), nav, username);
      await page.click('#sign-out');
      await page.waitForSelector('body[data-ready="signin"]');
      await page.close();
    }
  });

  // Last: it stops the directory (hung with sign-ins in flight, then gone, then back on the same port).
  it('says the directory is unavailable while it is down, keeps serving tokens, and signs in again once it is back',
    async () => {
      const page = await signInPage();
      // Other people keep signing in (4 at a time, through the same API) while the directory hangs and goes away.
      await page.evaluate(() => {
        window.others = { stop: false, answers: [] };
        const one = async () => {
          while (!window.others.stop) {
            const response = await fetch('/api/v1/pumptrack.v1.AuthService/SignIn', { method: 'POST',
              headers: { 'Content-Type': 'application/json' }, body: '{"username":"carol","password":"carol-pw"}' });
            window.others.answers.push(response.status);
          }
        };
        window.others.done = Promise.all([one(), one(), one(), one()]);
      });
      await waitFor(() => page.evaluate(() => window.others.answers.length >= 8), 'sign-ins by others');
      directory.slow();
      await submit(page, 'bob', 'bob-pw');
      await directory.down();
      await waitFor(() => page.evaluate(() => window.others.answers.filter((s) => s === 503).length >= 8),
        'sign-ins by others answered 503 while the directory is down');
      await page.evaluate(async () => { window.others.stop = true; await window.others.done; });
      await page.waitForSelector('#password-form .notice.error', { timeout: 30000 });
      assert.match(await page.$eval('#password-form .notice.error', (el) => el.innerText), /unavailable/i);
      // Once more with the directory plainly down (connections refused).
      await submit(page, 'bob', 'bob-pw');
      await page.waitForSelector('#password-form .notice.error');
      assert.match(await page.$eval('#password-form .notice.error', (el) => el.innerText), /unavailable/i);
      assert.equal(fleet.daemon.exitCode, null, `pumptrackd exited:\n${fleet.log()}`);
      assert.equal(fleet.daemon.signalCode, null, `pumptrackd was killed:\n${fleet.log()}`);
      const withToken = cliWith(fleet.tokens.viewer, 'devices', 'list');
      assert.equal(withToken.status, 0, withToken.stderr);
      assert.equal(await page.evaluate(() => sessionStorage.length), 0);

      await directory.up();
      await submit(page, 'bob', 'bob-pw');
      await page.waitForSelector('body[data-ready="overview"]');
      assert.match(await page.$eval('#who-name', (el) => el.innerText), /^bob \(asset_manager\)$/);
      await page.close();
    });
});
