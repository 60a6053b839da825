import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { StoreError, type MessageKey, type StoredMessage } from '../store.js';
import type { CommitRow } from './commit-row.js';
import { SendPathWrites } from './inline-commits.js';
import type { SearchIndexerOptions } from './search-indexer.js';
import type { SeqBlock, SeqBlockRelease, SeqBlockRequest } from './seq-marks.js';
import { openDatabase } from './sqlite-options.js';
import type { ReadPosition } from './statements.js';
import { WriteGate } from './write-gate.js';

/**
 * The worker thread behind WorkerCommitter: its own connection to the store's
 * file (opened as the main one: WAL, synchronous=FULL) running the send
 * path's writes (SendPathWrites: group commits, the indexing after them, seq
 * reservations, outbox marks, read receipts), so the main thread never waits
 * for this connection's write lock on the send path. The main
 * thread's event loop keeps reading frames and writing pushes while this
 * thread runs the B-tree work and waits for the fsync.
 */
export interface CommitWorkerData {
  path: string; busyTimeoutMs: number; indexer: SearchIndexerOptions;
  /** false: the WAL is checkpointed by the checkpoint worker, not inside this connection's commits */
  autoCheckpoint: boolean;
  /** WriteGate's counter: the main connection's writes waiting or running */
  gate: SharedArrayBuffer;
}

export type ToWorker =
  | { id: number; op: 'commit'; rows: CommitRow[] }
  | { id: number; op: 'reserve'; reqs: SeqBlockRequest[] }
  | { id: number; op: 'release'; blocks: SeqBlockRelease[] }
  | { id: number; op: 'mark'; keys: MessageKey[] }
  | { id: number; op: 'flush-index' }
  | { id: number; op: 'auto-checkpoint' }
  | { id: number; op: 'read'; q: ReadPosition }
  | { id: number; op: 'close' };

export type FromWorker =
  | { id: number; ok: true; duplicates?: StoredMessage[]; conflictIndexes?: number[]; notMemberIndexes?: number[]; blocks?: SeqBlock[]; readSeq?: number }
  | { id: number; ok: false; kind: StoreError['kind'] | null; message: string };

const data = workerData as CommitWorkerData;
const db = openDatabase(data.path, data.busyTimeoutMs);
if (!data.autoCheckpoint) db.pragma('wal_autocheckpoint = 0');
const gate = new WriteGate(data.gate);
const writes = new SendPathWrites(db, data.indexer, () => gate.pass());

/** Most rows one merged transaction takes (the group committer's batches are up to 512 each). */
const MAX_MERGED_ROWS = 2048;

type CommitRequest = Extract<ToWorker, { op: 'commit' }>;

/**
 * Commit requests that queued up while the previous transaction ran are
 * written in one transaction: under load the worker writes fewer, bigger
 * transactions (measured about a fifth cheaper per message at 400 rows than
 * at 140), and when it keeps up each request is its own transaction as
 * before. Each request still gets its own answer, in order; a failed
 * transaction fails every request in it (none of them is stored).
 */
function commitMerged(reqs: readonly CommitRequest[]): FromWorker[] {
  const rows = reqs.length === 1 ? reqs[0]!.rows : reqs.flatMap((r) => r.rows);
  let result;
  try {
    result = writes.commit(rows);
  } catch (err) {
    return reqs.map((r) => failure(r.id, err));
  }
  const out: FromWorker[] = [];
  let start = 0;
  for (const r of reqs) {
    const end = start + r.rows.length;
    const mine = (i: number) => i >= start && i < end;
    // conflicts and refusals are the caller's own messages: sent back by position, so the caller gets its objects again
    out.push({
      id: r.id, ok: true,
      duplicates: result.duplicates.filter((_, k) => mine(result.duplicateIndexes[k]!)),
      conflictIndexes: result.conflicts.filter(mine).map((i) => i - start),
      notMemberIndexes: result.not_members.filter(mine).map((i) => i - start),
    });
    start = end;
  }
  return out;
}

function answer(m: Exclude<ToWorker, CommitRequest>): FromWorker {
  switch (m.op) {
    case 'reserve':
      return { id: m.id, ok: true, blocks: writes.reserveSeqBlocks(m.reqs) };
    case 'release':
      writes.releaseSeqBlocks(m.blocks);
      return { id: m.id, ok: true };
    case 'mark':
      writes.markPublished(m.keys);
      return { id: m.id, ok: true };
    case 'read':
      return { id: m.id, ok: true, readSeq: writes.markRead(m.q) };
    case 'auto-checkpoint':
      // the checkpoint worker is gone: this connection checkpoints inside its commits again
      db.pragma('wal_autocheckpoint = 1000');
      return { id: m.id, ok: true };
    case 'flush-index':
      writes.flushIndex();
      return { id: m.id, ok: true };
    case 'close':
      try {
        writes.close();
      } finally {
        db.close();
      }
      return { id: m.id, ok: true };
  }
}

function failure(id: number, err: unknown): FromWorker {
  return { id, ok: false, kind: err instanceof StoreError ? err.kind : null, message: err instanceof Error ? err.message : String(err) };
}

let closed = false;
parentPort!.on('message', (first: ToWorker) => {
  // everything queued behind this message, taken now so that consecutive commits can share a transaction
  const queue: ToWorker[] = [first];
  for (let next; (next = receiveMessageOnPort(parentPort!)); ) queue.push(next.message as ToWorker);
  for (let i = 0; i < queue.length && !closed;) {
    const m = queue[i]!;
    gate.pass(); // a write of the main connection goes first
    if (m.op === 'commit') {
      const group: CommitRequest[] = [m];
      let rows = m.rows.length;
      for (let n = queue[i + group.length]; n?.op === 'commit' && rows + n.rows.length <= MAX_MERGED_ROWS; n = queue[i + group.length]) {
        group.push(n);
        rows += n.rows.length;
      }
      for (const out of commitMerged(group)) parentPort!.postMessage(out);
      i += group.length;
      continue;
    }
    let out: FromWorker;
    try {
      out = answer(m);
    } catch (err) {
      out = failure(m.id, err);
    }
    parentPort!.postMessage(out);
    if (m.op === 'close') {
      closed = true;
      parentPort!.close();
    }
    i++;
  }
});
