// The console end to end: real pumptrackd + simulated fleet + headless Debian Chromium (see harness.mjs). Each step
// acts through the page as a person would and checks the server's state through the CLI over gRPC, a second path.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Fleet, launchBrowser, signedInPage, show, forcedCall, waitFor } from './harness.mjs';

// 49 pumps: every 10th misbehaves (PT-00010 firmware, PT-00020 library, PT-00030 default credentials, PT-00040
// telnet). PT-00050 (a broken seal) reports only later, while a findings page is open.
const PUMPS = 49;

describe('console', () => {
  let fleet;
  let browser;

  before(async () => {
    fleet = await Fleet.start({ pumps: PUMPS });
    browser = await launchBrowser(fleet.dir);
  });

  after(async () => {
    if (browser) await browser.close();
    if (fleet) await fleet.stop();
  });

  const text = (page, selector) => page.$eval(selector, (el) => el.innerText);
  const custodyOf = (tag) => fleet.cli('devices', 'get', tag, '--output=json').custody || {};

  it('signs in with a token kept in sessionStorage only, and refuses a wrong one', async () => {
    const page = await browser.newPage();
    await page.goto(`${fleet.url}/`);
    await page.waitForSelector('body[data-ready="signin"]');
    // The token field has focus: a person (or a password manager) types and presses Enter.
    assert.equal(await page.evaluate(() => document.activeElement.name), 'token');
    // Signed out: neither the navigation nor a sign-out button shows.
    assert.deepEqual(await page.$$eval('#nav, #sign-out', (els) => els.map((e) => e.getClientRects().length)), [0, 0]);
    await page.keyboard.type('not-a-token');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#token-form .notice.error');
    assert.match(await text(page, '#token-form .notice.error'), /not accepted/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    await page.type('#token-form input[name="token"]', fleet.tokens.asset_manager);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-ready="overview"]');
    const where = await page.evaluate(() => ({
      cookie: document.cookie, url: location.href, stored: sessionStorage.getItem('pumptrack.token'),
      local: localStorage.length, who: document.getElementById('who-name').innerText,
    }));
    assert.equal(where.cookie, '');
    assert.equal(where.local, 0);
    assert.equal(where.stored, fleet.tokens.asset_manager);
    assert.ok(!where.url.includes(fleet.tokens.asset_manager));
    assert.match(where.who, /browser-asset-manager \(asset_manager\)/);
    await page.close();
  });

  it('overview shows the site with available pumps against PAR, and units at or below PAR stand out', async () => {
    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    await show(page, '#/overview');
    const html = await text(page, 'main');
    assert.match(html, /St\. Example General Hospital/);
    assert.match(html, /North Tower/);
    const rows = await page.$$eval('table.units tr[data-unit]', (trs) => trs.map((tr) => ({
      unit: tr.dataset.unit, short: tr.classList.contains('short'), avail: tr.querySelector('.avail').innerText,
    })));
    assert.equal(rows.length, 9, JSON.stringify(rows));
    for (const unit of ['icu-1', '5-east', 'er']) {
      const truth = fleet.cli('find-available', `--near=${unit}`, '--count=1', '--output=json');
      const row = rows.find((r) => r.unit === unit);
      const available = truth.availableInUnit || 0;
      const par = truth.parLevel || 0;
      assert.ok(row.avail.startsWith(`${available} / ${par}`), `${unit}: ${row.avail} vs ${available}/${par}`);
      assert.equal(row.short, par > 0 && available <= par, unit);
      if (row.short) assert.match(row.avail, /(below|at) PAR/);
    }
    await page.close();
  });

  it('locates a pump by asset tag and by serial number', async () => {
    const device = fleet.cli('devices', 'get', 'PT-00007', '--output=json');
    const location = device.lastObservation.location;
    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    await show(page, '#/locate');
    // Type-ahead over tags: the search box offers every tag.
    await waitFor(async () => (await page.$$eval('#tags option', (o) => o.length)) === PUMPS, 'the tag list');
    await page.type('input[name="q"]', 'PT-00007');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#answer .result');
    let answer = await text(page, '#answer');
    assert.match(answer, /PT-00007/);
    assert.ok(answer.includes(`${location.unit} › ${location.room}`), answer);

    await page.$eval('input[name="q"]', (input) => { input.value = ''; });
    await page.type('input[name="q"]', device.identity.serialNumber);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /PT-00007/.test(document.querySelector('#answer').innerText) &&
      document.querySelector('#answer .result'));
    answer = await text(page, '#answer');
    assert.ok(answer.includes(device.identity.serialNumber), answer);

    await page.$eval('input[name="q"]', (input) => { input.value = ''; });
    await page.type('input[name="q"]', 'PT-99999');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#answer .notice.warn');
    await page.close();
  });

  it('device page shows identity, firmware, library, posture and each finding with its reason and evidence', async () => {
    const [finding] = fleet.cli('findings', 'list', '--device=PT-00030', '--output=json');
    assert.equal(finding.rule, 'security.default_credentials');
    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    await show(page, '#/device/PT-00030');
    const body = await text(page, 'main');
    const device = fleet.cli('devices', 'get', 'PT-00030', '--output=json');
    assert.ok(body.includes(device.identity.serialNumber));
    assert.ok(body.includes(device.lastObservation.firmwareVersion));
    assert.ok(body.includes(device.lastObservation.drugLibrary.version));
    assert.match(body, /Default credentials\s+yes/);
    const card = await text(page, `li.finding[data-finding="${finding.id}"]`);
    assert.ok(card.includes(finding.reason), card);
    assert.ok(card.includes(finding.evidence.expected) && card.includes(finding.evidence.seen), card);
    assert.match(body, /History[\s\S]*first seen/);
    // A viewer is not offered the acknowledge action.
    assert.equal(await page.$('form.ack'), null);
    await page.close();
  });

  it('acknowledges a finding with a note and the page shows it changed', async () => {
    const [finding] = fleet.cli('findings', 'list', '--device=PT-00040', '--output=json');
    const page = await signedInPage(browser, fleet, fleet.tokens.asset_manager);
    await show(page, '#/findings');
    const row = `tr[data-finding="${finding.id}"]`;
    await page.waitForSelector(`${row}[data-state="FINDING_STATE_OPEN"] form.ack input`);
    await page.type(`${row} form.ack input`, 'telnet closed by biomed, ticket 4711');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${row}[data-state="FINDING_STATE_ACKNOWLEDGED"]`);
    assert.match(await text(page, row), /acknowledged by browser-asset-manager: telnet closed by biomed, ticket 4711/);
    const stored = fleet.cli('findings', 'get', finding.id, '--output=json');
    assert.equal(stored.state, 'FINDING_STATE_ACKNOWLEDGED');
    assert.equal(stored.acknowledgementNote, 'telnet closed by biomed, ticket 4711');
    await page.close();
  });

  // Two available pumps near 5-east: the first goes out and comes back with its seal, the second with another seal.
  let goodTag;
  let badTag;

  it('checks a pump out and back in by typing its tag as a scanner would', async () => {
    const near = fleet.cli('find-available', '--near=5-east', '--count=2', '--output=json');
    [goodTag, badTag] = near.pumps.map((p) => p.assetTag);
    assert.ok(goodTag && badTag, JSON.stringify(near));
    const seal = fleet.cli('devices', 'get', goodTag, '--output=json').lastObservation.physical.sealId;

    const page = await signedInPage(browser, fleet, fleet.tokens.transport);
    await show(page, '#/custody');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'tag', 'the scan field has focus');
    await page.keyboard.type(`${goodTag}\n`);
    await page.waitForSelector('#checkout-form');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'destination');
    await page.keyboard.type('icu-1');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ICU surge');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#result .notice.ok');
    assert.match(await text(page, '#result'), new RegExp(`${goodTag} checked out to icu-1`));
    let custody = custodyOf(goodTag);
    assert.equal(custody.state, 'CUSTODY_STATE_IN_TRANSIT');
    assert.equal(custody.holder, 'browser-transport');
    assert.equal(custody.destinationUnit, 'icu-1');

    // The scan field has focus again: the next scan is the same pump arriving at the ICU; then its seal.
    assert.equal(await page.evaluate(() => document.activeElement.name), 'tag');
    await page.keyboard.type(`${goodTag}\n`);
    await page.waitForSelector('#checkin-form');
    assert.equal(await page.$eval('#checkin-form input[name="unit"]', (i) => i.value), 'icu-1');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'seal');
    await page.keyboard.type(`${seal}\n`);
    await page.waitForSelector('#result .notice.ok');
    assert.match(await text(page, '#result'), new RegExp(`${goodTag} checked in at icu-1: available`));
    custody = custodyOf(goodTag);
    assert.ok(!custody.state || custody.state === 'CUSTODY_STATE_AVAILABLE', JSON.stringify(custody));
    await page.close();
  });

  it('a check-in with another seal lands in quarantine and says why in plain words', async () => {
    const page = await signedInPage(browser, fleet, fleet.tokens.transport);
    await show(page, '#/custody');
    await page.keyboard.type(`${badTag}\n`);
    await page.waitForSelector('#checkout-form');
    await page.keyboard.type('icu-1');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ICU surge');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#result .notice.ok');
    await page.keyboard.type(`${badTag}\n`);
    await page.waitForSelector('#checkin-form');
    await page.keyboard.type('SL-NOT-THE-SAME\n');
    await page.waitForSelector('#result .notice.error');
    const said = await text(page, '#result');
    assert.match(said, new RegExp(`${badTag} is quarantined\\. Do not use it`));
    assert.match(said, /came back with seal SL-NOT-THE-SAME, not the seal \S+ it left with/);
    const custody = custodyOf(badTag);
    assert.equal(custody.state, 'CUSTODY_STATE_QUARANTINED');
    assert.ok(custody.quarantineReasons.some((r) => r.includes('SL-NOT-THE-SAME')));
    // Scanning it again shows the reason on the pump's card and offers no check-out.
    await page.keyboard.type(`${badTag}\n`);
    await page.waitForSelector('#pump .pump');
    assert.match(await text(page, '#pump'), /quarantined[\s\S]*SL-NOT-THE-SAME/i);
    assert.equal(await page.$('#checkout-form'), null);
    // The next scan replaces the tag in the field rather than being appended to it.
    await page.keyboard.type(`${goodTag}\n`);
    await page.waitForSelector(`#pump .pump[data-tag="${goodTag}"]`);
    await page.close();
  });

  it('a check-out and check-in made elsewhere show on an open custody desk without reload', async () => {
    const [pump] = fleet.cli('find-available', '--near=er', '--count=1', '--output=json').pumps;
    const tag = pump.assetTag;
    const seal = fleet.cli('devices', 'get', tag, '--output=json').lastObservation.physical.sealId;
    const page = await signedInPage(browser, fleet, fleet.tokens.transport);
    await show(page, '#/custody');
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    assert.equal(await page.$(`#out-now tr[data-tag="${tag}"]`), null);
    fleet.cli('custody', 'checkout', tag, '--to=icu-1', '--reason=from another cart', '--due=1h');
    await page.waitForSelector(`#out-now tr[data-tag="${tag}"]`, { timeout: 15000 });
    assert.match(await text(page, `#out-now tr[data-tag="${tag}"]`), /browser-admin\s+er\s+icu-1/);
    fleet.cli('custody', 'checkin', tag, '--at=icu-1', `--seal=${seal}`);
    await page.waitForFunction((t) => !document.querySelector(`#out-now tr[data-tag="${t}"]`), { timeout: 15000 }, tag);
    assert.equal(await page.evaluate(() => performance.timeOrigin), loadedAt, 'the page was not reloaded');
    // The scan field kept the focus all along.
    assert.equal(await page.evaluate(() => document.activeElement.name), 'tag');
    await page.close();
  });

  it('a viewer sees no custody actions and a forced API call is refused with 403', async () => {
    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    const nav = await page.$$eval('#nav li:not([hidden]) a', (as) => as.map((a) => a.innerText));
    assert.deepEqual(nav, ['Overview', 'Locate', 'Findings', 'Custody desk', 'Advisories', 'Utilization', 'Maintenance']);
    await show(page, '#/custody');
    await page.keyboard.type('PT-00003\n');
    await page.waitForSelector('#pump .pump');
    assert.equal(await page.$('#checkout-form'), null);
    assert.equal(await page.$('#checkin-form'), null);
    assert.match(await text(page, '#pump'), /not check them out or in/);
    const before = custodyOf('PT-00003');
    const forced = await forcedCall(page, 'pumptrack.v1.CustodyService/CheckOut',
      { assetTag: 'PT-00003', destinationUnit: 'icu-1', reason: 'forced', dueIn: '3600s' });
    assert.equal(forced.status, 403, JSON.stringify(forced));
    assert.equal(forced.body.status, 'PERMISSION_DENIED');
    assert.deepEqual(custodyOf('PT-00003'), before, 'nothing changed');
    // The audit page is not routed for a viewer either.
    await page.evaluate(() => { location.hash = '#/audit'; });
    await page.waitForSelector('body[data-ready="overview"]');
    await page.close();
  });

  it('a finding raised while the findings page is open appears without reload', async () => {
    const page = await signedInPage(browser, fleet, fleet.tokens.asset_manager);
    await show(page, '#/findings');
    await page.waitForFunction(() => document.body.dataset.stream === 'live');
    assert.equal(await page.$('tr[data-tag="PT-00050"]'), null);
    const navigations = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    // PT-00050 reports for the first time, with its tamper seal broken.
    fleet.report(PUMPS + 1);
    await page.waitForSelector('tr[data-tag="PT-00050"].fresh', { timeout: 20000 });
    assert.match(await text(page, 'tr[data-tag="PT-00050"]'), /tampered[\s\S]*seal/i);
    assert.equal(await page.evaluate(() => performance.timeOrigin), loadedAt, 'the page was not reloaded');
    assert.deepEqual(navigations.filter((u) => !u.includes('#')), []);
    await page.close();
  });

  it('an auditor sees the audit chain verified, and only the audit page', async () => {
    const page = await signedInPage(browser, fleet, fleet.tokens.auditor);
    await page.waitForSelector('body[data-ready="audit"]');
    const nav = await page.$$eval('#nav li:not([hidden]) a', (as) => as.map((a) => a.innerText));
    assert.deepEqual(nav, ['Audit']);
    const verify = fleet.cli('audit', 'verify', '--output=json');
    assert.match(await text(page, 'main .notice'), new RegExp(`The chain verifies: ${verify.entries} entries`));
    const actions = await page.$$eval('table.audit tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.innerText));
    assert.ok(actions.some((a) => a.includes('check')), actions.join(','));

    // Export downloads the whole chain as JSON lines: the same entries, in order, as `pumptrack audit export`.
    const downloads = fs.mkdtempSync(path.join(fleet.dir, 'downloads-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('#export');
    const file = path.join(downloads, 'pumptrack-audit.jsonl');
    await page.waitForFunction(() => /Exported \d+ entries/.test(document.querySelector('main').innerText));
    await waitFor(() => fs.existsSync(file), 'the downloaded pumptrack-audit.jsonl');
    const exported = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const cli = fleet.cli('audit', 'export').trim().split('\n').map((line) => JSON.parse(line));
    assert.ok(exported.length >= Number(verify.entries), `${exported.length} exported, ${verify.entries} verified`);
    assert.ok(exported.every((e) => e.index && e.hash && e.action), JSON.stringify(exported[0]));
    assert.deepEqual(exported.map((e) => [e.index, e.hash]), cli.slice(0, exported.length).map((e) => [e.index, e.hash]));
    await page.close();
  });
});
