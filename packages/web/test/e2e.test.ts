import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '../../server/test/helpers/platform.ts';
import { CHROMIUM, ConsoleWatch, WEB_DIST, ensureBuilt, launch, makePng, newTab, shot, type Tab } from './helpers/browser.ts';

/**
 * The web client end to end: the real platform in this process serving the
 * built client, Debian's Chromium driving it as several people at once.
 * Every wait is bounded (10 s default per step); the scenarios share one
 * platform and run in order, like a day of use.
 */
const PASSWORD = 'correct-horse-1';
const S_AB = 's:alice:bob';
const noBrowser = !existsSync(CHROMIUM);

describe('web client in Chromium', { skip: noBrowser ? `no Chromium at ${CHROMIUM}` : false, timeout: 150_000 }, () => {
  let platform: TestPlatform;
  let browser: Browser;
  let tokens: Record<string, string>;
  const watch = new ConsoleWatch();
  let alice: Tab;
  let bob: Tab;
  let carol: Tab;
  let groupConv = '';

  before(async () => {
    ensureBuilt();
    platform = await startTestPlatform({ web_dir: WEB_DIST } as never);
    const people: Array<[string, string]> = [['alice', 'Alice Chen'], ['bob', 'Bob Stone'], ['carol', '王小红'], ['erin', 'Erin Walsh']];
    tokens = {};
    for (const [id, name] of people) {
      await platform.admin('POST', '/v1/admin/users', { user_id: id, name, password: PASSWORD });
      tokens[id] = (await platform.admin('POST', `/v1/admin/users/${id}/tokens`, {})).token;
    }
    browser = await launch();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await platform?.destroy();
  });

  const url = (path = '/') => platform.httpUrl + path;
  const convItem = (page: Page, convId: string) => page.locator(`.conv-item[data-conv="${convId}"]`);
  const badge = (page: Page, convId: string) => convItem(page, convId).locator('[data-testid=unread-badge]');
  const bubble = (page: Page, text: string) => page.locator('.msg-row', { hasText: text });
  const exactBubble = (page: Page, text: string) => page.locator('.msg-row', { has: page.locator('.text', { hasText: new RegExp(`^${text}$`) }) });
  const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });
  async function send(page: Page, text: string) {
    await composer(page).fill(text);
    await composer(page).press('Enter');
  }
  async function signIn(page: Page, userId: string) {
    await page.goto(url());
    await page.getByLabel('User ID').fill(userId);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.conn-pill[data-state=open]').waitFor();
  }

  test('sign in with a password, and with a token in the URL', async () => {
    alice = await newTab(browser, watch, 'alice');
    await alice.page.goto(url());
    await alice.page.getByLabel('User ID').waitFor();
    await shot(alice.page, 'login.png');
    await signIn(alice.page, 'alice');
    assert.equal(await alice.page.getByTestId('me-name').textContent(), 'Alice Chen');

    bob = await newTab(browser, watch, 'bob');
    await bob.page.goto(url(`/?token=${encodeURIComponent(tokens.bob!)}&app=default`));
    await bob.page.locator('.conn-pill[data-state=open]').waitFor();
    assert.equal(await bob.page.getByTestId('me-name').textContent(), 'Bob Stone');
    assert.ok(!bob.page.url().includes('token='), 'the token is removed from the address bar');
  });

  test('two people chat: unread badge appears and clears, read receipt changes, typing and presence show', async () => {
    const a = alice.page;
    const b = bob.page;
    await a.getByRole('button', { name: 'New chat' }).click();
    await a.getByLabel('Search people to chat with').fill('bob');
    await a.locator('.pick-item', { hasText: 'Bob Stone' }).click();
    await send(a, 'Hi Bob 👋 are you there?');
    await bubble(a, 'Hi Bob').locator('.msg-meta[data-state=sent]').waitFor();
    await a.getByTestId('chat-presence').filter({ hasText: 'Online' }).waitFor();

    await badge(b, S_AB).filter({ hasText: '1' }).waitFor();
    await b.waitForFunction(() => document.title === '(1) Parley', null, { timeout: 10_000 });
    await convItem(b, S_AB).locator('.conv-name', { hasText: 'Alice Chen' }).waitFor();
    await shot(b, 'conversation-list.png');

    await convItem(b, S_AB).click();
    await bubble(b, 'Hi Bob').waitFor();
    await badge(b, S_AB).waitFor({ state: 'detached' });
    await b.waitForFunction(() => document.title === 'Parley', null, { timeout: 10_000 });
    await bubble(a, 'Hi Bob').locator('.msg-meta[data-state=read]').waitFor();

    await composer(b).pressSequentially('Yes! ', { delay: 20 });
    await a.getByTestId('typing').filter({ hasText: 'Bob Stone is typing' }).waitFor();
    await composer(b).press('Enter');
    await bubble(a, 'Yes!').waitFor();
    await send(a, 'Great — the docs are at https://example.com/parley/docs');
    await bubble(b, 'the docs are at').locator('.link-card').waitFor();
    await bubble(a, 'the docs are at').locator('.msg-meta[data-state=read]').waitFor();
  });

  test('images and files are uploaded and shown on the other side', async () => {
    await alice.page.getByTestId('image-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: makePng(320, 200) });
    const img = bob.page.locator('.msg-row .image-btn img').last();
    await img.waitFor();
    await bob.page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 320, await img.elementHandle(), { timeout: 10_000 });
    await alice.page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('meeting notes\n') });
    await bob.page.locator('.file-card', { hasText: 'notes.txt' }).waitFor();
    await img.click();
    await bob.page.getByRole('dialog', { name: 'Image' }).waitFor();
    await bob.page.keyboard.press('Escape');
    await bob.page.getByRole('dialog').waitFor({ state: 'detached' });
  });

  test('a quote-reply shows the quoted message', async () => {
    const row = bubble(bob.page, 'Great — the docs');
    await row.hover();
    await row.getByRole('button', { name: 'Reply' }).click();
    await send(bob.page, 'Thanks, reading them now');
    await bubble(alice.page, 'Thanks, reading them now').locator('.quote', { hasText: 'Great — the docs' }).waitFor();
    await alice.page.locator('.msg-row .image-btn img').last().evaluate((img: HTMLImageElement) => img.decode());
    await shot(alice.page, 'chat.png');
  });

  test('a refresh keeps the session and the history', async () => {
    await bob.page.reload();
    await bob.page.locator('.conn-pill[data-state=open]').waitFor();
    await convItem(bob.page, S_AB).click();
    await bubble(bob.page, 'Hi Bob').waitFor();
    await bubble(bob.page, 'Thanks, reading them now').waitFor();
    await bob.page.locator('.file-card', { hasText: 'notes.txt' }).waitFor();
  });

  test('a recalled message is replaced on the other side', async () => {
    await send(alice.page, 'oops, wrong chat 🙈');
    const mine = bubble(alice.page, 'oops, wrong chat');
    await mine.locator('.msg-meta[data-state=read]').waitFor();
    await bubble(bob.page, 'oops, wrong chat').waitFor();
    await mine.hover();
    await mine.getByRole('button', { name: 'Message actions' }).click();
    await alice.page.getByRole('menuitem', { name: 'Recall' }).click();
    await bob.page.locator('.recalled-text', { hasText: 'Alice Chen recalled a message' }).waitFor();
    await bubble(bob.page, 'oops, wrong chat').waitFor({ state: 'detached' });
    await alice.page.locator('.recalled-text', { hasText: 'You recalled a message' }).waitFor();
  });

  test('messages sent while offline go out after reconnect, once and in order', async () => {
    const a = alice.page;
    await alice.ctx.setOffline(true);
    await a.locator('.conn-pill[data-state=offline]').waitFor();
    for (const n of [1, 2, 3]) await send(a, `offline message ${n}`);
    await bubble(a, 'offline message 3').locator('.msg-meta[data-state=sending]').waitFor();
    await shot(a, 'offline.png');
    await alice.ctx.setOffline(false);
    await a.locator('.conn-pill[data-state=open]').waitFor();
    await bubble(a, 'offline message 3').locator('.msg-meta[data-state=read]').waitFor();
    await bubble(bob.page, 'offline message 3').waitFor();
    const texts = await bob.page.locator('.msg-row .text').allTextContents();
    const offline = texts.filter((t) => t.startsWith('offline message'));
    assert.deepEqual(offline, ['offline message 1', 'offline message 2', 'offline message 3']);
  });

  test('group of three: create, @mention, read by N, the offline member sees everything on sign-in', async () => {
    const a = alice.page;
    await a.getByRole('button', { name: 'New group' }).click();
    const dlg = a.getByRole('dialog', { name: 'New group' });
    await dlg.getByLabel('Group name').fill('北极星 Project');
    await dlg.getByLabel('Notice').fill('Weekly sync on Mondays');
    const search = dlg.getByLabel('Search people to add');
    await search.fill('bob');
    await dlg.locator('.pick-item', { hasText: 'Bob Stone' }).click();
    await search.fill('carol');
    await dlg.locator('.pick-item', { hasText: '王小红' }).click();
    await dlg.getByRole('button', { name: /Create group/ }).click();
    await a.getByTestId('chat-title').filter({ hasText: '北极星 Project' }).waitFor();
    groupConv = (await a.locator('.conv-item.active').getAttribute('data-conv'))!;
    assert.match(groupConv, /^g:/);

    await composer(a).pressSequentially('@Bo');
    await a.getByRole('listbox', { name: 'Mention a member' }).getByRole('option', { name: /Bob Stone/ }).waitFor();
    await composer(a).press('Enter');
    await a.waitForFunction(() => (document.querySelector('.composer textarea') as HTMLTextAreaElement | null)?.value === '@Bob Stone ', null, { timeout: 10_000 });
    await composer(a).pressSequentially('欢迎加入北极星项目，我们周一开会');
    await composer(a).press('Enter');
    const welcome = bubble(a, '欢迎加入北极星项目');
    await welcome.locator('.mention', { hasText: '@Bob Stone' }).waitFor();

    const b = bob.page;
    await convItem(b, groupConv).locator('.mention-flag').waitFor();
    await convItem(b, groupConv).click();
    await bubble(b, '欢迎加入北极星项目').waitFor();
    await welcome.getByTestId('read-by').filter({ hasText: 'Read by 1' }).waitFor();
    await send(b, 'Got it 👍');
    await bubble(a, 'Got it').waitFor();

    carol = await newTab(browser, watch, 'carol');
    await signIn(carol.page, 'carol');
    const c = carol.page;
    await badge(c, groupConv).waitFor();
    await convItem(c, groupConv).click();
    await bubble(c, '欢迎加入北极星项目').waitFor();
    await bubble(c, 'Got it').waitFor();
    await c.locator('.notice-line', { hasText: 'created the group' }).waitFor();
    await welcome.getByTestId('read-by').filter({ hasText: 'Read by 2' }).waitFor();
    await send(c, '收到，周一见！');
    await bubble(a, '收到，周一见').waitFor();
    await shot(a, 'group.png');

    await welcome.getByTestId('read-by').click();
    const receipts = a.getByRole('dialog', { name: 'Read receipts' });
    await receipts.getByText('Bob Stone').waitFor();
    await receipts.getByText('王小红').waitFor();
    await a.keyboard.press('Escape');
  });

  test('group management: rename, notice, add and remove a member', async () => {
    const a = alice.page;
    await a.getByRole('button', { name: 'Group info' }).click();
    const dlg = a.getByRole('dialog', { name: 'Group info' });
    await dlg.getByTestId('group-notice').filter({ hasText: 'Weekly sync on Mondays' }).waitFor();
    await dlg.getByRole('button', { name: 'Rename' }).click();
    await dlg.locator('input[name=group_name]').fill('北极星 Team');
    await dlg.getByRole('button', { name: 'Save' }).click();
    await dlg.getByTestId('group-name').filter({ hasText: '北极星 Team' }).waitFor();
    await dlg.getByRole('button', { name: 'Add people' }).click();
    await dlg.getByLabel('Search people to add').fill('erin');
    await dlg.locator('.pick-item', { hasText: 'Erin Walsh' }).click();
    await dlg.getByRole('button', { name: /^Add/ }).click();
    await dlg.locator('.member', { hasText: 'Erin Walsh' }).waitFor();
    await shot(a, 'group-info.png');
    await dlg.getByRole('button', { name: 'Actions for Erin Walsh' }).click();
    await a.getByRole('menuitem', { name: 'Remove from group' }).click();
    await dlg.locator('.member', { hasText: 'Erin Walsh' }).waitFor({ state: 'detached' });
    await a.keyboard.press('Escape');
    await carol.page.getByTestId('chat-title').filter({ hasText: '北极星 Team' }).waitFor();
    await carol.page.locator('.notice-line', { hasText: 'renamed the group' }).waitFor();
  });

  test('a refused send fails with Retry and goes out when retried; delete for me', async () => {
    const a = alice.page;
    const b = bob.page;
    await convItem(a, groupConv).click();
    await convItem(b, groupConv).click();
    await a.getByRole('button', { name: 'Group info' }).click();
    const dlg = a.getByRole('dialog', { name: 'Group info' });
    const muteAll = dlg.getByLabel('Mute group (only admins can send)');
    await muteAll.check();
    await b.getByTestId('chat-presence').filter({ hasText: 'only admins can send' }).waitFor();
    await send(b, 'can anyone hear me?');
    const meta = bubble(b, 'can anyone hear me?').locator('.msg-meta');
    await meta.and(b.locator('[data-state=failed]')).waitFor();
    await muteAll.uncheck();
    await b.getByTestId('chat-presence').filter({ hasText: /^\d+ members$/ }).waitFor();
    await meta.getByRole('button', { name: 'Retry' }).click();
    await bubble(a, 'can anyone hear me?').waitFor();
    await a.keyboard.press('Escape');
    await a.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await bubble(b, 'can anyone hear me?').count(), 1);

    const row = bubble(b, 'Got it');
    await row.hover();
    await row.getByRole('button', { name: 'Message actions' }).click();
    await b.getByRole('menuitem', { name: 'Delete for me' }).click();
    await row.waitFor({ state: 'detached' });
    await b.reload();
    await convItem(b, groupConv).click();
    await bubble(b, 'can anyone hear me?').waitFor();
    assert.equal(await bubble(b, 'Got it').count(), 0, 'still gone after a refresh');
    assert.equal(await bubble(a, 'Got it').count(), 1, 'only for me');
  });

  test('pin and mute a conversation', async () => {
    const a = alice.page;
    await convItem(a, S_AB).click();
    await a.getByRole('button', { name: 'Conversation options' }).click();
    await a.getByRole('menuitem', { name: 'Pin to top' }).click();
    await convItem(a, S_AB).locator('.conv-flag[title=Pinned]').waitFor();
    assert.equal(await a.locator('.conv-item').first().getAttribute('data-conv'), S_AB, 'pinned first');
    await a.getByRole('button', { name: 'Conversation options' }).click();
    await a.getByRole('menuitem', { name: 'Mute notifications' }).click();
    await convItem(a, S_AB).locator('.conv-flag[title=Muted]').waitFor();
    // A muted conversation's unread is not in the tab title.
    await convItem(a, groupConv).click();
    await convItem(bob.page, S_AB).click();
    await send(bob.page, 'ping while muted');
    await badge(a, S_AB).filter({ hasText: '1' }).waitFor();
    assert.equal(await a.title(), 'Parley');
    // Keyboard: the options menu opens on Enter, arrows move, Escape closes it.
    await a.getByRole('button', { name: 'Conversation options' }).focus();
    await a.keyboard.press('Enter');
    await a.getByRole('menuitem', { name: 'Pin to top' }).waitFor();
    await a.keyboard.press('ArrowDown');
    assert.equal(await a.evaluate(() => document.activeElement?.textContent), 'Mute notifications');
    await a.keyboard.press('Escape');
    await a.getByRole('menu').waitFor({ state: 'detached' });
  });

  test('search finds a Chinese phrase and jumps to it', async () => {
    const a = alice.page;
    // Move away from the group so the jump has to open it.
    await convItem(a, S_AB).click();
    await a.getByRole('button', { name: 'Search messages' }).first().click();
    const dlg = a.getByRole('dialog', { name: 'Search messages' });
    await dlg.getByLabel('Search messages').fill('北极星项目');
    const hit = dlg.getByTestId('search-hit').filter({ hasText: '欢迎加入北极星项目' });
    await hit.waitFor();
    await shot(a, 'search.png');
    await hit.click();
    await a.getByTestId('chat-title').filter({ hasText: '北极星 Team' }).waitFor();
    await a.locator('.msg-row.flash', { hasText: '欢迎加入北极星项目' }).waitFor();
  });

  test('older history loads on scrolling up', async () => {
    const erin = tokens.erin!;
    for (let i = 1; i <= 90; i++) {
      const res = await fetch(url('/v1/messages'), {
        method: 'POST',
        headers: { authorization: `Bearer ${erin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cmid: `hist-${i}`, conv_type: 'single', to: 'carol', type: 'text', content: { text: `history line ${i}` } }),
      });
      assert.equal(res.status, 200);
    }
    const c = carol.page;
    await convItem(c, 's:carol:erin').click();
    await exactBubble(c, 'history line 90').waitFor();
    assert.equal(await exactBubble(c, 'history line 1').count(), 0, 'only the latest page at first');
    for (let i = 0; i < 6 && (await exactBubble(c, 'history line 1').count()) === 0; i++) {
      await c.getByTestId('messages').evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
      await c.waitForTimeout(400);
    }
    await exactBubble(c, 'history line 1').waitFor();
    await c.locator('.history-start').waitFor();
    const texts = (await c.locator('.msg-row .text').allTextContents()).filter((t) => t.startsWith('history line'));
    assert.equal(texts.length, 90, 'each message once');
    assert.equal(texts[0], 'history line 1');
  });

  test('phone width and keyboard only', async () => {
    const phone = await newTab(browser, watch, 'bob-phone', { width: 390, height: 780 });
    // Bob's session moves to the phone: the desktop tab is told it was replaced.
    await phone.page.goto(url(`/?token=${encodeURIComponent(tokens.bob!)}`));
    const p = phone.page;
    await convItem(alice.page, S_AB).click();
    await p.locator('.conn-pill[data-state=open]').waitFor();
    await bob.page.locator('.banner', { hasText: 'opened in another tab' }).waitFor();
    await convItem(p, S_AB).waitFor();
    await shot(p, 'phone-list.png');
    // Keyboard: focus the conversation, open it with Enter, type, send with Enter.
    await convItem(p, S_AB).focus();
    await p.keyboard.press('Enter');
    await composer(p).waitFor();
    await p.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Message', null, { timeout: 10_000 });
    await p.keyboard.type('Sent from my phone, keyboard only');
    await p.keyboard.press('Enter');
    await bubble(alice.page, 'Sent from my phone, keyboard only').waitFor();
    await shot(p, 'phone-chat.png');
    await p.getByRole('button', { name: 'Back to conversations' }).click();
    await convItem(p, S_AB).waitFor();
    // Dialogs close with Escape and give focus back.
    await p.getByRole('button', { name: 'New chat' }).focus();
    await p.keyboard.press('Enter');
    await p.getByRole('dialog', { name: 'New chat' }).waitFor();
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await p.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'New chat');
    await phone.ctx.close();
  });

  test('leave a group', async () => {
    const c = carol.page;
    await convItem(c, groupConv).click();
    await c.getByRole('button', { name: 'Group info' }).click();
    const dlg = c.getByRole('dialog', { name: 'Group info' });
    await dlg.getByRole('button', { name: 'Leave group' }).click();
    await dlg.getByRole('button', { name: 'Leave', exact: true }).click();
    await convItem(c, groupConv).waitFor({ state: 'detached' });
    await convItem(alice.page, groupConv).click();
    await alice.page.locator('.notice-line', { hasText: '王小红 left the group' }).waitFor();
  });

  test('sign out returns to the sign-in form', async () => {
    await carol.page.getByRole('button', { name: 'Sign out' }).click();
    await carol.page.getByLabel('User ID').waitFor();
    await carol.page.reload();
    await carol.page.getByLabel('User ID').waitFor();
  });

  test('no console errors in any page', () => {
    assert.deepEqual(watch.errors, []);
  });
});
