import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsDispatchSide } from '../src/transport/nats-dispatch-side.js';
import { NatsLinkSide } from '../src/transport/nats-link-side.js';
import { runTransportContract, waitUntil } from './contract/transport-contract.js';
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
