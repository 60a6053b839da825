import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { EventBus, ParleyEvent } from '../../src/bus/event-bus.js';
import { AfterCommit } from '../../src/dispatch/after-commit.js';
import { EventPublisher } from '../../src/dispatch/event-publisher.js';
import { GroupCommitter } from '../../src/dispatch/group-commit.js';
import { Pusher } from '../../src/dispatch/pusher.js';
import { MemoryLocation } from '../../src/location/memory-location.js';
import { Metrics } from '../../src/metrics.js';
import type { CommitResult, Store, StoredMessage } from '../../src/store/store.js';
import type { DispatchSide, Downstream } from '../../src/transport/transport.js';

const log = pino({ level: 'silent' });

/** A promise that settles after a random number of turns of the event loop (0–5): latency without wall-clock. */
function jitter(): Promise<void> {
  let n = Math.floor(Math.random() * 6);
  return new Promise((resolve) => {
    const step = () => (n-- <= 0 ? resolve() : setImmediate(step));
    step();
  });
}

/** A location whose lookups answer after random delays, counting them. */
class SlowLocation extends MemoryLocation {
  lookups: string[][] = [];
  override async lookup(appId: string, userIds: readonly string[]) {
    this.lookups.push([...userIds]);
    await jitter();
    return super.lookup(appId, userIds);
  }
}

/** A bus that answers after random delays and refuses the events `fail` names. */
class SlowBus implements EventBus {
  readonly published: ParleyEvent[] = [];
  constructor(private readonly fail: (e: ParleyEvent) => boolean = () => false) {}
  async publish(e: ParleyEvent): Promise<void> {
    await jitter();
    if (this.fail(e)) throw new Error('bus refused');
    this.published.push(e);
  }
  async subscribe(): Promise<() => Promise<void>> { return async () => {}; }
  async close(): Promise<void> {}
}

/** Just enough store for the committer: commits after random delays; `conflict` picks messages to report as seq conflicts. */
function fakeStore(conflict: (m: StoredMessage) => boolean = () => false): Store & { stored: StoredMessage[] } {
  const stored: StoredMessage[] = [];
  return {
    stored,
    async commitMessages(batch: StoredMessage[]): Promise<CommitResult & { conflicts: StoredMessage[] }> {
      await jitter();
      const conflicts = batch.filter(conflict);
      stored.push(...batch.filter((m) => !conflicts.includes(m)));
      return { duplicates: [], conflicts, not_members: [] };
    },
  } as unknown as Store & { stored: StoredMessage[] };
}

function recordingSide(): DispatchSide & { downs: Downstream[] } {
  const downs: Downstream[] = [];
  return { downs, down: (m) => downs.push(m), onUp() {}, onLinkGone() {}, onLinkHeartbeat() {}, close: async () => {} };
}

let n = 0;
function msg(conv: string, seq: number): StoredMessage {
  n++;
  return { app_id: 'a', conv_id: conv, seq, msg_id: `m${n}`, sender: 'u0', cmid: `c${n}`, type: 'text', content: { text: `${conv}#${seq}` }, status: 'normal', created_at: 1 };
}

async function rig(opts: { conflict?: (m: StoredMessage) => boolean; failEvent?: (e: ParleyEvent) => boolean } = {}) {
  const location = new SlowLocation();
  for (const u of ['u1', 'u2', 'u3']) {
    await location.register({ app_id: 'a', user_id: u, conn_id: `${u}-c`, link_id: u === 'u3' ? 'L2' : 'L1', platform: 'web', connected_at: 1 }, 'unlimited');
  }
  const side = recordingSide();
  const bus = new SlowBus(opts.failEvent);
  const metrics = new Metrics({ defaultMetrics: false });
  const publisher = new EventPublisher(bus, log, metrics);
  const after = new AfterCommit({ location, pusher: new Pusher(side, location), publisher, log, metrics });
  const store = fakeStore(opts.conflict);
  const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 7 }, metrics, log, (b) => after.run(b));
  return { location, side, bus, metrics, publisher, committer, store };
}

/** seqs of the pushes each connection got, per conversation */
function pushedSeqs(downs: Downstream[], conv: string): number[] {
  return downs.filter((d) => d.kind === 'push' && d.conn_ids.includes('u1-c'))
    .map((d) => JSON.parse(d.payload).msg).filter((m) => m.conv_id === conv).map((m) => m.seq);
}

describe('after-commit ordering', () => {
  it('pushes and publishes in seq order per conversation whatever the latency of location, bus and store; one lookup per batch', async () => {
    const r = await rig();
    const convs = ['g:a', 'g:b', 'g:c'];
    const all: Promise<unknown>[] = [];
    const N = 60;
    for (let seq = 1; seq <= N; seq++) {
      for (const c of convs) all.push(r.committer.enqueue(msg(c, seq), { recipients: ['u1', 'u2', 'u3'], exceptConn: 'u2-c' }));
      if (seq % 5 === 0) await jitter(); // several batches, of varying size
    }
    const outcomes = await Promise.all(all);
    assert.ok(outcomes.every((o) => (o as { status: string }).status === 'stored'));
    await r.committer.flush();
    await r.publisher.flush();
    for (const c of convs) {
      const want = Array.from({ length: N }, (_, i) => i + 1);
      assert.deepEqual(pushedSeqs(r.side.downs, c), want, `pushes of ${c} in seq order`);
      const events = r.bus.published.filter((e) => (e.data.message as { conv_id: string }).conv_id === c).map((e) => (e.data.message as { seq: number }).seq);
      assert.deepEqual(events, want, `events of ${c} in seq order`);
    }
    // One lookup per committed batch, for the union of its recipients; never one per message.
    const batches = (await r.metrics.commitBatchSize.get()).values.find((v) => v.metricName?.endsWith('_count'))!.value;
    assert.equal(r.location.lookups.length, batches);
    assert.ok(r.location.lookups.length < N * convs.length / 2, `${r.location.lookups.length} lookups for ${N * convs.length} messages`);
    assert.ok(r.location.lookups.every((l) => l.length === 3));
    // The sending connection is skipped; the other link gets its own push.
    assert.ok(r.side.downs.every((d) => d.kind === 'push' && !d.conn_ids.includes('u2-c')));
    assert.ok(r.side.downs.some((d) => d.kind === 'push' && d.link_id === 'L2'));
  });

  it('a refused publish is logged and counted, never unhandled, and does not hold up later events', async () => {
    const r = await rig({ failEvent: (e) => (e.data.message as { seq: number }).seq === 2 });
    const acks = [1, 2, 3].map((seq) => r.committer.enqueue(msg('g:f', seq), { recipients: ['u1'] }));
    await Promise.all(acks);
    await r.committer.flush();
    await r.publisher.flush();
    assert.deepEqual(r.bus.published.map((e) => (e.data.message as { seq: number }).seq), [1, 3]);
    const failed = (await r.metrics.eventPublishFailures.get()).values;
    assert.deepEqual(failed.map((v) => [v.labels.type, v.value]), [['message.created', 1]]);
    assert.deepEqual(pushedSeqs(r.side.downs, 'g:f'), [1, 2, 3], 'pushes do not depend on the bus');
  });

  it('a failed lookup leaves the batch committed and acked, unpushed, counted', async () => {
    const r = await rig();
    r.location.lookup = async () => { throw new Error('location down'); };
    const out = await r.committer.enqueue(msg('g:l', 1), { recipients: ['u1'] });
    assert.equal(out.status, 'stored');
    await r.publisher.flush();
    assert.equal(r.side.downs.length, 0);
    assert.equal(r.bus.published.length, 1, 'the event still goes out');
    assert.equal((await r.metrics.deliveryFailures.get()).values[0]!.value, 1);
  });

  it('messages the store reports as seq conflicts resolve as conflicts and are neither pushed nor published', async () => {
    const r = await rig({ conflict: (m) => m.seq === 2 });
    const outs = await Promise.all([1, 2, 3].map((seq) => r.committer.enqueue(msg('g:k', seq), { recipients: ['u1'] })));
    assert.deepEqual(outs.map((o) => o.status), ['stored', 'conflict', 'stored']);
    await r.publisher.flush();
    assert.deepEqual(pushedSeqs(r.side.downs, 'g:k'), [1, 3]);
    assert.deepEqual(r.store.stored.map((m) => m.seq), [1, 3]);
  });
});
