import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '@parley/protocol';
import { ClientClosedError, ConnectionLostError, KickedError } from '../src/node.js';
import { setup } from './helpers/setup.js';
import { collect, nextEvent, sleep, waitFor, within } from './helpers/wait.js';

test('reconnects with growing backoff after the server drops the socket', async (t) => {
  const reconnect = { minMs: 40, maxMs: 1000, factor: 2, jitter: 0 };
  const { server, client } = await setup(t, { reconnect });
  await within(client.connect(), 'connect');
  const states = collect(client, 'state');
  const attempts: number[] = [];
  const refused = 3;
  const orig = server.connectionAttempts;
  // Refuse the first attempts, then let one through; record when each attempt came.
  const timer = setInterval(() => {
    while (attempts.length < server.connectionAttempts - orig) attempts.push(Date.now());
    if (server.connectionAttempts - orig >= refused) server.refuse = false;
  }, 1);
  t.after(() => clearInterval(timer));
  server.refuse = true;
  const droppedAt = Date.now();
  server.dropAll();
  await waitFor(() => server.connectionAttempts - orig > refused && client.state === 'open' && server.open().length === 1, 'reconnected', 5000);
  clearInterval(timer);
  while (attempts.length < server.connectionAttempts - orig) attempts.push(Date.now());
  assert.equal(attempts.length, refused + 1);
  const gaps = [attempts[0]! - droppedAt, ...attempts.slice(1).map((a, i) => a - attempts[i]!)];
  // 40, 80, 160, 320 ms (± timer slack): exponential, never faster than the floor
  gaps.forEach((g, i) => assert.ok(g >= 40 * 2 ** i - 5, `gap ${i} was ${g} ms, expected ≥ ${40 * 2 ** i}`));
  assert.ok(gaps[3]! > gaps[0]! * 4, `backoff grows: ${gaps.join(', ')}`);
  assert.equal(states[0]!.state, 'reconnecting');
  assert.ok(states[0]!.error instanceof ConnectionLostError);
  assert.equal(states.at(-1)!.state, 'open');
  // backoff resets after a success: the next drop reconnects after minMs again
  const again = Date.now();
  const before = server.connectionAttempts;
  server.dropAll();
  await waitFor(() => server.connectionAttempts > before && client.state === 'open' && server.open().length === 1, 'reconnected again');
  assert.ok(Date.now() - again < 300);
});

test('connect() keeps trying while the server is unreachable, then resolves', async (t) => {
  const { server, client } = await setup(t);
  server.refuse = true;
  const connecting = client.connect();
  await waitFor(() => server.connectionAttempts >= 2, 'retries');
  assert.equal(client.state, 'reconnecting');
  server.refuse = false;
  await within(connecting, 'connect');
  assert.equal(client.state, 'open');
});

test('reconnect: false gives up after the first loss', async (t) => {
  const { server, client } = await setup(t, { reconnect: false });
  await within(client.connect(), 'connect');
  const closed = nextEvent(client, 'state', (s) => s.state === 'closed');
  server.dropAll();
  assert.ok((await closed).error instanceof ConnectionLostError);
  await sleep(100);
  assert.equal(server.connectionAttempts, 1);
});

test('kicked: emits the reason, closes, rejects pending sends and never reconnects', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  server.withholdAcks = true;
  const pending = client.sendText('bob', 'never acked');
  await waitFor(() => server.sends().length === 1, 'send');
  const kicked = nextEvent(client, 'kicked');
  for (const c of server.open()) {
    c.send({ op: 'kicked', reason: 'replaced' });
    c.close(CLOSE_CODES.kicked, 'kicked');
  }
  assert.deepEqual(await kicked, { reason: 'replaced' });
  await assert.rejects(pending, (e: unknown) => e instanceof KickedError && !e.retryable);
  assert.equal(client.state, 'closed');
  await sleep(200);
  assert.equal(server.connectionAttempts, 1);
});

test('close code 4002 without a kicked frame also stops reconnecting', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const kicked = nextEvent(client, 'kicked');
  for (const c of server.open()) c.close(CLOSE_CODES.kicked, 'kicked');
  assert.deepEqual(await kicked, { reason: 'unknown' });
  await waitFor(() => client.state === 'closed', 'closed');
  await sleep(150);
  assert.equal(server.connectionAttempts, 1);
});

test('heartbeat: pings on an interval and declares a silent server dead, then reconnects', async (t) => {
  const { server, client } = await setup(t, { heartbeatMs: 40 });
  await within(client.connect(), 'connect');
  await waitFor(() => server.framesOf('ping').length >= 2, 'pings');
  const first = server.open()[0]!;
  const lost = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
  const silencedAt = Date.now();
  first.silent = true; // socket stays open, nothing comes back
  const ev = await within(lost, 'dead link detected', 2000);
  const took = Date.now() - silencedAt;
  assert.match(ev.error!.message, /heartbeat/);
  assert.ok(took >= 40 && took < 400, `detected after ${took} ms`);
  await waitFor(() => client.state === 'open' && server.open().filter((c) => !c.silent).length === 1, 'reconnected');
  assert.ok(first.index < server.open().at(-1)!.index);
});

test('the default heartbeat is half the server heartbeat_ms', async (t) => {
  const { server, client } = await setup(t);
  server.heartbeatMs = 60; // pings every 30 ms
  await within(client.connect(), 'connect');
  await sleep(200);
  const pings = server.framesOf('ping').length;
  assert.ok(pings >= 4 && pings <= 8, `${pings} pings in 200 ms`);
});

test('close() while reconnecting stops the loop and rejects queued sends', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  server.refuse = true;
  server.dropAll();
  await waitFor(() => client.state === 'reconnecting', 'reconnecting');
  const queued = client.sendText('bob', 'queued');
  await within(client.close(), 'close');
  await assert.rejects(queued, ClientClosedError);
  const attempts = server.connectionAttempts;
  await sleep(150);
  assert.equal(server.connectionAttempts, attempts);
  await assert.rejects(client.sendText('bob', 'after close'), ClientClosedError);
});
