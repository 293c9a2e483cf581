// Shared by the browser tests: the real `scaleup serve` on a seeded SQLite file, started,
// stopped (the ground truth of "offline": emulated offline misses service-worker traffic) and
// restarted on the same port (the same origin, so the service worker and IndexedDB carry over),
// and Debian's Chromium driven by playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SCALEUP_CHROMIUM || '/usr/bin/chromium';
// The flags a closed network needs (web-app.md): no background connections to Google's hosts.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

/// A `scaleup serve` process on a fixed port.
export class Server {
  constructor(bin, db, port) { Object.assign(this, { bin, db, port, proc: null }); this.url = `http://127.0.0.1:${port}`; }
  async start(env = {}) {
    this.proc = spawn(this.bin, ['serve', '--db', this.db, '--addr', `127.0.0.1:${this.port}`], {
      env: { ...process.env, RUST_LOG: 'warn', ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('scaleup serve did not start in 60 s')), 60000);
      this.proc.stdout.on('data', (d) => { out += d; if (out.includes('listening on')) { clearTimeout(timer); resolve(); } });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`scaleup serve exited with ${code}`)); });
    });
    this.proc.removeAllListeners('exit');
  }
  async stop() {
    if (!this.proc) return;
    const p = this.proc;
    this.proc = null;
    await new Promise((resolve) => { p.on('exit', resolve); p.kill('SIGTERM'); setTimeout(() => p.kill('SIGKILL'), 5000); });
  }
  async api(path, { token, method = 'GET', body } = {}) {
    const res = await fetch(this.url + path, {
      method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async token(username, password) {
    const r = await this.api('/api/v1/auth/login', { method: 'POST', body: { username, password } });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
    return r.body.token;
  }
}

/// A browser profile that survives closing the browser (IndexedDB, service worker, cookies).
export function profileDir() { return mkdtempSync(join(tmpdir(), 'scaleup-chromium-')); }

export async function launch({ profile, locale = 'en-GB' } = {}) {
  const options = { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 360, height: 740 }, locale };
  if (profile) return chromium.launchPersistentContext(profile, options);
  const browser = await chromium.launch(options);
  const context = await browser.newContext(options);
  context.on('close', () => browser.close().catch(() => {}));
  return context;
}

export async function signIn(page, base, username, password, { english = true } = {}) {
  await page.goto(base + '/');
  if (english) {
    // As a person reads the English page: by the fields' and button's names.
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  } else {
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(password);
    await page.locator('form[action="/login"] button[type=submit]').click();
  }
  await page.waitForLoadState('load');
}

/// Waits until the app has finished a sync round (the app sets body[data-sync=idle]).
export async function synced(page, timeout = 60000) {
  await page.waitForFunction(() => document.body.dataset.sync === 'idle', null, { timeout });
}

export function check(cond, message) {
  if (!cond) throw new Error('check failed: ' + message);
}

/// Runs axe-core in the page and fails on serious or critical violations.
export async function accessible(page, what) {
  const { createRequire } = await import('node:module');
  const { readFileSync } = await import('node:fs');
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  // Evaluated through the debugging protocol, which the page's CSP does not govern: the test
  // adds axe without weakening the policy under test.
  await page.evaluate(readFileSync(axePath, 'utf8'));
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    throw new Error(`${what}: accessibility violations:\n` + bad.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n  ')}`).join('\n'));
  }
  return result.violations.length;
}
