// The chat sidebar in headless Chromium at 360 px: the real @wecom/jssdk over the
// simulated client, which says which toolbar the page was opened from and for which
// customer or group (`?ww_entry=&ww_contact=&ww_chat=`). Its own demo: the groups
// made here do not meet the other file's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, autoLogin, simGroups, expectText } from './harness.mjs';

const sidebar = (query) => `${demo.base}/sidebar?${query}`;
const WANG = 'ww_entry=single_chat_tools&ww_contact=wmDemo0000';

/** The ids of the orders the sidebar lists. */
async function orderIds(page) {
  return page.$$eval('[data-testid=orders] [data-order]', (els) => els.map((e) => e.dataset.order).sort());
}

test('opened from anywhere but a chat toolbar, the sidebar says how to open it', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    await page.goto(sidebar('ww_entry=normal'));
    await page.waitForSelector('[data-testid=how-to-open]');
    await expectText(page, '[data-testid=how-to-open]', /聊天工具栏/);
    await expectText(page, '[data-testid=how-to-open]', /工作台或其他入口/);
    // On the customer's profile page it is the customer sidebar too.
    await page.goto(sidebar('ww_entry=contact_profile&ww_contact=wmDemo0000'));
    await page.waitForSelector('[data-testid=customer-name]');
    await expectText(page, '[data-testid=customer-name]', '王女士');
  });
});

test('beside a customer chat: the customer, their orders, 建群 from there, then only 打开群聊', async (t) => {
  await autoLogin('zhangwei');
  const before = (await simGroups()).length;
  await withPage(t, async (page) => {
    const wasm = [];
    page.on('response', (r) => { if (r.url().endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); });
    await page.goto(sidebar(WANG));
    await page.waitForSelector('[data-testid=customer-name]');
    // The sidebar's own small build, not the whole app.
    assert.ok(wasm.length > 0 && wasm.every((p) => /^\/sidebar\/desk-sidebar-[0-9a-f]+_bg\.wasm$/.test(p)), wasm.join());
    await expectText(page, '[data-testid=customer-name]', '王女士');
    await expectText(page, '[data-testid=followers]', /张伟/);
    await expectText(page, '[data-testid=followers]', /李娜/);
    // DD-1001 by zhangwei's remark phone; DD-1009 by lina's, and it has its group.
    assert.deepEqual(await orderIds(page), ['DD-1001', 'DD-1009']);
    const dd1009 = '[data-order="DD-1009"]';
    await page.waitForSelector(`${dd1009} [data-testid=group-ready]`);
    assert.equal(await page.$(`${dd1009} [data-testid=start]`), null);

    // 建群 straight from here: no matching step, the customer is known.
    const dd1001 = '[data-order="DD-1001"]';
    await page.click(`${dd1001} [data-testid=start]`);
    await page.waitForSelector(`${dd1001} [data-testid=confirm]`);
    await expectText(page, `${dd1001} [data-testid=confirm-customer]`, /王女士/);
    // A double tap on 建群 makes one group.
    await page.dblclick(`${dd1001} [data-testid=confirm-create]`);
    await page.waitForSelector('#wecom-sim-sheet');
    assert.equal(await page.$$eval('#wecom-sim-sheet', (s) => s.length), 1);
    await page.click('#wecom-sim-sheet button.ok');
    await page.waitForSelector(`${dd1001} [data-testid=group-ready]`);
    assert.equal(await page.$('[data-testid=start]'), null);
    const made = (await simGroups()).slice(before);
    assert.equal(made.length, 1);
    assert.deepEqual(made[0].member_list.map((m) => `${m.userid}:${m.type}`).sort(),
      ['lina:1', 'wmDemo0000:2', 'zhangwei:1']);

    // Reopened: both orders offer only 打开群聊.
    await page.reload();
    await page.waitForSelector(`${dd1001} [data-testid=group-ready]`);
    assert.equal(await page.$('[data-testid=start]'), null);
    assert.equal(await page.$$eval('[data-testid=open-chat]', (b) => b.length), 2);
  });
});

test('写入备注手机号 puts the order phone into my remark, and the order then matches by it', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    await page.goto(sidebar(WANG));
    const dd1009 = '[data-order="DD-1009"]';
    await page.waitForSelector(`${dd1009} [data-testid=write-phone]`);
    assert.equal(await page.$('[data-order="DD-1001"] [data-testid=write-phone]'), null);
    await page.click(`${dd1009} [data-testid=write-phone]`);
    await page.waitForFunction(() => /13900000001/.test(document.querySelector('[data-testid=remark-phones]').textContent));
    assert.equal(await page.$('[data-testid=write-phone]'), null);
    // The order page's matching now finds her by zhangwei's own remark.
    const c = await page.evaluate(async () => (await fetch('/api/orders/DD-1009/candidates')).json());
    assert.deepEqual(c.candidates.map((x) => x.externalUserId), ['wmDemo0000']);
  });
});

test('beside a customer group: the order it serves and who is in it', async (t) => {
  await autoLogin('lina');
  await withPage(t, async (page) => {
    await page.goto(sidebar('ww_entry=group_chat_tools&ww_chat=wrDemoWang0001'));
    await page.waitForSelector('[data-testid=group-order-title]');
    await expectText(page, '[data-testid=group-order-title]', '城南店 · 王女士父母家翻新');
    await expectText(page, '[data-testid=group-title]', '王女士父母家-城南店服务群');
    const members = await page.$$eval('[data-testid=members] [data-member]', (els) => els.map((e) => e.dataset.member).sort());
    assert.deepEqual(members, ['lina', 'wmDemo0000', 'zhangwei']);
  });
  await autoLogin('chenjing');
  await withPage(t, async (page) => {
    await page.goto(sidebar('ww_entry=group_chat_tools&ww_chat=wrDemoWang0001'));
    await page.waitForSelector('[data-testid=not-yours]');
    await expectText(page, '[data-testid=not-yours]', /不在这个群里/);
  });
});

test('after switching WeCom accounts the sidebar shows the new member\'s customer, never the old one\'s, with no login page', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    await page.goto(sidebar(WANG));
    await page.waitForSelector('[data-testid=customer-name]');
    await expectText(page, '[data-testid=customer-name]', '王女士');

    // The same webview (cookie kept), now member chenjing, opened on her customer 许先生.
    await autoLogin('chenjing');
    const seen = [];
    page.on('response', (r) => {
      if (r.request().isNavigationRequest()) seen.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    const names = [];
    await page.exposeFunction('sawName', (n) => names.push(n));
    await page.addInitScript(() => {
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid=customer-name]');
        if (el && el.dataset.seen !== '1') { el.dataset.seen = '1'; window.sawName(el.textContent); }
      }).observe(document, { subtree: true, childList: true });
    });
    await page.goto(sidebar('ww_entry=single_chat_tools&ww_contact=wmDemo0025'));
    await page.waitForSelector('[data-testid=customer-name]');
    await page.waitForFunction(() => document.querySelector('[data-testid=customer-name]')?.textContent === '许先生');
    assert.deepEqual(await orderIds(page), ['DD-1008']);
    assert.deepEqual(names, ['许先生'], 'no other customer was ever shown');
    // One silent login went through WeCom's OAuth and straight back: no login page.
    assert.deepEqual(seen.filter((u) => !u.endsWith('/sidebar')),
      ['302 /auth/login', '302 /connect/oauth2/authorize', '302 /auth/callback'], seen.join(' → '));
    assert.ok(page.url().split('#')[0].endsWith('/sidebar?ww_entry=single_chat_tools&ww_contact=wmDemo0025'), page.url());
  });
});

test('a failed signature request is asked again, and the sidebar opens without a reload', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/`);
    await page.waitForSelector('[data-testid=member-name]');
    let asked = 0;
    await page.route('**/api/jssdk/signatures', (route) => {
      asked += 1;
      return asked === 1 ? route.abort('connectionreset') : route.continue();
    });
    await page.goto(sidebar(WANG));
    await page.evaluate(() => { window.__sameDocument = true; });
    const shown = await Promise.race([
      page.waitForSelector('[data-testid=customer-name]').then(() => 'profile'),
      page.waitForSelector('.notice-error button').then(() => 'retry'),
    ]);
    if (shown === 'retry') await page.click('.notice-error button');
    await page.waitForSelector('[data-testid=customer-name]');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    assert.equal(asked, 2);
  });
});
