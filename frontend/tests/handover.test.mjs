// 交接 in the admin console, in headless Chromium at 360 px: the demo's 赵磊 left with
// three customers, two groups and two orders; the admin hands them to 陈静, watches
// the groups and orders move at once and the customers wait, moves the simulated
// clock past WeCom's 24 h, and sees one customer who refused, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, autoLogin, expectText } from './harness.mjs';

async function sim(method, path, body) {
  const r = await fetch(`${demo.sim}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(r.ok, `${method} ${path}: ${r.status}`);
  return r.status === 204 ? null : r.json();
}

test('交接 hands a leaver\'s customers, groups and orders to a colleague, a refusal says why', async (t) => {
  await autoLogin('wangqiang');
  // 郑女士 will refuse to be handed over.
  await sim('PUT', '/sim/handover', { refusing: ['wmDemoZl003'] });
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/admin?tab=handover`);
    const leaver = '[data-leaver="zhaolei"]';
    await expectText(page, `${leaver} [data-testid=leaver-counts]`, '客户 3 · 客户群 2 · 进行中的订单 2');
    await page.fill(`${leaver} [data-testid=successor]`, 'chenjing');
    await page.click(`${leaver} [data-testid=start-handover]`);

    const progress = '[data-testid=handover-progress]';
    await expectText(page, `${progress} [data-testid=count-groups]`, '客户群：完成 2 / 2，等待 0，未成功 0');
    await expectText(page, `${progress} [data-testid=count-orders]`, '订单：完成 2 / 2，等待 0，未成功 0');
    await expectText(page, `${progress} [data-testid=count-customers]`, '客户：完成 0 / 3，等待 3，未成功 0');
    await expectText(page, `${progress} [data-testid=handover-status]`, '等待企业微信完成');
    assert.match(page.url(), /handover=hdo_/, 'the handover watched is in the URL');

    // A day later in the simulated WeCom: two taken over, one refused.
    await sim('POST', '/sim/clock', { secs: 86460 });
    await expectText(page, `${progress} [data-testid=handover-status]`, '已完成（部分未成功）', 40000);
    await expectText(page, `${progress} [data-testid=count-customers]`, '客户：完成 2 / 3，等待 0，未成功 1');
    await expectText(page, `${progress} [data-item="wmDemoZl003"] [data-testid=item-reason]`, '客户拒绝了转接');
    // The page fits a phone: nothing wider than the screen.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `the page is ${wide} px wide`);
    assert.deepEqual(errors, []);
  });
  // 陈静 has 赵磊's orders in 我的订单, with who had them.
  await autoLogin('chenjing');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders`);
    await expectText(page, 'a[data-order="DD-1010"] [data-testid=handed-over]', '由 赵磊 转交');
    await expectText(page, 'a[data-order="DD-1011"] [data-testid=handed-over]', '由 赵磊 转交');
    assert.deepEqual(errors, []);
  });
});

test('拉进群 adds the order\'s new project manager to its group from the order page', async (t) => {
  // The business system gives DD-1009 (its group made by 张伟, with 李娜) to 陈静 as PM.
  const put = await fetch(`${demo.base}/api/v1/orders/DD-1009`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: 'Bearer demo-api-key' },
    body: JSON.stringify({
      title: '城南店 · 王女士父母家翻新', designerUserId: 'zhangwei', projectManagerUserId: 'chenjing',
      customerName: '王女士', customerPhone: '13900000001',
    }),
  });
  assert.equal(put.status, 200);
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders/DD-1009`);
    await expectText(page, '[data-testid=pull-in-button]', '拉进群：陈静');
    await page.click('[data-testid=pull-in-button]');
    await page.waitForSelector('#wecom-sim-sheet');
    await page.click('#wecom-sim-sheet button.ok');
    await expectText(page, '[data-testid=pull-in-said]', '已拉进群。');
    const groups = await (await fetch(`${demo.sim}/sim/groups`)).json();
    const group = groups.groups.find((g) => g.chat_id === 'wrDemoWang0001');
    assert.ok(group.member_list.some((m) => m.userid === 'chenjing'), '陈静 is in the group');
    // Read again, the group has everyone: nothing to offer.
    await page.reload();
    await page.waitForSelector('[data-testid=group-section]');
    await expectText(page, '[data-testid=handed-over]', '由 李娜 转交');
    assert.equal(await page.$('[data-testid=pull-in-button]'), null);
    assert.deepEqual(errors, []);
  });
});
