// The ways into a group without the client's 建群, in headless Chromium at 360 px:
// the order's internal staff group (made by the server, opened in the simulated WeCom
// client; in a plain browser the page says where it is) and the order's join QR code,
// which a simulated customer scans, after which the order shows the customer joined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, autoLogin, waitFor, expectText } from './harness.mjs';

test('建内部群 makes the staff group and opens it in WeCom; in a plain browser it says where it is', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders/DD-1003`);
    await page.click('[data-testid=staff-chat-button]');
    await page.waitForSelector('#wecom-sim-sheet');
    await expectText(page, '#wecom-sim-sheet', /desk[0-9a-f]{28}/);
    await page.click('#wecom-sim-sheet button.ok');
    await waitFor(async () => /内部群/.test(await page.textContent('[data-testid=staff-chat]')), 'the staff group shown');
    // The button says 正在打开… until the client has answered: wait for its end state.
    await page.locator('[data-testid=staff-chat-button]', { hasText: /^打开内部群$/ }).waitFor();
    assert.deepEqual(errors, []);
  });
  await withPage(t, async (page) => {
    // No simulated client: a plain browser.
    await page.route('**/sim/bridge.js', (r) => r.abort());
    await page.goto(`${demo.base}/orders/DD-1004`);
    await page.waitForURL(/\/connect\/oauth2\/authorize\?|\/orders\/DD-1004/);
    await page.waitForSelector('[data-testid=staff-chat-button]');
    await page.click('[data-testid=staff-chat-button]');
    await page.waitForSelector('[data-testid=staff-chat-said]');
    await expectText(page, '[data-testid=staff-chat-said]', /群聊已生成，请在企业微信中打开/);
  });
});

test('a client older than 3.1.8 is told to update WeCom instead of opening the staff group', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    // The simulated client plays WeCom 3.1.2 (`wxwork/3.1.2` in the user agent).
    await page.goto(`${demo.base}/orders/DD-1001?ww_version=3.1.2`);
    await page.click('[data-testid=staff-chat-button]');
    const said = page.getByTestId('staff-chat-said');
    await said.waitFor();
    assert.match(await said.textContent(), /企业微信版本太旧.*升级到 3\.1\.8/);
    assert.match(await page.evaluate(() => navigator.userAgent), /wxwork\/3\.1\.2 /);
    // The page did not ask the client, which would not know the API anyway.
    assert.equal(await page.locator('#wecom-sim-sheet').count(), 0);
    const answer = await page.evaluate(() => ww.openExistedChatWithMsg({ chatId: 'x' }).then((r) => r, (e) => e));
    assert.equal(answer.errMsg, 'openExistedChatWithMsg:fail function not exist');
    assert.deepEqual(errors, []);
  });
});

test('生成进群二维码 shows the code; a customer scans it and the order shows 客户已进群', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/orders/DD-1002`);
    await page.click('[data-testid=join-qr-button]');
    await page.waitForSelector('[data-testid=qr-image]');
    const src = await page.getAttribute('[data-testid=qr-image]', 'src');
    const shown = await page.$eval('[data-testid=qr-image]', (img) => img.naturalWidth);
    assert.ok(shown >= 200, `the QR image loads, ${shown}px wide`);
    await expectText(page, '[data-testid=join-qr]', /请把二维码给客户扫码进群/);

    // The customer scans: the simulator's page behind the code.
    const config = src.split('/sim/qr/')[1];
    await page.goto(`${demo.sim}/sim/join/${config}`);
    await page.selectOption('select[name=customer]', 'wmDemo0001');
    await page.click('button[type=submit]');
    await waitFor(async () => /已进群/.test(await page.textContent('#result')), 'the scan');

    await page.goto(`${demo.base}/orders/DD-1002`);
    await waitFor(async () => /客户已进群/.test(await page.textContent('[data-testid=join-qr]')), 'the order to show the customer joined', 10000);
    assert.deepEqual(errors, []);
  });
});
