import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Registry, ServiceMember, ServiceRole } from '../../src/registry/registry.js';

/**
 * The Registry seam's promises, run against every implementation. A
 * cluster is one backend; each `instance()` is one process's registry;
 * `kill()` stops it as `kill -9` would (no deregistration).
 * Members expire `ttlMs` after their last heartbeat (every `heartbeatMs`);
 * watchers poll every `pollMs`. Heartbeats are many per TTL, so a loaded
 * machine does not expire a live member.
 */
export interface RegistryCluster {
  instance(): Promise<{ registry: Registry; kill(): Promise<void> }>;
  cleanup(): Promise<void>;
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function runRegistryContract(name: string, makeCluster: (opts: { ttlMs: number; heartbeatMs: number; pollMs: number }) => Promise<RegistryCluster>): void {
  describe(`Registry contract: ${name}`, () => {
    const tag = randomBytes(3).toString('hex');
    const member = (role: ServiceRole, id: string, boot: string, address = `127.0.0.1:${id.length}`): ServiceMember =>
      ({ role, id: `${id}-${tag}`, boot_id: boot, address, started_at: 1_700_000_000_000 });
    const ids = (list: ServiceMember[]) => list.map((m) => `${m.id}/${m.boot_id}`);

    it('announced members are seen by other instances, per role, sorted by id', async () => {
      const cluster = await makeCluster({ ttlMs: 60_000, heartbeatMs: 20_000, pollMs: 200 });
      try {
        const [a, b, c] = [await cluster.instance(), await cluster.instance(), await cluster.instance()];
        await b.registry.announce(member('dispatch', 'd2', 'x'));
        await a.registry.announce(member('dispatch', 'd1', 'y'));
        await a.registry.announce(member('link', 'l1', 'z'));
        assert.deepEqual(await c.registry.members('dispatch'), [member('dispatch', 'd1', 'y'), member('dispatch', 'd2', 'x')]);
        assert.deepEqual(ids(await c.registry.members('link')), [`l1-${tag}/z`]);
        assert.deepEqual(await c.registry.members('api'), []);
      } finally {
        await cluster.cleanup();
      }
    });

    it('a watcher gets the list at once, then sees a new member appear and a closed one leave', async () => {
      const cluster = await makeCluster({ ttlMs: 60_000, heartbeatMs: 20_000, pollMs: 200 });
      try {
        const [a, b] = [await cluster.instance(), await cluster.instance()];
        await a.registry.announce(member('link', 'l1', 'b1'));
        const seen: string[][] = [];
        const off = b.registry.watch('link', (list) => void seen.push(ids(list)));
        await until('the first call', () => seen.length >= 1);
        assert.deepEqual(seen[0], [`l1-${tag}/b1`]);
        const c = await cluster.instance();
        await c.registry.announce(member('link', 'l2', 'b2'));
        await until('the new member', () => seen.at(-1)!.length === 2);
        assert.deepEqual(seen.at(-1), [`l1-${tag}/b1`, `l2-${tag}/b2`]);
        await c.registry.close();
        await until('the closed member to leave', () => seen.at(-1)!.length === 1);
        assert.deepEqual(seen.at(-1), [`l1-${tag}/b1`]);
        off();
        const calls = seen.length;
        await a.registry.announce(member('link', 'l3', 'b3'));
        await until('the announce to be visible', async () => (await b.registry.members('link')).length === 2);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(seen.length, calls, 'no calls after unsubscribe');
      } finally {
        await cluster.cleanup();
      }
    });

    it('a member that stops heartbeating drops out; one that keeps heartbeating stays', async () => {
      const cluster = await makeCluster({ ttlMs: 3000, heartbeatMs: 100, pollMs: 100 });
      try {
        const [a, b, w] = [await cluster.instance(), await cluster.instance(), await cluster.instance()];
        await a.registry.announce(member('dispatch', 'dead', 'b1'));
        await b.registry.announce(member('dispatch', 'live', 'b2'));
        const seen: string[][] = [];
        w.registry.watch('dispatch', (list) => void seen.push(ids(list)));
        await until('both', () => seen.at(-1)?.length === 2);
        await a.kill();
        await until('the dead member to drop out', () => seen.at(-1)?.length === 1);
        assert.deepEqual(seen.at(-1), [`live-${tag}/b2`]);
        // Longer than a TTL later the heartbeating one is still there.
        const end = Date.now() + 4000;
        while (Date.now() < end) {
          assert.deepEqual(ids(await w.registry.members('dispatch')), [`live-${tag}/b2`]);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await cluster.cleanup();
      }
    });

    it('a restart with a new boot id replaces the old life at once; the old life is fenced', async () => {
      const cluster = await makeCluster({ ttlMs: 60_000, heartbeatMs: 50, pollMs: 200 });
      try {
        const [old, fresh, w] = [await cluster.instance(), await cluster.instance(), await cluster.instance()];
        await old.registry.announce(member('dispatch', 'd', 'life1', '127.0.0.1:1'));
        await fresh.registry.announce(member('dispatch', 'd', 'life2', '127.0.0.1:2'));
        assert.deepEqual(await w.registry.members('dispatch'), [member('dispatch', 'd', 'life2', '127.0.0.1:2')]);
        // The old life, still running (a partition), neither overwrites the new one nor removes it on close.
        await new Promise((r) => setTimeout(r, 500)); // several heartbeats of both lives
        assert.deepEqual(ids(await w.registry.members('dispatch')), [`d-${tag}/life2`]);
        await old.registry.close();
        assert.deepEqual(ids(await w.registry.members('dispatch')), [`d-${tag}/life2`]);
      } finally {
        await cluster.cleanup();
      }
    });
  });
}
