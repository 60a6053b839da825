import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { DispatchSide, Downstream, LinkSide, SessionInfo, Upstream } from '../../src/transport/transport.js';

/**
 * The contract every link ↔ dispatch transport passes (in-process now, TCP
 * later): per-connection order upstream, per-link order downstream, pushes
 * reach the addressed link only, kicks arrive intact, closing is clean.
 */
export interface TransportHarness {
  /** a link side, resolved once messages can flow both ways */
  link(linkId: string): Promise<LinkSide>;
  dispatch: DispatchSide;
  /** release everything the harness opened */
  close(): Promise<void>;
}

export type TransportFactory = () => Promise<TransportHarness>;

const WAIT_MS = 3000;

/** Resolve when `pred` holds, polling; fail after `ms`. */
export async function waitUntil(pred: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Let a transport deliver whatever it would (used before asserting that something did NOT arrive). */
const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

export function session(linkId: string, connId: string, userId = 'u1'): SessionInfo {
  return { app_id: 'app', user_id: userId, conn_id: connId, link_id: linkId, platform: 'web', token_iat: 1_700_000_000_000, connected_at: Date.now() };
}

export function runTransportContract(name: string, factory: TransportFactory): void {
  describe(`transport contract: ${name}`, () => {
    let h: TransportHarness | undefined;
    const open = async () => (h = await factory());
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('delivers upstream asynchronously, each connection in order, from several links', async () => {
      const t = await open();
      const got: Upstream[] = [];
      t.dispatch.onUp((m) => got.push(m));
      const a = await t.link('A');
      const b = await t.link('B');
      const N = 300;
      a.up({ kind: 'open', session: session('A', 'a1') });
      b.up({ kind: 'open', session: session('B', 'b1') });
      for (let i = 0; i < N; i++) {
        a.up({ kind: 'frame', session: session('A', 'a1'), frame: { op: 'read', id: i, conv_id: 'g:x', seq: i } });
        b.up({ kind: 'frame', session: session('B', 'b1'), frame: { op: 'read', id: i, conv_id: 'g:y', seq: i } });
      }
      a.up({ kind: 'close', session: session('A', 'a1') });
      b.up({ kind: 'close', session: session('B', 'b1') });
      assert.equal(got.length, 0, 'up() must not call the handler synchronously');
      await waitUntil(() => got.length === 2 * N + 4, 'all upstream messages');
      for (const [conn, link] of [['a1', 'A'], ['b1', 'B']] as const) {
        const mine = got.filter((m) => m.session.conn_id === conn);
        assert.equal(mine[0].kind, 'open');
        assert.equal(mine.at(-1)!.kind, 'close');
        const seqs = mine.slice(1, -1).map((m) => (m.kind === 'frame' && m.frame.op === 'read' ? m.frame.seq : -1));
        assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i));
        assert.ok(mine.every((m) => m.session.link_id === link));
      }
    });

    it('delivers downstream to one link in the order sent', async () => {
      const t = await open();
      const a = await t.link('A');
      const got: Downstream[] = [];
      a.onDown((m) => got.push(m));
      const N = 300;
      for (let i = 0; i < N; i++) t.dispatch.down({ kind: 'send', link_id: 'A', conn_id: 'a1', payload: `{"n":${i}}` });
      assert.equal(got.length, 0, 'down() must not call the handler synchronously');
      await waitUntil(() => got.length === N, 'all downstream messages');
      assert.deepEqual(got.map((m) => m.payload), Array.from({ length: N }, (_, i) => `{"n":${i}}`));
      assert.ok(got.every((m) => m.kind === 'send' && m.conn_id === 'a1' && m.link_id === 'A'));
    });

    it('delivers a push to many connections to the addressed link only, once', async () => {
      const t = await open();
      const a = await t.link('A');
      const b = await t.link('B');
      const gotA: Downstream[] = [];
      const gotB: Downstream[] = [];
      a.onDown((m) => gotA.push(m));
      b.onDown((m) => gotB.push(m));
      const conns = Array.from({ length: 50 }, (_, i) => `a${i}`);
      t.dispatch.down({ kind: 'push', link_id: 'A', conn_ids: conns, payload: '{"op":"msg"}' });
      t.dispatch.down({ kind: 'push', link_id: 'B', conn_ids: ['b1', 'b2'], payload: '{"op":"typing"}' });
      await waitUntil(() => gotA.length === 1 && gotB.length === 1, 'one push per link');
      await settle();
      assert.equal(gotA.length, 1);
      assert.deepEqual(gotA[0], { kind: 'push', link_id: 'A', conn_ids: conns, payload: '{"op":"msg"}' });
      assert.equal(gotB.length, 1);
      assert.deepEqual(gotB[0], { kind: 'push', link_id: 'B', conn_ids: ['b1', 'b2'], payload: '{"op":"typing"}' });
    });

    it('delivers a kick with its payload; messages for an unknown link are dropped', async () => {
      const t = await open();
      const a = await t.link('A');
      const got: Downstream[] = [];
      a.onDown((m) => got.push(m));
      t.dispatch.down({ kind: 'send', link_id: 'nowhere', conn_id: 'x', payload: '{}' });
      t.dispatch.down({ kind: 'kick', link_id: 'A', conn_id: 'a1', payload: '{"op":"kicked","reason":"replaced"}' });
      await waitUntil(() => got.length === 1, 'the kick');
      await settle();
      assert.deepEqual(got, [{ kind: 'kick', link_id: 'A', conn_id: 'a1', payload: '{"op":"kicked","reason":"replaced"}' }]);
    });

    it('a link that closes still delivers what it sent before, and receives nothing after', async () => {
      const t = await open();
      const up: Upstream[] = [];
      t.dispatch.onUp((m) => up.push(m));
      const a = await t.link('A');
      const b = await t.link('B');
      const gotA: Downstream[] = [];
      const gotB: Downstream[] = [];
      a.onDown((m) => gotA.push(m));
      b.onDown((m) => gotB.push(m));
      a.up({ kind: 'open', session: session('A', 'a1') });
      a.up({ kind: 'open', session: session('A', 'a2') });
      a.up({ kind: 'close', session: session('A', 'a1') });
      a.up({ kind: 'close', session: session('A', 'a2') });
      await a.close();
      await waitUntil(() => up.length === 4, 'messages sent before link close');
      assert.deepEqual(up.map((m) => [m.kind, m.session.conn_id]), [['open', 'a1'], ['open', 'a2'], ['close', 'a1'], ['close', 'a2']]);
      // After closing: sending is a no-op, downstream to it is dropped, other links are unaffected.
      a.up({ kind: 'close', session: session('A', 'a3') });
      t.dispatch.down({ kind: 'send', link_id: 'A', conn_id: 'a1', payload: '{}' });
      t.dispatch.down({ kind: 'send', link_id: 'B', conn_id: 'b1', payload: '{}' });
      await waitUntil(() => gotB.length === 1, 'the other link still served');
      await settle();
      assert.equal(gotA.length, 0);
      assert.equal(up.length, 4);
      await a.close(); // idempotent
    });

    it('closing the dispatch side stops upstream delivery and resolves', async () => {
      const t = await open();
      const up: Upstream[] = [];
      t.dispatch.onUp((m) => up.push(m));
      const a = await t.link('A');
      a.up({ kind: 'open', session: session('A', 'a1') });
      await waitUntil(() => up.length === 1, 'the open');
      await t.dispatch.close();
      a.up({ kind: 'close', session: session('A', 'a1') });
      await settle();
      assert.equal(up.length, 1);
    });
  });
}
