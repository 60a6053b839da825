import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyError } from '@parley/protocol';
import { ConnectionLostError, RequestTimeoutError, type ClientState } from '../src/node.js';
import { setup } from './helpers/setup.js';
import { collect, nextEvent, sleep, waitFor, within } from './helpers/wait.js';

test('connect authenticates and reports the session', async (t) => {
  const { server, client } = await setup(t, { platform: 'desktop', device_id: 'dev-1' });
  const states = collect(client, 'state');
  assert.equal(client.state, 'idle');
  await within(client.connect(), 'connect');
  assert.equal(client.state, 'open');
  assert.equal(client.userId, 'alice');
  assert.equal(client.appId, 'app1');
  assert.deepEqual(states.map((s) => s.state), ['connecting', 'open']);
  const auth = server.framesOf('auth')[0]!;
  assert.equal(auth.token, 'tok:alice');
  assert.equal(auth.platform, 'desktop');
  assert.equal(auth.device_id, 'dev-1');
  assert.equal(typeof auth.id, 'number');
  // a second connect() while open is a no-op
  await within(client.connect(), 'connect again');
  assert.equal(server.connectionAttempts, 1);
});

test('a token function is asked again on every connect', async (t) => {
  let calls = 0;
  const { server, client } = await setup(t, { token: async () => `tok:user${++calls}` });
  await within(client.connect(), 'connect');
  assert.equal(client.userId, 'user1');
  server.dropAll();
  await waitFor(() => calls === 2 && client.state === 'open' && server.open().length === 1, 'reconnect');
  assert.equal(client.userId, 'user2');
});

test('auth failure rejects connect() and does not reconnect', async (t) => {
  const { server, client } = await setup(t, { token: 'wrong' });
  const states = collect(client, 'state');
  const err = await within(client.connect().then(() => null, (e: unknown) => e), 'connect');
  assert.ok(err instanceof ParleyError);
  assert.equal(err.code, 'token_invalid');
  assert.equal(err.retryable, false);
  assert.equal(client.state, 'closed');
  await sleep(300); // several backoff periods
  assert.equal(server.connectionAttempts, 1);
  assert.deepEqual(states.map((s) => s.state), ['connecting', 'closed']);
});

test('replies are matched to requests by id, even out of order', async (t) => {
  const { server, client } = await setup(t);
  // Answer the first request last.
  server.handlers.presence = async (f) => {
    const ids = f.user_ids as string[];
    await sleep(ids[0] === 'slow' ? 80 : 5);
    return { data: { users: ids.map((user_id) => ({ user_id, online: true, platforms: ['web'] })) } };
  };
  await within(client.connect(), 'connect');
  const [slow, fast] = await within(Promise.all([client.presence(['slow']), client.presence(['fast'])]), 'presence');
  assert.equal(slow.users[0]!.user_id, 'slow');
  assert.equal(fast.users[0]!.user_id, 'fast');
  const ids = server.framesOf('presence').map((f) => f.id as number);
  assert.equal(new Set(ids).size, 2);
  assert.ok(ids[1]! > ids[0]!, 'ids increase');
});

test('error replies reject with a ParleyError carrying code, message and retryable', async (t) => {
  const { server, client } = await setup(t);
  server.handlers.receipts = () => ({ error: 'not_member', message: 'no such member here' });
  server.handlers.search = () => ({ error: 'rate_limited' });
  await within(client.connect(), 'connect');
  await assert.rejects(client.receipts('g:team', 3), (e: unknown) =>
    e instanceof ParleyError && e.code === 'not_member' && e.message === 'no such member here' && !e.retryable);
  await assert.rejects(client.search('hi'), (e: unknown) => e instanceof ParleyError && e.code === 'rate_limited' && e.retryable);
  // the connection stays usable
  const r = await within(client.markRead('g:team', 3), 'read');
  assert.equal(r.read_seq, 3);
});

test('a request with no answer times out with a retryable error', async (t) => {
  const { server, client } = await setup(t, { requestTimeoutMs: 100 });
  server.handlers.search = () => undefined;
  await within(client.connect(), 'connect');
  const started = Date.now();
  await assert.rejects(client.search('anything'), (e: unknown) => e instanceof RequestTimeoutError && e.retryable && e.code === 'unavailable');
  assert.ok(Date.now() - started >= 90);
  // a per-call timeout wins over the default
  await assert.rejects(client.request('search', { q: 'x' }, { timeoutMs: 30 }), RequestTimeoutError);
});

test('requests while not connected reject at once with a retryable error', async (t) => {
  const { client } = await setup(t);
  await assert.rejects(client.conversations(), (e: unknown) => e instanceof ConnectionLostError && e.retryable);
});

test('an error frame without id is emitted as an error event', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const ev = nextEvent(client, 'error');
  server.push({ op: 'error', code: 'rate_limited', message: 'slow down', retryable: true });
  const err = await ev;
  assert.ok(err instanceof ParleyError && err.code === 'rate_limited');
});

test('pushes other than messages become typed events; a throwing handler does not break the client', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  client.on('typing', () => {
    throw new Error('app bug');
  });
  const appErr = nextEvent(client, 'error');
  const typing = nextEvent(client, 'typing');
  const read = nextEvent(client, 'read');
  const presence = nextEvent(client, 'presence');
  const conv = nextEvent(client, 'conv');
  server.push({ op: 'typing', conv_id: 's:alice:bob', user_id: 'bob' });
  server.push({ op: 'read', conv_id: 's:alice:bob', user_id: 'bob', seq: 4 });
  server.push({ op: 'presence', user_id: 'bob', online: true, platforms: ['ios'] });
  server.push({ op: 'conv', conv_id: 's:alice:bob', pinned: true, muted: false, hidden: false });
  assert.deepEqual(await typing, { conv_id: 's:alice:bob', user_id: 'bob' });
  assert.equal((await appErr).message, 'app bug');
  assert.deepEqual(await read, { conv_id: 's:alice:bob', user_id: 'bob', seq: 4 });
  assert.deepEqual(await presence, { user_id: 'bob', online: true, platforms: ['ios'] });
  assert.equal((await conv).pinned, true);
  client.typing('s:alice:bob');
  await waitFor(() => server.framesOf('typing').length === 1, 'typing frame');
  assert.equal(server.framesOf('typing')[0]!.id, undefined);
});

test('close() is deliberate: state closed, no reconnect, unsubscribe works', async (t) => {
  const { server, client } = await setup(t);
  const seen: ClientState[] = [];
  const off = client.on('state', (s) => seen.push(s.state));
  await within(client.connect(), 'connect');
  off();
  await within(client.close(), 'close');
  assert.equal(client.state, 'closed');
  await sleep(150);
  assert.equal(server.connectionAttempts, 1);
  assert.deepEqual(seen, ['connecting', 'open']);
});
