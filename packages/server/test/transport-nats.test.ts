import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsDispatchSide } from '../src/transport/nats-dispatch-side.js';
import { NatsLinkSide } from '../src/transport/nats-link-side.js';
import type { Downstream, Upstream } from '../src/transport/transport.js';
import { runTransportContract, session, waitUntil } from './contract/transport-contract.js';
import { runTransportLifecycleContract } from './contract/transport-lifecycle-contract.js';

/** The NATS transport (transport=nats, the seed's v1) against the machine's NATS, on a random subject prefix per harness. */
const NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const WAIT = 20_000; // generous: the machine may be loaded
const TIMING = { heartbeatMs: 200, deadAfterMs: 5000 };

async function harness() {
  const prefix = `ptest_${randomBytes(4).toString('hex')}`;
  const conns: NatsConnection[] = [];
  const open = async () => {
    const nc = await connect({ servers: NATS_URL });
    conns.push(nc);
    return nc;
  };
  const dispatchers: NatsDispatchSide[] = [];
  const links: NatsLinkSide[] = [];
  let n = 0;
  const dispatcher = async () => {
    const d = new NatsDispatchSide({ nc: await open(), prefix, dispatchId: `D${++n}`, bootId: randomBytes(4).toString('hex'), ...TIMING });
    await d.ready();
    dispatchers.push(d);
    return d;
  };
  const link = async (linkId: string) => {
    const l = new NatsLinkSide({ nc: await open(), prefix, linkId, bootId: `${linkId}-b`, ...TIMING });
    links.push(l);
    // ready once it knows every dispatcher and every dispatcher knows it
    await waitUntil(() => l.readyDispatchers().length === dispatchers.length && dispatchers.every((d) => d.connectedLinks().includes(linkId)), 'link and dispatchers see each other', WAIT);
    return l;
  };
  const close = async () => {
    await Promise.all(links.map((l) => l.close()));
    await Promise.all(dispatchers.map((d) => d.close()));
    await Promise.all(conns.map((c) => c.close()));
  };
  return { dispatcher, link, close, beat: () => links.forEach((l) => l.beat()) };
}

runTransportContract('nats', async () => {
  const h = await harness();
  const dispatch = await h.dispatcher();
  return { dispatch, link: h.link, close: h.close };
});

runTransportLifecycleContract('nats', async () => {
  const h = await harness();
  return { dispatcher: h.dispatcher, link: h.link, heartbeat: h.beat, close: h.close };
});

describe('nats transport: boot ids, push-only sides, crashes', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function setup(timing = TIMING) {
    const prefix = `ptest_${randomBytes(4).toString('hex')}`;
    const conn = async () => {
      const nc = await connect({ servers: NATS_URL });
      cleanups.push(() => nc.close().catch(() => {}));
      return nc;
    };
    const dispatcher = async (id: string, sessions = true) => {
      const nc = await conn();
      const d = new NatsDispatchSide({ nc, prefix, dispatchId: id, bootId: `${id}-boot`, sessions, ...timing });
      cleanups.push(() => d.close());
      await d.ready();
      return { d, nc };
    };
    const link = async (id: string, bootId: string) => {
      const l = new NatsLinkSide({ nc: await conn(), prefix, linkId: id, bootId, ...timing });
      cleanups.push(() => l.close());
      return l;
    };
    return { dispatcher, link };
  }

  it('stamps every session with the boot id its link published under; downstream naming another life is dropped', async () => {
    const t = await setup();
    const { d } = await t.dispatcher('D1');
    const ups: Upstream[] = [];
    d.onUp((m) => ups.push(m));
    const l = await t.link('L1', 'life2');
    const got: Downstream[] = [];
    l.onDown((m) => got.push(m));
    await l.whenReady(WAIT);
    await waitUntil(() => d.connectedLinks().includes('L1'), 'dispatcher hears the link', WAIT);
    l.up({ kind: 'open', session: { ...session('L1', 'c1'), boot_id: 'forged' } });
    await waitUntil(() => ups.length === 1, 'the open', WAIT);
    assert.equal(ups[0]!.session.boot_id, 'life2');
    d.down({ kind: 'send', link_id: 'L1', boot_id: 'life1', conn_id: 'c1', payload: 'old' });
    d.down({ kind: 'send', link_id: 'L1', boot_id: 'life2', conn_id: 'c1', payload: 'new' });
    await waitUntil(() => got.length === 1, 'the current life\'s message', WAIT);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got.map((m) => m.payload), ['new']);
    assert.equal(d.stats.droppedDown, 1);
  });

  it('a push-only side (the api) is never given a session but reaches every link', async () => {
    const t = await setup();
    const { d } = await t.dispatcher('D1');
    const api = (await t.dispatcher('API', false)).d;
    const apiUps: Upstream[] = [];
    api.onUp((m) => apiUps.push(m));
    const ups: Upstream[] = [];
    d.onUp((m) => ups.push(m));
    const l = await t.link('L1', 'b');
    const got: Downstream[] = [];
    l.onDown((m) => got.push(m));
    await waitUntil(() => api.connectedLinks().includes('L1') && l.readyDispatchers().length === 1, 'api hears the link, the link knows D1', WAIT);
    assert.deepEqual(l.readyDispatchers(), ['D1']);
    for (let i = 0; i < 10; i++) l.up({ kind: 'open', session: session('L1', `c${i}`) });
    api.down({ kind: 'push', link_id: 'L1', conn_ids: ['c1', 'c2'], payload: 'from api' });
    await waitUntil(() => ups.length === 10 && got.length === 1, 'opens on D1, the api push on L1', WAIT);
    assert.equal(apiUps.length, 0);
    assert.deepEqual(got[0], { kind: 'push', link_id: 'L1', conn_ids: ['c1', 'c2'], payload: 'from api' });
  });

  it('a dispatcher that dies without a goodbye loses its sessions once its heartbeats stop', async () => {
    const t = await setup({ heartbeatMs: 100, deadAfterMs: 1500 });
    const { d, nc } = await t.dispatcher('D1');
    const l = await t.link('L1', 'b');
    const lost: string[] = [];
    l.onSessionsLost((ids) => lost.push(...ids));
    await waitUntil(() => d.connectedLinks().includes('L1') && l.readyDispatchers().length === 1, 'they see each other', WAIT);
    l.up({ kind: 'open', session: session('L1', 'c1') });
    l.up({ kind: 'open', session: session('L1', 'c2') });
    await nc.close(); // a crash: no goodbye, heartbeats just stop
    await waitUntil(() => lost.length === 2, 'both sessions lost', WAIT);
    assert.deepEqual(lost.sort(), ['c1', 'c2']);
    assert.deepEqual(l.readyDispatchers(), []);
  });
});
