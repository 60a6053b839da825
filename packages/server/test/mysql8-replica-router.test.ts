import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { flavourOf, gtidDialect, GtidParseError, parseMysqlGtidSet } from '../src/store/mysql/gtid-positions.js';
import { ReplicaRouter } from '../src/store/mysql/replica-router.js';
import { lastGtid } from '../src/store/mysql/sql-pool.js';
import { fakeServer as fake } from './helpers/fake-sql-server.js';

/**
 * The MySQL 8 flavour of the replica router, on fake servers and a fake
 * clock: GTID sets (parse, merge, covers), lag from @@global.gtid_executed
 * samples, read-your-writes with WAIT_FOR_EXECUTED_GTID_SET, and the
 * primary window when no GTID comes back. No MySQL 8 server runs here: these
 * fakes answer as MySQL's documentation says the server does
 * (docs/mysql.md, "MySQL 8"). mysql-replica-router.test.ts has the MariaDB flavour.
 */
const A = '3E11FA47-71CA-11E1-9E33-C80AA9429562';
const a = A.toLowerCase();
const B = 'b2e6a1f0-0c7d-11ef-8a5e-0242ac120002';

const fakeServer = (pos: () => string, waitResult?: () => number) => fake('mysql', pos, waitResult);
const set = parseMysqlGtidSet;

describe('MySQL GTID sets', () => {
  it('parse: several uuids and intervals, uuid case folded, intervals sorted and merged, gtid_executed line breaks', () => {
    const s = set(`${A}:7:1-5:9-10,\n${B}:1-3,\n${a}:6`);
    assert.equal(s.toString(), `${a}:1-7:9-10,${B}:1-3`, '1-5, 6 and 7 are one interval; A and its lower case are one source');
    assert.equal(set(`${B}:3:2:1`).toString(), `${B}:1-3`, 'adjacent single GTIDs merge');
    assert.equal(set(`${B}:1-4:2-3`).toString(), `${B}:1-4`, 'overlapping intervals merge');
    assert.equal(set('').empty, true);
    assert.equal(set(null).empty, true);
    assert.equal(set(' \n').empty, true);
  });

  it('parse: MySQL 8.3+ tags apply to the intervals after them', () => {
    const s = set(`${B}:1-3:Tag_A:1-2:5,${B}:tag_a:3`);
    assert.equal(s.toString(), `${B}:1-3,${B}:tag_a:1-3:5`);
    assert.ok(!s.covers(set(`${B}:4`)), 'B:5 is tagged: untagged B stops at 3');
    assert.ok(s.covers(set(`${B}:TAG_A:5`)));
  });

  it('parse: text that is not a GTID set throws (it could otherwise claim transactions a replica lacks)', () => {
    for (const bad of ['0-1-12', `${B}`, `${B}:`, `${B}:0`, `${B}:5-3`, `${B}:1-x`, 'not-a-uuid:1-3', `${B}:1-3,junk`]) {
      assert.throws(() => set(bad), GtidParseError, bad);
    }
  });

  it('merge: the union, merged, in place, without sharing the other set', () => {
    const s = set(`${a}:1-3`);
    const other = set(`${a}:4-6:10,${B}:1`);
    s.merge(other);
    assert.equal(s.toString(), `${a}:1-6:10,${B}:1`);
    s.merge(set(`${a}:7-9`));
    assert.equal(s.toString(), `${a}:1-10,${B}:1`, 'the gap filled');
    assert.equal(other.toString(), `${a}:4-6:10,${B}:1`, 'the merged-in set is unchanged');
    assert.throws(() => s.merge(gtidDialect('mariadb').parse('0-1-5')), GtidParseError);
  });

  it('covers: every GTID of the needed set, per uuid, inside one interval', () => {
    const have = set(`${A}:1-10:20-30,${B}:1-5`);
    assert.ok(have.covers(set(`${a}:3-7,${B}:5`)));
    assert.ok(have.covers(set(`${a}:1-10:25`)));
    assert.ok(have.covers(set('')), 'nothing needed');
    assert.ok(!have.covers(set(`${a}:9-11`)), '11 is missing');
    assert.ok(!have.covers(set(`${a}:15`)), 'in the gap');
    assert.ok(!have.covers(set(`${B}:6`)));
    assert.ok(!have.covers(set(`${a}:1,c0ffee00-0000-4000-8000-000000000001:1`)), 'an unknown uuid');
    assert.ok(!set('').covers(set(`${B}:1`)));
  });
});

describe('server flavour and GTID tracking', () => {
  it('the flavour from VERSION() and @@version_comment', () => {
    assert.equal(flavourOf('8.0.36', 'MySQL Community Server - GPL'), 'mysql');
    assert.equal(flavourOf('8.4.3-commercial', 'MySQL Enterprise Server - Commercial'), 'mysql');
    assert.equal(flavourOf('10.11.6-MariaDB-0+deb12u1-log', 'Debian 12'), 'mariadb');
    assert.equal(flavourOf('5.5.5-10.11.6', 'mariadb.org binary distribution'), 'mariadb');
    assert.equal(gtidDialect('mysql').trackSql, 'SET SESSION session_track_gtids = OWN_GTID');
    assert.match(gtidDialect('mariadb').trackSql, /last_gtid/);
  });

  it("a MySQL OK packet's GTID tracker, as mysql2 parses it, gives the write's GTIDs", () => {
    // An OK packet with SERVER_SESSION_STATE_CHANGED and one SESSION_TRACK_GTIDS entry, through mysql2's own parser.
    const require = createRequire(import.meta.url);
    const lib = join(dirname(require.resolve('mysql2')), 'lib', 'packets'); // not in mysql2's exports: by path
    const ResultSetHeader = require(join(lib, 'resultset_header.js'));
    const Packet = require(join(lib, 'packet.js'));
    const gtids = `${B}:12-13,\n${a}:4`; // the tracker writes sets as gtid_executed does: a line break after each comma
    const entry = Buffer.concat([Buffer.from([0]), Buffer.from([gtids.length]), Buffer.from(gtids)]); // encoding spec, lenenc GTID set
    const state = Buffer.concat([Buffer.from([3, entry.length]), entry]);
    const body = Buffer.concat([Buffer.from([0x00, 1, 0, 0x02, 0x40, 0, 0, 0]), Buffer.from([state.length]), state]);
    const buf = Buffer.concat([Buffer.alloc(4), body]);
    const conn = { config: { bigNumberStrings: false }, serverEncoding: 'utf8', _handshakePacket: { capabilityFlags: 0x00800000 | 0x200 } };
    const header = new ResultSetHeader(new Packet(0, buf, 0, buf.length), conn);
    assert.deepEqual(header.stateChanges.gtids, [`${B}:12-13`, `\n${a}:4`], 'mysql2 splits on the comma');
    assert.equal(lastGtid(header), gtids);
    assert.equal(parseMysqlGtidSet(lastGtid(header)).toString(), `${B}:12-13,${a}:4`);
    assert.equal(lastGtid({ stateChanges: { systemVariables: {}, gtids: [`${B}:12`, `${a}:3`] } }), `${B}:12,${a}:3`, 'rejoined where mysql2 split');
    assert.equal(lastGtid({ stateChanges: { systemVariables: {}, gtids: [] } }), undefined);
    assert.equal(lastGtid({ stateChanges: { systemVariables: { last_gtid: '0-1-12' }, gtids: [] } }), '0-1-12', 'MariaDB');
    assert.equal(lastGtid({ affectedRows: 1 }), undefined);
  });
});

describe('ReplicaRouter on MySQL 8', () => {
  it('lag is the age of the oldest gtid_executed sample the replica does not cover; beyond the bound it is skipped, then used again', async () => {
    let now = 0;
    let primaryPos = `${A}:1-10,\n${B}:1-4`;
    let replicaPos = `${a}:1-10,\n${B}:1-4`;
    const primary = fakeServer(() => primaryPos);
    const replica = fakeServer(() => replicaPos);
    const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], { maxLagMs: 5000, now: () => now });
    await router.checkNow();
    assert.deepEqual(primary.calls, ['SELECT @@global.gtid_executed AS pos']);
    assert.deepEqual(replica.calls, ['SELECT @@global.gtid_executed AS pos']);
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 0]]);
    assert.equal(await router.poolFor(['u']), replica.pool);

    now = 1000;
    primaryPos = `${A}:1-20,\n${B}:1-4`; // A moved on; the replica has not applied it yet
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 0]], 'just behind: lag counts from that sample');
    now = 2000;
    primaryPos = `${A}:1-20,\n${B}:1-9`;
    replicaPos = `${a}:1-15,\n${B}:1-9`; // B caught up, A only partly: still behind the sample at 1000
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 1000]]);
    now = 7000;
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[false, 6000]]);
    assert.equal(await router.poolFor(['u']), primary.pool, 'lagging beyond the bound: skipped');

    replicaPos = `${a}:1-20,${B}:1-9,c0ffee00-0000-4000-8000-000000000001:1-2`; // caught up (and a transaction of its own)
    now = 8000;
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => [s.healthy, s.lagMs]), [[true, 0]]);
    assert.equal(await router.poolFor(['u']), replica.pool, 'caught up: used again');
  });

  it('a replica whose gtid_executed cannot be read, or of the other flavour, is not used', async () => {
    const primary = fakeServer(() => `${B}:1-3`);
    const garbled = fakeServer(() => 'garbage');
    const mariadb = fake('mariadb', () => '0-1-3');
    const router = new ReplicaRouter(primary.pool, [{ url: 'g', pool: garbled.pool }, { url: 'm', pool: mariadb.pool }], { now: () => 0 });
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => s.healthy), [false, false]);
    assert.match(router.status()[1]!.error ?? '', /mariadb replica of a mysql primary/);
    assert.equal(await router.poolFor(['u']), primary.pool);
  });

  it('read-your-writes by OWN_GTID: a replica that has the write serves it; one that has not is waited for with WAIT_FOR_EXECUTED_GTID_SET, else the primary', async () => {
    let replicaPos = `${B}:1-10`;
    let waitResult = 1; // timeout
    const primary = fakeServer(() => `${B}:1-10`);
    const replica = fakeServer(() => replicaPos, () => waitResult);
    const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], { waitMs: 500, now: () => 0 });
    await router.checkNow();
    router.recordWrite(['u1', 'c1'], `${B}:12`);
    router.recordWrite(['c1'], `${B.toUpperCase()}:11,${a}:4`); // a transaction on another source, as OWN_GTID can report
    assert.equal(await router.poolFor(['u2']), replica.pool, 'another user: no constraint');
    assert.equal(await router.poolFor(['u1']), primary.pool, 'the replica did not reach B:12 within the wait');
    const waits = () => replica.calls.flatMap((sql, i) => (sql.includes('WAIT_FOR_EXECUTED_GTID_SET') ? [replica.params[i]] : []));
    assert.deepEqual(waits(), [[`${B}:12`, 0.5]], 'the needed set and the wait in seconds');
    assert.equal(await router.poolFor(['c1', 'u1']), primary.pool);
    assert.deepEqual(waits()[1], [`${B}:11-12,${a}:4`, 0.5], 'the keys\' GTIDs merged into one set');

    waitResult = 0;
    assert.equal(await router.poolFor(['u1']), replica.pool, 'WAIT_FOR_EXECUTED_GTID_SET returned 0: it has the write');
    replica.calls.length = 0;
    replica.params.length = 0;
    assert.equal(await router.poolFor(['u1']), replica.pool, 'remembered from the wait');
    assert.deepEqual(waits(), [], 'no second wait');

    replicaPos = `${B}:1-30,${a}:1-4`;
    router.recordWrite(['u3'], `${B}:25`);
    await router.checkNow();
    assert.equal(await router.poolFor(['u3', 'c1']), replica.pool);
    assert.deepEqual(waits(), [], 'known from the check: no wait');
  });

  it('a failed wait (the replica went away) marks the replica down and the read goes to the primary', async () => {
    const primary = fakeServer(() => `${B}:1-10`);
    const replica = fakeServer(() => `${B}:1-10`, () => { throw new Error('connection lost'); });
    const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], { now: () => 0 });
    await router.checkNow();
    router.recordWrite(['u1'], `${B}:11`);
    assert.equal(await router.poolFor(['u1']), primary.pool);
    assert.deepEqual(router.status().map((s) => [s.healthy, s.error]), [[false, 'connection lost']]);
  });

  it('without GTIDs (gtid_mode OFF: empty gtid_executed, no tracker data): the per-key primary window', async () => {
    let now = 0;
    const primary = fakeServer(() => '');
    const replica = fakeServer(() => '');
    const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], { primaryWindowMs: 3000, now: () => now });
    await router.checkNow();
    assert.deepEqual(router.status().map((s) => s.healthy), [true]);
    router.recordWrite(['u1'], undefined);
    now = 2999;
    assert.equal(await router.poolFor(['u1']), primary.pool, 'inside the window');
    assert.equal(await router.poolFor(['u2']), replica.pool, 'another key');
    now = 3000;
    assert.equal(await router.poolFor(['u1']), replica.pool, 'the window is over');
    assert.ok(!replica.calls.some((sql) => sql.includes('WAIT')), 'nothing to wait for');
  });

  it('a write GTID that cannot be read falls back to the primary window, never to "nothing needed"', async () => {
    let now = 0;
    const primary = fakeServer(() => `${B}:1-10`);
    const replica = fakeServer(() => `${B}:1-10`);
    const router = new ReplicaRouter(primary.pool, [{ url: 'r', pool: replica.pool }], { primaryWindowMs: 3000, now: () => now });
    await router.checkNow();
    router.recordWrite(['u1'], 'not a gtid');
    assert.equal(await router.poolFor(['u1']), primary.pool);
    now = 3000;
    assert.equal(await router.poolFor(['u1']), replica.pool);
  });
});
