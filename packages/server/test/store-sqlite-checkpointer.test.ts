import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StoredMessage } from '../src/store/store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

/**
 * With commits on the worker, WAL checkpoints run on a thread of their own:
 * the database file (not the WAL) grows only when a checkpoint copies pages
 * into it, so its size tells whether one ran. Waits are on conditions with
 * generous bounds, never on a duration.
 */
const APP = 'app1';
let n = 0;
const batch = (size: number): StoredMessage[] => Array.from({ length: size }, () => {
  n++;
  return {
    app_id: APP, conv_id: `s:u${n % 40}:v${n % 40}`, seq: n, msg_id: `m${n}`, sender: `u${n % 40}`, cmid: `c${n}`, type: 'text',
    content: { text: `message ${n} ${'x'.repeat(300)}` }, status: 'normal', created_at: 1000 + n,
  };
});
const fileSize = (path: string) => statSync(path).size;

async function until(cond: () => boolean, what: string, ceilingMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ceilingMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ~6 MB of WAL: well past the 1,000-page automatic checkpoint a commit would run on its own
async function writeMuch(store: SqliteStore): Promise<void> {
  for (let i = 0; i < 40; i++) await store.commitMessages(batch(250));
}

describe('WAL checkpoints beside the commit worker', () => {
  it('commits never checkpoint themselves; the checkpoint worker does, and if it dies the commit worker takes it over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-ckpt-'));
    const path = join(dir, 'p.db');
    // a checkpoint interval longer than the test: only a commit could grow the file
    const idle = new SqliteStore({ path, commitOnWorker: true, walCheckpointMs: 3_600_000 });
    try {
      await idle.migrate();
      const before = fileSize(path);
      await writeMuch(idle);
      assert.equal(fileSize(path), before, 'no commit copied the WAL into the database file');
      // the checkpoint worker goes away (as a crash of it would): commits checkpoint again
      const inner = idle as unknown as { prepared: { commits: { checkpointer: { terminate(): Promise<number> } | null } } };
      await inner.prepared.commits.checkpointer!.terminate();
      await until(() => inner.prepared.commits.checkpointer === null, 'the exit noticed');
      await writeMuch(idle);
      await until(() => fileSize(path) > before, 'a commit checkpointing on its own again');
    } finally {
      await idle.close();
    }
    const busy = new SqliteStore({ path, commitOnWorker: true, walCheckpointMs: 20 });
    try {
      await busy.migrate();
      const before = fileSize(path);
      await writeMuch(busy);
      await until(() => fileSize(path) > before, 'the checkpoint worker copying the WAL back');
      assert.ok((await busy.maxSeq(APP, 's:u1:v1')) > 0, 'what was committed is readable');
    } finally {
      await busy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
