// Every console page, at desktop and at 768-px tablet width: axe-core finds no serious or critical accessibility
// violation, the page breaks no Content-Security-Policy rule and does not scroll sideways, and a screenshot of it is
// written under the build directory (BROWSER_OUT).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Fleet, launchBrowser, signedInPage, show, screenshotPath, OUT_DIR, axeSerious, watchCsp } from './harness.mjs';

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

async function check(page, label, violations) {
  const serious = await axeSerious(page);
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
