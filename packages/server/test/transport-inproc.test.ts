import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InProcTransport } from '../src/transport/inproc-transport.js';
import type { Downstream, Upstream } from '../src/transport/transport.js';
import { runTransportContract, session, waitUntil } from './contract/transport-contract.js';
import { runTransportLifecycleContract } from './contract/transport-lifecycle-contract.js';

const settle = (ms: number) => new Promise((r) => setImmediate(() => setImmediate(r, ms)));

runTransportContract('in-process', async () => {
  const t = new InProcTransport();
  const links: { close(): Promise<void> }[] = [];
  return {
    dispatch: t.dispatchSide,
    link: async (id) => {
      const l = t.linkSide(id);
      links.push(l);
      return l;
    },
    close: async () => {
      await Promise.all(links.map((l) => l.close()));
      await t.dispatchSide.close();
    },
  };
});

runTransportLifecycleContract('in-process', async () => {
  const t = new InProcTransport({ linkHeartbeatMs: 0 });
  const sides = [t.dispatchSide];
  const links: { close(): Promise<void> }[] = [];
  let first = true;
  return {
    dispatcher: async () => {
      if (first) {
        first = false;
        return t.dispatchSide;
      }
      const d = t.addDispatchSide();
      sides.push(d);
      return d;
    },
    link: async (id) => {
      const l = t.linkSide(id);
      links.push(l);
      return l;
    },
    heartbeat: () => t.heartbeatNow(),
    close: async () => {
      await Promise.all(links.map((l) => l.close()));
      await Promise.all(sides.map((d) => d.close()));
    },
  };
});

it('in-process: a throwing handler is reported and does not stop later messages', async () => {
  const errors: unknown[] = [];
  const t = new InProcTransport({ onHandlerError: (e) => errors.push(e) });
  const seen: string[] = [];
  t.dispatchSide.onUp((m) => {
    if (m.session.conn_id === 'bad') throw new Error('boom');
    seen.push(m.session.conn_id);
  });
  const a = t.linkSide('A');
  a.up({ kind: 'open', session: session('A', 'bad') });
  a.up({ kind: 'open', session: session('A', 'good') });
  await waitUntil(() => seen.length === 1, 'the second message');
  assert.deepEqual(seen, ['good']);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'boom');
});

it('in-process: a link id can be attached once at a time', async () => {
  const t = new InProcTransport();
  const a = t.linkSide('A');
  assert.throws(() => t.linkSide('A'), /already attached/);
  await a.close();
  const again = t.linkSide('A');
  await again.close();
});

describe('in-process: several dispatch sides', () => {
  const W = 20_000;

  function dispatcher(t: InProcTransport, side = t.addDispatchSide()) {
    const up: Upstream[] = [];
    const gone: string[] = [];
    const beats: string[] = [];
    side.onUp((m) => up.push(m));
    side.onLinkGone((l) => gone.push(l));
    side.onLinkHeartbeat((l) => beats.push(l));
    return { side, up, gone, beats };
  }

  it('assigns sessions strictly round-robin; a side that takes no sessions gets none but pushes', async () => {
    const t = new InProcTransport({ linkHeartbeatMs: 0 });
    const d1 = dispatcher(t, t.dispatchSide);
    const d2 = dispatcher(t);
    const api = dispatcher(t, t.addDispatchSide({ takesSessions: false }));
    const a = t.linkSide('A');
    const b = t.linkSide('B');
    for (const [l, id] of [[a, 'a1'], [b, 'b1'], [a, 'a2'], [b, 'b2']] as const) l.up({ kind: 'open', session: session(l.linkId, id) });
    for (let i = 0; i < 20; i++) {
      for (const [l, id] of [[a, 'a1'], [b, 'b1'], [a, 'a2'], [b, 'b2']] as const) {
        l.up({ kind: 'frame', session: session(l.linkId, id), frame: { op: 'read', id: i, conv_id: 'g:x', seq: i } });
      }
    }
    a.up({ kind: 'close', session: session('A', 'a1') });
    await waitUntil(() => d1.up.length + d2.up.length === 4 + 80 + 1, 'every upstream message', W);
    const conns = (d: typeof d1) => [...new Set(d.up.map((m) => m.session.conn_id))].sort();
    assert.deepEqual(conns(d1), ['a1', 'a2']);
    assert.deepEqual(conns(d2), ['b1', 'b2']);
    assert.equal(api.up.length, 0, 'a side that takes no sessions gets none');
    for (const d of [d1, d2]) {
      for (const id of conns(d)) {
        const mine = d.up.filter((m) => m.session.conn_id === id);
        assert.equal(mine[0]!.kind, 'open');
        const seqs = mine.filter((m) => m.kind === 'frame').map((m) => (m.kind === 'frame' && m.frame.op === 'read' ? m.frame.seq : -1));
        assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i));
      }
    }
    assert.equal(d1.up.at(-1)!.kind, 'close');
    // Any side pushes to any link.
    const gotB: Downstream[] = [];
    b.onDown((m) => gotB.push(m));
    api.side.down({ kind: 'push', link_id: 'B', conn_ids: ['b1'], payload: '{}' });
    await waitUntil(() => gotB.length === 1, 'a push from the api side', W);
  });

  it('an open that finds no dispatcher is reported lost once one appears', async () => {
    const t = new InProcTransport({ linkHeartbeatMs: 0 });
    await t.dispatchSide.close();
    const a = t.linkSide('A');
    const lost: string[][] = [];
    a.onSessionsLost((ids) => lost.push(ids));
    a.up({ kind: 'open', session: session('A', 'a1') });
    a.up({ kind: 'open', session: session('A', 'a2') });
    a.up({ kind: 'close', session: session('A', 'a2') });
    await settle(0); // delivered (parked) before a dispatcher exists
    const d = dispatcher(t);
    await waitUntil(() => lost.length === 1, 'the parked session reported', W);
    assert.deepEqual(lost, [['a1']]);
    assert.equal(d.up.length, 0);
  });

  it('links heartbeat upstream every linkHeartbeatMs (mocked timers) and on heartbeatNow()', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const tr = new InProcTransport({ linkHeartbeatMs: 1000 });
    const d1 = dispatcher(tr, tr.dispatchSide);
    const d2 = dispatcher(tr);
    const a = tr.linkSide('A');
    tr.linkSide('B');
    t.mock.timers.tick(999);
    await settle(0);
    assert.equal(d1.beats.length, 0);
    t.mock.timers.tick(1);
    await waitUntil(() => d1.beats.length === 2 && d2.beats.length === 2, 'one beat per link', W);
    assert.deepEqual(d1.beats.sort(), ['A', 'B']);
    await a.close();
    t.mock.timers.tick(1000);
    await waitUntil(() => d1.beats.length === 3, 'the next beat', W);
    assert.equal(d1.beats[2], 'B', 'a closed link beats no more');
    tr.heartbeatNow();
    await waitUntil(() => d2.beats.length === 4, 'an immediate beat', W);
  });
});
