// Batch work on 我的订单 and the admin console, in headless Chromium at 360 px: a
// designer makes the groups of three orders in one walk (two made, one skipped with
// the reason) and the join QR codes of two more; the admin opens every console section
// and sees this run's data; a member who is not an admin is told whom to ask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, autoLogin, simGroups, waitFor, expectText, expectValue } from './harness.mjs';

test('批量建群 walks three orders: two groups made, one skipped with the reason, then a summary', async (t) => {
  await autoLogin('zhangwei');
  const before = (await simGroups()).length;
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders`);
    await page.waitForSelector('[data-testid=orders]');
    for (const id of ['DD-1001', 'DD-1002', 'DD-1004']) await page.check(`[data-select="${id}"]`);
    await expectText(page, '[data-testid=batch-create]', '批量建群（3）');
    await page.click('[data-testid=batch-create]');

    // Each matched customer is confirmed once, and WeCom asked once per group.
    const confirmed = [];
    for (;;) {
      await page.waitForSelector('[data-testid=confirm], [data-testid=batch-summary]');
      if (await page.$('[data-testid=batch-summary]')) break;
      await expectText(page, '[data-testid=batch-progress]', /第 [1-3] \/ 3 个/);
      confirmed.push(await page.textContent('[data-testid=confirm-customer]'));
      await page.click('[data-testid=confirm-create]');
      await page.waitForSelector('#wecom-sim-sheet');
      await page.click('#wecom-sim-sheet button.ok');
      await page.waitForSelector('#wecom-sim-sheet', { state: 'detached' });
    }
    assert.equal(confirmed.length, 2, `confirmed: ${confirmed}`);
    assert.ok(confirmed.some((c) => /王女士/.test(c)) && confirmed.some((c) => /李先生/.test(c)), `${confirmed}`);

    const summary = await page.textContent('[data-testid=batch-summary] h2');
    assert.equal(summary, '完成：建群 2 个，跳过 1 个');
    assert.ok(await page.$('[data-made="DD-1001"]'));
    assert.ok(await page.$('[data-made="DD-1002"]'));
    const skipped = await page.textContent('[data-skipped="DD-1004"]');
    assert.match(skipped, /手机号|客户/, `the reason is shown: ${skipped}`);

    await page.click('[data-testid=batch-close]');
    await page.waitForSelector('a[data-order="DD-1001"] .badge-ok');
    await page.waitForSelector('a[data-order="DD-1002"] .badge-ok');
    assert.equal(await page.$('[data-select="DD-1001"]'), null, 'an order with a group is not offered again');
    assert.ok(await page.$('[data-select="DD-1004"]'));
    assert.deepEqual(errors, []);
  });
  assert.equal((await simGroups()).length, before + 2);
});

test('批量生成进群二维码 shows each order its code', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders`);
    await page.waitForSelector('[data-testid=orders]');
    for (const id of ['DD-1005', 'DD-1006']) await page.check(`[data-select="${id}"]`);
    await page.click('[data-testid=batch-qr]');
    await page.waitForSelector('[data-testid=batch-summary]');
    await expectText(page, '[data-testid=batch-summary] h2', '完成：生成二维码 2 个，跳过 0 个');
    for (const id of ['DD-1005', 'DD-1006']) {
      await waitFor(async () => (await page.$eval(`[data-made="${id}"] img`, (img) => img.naturalWidth)) >= 200, `${id}'s QR image`);
    }
    assert.deepEqual(errors, []);
  });
});

test('the admin sees every console section with this run\'s data', async (t) => {
  await autoLogin('wangqiang');
  let ordersUrl = '';
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/admin`);
    const tab = async (name) => page.click(`[data-tab=${name}]`);

    await page.waitForSelector('[data-testid=deployment-checks] .checks');
    await expectText(page, '[data-testid=deployment-checks]', /access_token/);

    await tab('orders');
    await page.waitForSelector('[data-testid=orders-summary]');
    await expectText(page, '[data-testid=orders-summary]', /共 \d+ 单，已建群 \d+ 单/);
    await page.selectOption('[data-testid=filter-group]', 'with');
    await waitFor(async () => {
      const rows = await page.$$eval('[data-testid=admin-order-list] li', (li) => li.map((l) => l.textContent));
      return rows.length > 0 && rows.every((r) => /已建群/.test(r) && !/未建群/.test(r));
    }, 'only orders with a group');
    await expectText(page, '[data-order="DD-1009"]', /客户端建群|进群二维码/);
    // The section and its filter are in the URL (opened again below).
    await waitFor(async () => /tab=orders/.test(page.url()) && /group=with/.test(page.url()), 'the URL to hold the tab and the filter');
    ordersUrl = page.url();

    await tab('pool');
    await page.waitForSelector('[data-testid=pool-summary]');
    await expectText(page, '[data-testid=pool-summary]', /空闲 \d+/);

    await tab('staff');
    await page.waitForSelector('[data-staff="s-zhangwei"]');
    await expectText(page, '[data-staff="s-zhangwei"]', /张伟/);
    await page.fill('[data-testid=staff-id]', 's-chenjing');
    await page.fill('[data-testid=staff-userid]', 'chenjing');
    await page.click('[data-testid=staff-bind]');
    await page.waitForSelector('[data-staff="s-chenjing"]');
    await expectText(page, '[data-staff="s-chenjing"]', /陈静/);
    await page.fill('[data-testid=staff-id]', 's-nobody');
    await page.fill('[data-testid=staff-userid]', 'nobody-at-all');
    await page.click('[data-testid=staff-bind]');
    await page.waitForSelector('[data-testid=staff-said].notice-error');
    await expectText(page, '[data-testid=staff-said]', /企业微信里没有成员 nobody-at-all/);

    await tab('messages');
    await page.waitForSelector('[data-testid=message-counts]');
    await expectText(page, '[data-testid=message-counts]', /排队中 \d+ · 已发送 \d+ · 失败 \d+/);

    await tab('audit');
    await page.fill('[data-testid=audit-member]', 'wangqiang');
    await page.click('[data-testid=audit-apply]');
    await waitFor(async () => /绑定员工/.test(await page.textContent('[data-testid=audit-list]')), 'the binding in the audit log');
    await expectText(page, '[data-testid=audit-list]', /wangqiang → s-chenjing/);
    assert.deepEqual(errors, []);
  });
  // The link to a section with its filter (a reload, a link sent to another admin)
  // opens that section, filtered.
  await withPage(t, async (page, errors) => {
    await page.goto(ordersUrl);
    await page.waitForSelector('[data-testid=orders-summary]');
    await waitFor(async () => (await page.getAttribute('[data-tab=orders]', 'aria-selected')) === 'true', 'the orders tab selected');
    await expectValue(page, '[data-testid=filter-group]', 'with');
    await waitFor(async () => {
      const rows = await page.$$eval('[data-testid=admin-order-list] li', (li) => li.map((l) => l.textContent));
      return rows.length > 0 && rows.every((r) => /已建群/.test(r) && !/未建群/.test(r));
    }, 'only orders with a group, opened from the link');
    assert.deepEqual(errors, []);
  });
});

test('a member who is not an admin is told whom to ask', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/admin`);
    await page.click('[data-tab=orders]');
    await page.waitForSelector('[data-testid=admin-only]');
    await expectText(page, '[data-testid=admin-only]', /server\.admin_userids/);
  });
});
