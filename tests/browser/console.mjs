// Browser tests of the admin console and the connected-apps page, in
// Debian's chromium: a user grants two apps access through the real
// consent pages; an admin signs in with an admin credential, reads the
// inventory, opens a client, quarantines it through the confirmation
// step and sees its tokens die; the user revokes the other app on the
// connected-apps page. Screenshots go to build/test-artifacts/.
import { createServer } from 'node:http';
import { Gatehouse, PASSWORD, assert, openBrowser, pkce, run, screenshot }
  from './harness.mjs';

const gh = new Gatehouse();
const state = {};
let user, admin, callback;

// the apps' redirect URI: a tiny server of our own that keeps the codes
async function startCallback() {
  const codes = [];
  const srv = createServer((req, res) => {
    const code = new URL(req.url, 'http://x').searchParams.get('code');
    if (code) codes.push(code);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('back at the app');
  });
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  return { srv, codes, base: `http://127.0.0.1:${srv.address().port}` };
}

// the user's browser: authorize `client`, consent, come back with a code
async function authorize(client, shot) {
  const { verifier, challenge } = pkce();
  const params = new URLSearchParams({ response_type: 'code',
    client_id: client.client_id, redirect_uri: client.redirect_uri,
    scope: 'openid offline_access', state: 'st', code_challenge: challenge,
    code_challenge_method: 'S256' });
  const p = user.page;
  await p.goto(`${gh.base}/authorize?${params}`);
  if (await p.locator('#password').count()) {
    await p.fill('#username', 'alice');
    await p.fill('#password', PASSWORD);
    await p.click('button[type=submit]');
  }
  await p.waitForSelector('button[value=allow]');
  if (shot) await screenshot(p, shot);
  const before = callback.codes.length;
  await Promise.all([p.waitForURL(`${client.redirect_uri}**`),
    p.click('button[value=allow]')]);
  assert(callback.codes.length === before + 1, `a code came back for ${client.name}`);
  const r = await gh.post('/token', { grant_type: 'authorization_code',
    code: callback.codes[before], code_verifier: verifier,
    redirect_uri: client.redirect_uri }, client);
  assert(r.status === 200, `token endpoint answered ${r.status}`);
  return r.json();
}

const steps = [
  ['a user grants two apps access through the consent pages', async () => {
    const ci = `${callback.base}/ci`, cal = `${callback.base}/cal`;
    state.ci = { ...gh.addClient('CI deployer', ci), name: 'CI deployer', redirect_uri: ci };
    state.cal = { ...gh.addClient('Calendar sync', cal), name: 'Calendar sync', redirect_uri: cal };
    state.ciTokens = await authorize(state.ci, 'consent');
    state.calTokens = await authorize(state.cal);
    assert((await gh.introspect(state.ci, state.ciTokens.access_token)).active === true,
      'CI deployer token is active');
  }],

  ['the admin signs in with an admin credential', async () => {
    const p = admin.page;
    await p.goto(`${gh.base}/admin`);
    assert(p.url().endsWith('/admin/login'), `redirected to the login, at ${p.url()}`);
    await p.fill('#credential', 'gate_adm_not-the-right-one');
    await p.click('button[type=submit]');
    assert(await p.locator('.error').count() === 1, 'a wrong credential is refused');
    await p.fill('#credential', state.cred);
    await screenshot(p, 'admin-login');
    await p.click('button[type=submit]');
    await p.waitForURL('**/admin/inventory');
  }],

  ['the inventory lists every app riskiest first and sorts by name', async () => {
    const p = admin.page;
    const resp = await p.goto(`${gh.base}/admin/inventory`);
    const csp = resp.headers()['content-security-policy'] || '';
    assert(csp.includes("frame-ancestors 'none'") && !csp.includes('script-src'),
      `strict CSP: ${csp}`);
    const risks = await p.$$eval('#inventory tbody tr td:first-child',
      (tds) => tds.map((td) => Number(td.textContent)));
    assert(risks.length === 2, `two apps listed, got ${risks.length}`);
    assert(risks[0] >= risks[1], `riskiest first: ${risks}`);
    await screenshot(p, 'inventory');
    await p.click('#inventory thead a:has-text("Name")');
    const names = await p.$$eval('#inventory tbody tr td:nth-child(2) a',
      (as) => as.map((a) => a.textContent));
    assert(names.join() === ['CI deployer', 'Calendar sync'].sort().join(),
      `sorted by name: ${names}`);
  }],

  ['the client page shows its grant and the hourly token chart', async () => {
    const p = admin.page;
    await p.click('#inventory a:has-text("CI deployer")');
    await p.waitForSelector('svg.chart');
    const title = await p.textContent('svg.chart title');
    assert(title.includes('1 issued'), `chart title: ${title}`);
    assert(await p.locator('svg.chart rect.bar').count() === 1, 'one bar for one hour');
    assert((await p.textContent('#grants')).includes('alice'), 'alice holds a grant');
    assert((await p.textContent('#live-tokens')).trim() !== '0', 'live tokens shown');
    await screenshot(p, 'client');
  }],

  ['the admin quarantines the client through the confirmation step', async () => {
    const p = admin.page;
    await p.click('a:has-text("Quarantine (kill switch)")');
    await p.waitForSelector('#reason');
    await screenshot(p, 'quarantine-confirm');
    await p.fill('#reason', 'deploy key leaked in a public log');
    await p.click('button:has-text("Quarantine client")');
    await p.waitForSelector('.notice');
    assert((await p.textContent('.notice')).includes('quarantined'), 'notice shown');
    assert((await p.textContent('#live-tokens')).trim() === '0', 'no live tokens left');
    await screenshot(p, 'quarantined');
  }],

  ["the quarantined client's tokens are dead", async () => {
    const old = await gh.introspect(state.ci, state.ciTokens.access_token);
    assert(old.status === 401, `the old secret no longer authenticates (${old.status})`);
    const api = await gh.adminApi(state.cred, `client?client_id=${encodeURIComponent(state.ci.client_id)}`);
    assert(api.status === 200 && api.body.client.status === 'quarantined' &&
      api.body.client.live_tokens === 0, 'the API agrees');
    gh.cli('client', 'enable', state.ci.client_id);
    const fresh = { ...state.ci, client_secret: JSON.parse(gh.cli('client',
      'rotate-secret', state.ci.client_id, '--json')).client_secret };
    for (const t of [state.ciTokens.access_token, state.ciTokens.refresh_token]) {
      const r = await gh.introspect(fresh, t);
      assert(r.status === 200 && r.active === false, 'dead even for a fresh secret');
    }
  }],

  ['the admin acknowledges the quarantine alert', async () => {
    const p = admin.page;
    await p.goto(`${gh.base}/admin/alerts`);
    assert((await p.textContent('main')).includes('client_quarantined'), 'alert listed');
    await screenshot(p, 'alerts');
    const open = await p.locator('button:has-text("Acknowledge")').count();
    await p.click('tr:has-text("client_quarantined") button:has-text("Acknowledge")');
    await p.waitForSelector('.notice');
    assert(await p.locator('button:has-text("Acknowledge")').count() === open - 1,
      'one alert fewer is open');
    assert(await p.locator('tr:has-text("client_quarantined")').count() === 0,
      'the quarantine alert is no longer open');
    await p.goto(`${gh.base}/admin/alerts?all=1`);
    assert((await p.textContent('main')).includes('acknowledged by admin:ops'),
      'acknowledged by the signed-in admin');
  }],

  ['the user revokes a grant on the connected-apps page', async () => {
    const p = user.page;
    await p.goto(`${gh.base}/account`);
    const apps = await p.textContent('#apps');
    assert(apps.includes('Calendar sync') && !apps.includes('CI deployer'),
      `only the live grant is listed: ${apps}`);
    await screenshot(p, 'connected-apps');
    await p.click('#apps tr:has-text("Calendar sync") a:has-text("Revoke")');
    await p.waitForSelector('button:has-text("Revoke access")');
    await p.click('button:has-text("Revoke access")');
    await p.waitForSelector('.notice');
    assert((await p.textContent('main')).includes('No app has access'), 'list is empty');
    await screenshot(p, 'connected-apps-revoked');
    const r = await gh.introspect(state.cal, state.calTokens.access_token);
    assert(r.status === 200 && r.active === false, "the app's token died");
  }],

  ['the user signs out on the connected-apps page', async () => {
    const p = user.page;
    await p.goto(`${gh.base}/account`);
    await p.click('button:has-text("Sign out")');
    await p.waitForSelector('input[name="password"]');
    assert(p.url().endsWith('/account/login'), `at the sign-in page: ${p.url()}`);
    await p.goto(`${gh.base}/account`);
    assert(p.url().endsWith('/account/login'), 'the session is gone');
  }],
];

async function main() {
  callback = await startCallback();
  await gh.start();
  gh.addUser('alice');
  state.cred = gh.addAdmin('ops');
  user = await openBrowser('user');
  admin = await openBrowser('admin');
  const ok = await run(steps, async () => {
    await user.close();
    await admin.close();
    callback.srv.close();
    const code = await gh.stop();
    const log = gh.logText();
    gh.cleanup();
    assert(!log.includes('AddressSanitizer') && !log.includes('runtime error'),
      `sanitizer report in the server log:\n${log.slice(-4000)}`);
    assert(code === 0, `server exit code ${code}`);
  });
  process.exit(ok ? 0 : 1);
}

main().catch(async (e) => {
  console.log(`not ok - setup\n  ${e && e.stack || e}`);
  console.log('browser: 0 passed, 1 failed');
  try {
    await user?.close();
    await admin?.close();
    callback?.srv.close();
    await gh.stop();
    gh.cleanup();
  } catch { /* best effort */ }
  process.exit(1);
});
