import { readFileSync } from 'node:fs';
import { Server, freePort, launch, profileDir, signIn, synced } from './lib.mjs';
const accounts = JSON.parse(readFileSync(process.env.SCALEUP_ACCOUNTS, 'utf8')).accounts;
const c = accounts.find((a) => a.role === 'counsellor' && a.username.startsWith('zw.'));
const server = new Server(process.env.SCALEUP_BIN, process.env.SCALEUP_DB, await freePort());
await server.start();
const errors = [];
try {
  const ctx = await launch({ profile: profileDir() });
  const page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signIn(page, server.url, c.username, c.password);
  await synced(page);
  await page.screenshot({ path: '/tmp/x/1-today.png' });
  // New client, screen with a high score (eligible), enrol, session, close.
  await page.getByRole('link', { name: 'New client' }).click();
  await page.getByLabel('Given name').fill('Tariro');
  await page.getByRole('group', { name: 'Sex' }).getByLabel('Female').check();
  await page.getByLabel('The client agrees to be screened and treated').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('fieldset.item').first().waitFor();
  await page.screenshot({ path: '/tmp/x/2-screen.png' });
  const heading = await page.locator('h1').textContent();
  const items = page.locator('fieldset.item');
  const n = await items.count();
  for (let i = 0; i < n; i++) { const r = items.nth(i).getByRole('radio'); await r.nth(i === 10 ? 0 : Math.min(1, (await r.count()) - 1)).check(); }
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForTimeout(800);
  await page.screenshot({ path: '/tmp/x/3-after-screen.png', fullPage: true });
  console.log('screened with', heading, '->', (await page.locator('main').innerText()).slice(0, 400));
  const enrol = page.getByRole('link', { name: 'Offer treatment' });
  if (await enrol.count()) {
    await enrol.click();
    await page.getByLabel('The client accepts treatment').check();
    await page.screenshot({ path: '/tmp/x/4-enrol.png', fullPage: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForTimeout(800);
    await page.getByRole('link', { name: 'Record a session' }).click();
    await page.screenshot({ path: '/tmp/x/5-session.png', fullPage: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForTimeout(800);
    console.log('after session at', await page.evaluate(() => location.hash));
    await page.goto(page.url().replace(/#.*/, '') + '#/');
  }
  await page.getByRole('button', { name: 'Send now' }).click();
  await synced(page);
  await page.goto(server.url + '/app/en/#/outbox');
  await page.waitForTimeout(500);
  await page.screenshot({ path: '/tmp/x/6-outbox.png', fullPage: true });
  console.log('outbox:', (await page.locator('main').innerText()).slice(0, 600));
  await page.goto(server.url + '/language?next=/app/en/');
  await page.screenshot({ path: '/tmp/x/7-language.png', fullPage: true });
} finally {
  await server.stop();
  console.log('errors:', errors);
}
