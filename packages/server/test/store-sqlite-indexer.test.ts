import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { StoreError, type Store, type StoredMessage } from '../src/store/store.js';
import { toCommitRow } from '../src/store/sqlite/commit-row.js';
import { MessageWriter } from '../src/store/sqlite/message-writer.js';
import { runMigrations } from '../src/store/sqlite/migrations.js';
import { SearchIndexer } from '../src/store/sqlite/search-indexer.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { runStoreContract } from './contract/store-contract.js';

/**
 * The full-text index is written after the commit (SearchIndexer). These tests
 * wait on conditions with generous bounds, never on a duration.
 */
const APP = 'app1';
const CONV = 's:u1:u2';
const msg = (seq: number, text: string): StoredMessage => ({
  app_id: APP, conv_id: CONV, seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${seq}`, type: 'text', content: { text }, status: 'normal', created_at: 1000 + seq,
});

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'parley-indexer-'));
  return { path: join(dir, 'parley.db'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function until(cond: () => boolean, what: string, ceilingMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ceilingMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const indexedRows = (path: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM message_fts_docsize').pluck().get() as number;
  } finally {
    db.close();
  }
};

// The whole store contract again with every search made after the index has caught up,
// so the FTS half of the index plan (not only the scan of the unindexed tail) meets every scope rule.
runStoreContract('sqlite (search through the index, fully indexed)', async () => {
  const t = await tempDir();
  const store = new SqliteStore({ path: t.path, searchScanMaxMessages: 0 });
  const search: Store['search'] = async (q) => {
    await store.flushSearchIndex();
    return store.search(q);
  };
  // every other method runs on the store itself
  const flushed = new Proxy(store, {
    get: (target, prop) => (prop === 'search' ? search : (Reflect.get(target, prop) as unknown)),
  }) as Store;
  return {
    store: flushed, openAnother: async () => new SqliteStore({ path: t.path, searchScanMaxMessages: 0 }),
    cleanup: async () => { await store.close(); await t.cleanup(); },
  };
});

// And with group commits and indexing on a worker thread with its own connection (sqlite_commit=worker):
// conflicts and dedup come back from the worker as the same store errors and results.
runStoreContract('sqlite (commits on a worker thread)', async () => {
  const t = await tempDir();
  const store = new SqliteStore({ path: t.path, commitOnWorker: true, searchScanMaxMessages: 0 });
  return {
    store, openAnother: async () => new SqliteStore({ path: t.path, commitOnWorker: true, searchScanMaxMessages: 0 }),
    cleanup: async () => { await store.close(); await t.cleanup(); },
  };
});

describe('WorkerCommitter (sqlite_commit=worker)', () => {
  it('a commit resolves with the rows readable on the main connection; if the worker dies, commits fail unavailable and nothing is claimed stored', async () => {
    const t = await tempDir();
    const store = new SqliteStore({ path: t.path, commitOnWorker: true });
    try {
      await store.migrate();
      await store.addMembers(['u1', 'u2'].map((user_id) => ({
        app_id: APP, conv_id: CONV, user_id, role: 'member' as const, join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: 1,
      })));
      assert.deepEqual(await store.commitMessages([msg(1, 'one'), msg(2, 'two')]), { duplicates: [], conflicts: [], not_members: [] });
      assert.equal(await store.maxSeq(APP, CONV), 2, 'visible to the main connection as soon as the commit resolved');
      // the worker thread goes away (as a crash of it would)
      await (store as unknown as { prepared: { commits: { worker: { terminate(): Promise<number> } } } }).prepared.commits.worker.terminate();
      await assert.rejects(store.commitMessages([msg(3, 'three')]), (err: unknown) => err instanceof StoreError && err.kind === 'unavailable');
      assert.equal(await store.maxSeq(APP, CONV), 2);
    } finally {
      await store.close();
      await t.cleanup();
    }
  });
});

describe('SearchIndexer (full-text index after the commit)', () => {
  for (const commitOnWorker of [false, true]) it(`search finds a committed message before it is indexed and after, through the index plan${commitOnWorker ? ' (commits on a worker)' : ''}`, async () => {
    const t = await tempDir();
    // no pass runs on its own within this test
    const store = new SqliteStore({ path: t.path, commitOnWorker, searchScanMaxMessages: 0, searchIndexer: { delayMs: 600_000, batch: 2000 } });
    try {
      await store.migrate();
      await store.addMembers(['u1', 'u2'].map((user_id) => ({
        app_id: APP, conv_id: CONV, user_id, role: 'member' as const, join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: 1,
      })));
      await store.commitMessages([msg(1, 'Quarterly Budget review'), msg(2, '北京会议纪要'), msg(3, 'nothing here')]);
      assert.equal(indexedRows(t.path), 0, 'the commit itself wrote no index rows');
      const q = (text: string) => store.search({ app_id: APP, user_id: 'u2', text, limit: 10 });
      assert.equal(store.searchPlan({ app_id: APP, user_id: 'u2', text: 'budget', limit: 10 }), 'index');
      assert.deepEqual((await q('budget')).map((m) => m.seq), [1]);
      assert.deepEqual((await q('京会议')).map((m) => m.seq), [2]);
      assert.deepEqual((await q('budget')).length, 1);
      await store.flushSearchIndex();
      assert.equal(indexedRows(t.path), 3);
      assert.deepEqual((await q('budget')).map((m) => m.seq), [1], 'found once, from the index now');
      assert.deepEqual((await q('京会议')).map((m) => m.seq), [2]);
      // a non-member finds nothing, indexed or not
      await store.commitMessages([msg(4, 'budget again')]);
      assert.deepEqual((await store.search({ app_id: APP, user_id: 'stranger', text: 'budget', limit: 10 })), []);
      assert.deepEqual((await q('budget')).map((m) => m.seq), [4, 1], 'one from the tail, one from the index');
    } finally {
      await store.close();
      await t.cleanup();
    }
  });

  for (const commitOnWorker of [false, true]) it(`indexes on its own after a commit${commitOnWorker ? ' (on the worker)' : ''}`, async () => {
    const t = await tempDir();
    const store = new SqliteStore({ path: t.path, commitOnWorker, searchIndexer: { delayMs: 1, batch: 2 } });
    try {
      await store.migrate();
      await store.commitMessages([1, 2, 3, 4, 5].map((s) => msg(s, `text ${s}`)));
      // five rows in passes of two: the backlog continues on later turns
      await until(() => indexedRows(t.path) === 5, 'the index to catch up');
    } finally {
      await store.close();
      await t.cleanup();
    }
  });

  it('after a stop part-way, a new indexer continues exactly above what is indexed', async () => {
    const t = await tempDir();
    const db = new Database(t.path);
    try {
      db.pragma('journal_mode = WAL');
      runMigrations(db);
      const writer = new MessageWriter(db);
      writer.commit(Array.from({ length: 50 }, (_, i) => toCommitRow(msg(i + 1, `message number ${i + 1}`))));
      const first = new SearchIndexer(db, { delayMs: 1, batch: 7 });
      assert.equal(first.mark(), 0);
      first.committed();
      await until(() => first.mark() >= 7, 'a first pass');
      first.stop(); // as a crash would: whatever was not indexed stays so
      const done = first.mark();
      assert.ok(done >= 7 && done % 7 === 0 || done === 50, `indexed whole batches: ${done}`);
      const second = new SearchIndexer(db, { delayMs: 1, batch: 7 });
      assert.equal(second.mark(), done, 'the mark is read back from the index itself');
      second.catchUp();
      assert.equal(second.mark(), 50);
      assert.equal(db.prepare('SELECT count(*) FROM message_fts_docsize').pluck().get(), 50, 'no row indexed twice');
    } finally {
      db.close();
      await t.cleanup();
    }
  });
});
