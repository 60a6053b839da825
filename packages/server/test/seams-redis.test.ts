import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { runLocationContract, runSharedLocationContract } from './contract/location-contract.js';
import { fakeReserve, runSeqContract, runSharedSeqContract } from './contract/seq-contract.js';
import type { SeqReserve } from '../src/seq/seq-allocator.js';
import type { ConnRef } from '../src/location/location.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { RedisLocation } from '../src/location/redis-location.js';
import { RedisSeqAllocator } from '../src/seq/redis-seq-allocator.js';
import { RedisControl } from '../src/control/redis-control.js';
import { runControlContract } from './contract/control-contract.js';
import { runRegistryContract } from './contract/registry-contract.js';
import { RedisRegistry } from '../src/registry/redis-registry.js';
import { FreezingProxy } from './helpers/freezing-proxy.js';
import { OwnRedisServer, SHARED_REDIS_URL, connectRedis, deleteKeys, randomPrefix } from './helpers/redis-engine.js';

// The Redis implementations of the seams against their contracts, on the machine's
// Redis with a random key prefix per test (keys deleted afterwards, never FLUSHALL).
// Tests that flush or kill Redis use a private redis-server (see redis-engine.ts).
const shared: Redis = connectRedis();
after(() => shared.quit());

runLocationContract('redis', async () => {
  const prefix = randomPrefix('loc');
  const location = new RedisLocation(shared, { prefix });
  return { location, cleanup: async () => { await location.close(); await deleteKeys(shared, prefix); } };
});

runSharedLocationContract('redis', async (linkTtlMs) => {
  const prefix = randomPrefix('loc2');
  // Two clients, as two dispatcher processes would have.
  const ra = connectRedis();
  const rb = connectRedis();
  const a = new RedisLocation(ra, { prefix, linkTtlMs });
  const b = new RedisLocation(rb, { prefix, linkTtlMs });
  return {
    a, b,
    cleanup: async () => {
      await deleteKeys(ra, prefix);
      await Promise.all([ra.quit(), rb.quit()]);
    },
  };
});

// One prefix per allocator: the contract's "two allocators on one store" then share only the
// durable mark; runSharedSeqContract below puts two on one Redis prefix.
runSeqContract('redis', async (reserve) => {
  const prefix = randomPrefix('seq');
  const seq = new RedisSeqAllocator(shared, reserve, { prefix });
  return { seq, cleanup: async () => { await seq.close(); await deleteKeys(shared, prefix); } };
});

runSharedSeqContract('redis, small blocks', async (reserve) => {
  const prefix = randomPrefix('seq2');
  const ra = connectRedis();
  const rb = connectRedis();
  // Blocks of 7 make both allocators refill (and race to install blocks) many times.
  const a = new RedisSeqAllocator(ra, reserve, { prefix, blockSize: 7 });
  const b = new RedisSeqAllocator(rb, reserve, { prefix, blockSize: 7 });
  return { a, b, cleanup: async () => { await deleteKeys(ra, prefix); await Promise.all([ra.quit(), rb.quit()]); } };
});

describe('RedisLocation when Redis loses its data (private redis-server)', () => {
  it('a heartbeat writes back the connections its instance registered; unregistered ones stay gone', async () => {
    const server = await OwnRedisServer.start();
    const ra = connectRedis(server.url);
    const rb = connectRedis(server.url);
    try {
      const a = new RedisLocation(ra, { prefix: 'l:' });
      const b = new RedisLocation(rb, { prefix: 'l:' });
      const ref = (user: string, conn: string, link: string): ConnRef =>
        ({ app_id: 'app', user_id: user, conn_id: conn, link_id: link, boot_id: `${link}-boot`, platform: 'web', connected_at: 1 });
      await a.register(ref('u1', 'c1', 'L1'), 'one_per_platform');
      await a.register(ref('u2', 'c2', 'L1'), 'one_per_platform');
      await a.register(ref('u4', 'c4', 'L1'), 'one_per_platform');
      await b.register(ref('u4', 'c5', 'L2'), 'one_per_platform'); // kicks c4 across instances
      await b.register(ref('u3', 'c3', 'L2'), 'one_per_platform');
      await a.unregister('app', 'u2', 'c2');
      await a.unregister('app', 'u4', 'c4'); // the link closed the kicked connection
      const all = ['u1', 'u2', 'u3', 'u4'];
      const ids = async () => (await a.lookup('app', all)).map((c) => c.conn_id).sort();
      assert.deepEqual(await ids(), ['c1', 'c3', 'c5']);
      await ra.flushall();
      assert.deepEqual(await ids(), []);
      await a.heartbeat('L1');
      assert.deepEqual(await ids(), ['c1'], 'L1\'s live connection is back, the unregistered and the kicked ones are not');
      await b.heartbeat('L2');
      assert.deepEqual(await ids(), ['c1', 'c3', 'c5']);
      await a.heartbeat('L1');
      await b.heartbeat('L1'); // b registered nothing on L1: nothing to write
      assert.deepEqual(await ids(), ['c1', 'c3', 'c5']);
      assert.deepEqual((await a.connectionsOfLink('L1')).map((c) => c.conn_id), ['c1']);
      const again = await b.register(ref('u1', 'c6', 'L2'), 'one_per_platform');
      assert.deepEqual(again.kicked.map((k) => k.conn_id), ['c1'], 'the login policy sees the restored connection');
    } finally {
      ra.disconnect();
      rb.disconnect();
      await server.stop();
    }
  });
});

describe('RedisSeqAllocator when Redis loses its data (private redis-server)', () => {
  let server: OwnRedisServer;
  let redis: Redis;
  before(async () => {
    server = await OwnRedisServer.start();
    redis = connectRedis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });
  const app = 'app_flush';

  const allocate = async (seq: RedisSeqAllocator, conv: string, n: number) => {
    const got: number[] = [];
    for (let i = 0; i < n; i++) got.push(await seq.next(app, conv));
    return got;
  };

  it('after FLUSHALL, allocation continues above every seq handed out', async () => {
    const durable = fakeReserve();
    const seq = new RedisSeqAllocator(redis, durable.reserve, { prefix: 'p:', blockSize: 16 });
    const earlier = [...(await allocate(seq, 'g:1', 40)), ...(await allocate(seq, 'g:2', 5))];
    await redis.flushall();
    assert.equal(await redis.exists('p:seq:app_flush:g:1'), 0, 'the flush really dropped the block');
    const after1 = await seq.next(app, 'g:1');
    const after2 = await seq.next(app, 'g:2');
    assert.ok(after1 > Math.max(...earlier.slice(0, 40)), `g:1 continues above 40 (got ${after1})`);
    assert.ok(after2 > Math.max(...earlier.slice(40)), `g:2 continues above 5 (got ${after2})`);
    assert.ok((await seq.current(app, 'g:1')) >= after1);
  });

  it('over the SQLite store\'s durable mark: FLUSHALL between two runs of allocations reuses nothing', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    try {
      const seq = new RedisSeqAllocator(redis, (a, c, n) => store.reserveSeqBlock(a, c, n), { prefix: 't:', blockSize: 8 });
      const first = await allocate(seq, 'g:store', 20);
      await redis.flushall();
      const second = await allocate(seq, 'g:store', 20);
      assert.ok(Math.min(...second) > Math.max(...first), `${Math.min(...second)} > ${Math.max(...first)}`);
      for (let i = 1; i < second.length; i++) assert.ok(second[i] > second[i - 1]);
    } finally {
      await store.close();
    }
  });

  it('a block reserved before a FLUSHALL is never installed below seqs another allocator handed out', async () => {
    const durable = fakeReserve();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let paused = 0;
    // Allocator A's first reservation completes in the store but reaches Redis only after the flush.
    const slowReserve: SeqReserve = async (a, c, size) => {
      const block = await durable.reserve(a, c, size);
      if (paused++ === 0) await gate;
      return block;
    };
    const other = connectRedis(server.url);
    try {
      const a = new RedisSeqAllocator(redis, slowReserve, { prefix: 'q:', blockSize: 10 });
      const b = new RedisSeqAllocator(other, durable.reserve, { prefix: 'q:', blockSize: 10 });
      const pending = a.next(app, 'g:race');
      await pollUntil(() => paused === 1);
      const handedOut = await allocate(b, 'g:race', 25);
      await redis.flushall();
      release();
      const late = await pending;
      assert.ok(late > Math.max(...handedOut), `the late seq ${late} is above ${Math.max(...handedOut)}`);
      assert.ok(!handedOut.includes(late));
    } finally {
      other.disconnect();
    }
  });

  it('after a restart of Redis with no data (a failover to an empty replica), allocation continues above', async () => {
    const durable = fakeReserve();
    const seq = new RedisSeqAllocator(redis, durable.reserve, { prefix: 'r:', blockSize: 16 });
    const earlier = await allocate(seq, 'g:restart', 30);
    await server.stop();
    await server.start();
    // ioredis reconnects by itself; poll until the restarted server answers.
    await pollUntil(async () => (await redis.ping().catch(() => '')) === 'PONG');
    const next = await seq.next(app, 'g:restart');
    assert.ok(next > Math.max(...earlier), `continues above ${Math.max(...earlier)} (got ${next})`);
  });

  it('after the idle TTL drops a conversation\'s block, allocation continues above', async () => {
    const durable = fakeReserve();
    const seq = new RedisSeqAllocator(redis, durable.reserve, { prefix: 's:', blockSize: 16, idleTtlMs: 150 });
    const earlier = await allocate(seq, 'g:idle', 20);
    await pollUntil(async () => (await redis.exists('s:seq:app_flush:g:idle')) === 0);
    const next = await seq.next(app, 'g:idle');
    assert.ok(next > Math.max(...earlier));
  });
});

async function pollUntil(pred: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The control contract of the control branch (taken as is), on the shared Redis.
runControlContract('redis pub/sub', async () => {
  const prefix = randomPrefix('ctl');
  const names = { a: `${prefix}a`, b: `${prefix}b` };
  // Named connections (the subscriber duplicates inherit the name), so a test can cut exactly its own.
  const ra = connectRedis(SHARED_REDIS_URL, { connectionName: names.a });
  const rb = connectRedis(SHARED_REDIS_URL, { connectionName: names.b });
  const a = await RedisControl.start(ra, { prefix });
  const b = await RedisControl.start(rb, { prefix });
  return {
    a, b,
    async loseSubscription(which) {
      const name = which === a ? names.a : names.b;
      const list = (await shared.client('LIST')) as string;
      const ids = list.split('\n').filter((l) => l.includes(` name=${name} `) && / sub=[1-9]/.test(l)).map((l) => /^id=(\d+)/.exec(l)![1]);
      assert.equal(ids.length, 1, 'exactly one subscriber connection to cut');
      await shared.client('KILL', 'ID', ids[0]);
    },
    async cleanup() {
      await a.close();
      await b.close();
      await Promise.all([ra.quit(), rb.quit()]);
    },
  };
});

describe('RedisControl when its connection stalls without closing (a partition)', () => {
  it('an unanswered PING drops the connection; the reconnect resets and delivery resumes', async () => {
    const { hostname, port } = new URL(SHARED_REDIS_URL);
    const proxy = await FreezingProxy.start(hostname, Number(port || 6379));
    const prefix = randomPrefix('ctl-stall');
    const ra = connectRedis(`redis://127.0.0.1:${proxy.port}`);
    const rb = connectRedis();
    const a = await RedisControl.start(ra, { prefix, pingMs: 200 });
    const b = await RedisControl.start(rb, { prefix });
    try {
      const got: string[] = [];
      let resets = 0;
      a.subscribe((m) => void got.push(m.type));
      a.onReset(() => void resets++);
      await b.publish({ type: 'before' });
      await pollUntil(() => got.includes('before'));
      proxy.freeze(); // a's sockets stay open but nothing flows: a cannot tell by itself
      await b.publish({ type: 'during' });
      await pollUntil(() => resets >= 1);
      // Subscribed again through a fresh connection: what b publishes now reaches a.
      await pollUntil(async () => {
        await b.publish({ type: 'after' });
        await new Promise((r) => setTimeout(r, 50));
        return got.includes('after');
      });
      assert.equal(resets, 1, 'one reset for one stalled connection');
    } finally {
      await a.close();
      await b.close();
      ra.disconnect();
      await rb.quit();
      await proxy.close();
    }
  });
});

describe('RedisControl when its connection is lost (private redis-server)', () => {
  it('calls the reset handlers once subscribed again, then delivers normally', async () => {
    const server = await OwnRedisServer.start();
    const ra = connectRedis(server.url);
    const rb = connectRedis(server.url);
    const errors: unknown[] = [];
    const a = await RedisControl.start(ra, { prefix: 'c:', onHandlerError: (err) => void errors.push(err) });
    const b = await RedisControl.start(rb, { prefix: 'c:' });
    try {
      const got: string[] = [];
      let resets = 0;
      // (a throwing handler is reported and does not stop the others)
      a.subscribe(() => {
        throw new Error('handler bug');
      });
      a.subscribe((m) => void got.push(m.type));
      a.onReset(() => void resets++);
      await b.publish({ type: 'before' });
      await pollUntil(() => got.includes('before'));
      assert.equal(resets, 0, 'no reset while connected');
      await server.stop();
      await server.start();
      await pollUntil(() => resets >= 1);
      assert.equal(resets, 1, 'one reset per lost connection');
      // b's command connection reconnects by itself; its next publish reaches a's new subscription.
      await pollUntil(async () => (await rb.ping().catch(() => '')) === 'PONG');
      await b.publish({ type: 'after' });
      await pollUntil(() => got.includes('after'));
      assert.deepEqual(got, ['before', 'after']);
      assert.equal(errors.length, 2, 'the throwing handler was reported for each message');
    } finally {
      await a.close();
      await b.close();
      ra.disconnect();
      rb.disconnect();
      await server.stop();
    }
  });
});

runRegistryContract('redis', async ({ ttlMs, heartbeatMs, pollMs }) => {
  const prefix = randomPrefix('reg');
  const made: { registry: RedisRegistry; redis: Redis }[] = [];
  return {
    async instance() {
      const redis = connectRedis();
      const registry = new RedisRegistry(redis, { prefix, ttlMs, heartbeatMs, pollMs });
      made.push({ registry, redis });
      // Killed: its connection is cut, so it neither heartbeats nor deregisters.
      return { registry, kill: async () => redis.disconnect() };
    },
    async cleanup() {
      for (const m of made) await m.registry.close();
      await deleteKeys(shared, prefix);
      for (const m of made) m.redis.disconnect();
    },
  };
});
