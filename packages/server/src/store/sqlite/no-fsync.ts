import type Database from 'better-sqlite3';

/**
 * Runs a write with synchronous=NORMAL, then back to FULL. Only for writes
 * whose loss at a power cut is harmless: in WAL mode nothing committed is lost
 * when the process dies, and the next message commit (FULL) fsyncs the WAL
 * these frames sit in, so what can be lost is only what no later commit
 * depended on (a seq reservation none of whose seqs was committed, an
 * outbox mark whose event is then published again, index rows redone from
 * the messages).
 */
export function withoutFsync<T>(db: Database.Database, fn: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma('synchronous = FULL');
  }
}
