// The simulated WeCom client, for the demo and browser tests. Loaded before the real
// @wecom/jssdk, it does what the WeCom client does underneath it:
//  - makes the page look like it runs inside WeCom (a `wxwork/` user agent);
//  - defines window.WeixinJSBridge and fires WeixinJSBridgeReady;
//  - checks every config / agentConfig signature against the simulator's tickets and
//    the page URL, exactly as WeCom does, and refuses APIs until agentConfig passed;
//  - answers the JS-APIs through a small visible "企业微信（模拟）" sheet a person can
//    confirm or cancel.
// How the page was "opened" (workbench, customer profile, single chat toolbar with a
// customer, group chat toolbar) comes from ?ww_entry=&ww_contact=&ww_chat= on the
// first page, kept for the tab in sessionStorage, and can be changed in the badge.
// The client's version (`wxwork/x.y.z` in the user agent, default 4.1.30) comes the
// same way from ?ww_version=, to play an old client (openExistedChatWithMsg needs
// 3.1.8, updateEnterpriseChat 3.0.36, sendChatMessage 2.8.10; below 3.0.24 the SDK
// runs config before agentConfig).
// Failures are answered as the real client answers them: `errCode` is the client's
// own small code (2, or -1 when it gives none), never WeCom's errcode, which is only
// inside the text (`errMsg` and `err_info`, as `e=40093`).
(function () {
  'use strict';
  var script = document.currentScript;
  var SIM = new URL(script.src).origin;
  var STORE = 'wecom-sim:';
  var VERSION = '4.1.30';

  var query = new URLSearchParams(location.search);
  ['entry', 'contact', 'chat', 'version'].forEach(function (k) {
    var v = query.get('ww_' + k);
    if (v !== null) sessionStorage.setItem(STORE + k, v);
  });
  function ctx(k, dflt) { return sessionStorage.getItem(STORE + k) || dflt; }

  var version = /^\d+(\.\d+){0,3}$/.test(ctx('version', '')) ? ctx('version', '') : VERSION;
  var ua = navigator.userAgent + ' wxwork/' + version + ' ColorScheme/Light';
  Object.defineProperty(navigator, 'userAgent', { get: function () { return ua; }, configurable: true });
  // Whether this client is older than `than` ('3.1.8').
  function olderThan(than) {
    var a = version.split('.'), b = than.split('.');
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      var d = (Number(a[i]) || 0) - (Number(b[i]) || 0);
      if (d) return d < 0;
    }
    return false;
  }

  var state = { corpOk: false, agentOk: false, agentId: null };

  function post(path, body) {
    return fetch(SIM + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) { return r.json(); });
  }
  function get(path) { return fetch(SIM + path).then(function (r) { return r.json(); }); }
  function signedUrl() { return location.href.split('#')[0]; }

  // ---- the sheet ------------------------------------------------------------------
  var css = [
    '#wecom-sim-sheet{position:fixed;left:0;right:0;bottom:0;z-index:2147483646;background:#fff;',
    'border-top:3px solid #07c160;box-shadow:0 -4px 24px rgba(0,0,0,.2);padding:16px;',
    'font:15px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#1f2329}',
    '#wecom-sim-sheet h3{margin:0 0 4px;font-size:13px;color:#07c160}',
    '#wecom-sim-sheet .t{font-size:17px;font-weight:600;margin:0 0 8px}',
    '#wecom-sim-sheet ul{margin:0 0 12px;padding-left:20px}',
    '#wecom-sim-sheet .b{display:flex;gap:8px}',
    '#wecom-sim-sheet button{flex:1;min-height:40px;border-radius:8px;border:1px solid #e4e6eb;background:#fff;font:inherit}',
    '#wecom-sim-sheet button.ok{background:#07c160;border-color:#07c160;color:#fff}',
    '#wecom-sim-sheet label{display:block;margin:4px 0}',
    '#wecom-sim-badge{position:fixed;right:8px;bottom:8px;z-index:2147483645;background:#07c160;color:#fff;',
    'border-radius:14px;padding:2px 10px;font:12px/24px sans-serif;opacity:.85;cursor:pointer}',
  ].join('');

  function whenBody(fn) {
    if (document.body) fn();
    else document.addEventListener('DOMContentLoaded', fn);
  }
  whenBody(function () {
    var style = document.createElement('style');
    style.textContent = css;
    document.head.appendChild(style);
    var badge = document.createElement('div');
    badge.id = 'wecom-sim-badge';
    badge.title = '模拟企业微信：点此切换打开入口';
    badge.textContent = '模拟企业微信 · ' + ctx('entry', 'normal') + (version === VERSION ? '' : ' · ' + version);
    badge.onclick = chooseEntry;
    document.body.appendChild(badge);
  });

  // Shows the sheet; resolves with the value of the chosen button (null = cancel).
  function sheet(title, lines, buttons, extra) {
    return new Promise(function (resolve) {
      whenBody(function () {
        var old = document.getElementById('wecom-sim-sheet');
        if (old) old.remove();
        var el = document.createElement('div');
        el.id = 'wecom-sim-sheet';
        el.setAttribute('role', 'dialog');
        el.innerHTML = '<h3>企业微信（模拟）</h3><p class="t"></p><ul></ul><div class="x"></div><div class="b"></div>';
        el.querySelector('.t').textContent = title;
        var ul = el.querySelector('ul');
        lines.forEach(function (l) { var li = document.createElement('li'); li.textContent = l; ul.appendChild(li); });
        if (!lines.length) ul.remove();
        if (extra) el.querySelector('.x').appendChild(extra);
        var row = el.querySelector('.b');
        buttons.forEach(function (b) {
          var btn = document.createElement('button');
          btn.textContent = b.label;
          if (b.ok) btn.className = 'ok';
          btn.onclick = function () { el.remove(); resolve(b.value === undefined ? null : b.value()); };
          row.appendChild(btn);
        });
        document.body.appendChild(el);
      });
    });
  }
  var CANCEL = { label: '取消', value: function () { return null; } };

  function chooseEntry() {
    var form = document.createElement('div');
    form.innerHTML =
      '<label>入口 <select name="entry"><option>normal</option><option>contact_profile</option>' +
      '<option>single_chat_tools</option><option>group_chat_tools</option>' +
      '<option>chat_attachment</option><option>single_kf_tools</option></select></label>' +
      '<label>客户 external_userid <input name="contact" style="width:100%"></label>' +
      '<label>群 chat_id <input name="chat" style="width:100%"></label>' +
      '<label>客户端版本 <input name="version" style="width:100%"></label>';
    form.querySelector('[name=entry]').value = ctx('entry', 'normal');
    form.querySelector('[name=contact]').value = ctx('contact', '');
    form.querySelector('[name=chat]').value = ctx('chat', '');
    form.querySelector('[name=version]').value = version;
    sheet('从哪里打开这个页面？', [], [CANCEL, {
      label: '重新打开', ok: true, value: function () {
        ['entry', 'contact', 'chat', 'version'].forEach(function (k) {
          sessionStorage.setItem(STORE + k, form.querySelector('[name=' + k + ']').value.trim());
        });
        location.reload();
        return true;
      },
    }], form);
  }

  // ---- the JS-APIs ----------------------------------------------------------------
  function result(name, keyword, extra) {
    var r = { errMsg: name + ':' + keyword };
    if (extra) Object.keys(extra).forEach(function (k) { r[k] = extra[k]; });
    return r;
  }
  // A failure carrying WeCom's errcode, as a real client reports it, e.g.
  // {errMsg: 'agentConfig:fail invalid signature e=40093', errCode: 2,
  //  err_info: 'invalid signature, more info at …/devtool/query?e=40093'}.
  function fail(name, errmsg, errcode) {
    return {
      errMsg: name + ':fail ' + errmsg + ' e=' + errcode,
      errCode: 2,
      err_info: errmsg + ', more info at https://open.work.weixin.qq.com/devtool/query?e=' + errcode,
    };
  }
  function needsAgent(name) {
    return state.agentOk ? null : result(name, 'fail no permission');
  }
  function list(v) {
    if (!v) return [];
    return Array.isArray(v) ? v : String(v).split(';').filter(Boolean);
  }

  // The simulator's refusal as the client words it: its own text, or WeCom's errcode.
  function refused(name, r) {
    return r.errcode ? fail(name, r.errmsg, r.errcode) : result(name, 'fail ' + (r.reason || 'unknown error'));
  }
  // What sendChatMessage is about to send, for the sheet: the text as text, the image
  // from the simulator's media.
  function preview(p) {
    var box = document.createElement('div');
    if (p.msgtype === 'text') {
      var t = document.createElement('p');
      t.style.whiteSpace = 'pre-wrap';
      t.style.margin = '0 0 12px';
      t.textContent = p.text.content;
      box.appendChild(t);
    } else if (p.msgtype === 'image') {
      var img = document.createElement('img');
      img.src = SIM + '/sim/media/' + encodeURIComponent(p.image.mediaid);
      img.alt = '图片';
      img.style.cssText = 'display:block;max-width:100%;max-height:40vh;margin:0 0 12px';
      box.appendChild(img);
    }
    return box;
  }
  var SEND_ENTRIES = ['single_chat_tools', 'group_chat_tools', 'chat_attachment', 'single_kf_tools'];

  var handlers = {
    preVerifyJSAPI: function (name, p) {
      return post('/sim/client/verify', {
        kind: 'corp', url: signedUrl(), corpId: p.verifyAppId || p.appId,
        timestamp: String(p.verifyTimestamp), nonceStr: p.verifyNonceStr, signature: p.verifySignature,
      }).then(function (v) {
        state.corpOk = v.ok;
        return v.ok ? { errMsg: 'config:ok' } : fail('config', v.errmsg, v.errcode);
      });
    },
    agentConfig: function (name, p) {
      return post('/sim/client/verify', {
        kind: 'agent', url: signedUrl(), corpId: p.corpid, agentId: Number(p.agentid),
        timestamp: String(p.timestamp), nonceStr: p.nonceStr, signature: p.signature,
      }).then(function (v) {
        state.agentOk = v.ok;
        state.agentId = Number(p.agentid);
        return v.ok
          ? { errMsg: 'agentConfig:ok' }
          : fail('agentConfig', v.errmsg, v.errcode);
      });
    },
    getContext: function (name) {
      return needsAgent(name) || result(name, 'ok', { entry: ctx('entry', 'normal'), shareTicket: '' });
    },
    getCurExternalContact: function (name) {
      var entry = ctx('entry', 'normal');
      if (needsAgent(name)) return needsAgent(name);
      if (entry !== 'contact_profile' && entry !== 'single_chat_tools' || !ctx('contact', '')) {
        return result(name, 'fail without context of external contact');
      }
      return result(name, 'ok', { userId: ctx('contact', '') });
    },
    getCurExternalChat: function (name) {
      if (needsAgent(name)) return needsAgent(name);
      if (ctx('entry', 'normal') !== 'group_chat_tools' || !ctx('chat', '')) {
        return result(name, 'fail without context of external contact');
      }
      return result(name, 'ok', { chatId: ctx('chat', '') });
    },
    selectExternalContact: function (name) {
      if (needsAgent(name)) return needsAgent(name);
      return get('/sim/client/context').then(function (c) {
        var form = document.createElement('div');
        (c.customers || []).forEach(function (x) {
          var l = document.createElement('label');
          l.innerHTML = '<input type="checkbox"> <span></span>';
          l.querySelector('input').value = x.externalUserId;
          l.querySelector('span').textContent = x.name + (x.remark ? '（' + x.remark + '）' : '');
          form.appendChild(l);
        });
        return sheet('选择客户', [], [CANCEL, {
          label: '确定', ok: true, value: function () {
            return Array.prototype.map.call(form.querySelectorAll('input:checked'), function (i) { return i.value; });
          },
        }], form).then(function (ids) {
          return ids ? result(name, 'ok', { userIds: ids }) : result(name, 'cancel');
        });
      });
    },
    openEnterpriseChat: function (name, p) {
      if (needsAgent(name)) return needsAgent(name);
      var users = list(p.userIds || p.useridlist), externals = list(p.externalUserIds);
      var title = p.chatId ? '打开群聊' : '创建群聊「' + (p.groupName || p.chatname || '未命名') + '」';
      var lines = p.chatId ? ['群 ' + p.chatId] : ['成员：' + users.join('、'), '客户：' + externals.join('、')];
      return sheet(title, lines, [CANCEL, { label: p.chatId ? '打开' : '创建', ok: true, value: function () { return true; } }])
        .then(function (ok) {
          if (!ok) return result(name, 'cancel');
          return post('/sim/client/enterprise-chat', {
            chatId: p.chatId || '', groupName: p.groupName || p.chatname || '', userIds: users, externalUserIds: externals,
          }).then(function (r) {
            return r.chatId ? result(name, 'ok', { chatId: r.chatId }) : fail(name, r.errmsg, r.errcode);
          });
        });
    },
    updateEnterpriseChat: function (name, p) {
      // Client 3.0.36 and newer, app identity, customer groups, members of the corp.
      if (olderThan('3.0.36')) return result(name, 'fail function not exist');
      if (needsAgent(name)) return needsAgent(name);
      var users = list(p.userIdsToAdd);
      return sheet('拉人进群', ['群 ' + p.chatId, '添加：' + users.join('、')], [CANCEL, { label: '添加', ok: true, value: function () { return true; } }])
        .then(function (ok) {
          if (!ok) return result(name, 'cancel');
          return post('/sim/client/update-chat', { chatId: p.chatId, userIdsToAdd: users }).then(function (r) {
            return r.ok ? result(name, 'ok') : fail(name, r.errmsg, r.errcode);
          });
        });
    },
    sendChatMessage: function (name, p) {
      // Client 2.8.10 and newer, app identity, only from a chat's toolbar or attachment
      // bar (D-98539); the simulator checks 客户联系, the chat and the message.
      if (olderThan('2.8.10')) return result(name, 'fail function not exist');
      if (needsAgent(name)) return needsAgent(name);
      var entry = ctx('entry', 'normal');
      var contact = entry === 'group_chat_tools' ? '' : ctx('contact', '');
      var chat = entry === 'single_chat_tools' || entry === 'single_kf_tools' ? '' : ctx('chat', '');
      if (SEND_ENTRIES.indexOf(entry) < 0 || !(contact || chat)) {
        return result(name, 'fail without context of external contact');
      }
      var msg = {
        entry: entry, externalUserId: contact || null, chatId: chat || null, agentId: state.agentId,
        msgtype: p.msgtype, text: p.text, image: p.image, video: p.video, file: p.file,
      };
      return post('/sim/client/send-chat', Object.assign({ preview: true }, msg)).then(function (r) {
        if (!r.ok) return refused(name, r);
        var to = (r.to.kind === 'customer' ? '客户 ' : '群 ') + r.to.name + '（' + r.to.id + '）';
        return sheet('发送到当前会话', ['发给：' + to], [CANCEL, { label: '发送', ok: true, value: function () { return true; } }], preview(p))
          .then(function (ok) {
            if (!ok) return result(name, 'cancel');
            return post('/sim/client/send-chat', msg).then(function (s) {
              return s.ok ? result(name, 'ok') : refused(name, s);
            });
          });
      });
    },
    openExistedChatWithMsg: function (name, p) {
      // Not in clients before 3.1.8: they do not know the API at all.
      if (olderThan('3.1.8')) return result(name, 'fail function not exist');
      if (needsAgent(name)) return needsAgent(name);
      var lines = ['群 ' + p.chatId];
      if (p.msg && p.msg.link) lines.push('发送链接：' + p.msg.link.title);
      return sheet('打开已有群聊', lines, [CANCEL, { label: '打开', ok: true, value: function () { return true; } }])
        .then(function (ok) {
          if (!ok) return result(name, 'cancel');
          return post('/sim/client/open-chat', { chatId: p.chatId }).then(function (r) {
            return r.ok ? result(name, 'ok') : fail(name, r.errmsg, r.errcode);
          });
        });
    },
  };

  window.WeixinJSBridge = {
    invoke: function (name, params, callback) {
      var h = handlers[name];
      var answer = h
        ? Promise.resolve().then(function () { return h(name, params || {}); })
        : Promise.resolve(result(name, 'fail function not exist'));
      answer.then(callback, function (e) { callback(result(name, 'fail ' + (e && e.message || e))); });
    },
    on: function () {},
  };
  setTimeout(function () { document.dispatchEvent(new Event('WeixinJSBridgeReady')); }, 0);
})();
