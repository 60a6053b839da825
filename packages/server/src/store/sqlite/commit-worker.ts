import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { StoreError, type MessageKey, type StoredMessage } from '../store.js';
import { OutboxMarks } from './event-outbox.js';
import { MessageWriter } from './message-writer.js';
import { SearchIndexer, type SearchIndexerOptions } from './search-indexer.js';
import { SeqMarkWriter, type SeqBlock, type SeqBlockRelease, type SeqBlockRequest } from './seq-marks.js';
import { guard } from './sqlite-errors.js';

/**
 * The worker thread behind WorkerCommitter: its own connection to the store's
 * file (WAL, synchronous=FULL, as the main one), the MessageWriter that runs
 * each group commit, the SearchIndexer that indexes after it, and the seq
 * reservations and outbox marks (so the main thread never waits for this
 * connection's write lock on the send path). The main
 * thread's event loop keeps reading frames and writing pushes while this
 * thread runs the B-tree work and waits for the fsync.
 */
export interface CommitWorkerData { path: string; busyTimeoutMs: number; indexer: SearchIndexerOptions }

export type ToWorker =
  | { id: number; op: 'commit'; batch: StoredMessage[] }
  | { id: number; op: 'reserve'; reqs: SeqBlockRequest[] }
  | { id: number; op: 'release'; blocks: SeqBlockRelease[] }
  | { id: number; op: 'mark'; keys: MessageKey[] }
  | { id: number; op: 'flush-index' }
  | { id: number; op: 'close' };

export type FromWorker =
  | { id: number; ok: true; duplicates?: StoredMessage[]; conflictIndexes?: number[]; notMemberIndexes?: number[]; blocks?: SeqBlock[] }
  | { id: number; ok: false; kind: StoreError['kind'] | null; message: string };

const data = workerData as CommitWorkerData;
const db = new Database(data.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
db.pragma('foreign_keys = OFF');
const writer = new MessageWriter(db);
const indexer = new SearchIndexer(db, data.indexer);
const seqMarks = new SeqMarkWriter(db);
const outboxMarks = new OutboxMarks(db);

function answer(m: ToWorker): FromWorker {
  switch (m.op) {
    case 'commit': {
      const { duplicates, conflicts, not_members } = writer.commit(m.batch);
      indexer.committed();
      // conflicts and refusals are the caller's own messages: sent back by position, so the caller gets its objects again
      const at = new Map(m.batch.map((msg, i) => [msg, i]));
      return {
        id: m.id, ok: true, duplicates,
        conflictIndexes: conflicts.map((c) => at.get(c)!), notMemberIndexes: not_members.map((c) => at.get(c)!),
      };
    }
    case 'reserve':
      return { id: m.id, ok: true, blocks: guard('reserve seq block', () => seqMarks.reserve(m.reqs)) };
    case 'release':
      guard('release seq blocks', () => seqMarks.release(m.blocks));
      return { id: m.id, ok: true };
    case 'mark':
      guard('mark events published', () => outboxMarks.markPublished(m.keys));
      return { id: m.id, ok: true };
    case 'flush-index':
      indexer.catchUp();
      return { id: m.id, ok: true };
    case 'close':
      try {
        indexer.catchUp();
      } finally {
        indexer.stop();
        db.close();
      }
      return { id: m.id, ok: true };
  }
}

parentPort!.on('message', (m: ToWorker) => {
  let out: FromWorker;
  try {
    out = answer(m);
  } catch (err) {
    out = { id: m.id, ok: false, kind: err instanceof StoreError ? err.kind : null, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(out);
  if (m.op === 'close') parentPort!.close();
});
