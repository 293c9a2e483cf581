// The care app's journeys in Debian's Chromium against the real `scaleup serve` (issue "Care
// app", tests 1-4; the hub console, issue 8: 5; the import page, issue 9, in 1), with axe-core on every page and the bytes each
// page costs.
//
//   SCALEUP_BIN=target/debug/scaleup SCALEUP_DB=demo.sqlite SCALEUP_ACCOUNTS=accounts.json \
//     node e2e/journeys.mjs [--screenshots DIR]
//
// The database must hold `scaleup demo` data; the accounts file is `demo --json` output.
// Exits non-zero with the first failure. Prints one JSON line per measurement ("bytes").
import { readFileSync, mkdirSync } from 'node:fs';
import { Server, freePort, launch, profileDir, signIn, synced, check, accessible } from './lib.mjs';

const bin = process.env.SCALEUP_BIN;
const db = process.env.SCALEUP_DB;
const accounts = JSON.parse(readFileSync(process.env.SCALEUP_ACCOUNTS, 'utf8')).accounts;
const shotsAt = process.argv.includes('--screenshots') ? process.argv[process.argv.indexOf('--screenshots') + 1] : null;
if (shotsAt) mkdirSync(shotsAt, { recursive: true });
const account = (role, prefix) => accounts.find((a) => a.role === role && (!prefix || a.username.startsWith(prefix)));
const step = (text) => console.log(`journeys: ${text}`);
const measurements = [];
const measure = (what, bytes) => { measurements.push({ what, bytes }); console.log(JSON.stringify({ bytes: what, value: bytes })); };

// Bytes that crossed the wire for everything a page loaded (encoded: after gzip), by request.
async function meter(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const urls = new Map();
  let log = [];
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => log.push({ url: urls.get(e.requestId) || '?', bytes: e.encodedDataLength }));
  return {
    // Everything since the last take, split into the app (pages, styles, scripts) and data (the API).
    take: () => {
      const taken = log;
      log = [];
      const sum = (f) => taken.filter(f).reduce((n, r) => n + r.bytes, 0);
      const isData = (r) => new URL(r.url).pathname.startsWith('/api/') || new URL(r.url).pathname === '/app/defs';
      return { app: sum((r) => !isData(r)), data: sum(isData), requests: taken };
    },
  };
}
async function shot(page, name) {
  if (shotsAt) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${shotsAt}/${name}.png` });
  }
}

const port = await freePort();
const server = new Server(bin, db, port);
const base = server.url;
await server.start();
let failed = false;
try {
  const admin = account('admin');
  const adminToken = await server.token(admin.username, admin.password);
  const users = (await server.api('/api/v1/users', { token: adminToken })).body.items;
  const counsellor = account('counsellor', 'in.');
  const me = users.find((u) => u.username === counsellor.username);
  const supervisorUser = users.find((u) => u.id === me.supervisor_id);
  const supervisorPassword = account('supervisor', supervisorUser.username.split('.')[0] + '.').password;
  const otherCounsellor = account('counsellor', 'ke.');

  // ---------------------------------------------------------------- 1. a counsellor's day offline
  step('1. counsellor signs in and the app syncs');
  const profile = profileDir();
  let ctx = await launch({ profile });
  let page = ctx.pages()[0] || await ctx.newPage();
  globalThis.openPages = [page];
  const m = await meter(page);
  await page.goto(base + '/');
  await accessible(page, 'sign-in page');
  await shot(page, 'signin');
  await signIn(page, base, counsellor.username, counsellor.password);
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();
  await synced(page);
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  const first = m.take();
  measure('first load including sign-in: pages, stylesheet, script', first.app);
  measure('first sync: definitions and the caseload', first.data);
  check(first.app <= 100 * 1024, `first load ${first.app} bytes is within 100 KB`);
  // The offline precache: what the service worker keeps for this language.
  const precache = await page.evaluate(async () => {
    let n = 0;
    for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) n += (await (await (await caches.open(name)).match(req)).blob()).size;
    return n;
  });
  measure('offline precache (uncompressed, one language)', precache);
  check(precache <= 500 * 1024, `precache ${precache} bytes is within 500 KB`);
  await accessible(page, 'counsellor today');
  await shot(page, 'counsellor-today');
  check(await page.getByText(/pending/).count() > 0, 'the outbox count says "pending"');

  // An active client of the caseload: the first in "Due today" or, failing that, any with a session to record.
  const candidates = await page.locator('main li a[href^="#/c/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  check(candidates.length > 0, 'the demo counsellor has clients');
  let sessionClient = null;
  for (const href of candidates) {
    await page.goto(`${base}/app/en/${href}`);
    if (await page.getByRole('link', { name: 'Record a session' }).count()) { sessionClient = href; break; }
  }
  check(sessionClient, 'one client has an active episode');
  await page.goto(`${base}/app/en/#/`);
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();

  step('1. the connection is lost (server stopped); register, screen with item 9 positive');
  await server.stop();
  await page.getByRole('link', { name: 'New client' }).click();
  await page.getByLabel('Given name').fill('Asha');
  await page.getByLabel('Family name').fill('Offline');
  await page.getByRole('group', { name: 'Sex' }).getByLabel('Female').check();
  await page.getByLabel('Year of birth').fill('1990');
  await page.getByLabel('The client agrees to be screened and treated').check();
  await accessible(page, 'new client form');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'PHQ-9' }).waitFor();
  const items = page.locator('fieldset.item');
  const n = await items.count();
  check(n === 10, `PHQ-9 shows 10 items (saw ${n})`);
  for (let i = 0; i < n; i++) await items.nth(i).getByRole('radio').first().check();
  await page.getByRole('group', { name: 'Thoughts that you would be better off dead or of hurting yourself in some way' })
    .getByLabel('Several days').check();
  await page.getByRole('group', { name: 'Little interest or pleasure in doing things' }).getByLabel('More than half the days').check();
  await accessible(page, 'PHQ-9 form');
  await shot(page, 'form-phq9');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Safety steps' }).waitFor();
  check(await page.getByText('Total: 3').count() === 1, 'the score is shown: total 3');
  check(await page.getByText(/^Risk: /).count() >= 1, 'the risk flag is shown');
  await accessible(page, 'safety steps');
  await shot(page, 'safety-steps');
  for (let i = 0; i < 3; i++) await page.getByRole('link', { name: 'Next' }).click();
  await page.getByRole('link', { name: 'Done' }).click();

  step('1. record a session for an enrolled client, offline');
  await page.goto(`${base}/app/en/${sessionClient}`);
  await page.getByRole('link', { name: 'Record a session' }).click();
  const comps = page.getByRole('group', { name: 'What did you cover?' }).getByRole('checkbox');
  if (await comps.count()) await comps.first().check();
  await accessible(page, 'session form');
  await page.getByRole('button', { name: 'Save' }).click();
  // The protocol asks for an outcome measure at each session; leave it for later.
  await page.waitForFunction(() => location.hash.startsWith('#/c/') && !/^#\/c\/[^/]+\/session$/.test(location.hash));
  await page.goto(`${base}/app/en/#/`);
  const pendingText = await page.locator('#pending').textContent();
  check(/[1-9]\d* records pending/.test(pendingText), `records are pending (${pendingText})`);

  step('1. close the browser and reopen it, still offline');
  await ctx.close();
  ctx = await launch({ profile });
  page = ctx.pages()[0] || await ctx.newPage();
  await page.goto(`${base}/app/en/`);
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();
  const reopened = await page.locator('#pending').textContent();
  check(reopened === pendingText, `after reopening offline the same records are pending (${reopened}, before ${pendingText})`);
  await page.goto(`${base}/app/en/#/outbox`);
  check(await page.getByText('pending', { exact: true }).count() >= 5, 'the outbox lists each pending record');
  await accessible(page, 'outbox');

  step('1. the server comes back; the records sync');
  await server.start();
  await page.goto(`${base}/app/en/#/`);
  await page.getByRole('button', { name: 'Send now' }).click();
  await synced(page);
  await page.waitForFunction(() => document.getElementById('pending').textContent.includes('Nothing pending'), null, { timeout: 30000 });

  step('1. the supervisor sees the alert, acknowledges it with a note');
  const sup = await launch();
  const sp = await sup.newPage();
  globalThis.openPages.push(sp);
  const spm = await meter(sp);
  await signIn(sp, base, supervisorUser.username, supervisorPassword);
  await sp.getByRole('heading', { name: 'Review queue' }).waitFor();
  spm.take();
  // Each later page: what one more navigation costs once the stylesheet is cached.
  const laterPage = async (what) => {
    const t = spm.take();
    measure(`later page: ${what}`, t.app + t.data);
    check(t.app + t.data <= 20 * 1024, `${what}: ${t.app + t.data} bytes is within 20 KB`);
  };
  await sp.reload();
  await sp.getByRole('heading', { name: 'Review queue' }).waitFor();
  await laterPage('supervisor queue');
  await accessible(sp, 'supervisor queue');
  await shot(sp, 'supervisor-queue');
  const alertRow = sp.locator('li.risk', { hasText: 'Asha Offline' });
  check(await alertRow.count() === 1, 'the queue shows the new client\'s alert');
  await alertRow.getByRole('link', { name: 'Acknowledge' }).click();
  await sp.getByRole('heading', { name: /^Risk alert/ }).waitFor();
  await laterPage('alert page');
  await accessible(sp, 'alert page');
  await shot(sp, 'supervisor-alert');
  await sp.getByLabel('Contacted the client').check();
  await sp.getByLabel('Made a safety plan').check();
  await sp.getByLabel('Note (optional)').fill('Called; safety plan agreed with family present.');
  await sp.getByRole('button', { name: 'Acknowledge' }).click();
  await sp.getByText('Acknowledged.').waitFor();
  check(await sp.getByText('Called; safety plan agreed with family present.').count() === 1, 'the note is in the history');
  spm.take();
  await sp.getByRole('link', { name: 'Open client' }).click();
  await sp.waitForLoadState('load');
  await laterPage('client page');
  await accessible(sp, 'client page');
  await sp.goto(base + '/supervise/sessions/new');
  await laterPage('supervision log');
  await accessible(sp, 'supervision log');
  const firstCounsellor = await sp.locator('a[href^="/supervise/counsellors/"]').count();
  await sp.goto(base + '/supervise');
  if (firstCounsellor || await sp.getByRole('link', { name: 'Coaching view' }).count()) {
    spm.take();
    await sp.getByRole('link', { name: 'Coaching view' }).first().click();
    await sp.waitForLoadState('load');
    await laterPage('coaching view');
    await accessible(sp, 'coaching view');
    await shot(sp, 'coaching');
    await sp.goto(base + '/supervise');
    spm.take();
    await sp.getByRole('link', { name: 'Rate competency' }).first().click();
    await sp.waitForLoadState('load');
    await laterPage('competency rating form');
    await accessible(sp, 'rating form');
  }
  // The import page (issue 9), from the supervisor's navigation: a dry run of an ODK export.
  await sp.getByRole('link', { name: 'Import records', exact: true }).click();
  await sp.getByRole('heading', { name: 'Import records' }).waitFor();
  await accessible(sp, 'import page');
  const odkCsv = 'SubmissionDate,meta-instanceID,client_code,facility,sex,birth_year,visit_date,q-1,q-2,KEY\n'
    + '2026-01-05T08:00:00.000Z,uuid:e2e-1,E2E-1,in-f001,female,1990,2026-01-05,1,2,uuid:e2e-1\n'
    + '2026-01-06T08:00:00.000Z,uuid:e2e-2,E2E-2,in-f001,male,1985,2026-01-06,0,1,uuid:e2e-2\n'
    + '2026-01-07T08:00:00.000Z,uuid:e2e-3,E2E-3,in-f001,female,1999,2026-01-07,=HYPERLINK("x"),1,uuid:e2e-3\n';
  const odkMapping = 'source = "odk"\ndataset = "e2e"\n[[records]]\nkind = "client"\nkey = "client/{client_code}"\n'
    + '[records.fields]\nprogramme_id = { programme = "hap-goa" }\nfacility_id = { facility = "facility" }\n'
    + 'registered_on = { column = "visit_date", type = "date" }\nsex = { column = "sex" }\nbirth_year = { column = "birth_year", type = "integer" }\n'
    + '[[records]]\nkind = "assessment"\n[records.fields]\nclient_id = { record = "client/{client_code}" }\ninstrument = { value = "phq9" }\n'
    + 'occasion = { value = "screening" }\nadministered_on = { column = "visit_date", type = "date" }\n[records.responses]\n"1" = "q-1"\n"2" = "q-2"\n';
  await sp.getByLabel('Data file').setInputFiles({ name: 'submissions.csv', mimeType: 'text/csv', buffer: Buffer.from(odkCsv) });
  await sp.getByLabel('Mapping file (TOML)').setInputFiles({ name: 'odk.toml', mimeType: 'text/plain', buffer: Buffer.from(odkMapping) });
  check(await sp.getByLabel('Dry run: check and count, write nothing').isChecked(), 'the dry run is ticked by default');
  await sp.getByRole('button', { name: 'Upload', exact: true }).click();
  await sp.getByRole('heading', { name: 'Dry run of submissions.csv: nothing was written' }).waitFor();
  const problems = await sp.locator('ol.problems').textContent();
  check(problems.includes('submissions.csv, row 4, column q-1') && !problems.includes('HYPERLINK'), `the bad row is named by row and column, not by value (${problems})`);
  await accessible(sp, 'import page: a dry run');
  await shot(sp, 'imports-dry-run');
  await sp.goto(base + '/language');
  await accessible(sp, 'language page');
  await sup.close();

  step('1. the hub manager\'s and a researcher\'s pages');
  for (const [role, heading] of [['hub_manager', 'Hub'], ['researcher', 'Welcome']]) {
    const other = await launch();
    const op = await other.newPage();
    const who = account(role, 'in.') || account(role);
    await signIn(op, base, who.username, who.password);
    await op.getByRole('heading', { name: heading, exact: true }).waitFor();
    await accessible(op, `${role} home`);
    await shot(op, `${role}-home`);
    await other.close();
  }

  step('1. the counsellor\'s device shows the alert acknowledged');
  await page.getByRole('button', { name: 'Send now' }).click();
  await synced(page);
  await page.getByText('Risk alert acknowledged by your supervisor').first().waitFor();

  // ---------------------------------------------------------------- 2. another user, same phone
  step('2. a second user on the same browser profile sees nothing of the first');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await signIn(page, base, otherCounsellor.username, otherCounsellor.password);
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();
  await synced(page);
  check(await page.getByText('Asha').count() === 0, 'the first user\'s client is not shown');
  const seen = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  check(seen.length >= 1, 'each user has a database of their own');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();

  // ---------------------------------------------------------------- 3. languages
  step('3. switching language changes the interface and the instrument (Hindi, Swahili)');
  for (const [lang, today, script] of [['hi', 'आज', /[\u0900-\u097F]/], ['sw', 'Leo', /[a-z]/]]) {
    await page.goto(base + '/');
    await page.locator(`button[name=lang][value=${lang}]`).click();
    await signIn(page, base, counsellor.username, counsellor.password, { english: false });
    await page.getByRole('heading', { name: today, exact: true }).waitFor();
    await synced(page);
    await accessible(page, `today in ${lang}`);
    await shot(page, `counsellor-today-${lang}`);
    await page.goto(`${base}/app/${lang}/#/`);
    await page.locator('a[href="#/new"]').click();
    await page.locator('input[name=given_name]').fill('Lang');
    await page.locator('input[name=sex][value=female]').check();
    await page.locator('input[name=consent_treatment]').check();
    await page.locator('form button[type=submit]').click();
    await page.locator('fieldset.item').first().waitFor();
    const legend = await page.locator('fieldset.item legend').first().textContent();
    check(script.test(legend) && !legend.includes('Little interest or pleasure'), `PHQ-9 item 1 in ${lang} (saw "${legend}")`);
    await shot(page, `form-phq9-${lang}`);
    await page.goto(`${base}/app/${lang}/#/`);
    await synced(page);
    await page.locator('#signout').click();
    await page.locator('input[type=password]').waitFor({ timeout: 60000 });
    await page.locator('button[name=lang][value=en]').click();
  }

  // ---------------------------------------------------------------- 5. the hub console
  // (Before 4, which restarts the server.)
  step('5. a hub manager runs the hub console: every page accessible, an account created, deactivated and its session ended');
  {
    const prefix = counsellor.username.split('.')[0] + '.';
    const manager = account('hub_manager', prefix) || account('hub_manager');
    const mctx = await launch({ profile: profileDir() });
    const mp = mctx.pages()[0] || await mctx.newPage();
    globalThis.openPages = [mp];
    await signIn(mp, base, manager.username, manager.password);
    await mp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Console', exact: true }).click();
    await mp.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await accessible(mp, 'console: users');
    await shot(mp, 'console-users');
    const tabs = mp.getByRole('navigation', { name: 'Hub console' });
    for (const tab of ['Org units', 'Programmes', 'Definitions', 'Audit log', 'Sync conflicts']) {
      await tabs.getByRole('link', { name: tab, exact: true }).click();
      await mp.getByRole('heading', { name: tab, exact: true }).waitFor();
      await accessible(mp, `console: ${tab}`);
      await shot(mp, `console-${tab.toLowerCase().replace(/ /g, '-')}`);
    }

    // A new counsellor's account, made on the page; they sign in on a phone of their own.
    const victim = { username: 'e2e.c900', password: 'a long e2e password' };
    await tabs.getByRole('link', { name: 'Users', exact: true }).click();
    const create = mp.locator('form[action="/console/users"]');
    await create.getByLabel('Username', { exact: true }).fill(victim.username);
    await create.getByLabel('Name', { exact: true }).fill('E2E Counsellor');
    await create.getByLabel('Role', { exact: true }).selectOption('counsellor');
    await create.getByLabel('Supervisor (for a counsellor)').selectOption({ index: 1 });
    await create.getByLabel('Password', { exact: true }).fill(victim.password);
    await create.getByRole('button', { name: 'Create account' }).click();
    await mp.getByText('The account was created.').waitFor();
    const vctx = await launch({ profile: profileDir() });
    const vp = vctx.pages()[0] || await vctx.newPage();
    globalThis.openPages = [mp, vp];
    await signIn(vp, base, victim.username, victim.password);
    await vp.getByRole('heading', { name: 'Today', exact: true }).waitFor();
    const defsStatus = async () => (await vp.request.get(base + '/app/defs')).status();
    check(await defsStatus() === 200, 'the new counsellor is signed in');

    // Deactivate: the account's list page may be a later one (50 a page, by username).
    await tabs.getByRole('link', { name: 'Users', exact: true }).click();
    const deactivate = mp.getByRole('button', { name: `Deactivate: ${victim.username}`, exact: true });
    while (await deactivate.count() === 0) {
      await mp.getByRole('link', { name: 'Next page' }).click();
      await mp.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    }
    await deactivate.click();
    await mp.getByText('The account was deactivated and its sessions ended.').waitFor();
    await accessible(mp, 'console: users after a deactivation');
    check(await defsStatus() === 401, 'the deactivated counsellor\'s session ended at once');
    await mp.goto(base + '/console/audit?action=user.deactivate');
    await mp.getByRole('cell', { name: 'user.deactivate' }).first().waitFor();
    await accessible(mp, 'console: audit log filtered');

    // A broken definition file is refused at its line, and nothing is stored.
    await tabs.getByRole('link', { name: 'Definitions', exact: true }).click();
    await mp.getByLabel('File (TOML, or XLSForm .xlsx)').setInputFiles({
      name: 'broken.toml',
      mimeType: 'text/plain',
      buffer: Buffer.from('kind = "instrument"\ncode = "broken"\nversion = "1"\nname = 7\n'),
    });
    await mp.getByRole('button', { name: 'Upload', exact: true }).click();
    await mp.getByText('This file was not stored:').waitFor();
    check(await mp.locator('tr.problem td').first().textContent() === '4', 'the problem is shown at line 4');
    await accessible(mp, 'console: a refused definition file');
    await shot(mp, 'console-definition-refused');
    await mctx.close();
    await vctx.close();
    globalThis.openPages = [page];
  }

  // ---------------------------------------------------------------- 4. a service-worker update
  step('4. a service-worker update while records are queued loses none of them');
  await signIn(page, base, counsellor.username, counsellor.password);
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();
  await synced(page);
  const shellCaches = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('scaleup-shell-')));
  const before = await shellCaches();
  check(before.length === 1, `one shell cache before the update (${before})`);
  await server.stop();
  await page.getByRole('link', { name: 'New client' }).click();
  await page.getByLabel('Given name').fill('Update');
  await page.getByRole('group', { name: 'Sex' }).getByLabel('Male', { exact: true }).check();
  await page.getByLabel('The client agrees to be screened and treated').check();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'PHQ-9' }).waitFor();
  await page.goto(`${base}/app/en/#/`);
  const queued = await page.locator('#pending').textContent();
  check(/[1-9]\d* records? pending/.test(queued), `records queued before the update (${queued})`);
  // A new build: the assets change, so the worker does.
  await server.start({ SCALEUP_ASSET_SALT: 'update-' + Date.now() });
  const reloaded = page.waitForEvent('load', { timeout: 60000 });
  await page.evaluate(async () => { const r = await navigator.serviceWorker.getRegistration('/app/'); await r.update(); });
  // The new worker installs, the app (on Today, no form open) lets it take over, the page reloads.
  await reloaded;
  await page.getByRole('heading', { name: 'Today', exact: true }).waitFor();
  const afterCaches = await shellCaches();
  check(afterCaches.length === 1 && afterCaches[0] !== before[0], `the new version's cache replaced the old (${before} -> ${afterCaches})`);
  await synced(page);
  const after = await page.locator('#pending').textContent();
  check(after.includes('Nothing pending'), `the queued records were sent after the update (${after})`);
  const reg = await server.api(`/api/v1/clients?limit=1000`, { token: await server.token(counsellor.username, counsellor.password) });
  check(reg.body.items.length > 0, 'the counsellor\'s clients are on the server');
  await ctx.close();
  for (const mm of measurements) console.log(`journeys: ${mm.what}: ${(mm.bytes / 1024).toFixed(1)} KB`);
  step('all journeys passed');
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
  // What the failing page showed, for whoever reads the log.
  for (const [i, p] of (globalThis.openPages || []).entries()) {
    try {
      console.error(`--- page ${i} (${p.url()}):\n` + (await p.locator('body').innerText()).slice(0, 3000));
      await p.screenshot({ path: `/tmp/scaleup-e2e-failure-${i}.png`, fullPage: true });
    } catch { /* closed */ }
  }
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
