import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { DispatchSide, Downstream, LinkSide, Upstream } from '../../src/transport/transport.js';
import { session, waitUntil } from './transport-contract.js';

/**
 * The lifecycle part of the transport contract, for transports that run
 * several dispatchers (in-process now, TCP later): sessions spread over the
 * live dispatchers and stay with theirs; a dispatcher that goes away makes
 * its links re-open exactly its sessions elsewhere; a link that goes away is
 * reported to every dispatcher; links heartbeat to every dispatcher.
 */
export interface LifecycleHarness {
  /** attach one more dispatcher; resolves once it can receive */
  dispatcher(): Promise<DispatchSide>;
  link(linkId: string): Promise<LinkSide>;
  /** make every link heartbeat now (or soon: the contract waits for it) */
  heartbeat(): void;
  close(): Promise<void>;
}

const W = 20_000;

function record(side: DispatchSide) {
  const up: Upstream[] = [];
  const gone: string[] = [];
  const beats: string[] = [];
  side.onUp((m) => up.push(m));
  side.onLinkGone((l) => gone.push(l));
  side.onLinkHeartbeat((l) => beats.push(l));
  return { side, up, gone, beats };
}

const ids = (d: { up: Upstream[] }) => [...new Set(d.up.map((m) => m.session.conn_id))].sort();

export function runTransportLifecycleContract(name: string, factory: () => Promise<LifecycleHarness>): void {
  describe(`transport lifecycle contract: ${name}`, () => {
    let h: LifecycleHarness | undefined;
    const open = async () => (h = await factory());
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('spreads new sessions over the live dispatchers; each session stays on one, in order', async () => {
      const t = await open();
      const d1 = record(await t.dispatcher());
      const d2 = record(await t.dispatcher());
      const a = await t.link('A');
      const b = await t.link('B');
      const conns = [[a, 'a1'], [b, 'b1'], [a, 'a2'], [b, 'b2']] as const;
      for (const [l, id] of conns) l.up({ kind: 'open', session: session(l.linkId, id) });
      for (let i = 0; i < 20; i++) {
        for (const [l, id] of conns) l.up({ kind: 'frame', session: session(l.linkId, id), frame: { op: 'read', id: i, conv_id: 'g:x', seq: i } });
      }
      for (const [l, id] of conns) l.up({ kind: 'close', session: session(l.linkId, id) });
      await waitUntil(() => d1.up.length + d2.up.length === 4 * 22, 'every upstream message', W);
      assert.ok(ids(d1).length > 0 && ids(d2).length > 0, `both dispatchers get sessions (${ids(d1)} / ${ids(d2)})`);
      assert.deepEqual([...ids(d1), ...ids(d2)].sort(), ['a1', 'a2', 'b1', 'b2'], 'each session on exactly one dispatcher');
      for (const d of [d1, d2]) {
        for (const id of ids(d)) {
          const mine = d.up.filter((m) => m.session.conn_id === id);
          assert.deepEqual(mine.map((m) => m.kind), ['open', ...Array<string>(20).fill('frame'), 'close']);
          assert.deepEqual(mine.filter((m) => m.kind === 'frame').map((m) => (m.kind === 'frame' && m.frame.op === 'read' ? m.frame.seq : -1)), Array.from({ length: 20 }, (_, i) => i));
        }
      }
    });

    it('any dispatcher pushes to any link', async () => {
      const t = await open();
      const d1 = await t.dispatcher();
      const d2 = await t.dispatcher();
      const a = await t.link('A');
      const got: Downstream[] = [];
      a.onDown((m) => got.push(m));
      d1.down({ kind: 'push', link_id: 'A', conn_ids: ['x'], payload: '1' });
      d2.down({ kind: 'push', link_id: 'A', conn_ids: ['y'], payload: '2' });
      await waitUntil(() => got.length === 2, 'both pushes', W);
      assert.deepEqual(got.map((m) => m.payload).sort(), ['1', '2']);
    });

    it('a dispatcher that goes away: its links hear exactly its sessions, after what it sent; re-opens land elsewhere', async () => {
      const t = await open();
      const d1 = record(await t.dispatcher());
      const d2 = record(await t.dispatcher());
      const a = await t.link('A');
      const b = await t.link('B');
      const lost = new Map<string, string[]>();
      const events: string[] = [];
      for (const l of [a, b]) {
        l.onSessionsLost((connIds) => {
          lost.set(l.linkId, [...(lost.get(l.linkId) ?? []), ...connIds]);
          events.push(`lost:${l.linkId}`);
        });
        l.onDown((m) => events.push(`down:${m.payload}`));
      }
      for (const [l, id] of [[a, 'a1'], [a, 'a2'], [b, 'b1'], [b, 'b2']] as const) l.up({ kind: 'open', session: session(l.linkId, id) });
      await waitUntil(() => d1.up.length + d2.up.length === 4, 'the opens', W);
      const [gone, stays] = ids(d1).length ? [d1, d2] : [d2, d1];
      const held = ids(gone);
      const onA = held.filter((id) => id.startsWith('a'));
      if (onA.length) gone.side.down({ kind: 'send', link_id: 'A', conn_id: onA[0]!, payload: 'last words' });
      await gone.side.close();
      const want = new Map<string, string[]>();
      for (const id of held) {
        const link = id.startsWith('a') ? 'A' : 'B';
        want.set(link, [...(want.get(link) ?? []), id]);
      }
      await waitUntil(() => [...want].every(([l, w]) => (lost.get(l) ?? []).length === w.length), 'sessions lost', W);
      for (const [l, w] of want) assert.deepEqual([...lost.get(l)!].sort(), w.sort(), `link ${l} lost exactly the gone dispatcher's sessions`);
      if (onA.length) assert.ok(events.indexOf('down:last words') < events.indexOf('lost:A'), 'reported after what it sent');
      // Re-open one: it lands on the remaining dispatcher, and its frames follow it.
      const back = held[0]!;
      const l = back.startsWith('a') ? a : b;
      const before = stays.up.length;
      l.up({ kind: 'open', session: session(l.linkId, back) });
      l.up({ kind: 'frame', session: session(l.linkId, back), frame: { op: 'read', id: 9, conv_id: 'g:x', seq: 9 } });
      await waitUntil(() => stays.up.length === before + 2, 'the re-open and its frame', W);
      assert.deepEqual(stays.up.slice(before).map((m) => [m.kind, m.session.conn_id]), [['open', back], ['frame', back]]);
    });

    it('a link that goes away is reported to every dispatcher after what it sent', async () => {
      const t = await open();
      const d1 = record(await t.dispatcher());
      const d2 = record(await t.dispatcher());
      const a = await t.link('A');
      const order: string[][] = [[], []];
      [d1, d2].forEach((d, i) => {
        d.side.onUp((m) => order[i]!.push(`${m.kind}:${m.session.conn_id}`));
        d.side.onLinkGone((l) => order[i]!.push(`gone:${l}`));
      });
      a.up({ kind: 'open', session: session('A', 'a1') });
      a.up({ kind: 'close', session: session('A', 'a1') });
      await a.close();
      await waitUntil(() => d1.gone.length === 1 && d2.gone.length === 1, 'link gone on both', W);
      const holder = order.find((o) => o.includes('open:a1'))!;
      assert.deepEqual(holder, ['open:a1', 'close:a1', 'gone:A']);
      assert.deepEqual([d1.gone, d2.gone], [['A'], ['A']]);
    });

    it('every link heartbeats to every dispatcher', async () => {
      const t = await open();
      const d1 = record(await t.dispatcher());
      const d2 = record(await t.dispatcher());
      await t.link('A');
      await t.link('B');
      t.heartbeat();
      const both = (beats: string[]) => beats.includes('A') && beats.includes('B');
      await waitUntil(() => both(d1.beats) && both(d2.beats), 'a beat from each link on each dispatcher', W);
    });
  });
}
