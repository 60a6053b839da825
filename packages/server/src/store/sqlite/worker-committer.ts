import { Worker } from 'node:worker_threads';
import { StoreError, type CommitResult, type MessageKey, type StoredMessage } from '../store.js';
import { toCommitRow } from './commit-row.js';
import type { CheckpointWorkerData } from './checkpoint-worker.js';
import type { CommitWorkerData, FromWorker, ToWorker } from './commit-worker.js';
import type { MessageCommits } from './inline-commits.js';
import type { SeqBlock, SeqBlockRelease, SeqBlockRequest } from './seq-marks.js';
import type { ReadPosition } from './statements.js';

type Pending = { resolve: (m: FromWorker & { ok: true }) => void; reject: (err: unknown) => void };
type Request = ToWorker extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never;

/**
 * Runs the store's group commits (and the full-text indexing after them, the
 * seq reservations and the outbox marks) on a worker thread with its own
 * SQLite connection (commit-worker.ts), so the
 * event loop is not held for the B-tree work and the fsync of each batch. A
 * commit resolves once the worker has committed it, so "ack after the
 * commit" holds as before; requests are answered in the order they were sent.
 * If the worker dies, every waiting and later request fails `unavailable`
 * (nothing unconfirmed was acked).
 */
export class WorkerCommitter implements MessageCommits {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private dead: Error | null = null;
  private checkpointer: Worker | null = null;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(m.kind ? new StoreError(m.kind, m.message) : new StoreError('unavailable', `commit worker: ${m.message}`));
    });
    const fail = (err: Error) => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(new StoreError('unavailable', `commit worker stopped: ${err.message}`, err));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
  }

  /**
   * Starts the worker (the schema must exist: migrations run on the main
   * connection first), and the checkpoint worker beside it: commits then never
   * run a checkpoint themselves. Should the checkpoint worker die, the commit
   * worker's connection checkpoints inside its commits again.
   */
  static async start(data: Omit<CommitWorkerData, 'autoCheckpoint'>, checkpointMs = 100): Promise<WorkerCommitter> {
    const worker = spawn('commit-worker', { ...data, autoCheckpoint: false } satisfies CommitWorkerData);
    const c = new WorkerCommitter(worker);
    await online(worker);
    const checkpointer = spawn('checkpoint-worker', { path: data.path, intervalMs: checkpointMs } satisfies CheckpointWorkerData);
    c.checkpointer = checkpointer;
    checkpointer.on('error', () => undefined); // followed by 'exit'
    checkpointer.on('exit', () => {
      if (c.checkpointer === checkpointer && !c.dead) void c.request({ op: 'auto-checkpoint' }).catch(() => undefined);
      c.checkpointer = null;
    });
    await online(checkpointer);
    return c;
  }

  async commit(batch: StoredMessage[]): Promise<CommitResult> {
    const r = await this.request({ op: 'commit', rows: batch.map(toCommitRow) });
    return {
      duplicates: r.duplicates ?? [],
      conflicts: (r.conflictIndexes ?? []).map((i) => batch[i]!),
      not_members: (r.notMemberIndexes ?? []).map((i) => batch[i]!),
    };
  }

  async reserveSeqBlocks(reqs: readonly SeqBlockRequest[]): Promise<SeqBlock[]> {
    // the worker gets plain copies: a request may carry the caller's resolve functions, which cannot be cloned
    const r = await this.request({ op: 'reserve', reqs: reqs.map(({ appId, convId, size }) => ({ appId, convId, size })) });
    return r.blocks ?? [];
  }

  async releaseSeqBlocks(blocks: readonly SeqBlockRelease[]): Promise<void> {
    await this.request({ op: 'release', blocks: blocks.map(({ app_id, conv_id, last, used }) => ({ app_id, conv_id, last, used })) });
  }

  async markPublished(keys: readonly MessageKey[]): Promise<void> {
    await this.request({ op: 'mark', keys: keys.map(({ app_id, conv_id, seq }) => ({ app_id, conv_id, seq })) });
  }

  async markRead(q: ReadPosition): Promise<number | undefined> {
    return (await this.request({ op: 'read', q: { app_id: q.app_id, conv_id: q.conv_id, user_id: q.user_id, seq: q.seq } })).readSeq;
  }

  async flushIndex(): Promise<void> {
    await this.request({ op: 'flush-index' });
  }

  /** Indexes what is left, closes the workers' connections and ends the threads. */
  async close(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    if (checkpointer) {
      const closed = new Promise((r) => checkpointer.once('exit', r));
      checkpointer.postMessage({ op: 'close' });
      // bounded: a thread that does not end on its own within the grace is ended
      const grace = setTimeout(() => void checkpointer.terminate(), 10_000);
      await closed;
      clearTimeout(grace);
    }
    if (this.dead) return;
    try {
      await this.request({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private request(m: Request): Promise<FromWorker & { ok: true }> {
    if (this.dead) return Promise.reject(new StoreError('unavailable', `commit worker stopped: ${this.dead.message}`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id });
    });
  }
}

/** A worker thread on a sibling module: the built .js, or from source (tests, `--from-source`) the TypeScript. */
function spawn(name: string, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  // Node 20 does not apply the parent's `--import tsx` hooks to a worker, so the worker registers tsx itself before importing it.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`
    + `.catch((err) => { setImmediate(() => { throw err; }); });`;
  return new Worker(code, { eval: true, workerData });
}

function online(worker: Worker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
}
