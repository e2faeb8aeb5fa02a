// The console's clinical engineering pages (#19) end to end: real pumptrackd + simulated fleet + headless Debian
// Chromium (see harness.mjs). Utilization: each unit's pumps, infusing share, peak use and PAR over a pinned window
// are exactly what the CLI reports over gRPC for the same window (a second path), and a unit is flagged, in words,
// exactly when its peak went above PAR or its share is far below target. Maintenance: the pumps overdue or due within
// 30 days (two with recorded PMs 400 and 350 days ago, through the CLI) and a battery module overdue on its own (its
// PM 400 days ago), each with its component, due date, unit and location, as the CLI lists them. Both pages: in the nav of roles that may read them, axe-core finds no serious or critical violation at
// desktop and tablet width, no sideways scrolling, no Content-Security-Policy breach; recording work is not on the
// console's allow-list.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Fleet, launchBrowser, signedInPage, show, forcedCall, screenshotPath, waitFor, SOURCE_DIR, axeSerious, watchCsp } from './harness.mjs';

// The simulator's battery module models (agents/sim/sim_source.cc): the test policy gives them a PM interval.
const BATTERY_MODELS = ['AM5-BAT', 'NWF-BAT', 'CHG-BAT'];
const LOW_SHARE = 0.4;  // console/web/views/utilization.js: "far below" the 75 % target

const isoDay = (date) => date.toISOString().slice(0, 10);
const rows = (json) => (Array.isArray(json) ? json : json.rows || json.pumps || []);

describe('utilization and maintenance pages', () => {
  let fleet;
  let browser;
  let since;
  let until;
  let module;  // PT-00003's battery module

  before(async () => {
    since = new Date(Math.floor(Date.now() / 1000) * 1000 - 60 * 1000);
    fleet = await Fleet.start({ pumps: 40, faults: 0 });
    // Every unit's PAR lowered to 1: a unit with two pumps infusing at once ran above it.
    const policy = path.join(fleet.dir, 'policy.textproto');
    // And the simulator's battery modules get a PM every 365 days (30 days' warning).
    const modules = BATTERY_MODELS.map((model) => `components { kind: "battery-module" model: "${model}" ` +
      'pm_interval { seconds: 31536000 } pm_warning { seconds: 2592000 } }').join('\n');
    fs.writeFileSync(policy, `${fs.readFileSync(path.join(SOURCE_DIR, 'examples', 'hospital-policy.textproto'), 'utf8')
      .replace(/par_level: \d+/g, 'par_level: 1')}\n${modules}\n`);
    fleet.cli('policy', 'set', policy);
    // PT-00001's last PM 400 days ago (the example's 12-month interval: overdue), PT-00002's 350 days ago (due in
    // about 15 days, inside the 30-day window), and PT-00003's battery module's 400 days ago (overdue; the pump's own
    // PM is not due). Every other module counts from when its pump was first seen: not due.
    const daysAgo = (n) => isoDay(new Date(Date.now() - n * 86400 * 1000));
    fleet.cli('maintenance', 'record', 'PT-00001', '--kind=pm', `--performed=${daysAgo(400)}`);
    fleet.cli('maintenance', 'record', 'PT-00002', '--kind=pm', `--performed=${daysAgo(350)}`);
    module = fleet.cli('devices', 'get', 'PT-00003', '--output=json').lastObservation.components
      .find((c) => c.kind === 'battery-module');
    assert.ok(module && BATTERY_MODELS.includes(module.model) && module.serialNumber, JSON.stringify(module));
    fleet.cli('maintenance', 'record', 'PT-00003', '--kind=pm', `--component=${module.serialNumber}`,
      `--performed=${daysAgo(400)}`);
    // Some time passes in the pumps' states, then the window is pinned.
    await new Promise((resolve) => { setTimeout(resolve, 1500); });
    until = new Date(Math.floor(Date.now() / 1000) * 1000);
    browser = await launchBrowser(fleet.dir);
  });

  after(async () => {
    if (browser) await browser.close();
    if (fleet) await fleet.stop();
  });

  it('shows each unit\'s share and peak use against PAR as the CLI reports them, flagged in words', async () => {
    const cli = rows(fleet.cli('report', 'utilization', `--since=${since.toISOString()}`,
      `--until=${until.toISOString()}`, '--by=unit', '--output=json')).filter((r) => r.unit);
    assert.ok(cli.length >= 2, JSON.stringify(cli));
    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    const csp = watchCsp(page);
    const nav = await page.$$eval('#nav li:not([hidden]) a', (as) => as.map((a) => a.innerText));
    assert.ok(nav.includes('Utilization') && nav.includes('Maintenance'), nav.join(', '));
    await show(page, `#/utilization?since=${since.toISOString()}&until=${until.toISOString()}`);
    const shown = await page.$$eval('tr[data-unit]', (trs) => trs.map((tr) => ({
      unit: tr.dataset.unit, flagged: tr.dataset.flagged, cells: [...tr.cells].map((td) => td.innerText),
    })));
    assert.deepEqual(shown.map((r) => r.unit), cli.map((r) => r.unit));
    let flaggedUnits = 0;
    for (const [i, row] of cli.entries()) {
      const [facility, unit, pumps, infusing, peak, par, status] = shown[i].cells;
      assert.equal(facility, row.facility);
      assert.equal(unit, row.unit);
      assert.equal(pumps, String(row.devices));
      assert.equal(infusing, `${(row.infusingShare * 100).toFixed(1)} %`);
      assert.equal(peak, String(row.peakInfusing || 0));
      assert.equal(par, '1');
      const want = [];
      if ((row.peakInfusing || 0) > 1) want.push(`peak above PAR (${row.peakInfusing} > 1)`);
      if (row.infusingShare < LOW_SHARE) want.push('far below target');
      assert.equal(status, want.length ? want.join(', ') : 'ok', row.unit);
      assert.equal(shown[i].flagged, want.length ? 'yes' : 'no');
      if (want.length) flaggedUnits += 1;
    }
    assert.ok(flaggedUnits > 0, 'with every PAR at 1 some unit is flagged');
    assert.match(await page.$eval('main .notice.warn', (n) => n.innerText), /^Flagged: /);
    assert.deepEqual(csp, []);
    await page.close();
  });

  it('lists the pumps and modules overdue and due within 30 days with due date, unit and location, as the CLI does',
    async () => {
      const cli = rows(fleet.cli('maintenance', 'due', '--within=30d', '--output=json'));
      const key = (tag, serial) => `${tag}/${serial || ''}`;
      const byKey = new Map(cli.map((p) => [key(p.assetTag, p.componentSerial), p]));
      assert.ok(byKey.get('PT-00001/') && byKey.get('PT-00001/').overdue, JSON.stringify(cli));
      assert.ok(byKey.get('PT-00002/') && !byKey.get('PT-00002/').overdue, JSON.stringify(cli));
      const moduleKey = key('PT-00003', module.serialNumber);
      assert.ok(byKey.get(moduleKey) && byKey.get(moduleKey).overdue, JSON.stringify(cli));
      assert.ok(!byKey.has('PT-00003/'), 'the pump\'s own PM is not due');
      const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
      const csp = watchCsp(page);
      await show(page, '#/maintenance');
      const shown = await page.$$eval('tr[data-tag]', (trs) => trs.map((tr) => ({
        key: `${tr.dataset.tag}/${tr.dataset.component}`, cells: [...tr.cells].map((td) => td.innerText),
      })));
      assert.deepEqual(shown.map((r) => r.key).sort(), [...byKey.keys()].sort());
      assert.deepEqual(shown.slice(0, 2).map((r) => r.key).sort(), ['PT-00001/', moduleKey], 'overdue first');
      for (const r of shown) {
        const p = byKey.get(r.key);
        const [tag, model, component, status, due, , unit, location] = r.cells;
        assert.equal(tag, p.assetTag);
        assert.equal(model, p.model);
        assert.equal(component, p.componentSerial
          ? `battery-module ${p.componentModel}, serial ${p.componentSerial}` : 'pump');
        assert.equal(status, p.overdue ? 'overdue' : 'due');
        assert.equal(due, p.dueAt.slice(0, 10));
        assert.equal(unit, (p.location && p.location.unit) || '—');
        if (p.location && p.location.unit) assert.ok(location.includes(p.location.unit), location);
      }
      assert.match(await page.$eval('#due-summary', (n) => n.innerText), /^2 overdue, \d+ due\.$/);
      // A narrower window: only the overdue pump and module.
      await page.$eval('input[name="within"]', (input) => { input.value = '1d'; });
      await Promise.all([page.waitForFunction(() => location.hash === '#/maintenance?within=1d' &&
        document.body.dataset.ready === 'maintenance'), page.click('main form button[type="submit"]')]);
      await waitFor(async () => (await page.$$eval('tr[data-tag]', (trs) => trs.map((tr) =>
        `${tr.dataset.tag}/${tr.dataset.component}`))).sort().join() === ['PT-00001/', moduleKey].join(),
      'only PT-00001 and PT-00003\'s module within 1d');
      assert.deepEqual(csp, []);
      await page.close();
    });

  it('passes axe at desktop and tablet width without sideways scrolling', async () => {
    for (const size of [{ name: 'desktop', width: 1366, height: 900 }, { name: 'tablet', width: 768, height: 1024 }]) {
      for (const hash of ['#/utilization', '#/maintenance']) {
        const page = await signedInPage(browser, fleet, fleet.tokens.admin, size);
        const csp = watchCsp(page);
        await show(page, hash);
        const label = `${hash.slice(2)}-${size.name}`;
        assert.deepEqual(await axeSerious(page), [], label);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${label} scrolls sideways by ${overflow} px`);
        assert.deepEqual(csp, [], label);
        await page.screenshot({ path: screenshotPath(label), fullPage: true });
        await page.close();
      }
    }
  });

  it('an auditor has neither page, and recording maintenance is not on the console\'s allow-list', async () => {
    const auditor = await signedInPage(browser, fleet, fleet.tokens.auditor);
    const nav = await auditor.$$eval('#nav li:not([hidden]) a', (as) => as.map((a) => a.innerText));
    assert.ok(!nav.includes('Utilization') && !nav.includes('Maintenance'), nav.join(', '));
    await auditor.close();
    const page = await signedInPage(browser, fleet, fleet.tokens.admin);
    const forced = await forcedCall(page, 'pumptrack.v1.MaintenanceService/RecordMaintenance',
      { assetTag: 'PT-00003', kind: 'MAINTENANCE_KIND_PM' });
    assert.equal(forced.status, 404, JSON.stringify(forced));
    await page.close();
  });
});
