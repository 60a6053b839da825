import { describe, it, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  UDP_HEADER_BYTES, UDP_MAX_PAYLOAD_BYTES, UdpChannel, UdpType, decodeUdpDatagram, encodeUdpDatagram, randomConnId,
  type UdpChannelOptions, type UdpDatagram,
} from '../src/udp.js';

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pipe { drop: number; duplicate: number; reorder: number }

/**
 * Two channels joined by a simulated network on mocked time: each datagram
 * takes 1 ms (a reordered one 3 ms), and may be dropped or duplicated.
 */
function link(pipe: Pipe, opts: Partial<UdpChannelOptions> = {}, seed = 1) {
  const rnd = prng(seed);
  const got = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
  const events = { goneA: 0, goneB: 0, oversizeB: [] as number[], emittedA: 0 };
  const id = randomConnId();
  const carry = (to: () => UdpChannel) => (d: Uint8Array) => {
    if (rnd() < pipe.drop) return;
    const copies = rnd() < pipe.duplicate ? 2 : 1;
    const delay = rnd() < pipe.reorder ? 3 : 1;
    for (let i = 0; i < copies; i++) {
      setTimeout(() => {
        const parsed = decodeUdpDatagram(d);
        assert.equal(typeof parsed, 'object', 'the channel only emits well-formed datagrams');
        to().receive(parsed as UdpDatagram);
      }, delay);
    }
  };
  const a: UdpChannel = new UdpChannel(id, opts, {
    emit: (d) => {
      events.emittedA++;
      carry(() => b)(d);
    },
    deliver: (f) => got.a.push(f.slice()),
    oversize: () => undefined,
    gone: () => events.goneA++,
  });
  const b: UdpChannel = new UdpChannel(id, opts, {
    emit: carry(() => a),
    deliver: (f) => got.b.push(f.slice()),
    oversize: (n) => events.oversizeB.push(n),
    gone: () => events.goneB++,
  });
  return { a, b, got, events };
}

/**
 * Advance mocked time 1 ms at a time until `done`, at most `maxMs`. setImmediate stays
 * real (the channel defers its resend checks past pending I/O with it), so each step
 * lets those run before the next.
 */
async function runUntil(done: () => boolean, maxMs: number): Promise<number> {
  let t = 0;
  while (!done() && t < maxMs) {
    mock.timers.tick(1);
    await new Promise((r) => setImmediate(r));
    t++;
  }
  return t;
}

function frame(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  new DataView(f.buffer).setUint32(0, i);
  for (let k = 4; k < size; k++) f[k] = (i + k) & 0xff;
  return f;
}

describe('UDP datagram layout', () => {
  it('round-trips a header and says why garbage is garbage', () => {
    const connId = randomConnId();
    const bytes = encodeUdpDatagram({ type: UdpType.data, flags: 1, connId, packet: 7, ack: 0xfffffff0, ackBits: 0x80000001 }, new Uint8Array([9, 8]));
    assert.equal(bytes.length, UDP_HEADER_BYTES + 2);
    const d = decodeUdpDatagram(bytes) as UdpDatagram;
    assert.deepEqual({ ...d, payload: [...d.payload] }, { type: UdpType.data, flags: 1, connId, packet: 7, ack: 0xfffffff0, ackBits: 0x80000001, payload: [9, 8] });
    assert.equal(decodeUdpDatagram(bytes.subarray(0, 23)), 'short');
    const bad = (i: number, v: number) => {
      const c = bytes.slice();
      c[i] = v;
      return decodeUdpDatagram(c);
    };
    assert.equal(bad(0, 0x51), 'magic');
    assert.equal(bad(1, 0x23), 'version');
    assert.equal(bad(1, 0x1f), 'type');
    assert.equal(bad(2, 0x02), 'flags');
    assert.equal(bad(3, 0x01), 'flags');
    const unnumberedData = encodeUdpDatagram({ type: UdpType.data, flags: 0, connId, packet: 0, ack: 0, ackBits: 0 });
    assert.equal(decodeUdpDatagram(unnumberedData), 'flags');
    const numberedPing = encodeUdpDatagram({ type: UdpType.ping, flags: 0, connId, packet: 3, ack: 0, ackBits: 0 });
    assert.equal(decodeUdpDatagram(numberedPing), 'flags');
    assert.equal(encodeUdpDatagram({ type: UdpType.hello, flags: 0, connId, packet: 0, ack: 0, ackBits: 0 }, undefined, 1200).length, 1200);
  });
});

describe('UDP reliability channel (mocked time)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('delivers every frame once and in order both ways through 20% loss, duplicates and reordering', async () => {
    const { a, b, got, events } = link({ drop: 0.2, duplicate: 0.05, reorder: 0.1 }, { initialRtoMs: 20, minRtoMs: 10 }, 42);
    const N = 2000;
    const sizes = (i: number) => (i % 50 === 0 ? 3000 + i : 16 + (i % 300)); // every 50th is split in three or more
    for (let i = 0; i < N; i++) {
      a.send(frame(i, sizes(i)));
      b.send(frame(i, sizes(i) + 1));
    }
    const ms = await runUntil(() => got.a.length >= N && got.b.length >= N && a.drained && b.drained, 600_000);
    assert.ok(ms < 600_000, 'finished');
    await runUntil(() => false, 1000); // anything late (duplicates, stray resends) would show up now
    assert.equal(got.b.length, N);
    assert.equal(got.a.length, N);
    for (let i = 0; i < N; i++) {
      assert.deepEqual(got.b[i], frame(i, sizes(i)), `a→b frame ${i}`);
      assert.deepEqual(got.a[i], frame(i, sizes(i) + 1), `b→a frame ${i}`);
    }
    assert.ok(a.stats.resends > 0 && b.stats.resends > 0);
    assert.ok(a.stats.duplicatesDropped > 0 && b.stats.duplicatesDropped > 0);
    assert.ok(a.stats.reordered > 0);
    assert.equal(events.goneA + events.goneB, 0);
    assert.equal(a.bufferedBytes, 0);
  });

  it('never has more than `window` packets unacknowledged', () => {
    const { a, events } = link({ drop: 1, duplicate: 0, reorder: 0 }, { window: 8 });
    for (let i = 0; i < 20; i++) a.send(frame(i, 100));
    assert.equal(events.emittedA, 8);
    assert.equal(a.bufferedBytes, 2000);
  });

  it('declares the peer gone after maxResends timeouts with backoff', async () => {
    const { a, events } = link({ drop: 1, duplicate: 0, reorder: 0 }, { initialRtoMs: 100, maxRtoMs: 10_000, maxResends: 4 });
    a.send(frame(1, 10));
    // 100 + 200 + 400 + 800 + 1600 ms, then the last deadline passes
    await runUntil(() => false, 3000);
    assert.equal(events.goneA, 0, 'not before the backoff ran out');
    assert.equal(a.stats.resends, 4);
    await runUntil(() => false, 200);
    assert.equal(events.goneA, 1);
    await runUntil(() => false, 10_000);
    assert.equal(a.stats.resends, 4, 'nothing more once gone');
  });

  it('skips a frame over maxFrameBytes whole and goes on with the next', async () => {
    const { a, got, events } = link({ drop: 0, duplicate: 0, reorder: 0 }, { maxFrameBytes: 2 * UDP_MAX_PAYLOAD_BYTES });
    a.send(frame(1, 100));
    a.send(frame(2, 5 * UDP_MAX_PAYLOAD_BYTES));
    a.send(frame(3, 2 * UDP_MAX_PAYLOAD_BYTES));
    await runUntil(() => got.b.length === 2, 1000);
    assert.deepEqual(events.oversizeB, [5 * UDP_MAX_PAYLOAD_BYTES]);
    assert.deepEqual(got.b, [frame(1, 100), frame(3, 2 * UDP_MAX_PAYLOAD_BYTES)]);
  });

  it('ignores acks for packets never sent and data far beyond the window', async () => {
    const { a, b, got } = link({ drop: 0, duplicate: 0, reorder: 0 });
    a.send(frame(1, 10));
    a.receive({ type: UdpType.ack, flags: 0, connId: a.connId, packet: 0, ack: 1_000_000, ackBits: 0xffffffff, payload: new Uint8Array() });
    assert.equal(a.bufferedBytes, 10, 'a bogus ack acknowledges nothing');
    b.receive({ type: UdpType.data, flags: 0, connId: b.connId, packet: 5_000, ack: 0, ackBits: 0, payload: new Uint8Array([1]) });
    await runUntil(() => got.b.length === 1 && a.drained, 1000);
    assert.deepEqual(got.b, [frame(1, 10)]);
  });
});
