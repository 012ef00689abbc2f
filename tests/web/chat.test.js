// The whole chat flow in two (then three) browser contexts against a real
// Pigeon started by run.sh.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { BASE, SHOTS, launch, message, newUserPage, register, tab, waitFor } from './browser.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PNG = path.join(here, 'pigeon.png');

let browser;
let a; let b; let c; // pages
let ua; let ub; let uc; // their users
const GROUP = `鸽子测试群 ${Date.now() % 100000}`;

describe('Pigeon web client', { concurrency: false }, () => {
  before(async () => {
    browser = await launch();
    a = await newUserPage(browser);
    b = await newUserPage(browser);
  });

  after(async () => {
    if (browser) await browser.close();
  });

  it('serves the client with a strict policy and UTF-8', async () => {
    const res = await fetch(`${BASE}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html; charset=utf-8/);
    const csp = res.headers.get('content-security-policy');
    for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", 'img-src \'self\' blob: data:']) {
      assert.ok(csp.includes(part), part);
    }
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const etag = res.headers.get('etag');
    assert.equal((await fetch(`${BASE}/`, { headers: { 'If-None-Match': etag } })).status, 304);
    const js = await fetch(`${BASE}/js/app.js`);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    const missing = await fetch(`${BASE}/no/such/file.js`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'not_found');
  });

  it('registers two people behind the scenes; they only pick nicknames', async () => {
    ua = await register(a, '小明 Ming');
    ub = await register(b, '李华 Hua');
    assert.notEqual(ua.username, ub.username);
    assert.match(ua.username, /^[a-z0-9]{12}$/);
  });

  it('A finds B by username and asks two-way; B accepts', async () => {
    await tab(a, 'Contacts');
    await a.getByLabel('Search users by username or nickname').fill(ub.username);
    await a.getByRole('button', { name: 'Search', exact: true }).click();
    await a.getByRole('button', { name: `Add ${ub.nickname} as a friend` }).click();
    await a.locator('#sent-list', { hasText: ub.nickname }).waitFor();
    // B learns of it live (friend_request event): the Contacts badge.
    await b.locator('#badge-contacts:not([hidden])', { hasText: '1' }).waitFor();
    await tab(b, 'Contacts');
    await b.getByRole('button', { name: `Accept ${ua.nickname}` }).click();
    await b.locator('#friend-list', { hasText: ua.nickname }).waitFor();
    await a.locator('#friend-list', { hasText: ub.nickname }).waitFor();
  });

  it('delivers text live, counts unread, shows the read receipt', async () => {
    await a.getByRole('button', { name: `Message ${ub.nickname}` }).click();
    await a.getByLabel('Message', { exact: true }).fill('你好,李华!第一条消息');
    await a.getByRole('button', { name: 'Send', exact: true }).click();
    await message(a, '第一条消息').waitFor();
    // B has no chat open: the conversation shows an unread badge.
    await tab(b, 'Chats');
    const conv = b.locator(`#conversation-list li[data-cid="d:${Math.min(ua.id, ub.id)}:${Math.max(ua.id, ub.id)}"]`);
    await conv.locator('.badge.unread', { hasText: '1' }).waitFor();
    await conv.locator('.sub', { hasText: '第一条消息' }).waitFor();
    await conv.click();
    await message(b, '第一条消息').waitFor();
    await b.locator('#conversation-list .badge.unread').waitFor({ state: 'detached' });
    // A sees B read it.
    await message(a, '第一条消息').locator('.tick[aria-label="Read"]').waitFor();
    // And a reply arrives live on A's side.
    await b.getByLabel('Message', { exact: true }).fill('收到,谢谢');
    await b.keyboard.press('Enter');
    await message(a, '收到,谢谢').waitFor();
  });

  it('sends a picture with a preview; B sees it through a blob: URL', async () => {
    await a.locator('#composer-file').setInputFiles(PNG);
    await a.locator('#attach-preview:not([hidden]) img[src^="blob:"]').waitFor();
    await a.getByRole('button', { name: 'Send picture' }).click();
    const img = b.locator('#messages li.msg[data-kind="image"] img[src^="blob:"]');
    await img.waitFor();
    await waitFor(b, () => {
      const i = document.querySelector('#messages li.msg[data-kind="image"] img');
      return i && i.complete && i.naturalWidth > 0;
    });
  });

  it('records voice with MediaRecorder; B can play it', async () => {
    await a.getByRole('button', { name: 'Record voice' }).click();
    await a.getByRole('button', { name: 'Stop recording and send' }).waitFor();
    await a.waitForTimeout(1500); // a clip of about 1.5 s from the fake microphone
    await a.getByRole('button', { name: 'Stop recording and send' }).click();
    await a.locator('#messages li.msg.mine[data-kind="voice"]').waitFor();
    await b.locator('#messages li.msg[data-kind="voice"] audio[src^="blob:"]').waitFor();
    const duration = await b.evaluate(() => new Promise((resolve, reject) => {
      const audio = document.querySelector('#messages li.msg[data-kind="voice"] audio');
      if (audio.readyState >= 1) resolve(audio.duration);
      audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
      audio.addEventListener('error', () => reject(new Error('the voice clip did not load')));
      setTimeout(() => reject(new Error('no metadata within 10 s')), 10000);
    }));
    assert.ok(duration > 0, `duration ${duration}`); // Infinity for a live WebM is fine
  });

  it('recalls a message within two minutes', async () => {
    await a.getByLabel('Message', { exact: true }).fill('这条要撤回');
    await a.keyboard.press('Enter');
    await message(b, '这条要撤回').waitFor();
    await message(a, '这条要撤回').getByRole('button', { name: 'Recall message' }).click();
    await a.locator('#messages li.msg.recalled', { hasText: 'You recalled a message' }).waitFor();
    await b.locator('#messages li.msg.recalled', { hasText: `${ua.nickname} recalled a message` }).waitFor();
    assert.equal(await message(b, '这条要撤回').count(), 0);
  });

  it('creates a group with B; B sees the group conversation', async () => {
    await tab(a, 'Groups');
    await a.locator('#group-create summary').click();
    await a.getByLabel('Group name').fill(GROUP);
    await a.getByRole('checkbox', { name: ub.nickname }).check();
    await a.getByRole('button', { name: 'Create group' }).click();
    await a.locator('#chat-title', { hasText: GROUP }).waitFor();
    await a.locator('#messages li.system', { hasText: 'created the group' }).waitFor();
    await a.getByLabel('Message', { exact: true }).fill('欢迎来到群聊');
    await a.keyboard.press('Enter');
    const item = b.locator('#conversation-list li', { hasText: GROUP });
    await item.waitFor();
    await item.click();
    await message(b, '欢迎来到群聊').waitFor();
    await b.locator('#messages li.msg .who', { hasText: ua.nickname }).first().waitFor();
  });

  it('a third person finds the group by a Chinese substring, asks, is approved and chats', async () => {
    c = await newUserPage(browser);
    uc = await register(c, '王芳');
    await tab(c, 'Groups');
    await c.getByLabel('Search groups by name').fill('测试群');
    await c.getByRole('button', { name: 'Search', exact: true }).click();
    await c.getByRole('button', { name: `Join ${GROUP}` }).click();
    // A (owner) approves in the group's details.
    await a.getByRole('button', { name: 'Group details' }).click();
    await a.getByRole('button', { name: `Approve ${uc.nickname}` }).click();
    await a.locator('#group-panel li[data-user]', { hasText: uc.nickname }).waitFor();
    // Roles: the owner makes B an admin.
    await a.getByLabel(`Role of ${ub.nickname}`).selectOption('admin');
    await a.locator(`#group-panel li[data-user="${ub.id}"] .role`, { hasText: 'admin' }).waitFor();
    // C now has the group conversation.
    const item = c.locator('#conversation-list li', { hasText: GROUP });
    await tab(c, 'Chats');
    await item.waitFor();
    await item.click();
    await c.getByLabel('Message', { exact: true }).fill('大家好,我是王芳');
    await c.keyboard.press('Enter');
    await message(b, '我是王芳').waitFor();
    await message(a, '我是王芳').waitFor();
    // C leaves; the others see it.
    await c.getByRole('button', { name: 'Group details' }).click();
    await c.getByRole('button', { name: 'Leave group' }).click();
    await a.locator('#messages li.system', { hasText: `${uc.nickname} left` }).waitFor();
  });

  it('adds one-way, declines a request, edits the profile', async () => {
    // C adds A one-way (A's policy is open): C may message A at once.
    await tab(c, 'Contacts');
    await c.getByLabel('Search users by username or nickname').fill('小明');
    await c.getByRole('button', { name: 'Search', exact: true }).click();
    await c.getByRole('button', { name: `Add ${ua.nickname} one-way` }).click();
    await c.locator('#oneway-list', { hasText: ua.nickname }).waitFor();
    await c.getByRole('button', { name: `Message ${ua.nickname}` }).first().click();
    await c.getByLabel('Message', { exact: true }).fill('临时聊天:你好');
    await c.keyboard.press('Enter');
    await tab(a, 'Chats');
    await a.locator('#conversation-list li', { hasText: uc.nickname }).locator('.badge.unread').waitFor();
    await tab(a, 'Contacts');
    await a.locator('#follower-list', { hasText: uc.nickname }).waitFor();
    // C also asks A two-way; A declines.
    await tab(c, 'Contacts');
    await c.getByLabel('Search users by username or nickname').fill(ua.username);
    await c.getByRole('button', { name: 'Search', exact: true }).click();
    await c.getByRole('button', { name: `Add ${ua.nickname} as a friend` }).click();
    await a.getByRole('button', { name: `Decline ${uc.nickname}` }).click();
    await a.locator('#request-list li').waitFor({ state: 'detached' });
    // C asks nobody may add her one-way, and renames herself.
    await tab(c, 'Me');
    await c.getByLabel('Your nickname').fill('王芳 Fang');
    await c.getByLabel('Who may add me one-way').selectOption('approval');
    await c.getByRole('button', { name: 'Save profile' }).click();
    await c.locator('#me-name', { hasText: '王芳 Fang' }).waitFor();
    uc.nickname = '王芳 Fang';
    // A's one-way add is refused now: the client says to ask instead.
    await a.getByLabel('Search users by username or nickname').fill(uc.username);
    await a.getByRole('button', { name: 'Search', exact: true }).click();
    await a.getByRole('button', { name: `Add ${uc.nickname} one-way` }).click();
    await a.locator('#toast', { hasText: 'accepts friend requests only' }).waitFor();
    await tab(a, 'Chats');
  });

  it('takes screenshots on a phone and a desktop', async () => {
    await b.locator('#conversation-list li', { hasText: ua.nickname }).click();
    await message(b, '第一条消息').waitFor();
    await b.screenshot({ path: path.join(SHOTS, 'desktop-chat.png') });
    const phone = await newUserPage(browser, { width: 390, height: 844 });
    // The phone shows B's account: same credentials, another device.
    const account = await b.evaluate(() => localStorage.getItem('pigeon.account'));
    await phone.goto(BASE);
    await phone.evaluate((acc) => localStorage.setItem('pigeon.account', acc), account);
    await phone.reload();
    await phone.locator('#conn.online').waitFor();
    await phone.locator('#conversation-list li', { hasText: ua.nickname }).waitFor();
    await phone.screenshot({ path: path.join(SHOTS, 'phone-list.png') });
    await phone.locator('#conversation-list li', { hasText: ua.nickname }).click();
    await message(phone, '第一条消息').waitFor();
    await phone.locator('#messages li.msg[data-kind="image"] img[src^="blob:"]').waitFor();
    await phone.screenshot({ path: path.join(SHOTS, 'phone-chat.png') });
    await phone.context().close();
    await a.screenshot({ path: path.join(SHOTS, 'desktop-group.png') });
  });

  it('reconnects with backoff after losing the socket and catches up', async () => {
    // B's token, as its next API call carries it.
    const call = b.waitForRequest((r) => r.url().includes('/v1/') && r.headers().authorization);
    await tab(b, 'Contacts');
    const token = (await call).headers().authorization.replace('Bearer ', '');
    await tab(b, 'Chats');
    let sockets = 0;
    b.on('websocket', () => { sockets++; });
    // Tickets fail for a while (the network is down), then the token is
    // revoked: the server closes B's socket (4001).
    await b.route('**/v1/ws/ticket', (route) => route.abort());
    const out = await fetch(`${BASE}/v1/auth/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(out.status, 204);
    await b.locator('#conn', { hasText: /offline|connecting/ }).waitFor();
    await a.locator('#conversation-list li', { hasText: ub.nickname }).click();
    await a.getByLabel('Message', { exact: true }).fill('断线期间的消息');
    await a.keyboard.press('Enter');
    await message(a, '断线期间的消息').waitFor();
    await b.waitForTimeout(500);
    assert.equal(await message(b, '断线期间的消息').count(), 0);
    // The network is back: the next retry logs in again silently, opens a
    // socket and fetches what it missed (after_seq).
    await b.unroute('**/v1/ws/ticket');
    await b.locator('#conn.online').waitFor();
    await message(b, '断线期间的消息').waitFor();
    assert.ok(sockets >= 1);
  });

  it('reopening shows history from IndexedDB at once, then fetches only after_seq', async () => {
    // B has the direct chat open; B's page goes away and A writes meanwhile.
    const context = b.context();
    await b.close();
    await tab(a, 'Chats');
    await a.locator('#conversation-list li', { hasText: ub.nickname }).click();
    await a.getByLabel('Message', { exact: true }).fill('你不在的时候发的');
    await a.keyboard.press('Enter');
    await message(a, '你不在的时候发的').waitFor();

    b = await context.newPage();
    b.setDefaultTimeout(15000);
    const history = [];
    let released = false;
    await b.route('**/v1/conversations/*/messages**', async (route) => {
      history.push(route.request().url());
      await new Promise((r) => setTimeout(r, 1500)); // the network is slow
      released = true;
      await route.continue();
    });
    await b.goto(BASE);
    await message(b, '第一条消息').waitFor();
    await message(b, '收到,谢谢').waitFor();
    assert.equal(released, false, 'history was shown before any history request finished');
    await message(b, '你不在的时候发的').waitFor();
    assert.ok(history.length > 0);
    for (const url of history) assert.match(url, /after_seq=[1-9]/, url);
  });

  it('clearing the site data removes the history', async () => {
    const dbs = await b.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.ok(dbs.includes(`pigeon-user-${ub.id}`), dbs.join(','));
    const cdp = await b.context().newCDPSession(b);
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(BASE).origin, storageTypes: 'all' });
    await b.unrouteAll({ behavior: 'ignoreErrors' });
    await b.reload();
    await b.getByLabel('Nickname', { exact: true }).waitFor(); // a new start, like a reinstalled app
    const after = await b.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.ok(!after.includes(`pigeon-user-${ub.id}`), after.join(','));
  });

  it('had no script errors on any page', () => {
    const errors = [a, c].flatMap((p) => p.errors.filter((e) => !/Failed to load resource/.test(e)));
    assert.deepEqual(errors, []);
  });
});
