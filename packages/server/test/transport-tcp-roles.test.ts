import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TcpDispatchSide } from '../src/transport/tcp-dispatch-side.js';
import { TcpLinkSide, type DispatcherAddress } from '../src/transport/tcp-link-side.js';
import { PushOnlySide } from '../src/transport/push-only-side.js';
import { Pusher } from '../src/dispatch/pusher.js';
import type { ConnRef, Location } from '../src/location/location.js';
import type { Downstream, Upstream } from '../src/transport/transport.js';
import { session, waitUntil } from './contract/transport-contract.js';

/** What separate roles add to the TCP transport: boot-id stamping and fencing end to end, and the api's push-only side. */
const WAIT = 20_000;

const fixed = (list: DispatcherAddress[]) => (h: (l: DispatcherAddress[]) => void) => (h(list), () => {});

describe('tcp transport for separate roles', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function listen(id: string, boot: string) {
    const d = new TcpDispatchSide({ dispatchId: id, bootId: boot, heartbeatMs: 100, deadAfterMs: 2000 });
    const address = await d.listen();
    cleanups.push(() => d.abort());
    return { d, address };
  }

  function link(linkId: string, bootId: string, list: DispatcherAddress[]) {
    const l = new TcpLinkSide({ linkId, bootId, watchDispatchers: fixed(list), heartbeatMs: 100, deadAfterMs: 2000, reconnectMinMs: 20, reconnectMaxMs: 200 });
    cleanups.push(() => l.close());
    return l;
  }

  it('stamps every session that comes up with the boot id of its link\'s hello, whatever the frame claims', async () => {
    const { d, address } = await listen('D1', 'd1');
    const ups: Upstream[] = [];
    d.onUp((m) => ups.push(m));
    const l = link('L1', 'L1-life2', [{ id: 'D1', boot_id: 'd1', address }]);
    await l.whenReady(WAIT);
    l.up({ kind: 'open', session: { ...session('L1', 'c1'), boot_id: 'forged' } });
    l.up({ kind: 'frame', session: session('L1', 'c1'), frame: { op: 'read', id: 1, conv_id: 'g:x', seq: 1 } });
    await waitUntil(() => ups.length === 2, 'open and frame', WAIT);
    assert.deepEqual(ups.map((u) => u.session.boot_id), ['L1-life2', 'L1-life2']);
  });

  it('the Pusher names each ConnRef\'s boot id: pushes to an earlier life of a restarted link are dropped, to the current one delivered', async () => {
    const { d, address } = await listen('D1', 'd1');
    const l = link('L1', 'new-life', [{ id: 'D1', boot_id: 'd1', address }]);
    const got: Downstream[] = [];
    l.onDown((m) => got.push(m));
    await l.whenReady(WAIT);
    await waitUntil(() => d.connectedLinks().includes('L1'), 'dispatcher knows the link', WAIT);
    const ref = (conn: string, boot: string): ConnRef => ({ app_id: 'a', user_id: 'u', conn_id: conn, link_id: 'L1', boot_id: boot, platform: 'web', connected_at: 1 });
    const location = { lookup: async () => [ref('old-conn', 'old-life'), ref('new-conn', 'new-life')] } as unknown as Location;
    const pusher = new Pusher(d, location);
    assert.equal(await pusher.toUsers('a', ['u'], 'hello'), 2);
    pusher.kick(ref('old-conn', 'old-life'), 'kick-old');
    pusher.sendTo('L1', 'new-conn', 'reply', 'new-life');
    await waitUntil(() => got.length === 2, 'the current life\'s push and reply', WAIT);
    assert.deepEqual(got.map((m) => m.kind === 'push' ? m.conn_ids : [m.conn_id]), [['new-conn'], ['new-conn']]);
    assert.deepEqual(got.map((m) => m.boot_id), ['new-life', 'new-life']);
    assert.equal(d.stats.droppedDown, 2, 'the push to the old life and the kick of its connection were dropped');
  });

  it('a push-only side (the api) is dialled and heard, never given a session; with no dispatcher left sessions stay unbound', async () => {
    const disp = await listen('D1', 'd1');
    const api = await listen('api-1', 'a1');
    const apiUps: Upstream[] = [];
    const pushOnly = new PushOnlySide(api.d);
    const heard: string[] = [];
    api.d.onUp((m) => apiUps.push(m));
    pushOnly.onUp(() => heard.push('up'));
    pushOnly.onLinkGone(() => heard.push('gone'));
    pushOnly.onLinkHeartbeat(() => heard.push('hb'));
    const dispUps: Upstream[] = [];
    disp.d.onUp((m) => dispUps.push(m));
    const l = link('L1', 'b1', [
      { id: 'D1', boot_id: 'd1', address: disp.address },
      { id: 'api-1', boot_id: 'a1', address: api.address, sessions: false },
    ]);
    const got: Downstream[] = [];
    l.onDown((m) => got.push(m));
    const lost: string[] = [];
    l.onSessionsLost((ids) => lost.push(...ids));
    await waitUntil(() => api.d.connectedLinks().includes('L1') && disp.d.connectedLinks().includes('L1'), 'the link dialled both', WAIT);
    assert.deepEqual(l.readyDispatchers(), ['D1'], 'only the dispatcher takes sessions');
    for (let i = 0; i < 6; i++) l.up({ kind: 'open', session: session('L1', `c${i}`) });
    await waitUntil(() => dispUps.length === 6, 'every open on the dispatcher', WAIT);
    assert.equal(apiUps.length, 0, 'nothing came up on the api side');
    pushOnly.down({ kind: 'push', link_id: 'L1', conn_ids: ['c1', 'c2'], payload: 'from-api' });
    await waitUntil(() => got.some((m) => m.payload === 'from-api'), 'the api\'s push reached the link', WAIT);
    // The only dispatcher dies: its sessions are lost and are not bound to the api.
    disp.d.abort();
    await waitUntil(() => lost.length === 6, 'sessions lost', WAIT);
    for (const id of lost) l.up({ kind: 'open', session: session('L1', id) });
    l.up({ kind: 'frame', session: session('L1', 'c0'), frame: { op: 'read', id: 1, conv_id: 'g:x', seq: 1 } });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(apiUps.length, 0, 'no session was re-opened on the api');
    assert.equal(l.stats.droppedUp, 1, 'a frame of an unbound session is dropped, not sent to the api');
    assert.deepEqual(heard, [], 'the push-only wrapper reports nothing up');
  });
});
