// The store visit in one scan and the groups' activity in numbers, in headless
// Chromium at 360 px: the order page makes the order's 扫码加我 code and prints it as
// a card alone; the sidebar links to it; the console keeps the welcome, and its 数据
// section draws the days, sorts them and exports them as CSV. Screenshots of the order
// page and of 数据 are left in test-artifacts/ to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { demo, withPage, autoLogin, waitFor, expectText } from './harness.mjs';

const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'test-artifacts');
const WANG = 'wmDemo0000';

async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

/** The visible text of the whole page, as a member would read it (or print it). */
const pageText = (page) => page.evaluate(() => document.body.innerText.replace(/\s+/g, ' ').trim());

test('the order page makes its 扫码加我 code, keeps it, and prints it as a card alone', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders/DD-1003`);
    await page.waitForSelector('[data-testid=contact-way-button]');
    await page.click('[data-testid=contact-way-button]');
    await page.waitForSelector('[data-testid=contact-way-qr]');
    await waitFor(async () => (await page.$eval('[data-testid=contact-way-qr]', (img) => img.naturalWidth)) >= 200, 'the QR image');
    await expectText(page, '[data-testid=contact-way] .qr p', '客户用微信扫码即可添加设计师张伟，并收到订单群的进群二维码');
    assert.equal(await page.$('[data-testid=contact-way-button]'), null, 'made once: no second 生成');
    await screenshot(page, 'storevisit-order-360.png');

    // Printed: the card alone, with the order's title, the designer and the code.
    await page.emulateMedia({ media: 'print' });
    await waitFor(async () => page.isVisible('[data-testid=print-card]'), 'the print card in print');
    const card = (await page.innerText('[data-testid=print-card]')).replace(/\s+/g, ' ').trim();
    assert.match(card, /城南店 · 陈女士厨卫改造/);
    assert.match(card, /设计师 张伟/);
    assert.match(card, /微信扫码，添加您的专属设计师/);
    assert.equal(await pageText(page), card, 'nothing else of the page prints');
    assert.ok(await page.isVisible('[data-testid=print-card] img'));
    for (const other of ['order-title', 'group-section', 'more-ways', 'contact-way-print', 'contact-way-qr']) {
      assert.equal(await page.isVisible(`[data-testid=${other}]`), false, `${other} is not printed`);
    }
    await screenshot(page, 'storevisit-order-print.png');
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.isVisible('[data-testid=print-card]'), false, 'the card is for print only');

    // The customer scans it at the store: the order says so when it opens again, and
    // keeps its code (shown at once, no second 生成).
    const order = await page.evaluate(async () => (await fetch('/api/orders/DD-1003')).json());
    const scan = await fetch(`${demo.sim}/sim/contact-ways/${encodeURIComponent(order.contactWay.configId)}/scan`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '陈女士' }),
    });
    assert.equal(scan.status, 200, await scan.text());
    await waitFor(async () => (await page.evaluate(async () => (await fetch('/api/orders/DD-1003')).json())).customerAddedAt, 'the scan on the order');
    await page.reload();
    await page.waitForSelector('[data-testid=contact-way-qr]');
    assert.equal(await page.$('[data-testid=contact-way-button]'), null);
    await expectText(page, '[data-testid=customer-added]', /^客户已扫码添加（.+）$/);
    await screenshot(page, 'storevisit-order-scanned-360.png');
    assert.deepEqual(errors, []);
  });
});

test('the sidebar links an order that has a code to it, and nothing for one without', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/sidebar?ww_entry=single_chat_tools&ww_contact=${WANG}`);
    await page.waitForSelector('[data-order="DD-1001"]');
    assert.equal(await page.$('[data-order="DD-1001"] [data-testid=contact-way-link]'), null, 'no code yet, no link');
    const made = await page.evaluate(async () => (await fetch('/api/orders/DD-1001/contact-way', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' })).status);
    assert.ok(made === 201 || made === 200, `made: ${made}`);
    await page.reload();
    await page.waitForSelector('[data-order="DD-1001"] [data-testid=contact-way-link]');
    const href = await page.getAttribute('[data-order="DD-1001"] [data-testid=contact-way-link]', 'href');
    assert.equal(href, '/orders/DD-1001');
    await page.click('[data-order="DD-1001"] [data-testid=contact-way-link]');
    await page.waitForSelector('[data-testid=contact-way-qr]');
    assert.match(page.url(), /\/orders\/DD-1001$/);
    assert.deepEqual(errors, []);
  });
});

test('admins keep the welcome: counted, placeholders inserted, saved, too long refused', async (t) => {
  await autoLogin('wangqiang');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/admin?tab=welcome`);
    await page.waitForSelector('[data-testid=welcome-text]');
    await page.fill('[data-testid=welcome-text]', '您好，我是设计师');
    await page.click('[data-testid=admin-welcome] .row-actions button:has-text("{我}")');
    await waitFor(async () => (await page.inputValue('[data-testid=welcome-text]')) === '您好，我是设计师{我}', 'the placeholder at the end');
    await expectText(page, '[data-testid=welcome-count]', /（11\/1000）/);
    await page.fill('[data-testid=welcome-without-group]', '好'.repeat(1001));
    await expectText(page, '[data-testid=welcome-without-count]', /1001\/1000，超出 1 字/);
    assert.ok(await page.isDisabled('[data-testid=welcome-save]'), 'too long: not saved');
    await page.fill('[data-testid=welcome-without-group]', '{客户}您好，订单群建好后我再拉您进群。');
    await page.click('[data-testid=welcome-save]');
    await page.waitForSelector('[data-testid=welcome-said]');
    await screenshot(page, 'storevisit-welcome-360.png');
    await expectText(page, '[data-testid=welcome-said]', /已保存欢迎语/);

    await page.reload();
    await page.waitForSelector('[data-testid=welcome-text]');
    await waitFor(async () => (await page.inputValue('[data-testid=welcome-text]')) === '您好，我是设计师{我}', 'the saved welcome');
    assert.equal(await page.inputValue('[data-testid=welcome-without-group]'), '{客户}您好，订单群建好后我再拉您进群。');
    assert.deepEqual(errors, []);
  });
});

/** The 消息数 column of the table, top to bottom. */
const messages = (page) => page.$$eval('[data-testid=stats-table] tbody td[data-col=messages]', (td) => td.map((c) => Number(c.textContent)));

test('数据 draws the days, sorts the table, filters by designer and exports what it shows as CSV', async (t) => {
  await autoLogin('wangqiang');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/admin?tab=stats`);
    await page.waitForSelector('[data-testid=stats-chart] svg');
    assert.equal(await page.$$eval('[data-testid=stats-chart] svg polyline', (p) => p.length), 2, 'two lines');
    const points = await page.$$eval('[data-testid=stats-chart] svg polyline', (p) => p.map((l) => l.getAttribute('points').split(' ').length));
    await expectText(page, '[data-testid=stats-span]', /^\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2} · 数据截至 \d{4}-\d{2}-\d{2}$/);
    const rows = await page.$$('[data-testid=stats-table] tbody tr');
    assert.ok(rows.length >= points[0] && points[0] > 1, `a row per designer and day (${rows.length} rows, ${points[0]} days)`);
    // The table scrolls inside its box; the page itself does not get wider than 360 px.
    assert.ok(await page.$eval('[data-testid=stats-table]', (t) => t.parentElement.scrollWidth > t.parentElement.clientWidth));
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no sideways scroll of the page');
    await screenshot(page, 'storevisit-stats-360.png');
    await page.locator('[data-testid=stats-chart]').screenshot({ path: join(ARTIFACTS, 'storevisit-stats-chart-360.png') });

    await page.click('[data-sort=messages]');
    await waitFor(async () => (await page.getAttribute('th:has([data-sort=messages])', 'aria-sort')) === 'descending', 'sorted by 消息数');
    const down = await messages(page);
    assert.deepEqual(down, [...down].sort((a, b) => b - a), 'largest first');
    assert.ok(down[0] > down[down.length - 1], `the demo's days differ: ${down}`);
    await page.click('[data-sort=messages]');
    await waitFor(async () => (await page.getAttribute('th:has([data-sort=messages])', 'aria-sort')) === 'ascending', 'reversed');
    assert.deepEqual(await messages(page), [...down].reverse());

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=stats-csv]')]);
    const span = (await page.textContent('[data-testid=stats-span]')).match(/(\S+) 至 (\S+)/);
    assert.equal(download.suggestedFilename(), `群数据-${span[1]}-${span[2]}.csv`);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.ok(csv.startsWith('\uFEFF'), 'a byte order mark for Excel');
    const lines = csv.slice(1).trimEnd().split('\r\n');
    assert.equal(lines[0], '日期,设计师,群数,有消息的群,群成员,发言成员,消息数');
    assert.equal(lines.length - 1, rows.length, 'one line a table row');
    assert.deepEqual(lines.slice(1).map((l) => Number(l.split(',')[6])), [...down].reverse(), 'in the order shown');

    // One designer: every row is theirs, and the chart is theirs alone.
    const name = await page.$eval('[data-testid=stats-designer] option:nth-child(2)', (o) => o.textContent);
    await page.selectOption('[data-testid=stats-designer]', { index: 1 });
    await waitFor(async () => {
      const who = await page.$$eval('[data-testid=stats-table] tbody td[data-col=designer]', (td) => td.map((c) => c.textContent));
      return who.length > 0 && who.every((w) => w === name);
    }, `only ${name}'s rows`);
    await waitFor(async () => /s_designer=/.test(page.url()), 'the filter in the URL');
    assert.deepEqual(errors, []);
  });
});

test('数据 says why it is empty before WeCom has given a day', async (t) => {
  await autoLogin('wangqiang');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/admin?tab=stats&s_from=2020-01-01&s_to=2020-01-31`);
    await page.waitForSelector('[data-testid=stats-empty]');
    await expectText(page, '[data-testid=stats-empty]', /企业微信每天凌晨后才提供前一天的统计，服务器会自动读取/);
    await expectText(page, '[data-testid=stats-span]', /^2020-01-01 至 2020-01-31/);
    assert.equal(await page.$('[data-testid=stats-chart]'), null);
    assert.deepEqual(errors, []);
  });
});
