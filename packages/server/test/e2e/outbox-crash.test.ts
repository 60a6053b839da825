import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ParleyEvent } from '../../src/bus/event-bus.js';
import { adminCall, readDefaultApp, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { FreezingProxy } from '../helpers/freezing-proxy.js';
import { RawClient } from '../helpers/raw-client.js';

// The machine's NATS JetStream, with a stream name and subject prefix of this run only (deleted afterwards).
const NATS = new URL(process.env.PARLEY_TEST_NATS_URL?.includes('://') ? process.env.PARLEY_TEST_NATS_URL : `nats://${process.env.PARLEY_TEST_NATS_URL ?? '127.0.0.1:4222'}`);

/**
 * The outbox promise, with a real process killed: every acked message's
 * message.created event reaches the durable stream, even when the process
 * dies right after the acks and before it published them. The first life's
 * NATS connection goes through a proxy that is frozen before the second
 * round of sends, so those events certainly never left the process (the test
 * checks the stream has none of them); kill -9 follows the last ack. The
 * second life's outbox relay publishes them.
 */
describe('outbox: kill -9 right after the acks, bus=nats', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-outbox-crash-'));
  const tag = randomBytes(5).toString('hex');
  const stream = `PARLEY_OUTBOX_${tag}`;
  const natsArgs = (url: string) => ['--bus', 'nats', '--nats-url', url, '--nats-stream', stream, '--nats-subject-prefix', `outbox_${tag}`];
  let server: ChildServer | undefined;
  let proxy: FreezingProxy | undefined;
  let nc: NatsConnection | undefined;
  after(async () => {
    await server?.stop().catch(() => {});
    await proxy?.close().catch(() => {});
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
      await nc.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Reads the stream from where the last call stopped: message.created events by cmid, and every event id seen. */
  const reader = (jsm: JetStreamManager) => {
    let next = 1;
    const created = new Map<string, ParleyEvent>();
    const ids: string[] = [];
    return {
      created, ids,
      async read() {
        const last = (await jsm.streams.info(stream)).state.last_seq;
        for (; next <= last; next++) {
          const m = await jsm.streams.getMessage(stream, { seq: next });
          if (!m) continue;
          const e = m.json<ParleyEvent>();
          ids.push(e.id);
          const cmid = (e.data.message as { cmid?: string } | undefined)?.cmid;
          if (e.type === 'message.created' && cmid) created.set(cmid, e);
        }
      },
    };
  };

  it('publishes every acked message\'s event after a restart, once each', async () => {
    nc = await connect({ servers: NATS.host });
    proxy = await FreezingProxy.start(NATS.hostname, Number(NATS.port || 4222));
    const started = Date.now();
    server = await startChildServer(dir, ['--rate-per-sec', '100000', '--rate-burst', '100000', ...natsArgs(`nats://127.0.0.1:${proxy.port}`)], 90_000);
    const { api_key } = readDefaultApp(dir);
    const tokens: Record<string, string> = {};
    for (const u of ['writer', 'reader']) {
      await adminCall(server.httpUrl, api_key, 'POST', '/v1/admin/users', { user_id: u });
      tokens[u] = (await adminCall(server.httpUrl, api_key, 'POST', `/v1/admin/users/${u}/tokens`, {})).token;
    }
    await adminCall(server.httpUrl, api_key, 'POST', '/v1/admin/groups', { group_id: 'g1', name: 'g1', owner: 'writer', members: ['reader'] });
    const writer = await RawClient.authed(server.wsUrl, tokens.writer!);

    const acked: string[] = [];
    const round = async (name: string, count: number) => {
      const sends = [];
      for (let i = 0; i < count; i++) {
        const cmid = `${name}-${i}`;
        const target = i % 2 ? { conv_type: 'group', to: 'g1' } : { conv_type: 'single', to: 'reader' };
        sends.push(writer.request({ op: 'send', id: cmid, cmid, ...target, type: 'text', content: { text: cmid } }, 30_000).then((r: any) => {
          assert.equal(r.op, 'ok', JSON.stringify(r));
          acked.push(cmid);
        }));
      }
      await Promise.all(sends);
    };
    await round('live', 60); // published as usual
    proxy.freeze(); // from here the process's publishes never reach NATS
    await round('frozen', 120);
    await server.kill9();
    assert.equal(acked.length, 180, 'every send was acked before the kill');

    const jsm = await jetstreamManager(nc);
    const stored = reader(jsm);
    await stored.read();
    const frozen = acked.filter((c) => c.startsWith('frozen-'));
    assert.deepEqual(frozen.filter((c) => stored.created.has(c)), [], 'no event of the frozen round reached the stream in the first life');

    await proxy.close();
    proxy = undefined;
    server = await startChildServer(dir, natsArgs(NATS.href), 90_000);
    const deadline = Date.now() + 90_000;
    for (;;) {
      await stored.read();
      if (acked.every((c) => stored.created.has(c))) break;
      const missing = acked.filter((c) => !stored.created.has(c));
      if (Date.now() > deadline) assert.fail(`after the restart, ${missing.length} acked messages have no event, e.g. ${missing.slice(0, 5).join(', ')}: ${server.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const c of acked) assert.equal(stored.created.get(c)?.type, 'message.created');
    // JetStream drops a repeat of an event id within its duplicate window (2 minutes here).
    if (Date.now() - started < 110_000) {
      const repeats = stored.ids.length - new Set(stored.ids).size;
      assert.equal(repeats, 0, 'no event twice in the stream');
    }
    writer.close();
  });
});
