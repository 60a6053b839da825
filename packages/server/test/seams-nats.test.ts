import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { runBusContract, runGroupBusContract } from './contract/bus-contract.js';
import { NatsEventBus, type NatsEventBusOptions } from '../src/bus/nats-event-bus.js';
import type { ParleyEvent } from '../src/bus/event-bus.js';
import { OwnNatsServer } from './helpers/nats-engine.js';
import { WebhookSender } from '../src/services/webhook-sender.js';
import type { AppService } from '../src/services/app-service.js';
import { pino } from 'pino';

// The NATS JetStream event bus against the bus contract, on the machine's NATS with a
// random stream name and subject prefix per test (the stream is deleted afterwards).
const NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? '127.0.0.1:4222';

interface TestStream {
  options: NatsEventBusOptions;
  connect(): Promise<NatsConnection>;
  bus(extra?: NatsEventBusOptions): Promise<NatsEventBus>;
  messages(): Promise<number>;
  cleanup(): Promise<void>;
}

async function testStream(): Promise<TestStream> {
  const tag = randomBytes(5).toString('hex');
  const options: NatsEventBusOptions = { stream: `PARLEY_TEST_${tag}`, subjectPrefix: `parleytest_${tag}`, maxAgeMs: 3_600_000 };
  const conns: NatsConnection[] = [];
  const buses: NatsEventBus[] = [];
  const open = async () => {
    const nc = await connect({ servers: NATS_URL });
    conns.push(nc);
    return nc;
  };
  return {
    options,
    connect: open,
    async bus(extra = {}) {
      const b = await NatsEventBus.start(await open(), { ...options, ...extra });
      buses.push(b);
      return b;
    },
    async messages() {
      const jsm = await jetstreamManager(conns[0] ?? (await open()));
      return (await jsm.streams.info(options.stream!)).state.messages;
    },
    async cleanup() {
      for (const b of buses) await b.close();
      const jsm = await jetstreamManager(conns[0] ?? (await open()));
      await jsm.streams.delete(options.stream!).catch(() => {});
      for (const nc of conns) await nc.close();
    },
  };
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const event = (app: string, id: string, i = 0): ParleyEvent => ({ id, type: 'message.created', app_id: app, at: 1_700_000_000_000, data: { i } });

runBusContract('nats jetstream', async () => {
  const s = await testStream();
  return { bus: await s.bus({ retryDelayMs: 50 }), cleanup: () => s.cleanup() };
});

runGroupBusContract('nats jetstream, two connections', async () => {
  const s = await testStream();
  return { a: await s.bus(), b: await s.bus(), cleanup: () => s.cleanup() };
});

describe('NatsEventBus: what a durable stream adds', () => {
  it('an event published twice with the same id is stored and delivered once', async () => {
    const s = await testStream();
    try {
      const bus = await s.bus();
      const got: string[] = [];
      await bus.subscribe('app.1', (e) => void got.push(e.id), { group: 'dedup' });
      await bus.publish(event('app.1', 'evt-1'));
      await bus.publish(event('app.1', 'evt-1')); // a retry, or an outbox re-sent after a crash
      await bus.publish(event('app.1', 'evt-2'));
      await until('the later event', () => got.includes('evt-2'));
      assert.equal(await s.messages(), 2);
      assert.deepEqual(got, ['evt-1', 'evt-2']);
    } finally {
      await s.cleanup();
    }
  });

  it('events published while a group\'s only subscriber is down are delivered when one comes back', async () => {
    const s = await testStream();
    try {
      const first = await s.bus();
      const before: string[] = [];
      const off = await first.subscribe('app2', (e) => void before.push(e.id), { group: 'hooks' });
      await first.publish(event('app2', 'e0'));
      await until('e0', () => before.includes('e0'));
      await off(); // the api process stops
      await first.close();
      const publisher = await s.bus();
      for (let i = 1; i <= 10; i++) await publisher.publish(event('app2', `e${i}`, i));
      const later = await s.bus(); // another api process (or the same one restarted)
      const after: string[] = [];
      await later.subscribe('app2', (e) => void after.push(e.id), { group: 'hooks' });
      await until('the ten events', () => after.length >= 10);
      assert.deepEqual(after, Array.from({ length: 10 }, (_, i) => `e${i + 1}`), 'in order, and e0 (acked) is not redelivered');
    } finally {
      await s.cleanup();
    }
  });

  it('a handler slower than the ack wait keeps its event: it is not redelivered meanwhile', async () => {
    const s = await testStream();
    try {
      const bus = await s.bus({ ackWaitMs: 2000 }); // progress every second: a margin for a loaded machine
      const calls: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      await bus.subscribe('app4', async (e) => {
        calls.push(e.id);
        if (e.id === 'slow') await held;
      }, { group: 'slow' });
      await bus.publish(event('app4', 'slow'));
      await until('the slow event', () => calls.includes('slow'));
      // More than two ack waits pass while the handler works.
      await new Promise((r) => setTimeout(r, 5000));
      release();
      await bus.publish(event('app4', 'next'));
      await until('the next event', () => calls.includes('next'));
      assert.deepEqual(calls, ['slow', 'next'], 'delivered once');
    } finally {
      await s.cleanup();
    }
  });

  it('a failing handler gets the event again, up to maxDeliver deliveries, then it is reported and dropped', async () => {
    const s = await testStream();
    try {
      const reports: { id?: string; final: boolean }[] = [];
      const bus = await s.bus({
        maxDeliver: 3, retryDelayMs: 20,
        onHandlerError: (_err, e, final) => void reports.push({ id: e?.id, final }),
      });
      const calls = new Map<string, number>();
      await bus.subscribe('app3', (e) => {
        const n = (calls.get(e.id) ?? 0) + 1;
        calls.set(e.id, n);
        if (e.id === 'always' || n < 2) throw new Error('webhook endpoint down');
      }, { group: 'retry' });
      await bus.publish(event('app3', 'flaky'));
      await bus.publish(event('app3', 'always'));
      await until('the final report', () => reports.some((r) => r.id === 'always' && r.final));
      await bus.publish(event('app3', 'marker'));
      await until('the marker', () => calls.has('marker'));
      assert.equal(calls.get('flaky'), 2, 'redelivered once, then handled');
      assert.equal(calls.get('always'), 3, 'delivered maxDeliver times, no more');
      assert.deepEqual(reports.filter((r) => r.id === 'always').map((r) => r.final), [false, false, true]);
    } finally {
      await s.cleanup();
    }
  });
});

describe('webhooks across api processes (NATS JetStream)', () => {
  it('two api processes\' webhook senders, each on its own connection, POST every event once between them', async () => {
    const s = await testStream();
    const posts = new Map<string, number>();
    const by = [0, 0];
    const app = { app_id: 'hookapp', webhook_secret: 'secret', settings: { webhook_url: 'http://127.0.0.1:9/hook' } };
    const apps = { get: async () => app } as unknown as AppService;
    const senders: WebhookSender[] = [];
    try {
      for (const i of [0, 1]) {
        const post = (async (_url: string | URL | Request, init?: RequestInit) => {
          const id = (JSON.parse(String(init!.body)) as ParleyEvent).id;
          posts.set(id, (posts.get(id) ?? 0) + 1);
          by[i]!++;
          await new Promise((r) => setTimeout(r, 2)); // an endpoint takes a moment
          return new Response(null, { status: 204 });
        }) as typeof fetch;
        const w = new WebhookSender(await s.bus(), apps, pino({ level: 'silent' }), { timeoutMs: 5000, retryDelaysMs: [], maxInFlight: 1000 }, post);
        await w.start();
        senders.push(w);
      }
      const publisher = await s.bus();
      const N = 100;
      for (let i = 0; i < N; i++) await publisher.publish(event('hookapp', `hook-${i}`, i));
      await until('every event POSTed', () => posts.size === N);
      // A last event: once it is POSTed, anything delivered before it has been counted.
      await publisher.publish(event('hookapp', 'hook-last'));
      await until('the last event POSTed', () => posts.has('hook-last'));
      assert.deepEqual([...posts.entries()].filter(([, n]) => n !== 1), [], 'each event POSTed exactly once across both processes');
      assert.equal(by[0]! + by[1]!, N + 1);
      assert.ok(by[0]! > 0 && by[1]! > 0, `both processes sent a share (${by[0]} + ${by[1]})`);
    } finally {
      for (const w of senders) await w.stop();
      await s.cleanup();
    }
  });
});

describe('NatsEventBus across a NATS restart (private nats-server)', () => {
  it('the stream keeps every acked event and a group\'s consumer continues where it was', async () => {
    const server = await OwnNatsServer.start();
    // Unlimited reconnects with a short wait: the server comes back on the same port.
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      const bus = await NatsEventBus.start(nc, { stream: 'RESTART', subjectPrefix: 'restart' });
      const got: string[] = [];
      await bus.subscribe('app', (e) => void got.push(e.id), { group: 'hooks' });
      for (let i = 0; i < 5; i++) await bus.publish(event('app', `before-${i}`, i));
      await until('the first five', () => got.length >= 5);
      await server.stop(); // kill -9
      await server.start();
      // Publishing fails while the client has not reconnected yet; a caller (the outbox) retries.
      for (let i = 0; i < 5; i++) {
        const e = event('app', `after-${i}`, i);
        await until(`publish of ${e.id}`, () => bus.publish(e).then(() => true, () => false));
      }
      await until('the five after the restart', () => got.filter((id) => id.startsWith('after-')).length >= 5);
      const jsm = await jetstreamManager(nc);
      assert.equal((await jsm.streams.info('RESTART')).state.messages, 10, 'every acked event is in the stream, once');
      assert.deepEqual([...new Set(got)].sort(), [...Array.from({ length: 5 }, (_, i) => `after-${i}`), ...Array.from({ length: 5 }, (_, i) => `before-${i}`)]);
      await bus.close();
    } finally {
      await nc.close();
      await server.destroy();
    }
  });
});
