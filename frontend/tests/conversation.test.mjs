// In the conversation, at 360 px: the team's quick replies (话术) kept in the console
// and sent from the sidebar filled from the customer and order, and the order's join QR
// code put into the customer's chat as an image. The simulated client shows each
// sendChatMessage on its sheet and records what was sent (/sim/client/sent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, autoLogin, waitFor, expectText } from './harness.mjs';

const WANG = 'wmDemo0000';
const sidebar = (query) => `${demo.base}/sidebar?${query}`;
const beside = (contact) => sidebar(`ww_entry=single_chat_tools&ww_contact=${contact}`);

/** What the simulated client put into chats so far. */
async function sent() {
  const r = await fetch(`${demo.sim}/sim/client/sent`);
  assert.equal(r.status, 200);
  return (await r.json()).messages;
}

/** Temporary media WeCom (the simulator) holds now. */
async function media() {
  return (await (await fetch(`${demo.sim}/sim/media`)).json()).media;
}

/** Opens 话术 and the reply found by `search`. */
async function openReply(page, search) {
  await page.click('[data-testid=replies-open]');
  await page.waitForSelector('[data-reply]');
  await page.fill('[data-testid=replies-search]', search);
  await waitFor(async () => (await page.$$('[data-reply]')).length === 1, `one reply for ${search}`);
  await page.click('[data-reply]');
  await page.waitForSelector('[data-testid=reply-text]');
}

test('admins keep 话术 in the console: a text too long says by how much, an empty group is 常用', async (t) => {
  await autoLogin('wangqiang');
  await withPage(t, async (page, errors) => {
    await page.goto(`${demo.base}/admin?tab=replies`);
    await page.waitForSelector('[data-testid=replies-list] [data-reply]');
    await page.fill('[data-testid=reply-title]', '量房提醒');
    await page.fill('[data-testid=reply-body]', '好'.repeat(1001));
    await expectText(page, '[data-testid=reply-count]', /1001\/1000，超出 1 字/);
    await page.click('[data-testid=reply-save]');
    await page.waitForSelector('[data-testid=replies-said].notice-error');
    await expectText(page, '[data-testid=replies-said]', /最多 1000 字.*请删减后再保存/);
    // Nothing was kept, and the form still holds what was typed.
    assert.equal(await page.inputValue('[data-testid=reply-title]'), '量房提醒');

    await page.fill('[data-testid=reply-body]', '{客户}您好，{我}明天上午到府上量房，大约一小时。');
    await page.click('[data-testid=reply-save]');
    await expectText(page, '[data-testid=replies-said]', '已保存「量房提醒」。');
    const row = page.locator('[data-testid=replies-list] li', { hasText: '量房提醒' });
    await waitFor(async () => /常用/.test(await row.textContent()), 'the new reply in 常用');
    assert.deepEqual(errors, []);
  });
});

test('话术 beside a customer chat: filled from the customer and order, sent through the client, counted', async (t) => {
  await autoLogin('zhangwei');
  let text = '';
  await withPage(t, async (page, errors) => {
    await page.goto(beside(WANG));
    await page.waitForSelector('[data-testid=customer-name]');
    await openReply(page, '开工通知');
    // 王女士's first order is DD-1001 (designer 张伟, project manager 李娜).
    await expectText(page, '[data-testid=reply-text]', '王女士您好，城南店 · 王女士新房装修定于本周六上午开工，项目经理李娜会在现场做开工交底，请提前把钥匙交给他。');
    text = await page.textContent('[data-testid=reply-text]');
    const before = (await sent()).length;
    await page.click('[data-testid=reply-send]');
    // The member still confirms in the client: its sheet shows the text.
    await page.waitForSelector('#wecom-sim-sheet');
    await expectText(page, '#wecom-sim-sheet', /发送到当前会话[\s\S]*王女士您好/);
    await page.click('#wecom-sim-sheet button.ok');
    await expectText(page, '[data-testid=reply-said]', '已发送到聊天。');
    const now = await sent();
    assert.equal(now.length, before + 1);
    const last = now.at(-1);
    assert.deepEqual([last.msgtype, last.text, last.externalUserId, last.member], ['text', text, WANG, 'zhangwei']);
    assert.deepEqual(errors, []);
  });
  // The console shows it counted.
  await autoLogin('wangqiang');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/admin?tab=replies`);
    const row = page.locator('[data-testid=replies-list] li', { hasText: '开工通知' });
    await waitFor(async () => /已发送 1 次/.test(await row.textContent()), '开工通知 sent once');
  });
});

test('发送进群二维码 puts the order\'s join QR code into the customer\'s chat, one upload for every send', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page, errors) => {
    const before = (await sent()).length;
    const uploads = (await media()).length;
    await page.goto(beside(WANG));
    const dd1001 = '[data-order="DD-1001"]';
    await page.waitForSelector(`${dd1001} [data-testid=send-qr-button]`);
    await page.click(`${dd1001} [data-testid=send-qr-button]`);
    await page.waitForSelector('#wecom-sim-sheet img');
    // The image WeCom holds is the QR code (a PNG the client can show).
    await waitFor(async () => (await page.$eval('#wecom-sim-sheet img', (i) => i.naturalWidth)) >= 200, 'the QR image on the sheet');
    await page.click('#wecom-sim-sheet button.ok');
    await expectText(page, `${dd1001} [data-testid=send-qr-said]`, /已把进群二维码发到聊天/);
    const first = (await sent()).at(-1);
    assert.equal(first.msgtype, 'image');
    assert.equal(first.externalUserId, WANG);

    // Sent again from the order page opened beside the chat: the same image, no upload.
    await page.goto(`${demo.base}/orders/DD-1001`);
    await page.waitForSelector('[data-testid=send-qr-button]');
    await page.click('[data-testid=send-qr-button]');
    await page.waitForSelector('#wecom-sim-sheet img');
    await page.click('#wecom-sim-sheet button.ok');
    await expectText(page, '[data-testid=send-qr-said]', /已把进群二维码发到聊天/);
    const now = await sent();
    assert.equal(now.length, before + 2);
    assert.equal(now.at(-1).mediaId, first.mediaId);
    assert.equal((await media()).length, uploads + 1);
    assert.deepEqual(errors, []);
  });
  // Opened anywhere but beside a chat, the order page offers no sending.
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/orders/DD-1001?ww_entry=normal`);
    await page.waitForSelector('[data-testid=join-qr]');
    await page.waitForSelector('[data-testid=staff-chat-button]');
    assert.equal(await page.$('[data-testid=send-qr-button]'), null);
  });
  // Beside 王女士's chat, another customer's order (李先生's DD-1002) never offers its
  // group to her: once the page knows whose chat it is, no button.
  await withPage(t, async (page) => {
    const profile = page.waitForResponse((r) => r.url().includes(`/api/contacts/${WANG}/profile`));
    await page.goto(`${demo.base}/orders/DD-1002?ww_entry=single_chat_tools&ww_contact=${WANG}`);
    assert.equal((await profile).status(), 200);
    await page.waitForSelector('[data-testid=staff-chat-button]');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(await page.$('[data-testid=send-qr-button]'), null);
  });
});

test('where the client refuses to send, the sidebar says why and offers 复制; a search with no match says so', async (t) => {
  // 周敏 at the front desk follows 王女士 but has no 客户联系 permission.
  const r = await fetch(`${demo.sim}/sim/customers/${WANG}/follow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userid: 'zhoumin', remark: '王女士' }),
  });
  assert.equal(r.status, 200, await r.text());
  await autoLogin('zhoumin');
  await withPage(t, async (page, errors) => {
    await page.goto(beside(WANG));
    await page.waitForSelector('[data-testid=customer-name]');
    await page.click('[data-testid=replies-open]');
    await page.waitForSelector('[data-reply]');
    await page.fill('[data-testid=replies-search]', '没有这样的话术');
    await expectText(page, '[data-testid=replies-none]', /没有找到.*换个词试试/);
    await page.fill('[data-testid=replies-search]', '加好友问候');
    await waitFor(async () => (await page.$$('[data-reply]')).length === 1, 'one reply');
    await page.click('[data-reply]');
    // No order of 周敏's: {订单}… are left out, {我} is her name.
    await expectText(page, '[data-testid=reply-text]', /^王女士您好，我是城南店的周敏，/);
    const before = (await sent()).length;
    await page.click('[data-testid=reply-send]');
    await page.waitForSelector('[data-testid=reply-said].notice-error');
    await expectText(page, '[data-testid=reply-said]', /不允许本应用往聊天里发送.*管理员.*复制/);
    assert.equal((await sent()).length, before);
    await page.click('[data-testid=reply-copy]');
    await expectText(page, '[data-testid=reply-said]', /已复制|长按上面的文字/);
    assert.deepEqual(errors, []);
  });
});
