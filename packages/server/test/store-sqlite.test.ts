import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StoreError, type StoredMessage } from '../src/store/store.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';
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

runStoreContract('sqlite', async () => {
  const { store, cleanup } = await tempStore();
  return { store, cleanup };
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
      await assert.rejects(t.store.commitMessages([msg('app', 'g:c', 1, 'hello there')]), isKind('unavailable'));
      await assert.rejects(t.store.createUser({ app_id: 'app', user_id: 'u', name: 'u', tokens_valid_after: 0, created_at: 0 }), isKind('unavailable'));
      // readers are not blocked by a writer in WAL mode
      assert.equal(await t.store.maxSeq('app', 'g:c'), 0);
      locker.exec('COMMIT');
      locker.close();
      await t.store.commitMessages([msg('app', 'g:c', 1, 'hello there')]);
      assert.equal(await t.store.maxSeq('app', 'g:c'), 1);
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
            batch.push({ app_id: 'app', conv_id: 'g:c', seq, msg_id: 'm' + seq, sender: 'u1', cmid: 'c' + seq,
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
        assert.equal(await after.maxSeq('app', 'g:c'), 200);
        assert.equal((await after.getConversation('app', 'g:c'))?.last_seq, 200);
        assert.deepEqual((await after.findByCmid('app', 'u1', 'c137'))?.content, { text: 'durable message 137' });
      } finally {
        await after.close();
      }
    } finally {
      await t.cleanup();
    }
  });
});
