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
