import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StoreError, type StoredMessage } from '../src/store/store.js';
import { MIGRATIONS, runMigrations } from '../src/store/sqlite/migrations.js';
import { foldForSearch } from '../src/store/sqlite/search-fold.js';
import { ftsPhrase, likeContains, searchableText } from '../src/store/sqlite/search-text.js';
import { toStoreError } from '../src/store/sqlite/sqlite-errors.js';
import { SqliteStore, type SqliteStoreOptions } from '../src/store/sqlite/sqlite-store.js';
import { runStoreContract } from './contract/store-contract.js';

/** A store on a fresh temp file, removed (with its -wal/-shm) by cleanup. */
async function tempStore(opts: Partial<SqliteStoreOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-sqlite-'));
  const path = join(dir, 'parley.db');
  const store = new SqliteStore({ path, ...opts });
  return {
    store, path,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const msg = (app_id: string, conv_id: string, seq: number, text: string): StoredMessage => ({
  app_id, conv_id, seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${seq}`, type: 'text', content: { text }, status: 'normal', created_at: 1000 + seq,
});

const isKind = (kind: string) => (err: unknown) => err instanceof StoreError && err.kind === kind;

// Two handles on one file stand for two processes on one database.
runStoreContract('sqlite', async () => {
  const { store, path, cleanup } = await tempStore();
  return { store, cleanup, openAnother: async () => new SqliteStore({ path }) };
});

// The contract's scopes are tiny, so the default store answers by scanning them;
// run it again with every 3+ character search forced onto the full-text index.
runStoreContract('sqlite (search through the index)', async () => {
  const { store, path, cleanup } = await tempStore({ searchScanMaxMessages: 0 });
  return { store, cleanup, openAnother: async () => new SqliteStore({ path, searchScanMaxMessages: 0 }) };
});

describe('SqliteStore (SQLite specifics)', () => {
  it('runs WAL with synchronous=FULL and a busy timeout', async () => {
    const t = await tempStore({ busyTimeoutMs: 1234 });
    try {
      await t.store.migrate();
      assert.deepEqual(t.store.pragmas(), { journal_mode: 'wal', synchronous: 2, busy_timeout: 1234, foreign_keys: 0 });
      // WAL is a property of the file: another connection sees it too.
      const other = new Database(t.path, { readonly: true });
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
      other.close();
    } finally {
      await t.cleanup();
    }
  });

  it('migrations are idempotent, recorded in schema_version, and reopening a file keeps its data', async () => {
    const t = await tempStore();
    try {
      await t.store.migrate();
      await t.store.migrate();
      await t.store.ensureConversation('app', 'g:c', 'group', 1);
      await t.store.addMembers([{ app_id: 'app', conv_id: 'g:c', user_id: 'u1', role: 'owner', join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: 1 }]);
      await t.store.commitMessages([msg('app', 'g:c', 1, '我们明天去北京开会')]);
      await t.store.close();
      await t.store.close(); // closing twice is harmless

      const reopened = new SqliteStore({ path: t.path });
      try {
        await reopened.migrate();
        const raw = new Database(t.path, { readonly: true });
        const versions = raw.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
        raw.close();
        assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
        assert.equal((await reopened.getMessage('app', 'g:c', 1))?.content instanceof Object, true);
        assert.equal((await reopened.getMember('app', 'g:c', 'u1'))?.read_seq, 1);
        // the full-text index persisted, and new index ids continue after the old ones
        await reopened.commitMessages([msg('app', 'g:c', 2, '北京开会改到周五')]);
        const hits = await reopened.search({ app_id: 'app', user_id: 'u1', text: '北京开会', limit: 10 });
        assert.deepEqual(hits.map((m) => m.seq), [2, 1]);
      } finally {
        await reopened.close();
      }
    } finally {
      await t.cleanup();
    }
  });

  it('a reserved seq mark is durable: a reopened file (a restart) continues above it', async () => {
    const t = await tempStore();
    try {
      await t.store.migrate();
      // many conversations asked for in one turn share one transaction
      const blocks = await Promise.all(['g:a', 'g:b', 'g:a'].map((c) => t.store.reserveSeqBlock('app', c, 100)));
      assert.deepEqual(blocks, [{ first: 1, last: 100 }, { first: 1, last: 100 }, { first: 101, last: 200 }]);
      const pending = t.store.reserveSeqBlock('app', 'g:b', 10);
      await t.store.close(); // a reservation asked for before the close is answered, not lost
      assert.deepEqual(await pending, { first: 101, last: 110 });
      const reopened = new SqliteStore({ path: t.path });
      try {
        await reopened.migrate();
        assert.deepEqual(await reopened.reserveSeqBlock('app', 'g:a', 1), { first: 201, last: 201 });
        assert.deepEqual(await reopened.reserveSeqBlock('app', 'g:b', 1), { first: 111, last: 111 });
        assert.equal(await reopened.maxSeq('app', 'g:a'), 0);
      } finally {
        await reopened.close();
      }
    } finally {
      await t.cleanup();
    }
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const t = await tempStore();
    try {
      await t.store.migrate();
      const raw = new Database(t.path);
      raw.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(MIGRATIONS.length + 1, 'from the future', 0);
      raw.close();
      const newer = new SqliteStore({ path: t.path });
      await assert.rejects(newer.migrate(), isKind('conflict'));
      await newer.close();
    } finally {
      await t.cleanup();
    }
  });

  it('fails clearly when used before migrate()', async () => {
    const t = await tempStore();
    try {
      await assert.rejects(t.store.getApp('x'), isKind('unavailable'));
    } finally {
      await t.cleanup();
    }
  });

  it('a write blocked by another connection fails as unavailable, and succeeds once the lock is released', async () => {
    const t = await tempStore({ busyTimeoutMs: 50 });
    try {
      await t.store.migrate();
      const locker = new Database(t.path);
      locker.exec('BEGIN IMMEDIATE');
      await assert.rejects(t.store.commitMessages([msg('app', 's:u1:u2', 1, 'hello there')]), isKind('unavailable'));
      await assert.rejects(t.store.createUser({ app_id: 'app', user_id: 'u', name: 'u', tokens_valid_after: 0, created_at: 0 }), isKind('unavailable'));
      // readers are not blocked by a writer in WAL mode
      assert.equal(await t.store.maxSeq('app', 's:u1:u2'), 0);
      locker.exec('COMMIT');
      locker.close();
      await t.store.commitMessages([msg('app', 's:u1:u2', 1, 'hello there')]);
      assert.equal(await t.store.maxSeq('app', 's:u1:u2'), 1);
    } finally {
      await t.cleanup();
    }
  });

  it('translates driver errors into backend-neutral store errors', () => {
    const kindOf = (code: string) => {
      const e = toStoreError(new Database.SqliteError('boom', code), 'test');
      assert.ok(e instanceof StoreError);
      assert.ok(e.cause instanceof Database.SqliteError);
      return e.kind;
    };
    assert.equal(kindOf('SQLITE_BUSY'), 'unavailable');
    assert.equal(kindOf('SQLITE_BUSY_SNAPSHOT'), 'unavailable');
    assert.equal(kindOf('SQLITE_FULL'), 'unavailable');
    assert.equal(kindOf('SQLITE_IOERR_WRITE'), 'unavailable');
    assert.equal(kindOf('SQLITE_IOERR_FSYNC'), 'unavailable');
    assert.equal(kindOf('SQLITE_READONLY'), 'unavailable');
    assert.equal(kindOf('SQLITE_CORRUPT'), 'unavailable');
    assert.equal(kindOf('SQLITE_CONSTRAINT_UNIQUE'), 'duplicate');
    assert.equal(kindOf('SQLITE_CONSTRAINT_PRIMARYKEY'), 'duplicate');
    assert.equal(kindOf('SQLITE_CONSTRAINT_NOTNULL'), 'conflict');
    const bug = new TypeError('not a driver error');
    assert.equal(toStoreError(bug, 'test'), bug);
    const already = new StoreError('not_found', 'x');
    assert.equal(toStoreError(already, 'test'), already);
  });

  it('makes search text and queries safe: phrase quoting, LIKE escaping, indexed fields', () => {
    assert.equal(ftsPhrase('say "hi" AND('), '"say ""hi"" AND("');
    assert.equal(likeContains('50%_off\\'), '%50\\%\\_off\\\\%');
    assert.equal(searchableText('text', { text: 'a' }), 'a');
    assert.equal(searchableText('file', { url: 'u', name: 'n.pdf', size: 1 }), 'n.pdf');
    assert.equal(searchableText('link', { url: 'u', title: 'T', description: 'D' }), 'T\nD');
    assert.equal(searchableText('link', { url: 'u', title: '' }), null);
    assert.equal(searchableText('notice', { kind: 'system', text: 'x' }), null);
    assert.equal(searchableText('custom', { data: { text: 'x' } }), null);
    assert.equal(searchableText('image', { url: 'u' }), null);
    assert.equal(searchableText('text', null), null);
  });

  it('search: the scope scan and the full-text index find the same messages, with the same scope rules', async () => {
    const scan = await tempStore({ searchScanMaxMessages: Number.MAX_SAFE_INTEGER });
    const index = await tempStore({ searchScanMaxMessages: 0 });
    const threshold = await tempStore({ searchScanMaxMessages: 5 });
    try {
      const member = (conv_id: string, user_id: string, join_seq: number) => ({
        app_id: 'app', conv_id, user_id, role: 'member' as const, join_seq, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: 1,
      });
      const m = (conv_id: string, seq: number, body: Partial<StoredMessage>): StoredMessage => ({
        ...msg('app', conv_id, seq, ''), cmid: `${conv_id}-${seq}`, msg_id: `${conv_id}-${seq}`, ...body,
      });
      const texts = ['Budget review', 'the BUDGET is late', 'ΟΔΟΣ and οδός', 'µ-sized Straße', 'strasse', '我们明天去北京开会',
        '北京开会改到周五', 'budget 50%_off "quoted" AND(', 'ſtop'];
      for (const t of [scan, index, threshold]) {
        const s = t.store;
        await s.migrate();
        for (const c of ['g:a', 'g:b', 'g:other']) await s.ensureConversation('app', c, 'group', 1);
        await s.addMembers([member('g:a', 'me', 3), member('g:b', 'me', 0), member('g:other', 'x', 0),
          member('g:a', 'u1', 0), member('g:a', 'u2', 0), member('g:b', 'u1', 0)]); // senders are members (commitMessages checks)
        await s.commitMessages([
          ...texts.map((text, i) => m('g:a', i + 1, { content: { text }, sender: i % 2 ? 'u1' : 'u2', created_at: 1000 + i })),
          ...texts.map((text, i) => m('g:b', i + 1, { content: { text }, created_at: 1000 + i })), // same created_at: conv_id breaks ties
          m('g:b', 20, { type: 'file', content: { url: 'u', name: 'Budget.PDF', size: 1 }, created_at: 2000 }),
          m('g:b', 21, { type: 'link', content: { url: 'u', title: 'Budget', description: '北京' }, created_at: 2001 }),
          m('g:b', 22, { type: 'notice', content: { kind: 'system', text: 'budget 北京' }, created_at: 2002 }),
          m('g:b', 23, { type: 'custom', content: { data: { text: 'budget 北京' } }, created_at: 2003 }),
          m('g:b', 24, { content: { text: 'budget recalled 北京' }, created_at: 2004 }),
          m('g:b', 25, { content: { text: 'budget hidden 北京' }, created_at: 2005 }),
          ...texts.map((text, i) => m('g:other', i + 1, { content: { text }, created_at: 1000 + i })),
        ]);
        await s.recallMessage('app', 'g:b', 24, { at: 3000 });
        await s.hideMessageFor('app', 'g:b', 25, 'me');
      }
      const queries = ['budget', 'BUDGET', 'Budget.pdf', 'οδοσ', 'ΟΔΌΣ', 'µ-s', 'μ-SIZED', 'straße', 'STRASSE', 'stop', 'ſto',
        '北京开会', '北京', '京', 'b', '50%_off', '"quoted" AND(', '%', '_', '*', 'NEAR(', '  budget  ', 'nothing here', ''];
      const filters = [{}, { conv_id: 'g:a' }, { conv_id: 'g:other' }, { sender: 'u1' }, { type: 'file' }, { since: 1003, until: 1006 }, { limit: 2 }];
      const ids = (rows: StoredMessage[]) => rows.map((r) => `${r.conv_id}#${r.seq}`);
      for (const text of queries) {
        for (const f of filters) {
          const q = { app_id: 'app', user_id: 'me', text, limit: 50, ...f };
          // an empty scope (a conversation the caller is not in) is always a scan of nothing
          const long = text.trim().length >= 3 && q.conv_id !== 'g:other';
          assert.equal(scan.store.searchPlan(q), text.trim() === '' ? null : 'scan');
          assert.equal(index.store.searchPlan(q), text.trim() === '' ? null : long ? 'index' : 'scan');
          const viaScan = await scan.store.search(q);
          assert.deepEqual(ids(viaScan), ids(await index.store.search(q)), `${text} ${JSON.stringify(f)}`);
          assert.deepEqual(viaScan, await threshold.store.search(q));
        }
      }
      const find = (text: string, more = {}) => scan.store.search({ app_id: 'app', user_id: 'me', text, limit: 50, ...more }).then(ids);
      // below join_seq, other people's conversations, notices/custom, recalled and hidden-for-me never show
      assert.deepEqual(await find('budget'), ['g:b#21', 'g:b#20', 'g:a#8', 'g:b#8', 'g:b#2', 'g:b#1']);
      assert.deepEqual(await find('ΟΔΟΣ'), ['g:a#3', 'g:b#3']); // ς folds to σ, as the trigram tokenizer folds it
      assert.deepEqual(await find('北京'), ['g:b#21', 'g:a#7', 'g:b#7', 'g:a#6', 'g:b#6']);
      assert.deepEqual(await find('budget', { limit: 2 }), ['g:b#21', 'g:b#20']);
      // the plan follows the scope: 'me' sees 9-3+1 + 25 messages, or 7 in g:a alone
      assert.equal(threshold.store.searchPlan({ app_id: 'app', user_id: 'me', text: 'budget', limit: 5 }), 'index');
      assert.equal(threshold.store.searchPlan({ app_id: 'app', user_id: 'nobody', text: 'budget', limit: 5 }), 'scan');
    } finally {
      await scan.cleanup();
      await index.cleanup();
      await threshold.cleanup();
    }
  });

  it('search_text folds case exactly as the trigram tokenizer does, for every code point', () => {
    const db = new Database(':memory:');
    try {
      db.exec(`CREATE VIRTUAL TABLE f USING fts5(b, tokenize='trigram case_sensitive 0');
        CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance');`);
      const cps: number[] = [];
      for (let c = 1; c < 0x110000; c++) if (c < 0xd800 || c >= 0xe000) cps.push(c);
      const chunk = 4096;
      const insert = db.prepare('INSERT INTO f (rowid, b) VALUES (?, ?)');
      db.transaction(() => {
        for (let i = 0; i < cps.length; i += chunk) insert.run(i / chunk + 1, `${String.fromCodePoint(...cps.slice(i, i + chunk))}##`);
      })();
      let checked = 0;
      const wrong: string[] = [];
      for (const [doc, offset, term] of db.prepare('SELECT doc, offset, term FROM v').raw().iterate() as Iterable<[number, number, string]>) {
        const c = cps[(doc - 1) * chunk + offset]!;
        checked++;
        if (foldForSearch(String.fromCodePoint(c)) !== String.fromCodePoint(term.codePointAt(0)!)) wrong.push(c.toString(16));
      }
      assert.equal(checked, cps.length);
      assert.deepEqual(wrong.slice(0, 20), []);
      assert.equal(foldForSearch('Straße ΟΔΌΣ µ'), 'straße οδόσ μ');
    } finally {
      db.close();
    }
  });

  it('migration 2 backfills search_text of messages stored before it', async () => {
    const t = await tempStore({ searchScanMaxMessages: Number.MAX_SAFE_INTEGER });
    try {
      const raw = new Database(t.path);
      runMigrations(raw, MIGRATIONS.slice(0, 1));
      raw.prepare(`INSERT INTO conversation_members (app_id, conv_id, user_id, role, joined_at) VALUES ('app', 'g:c', 'me', 'member', 1)`).run();
      const insert = raw.prepare(`INSERT INTO messages (app_id, conv_id, seq, msg_id, sender, cmid, type, content, created_at, fts_id)
        VALUES ('app', 'g:c', ?, ?, 'u1', ?, ?, ?, ?, ?)`);
      insert.run(1, 'm1', 'c1', 'text', JSON.stringify({ text: 'Old BUDGET 北京' }), 1, 1);
      insert.run(2, 'm2', 'c2', 'notice', JSON.stringify({ kind: 'system', text: 'budget' }), 2, null);
      raw.prepare('INSERT INTO message_fts (rowid, body) VALUES (1, ?)').run('Old BUDGET 北京');
      raw.close();

      await t.store.migrate();
      const check = new Database(t.path, { readonly: true });
      assert.deepEqual(check.prepare('SELECT seq, search_text FROM messages ORDER BY seq').raw().all(), [[1, 'old budget 北京'], [2, null]]);
      check.close();
      for (const text of ['budget', '北京', 'old b']) {
        assert.deepEqual((await t.store.search({ app_id: 'app', user_id: 'me', text, limit: 5 })).map((r) => r.seq), [1], text);
      }
    } finally {
      await t.cleanup();
    }
  });

  it('an acknowledged commit survives kill -9 of the process', async () => {
    const t = await tempStore();
    try {
      await t.store.migrate();
      await t.store.close();
      const storeUrl = new URL('../src/store/sqlite/sqlite-store.ts', import.meta.url).href;
      const child = `
        const { SqliteStore } = await import(${JSON.stringify(storeUrl)});
        const s = new SqliteStore({ path: process.env.PARLEY_TEST_DB });
        await s.migrate();
        for (let b = 0; b < 10; b++) {
          const batch = [];
          for (let i = 1; i <= 20; i++) {
            const seq = b * 20 + i;
            batch.push({ app_id: 'app', conv_id: 's:u1:u2', seq, msg_id: 'm' + seq, sender: 'u1', cmid: 'c' + seq,
              type: 'text', content: { text: 'durable message ' + seq }, status: 'normal', created_at: seq });
          }
          await s.commitMessages(batch);
        }
        process.stdout.write('acked\\n');
        setInterval(() => {}, 1000); // wait to be killed, never closing the database
      `;
      const proc = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', child], {
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        env: { ...process.env, PARLEY_TEST_DB: t.path },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => { if (d.toString().includes('acked')) resolve(); });
        proc.on('exit', () => reject(new Error(`child exited before acking: ${stderr}`)));
      });
      proc.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      const after = new SqliteStore({ path: t.path });
      try {
        await after.migrate();
        assert.equal(await after.maxSeq('app', 's:u1:u2'), 200);
        assert.equal((await after.getConversation('app', 's:u1:u2'))?.last_seq, 200);
        assert.deepEqual((await after.findByCmid('app', 'u1', 'c137'))?.content, { text: 'durable message 137' });
        // every acked message's outbox row survived too: its event will still be published
        const pending = await after.pendingEvents({ olderThan: Number.MAX_SAFE_INTEGER, limit: 1000 });
        assert.deepEqual(pending.map((m) => m.seq), Array.from({ length: 200 }, (_, i) => i + 1));
      } finally {
        await after.close();
      }
    } finally {
      await t.cleanup();
    }
  });
});
