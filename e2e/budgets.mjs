// The care app's weight and speed on a slow phone: Chromium's Slow 3G profile (2 s latency,
// 50 kB/s each way, as ../shared/tools/look.js uses) with 4x CPU throttling. Measured, not
// asserted (docs/benchmarks.md records the figures; the journeys test holds the byte budgets).
//
//   SCALEUP_BIN=target/release/scaleup SCALEUP_DB=demo.sqlite SCALEUP_ACCOUNTS=accounts.json \
//     node e2e/budgets.mjs
import { readFileSync } from 'node:fs';
import { Server, freePort, launch, profileDir } from './lib.mjs';

const accounts = JSON.parse(readFileSync(process.env.SCALEUP_ACCOUNTS, 'utf8')).accounts;
const counsellor = accounts.find((a) => a.role === 'counsellor');
const server = new Server(process.env.SCALEUP_BIN, process.env.SCALEUP_DB, await freePort());
await server.start();
const out = {};
try {
  const profile = profileDir();
  const slow = async (page) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 2000, downloadThroughput: 50000, uploadThroughput: 50000 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    let bytes = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    return () => { const b = bytes; bytes = 0; return b; };
  };
  let ctx = await launch({ profile });
  let page = ctx.pages()[0] || await ctx.newPage();
  let bytes = await slow(page);
  let t0 = Date.now();
  await page.goto(server.url + '/');
  await page.locator('#username').waitFor();
  out.signin_page_ms = Date.now() - t0;
  out.signin_page_bytes = bytes();
  await page.locator('#username').fill(counsellor.username);
  await page.locator('#password').fill(counsellor.password);
  t0 = Date.now();
  await page.locator('form[action="/login"] button').click();
  await page.locator('main h1').waitFor();
  out.app_shell_after_signin_ms = Date.now() - t0;
  await page.waitForFunction(() => document.body.dataset.sync === 'idle', null, { timeout: 300000 });
  out.first_sync_done_ms = Date.now() - t0;
  out.first_visit_bytes = bytes();
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.waitForTimeout(2000);
  await ctx.close();
  // A later day: the app opens from the phone (service worker, IndexedDB), still on Slow 3G.
  ctx = await launch({ profile });
  page = ctx.pages()[0] || await ctx.newPage();
  bytes = await slow(page);
  t0 = Date.now();
  await page.goto(server.url + '/app/en/');
  await page.locator('main li a').first().waitFor();
  out.caseload_interactive_ms = Date.now() - t0;
  await page.waitForFunction(() => document.body.dataset.sync === 'idle', null, { timeout: 300000 });
  out.later_open_and_sync_ms = Date.now() - t0;
  out.later_open_bytes = bytes();
  await ctx.close();
  console.log(JSON.stringify(out, null, 1));
} finally {
  await server.stop();
}
