// Browser tests: `wecom-desk demo` (simulator + server + built H5) driven in Debian's
// headless Chromium through playwright-core, with the real @wecom/jssdk and the
// simulated WeCom client underneath it. Run by `make test` (`make browser`).
// A failing test leaves a screenshot in test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demo, withPage, autoLogin, simGroups, expectText, expectValue } from './harness.mjs';

test('a member logs in through the simulated OAuth page and lands back on the page they opened', async (t) => {
  await autoLogin('');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/debug?from=menu`);
    await page.waitForURL(/\/connect\/oauth2\/authorize\?/);
    await page.click('a[data-userid="zhangwei"]');
    await page.waitForURL(`${demo.base}/debug?from=menu`);
    await page.waitForSelector('[data-testid=session-user]');
    await expectText(page, '[data-testid=session-user]', /张伟（zhangwei）/);
    // agentConfig went through the bridge, which checked the signature against the
    // simulator's app ticket and this exact URL.
    await page.waitForSelector('[data-testid=agent-config-status] .badge');
    await expectText(page, '[data-testid=agent-config-status] .badge', '成功');
    await expectText(page, '[data-testid=signed-url]', `${demo.base}/debug?from=menu`);
    await expectText(page, '[data-testid=sdk-version]', /^\d+\.\d+\.\d+$/);
  });
});

test('getContext answers how the page was opened', async (t) => {
  await autoLogin('lina');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/?ww_entry=single_chat_tools&ww_contact=wmDemo0000`);
    await page.waitForSelector('[data-testid=member-name]');
    await expectText(page, '[data-testid=member-name]', '李娜');
    await page.waitForFunction(() => !document.querySelector('[data-testid=entry] .loading'));
    await expectText(page, '[data-testid=entry]', /单聊工具栏 \(single_chat_tools\)/);

    // Time from navigation to the first interactive page, session already there.
    const started = Date.now();
    await page.goto(`${demo.base}/`);
    await page.waitForSelector('[data-testid=member-name]');
    const ms = Date.now() - started;
    const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
    console.log(`time-to-interactive-ms: ${ms} (domContentLoaded ${Math.round(nav.domContentLoadedEventEnd)} ms)`);
  });
  await autoLogin('');
});

test('a page whose signature is wrong shows a clear error on screen and on /debug', async (t) => {
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    // The page asks for a signature of another URL, as a misconfigured proxy would.
    await page.route('**/api/jssdk/signatures', (route) =>
      route.continue({ postData: JSON.stringify({ url: `${demo.base}/another-page` }) }));
    await page.goto(`${demo.base}/`);
    await page.waitForSelector('[data-testid=entry] .text-error');
    await expectText(page, '[data-testid=entry]', /签名/);
    await page.click('a[href="/debug"]');
    await page.waitForSelector('[data-testid=agent-config-status] .badge');
    await expectText(page, '[data-testid=agent-config-status] .badge', '失败');
    await expectText(page, '[data-testid=agent-config-status]', /40093/);
  });
  await autoLogin('');
});

test('a signature failure as a real client reports it (errCode 2, e=40093 in the text) shows the signature page', async (t) => {
  await autoLogin('zhangwei');
  const sidebar = `${demo.base}/sidebar?ww_entry=single_chat_tools&ww_contact=wmDemo0000`;
  // The page asks for a signature of another URL, as a misconfigured proxy would.
  const wrongUrl = (page) => page.route('**/api/jssdk/signatures', (route) =>
    route.continue({ postData: JSON.stringify({ url: `${demo.base}/another-page` }) }));
  const signaturePage = (page) => page.locator('.notice-error[role=alert]', { hasText: '企业微信拒绝了本页面的签名' });
  await withPage(t, async (page) => {
    await wrongUrl(page);
    await page.goto(sidebar);
    await signaturePage(page).waitFor();
    // What the page was given: the client's own errCode, WeCom's errcode only as text.
    const failure = await page.evaluate(() => ww.getContext().then(() => null, (e) => ({ ...e })));
    assert.equal(failure.errCode, 2);
    assert.match(failure.errMsg, /^agentConfig:fail .*e=40093/);
    assert.match(failure.err_info, /invalid signature.*\?e=40093$/);
    assert.match(await signaturePage(page).textContent(), /e=40093.*wecom-desk doctor/);
  });
  await withPage(t, async (page) => {
    // A client whose errMsg says only `agentConfig:fail`: the code is in err_info alone.
    await page.addInitScript(() => {
      let bridge;
      Object.defineProperty(window, 'WeixinJSBridge', {
        configurable: true,
        get: () => bridge,
        set: (b) => {
          const invoke = b.invoke;
          b.invoke = (name, params, callback) => invoke(name, params, (r) => callback(
            name === 'agentConfig' && r.errCode ? { errMsg: 'agentConfig:fail', errCode: r.errCode, err_info: r.err_info } : r));
          bridge = b;
        },
      });
    });
    await wrongUrl(page);
    await page.goto(sidebar);
    await signaturePage(page).waitFor();
    assert.match(await signaturePage(page).textContent(), /agentConfig:fail e=40093/);
    const failure = await page.evaluate(() => ww.getContext().then(() => null, (e) => ({ ...e })));
    assert.deepEqual(Object.keys(failure).sort(), ['errCode', 'errMsg', 'err_info']);
    assert.equal(failure.errMsg, 'agentConfig:fail');
    // The same on /debug, for the admin's screenshot.
    await page.goto(`${demo.base}/debug`);
    const status = page.getByTestId('agent-config-status');
    await status.locator('.badge-error').waitFor();
    assert.match(await status.textContent(), /签名.*e=40093/);
  });
  await autoLogin('');
});

test('on /debug an admin sees the deployment checks and a member is told to ask the admin', async (t) => {
  await autoLogin('wangqiang');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/debug`);
    await page.waitForSelector('[data-testid=deployment-checks] .checks li');
    const text = await page.textContent('[data-testid=deployment-checks]');
    assert.match(text, /access_token/);
    assert.match(text, /通过/);
  });
  await autoLogin('zhangwei');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/debug`);
    // Wait for the answer (the card shows a loading line first).
    await page.waitForFunction(() => {
      const card = document.querySelector('[data-testid=deployment-checks]');
      return card && !card.querySelector('.loading') && card.textContent.includes('管理员');
    });
    await expectText(page, '[data-testid=deployment-checks]', /只有管理员/);
  });
  await autoLogin('');
});

test('someone who is not a member gets a friendly page with a retry button', async (t) => {
  await autoLogin('');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/`);
    await page.waitForURL(/\/connect\/oauth2\/authorize\?/);
    await page.click('a[data-userid=""]');
    await page.waitForSelector('#retry');
    await expectText(page, 'body', /不是本企业成员/);
    await page.click('#retry');
    await page.waitForURL(/\/connect\/oauth2\/authorize\?/);
  });
});

test('cancelling in WeCom leaves the order without a group', async (t) => {
  await autoLogin('zhangwei');
  const before = (await simGroups()).length;
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/orders/DD-1002`);
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=confirm]');
    await expectText(page, '[data-testid=confirm-customer]', /李先生/);
    await page.click('[data-testid=confirm-create]');
    await page.waitForSelector('#wecom-sim-sheet');
    await page.click('#wecom-sim-sheet button:not(.ok)');
    await page.waitForSelector('.notice-info');
    await expectText(page, '.notice-info', /已取消，没有建群/);
  });
  assert.equal((await simGroups()).length, before);
  await autoLogin('');
});

test('a designer creates the order group in one go, and opening the order again never makes a second one', async (t) => {
  await autoLogin('');
  await withPage(t, async (page) => {
    await page.goto(`${demo.base}/orders`);
    await page.waitForURL(/\/connect\/oauth2\/authorize\?/);
    await page.click('a[data-userid="zhangwei"]');
    await page.waitForSelector('[data-testid=orders]');
    await page.click('a[data-order="DD-1001"]');
    await page.click('[data-testid=start]');
    // One candidate: straight to the confirm sheet, with an editable group name.
    await page.waitForSelector('[data-testid=confirm]');
    await expectText(page, '[data-testid=confirm-customer]', /王女士/);
    await expectValue(page, '[data-testid=group-name]', '王女士-城南店服务群');
    await page.fill('[data-testid=group-name]', '王女士-城南店装修服务群');
    await page.click('[data-testid=confirm-create]');
    await page.waitForSelector('#wecom-sim-sheet');
    await expectText(page, '#wecom-sim-sheet', /王女士-城南店装修服务群/);
    await page.click('#wecom-sim-sheet button.ok');
    await page.waitForSelector('[data-testid=group-ready]');
    await expectText(page, '[data-testid=group-name-shown]', '王女士-城南店装修服务群');

    // The simulator now has that customer group: designer + project manager + customer.
    const groups = (await simGroups()).filter((g) => g.name === '王女士-城南店装修服务群');
    assert.equal(groups.length, 1);
    const people = groups[0].member_list.map((m) => `${m.userid}:${m.type}`).sort();
    assert.deepEqual(people, ['lina:1', 'wmDemo0000:2', 'zhangwei:1']);

    // Opened again: the group is there, and the page offers to open it, not to make one.
    await page.goto(`${demo.base}/orders/DD-1001`);
    await page.waitForSelector('[data-testid=group-ready]');
    assert.equal(await page.$('[data-testid=start]'), null);
    await page.click('[data-testid=open-chat]');
    await page.waitForSelector('#wecom-sim-sheet');
    await expectText(page, '#wecom-sim-sheet', new RegExp(groups[0].chat_id));
    await page.click('#wecom-sim-sheet button.ok');
    await page.goto(`${demo.base}/orders`);
    await page.waitForSelector('a[data-order="DD-1001"] .badge-ok');
  });
  assert.equal((await simGroups()).filter((g) => g.name === '王女士-城南店装修服务群').length, 1);
});
