import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { ParleyClient } from '@parley/sdk/node';
import type { Message } from '@parley/protocol';
import { startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { connectRedis, deleteKeys } from './helpers/redis-engine.js';

/**
 * The composition root wires the engine backends (location=redis, seq=redis,
 * bus=nats, control=redis): one platform on the machine's Redis and NATS, with a random key
 * prefix and stream, cleaned up afterwards.
 */
const NATS_URL = process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('platform on Redis and NATS (location=redis, seq=redis, bus=nats, control=redis)', () => {
  const tag = randomBytes(5).toString('hex');
  const prefix = `parley-test:platform:${tag}:`;
  const stream = `PARLEY_TEST_${tag}`;
  const redis = connectRedis();
  let p: TestPlatform;
  let tokens: Record<string, string>;
  const clients: ParleyClient[] = [];
  const client = (user: string, platform: 'web' | 'ios' = 'web') => {
    const c = new ParleyClient({ url: p.wsUrl, token: tokens[user]!, platform, reconnect: { minMs: 50, maxMs: 500, factor: 2, jitter: 0.1 } });
    clients.push(c);
    return c;
  };

  before(async () => {
    p = await startTestPlatform({
      location: 'redis', seq: 'redis', bus: 'nats', control: 'redis',
      redis_prefix: prefix, nats_url: NATS_URL, nats_stream: stream, nats_subject_prefix: `parleytest_${tag}`,
    });
    tokens = await p.users('ann', 'ben');
  });
  after(async () => {
    for (const c of clients) c.close();
    await p?.destroy();
    await deleteKeys(redis, prefix);
    await redis.quit();
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
    await nc.close();
  });

  it('delivers a message through the Redis location, with seqs from Redis, and publishes its event to the stream', async () => {
    const ann = client('ann');
    const ben = client('ben');
    const got: Message[] = [];
    ben.on('message', (m) => void got.push(m));
    await Promise.all([ann.connect(), ben.connect()]);
    const acks = [];
    for (let i = 0; i < 3; i++) acks.push(await ann.sendText('ben', `hello ${i}`));
    await until('three messages at ben', () => got.length === 3);
    assert.deepEqual(got.map((m) => (m.content as { text: string }).text), ['hello 0', 'hello 1', 'hello 2']);
    assert.deepEqual(got.map((m) => m.seq), acks.map((a) => a.seq));
    assert.ok(acks[1]!.seq > acks[0]!.seq && acks[2]!.seq > acks[1]!.seq);
    // The state lives in Redis under the prefix, and the events in the stream.
    assert.equal(await redis.exists(`${prefix}seq:${p.appId}:${acks[0]!.conv_id}`), 1, 'the conversation\'s seq block is in Redis');
    assert.equal(await redis.hlen(`${prefix}loc:${p.appId}:ben`), 1, 'ben\'s connection is in Redis');
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      await until('three events in the stream', async () => (await jsm.streams.info(stream)).state.messages >= 3);
    } finally {
      await nc.close();
    }
  });

  it('a second login on the same platform kicks the first through the Redis login policy', async () => {
    const first = client('ann', 'ios');
    await first.connect();
    let kicked: string | undefined;
    first.on('kicked', (k) => (kicked = k.reason));
    const second = client('ann', 'ios');
    await second.connect();
    await until('the older ios connection is kicked', () => kicked !== undefined);
    assert.equal(kicked, 'replaced');
    const pres = await second.presence(['ann']);
    assert.ok(pres.users[0]!.platforms.includes('ios'));
  });

  it('the control plane runs on Redis pub/sub: subscribed, and a settings change applies', async () => {
    const [, subscribers] = (await redis.pubsub('NUMSUB', `${prefix}control`)) as [string, number];
    assert.equal(subscribers, 1, 'the platform\'s control subscriber is on the prefixed channel');
    await p.admin('PATCH', '/v1/admin/settings', { recall_window_sec: 33 });
    assert.equal((await p.admin('GET', '/v1/admin/settings')).recall_window_sec, 33);
  });
});
