import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { groupConvId, singleConvId } from '@parley/protocol';
import { ErrorBody, History, responses } from '../../src/api/schemas.js';
import { asText, convTypeOf, toWire, toWireJson } from '../../src/services/message-view.js';
import type { StoredMessage } from '../../src/store/store.js';
import { startApi, type ApiHarness } from './helpers.js';

/**
 * The history reply splices each message's stored content JSON into the
 * answer instead of parsing and re-serialising it (MessageBox.historyJson).
 * These check it against the path it replaced — box.history's object through
 * fastify's schema serializer — byte for byte, over every field a message can
 * carry: mentions, reply_to, edited_at, recalled, notices, unicode, escapes.
 */
describe('history reply with stored content spliced in', () => {
  let h: ApiHarness;
  let t: Record<string, string>;
  let groupConv: string;
  const single = singleConvId('alice', 'bob');

  /** The old HTTP path: the HistoryResult object serialised by the route's response schema. */
  let oldPath: ReturnType<typeof Fastify>;
  const oldBytes = async (user: string, conv: string, query = ''): Promise<string> => {
    const res = await oldPath.inject({ method: 'GET', url: `/old/${encodeURIComponent(conv)}?user=${user}${query}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.body;
  };
  const newBytes = async (user: string, conv: string, query = ''): Promise<string> => {
    const res = await h.as(t[user]!, 'GET', `/v1/conversations/${encodeURIComponent(conv)}/messages?x=1${query}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    return res.text;
  };
  /** server_time is read per request; everything else must match exactly */
  const sameTime = (s: string) => s.replace(/"server_time":\d+/, '"server_time":0');

  const send = async (token: string, body: Record<string, unknown>) => {
    const r = await h.as(token, 'POST', '/v1/messages', { cmid: `c${Math.random()}`, ...body });
    assert.equal(r.status, 200, r.text);
    return r.body as { seq: number };
  };

  before(async () => {
    h = await startApi();
    t = await h.users('alice', 'bob', 'carol');
    const text = (s: string) => ({ type: 'text', content: { text: s } });
    // unicode of every width, escapes JSON must write, a cmid with quotes
    const first = await send(t.alice!, { conv_type: 'single', to: 'bob', ...text('你好, wörld 👋🏽 "quoted" \\ back\nnew\tline \u0001 \u2028 end') });
    await send(t.bob!, { conv_type: 'single', to: 'alice', ...text('reply'), reply_to: first.seq, cmid: 'we"ird\\cmid' });
    await send(t.alice!, { conv_type: 'single', to: 'bob', type: 'custom', content: { data: { n: 1.5e-7, big: 1e21, neg: -0, list: [1, 'two', null, true], '2': 'int key', z: {} } } });
    const gone = await send(t.bob!, { conv_type: 'single', to: 'alice', ...text('to be recalled'), mentions: ['alice'] });
    assert.equal((await h.as(t.bob!, 'POST', `/v1/conversations/${single}/messages/${gone.seq}/recall`)).status, 200);
    // a stored edit (no edit op yet: written straight to the store)
    const store = h.core.backends.store;
    const edited: StoredMessage = {
      app_id: h.appId, conv_id: single, seq: await h.core.backends.seq.next(h.appId, single), msg_id: 'm-edited', sender: 'alice', cmid: 'edited-1',
      type: 'text', content: { text: 'edited ✏️' }, status: 'normal', created_at: h.now(), edited_at: h.now() + 5,
    };
    assert.deepEqual((await store.commitMessages([edited])).conflicts, []);

    const g = await h.admin('POST', '/v1/admin/groups', { owner: 'alice', name: 'team 团队', members: ['bob', 'carol'] });
    groupConv = groupConvId(g.group_id);
    await send(t.alice!, { conv_type: 'group', to: g.group_id, ...text('@bob @carol look'), mentions: ['bob', 'carol'] });
    await send(t.carol!, { conv_type: 'group', to: g.group_id, ...text('ok'), mentions: [] });

    oldPath = Fastify();
    oldPath.addSchema(ErrorBody);
    oldPath.get<{ Params: { conv: string }; Querystring: { user: string; before?: string; after?: string; limit?: string } }>('/old/:conv', {
      schema: { response: responses(200, History) },
    }, async (req) => {
      const n = (v?: string) => (v === undefined ? undefined : Number(v));
      return h.core.box.history(h.appId, req.query.user, req.params.conv, { before: n(req.query.before), after: n(req.query.after), limit: n(req.query.limit) });
    });
  });
  after(async () => {
    await oldPath?.close();
    await h?.close();
  });

  it('answers a single chat with the same bytes as the old path, both page directions', async () => {
    for (const q of ['', '&limit=2', '&before=3', '&after=0', '&after=2&limit=2', '&before=1']) {
      for (const user of ['alice', 'bob']) {
        const got = await newBytes(user, single, q);
        assert.equal(sameTime(got), sameTime(await oldBytes(user, single, q)), `${user} ${q}`);
      }
    }
    const page = JSON.parse(await newBytes('bob', single));
    const types = page.messages.map((m: any) => [m.type, m.status, 'reply_to' in m, 'edited_at' in m, 'mentions' in m]);
    assert.deepEqual(types, [
      ['text', 'normal', false, true, false],
      ['notice', 'normal', false, false, false],
      ['text', 'recalled', false, false, false],
      ['custom', 'normal', false, false, false],
      ['text', 'normal', true, false, false],
      ['text', 'normal', false, false, false],
    ], 'the page covers edits, notices, recalls (content and mentions dropped), custom content and replies');
    assert.equal(page.messages[2].content, null);
    assert.equal(page.messages[5].content.text, '你好, wörld 👋🏽 "quoted" \\ back\nnew\tline \u0001 \u2028 end');
    assert.equal(page.messages[4].cmid, 'we"ird\\cmid');
  });

  it('answers a group with mentions, a join notice and an empty mention list the same way', async () => {
    for (const user of ['alice', 'carol']) assert.equal(sameTime(await newBytes(user, groupConv)), sameTime(await oldBytes(user, groupConv)));
    const page = JSON.parse(await newBytes('carol', groupConv));
    assert.deepEqual(page.messages[1].mentions, ['bob', 'carol']);
    assert.equal('mentions' in page.messages[0], false, 'an empty mention list is left out, as toWire does');
    assert.equal(page.messages.at(-1).type, 'notice');
  });

  it('holds the same fields as the WebSocket answer (box.history), and the documented errors', async () => {
    const http = JSON.parse(await newBytes('bob', single));
    const ws = await h.core.box.history(h.appId, 'bob', single, {});
    assert.deepEqual({ ...http, server_time: 0 }, { ...ws, server_time: 0 });
    const outsider = await h.as(t.carol!, 'GET', `/v1/conversations/${single}/messages`);
    assert.deepEqual([outsider.status, outsider.body.error.code], [403, 'not_member']);
    const bad = await h.as(t.bob!, 'GET', `/v1/conversations/${single}/messages?limit=0`);
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_field']);
  });

  it('toWireJson is JSON.stringify of toWire, byte for byte, for every stored message', async () => {
    const rows = [
      ...(await h.core.backends.store.history({ app_id: h.appId, conv_id: single, user_id: 'bob', limit: 100 })),
      ...(await h.core.backends.store.history({ app_id: h.appId, conv_id: groupConv, user_id: 'alice', limit: 100 })),
    ];
    assert.ok(rows.length >= 9);
    for (const m of rows) assert.equal(toWireJson(asText(m), convTypeOf(m.conv_id)), JSON.stringify(toWire(m)));
    // the store's own text form gives the same bytes as the parsed form
    const text = await h.core.backends.store.historyText?.({ app_id: h.appId, conv_id: single, user_id: 'bob', limit: 100 });
    if (text) {
      const parsed = await h.core.backends.store.history({ app_id: h.appId, conv_id: single, user_id: 'bob', limit: 100 });
      assert.deepEqual(text.map((m) => toWireJson(m, 'single')), parsed.map((m) => toWireJson(asText(m), 'single')));
    }
  });
});
