import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { TcpDispatchSide } from '../src/transport/tcp-dispatch-side.js';
import { TcpLinkSide, type DispatcherAddress } from '../src/transport/tcp-link-side.js';
import type { Downstream, Upstream } from '../src/transport/transport.js';
import { runTransportContract, session, waitUntil } from './contract/transport-contract.js';

const WAIT = 20_000; // generous: the machine may be loaded

/** A registry stand-in the test controls: the link side only needs the live list. */
class DispatcherList {
  private list: DispatcherAddress[] = [];
  private readonly handlers = new Set<(l: DispatcherAddress[]) => void>();
  set(list: DispatcherAddress[]): void {
    this.list = list;
    for (const h of this.handlers) h(list);
  }
  watch = (h: (l: DispatcherAddress[]) => void) => {
    this.handlers.add(h);
    h(this.list);
    return () => this.handlers.delete(h);
  };
}

async function startDispatcher(id: string, boot = `${id}-boot1`, extra: Partial<ConstructorParameters<typeof TcpDispatchSide>[0]> = {}) {
  const d = new TcpDispatchSide({ dispatchId: id, bootId: boot, heartbeatMs: 100, deadAfterMs: 2000, ...extra });
  const address = await d.listen();
  return { d, entry: { id, boot_id: boot, address } satisfies DispatcherAddress };
}

runTransportContract('tcp', async () => {
  const { d, entry } = await startDispatcher('D1');
  const reg = new DispatcherList();
  reg.set([entry]);
  const links: TcpLinkSide[] = [];
  return {
    dispatch: d,
    link: async (linkId) => {
      const l = new TcpLinkSide({ linkId, bootId: `${linkId}-b`, watchDispatchers: reg.watch, heartbeatMs: 100, deadAfterMs: 2000 });
      links.push(l);
      await l.whenReady(WAIT);
      await waitUntil(() => d.connectedLinks().includes(linkId), 'dispatcher knows the link', WAIT);
      return l;
    },
    close: async () => {
      await Promise.all(links.map((l) => l.close()));
      await d.close();
    },
  };
});

describe('tcp transport: several dispatchers and faults', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function cluster(n: number) {
    const ds = await Promise.all(Array.from({ length: n }, (_, i) => startDispatcher(`D${i + 1}`)));
    const reg = new DispatcherList();
    reg.set(ds.map((x) => x.entry));
    const ups = ds.map(() => [] as Upstream[]);
    ds.forEach((x, i) => x.d.onUp((m) => ups[i].push(m)));
    const link = new TcpLinkSide({ linkId: 'L1', bootId: 'L1-b1', watchDispatchers: reg.watch, heartbeatMs: 100, deadAfterMs: 2000, reconnectMinMs: 20, reconnectMaxMs: 200 });
    cleanups.push(() => ds.forEach((x) => x.d.abort()));
    cleanups.push(() => link.close());
    await waitUntil(() => link.readyDispatchers().length === n, 'all dispatchers ready', WAIT);
    return { ds, reg, ups, link };
  }

  it('binds new sessions round-robin and keeps each session on its dispatcher', async () => {
    const { ups, link } = await cluster(2);
    for (let i = 0; i < 10; i++) link.up({ kind: 'open', session: session('L1', `c${i}`) });
    for (let i = 0; i < 10; i++) link.up({ kind: 'frame', session: session('L1', `c${i}`), frame: { op: 'read', id: 1, conv_id: 'g:x', seq: i } });
    await waitUntil(() => ups[0].length + ups[1].length === 20, 'opens and frames', WAIT);
    assert.equal(ups[0].length, 10);
    assert.equal(ups[1].length, 10);
    for (const u of ups) {
      const opened = new Set(u.filter((m) => m.kind === 'open').map((m) => m.session.conn_id));
      const framed = new Set(u.filter((m) => m.kind === 'frame').map((m) => m.session.conn_id));
      assert.deepEqual([...framed].sort(), [...opened].sort(), 'frames follow their session');
    }
  });

  it('a crashed dispatcher: its sessions are reported lost, re-open on the other, and the other is unaffected', async () => {
    const { ds, reg, ups, link } = await cluster(2);
    const lost: string[][] = [];
    link.onSessionsLost((ids) => {
      lost.push(ids);
      for (const id of ids) link.up({ kind: 'open', session: session('L1', id) });
    });
    for (let i = 0; i < 6; i++) link.up({ kind: 'open', session: session('L1', `c${i}`) });
    await waitUntil(() => ups[0].length + ups[1].length === 6, 'opens', WAIT);
    const onFirst = ups[0].map((m) => m.session.conn_id).sort();
    ds[0].d.abort();
    reg.set([ds[1].entry]);
    await waitUntil(() => lost.length === 1, 'sessions lost', WAIT);
    assert.deepEqual([...lost[0]].sort(), onFirst);
    await waitUntil(() => ups[1].filter((m) => m.kind === 'open').length === 6, 're-opened on the survivor', WAIT);
    assert.equal(link.readyDispatchers().join(), 'D2');
  });

  it('opens made while no dispatcher is ready are reported lost once one is', async () => {
    const reg = new DispatcherList();
    const link = new TcpLinkSide({ linkId: 'L9', bootId: 'b', watchDispatchers: reg.watch, heartbeatMs: 100, deadAfterMs: 2000 });
    cleanups.push(() => link.close());
    const lost: string[] = [];
    link.onSessionsLost((ids) => lost.push(...ids));
    link.up({ kind: 'open', session: session('L9', 'early') });
    link.up({ kind: 'frame', session: session('L9', 'early'), frame: { op: 'read', id: 1, conv_id: 'g:x', seq: 1 } });
    assert.equal(link.stats.droppedUp, 1, 'a frame of an unbound session is dropped');
    const { d, entry } = await startDispatcher('D7');
    cleanups.push(() => d.abort());
    reg.set([entry]);
    await waitUntil(() => lost.includes('early'), 'the early session is reported for re-open', WAIT);
  });

  it('a dispatcher restarted with a new boot id is re-dialled; the link reconnects after a dropped connection', async () => {
    const { ds, reg, link } = await cluster(1);
    const first = ds[0];
    first.d.abort();
    const again = await startDispatcher('D1', 'D1-boot2');
    cleanups.push(() => again.d.abort());
    reg.set([again.entry]);
    await waitUntil(() => link.readyDispatchers().join() === 'D1' && again.d.connectedLinks().includes('L1'), 'the new life is dialled', WAIT);
  });

  it('the dispatch side reports link heartbeats, a link that goes away, and fences stale boot ids', async () => {
    const { d, entry } = await startDispatcher('D1');
    cleanups.push(() => d.abort());
    const beats: string[] = [];
    const gone: string[] = [];
    d.onLinkHeartbeat((id) => beats.push(id));
    d.onLinkGone((id) => gone.push(id));
    const reg = new DispatcherList();
    reg.set([entry]);
    const link = new TcpLinkSide({ linkId: 'LX', bootId: 'LX-1', watchDispatchers: reg.watch, heartbeatMs: 50, deadAfterMs: 2000 });
    const got: Downstream[] = [];
    link.onDown((m) => got.push(m));
    await link.whenReady(WAIT);
    await waitUntil(() => beats.filter((b) => b === 'LX').length >= 2, 'heartbeats', WAIT);
    d.down({ kind: 'send', link_id: 'LX', conn_id: 'c', payload: 'stale', boot_id: 'LX-0' } as Downstream);
    d.down({ kind: 'send', link_id: 'LX', conn_id: 'c', payload: 'current', boot_id: 'LX-1' } as Downstream);
    await waitUntil(() => got.length === 1, 'the current-boot message', WAIT);
    assert.equal(got[0].payload, 'current');
    assert.equal(d.stats.droppedDown, 1);
    await link.close();
    await waitUntil(() => gone.includes('LX'), 'link gone', WAIT);
  });

  it('a silent peer is dropped after the heartbeat bound; garbage and oversized frames only cost that connection', async () => {
    const { d, entry } = await startDispatcher('D1', 'b', { deadAfterMs: 300, maxFrameBytes: 1024 });
    cleanups.push(() => d.abort());
    const gone: string[] = [];
    d.onLinkGone((id) => gone.push(id));
    const [host, port] = [entry.address.split(':')[0], Number(entry.address.split(':')[1])];
    // A hand-made peer that says hello and then nothing.
    const { Packr } = await import('msgpackr');
    const body = new Packr({ useRecords: false }).pack({ t: 'hello', link_id: 'mute', boot_id: 'm' });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const mute = connect({ host, port }, () => mute.write(Buffer.concat([head, body])));
    mute.on('error', () => {});
    mute.on('data', () => {}); // reads, never answers
    await waitUntil(() => gone.includes('mute'), 'the silent link is dropped', WAIT);
    const closedGarbage = new Promise<void>((r) => {
      const g = connect({ host, port }, () => g.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])));
      g.on('error', () => {});
      g.on('close', () => r());
    });
    await closedGarbage;
    // The dispatcher still serves a proper link.
    const reg = new DispatcherList();
    reg.set([entry]);
    const link = new TcpLinkSide({ linkId: 'ok', bootId: 'ok', watchDispatchers: reg.watch, heartbeatMs: 50, deadAfterMs: 2000 });
    cleanups.push(() => link.close());
    await link.whenReady(WAIT);
  });

  it('downstream to a link that does not read is bounded: frames beyond the buffer are dropped, not queued', async () => {
    const { d, entry } = await startDispatcher('D1', 'b', { maxBufferedBytes: 256 * 1024, deadAfterMs: 60_000 });
    cleanups.push(() => d.abort());
    const [host, port] = [entry.address.split(':')[0], Number(entry.address.split(':')[1])];
    const { Packr } = await import('msgpackr');
    const body = new Packr({ useRecords: false }).pack({ t: 'hello', link_id: 'slow', boot_id: 's' });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const slow = connect({ host, port }, () => slow.write(Buffer.concat([head, body])));
    slow.on('error', () => {});
    slow.pause(); // never reads: the kernel buffers fill, then ours
    cleanups.push(() => void slow.destroy());
    await waitUntil(() => d.connectedLinks().includes('slow'), 'slow link connected', WAIT);
    const payload = 'x'.repeat(4096);
    for (let round = 0; round < 200 && d.stats.droppedDown === 0; round++) {
      for (let i = 0; i < 100; i++) d.down({ kind: 'send', link_id: 'slow', conn_id: 'c', payload });
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(d.stats.droppedDown > 0, 'frames beyond the bound were dropped');
  });
});
