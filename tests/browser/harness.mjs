// Harness of the browser tests: a Gatehouse of their own (temporary
// folder, free loopback port, `gatehouse init`, clients, a user, an admin
// credential), Debian's chromium driven by playwright-core, and the OAuth
// legs a client would run (PKCE, code redemption, introspection).
//
// Only the server process started here is ever stopped (by its PID).
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.GATEHOUSE_BIN || join(ROOT, 'build', 'gatehouse-san');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'build', 'test-artifacts');
export const PASSWORD = 'correct horse battery';

const freePort = () => new Promise((ok, fail) => {
  const s = createServer();
  s.on('error', fail);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export class Gatehouse {
  async start() {
    this.dir = mkdtempSync(join(tmpdir(), 'gh-browser-'));
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.conf = join(this.dir, 'gatehouse.json');
    this.log = join(this.dir, 'server.log');
    this.cli('init', '--issuer', this.base, '--listen', `127.0.0.1:${this.port}`);
    const out = openSync(this.log, 'a');
    this.proc = spawn(BIN, ['--config', this.conf, 'serve'], {
      stdio: ['ignore', out, out],
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0' },
    });
    this.exited = new Promise((ok) => this.proc.on('exit', (code) => ok(code)));
    for (let i = 0; i < 400; i++) {
      try {
        if ((await fetch(`${this.base}/healthz`)).ok) return this;
      } catch { /* not up yet */ }
      if (this.proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`server did not start:\n${this.logText()}`);
  }

  // SIGTERM to our own server; its exit code (0: clean drain)
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return this.proc?.exitCode ?? 0;
    this.proc.kill('SIGTERM');
    const code = await Promise.race([this.exited, sleep(30000).then(() => null)]);
    if (code === null) {
      this.proc.kill('SIGKILL');
      return -1;
    }
    return code;
  }

  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }

  logText() {
    try { return readFileSync(this.log, 'utf8'); } catch { return ''; }
  }

  cli(...args) {
    let input;
    if (args.length && typeof args[args.length - 1] === 'object') input = args.pop().input;
    return execFileSync(BIN, ['--config', this.conf, ...args],
      { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  }

  addClient(name, redirectUri) {
    return JSON.parse(this.cli('client', 'add', '--name', name, '--owner', 'platform-team',
      '--redirect-uri', redirectUri, '--scope', 'openid profile offline_access', '--json'));
  }

  addUser(username) {
    this.cli('user', 'add', '--username', username, '--password-stdin',
      { input: `${PASSWORD}\n` });
  }

  addAdmin(name) {
    return JSON.parse(this.cli('admin', 'add', '--name', name, '--json')).credential;
  }

  // POST a form, optionally as a client with HTTP Basic
  async post(path, form, client) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    if (client) {
      const basic = Buffer.from(`${encodeURIComponent(client.client_id)}:` +
        `${encodeURIComponent(client.client_secret)}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
    }
    return fetch(`${this.base}${path}`, { method: 'POST', headers,
      body: new URLSearchParams(form).toString() });
  }

  // introspection by the token's own client: {status, active}
  async introspect(client, token) {
    const r = await this.post('/introspect', { token }, client);
    return { status: r.status, active: r.ok ? (await r.json()).active : undefined };
  }

  async adminApi(cred, path) {
    const r = await fetch(`${this.base}/admin/api/${path}`,
      { headers: { authorization: `Bearer ${cred}` } });
    return { status: r.status, body: await r.json() };
  }
}

export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
};

// A browser with a fresh profile of its own: headless Debian chromium,
// no sandbox (containers), no background networking.
export async function openBrowser(name) {
  const profile = mkdtempSync(join(tmpdir(), `gh-chromium-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking',
      '--disable-dev-shm-usage', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  return {
    context, page, async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Runs the named steps in order; a step whose predecessor failed still
// runs (it will usually fail too, and say why). Prints TAP-like lines and
// the summary line `browser: N passed, M failed`.
export async function run(steps, teardown) {
  let passed = 0, failed = 0;
  for (const [name, fn] of steps) {
    try {
      await fn();
      passed++;
      console.log(`ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split('\n').join('\n  ')}`);
    }
  }
  try {
    await teardown();
  } catch (e) {
    failed++;
    console.log(`not ok - teardown\n  ${e}`);
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  return failed === 0;
}

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
