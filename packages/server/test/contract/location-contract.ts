import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ConnRef, Location } from '../../src/location/location.js';

/** The Location seam's promises; run against every implementation (memory now, Redis later). */
export function runLocationContract(name: string, make: () => Promise<{ location: Location; cleanup: () => Promise<void> }>): void {
  describe(`Location contract: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;
    const conn = (user: string, id: string, platform: ConnRef['platform'], link = 'L1'): ConnRef =>
      ({ app_id: app, user_id: user, conn_id: id, link_id: link, platform, connected_at: Date.now() });

    it('one_per_platform kicks only the older connection of the same platform', async () => {
      const { location, cleanup } = await make();
      try {
        assert.deepEqual((await location.register(conn('u1', 'c1', 'web'), 'one_per_platform')).kicked, []);
        assert.deepEqual((await location.register(conn('u1', 'c2', 'ios'), 'one_per_platform')).kicked, []);
        const { kicked } = await location.register(conn('u1', 'c3', 'web'), 'one_per_platform');
        assert.deepEqual(kicked.map((k) => k.conn_id), ['c1']);
        const now = (await location.lookup(app, ['u1'])).map((c) => c.conn_id).sort();
        assert.deepEqual(now, ['c2', 'c3']);
      } finally {
        await cleanup();
      }
    });

    it('one_total kicks every other connection; unlimited kicks none', async () => {
      const { location, cleanup } = await make();
      try {
        await location.register(conn('u2', 'a', 'web'), 'unlimited');
        await location.register(conn('u2', 'b', 'web'), 'unlimited');
        assert.equal((await location.lookup(app, ['u2'])).length, 2);
        const { kicked } = await location.register(conn('u2', 'c', 'pad'), 'one_total');
        assert.deepEqual(kicked.map((k) => k.conn_id).sort(), ['a', 'b']);
        assert.deepEqual((await location.lookup(app, ['u2'])).map((c) => c.conn_id), ['c']);
      } finally {
        await cleanup();
      }
    });

    it('unregister reports when the last connection is gone, and scopes by app', async () => {
      const { location, cleanup } = await make();
      try {
        await location.register(conn('u3', 'x', 'web'), 'unlimited');
        await location.register(conn('u3', 'y', 'ios', 'L2'), 'unlimited');
        await location.register({ ...conn('u3', 'z', 'web'), app_id: `${app}_other` }, 'unlimited');
        assert.deepEqual((await location.connectionsOfLink('L2')).map((c) => c.conn_id), ['y']);
        assert.equal(await location.unregister(app, 'u3', 'x'), false);
        assert.equal(await location.unregister(app, 'u3', 'y'), true);
        assert.deepEqual(await location.lookup(app, ['u3']), []);
        assert.equal((await location.lookup(`${app}_other`, ['u3'])).length, 1, 'the other app is untouched');
        assert.equal(await location.unregister(app, 'u3', 'missing'), true, 'unknown connection: no error');
      } finally {
        await cleanup();
      }
    });

    it('lookup of many users returns each connection once', async () => {
      const { location, cleanup } = await make();
      try {
        for (let i = 0; i < 50; i++) await location.register(conn(`m${i}`, `mc${i}`, 'web'), 'one_per_platform');
        const found = await location.lookup(app, Array.from({ length: 60 }, (_, i) => `m${i}`));
        assert.equal(found.length, 50);
        assert.equal(new Set(found.map((c) => c.conn_id)).size, 50);
      } finally {
        await cleanup();
      }
    });

    it('re-registering the same conn id (a session re-opened on another dispatcher) refreshes it: no self-kick, not first', async () => {
      const { location, cleanup } = await make();
      try {
        assert.equal((await location.register(conn('r1', 'rc1', 'web', 'L1'), 'one_total')).first, true);
        const again = await location.register(conn('r1', 'rc1', 'web', 'L1'), 'one_total');
        assert.deepEqual(again.kicked, []);
        assert.equal(again.first, false);
        assert.deepEqual((await location.lookup(app, ['r1'])).map((c) => c.conn_id), ['rc1']);
      } finally {
        await cleanup();
      }
    });
  });
}

/** Two instances of a distributed implementation on one backend (two dispatcher processes). */
export interface LocationPair {
  a: Location;
  b: Location;
  cleanup: () => Promise<void>;
}

async function pollUntil(what: string, pred: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * What only several instances show (seams issue): a kick crossing instances,
 * atomic login policy under concurrent logins, entries expiring with a link
 * that stops heartbeating, a restarted link's old entries fenced off.
 * `makePair(linkTtlMs)` gives two instances whose links expire after that long.
 */
export function runSharedLocationContract(name: string, makePair: (linkTtlMs: number) => Promise<LocationPair>): void {
  describe(`Location contract, two instances: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;
    const conn = (user: string, id: string, platform: ConnRef['platform'], link: string, boot?: string): ConnRef =>
      ({ app_id: app, user_id: user, conn_id: id, link_id: link, boot_id: boot, platform, connected_at: 1_700_000_000_000 });

    it('a login through one instance kicks the same platform\'s connection registered through the other', async () => {
      const { a, b, cleanup } = await makePair(60_000);
      try {
        const r1 = await a.register(conn('k1', 'c1', 'web', 'L1', 'boot1'), 'one_per_platform');
        assert.deepEqual(r1, { kicked: [], first: true });
        const r2 = await b.register(conn('k1', 'c2', 'web', 'L2', 'boot2'), 'one_per_platform');
        assert.equal(r2.first, false);
        assert.deepEqual(r2.kicked, [conn('k1', 'c1', 'web', 'L1', 'boot1')], 'the kicked connection comes back whole, with its link and boot id');
        assert.deepEqual((await a.lookup(app, ['k1'])).map((c) => [c.conn_id, c.link_id]), [['c2', 'L2']]);
        assert.deepEqual(await a.connectionsOfLink('L1'), []);
        assert.deepEqual((await a.connectionsOfLink('L2')).map((c) => c.conn_id), ['c2']);
      } finally {
        await cleanup();
      }
    });

    it('concurrent logins of one user on both instances: exactly one survives, every other is kicked once', async () => {
      const { a, b, cleanup } = await makePair(60_000);
      try {
        const n = 20;
        const results = await Promise.all(Array.from({ length: n }, (_, i) =>
          (i % 2 ? a : b).register(conn('k2', `r${i}`, 'ios', i % 2 ? 'L1' : 'L2'), 'one_per_platform')));
        const left = await b.lookup(app, ['k2']);
        assert.equal(left.length, 1);
        const kicked = results.flatMap((r) => r.kicked.map((k) => k.conn_id));
        assert.equal(kicked.length, n - 1);
        assert.equal(new Set([...kicked, left[0].conn_id]).size, n, 'each connection kicked at most once, the survivor never');
        assert.equal(results.filter((r) => r.first).length, 1, 'exactly one login saw itself first');
      } finally {
        await cleanup();
      }
    });

    it('a link that stops heartbeating drops out of lookups; a heartbeat of a link that is alive keeps its entries', async () => {
      // A TTL long enough that one heartbeat-then-lookup round trip never outlasts it, even on a loaded machine.
      const { a, b, cleanup } = await makePair(2000);
      try {
        await a.register(conn('k3', 'dead', 'web', 'Ldead'), 'unlimited');
        await b.register(conn('k3', 'alive', 'ios', 'Lalive'), 'unlimited');
        await pollUntil('the silent link\'s entry to expire', async () => {
          await b.heartbeat('Lalive');
          const ids = (await b.lookup(app, ['k3'])).map((c) => c.conn_id);
          assert.ok(ids.includes('alive'), 'the heartbeating link stays');
          return !ids.includes('dead');
        });
        // The expired entry no longer counts for the login policy nor for "first".
        await b.heartbeat('Lalive');
        const r = await a.register(conn('k3', 'again', 'web', 'Lnew'), 'one_per_platform');
        assert.deepEqual(r.kicked, [], 'the dead web connection is not kicked: it is gone');
        assert.equal(r.first, false, 'the live ios connection is still there');
      } finally {
        await cleanup();
      }
    });

    it('a restarted link (new boot id) fences off the entries of its earlier life', async () => {
      const { a, b, cleanup } = await makePair(60_000);
      try {
        await a.register(conn('k4', 'old', 'web', 'L9', 'life1'), 'unlimited');
        assert.equal((await b.lookup(app, ['k4'])).length, 1);
        await b.register(conn('k5', 'new', 'web', 'L9', 'life2'), 'unlimited');
        assert.deepEqual(await a.lookup(app, ['k4']), [], 'the old life is never pushed to');
        assert.deepEqual((await a.connectionsOfLink('L9')).map((c) => c.conn_id), ['new']);
        const r = await b.register(conn('k4', 'back', 'web', 'L9', 'life2'), 'one_per_platform');
        assert.deepEqual(r, { kicked: [], first: true }, 'a fenced entry is neither kicked nor counted');
      } finally {
        await cleanup();
      }
    });
  });
}
