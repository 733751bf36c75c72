// What the browser tests share: one `wecom-desk demo` (simulator + server + built H5)
// per test file, Debian's headless Chromium through playwright-core, a fresh 360 px
// page per test (a screenshot in test-artifacts/ when it fails), and the simulator's
// controls. Importing this registers the before/after hooks of the file.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = process.env.DESK_BIN || join(ROOT, 'target/debug/wecom-desk');
const DIST = process.env.DESK_DIST || join(ROOT, 'dist');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

let child, browser, workdir;
/** The running demo's URLs (filled in before the first test) and its output. */
export const demo = { base: '', sim: '', out: '' };

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

export async function waitFor(check, what, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'desk-browser-'));
  const port = await freePort();
  demo.base = `http://127.0.0.1:${port}`;
  child = spawn(BIN, ['demo', '--listen', `127.0.0.1:${port}`, '--static-dir', DIST,
    '--database', `sqlite://${workdir}/demo.db`], { env: { ...process.env, RUST_LOG: 'warn' } });
  child.stdout.on('data', (d) => { demo.out += d; });
  child.stderr.on('data', (d) => { demo.out += d; });
  await waitFor(() => /simulator: (http:\/\/\S+)/.test(demo.out), 'the demo to print its URLs');
  demo.sim = demo.out.match(/simulator: (http:\/\/\S+)/)[1];
  await waitFor(async () => (await fetch(`${demo.base}/healthz`)).ok, 'the server');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(workdir, { recursive: true, force: true });
});

/** A fresh browser (cookies, storage) for one test; a screenshot if it fails. */
/// Waits until the text of `selector` is `expected` (a string) or matches it (a
/// RegExp): a page's text changes (正在打开… → 打开内部群), so a test never asserts
/// what it happens to read first. Fails with the last text seen.
export async function expectText(page, selector, expected, ms = 20000) {
  const ok = (text) => (expected instanceof RegExp ? expected.test(text) : text === expected);
  let last = null;
  await waitFor(async () => ok((last = await page.textContent(selector, { timeout: 1000 }))), `${selector} to read ${expected} (last: ${JSON.stringify(last)})`, ms);
}

/// The same for an input's value.
export async function expectValue(page, selector, expected, ms = 20000) {
  let last = null;
  await waitFor(async () => (last = await page.inputValue(selector, { timeout: 1000 })) === expected, `${selector} to hold ${expected} (last: ${JSON.stringify(last)})`, ms);
}

export async function withPage(t, body) {
  const context = await browser.newContext({ viewport: { width: 360, height: 720 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = [];
  // DESK_DEBUG=1 prints each page error with its page and stack as it happens.
  page.on('pageerror', (e) => {
    errors.push(e.message);
    if (process.env.DESK_DEBUG) console.log('PAGEERROR', page.url(), e.stack, JSON.stringify(e));
  });
  try {
    await body(page, errors);
  } catch (e) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${t.name.replace(/[^\w一-龥]+/g, '_')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    e.message += `\n(screenshot: ${file}; page errors: ${errors.join(' | ') || 'none'})`;
    throw e;
  } finally {
    await context.close();
  }
}

/** The simulated client is logged in as `userid` (empty: nobody, the picker shows). */
export async function autoLogin(userid) {
  const r = await fetch(`${demo.sim}/sim/login?userid=${userid}`);
  assert.equal(r.status, 200);
}

/** Customer groups the simulated client made in this run. */
export async function simGroups() {
  const r = await fetch(`${demo.sim}/sim/groups`);
  return (await r.json()).groups.filter((g) => g.chat_id.startsWith('wrsim'));
}
