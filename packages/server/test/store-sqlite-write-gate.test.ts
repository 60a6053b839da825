import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StoredMessage } from '../src/store/store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const APP = 'app1';
let n = 0;
const batch = (size: number): StoredMessage[] => Array.from({ length: size }, () => {
  n++;
  return {
    app_id: APP, conv_id: `s:a${n % 30}:b${n % 30}`, seq: n, msg_id: `m${n}`, sender: `a${n % 30}`, cmid: `c${n}`, type: 'text',
    content: { text: `message ${n} ${'y'.repeat(200)}` }, status: 'normal', created_at: 1000 + n,
  };
});

describe('main-connection writes while the commit worker writes without a pause', () => {
  it('every user write gets the lock (WriteGate) instead of timing out behind back-to-back commits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-gate-'));
    // a short busy timeout: a write that had to win the lock by polling would fail with `unavailable`
    // index passes of 2,000 rows back to back once a backlog exists: the worker holds the lock nearly all the time
    const store = new SqliteStore({ path: join(dir, 'p.db'), commitOnWorker: true, busyTimeoutMs: 50, searchIndexer: { delayMs: 1, batch: 2000 } });
    try {
      await store.migrate();
      for (let i = 0; i < 60; i++) await store.commitMessages(batch(500));
      let stop = false;
      // four batches in flight at all times: the worker never waits for work
      const load = Promise.all(Array.from({ length: 4 }, async () => {
        while (!stop) await store.commitMessages(batch(300));
      }));
      const failures: string[] = [];
      for (let i = 0; i < 40; i++) {
        try {
          await store.createUser({ app_id: APP, user_id: `user${i}`, name: `User ${i}`, tokens_valid_after: 0, created_at: 1 });
        } catch (err) {
          failures.push(String(err));
        }
      }
      stop = true;
      await load;
      assert.deepEqual(failures, []);
      assert.equal((await store.getUsers(APP, ['user0', 'user39'])).length, 2);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
