// The console's advisories page end to end: real pumptrackd + simulated fleet + headless Debian Chromium (see
// harness.mjs). A CSAF advisory on the FlowMax Wi-Fi module (every simulated FlowMax LVP carries NWF-WLAN 4.2.1) is
// imported with the CLI; the page must list it with the server's counts, and show exactly the affected pumps by unit
// with where each is and who holds it, checked against the CLI over gRPC (a second path). axe-core finds no serious
// or critical violation at desktop and tablet width, and the page breaks no Content-Security-Policy rule.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Fleet, launchBrowser, signedInPage, show, forcedCall, screenshotPath, axeSerious, watchCsp } from './harness.mjs';

const ADVISORY = 'ICSMA-99-202-01';

function csaf() {
  const product = (id, category, name) => ({ category, name,
    product: { name: `Northwind Devices FlowMax Wi-Fi Module ${name}`, product_id: id } });
  return {
    document: {
      category: 'csaf_security_advisory', csaf_version: '2.0', title: 'Northwind FlowMax Wi-Fi module',
      publisher: { category: 'coordinator', name: 'CISA', namespace: 'https://www.cisa.gov/' },
      tracking: {
        id: ADVISORY, version: '1', status: 'final',
        initial_release_date: '2026-11-02T12:00:00Z', current_release_date: '2026-11-02T12:00:00Z',
        revision_history: [{ date: '2026-11-02T12:00:00Z', number: '1', summary: 'Initial' }],
      },
    },
    product_tree: { branches: [{ category: 'vendor', name: 'Northwind Devices', branches: [
      { category: 'product_name', name: 'FlowMax Wi-Fi Module', branches: [
        product('CSAFPID-0001', 'product_version_range', 'vers:generic/>=4.0|<=4.2.1'),
        product('CSAFPID-0002', 'product_version', '4.3.0'),
        product('CSAFPID-0003', 'product_version_range', 'v3.x (with the old gateway)'),
      ] }] }] },
    vulnerabilities: [{
      cve: 'CVE-2026-20202',
      product_status: { known_affected: ['CSAFPID-0001', 'CSAFPID-0003'], fixed: ['CSAFPID-0002'] },
      remediations: [{ category: 'vendor_fix', details: 'Install Wi-Fi module firmware 4.3.0.',
        product_ids: ['CSAFPID-0001'] }],
      scores: [{ cvss_v3: { version: '3.1', baseScore: 7.5, baseSeverity: 'HIGH',
        vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }, products: ['CSAFPID-0001'] }],
    }],
  };
}

describe('advisories page', () => {
  let fleet;
  let browser;
  let held;

  before(async () => {
    fleet = await Fleet.start({ pumps: 30, faults: 0 });
    // pumptrackd runs the example policy, which maps the advisory's product to the fleet's Wi-Fi module
    // (advisory_products { vendor: "Northwind Devices" product: "FlowMax Wi-Fi Module" component: "NWF-WLAN" }).
    const file = path.join(fleet.dir, `${ADVISORY.toLowerCase()}.json`);
    const content = Buffer.from(JSON.stringify(csaf(), null, 2));
    fs.writeFileSync(file, content);
    fs.writeFileSync(`${file}.sha512`, `${crypto.createHash('sha512').update(content).digest('hex')}  ${path.basename(file)}\n`);
    fleet.cli('advisories', 'import', file);
    // One affected pump, available near the ER, is checked out: the page must say who has it.
    const report = fleet.cli('advisories', 'show', ADVISORY, '--output=json');
    const affected = new Set(report.units.flatMap((u) => u.devices.map((d) => d.assetTag)));
    const available = fleet.cli('find-available', '--near=er', '--count=100', '--output=json').pumps || [];
    const pick = available.find((p) => affected.has(p.assetTag));
    assert.ok(pick, 'an available affected pump to check out');
    held = pick.assetTag;
    fleet.cli('custody', 'checkout', held, '--to=icu-1', '--reason=advisory page test', '--due=1h');
    browser = await launchBrowser(fleet.dir);
  });

  after(async () => {
    if (browser) await browser.close();
    if (fleet) await fleet.stop();
  });

  it('lists the advisory with the server\'s score, affected count and needs-review count', async () => {
    const [listed] = fleet.cli('advisories', 'list', '--output=json');
    assert.equal(listed.trackingId, ADVISORY);
    assert.ok(listed.affectedDevices > 0, JSON.stringify(listed));
    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    const csp = watchCsp(page);
    const nav = await page.$$eval('#nav li:not([hidden]) a', (as) => as.map((a) => a.innerText));
    assert.ok(nav.includes('Advisories'), nav.join(', '));
    await show(page, '#/advisories');
    const row = await page.$eval(`tr[data-advisory="${ADVISORY}"]`, (tr) => [...tr.cells].map((td) => td.innerText));
    assert.deepEqual(row, [ADVISORY, 'Northwind FlowMax Wi-Fi module', '2026-11-02', 'CVE-2026-20202', '7.5',
      String(listed.affectedDevices), '1']);
    assert.deepEqual(csp, []);
    await page.close();
  });

  it('shows the affected pumps by unit with where each is and who holds it, as the server says', async () => {
    const report = fleet.cli('advisories', 'show', ADVISORY, '--output=json');
    const truth = new Map();
    for (const unit of report.units) for (const d of unit.devices) truth.set(d.assetTag, d);
    const flowmax = fleet.cli('devices', 'list', '--output=json')
      .filter((d) => d.identity.model === 'FlowMax LVP').map((d) => d.identity.assetTag).sort();
    assert.deepEqual([...truth.keys()].sort(), flowmax, 'every FlowMax (Wi-Fi module 4.2.1) and nothing else');

    const page = await signedInPage(browser, fleet, fleet.tokens.viewer);
    const csp = watchCsp(page);
    await show(page, '#/advisories');
    await Promise.all([page.waitForSelector('body[data-ready="advisories"] #remediations'),
      page.click(`tr[data-advisory="${ADVISORY}"] a`)]);
    const shown = await page.$$eval('tr[data-tag]', (trs) => trs.map((tr) => ({
      tag: tr.dataset.tag, unit: tr.closest('section').dataset.unit, cells: [...tr.cells].map((td) => td.innerText),
    })));
    assert.deepEqual(shown.map((r) => r.tag).sort(), [...truth.keys()].sort());
    for (const r of shown) {
      const d = truth.get(r.tag);
      assert.equal(r.unit, `${d.location.facility || '—'} / ${d.location.unit || '—'}`);
      assert.ok(r.cells[2].includes(d.location.unit), `${r.tag}: ${r.cells[2]}`);
      assert.match(r.cells[5], /high/);
      assert.match(r.cells[6], /NWF-WLAN 4\.2\.1 in “vers:generic\/>=4\.0\|<=4\.2\.1”/);
      if (r.tag === held) assert.match(r.cells[3], /in transit, held by browser-admin/);
      else assert.equal(r.cells[3], 'available');
    }
    const body = await page.$eval('main', (m) => m.innerText);
    assert.match(body, /vendor_fix: Install Wi-Fi module firmware 4\.3\.0\./);
    assert.match(await page.$eval('#needs-review', (ul) => ul.innerText), /v3\.x \(with the old gateway\)/);
    assert.deepEqual(csp, []);
    await page.close();
  });

  it('passes axe at desktop and tablet width without sideways scrolling', async () => {
    for (const size of [{ name: 'desktop', width: 1366, height: 900 }, { name: 'tablet', width: 768, height: 1024 }]) {
      for (const hash of ['#/advisories', `#/advisories/${ADVISORY}`]) {
        const page = await signedInPage(browser, fleet, fleet.tokens.admin, size);
        const csp = watchCsp(page);
        await show(page, hash);
        const label = `advisories${hash.includes('ICSMA') ? '-one' : ''}-${size.name}`;
        assert.deepEqual(await axeSerious(page), [], label);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${label} scrolls sideways by ${overflow} px`);
        assert.deepEqual(csp, [], label);
        await page.screenshot({ path: screenshotPath(label), fullPage: true });
        await page.close();
      }
    }
  });

  it('an unknown advisory shows an error, and import is not on the console\'s allow-list', async () => {
    const page = await signedInPage(browser, fleet, fleet.tokens.admin);
    await show(page, '#/advisories/ICSMA-00-000-00');
    assert.match(await page.$eval('main .notice.error', (n) => n.innerText), /ICSMA-00-000-00 is not imported/);
    const forced = await forcedCall(page, 'pumptrack.v1.AdvisoryService/ImportAdvisories', { files: [] });
    assert.equal(forced.status, 404, JSON.stringify(forced));
    await page.close();
  });
});
