// Every console page, at desktop and at 768-px tablet width: axe-core finds no serious or critical accessibility
// violation, the page breaks no Content-Security-Policy rule and does not scroll sideways, and a screenshot of it is
// written under the build directory (BROWSER_OUT).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { Fleet, launchBrowser, signedInPage, show, screenshotPath, OUT_DIR } from './harness.mjs';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const WIDTHS = [
  { name: 'desktop', width: 1366, height: 900 },
  { name: 'tablet', width: 768, height: 1024 },
];

// name → how to bring the page into a representative state once signed in as an admin.
const PAGES = {
  overview: (page) => show(page, '#/overview'),
  locate: async (page) => {
    await show(page, '#/locate?q=PT-00030');
    await page.waitForSelector('#answer .result');
  },
  device: (page) => show(page, '#/device/PT-00030'),
  findings: (page) => show(page, '#/findings'),
  custody: async (page) => {
    await show(page, '#/custody');
    await page.keyboard.type('PT-00003\n');
    await page.waitForSelector('#checkout-form');
  },
  audit: (page) => show(page, '#/audit'),
};

async function audit(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function watchCsp(page) {
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  return violations;
}

async function check(page, label, violations) {
  const serious = await audit(page);
  assert.deepEqual(serious, [], `${label}: ${JSON.stringify(serious, null, 1)}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${label} scrolls sideways by ${overflow} px`);
  assert.deepEqual(violations, [], label);
  await page.screenshot({ path: screenshotPath(label), fullPage: true });
}

describe('accessibility and screenshots', () => {
  let fleet;
  let browser;

  before(async () => {
    fleet = await Fleet.start({ pumps: 60 });
    browser = await launchBrowser(fleet.dir);
  });

  after(async () => {
    if (browser) await browser.close();
    if (fleet) await fleet.stop();
    console.log(`screenshots in ${OUT_DIR}`);
  });

  for (const size of WIDTHS) {
    it(`the sign-in page at ${size.name} width`, async () => {
      const page = await browser.newPage();
      await page.setViewport({ width: size.width, height: size.height });
      const violations = watchCsp(page);
      await page.goto(`${fleet.url}/`);
      await page.waitForSelector('body[data-ready="signin"]');
      await check(page, `signin-${size.name}`, violations);
      await page.close();
    });

    it(`every signed-in page at ${size.name} width`, async () => {
      const page = await signedInPage(browser, fleet, fleet.tokens.admin, size);
      const violations = watchCsp(page);
      for (const [name, open] of Object.entries(PAGES)) {
        await open(page);
        await check(page, `${name}-${size.name}`, violations);
      }
      await page.close();
    });
  }
});
