import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './sqlite-options.js';

/**
 * The WAL checkpointer beside the commit worker (WorkerCommitter): with
 * commits on the worker, the connections' automatic checkpoint is off, and
 * this thread's own connection copies the WAL back into the database file
 * every `intervalMs` with a PASSIVE checkpoint, which never blocks a writer
 * or a reader and waits for no lock. Left automatic, the checkpoint runs
 * inside the commit that crosses the threshold, and that batch's acks wait
 * for the copy and the database file's fsync (the commit's tail latency).
 * The WAL is rewound by the next writer once it is fully checkpointed.
 */
export interface CheckpointWorkerData { path: string; intervalMs: number }

const data = workerData as CheckpointWorkerData;
// a PASSIVE checkpoint never waits on the busy handler: no busy timeout needed
const db = openDatabase(data.path, 0);
db.pragma('wal_autocheckpoint = 0');

const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY from another checkpoint in progress, or the file going away at close: the next tick tries again
  }
};
const timer = setInterval(checkpoint, data.intervalMs);

parentPort!.on('message', (m: { op: 'close' }) => {
  if (m.op !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort!.postMessage({ op: 'closed' });
  parentPort!.close();
});
