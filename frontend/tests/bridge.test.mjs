// The messages bridge as the demo shows it, in headless Chromium at 360 px: a
// customer writes on the business website → WeCom Desk's robot tells the staff
// member in their group chat → the member answers the app (typed as that member) →
// the answer appears in the website's conversation, with the signed event it got.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, waitFor } from './harness.mjs';

const feedText = (page) => page.textContent('#feed');

test('a customer message reaches the staff by robot and their reply comes back to the website', async (t) => {
  await withPage(t, async (page, errors) => {
    const conversation = `web-${Date.now()}`;
    await page.goto(`${demo.sim}/sim/website?conversation=${conversation}`);
    assert.match(await feedText(page), /还没有回复/);
    await page.fill('textarea[name=text]', '客户王女士：明天几点量房？');
    await page.click('button[type=submit]');
    await waitFor(async () => /已交给 WeCom Desk/.test(await page.textContent('#result')), 'the website to hand it over');

    await page.goto(`${demo.sim}/sim/robots`);
    await waitFor(async () => (await feedText(page)).includes('客户王女士：明天几点量房？'), 'the robot message');
    const robot = await feedText(page);
    assert.ok(robot.includes(`#${conversation}`), 'the robot names the conversation');
    assert.match(robot, /@张伟/, 'the bound member is mentioned');

    await page.goto(`${demo.sim}/sim/member?userid=zhangwei`);
    await page.fill('textarea[name=content]', '明天上午十点到，谢谢！');
    await page.click('button[type=submit]');
    await waitFor(async () => /应用已收到/.test(await page.textContent('#result')), 'the app to receive the reply');
    await waitFor(async () => (await feedText(page)).includes(`已送达会话 #${conversation}`), 'the app telling the member where it went', 10000);

    await page.goto(`${demo.sim}/sim/website?conversation=${conversation}`);
    await waitFor(async () => (await feedText(page)).includes('明天上午十点到，谢谢！'), 'the reply on the website', 10000);
    await waitFor(async () => /staff\.replied · 签名有效/.test(await feedText(page)), 'the signed staff.replied event', 10000);
    assert.match(await feedText(page), /员工 s-zhangwei（zhangwei）/);
    assert.deepEqual(errors, []);
  });
});
