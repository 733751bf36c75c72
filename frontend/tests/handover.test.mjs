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
