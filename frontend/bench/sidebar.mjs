// Benchmark (not a test; `make bench`): how fast the sidebar opens in headless
// Chromium at 360 px against `wecom-desk demo` (release build), and the profile API.
//
// - with a session: navigation start → the customer's name and orders on screen;
// - without one (the webview's cookie is gone, its HTTP cache is not): the same, the
//   silent OAuth round trip (app → /auth/login → OAuth → /auth/callback → app) in it;
// - GET /api/contacts/{id}/profile warm, one request at a time, from Node.
// Prints p50/p90 of each. RUNS sets the page loads per case (default 20).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = process.env.DESK_BIN || join(ROOT, 'target/release/wecom-desk');
const DIST = process.env.DESK_DIST || join(ROOT, 'dist');
const RUNS = Number(process.env.RUNS || 20);
const API_RUNS = 1000;

const port = await new Promise((ok) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
});
const base = `http://127.0.0.1:${port}`;
const work = mkdtempSync(join(tmpdir(), 'desk-bench-'));
let out = '';
const demo = spawn(BIN, ['demo', '--listen', `127.0.0.1:${port}`, '--static-dir', DIST,
  '--database', `sqlite://${work}/demo.db`], { env: { ...process.env, RUST_LOG: 'warn' } });
demo.stdout.on('data', (d) => { out += d; });
demo.stderr.on('data', (d) => { out += d; });
const until = Date.now() + 30000;
while (!/simulator: (http:\/\/\S+)/.test(out)) {
  if (Date.now() > until || demo.exitCode !== null) throw new Error(`the demo did not start:\n${out}`);
  await new Promise((r) => setTimeout(r, 50));
}
const sim = out.match(/simulator: (http:\/\/\S+)/)[1];
await fetch(`${sim}/sim/login?userid=zhangwei`);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
const url = `${base}/sidebar?ww_entry=single_chat_tools&ww_contact=wmDemo0000`;
const context = await browser.newContext({ viewport: { width: 360, height: 720 }, locale: 'zh-CN' });
// The moment the customer's name and their orders are both on screen (wall clock).
await context.addInitScript(() => {
  new MutationObserver((_, obs) => {
    if (document.querySelector('[data-testid=customer-name]') && document.querySelector('[data-testid=orders]')) {
      window.__shown = Date.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, childList: true });
});
const page = await context.newPage();

async function open() {
  const started = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => window.__shown, null, { timeout: 20000 });
  return (await page.evaluate(() => window.__shown)) - started;
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const line = (label, xs, unit, target) =>
  console.log(`${label.padEnd(44)} p50 ${String(pct(xs, 0.5).toFixed(unit === 'ms' && xs[0] < 10 ? 2 : 0)).padStart(7)} ${unit}   p90 ${String(pct(xs, 0.9).toFixed(unit === 'ms' && xs[0] < 10 ? 2 : 0)).padStart(7)} ${unit}   (target p50 < ${target} ${unit}, ${xs.length} runs)`);

await open(); // the first load fills the HTTP cache and the server's caches
const withSession = [];
for (let i = 0; i < RUNS; i++) withSession.push(await open());
const withoutSession = [];
for (let i = 0; i < RUNS; i++) {
  await context.clearCookies();
  withoutSession.push(await open());
}

const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
const api = [];
for (let i = 0; i < API_RUNS + 50; i++) {
  const t = performance.now();
  const r = await fetch(`${base}/api/contacts/wmDemo0000/profile`, { headers: { cookie } });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`profile answered ${r.status}`);
  if (i >= 50) api.push(performance.now() - t);
}

console.log('\n== sidebar (headless Chromium, 360 px, loopback, release build)');
line('open with a session: name + orders shown', withSession, 'ms', 300);
line('open without one (silent OAuth included)', withoutSession, 'ms', 600);
line('GET /api/contacts/{id}/profile, warm', api, 'ms', 2);

await browser.close();
demo.kill('SIGTERM');
await new Promise((r) => demo.once('exit', r));
rmSync(work, { recursive: true, force: true });
