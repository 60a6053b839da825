import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES } from '@parley/protocol';
import { ClientClosedError, ConnectionLostError, KickedError } from '../src/node.js';
import { setup } from './helpers/setup.js';
import type { TestContext } from 'node:test';
import type { ParleyClient } from '../src/node.js';
import { collect, nextEvent, sleep, waitFor, within } from './helpers/wait.js';

// Taken before any test mocks timers: waits on real time while the code under test runs on virtual time.
const realSetTimeout = globalThis.setTimeout;

/** Poll on real time (mocked timers never fire by themselves); bounded generously for a loaded machine. */
async function waitReal(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => realSetTimeout(r, 2));
  }
}

/**
 * The delays of every setTimeout armed from now on (over the mock), until
 * `restore` — call it before `t.mock.timers.reset()`, which puts the real one back.
 */
function recordTimers(t: TestContext): { armed: number[]; restore(): void } {
  const armed: number[] = [];
  const mocked = globalThis.setTimeout;
  const wrapper = ((fn: () => void, ms?: number, ...args: unknown[]) => {
    armed.push(ms ?? 0);
    return mocked(fn, ms, ...args);
  }) as typeof setTimeout;
  globalThis.setTimeout = wrapper;
  const restore = () => {
    if (globalThis.setTimeout === wrapper) globalThis.setTimeout = mocked;
  };
  t.after(restore);
  return { armed, restore };
}

/** A request answered by the fake server: every frame sent before it has been handled, every frame before the answer received. */
async function roundTrip(client: ParleyClient): Promise<void> {
  await client.conversations();
}

test('reconnects with growing backoff after the server drops the socket (mocked timers)', async (t) => {
  // Only setTimeout is mocked: sockets and the waits of this test run on real time, the backoff on virtual time.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { armed, restore } = recordTimers(t);
  let virtual = 0;
  const tick = (ms: number) => {
    virtual += ms; // timers due fire inside tick(), at the new virtual time
    t.mock.timers.tick(ms);
  };
  const attemptsAt: number[] = [];
  // The token getter runs synchronously when an attempt starts: it timestamps each attempt in virtual time.
  const token = () => {
    attemptsAt.push(virtual);
    return 'tok:alice';
  };
  const reconnect = { minMs: 40, maxMs: 1000, factor: 2, jitter: 0 };
  const { server, client } = await setup(t, { reconnect, token });
  await within(client.connect(), 'connect');
  const states = collect(client, 'state');
  server.refuse = true;
  attemptsAt.length = 0;
  armed.length = 0;
  server.dropAll();
  const refused = 3;
  for (let i = 0; i <= refused; i++) {
    const delay = 40 * 2 ** i;
    // The previous attempt failed (or the drop was seen) and the next one is scheduled: exactly after `delay`.
    await waitReal(() => armed.includes(delay), `reconnect ${i} scheduled`);
    if (i === refused) server.refuse = false;
    const before = attemptsAt.length;
    tick(delay - 1);
    assert.equal(attemptsAt.length, before, `attempt ${i} not before ${delay} ms`);
    tick(1);
    assert.equal(attemptsAt.length, before + 1, `attempt ${i} at ${delay} ms`);
  }
  assert.deepEqual(attemptsAt, [40, 120, 280, 600], 'gaps 40, 80, 160, 320 ms: exponential from the floor');
  await waitReal(() => client.state === 'open' && server.open().length === 1, 'reconnected');
  assert.equal(states[0]!.state, 'reconnecting');
  assert.ok(states[0]!.error instanceof ConnectionLostError);
  assert.equal(states.at(-1)!.state, 'open');
  // The backoff resets after a success: the next drop reconnects after minMs again.
  armed.length = 0;
  attemptsAt.length = 0;
  server.dropAll();
  await waitReal(() => armed.includes(40), 'reconnect scheduled at the floor again');
  assert.ok(!armed.includes(80));
  tick(40);
  assert.equal(attemptsAt.length, 1);
  await waitReal(() => client.state === 'open' && server.open().length === 1, 'reconnected again');
  restore();
  t.mock.timers.reset();
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

test('heartbeat: pings on an interval and declares a silent server dead, then reconnects (mocked timers)', async (t) => {
  // The heartbeat's interval and clock are virtual; the reconnect backoff (setTimeout) stays real.
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const { server, client } = await setup(t, { heartbeatMs: 40 });
  await within(client.connect(), 'connect');
  t.mock.timers.tick(40);
  await roundTrip(client); // the ping arrived before this request, its pong before the answer
  assert.equal(server.framesOf('ping').length, 1);
  const first = server.open()[0]!;
  first.silent = true; // socket stays open, nothing comes back
  const lost = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
  t.mock.timers.tick(40); // 40 ms of silence: still alive, pings again
  assert.equal(client.state, 'open');
  t.mock.timers.tick(39);
  assert.equal(client.state, 'open', 'not dead before two intervals of silence');
  t.mock.timers.tick(1); // 80 ms since the last frame: dead
  assert.equal(client.state, 'reconnecting');
  const ev = await within(lost, 'dead link detected');
  assert.match(ev.error!.message, /heartbeat/);
  await waitReal(() => client.state === 'open' && server.open().filter((c) => !c.silent).length === 1, 'reconnected');
  assert.ok(first.index < server.open().at(-1)!.index);
  t.mock.timers.reset();
});

test('the default heartbeat is half the server heartbeat_ms (mocked timers)', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const { server, client } = await setup(t);
  server.heartbeatMs = 60; // pings every 30 ms
  await within(client.connect(), 'connect');
  for (let k = 1; k <= 4; k++) {
    t.mock.timers.tick(29);
    await roundTrip(client);
    assert.equal(server.framesOf('ping').length, k - 1, `no ping ${k} before ${30 * k} ms`);
    t.mock.timers.tick(1);
    await roundTrip(client);
    assert.equal(server.framesOf('ping').length, k, `ping ${k} at ${30 * k} ms`);
  }
  t.mock.timers.reset();
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
