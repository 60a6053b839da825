import { StoreError } from '../store.js';
import { gtidDialect, type GtidDialect, type GtidPosition } from './gtid-positions.js';
import type { SqlPool } from './sql-pool.js';

/**
 * Chooses the server for a read that tolerates replication lag, and keeps
 * read-your-writes for the user who wrote (docs/mysql.md lists which reads
 * come here).
 *
 * The primary's flavour (MariaDB or MySQL 8, SqlPool.flavour) picks the
 * GTID dialect (gtid-positions.ts); the rules below are the same for both.
 *
 * Read-your-writes: primary sessions track their GTIDs (MariaDB `last_gtid`,
 * MySQL `session_track_gtids=OWN_GTID`), so every write of this process
 * reports the GTID it was logged under; the store records it against the
 * keys the write touched (the user, the conversation). A read for those keys
 * is sent to a replica only once the replica has applied that GTID: known
 * from its last health check, or waited for (MASTER_GTID_WAIT,
 * WAIT_FOR_EXECUTED_GTID_SET; bounded by `waitMs`); if it has not caught up
 * by then, the read goes to the primary. Servers that report no GTID (GTIDs
 * off, no binary log) fall back to a per-key primary window: reads for a key
 * written less than `primaryWindowMs` ago go to the primary.
 *
 * Health: every `checkIntervalMs` the primary's position is sampled
 * (@@gtid_binlog_pos, @@global.gtid_executed) and each replica's read
 * (@@gtid_slave_pos, @@global.gtid_executed); a replica's lag is the age of
 * the oldest primary sample it has not yet applied. A replica that fails the
 * check, or lags more than `maxLagMs`, is skipped, and used again from the
 * first check that finds it healthy. A read that fails on a replica for a
 * connection reason, or does not answer within `readTimeoutMs`, marks it
 * down and is answered by the primary; a check that does not answer within
 * `checkTimeoutMs` fails.
 */
export interface ReplicaRouterOptions {
  maxLagMs?: number;
  /** a replica check or read that has not answered by then counts as failed (default 2000 ms / 5000 ms) */
  checkTimeoutMs?: number;
  readTimeoutMs?: number;
  checkIntervalMs?: number;
  waitMs?: number;
  primaryWindowMs?: number;
  /** most keys remembered for read-your-writes (oldest forgotten first) */
  maxTrackedKeys?: number;
  now?: () => number;
}

export interface ReplicaStatus {
  url: string;
  healthy: boolean;
  lagMs: number | null;
  position: string;
  error?: string;
}

interface Replica {
  pool: SqlPool;
  url: string;
  healthy: boolean;
  lagMs: number | null;
  position: GtidPosition | null;
  rawPosition: string;
  error?: string;
}

type Written = { gtid?: GtidPosition; at: number };

export class ReplicaRouter {
  private readonly replicas: Replica[];
  private readonly written = new Map<string, Written>();
  private samples: Array<{ at: number; pos: GtidPosition }> = [];
  /** from the primary's flavour, at the first check that reached it */
  private dialect: GtidDialect | null = null;
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private checking: Promise<void> | null = null;
  private sawGtid = false;
  private readonly o: Required<Omit<ReplicaRouterOptions, 'now'>> & { now: () => number };
  /** reads answered by the primary because no replica was healthy or caught up (diagnostics) */
  primaryReads = 0;
  replicaReads = 0;

  constructor(private readonly primary: SqlPool, replicas: Array<{ url: string; pool: SqlPool }>, opts: ReplicaRouterOptions = {}) {
    this.o = {
      maxLagMs: opts.maxLagMs ?? 5000, checkIntervalMs: opts.checkIntervalMs ?? 1000, waitMs: opts.waitMs ?? 500,
      checkTimeoutMs: opts.checkTimeoutMs ?? 2000, readTimeoutMs: opts.readTimeoutMs ?? 5000,
      primaryWindowMs: opts.primaryWindowMs ?? 3000, maxTrackedKeys: opts.maxTrackedKeys ?? 200_000, now: opts.now ?? Date.now,
    };
    this.replicas = replicas.map((r) => ({ ...r, healthy: false, lagMs: null, position: null, rawPosition: '' }));
  }

  get hasReplicas(): boolean {
    return this.replicas.length > 0;
  }

  /** First health check, then one every checkIntervalMs (the timer does not keep the process alive). */
  async start(): Promise<void> {
    if (!this.hasReplicas) return;
    await this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.o.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Remember that `keys` were written (under `gtid` when the server told us). */
  recordWrite(keys: readonly string[], gtid: string | undefined): void {
    if (!this.hasReplicas) return;
    // Once the server has shown it reports GTIDs, a write without one changed nothing (no binlog event).
    if (gtid) this.sawGtid = true;
    else if (this.sawGtid) return;
    // A GTID that cannot be read (or before the primary's flavour is known) falls back to the primary window.
    const w: Written = { gtid: gtid ? this.parse(gtid) : undefined, at: this.o.now() };
    for (const k of keys) {
      this.written.delete(k);
      this.written.set(k, w);
    }
    while (this.written.size > this.o.maxTrackedKeys) this.written.delete(this.written.keys().next().value!);
  }

  /** The pool to run a lag-tolerant read for `keys` on. */
  async poolFor(keys: readonly string[]): Promise<SqlPool> {
    if (!this.hasReplicas) return this.primary;
    let need: GtidPosition | null = null;
    const now = this.o.now();
    for (const k of keys) {
      const w = this.written.get(k);
      if (!w) continue;
      if (!w.gtid) {
        if (now - w.at < this.o.primaryWindowMs) return this.viaPrimary();
        continue;
      }
      need ??= this.dialect!.parse('');
      need.merge(w.gtid);
    }
    const healthy = this.replicas.filter((r) => r.healthy);
    if (healthy.length === 0) return this.viaPrimary();
    const r = healthy[this.next++ % healthy.length]!;
    if (!need || need.empty || r.position?.covers(need)) return this.viaReplica(r);
    const want = need;
    const caughtUp = healthy.find((x) => x.position?.covers(want));
    if (caughtUp) return this.viaReplica(caughtUp);
    if (await this.waitFor(r, want)) return this.viaReplica(r);
    return this.viaPrimary();
  }

  /** A replica read failed: if for a connection reason, mark the replica down until the next good check. */
  readFailed(pool: SqlPool, err: unknown): void {
    const r = this.replicas.find((x) => x.pool === pool);
    if (!r) return;
    r.healthy = false;
    r.error = String((err as Error)?.message ?? err);
  }

  /** `read` on `pool`, bounded by readTimeoutMs when `pool` is a replica (a hung replica must not hang the caller). */
  bounded<T>(pool: SqlPool, read: Promise<T>): Promise<T> {
    return this.isReplica(pool) ? withTimeout(read, this.o.readTimeoutMs, 'replica read') : read;
  }

  isReplica(pool: SqlPool): boolean {
    return this.replicas.some((r) => r.pool === pool);
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => ({ url: redact(r.url), healthy: r.healthy, lagMs: r.lagMs, position: r.rawPosition, error: r.error }));
  }

  /** One health check of every replica (also run by the timer); concurrent callers share it. */
  checkNow(): Promise<void> {
    this.checking ??= this.check().finally(() => { this.checking = null; });
    return this.checking;
  }

  private async check(): Promise<void> {
    const at = this.o.now();
    try {
      this.dialect ??= gtidDialect(await withTimeout(this.primary.flavour(), this.o.checkTimeoutMs, 'primary flavour'));
      const { rows } = await withTimeout(this.primary.raw('replica check', this.dialect.primaryPositionSql), this.o.checkTimeoutMs, 'primary position');
      this.samples.push({ at, pos: this.dialect.parse(String(rows[0]?.pos ?? '')) });
    } catch {
      // The primary is down: replicas keep their last verdict; writes fail on their own.
    }
    const d = this.dialect;
    if (!d) return; // never reached the primary: no replica is judged healthy yet
    const horizon = at - Math.max(this.o.maxLagMs * 4, 60_000);
    while (this.samples.length > 2 && this.samples[0]!.at < horizon) this.samples.shift();
    await Promise.all(this.replicas.map(async (r) => {
      try {
        const flavour = await withTimeout(r.pool.flavour(), this.o.checkTimeoutMs, 'replica flavour');
        if (flavour !== d.flavour) throw new Error(`a ${flavour} replica of a ${d.flavour} primary`);
        const { rows } = await withTimeout(r.pool.raw('replica check', d.replicaPositionSql), this.o.checkTimeoutMs, 'replica check');
        r.rawPosition = String(rows[0]?.pos ?? '');
        const position = d.parse(r.rawPosition);
        r.position = position;
        const behind = this.samples.find((s) => !position.covers(s.pos));
        r.lagMs = behind ? Math.max(0, this.o.now() - behind.at) : 0;
        r.healthy = r.lagMs <= this.o.maxLagMs;
        r.error = r.healthy ? undefined : `lagging ${r.lagMs} ms`;
      } catch (err) {
        r.healthy = false;
        r.lagMs = null;
        r.error = String((err as Error)?.message ?? err);
      }
    }));
  }

  /** A GTID from a write, or undefined when it cannot be read (then the primary window applies). */
  private parse(gtid: string): GtidPosition | undefined {
    try {
      return this.dialect?.parse(gtid);
    } catch {
      return undefined;
    }
  }

  private async waitFor(r: Replica, need: GtidPosition): Promise<boolean> {
    // A timeout of 0 would mean "no timeout" to WAIT_FOR_EXECUTED_GTID_SET: at least 1 ms.
    const seconds = Math.max(this.o.waitMs, 1) / 1000;
    try {
      const { rows } = await withTimeout(r.pool.raw('replica wait', this.dialect!.waitSql, [need.toString(), seconds]),
        this.o.waitMs + this.o.checkTimeoutMs, 'replica wait');
      if (Number(rows[0]?.w) !== 0) return false;
      r.position?.merge(need);
      return true;
    } catch (err) {
      this.readFailed(r.pool, err);
      return false;
    }
  }

  private viaPrimary(): SqlPool {
    this.primaryReads++;
    return this.primary;
  }

  private viaReplica(r: Replica): SqlPool {
    this.replicaReads++;
    return r.pool;
  }
}

/** `p`, or an `unavailable` StoreError after `ms` (the late answer is dropped). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreError('unavailable', `${what}: no answer within ${ms} ms`)), ms);
  });
  p.catch(() => {}); // a failure after the timeout has nowhere to go
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
