import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { MYSQL_MIGRATIONS } from '../src/store/mysql/migrations.js';
import { gtidDialect } from '../src/store/mysql/gtid-positions.js';
import { toStoreError, withRetry } from '../src/store/mysql/mysql-errors.js';
import { MysqlStore } from '../src/store/mysql/mysql-store.js';
import { SqlPool } from '../src/store/mysql/sql-pool.js';
import { foldForIndex, queryPhrase, tokenize } from '../src/store/mysql/search-tokens.js';
import { StoreError, type MemberRow, type StoredMessage } from '../src/store/store.js';
import { freePort } from './helpers/child-server.js';
import { runStoreContract } from './contract/store-contract.js';
import { sharedMariaDbDatabase, startMariaDbPair, type MariaDbPair } from './helpers/mariadb-harness.js';

/**
 * The Store contract on MariaDB: the same suite as SQLite, against the
 * harness's own primary (no replica here: the contract's reads are all
 * read-your-writes of other users too; replica routing is mysql-replica.test.ts).
 */
let pair: MariaDbPair;
before(async () => {
  pair = await startMariaDbPair();
});
after(async () => {
  await pair?.stop();
});

runStoreContract('mysql (MariaDB primary)', async () => {
  const db = await pair.createDatabase();
  const store = new MysqlStore({ primaryUrl: db.primaryUrl });
  // A second handle on the same database stands for a second process.
  return { store, cleanup: () => store.close(), openAnother: async () => new MysqlStore({ primaryUrl: db.primaryUrl }) };
});

// The same suite on the machine's own MariaDB (stock configuration, no binary log), in a throwaway database.
runStoreContract('mysql (the machine\'s MariaDB on 3306)', async () => {
  const db = await sharedMariaDbDatabase();
  const store = new MysqlStore({ primaryUrl: db.url });
  return {
    store, openAnother: async () => new MysqlStore({ primaryUrl: db.url }),
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});

describe('MysqlStore (MariaDB specifics)', () => {
  const T0 = 1_700_000_000_000;
  const member = (app_id: string, conv_id: string, user_id: string): MemberRow => ({
    app_id, conv_id, user_id, role: 'member', join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: T0,
  });
  const text = (app_id: string, conv_id: string, seq: number, body: string): StoredMessage => ({
    app_id, conv_id, seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${conv_id}${seq}`, type: 'text', content: { text: body }, status: 'normal', created_at: T0 + seq,
  });
  const signal = () => {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => { resolve = r; });
    return { promise, resolve };
  };
  const isKind = (kind: string) => (err: unknown) => err instanceof StoreError && err.kind === kind;

  it('two processes migrating one fresh database at once both succeed, and the schema is applied once', async () => {
    const db = await pair.createDatabase();
    const stores = [new MysqlStore({ primaryUrl: db.primaryUrl }), new MysqlStore({ primaryUrl: db.primaryUrl })];
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const c = await mysql.createConnection(db.primaryUrl);
      try {
        const [rows] = await c.query('SELECT version FROM schema_version ORDER BY version');
        assert.deepEqual((rows as Array<{ version: number }>).map((r) => r.version), MYSQL_MIGRATIONS.map((m) => m.version));
        const [[cs]] = await c.query(`SELECT CCSA.character_set_name AS cs FROM information_schema.TABLES T
          JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA ON CCSA.collation_name = T.table_collation
          WHERE T.table_schema = DATABASE() AND T.table_name = 'messages'`) as unknown as [[{ cs: string }]];
        assert.equal(cs.cs, 'utf8mb4');
      } finally {
        await c.end();
      }
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('search tokens: CJK bigrams and whole Latin words, all ASCII z-words the default parser keeps', () => {
    const { tokens } = tokenize(foldForIndex('北京开会 a IS the w ＡＢＣ Straße 海'));
    assert.deepEqual(tokens.slice(0, 3), ['zc0531704eac', 'zc04eac05f00', 'zc05f0004f1a']);
    assert.ok(tokens.includes('zwa') && tokens.includes('zwis') && tokens.includes('zwthe') && tokens.includes('zww'), tokens.join(' '));
    assert.ok(tokens.includes('zwabc'), 'NFKC folds full-width letters');
    assert.ok(tokens.includes('zwstrasse'), 'case folding: ß → ss');
    assert.ok(tokens.includes(`zu${'6d77'.padStart(5, '0')}`), 'a lone CJK character');
    for (const t of tokens) assert.match(t, /^z[a-z0-9]{2,83}$/);
    assert.equal(queryPhrase('海'), null, 'a lone CJK character cannot be answered from bigrams');
    assert.equal(queryPhrase('%%'), null);
    assert.equal(queryPhrase('"北京" AND x'), '"zc0531704eac zwand zwx"', 'operators are just words');
  });

  it('the index plan uses the FULLTEXT index and finds short and stopword Latin words', async () => {
    const db = await pair.createDatabase();
    const store = new MysqlStore({ primaryUrl: db.primaryUrl, searchScanMaxMessages: 0 });
    try {
      await store.migrate();
      await store.ensureConversations('a', [{ conv_id: 'g:c', type: 'group', members: [member('a', 'g:c', 'u1')] }], T0);
      await store.commitMessages([text('a', 'g:c', 1, 'to be or not to be'), text('a', 'g:c', 2, 'the W is a letter'), text('a', 'g:c', 3, 'ＦＵＬＬ width')]);
      const q = { app_id: 'a', user_id: 'u1', limit: 10 };
      assert.equal(await store.searchPlan({ ...q, text: 'to be' }), 'index');
      assert.equal(await store.searchPlan({ ...q, text: '海' }), 'scan');
      const find = async (t: string) => (await store.search({ ...q, text: t })).map((m) => m.seq);
      assert.deepEqual(await find('to be'), [1]);
      assert.deepEqual(await find('or not'), [1]);
      assert.deepEqual(await find('the w'), [2]);
      assert.deepEqual(await find('a letter'), [2]);
      assert.deepEqual(await find('full width'), [3]);
      assert.deepEqual(await find('be to be'), [], 'words present, phrase absent');
      const c = await mysql.createConnection(db.primaryUrl);
      try {
        const [plan] = await c.query(`EXPLAIN SELECT seq FROM messages m WHERE MATCH (m.search_tokens) AGAINST ('"zwto zwbe"' IN BOOLEAN MODE)`);
        assert.ok((plan as Array<{ type: string }>).some((r) => r.type === 'fulltext'), JSON.stringify(plan));
      } finally {
        await c.end();
      }
    } finally {
      await store.close();
    }
  });

  it('errors are backend-neutral: a dead primary is unavailable (no ack), a read-only server is unavailable, a deadlock is retried', async () => {
    const deadPort = await freePort();
    const dead = new MysqlStore({ primaryUrl: `mysql://app:apppw@127.0.0.1:${deadPort}/parley_x` });
    await assert.rejects(dead.migrate(), isKind('unavailable'));
    await assert.rejects(dead.commitMessages([text('a', 'g:c', 1, 'never acked')]), isKind('unavailable'));
    await assert.rejects(dead.getApp('a'), isKind('unavailable'));
    await dead.close();

    // The replica as if it were the primary: read_only holds for the app user.
    const db = await pair.createDatabase();
    const primary = new MysqlStore({ primaryUrl: db.primaryUrl });
    await primary.migrate();
    await pair.waitReplicaCaughtUp();
    const ro = new MysqlStore({ primaryUrl: db.replicaUrl });
    try {
      await assert.rejects(ro.commitMessages([text('a', 'g:c', 1, 'on a replica')]), (err: unknown) =>
        err instanceof StoreError && err.kind === 'unavailable' && /read-only/.test(err.message));
      assert.equal(await primary.getMessage('a', 'g:c', 1), null);
    } finally {
      await ro.close();
      await primary.close();
    }

    let calls = 0;
    const deadlock = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
    assert.equal(await withRetry('x', async () => (++calls < 3 ? Promise.reject(deadlock) : 'done'), { backoffMs: 0 }), 'done');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(withRetry('x', async () => { calls++; throw deadlock; }, { attempts: 4, backoffMs: 0 }), isKind('unavailable'));
    assert.equal(calls, 4, 'bounded');
    assert.equal((toStoreError(Object.assign(new Error('dup'), { errno: 1062, code: 'ER_DUP_ENTRY' }), 'x') as StoreError).kind, 'duplicate');
    assert.equal((toStoreError(Object.assign(new Error('lost'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }), 'x') as StoreError).kind, 'unavailable');
  });

  it('a reserved seq mark is durable: a reservation asked for before close is answered, a new process continues above it', async () => {
    const db = await pair.createDatabase();
    const a = new MysqlStore({ primaryUrl: db.primaryUrl });
    await a.migrate();
    const blocks = await Promise.all(['g:a', 'g:b', 'g:a'].map((c) => a.reserveSeqBlock('app', c, 100)));
    assert.deepEqual(blocks, [{ first: 1, last: 100 }, { first: 1, last: 100 }, { first: 101, last: 200 }]);
    const pending = a.reserveSeqBlock('app', 'g:b', 10);
    await a.close();
    assert.deepEqual(await pending, { first: 101, last: 110 });
    const b = new MysqlStore({ primaryUrl: db.primaryUrl });
    try {
      await b.migrate();
      assert.deepEqual(await b.reserveSeqBlock('app', 'g:a', 1), { first: 201, last: 201 });
      assert.deepEqual(await b.reserveSeqBlock('app', 'g:b', 1), { first: 111, last: 111 });
      assert.equal(await b.maxSeq('app', 'g:a'), 0);
    } finally {
      await b.close();
    }
  });

  it('prepared statements are bounded per connection: the server holds at most connections × the cap', async (t) => {
    const db = await pair.createDatabase();
    const root = await pair.primaryRoot();
    const prepared = async () => Number(((await root.query("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'")) as unknown as [[{ Value: string }]])[0][0].Value);
    // The same work through a store whose two pools (statements, commits) hold one connection each, with the given cap.
    const work = async (app: string, cap: number) => {
      const store = new MysqlStore({ primaryUrl: db.primaryUrl, poolSize: 1, writerPoolSize: 1, maxPreparedStatements: cap });
      try {
        await store.migrate();
        const convs = Array.from({ length: 40 }, (_, i) => `g:b${i}`);
        await store.ensureConversations(app, convs.map((conv_id) => ({ conv_id, type: 'group' as const, members: [member(app, conv_id, 'u1')] })), T0);
        for (let round = 0; round < 5; round++) {
          const batch = Array.from({ length: 300 + round * 7 }, (_, i) => text(app, convs[i % convs.length]!, round * 1000 + i + 1, `batch ${round} msg ${i}`));
          const r = await store.commitMessages(batch);
          assert.deepEqual([r.duplicates.length, r.conflicts.length], [0, 0]);
        }
        assert.equal(await store.maxSeq(app, 'g:b0'), 4000 + 321);
        assert.equal((await store.getMember(app, 'g:b0', 'u1'))?.read_seq, 4000 + 321);
        assert.equal((await store.history({ app_id: app, conv_id: 'g:b0', user_id: 'u1', limit: 1 }))[0]?.seq, 4000 + 321);
        assert.equal((await store.search({ app_id: app, user_id: 'u1', text: 'batch 4 msg 0', limit: 5 })).length, 1);
        assert.equal((await store.listMemberConversations(app, 'u1')).length, 40);
        assert.equal((await store.readersAtLeast(app, 'g:b1', 1)).length, 1);
        return await prepared();
      } finally {
        await store.close();
      }
    };
    // Statements are deallocated when their connection closes; wait (bounded) for the server to drop them.
    const settled = async (want: number) => {
      for (let i = 0; i < 200 && (await prepared()) > want; i++) await new Promise((r) => setTimeout(r, 25));
      return prepared();
    };
    try {
      const base = await prepared();
      const capped = (await work('a4', 4)) - base;
      assert.equal(await settled(base), base);
      const uncapped = (await work('a64', 64)) - base;
      t.diagnostic(`server-side prepared statements for the same work: cap 4 → ${capped}, cap 64 → ${uncapped}`);
      assert.ok(capped <= 2 * 4, `2 connections × cap 4, got ${capped}`);
      assert.ok(uncapped > 2 * 4, `the same work prepares more than the cap allows when uncapped (${uncapped}), so the cap is what bounded it`);
    } finally {
      await root.end();
    }
  });

  it('a pool asks the flavour once and sets up every connection for it before any statement: MariaDB tracks last_gtid, a write reports its GTID', async () => {
    const db = await pair.createDatabase();
    const pool = new SqlPool({ url: db.primaryUrl, connectionLimit: 3, sessionInit: (f) => [gtidDialect(f).trackSql] });
    try {
      // Three statements before the flavour is known: each waits for it, and each connection has its session init first.
      const tracked = await Promise.all([1, 2, 3].map(() => pool.raw('probe', 'SELECT @@session_track_system_variables AS t, SLEEP(0.05) AS s')));
      for (const r of tracked) assert.match(String(r.rows[0]?.t), /(^|,)last_gtid(,|$)/);
      assert.equal(await pool.flavour(), 'mariadb');
      await pool.raw('probe', 'CREATE TABLE probe (id INT PRIMARY KEY)');
      const w = await pool.run('probe', 'INSERT INTO probe VALUES (?)', [1]);
      assert.match(w.gtid ?? '', /^\d+-\d+-\d+$/, 'the write\'s GTID, from last_gtid');
      const { gtid } = await pool.tx('probe', (tx) => tx.run('INSERT INTO probe VALUES (?)', [2]));
      assert.match(gtid ?? '', /^\d+-\d+-\d+$/);
      assert.notEqual(gtid, w.gtid);
    } finally {
      await pool.close();
    }
  });

  it('a real deadlock between two transactions is retried (bounded): the victim runs again and both commit', async () => {
    const db = await pair.createDatabase();
    const setup = new SqlPool({ url: db.primaryUrl, connectionLimit: 1 });
    await setup.raw('setup', 'CREATE TABLE dl (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB');
    await setup.raw('setup', 'INSERT INTO dl VALUES (1, 0), (2, 0)');
    await setup.close();
    // Two transactions lock rows 1 and 2 in opposite orders; each waits until the other holds its first row
    // (first attempt only), so the server must pick a victim (ER_LOCK_DEADLOCK, 1213).
    const race = async (attempts: number) => {
      const pool = new SqlPool({ url: db.primaryUrl, connectionLimit: 2, retry: { attempts, backoffMs: 1 } });
      let runs = 0;
      const held = [signal(), signal()];
      const txn = (first: number, second: number, mine: number) => pool.tx('deadlock test', async (tx) => {
        const attempt = ++runs;
        await tx.run('UPDATE dl SET v = v + 1 WHERE id = ?', [first]);
        if (attempt <= 2) {
          held[mine]!.resolve();
          await held[1 - mine]!.promise;
        }
        await tx.run('UPDATE dl SET v = v + 1 WHERE id = ?', [second]);
      });
      try {
        const out = await Promise.allSettled([txn(1, 2, 0), txn(2, 1, 1)]);
        return { out, runs };
      } finally {
        await pool.close();
      }
    };
    const once = await race(1);
    assert.equal(once.runs, 2);
    const failed = once.out.filter((o) => o.status === 'rejected');
    assert.equal(failed.length, 1, 'without retries the server\'s victim fails');
    assert.ok(isKind('unavailable')((failed[0] as PromiseRejectedResult).reason), String((failed[0] as PromiseRejectedResult).reason));
    const retried = await race(4);
    assert.deepEqual(retried.out.map((o) => o.status), ['fulfilled', 'fulfilled'], JSON.stringify(retried.out));
    assert.equal(retried.runs, 3, 'the victim ran once more');
    const check = new SqlPool({ url: db.primaryUrl, connectionLimit: 1 });
    try {
      // 1 transaction committed in the first race, 2 in the second: each adds 1 to both rows.
      assert.deepEqual((await check.run<{ v: number }>('check', 'SELECT v FROM dl ORDER BY id')).rows.map((r) => Number(r.v)), [3, 3]);
    } finally {
      await check.close();
    }
  });
});
