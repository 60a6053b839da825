import type { SqlPool } from './sql-pool.js';

export interface SeqBlock { first: number; last: number }
interface Request { appId: string; convId: string; size: number; resolve: (b: SeqBlock) => void; reject: (err: unknown) => void }

const ENSURE_ROW = 'INSERT INTO seq_marks (app_id, conv_id, mark) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE mark = mark';
const GET_MARK = 'SELECT mark FROM seq_marks WHERE app_id = ? AND conv_id = ? FOR UPDATE';
const LAST_SEQ = 'SELECT COALESCE(MAX(seq), 0) AS n FROM messages WHERE app_id = ? AND conv_id = ?';
const SET_MARK = 'UPDATE seq_marks SET mark = ? WHERE app_id = ? AND conv_id = ?';
const RELEASE = 'UPDATE seq_marks SET mark = ? WHERE app_id = ? AND conv_id = ? AND mark = ? AND ? < ?';

export interface SeqBlockRelease { app_id: string; conv_id: string; last: number; used: number }

/**
 * The durable seq high-water mark per conversation (Store.reserveSeqBlock)
 * on the primary. Each conversation's mark row is created if missing and
 * locked (the upsert holds its row lock to COMMIT) before it is read, so two
 * processes reserving for one conversation run one after the other, even for
 * a conversation that had no row yet (READ COMMITTED takes no gap locks, so
 * a plain "SELECT … FOR UPDATE, then insert" would let both pass). A block
 * starts above max(mark, last committed seq).
 *
 * Requests made in one turn of the event loop share one transaction; rows
 * are locked in key order (fewer deadlocks; a deadlock is retried).
 */
export class SeqMarks {
  private queued: Request[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly pool: SqlPool) {}

  reserveBlock(appId: string, convId: string, size: number): Promise<SeqBlock> {
    const n = Math.floor(size);
    if (!(n >= 1)) return Promise.reject(new RangeError(`reserveSeqBlock: size must be a positive integer, got ${size}`));
    return new Promise<SeqBlock>((resolve, reject) => {
      this.queued.push({ appId, convId, size: n, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => void this.flush());
    });
  }

  /** Store.releaseSeqBlocks: lower each mark still at its block's end to what was used, in one transaction. */
  async release(blocks: readonly SeqBlockRelease[]): Promise<void> {
    if (blocks.length === 0) return;
    const sorted = [...blocks].sort((a, b) => (a.app_id < b.app_id ? -1 : a.app_id > b.app_id ? 1 : a.conv_id < b.conv_id ? -1 : a.conv_id > b.conv_id ? 1 : 0));
    await this.pool.tx('release seq blocks', async (tx) => {
      for (const b of sorted) await tx.run(RELEASE, [b.used, b.app_id, b.conv_id, b.last, b.used, b.last]);
    }, { readCommitted: true });
  }

  /** Commit every queued reservation now; resolves when those and any still running are answered. */
  async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    if (batch.length > 0) {
      const run = this.commit(batch);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
    await Promise.all([...this.running]);
  }

  private async commit(batch: Request[]): Promise<void> {
    try {
      const { value } = await this.pool.tx('reserve seq block', async (tx) => {
        const key = (r: { appId: string; convId: string }) => `${r.appId}\u0000${r.convId}`;
        const keys = [...new Map(batch.map((r) => [key(r), r])).values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
        const top = new Map<string, number>();
        for (const k of keys) {
          await tx.run(ENSURE_ROW, [k.appId, k.convId]);
          const mark = Number((await tx.run<{ mark: number }>(GET_MARK, [k.appId, k.convId])).rows[0]?.mark ?? 0);
          const last = Number((await tx.run<{ n: number }>(LAST_SEQ, [k.appId, k.convId])).rows[0]?.n ?? 0);
          top.set(key(k), Math.max(mark, last));
        }
        // In request order, so two requests for one conversation in one call get consecutive blocks.
        const blocks = batch.map((r) => {
          const first = top.get(key(r))! + 1;
          const last = first + r.size - 1;
          top.set(key(r), last);
          return { first, last };
        });
        for (const k of keys) await tx.run(SET_MARK, [top.get(key(k))!, k.appId, k.convId]);
        return blocks;
      }, { readCommitted: true });
      batch.forEach((r, i) => r.resolve(value[i]!));
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }
}
