import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplicaRouter } from '../src/store/mysql/replica-router.js';
import { fakeServer as fake } from './helpers/fake-sql-server.js';

const fakeServer = (pos: () => string, waitResult?: () => number) => fake('mariadb', pos, waitResult);

/**
 * The replica router's decisions on fake servers and a fake clock (no
 * database, no wall-clock): lag from the primary's position samples, the
 * GTID read-your-writes rule, and the per-key primary window used when the
 * primary reports no GTIDs (GTIDs off, no binary log). MariaDB flavour
 * here; mysql8-replica-router.test.ts has the MySQL 8 one.
 * mysql-replica.test.ts covers the same against real servers.
 */

/** A primary and one replica that report no GTIDs, checked once. */
async function withoutGtids(opts: ConstructorParameters<typeof ReplicaRouter>[2]) {
  const primary = fakeServer(() => '');
  const replica = fakeServer(() => '');
  const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], opts);
  await router.checkNow();
  return { router, primary: primary.pool, replica: replica.pool };
}

describe('ReplicaRouter', () => {
  it('lag is the age of the oldest primary position the replica has not applied; beyond the bound it is skipped, then used again', async () => {
    let now = 0;
    let primaryPos = '0-1-10';
    let replicaPos = '0-1-10';
    const primary = fakeServer(() => primaryPos);
    const replica = fakeServer(() => replicaPos);
    const router = new ReplicaRouter(primary.pool, [{ url: 'mysql://app:pw@r/db', pool: replica.pool }], { maxLagMs: 5000, now: () => now });
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 0]]);
    assert.equal(await router.poolFor(['u']), replica.pool);

    now = 1000;
    primaryPos = '0-1-20'; // the primary moved on; the replica has not applied it yet
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 0]], 'just behind: lag counts from that sample');
    now = 5000;
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 4000]]);
    now = 7000;
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[false, 6000]]);
    assert.equal(await router.poolFor(['u']), primary.pool, 'lagging beyond the bound: skipped');

    replicaPos = '0-1-20';
    now = 8000;
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 0]]);
    assert.equal(await router.poolFor(['u']), replica.pool, 'caught up: used again');
    assert.equal(router.status()[0]!.url, 'mysql://app:***@r/db');
  });

  it('read-your-writes by GTID: a replica that has applied the write serves it; one that has not is waited for, else the primary', async () => {
    let replicaPos = '0-1-10';
    let waitResult = -1;
    const primary = fakeServer(() => '0-1-10');
    const replica = fakeServer(() => replicaPos, () => waitResult);
    const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], { now: () => 0 });
    await router.checkNow();
    router.recordWrite(['u1', 'c1'], '0-1-12');
    assert.equal(await router.poolFor(['u2']), replica.pool, 'another user: no constraint');
    assert.equal(await router.poolFor(['u1']), primary.pool, 'the replica did not reach 0-1-12 within the wait');
    assert.ok(replica.calls.some((sql) => sql.includes('MASTER_GTID_WAIT')));
    waitResult = 0;
    assert.equal(await router.poolFor(['c1']), replica.pool, 'MASTER_GTID_WAIT returned 0: it has the write');
    replica.calls.length = 0;
    replicaPos = '0-1-30';
    router.recordWrite(['u3'], '0-1-25');
    await router.checkNow();
    assert.equal(await router.poolFor(['u3']), replica.pool);
    assert.ok(!replica.calls.some((sql) => sql.includes('MASTER_GTID_WAIT')), 'known from the check: no wait');
  });

  it('without GTIDs from the primary: reads for a key written in the last primaryWindowMs go to the primary', async () => {
    let now = 0;
    const { router, primary, replica } = await withoutGtids({ primaryWindowMs: 3000, now: () => now });
    router.recordWrite(['u1'], undefined);
    now = 2999;
    assert.equal(await router.poolFor(['u1']), primary, 'inside the window');
    assert.equal(await router.poolFor(['u2']), replica, 'another key');
    now = 3000;
    assert.equal(await router.poolFor(['u1']), replica, 'the window is over');

    // Once the primary has shown it reports GTIDs, a write reported without one changed nothing: no window.
    router.recordWrite(['u4'], '0-1-1');
    router.recordWrite(['u5'], undefined);
    assert.equal(await router.poolFor(['u5']), replica);
  });

  it('remembers at most maxTrackedKeys keys, forgetting the oldest', async () => {
    const { router, primary, replica } = await withoutGtids({ maxTrackedKeys: 2, now: () => 0 });
    for (const k of ['a', 'b', 'c']) router.recordWrite([k], undefined);
    assert.equal(await router.poolFor(['a']), replica, 'forgotten');
    assert.equal(await router.poolFor(['b']), primary);
    assert.equal(await router.poolFor(['c']), primary);
  });
});
