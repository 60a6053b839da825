import { StoreError } from '../store.js';
import type { SqlPool } from './sql-pool.js';

/**
 * Chooses the server for a read that tolerates replication lag, and keeps
 * read-your-writes for the user who wrote (docs/mysql.md lists which reads
 * come here).
 *
 * Read-your-writes (MariaDB): primary sessions track `last_gtid`, so every
 * write of this process reports the GTID it was logged under; the store
 * records it against the keys the write touched (the user, the
 * conversation). A read for those keys is sent to a replica only once the
 * replica has applied that GTID: known from its last health check, or
 * waited for with MASTER_GTID_WAIT (bounded by `waitMs`); if it has not
 * caught up by then, the read goes to the primary. Servers that report no
 * GTID (MySQL 8 without tracking) fall back to a per-key primary window:
 * reads for a key written less than `primaryWindowMs` ago go to the primary.
 *
 * Health: every `checkIntervalMs` the primary's @@gtid_binlog_pos is sampled
 * and each replica's @@gtid_slave_pos read; a replica's lag is the age of the
 * oldest primary sample it has not yet applied. A replica that fails the
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

/** GTID position: replication domain → the GTID with the highest sequence number in it. */
type Position = Map<number, { server: number; seq: number }>;

function parsePosition(s: string | null | undefined): Position {
  const p: Position = new Map();
  for (const part of (s ?? '').split(',')) {
    const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (!m) continue;
    merge(p, Number(m[1]), { server: Number(m[2]), seq: Number(m[3]) });
  }
  return p;
}

function merge(p: Position, domain: number, g: { server: number; seq: number }): void {
  const cur = p.get(domain);
  if (!cur || cur.seq < g.seq) p.set(domain, g);
}

/** Sequence numbers grow within a domain (gtid_strict_mode), whichever server logged them. */
function covers(have: Position, need: Position): boolean {
  for (const [d, g] of need) if ((have.get(d)?.seq ?? 0) < g.seq) return false;
  return true;
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
  position: Position;
  rawPosition: string;
  error?: string;
}

type Written = { gtid?: Position; at: number };

export class ReplicaRouter {
  private readonly replicas: Replica[];
  private readonly written = new Map<string, Written>();
  private samples: Array<{ at: number; pos: Position }> = [];
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
    this.replicas = replicas.map((r) => ({ ...r, healthy: false, lagMs: null, position: new Map(), rawPosition: '' }));
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
    // Once the server has shown it reports GTIDs, a write without one changed nothing (no binlog event).
    if (gtid) this.sawGtid = true;
    else if (this.sawGtid) return;
    const w: Written = { gtid: gtid ? parsePosition(gtid) : undefined, at: this.o.now() };
    for (const k of keys) {
      this.written.delete(k);
      this.written.set(k, w);
    }
    while (this.written.size > this.o.maxTrackedKeys) this.written.delete(this.written.keys().next().value!);
  }

  /** The pool to run a lag-tolerant read for `keys` on. */
  async poolFor(keys: readonly string[]): Promise<SqlPool> {
    if (!this.hasReplicas) return this.primary;
    const need: Position = new Map();
    const now = this.o.now();
    for (const k of keys) {
      const w = this.written.get(k);
      if (!w) continue;
      if (!w.gtid) {
        if (now - w.at < this.o.primaryWindowMs) return this.viaPrimary();
        continue;
      }
      for (const [d, g] of w.gtid) merge(need, d, g);
    }
    const healthy = this.replicas.filter((r) => r.healthy);
    if (healthy.length === 0) return this.viaPrimary();
    const r = healthy[this.next++ % healthy.length]!;
    if (need.size === 0 || covers(r.position, need)) return this.viaReplica(r);
    const caughtUp = healthy.find((x) => covers(x.position, need));
    if (caughtUp) return this.viaReplica(caughtUp);
    if (await this.waitFor(r, need)) return this.viaReplica(r);
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
      const { rows } = await withTimeout(this.primary.raw('replica check', 'SELECT @@gtid_binlog_pos AS pos'), this.o.checkTimeoutMs, 'primary position');
      this.samples.push({ at, pos: parsePosition(String(rows[0]?.pos ?? '')) });
    } catch {
      // The primary is down: replicas keep their last verdict; writes fail on their own.
    }
    const horizon = at - Math.max(this.o.maxLagMs * 4, 60_000);
    while (this.samples.length > 2 && this.samples[0]!.at < horizon) this.samples.shift();
    await Promise.all(this.replicas.map(async (r) => {
      try {
        const { rows } = await withTimeout(r.pool.raw('replica check', 'SELECT @@gtid_slave_pos AS pos'), this.o.checkTimeoutMs, 'replica check');
        r.rawPosition = String(rows[0]?.pos ?? '');
        r.position = parsePosition(r.rawPosition);
        const behind = this.samples.find((s) => !covers(r.position, s.pos));
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

  private async waitFor(r: Replica, need: Position): Promise<boolean> {
    const gtids = [...need].map(([d, g]) => `${d}-${g.server}-${g.seq}`);
    try {
      const { rows } = await withTimeout(r.pool.raw('replica wait', 'SELECT MASTER_GTID_WAIT(?, ?) AS w', [gtids.join(','), this.o.waitMs / 1000]),
        this.o.waitMs + this.o.checkTimeoutMs, 'replica wait');
      if (Number(rows[0]?.w) !== 0) return false;
      for (const [d, g] of need) merge(r.position, d, g);
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
