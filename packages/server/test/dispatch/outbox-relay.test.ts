import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { EventBus, ParleyEvent } from '../../src/bus/event-bus.js';
import { AfterCommit } from '../../src/dispatch/after-commit.js';
import { EventPublisher } from '../../src/dispatch/event-publisher.js';
import { GroupCommitter } from '../../src/dispatch/group-commit.js';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/dispatch/outbox-relay.js';
import { Pusher } from '../../src/dispatch/pusher.js';
import { MemoryLocation } from '../../src/location/memory-location.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { StoredMessage } from '../../src/store/store.js';
import type { DispatchSide } from '../../src/transport/transport.js';

const log = pino({ level: 'silent' });

/** A bus that records what it took and refuses events while `refuse` says so. */
class RecordingBus implements EventBus {
  readonly published: ParleyEvent[] = [];
  refuse: (e: ParleyEvent) => boolean = () => false;
  async publish(e: ParleyEvent): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.refuse(e)) throw new Error('bus refused');
    this.published.push(e);
  }
  async subscribe(): Promise<() => Promise<void>> {
    return async () => {};
  }
  async close(): Promise<void> {}
}

const side: DispatchSide = { down() {}, onUp() {}, onLinkGone() {}, onLinkHeartbeat() {}, close: async () => {} };

let n = 0;
const msg = (app: string, conv: string, seq: number, at: number): StoredMessage => ({
  app_id: app, conv_id: conv, seq, msg_id: `m-${app}-${++n}`, sender: 'u1', cmid: `c${n}`, type: 'text',
  content: { text: `${conv}#${seq}` }, status: 'normal', created_at: at,
});

describe('OutboxRelay', () => {
  let store: SqliteStore;
  let app = 0;
  before(async () => {
    store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
  });
  after(() => store.close());

  /** The clock is a number the test moves; no timer is started (sweeps are called directly). */
  const rig = (options: Partial<OutboxRelayOptions> = {}) => {
    const bus = new RecordingBus();
    const metrics = new Metrics();
    const publisher = new EventPublisher(bus, log, metrics);
    const clock = { now: 0 };
    const relay = new OutboxRelay({ store, publisher, clock: () => clock.now, log, metrics, options: { ageMs: 1000, ...options } });
    return { bus, publisher, relay, clock, metrics, app: `app${++app}` };
  };
  const pendingOf = async (appId: string) =>
    (await store.pendingEvents({ olderThan: Number.MAX_SAFE_INTEGER, limit: 1000 })).filter((m) => m.app_id === appId);

  it('re-publishes what a dead process committed, only once older than ageMs, per conversation in seq order, and marks it', async () => {
    const { bus, relay, clock, metrics, app: a } = rig();
    // committed and acked by a process that died before publishing
    await store.commitMessages([msg(a, 's:u1:u2', 2, 100), msg(a, 's:u1:u2', 1, 100), msg(a, 's:u1:u3', 1, 200)]);
    clock.now = 1150;
    assert.equal(await relay.sweep(), 2, 'only rows older than ageMs (the one created at 200 is still young)');
    clock.now = 5000;
    assert.equal(await relay.sweep(), 3, 'an unmarked row is published again until marked');
    await relay.flushMarks();
    assert.deepEqual(await pendingOf(a), []);
    assert.equal(await relay.sweep(), 0);
    const ofApp = bus.published.filter((e) => e.app_id === a);
    assert.equal(ofApp.length, 5);
    assert.ok(ofApp.every((e) => e.type === 'message.created'));
    const seqsOf = (conv: string) => ofApp.map((e) => (e.data.message as { conv_id: string; seq: number })).filter((m) => m.conv_id === conv).map((m) => m.seq);
    assert.deepEqual(seqsOf('s:u1:u2'), [1, 2, 1, 2], 'seq order within the conversation, each sweep');
    assert.ok(ofApp.every((e) => e.id.startsWith(`m-${a}-`)), 'the event id is the message id');
    assert.equal((await metrics.registry.getSingleMetric('parley_outbox_republished_total')?.get())?.values[0]?.value, 5);
  });

  it('an event the bus refused stays in the outbox and goes out on a later sweep', async () => {
    const { bus, relay, clock, app: a } = rig();
    await store.commitMessages([1, 2, 3].map((s) => msg(a, 's:u1:u2', s, 0)));
    clock.now = 2000;
    bus.refuse = (e) => (e.data.message as { seq: number }).seq === 2;
    assert.equal(await relay.sweep(), 3);
    await relay.flushMarks();
    assert.deepEqual((await pendingOf(a)).map((m) => m.seq), [2]);
    bus.refuse = () => false;
    await relay.sweep();
    await relay.flushMarks();
    assert.deepEqual(await pendingOf(a), []);
    assert.deepEqual(bus.published.filter((e) => e.app_id === a).map((e) => (e.data.message as { seq: number }).seq), [1, 3, 2]);
  });

  it('a sweep pages through the outbox and stops at maxPerSweep; the next sweep goes on', async () => {
    const { bus, relay, clock, app: a } = rig({ batch: 2, maxPerSweep: 3 });
    // other apps' rows may be pending too: the bound is over the whole store, so count only growth
    await store.commitMessages([1, 2, 3, 4, 5].map((s) => msg(a, 's:u1:u2', s, 0)));
    clock.now = 2000;
    const before = (await store.pendingEvents({ olderThan: 2000 - 1000, limit: 10_000 })).length;
    assert.equal(await relay.sweep(), Math.min(3, before));
    await relay.flushMarks();
    for (let i = 0; i < 20 && (await pendingOf(a)).length; i++) {
      await relay.sweep();
      await relay.flushMarks();
    }
    assert.deepEqual(await pendingOf(a), []);
    assert.deepEqual(bus.published.filter((e) => e.app_id === a).map((e) => (e.data.message as { seq: number }).seq), [1, 2, 3, 4, 5]);
  });

  it('the after-commit step marks what it published, so a sweep re-publishes nothing', async () => {
    const { bus, publisher, relay, clock, app: a } = rig();
    const location = new MemoryLocation();
    const afterCommit = new AfterCommit({ location, pusher: new Pusher(side, location), publisher, outbox: relay, log });
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 10 }, undefined, log, (items) => afterCommit.run(items));
    const outcomes = await Promise.all([1, 2, 3].map((s) => committer.enqueue(msg(a, 's:u1:u2', s, 0), { recipients: ['u2'] })));
    assert.deepEqual(outcomes, [{ status: 'stored' }, { status: 'stored' }, { status: 'stored' }]);
    await publisher.flush();
    await relay.flushMarks();
    assert.deepEqual(await pendingOf(a), []);
    clock.now = 10_000;
    await relay.sweep();
    assert.equal(bus.published.filter((e) => e.app_id === a).length, 3, 'published once each');
    await relay.close();
    relay.published({ app_id: a, conv_id: 's:u1:u2', seq: 9 }); // after close: ignored, nothing scheduled
  });
});
