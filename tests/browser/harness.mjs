// The browser tests' harness: the real pumptrackd (--insecure, HTTP console on 127.0.0.1 port 0, the example policy)
// in a fresh temporary directory, a simulated fleet reported by the real pumptrack-agent, tokens of every role made
// offline before the daemon starts, and Debian's Chromium driven by puppeteer-core (it never downloads a browser).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (ctest sets it; see tests/browser/CMakeLists.txt)`);
  return value;
}

export const PUMPTRACKD = env('PUMPTRACKD');
export const AGENT = env('PUMPTRACK_AGENT');
export const CLI = env('PUMPTRACK_CLI');
export const SOURCE_DIR = env('PUMPTRACK_SOURCE_DIR');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Screenshots go under the build directory (ctest gives BROWSER_OUT); never into the source tree.
export const OUT_DIR = process.env.BROWSER_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'pumptrack-shots-'));

export async function loadPuppeteer() {
  try {
    return (await import('puppeteer-core')).default;
  } catch (error) {
    throw new Error('puppeteer-core is not installed in tests/browser/node_modules: run scripts/setup ' +
      `(npm ci in tests/browser). ${error.message}`);
  }
}

// Waits until `check()` returns a truthy value (polled), or throws `what` after `timeoutMs`.
export async function waitFor(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const ROLES = ['admin', 'asset_manager', 'transport', 'viewer', 'auditor'];

// pumptrackd with its console, a fleet of `pumps` simulated pumps (every 10th misbehaves) and a token per role.
export class Fleet {
  // `daemonFlags`: extra pumptrackd flags (the sign-in test's --ldap_*).
  static async start({ pumps = 60, faults = 0.1, daemonFlags = [] } = {}) {
    const fleet = new Fleet();
    fleet.daemonFlags = daemonFlags;
    fleet.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pumptrack-browser-'));
    fleet.dataDir = path.join(fleet.dir, 'data');
    fleet.bufferDir = path.join(fleet.dir, 'agent-buffer');
    fleet.tokens = {};
    for (const role of ROLES) {
      const result = spawnSync(PUMPTRACKD, ['token', 'create', `--data_dir=${fleet.dataDir}`, `--role=${role}`,
        `--name=browser-${role.replace('_', '-')}`], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`pumptrackd token create: ${result.stderr}`);
      fleet.tokens[role] = result.stdout.trim().split('\n').pop();
    }
    await fleet.startDaemon();
    fleet.cli('agents', 'enroll', 'gw-browser');
    fleet.faults = faults;
    fleet.report(pumps);
    return fleet;
  }

  async startDaemon() {
    const ready = path.join(this.dir, 'ready.json');
    fs.rmSync(ready, { force: true });
    this.logPath = path.join(this.dir, 'pumptrackd.log');
    const log = fs.openSync(this.logPath, 'a');
    this.daemon = spawn(PUMPTRACKD, [
      `--data_dir=${this.dataDir}`, '--insecure', '--grpc_listen=127.0.0.1:0', '--metrics_listen=',
      '--http_listen=127.0.0.1:0', `--ready_file=${ready}`,
      `--policy=${path.join(SOURCE_DIR, 'examples', 'hospital-policy.textproto')}`, ...(this.daemonFlags || []),
    ], { stdio: ['ignore', log, log] });
    let exited = null;
    this.daemon.on('exit', (code, signal) => { exited = { code, signal }; });
    const info = await waitFor(() => {
      if (exited) throw new Error(`pumptrackd exited (${JSON.stringify(exited)}):\n${this.log()}`);
      try {
        const parsed = JSON.parse(fs.readFileSync(ready, 'utf8'));
        return parsed.http ? parsed : null;
      } catch {
        return null;
      }
    }, 'pumptrackd ready file with "http"');
    fs.closeSync(log);
    this.grpc = info.grpc;
    this.url = `http://${info.http}`;
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  }

  // The pumptrack CLI over gRPC (an independent path to the server's state); JSON when --output=json is given.
  cli(...args) {
    const result = spawnSync(CLI, ['--insecure', ...args], {
      encoding: 'utf8', timeout: 60000,
      env: { ...process.env, PUMPTRACK_SERVER: this.grpc, PUMPTRACK_TOKEN: this.tokens.admin },
    });
    if (result.status !== 0) throw new Error(`pumptrack ${args.join(' ')}: ${result.stderr}`);
    return args.includes('--output=json') ? JSON.parse(result.stdout) : result.stdout;
  }

  // One round of the simulated fleet (pumps PT-00001 .. PT-<pumps>), delivered before it returns.
  report(pumps) {
    const result = spawnSync(AGENT, [
      `--server=${this.grpc}`, '--insecure', '--agent_id=gw-browser', '--adapter=sim', `--sim_pumps=${pumps}`,
      `--sim_faults=${this.faults}`, '--once', '--rounds=1', '--interval=100ms', '--round_timeout=30s',
      `--buffer_dir=${this.bufferDir}`, '--metrics_listen=',
    ], { encoding: 'utf8', timeout: 120000 });
    if (result.status !== 0) throw new Error(`pumptrack-agent: ${result.stdout}${result.stderr}`);
  }

  async stop() {
    if (this.daemon && this.daemon.exitCode === null) {
      const done = new Promise((resolve) => this.daemon.once('exit', resolve));
      this.daemon.kill('SIGTERM');
      await done;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// The ldap tests' real slapd (TLS on a loopback port, the people and groups of tests/ldap/slapd_fixture.h) run by
// tests/ldap's pumptrack-test-slapd; its standard input is our pipe, so it stops with us even if we die.
export class Directory {
  static async start() {
    const directory = new Directory();
    directory.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pumptrack-slapd-'));
    const ready = path.join(directory.dir, 'ready.json');
    directory.process = spawn(env('PUMPTRACK_TEST_SLAPD'), [`--ready_file=${ready}`, '--watch_stdin'],
      { stdio: ['pipe', 'inherit', 'inherit'] });
    let exited = null;
    directory.process.on('exit', (code, signal) => { exited = { code, signal }; });
    directory.info = await waitFor(() => {
      if (exited) throw new Error(`pumptrack-test-slapd exited (${JSON.stringify(exited)})`);
      try {
        return JSON.parse(fs.readFileSync(ready, 'utf8'));
      } catch {
        return null;
      }
    }, 'pumptrack-test-slapd ready file', 60000);
    return directory;
  }

  readReady() {
    return JSON.parse(fs.readFileSync(path.join(this.dir, 'ready.json'), 'utf8'));
  }

  // Hung: slapd stopped with SIGSTOP (connections are accepted, nothing answers). up() or down() resumes it.
  slow() {
    process.kill(this.readReady().slapd_pid, 'SIGSTOP');
    this.stopped = true;
  }

  // Down: the helper stops slapd (SIGUSR1; a hung one is resumed first, so open connections are closed under their
  // clients); connections are refused until up().
  async down() {
    this.process.kill('SIGUSR1');
    await waitFor(() => { try { return this.readReady().slapd_pid < 0; } catch { return false; } }, 'slapd stopped');
    this.stopped = false;
  }

  // Running again on the same port and data (SIGUSR2 to the helper; after down()).
  async up() {
    this.process.kill('SIGUSR2');
    await waitFor(() => { try { return this.readReady().slapd_pid > 0; } catch { return false; } }, 'slapd started');
  }

  // pumptrackd's flags for this directory.
  flags() {
    const i = this.info;
    return [`--ldap_url=${i.ldaps_url}`, `--ldap_ca=${i.ca}`, `--ldap_bind_dn=${i.bind_dn}`,
      `--ldap_bind_password_file=${i.bind_password_file}`, `--ldap_user_base=${i.user_base}`,
      '--ldap_user_filter=(uid={user})', `--ldap_group_base=${i.group_base}`, `--ldap_group_map=${i.group_map}`];
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      const done = new Promise((resolve) => this.process.once('exit', resolve));
      this.process.kill('SIGTERM');
      await done;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Headless Debian Chromium with a fresh profile, no network beyond the test's.
export async function launchBrowser(dir) {
  const puppeteer = await loadPuppeteer();
  const profile = fs.mkdtempSync(path.join(dir || os.tmpdir(), 'chromium-'));
  const args = [
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    '--disable-default-apps', '--disable-extensions', `--user-data-dir=${profile}`, '--disable-dev-shm-usage',
  ];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, args, userDataDir: profile,
    defaultViewport: { width: 1366, height: 900 },
  });
  return browser;
}

// A new tab on the console, signed in with `token` through the sign-in page, on `view` once it has rendered.
export async function signedInPage(browser, fleet, token, { width = 1366, height = 900 } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.on('pageerror', (error) => { page.errors = [...(page.errors || []), error.message]; });
  await page.goto(`${fleet.url}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('body[data-ready="signin"] #token-form input[name="token"]');
  await page.type('#token-form input[name="token"]', token);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.ready !== 'signin');
  return page;
}

// Goes to `hash` (e.g. '#/findings') and waits for the view to finish rendering.
export async function show(page, hash) {
  const view = hash.replace(/^#\//, '').split(/[/?]/)[0];
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(`body[data-ready="${view}"]`);
}

// The page's own fetch of an API method with its own token: what a person forcing a call from the console gets.
export async function forcedCall(page, method, body) {
  return page.evaluate(async (m, b) => {
    const response = await fetch(`/api/v1/${m}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${sessionStorage.getItem('pumptrack.token')}` },
      body: JSON.stringify(b),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  }, method, body);
}

export function screenshotPath(name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  return path.join(OUT_DIR, `${name}.png`);
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core's serious and critical accessibility violations on the page as it is now (id, impact, help, first nodes).
export async function axeSerious(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

// Collects, from now on, every Content Security Policy refusal and uncaught page error the page reports.
export function watchCsp(page) {
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  return violations;
}
