import mysql from 'mysql2/promise';
import { flavourOf, type ServerFlavour } from './gtid-positions.js';
import { isFatal, withRetry, type RetryOptions } from './mysql-errors.js';

/** Values bound to a prepared statement (undefined is not allowed by the protocol; use null). */
export type Param = string | number | null;

export interface RunResult<R> {
  rows: R[];
  /** rows changed by an INSERT/UPDATE/DELETE (0 for a SELECT) */
  affected: number;
  /**
   * The GTID(s) this statement's (autocommit) transaction was logged under,
   * if it wrote anything and the session tracks them: MariaDB `last_gtid`
   * (`0-1-12`), MySQL 8 `session_track_gtids=OWN_GTID` (`uuid:12`)
   */
  gtid?: string;
}

export interface SqlPoolOptions {
  /** mysql://user:pass@host:port/db */
  url: string;
  connectionLimit: number;
  /**
   * prepared statements kept per connection (LRU; evicted ones are closed on
   * the server). Every statement of the store has a fixed shape, so this
   * bounds the server's prepared statements at connectionLimit × this.
   */
  maxPreparedStatements?: number;
  /** report rows actually changed instead of rows matched (the commit path needs it for ON DUPLICATE KEY no-ops) */
  changedRows?: boolean;
  /** session statements run once on every new connection, before any statement of ours, for the server's flavour */
  sessionInit?: (flavour: ServerFlavour) => string[];
  retry?: RetryOptions;
  connectTimeoutMs?: number;
}

/** The part of a connection the store's statements need (a pooled connection inside a transaction). */
export interface Tx {
  run<R = Record<string, unknown>>(sql: string, params?: Param[]): Promise<RunResult<R>>;
}

/** mysql2 puts MariaDB's tracked `last_gtid` in systemVariables, and MySQL's GTID tracker split on ',' in gtids (exported for tests). */
export function lastGtid(header: unknown): string | undefined {
  const sc = (header as { stateChanges?: { systemVariables?: Record<string, string>; gtids?: string[] } } | null)?.stateChanges;
  const g = sc?.systemVariables?.last_gtid || (sc?.gtids ?? []).join(',').trim();
  return g ? g : undefined;
}

/** The raw (callback) connection the pool reports when it opens one. */
type RawConnection = { query(sql: string, cb: (err: unknown) => void): unknown };

function toResult<R>(res: unknown): RunResult<R> {
  if (Array.isArray(res)) return { rows: res as R[], affected: 0 };
  const h = res as { affectedRows?: number };
  return { rows: [], affected: h.affectedRows ?? 0, gtid: lastGtid(res) };
}

/**
 * One mysql2 pool to one server. Statements go through `execute` (prepared
 * once per connection and reused); transactions hold one pooled connection
 * from BEGIN to COMMIT. Deadlocks and lock wait timeouts are retried (the
 * whole transaction), everything else is translated to StoreError.
 */
export class SqlPool {
  readonly pool: mysql.Pool;
  private known: ServerFlavour | undefined;
  private detecting: Promise<ServerFlavour> | null = null;
  /** connections opened before the flavour was known: their session init waits for it */
  private uninitialized: RawConnection[] = [];

  constructor(private readonly opts: SqlPoolOptions) {
    this.pool = mysql.createPool({
      uri: opts.url,
      connectionLimit: opts.connectionLimit,
      maxIdle: opts.connectionLimit,
      idleTimeout: 60_000,
      waitForConnections: true,
      queueLimit: 0,
      enableKeepAlive: true,
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      charset: 'utf8mb4_bin',
      maxPreparedStatements: opts.maxPreparedStatements ?? 64,
      supportBigNumbers: true,
      bigNumberStrings: false,
      flags: opts.changedRows ? ['-FOUND_ROWS'] : [],
    });
    if (opts.sessionInit) {
      this.pool.pool.on('connection', (conn: RawConnection) => {
        if (this.known) this.initSession(conn, this.known);
        else this.uninitialized.push(conn);
      });
    }
  }

  /**
   * The server's flavour, asked once (`SELECT VERSION(), @@version_comment`);
   * a failed attempt is asked again next time.
   */
  flavour(): Promise<ServerFlavour> {
    if (this.known) return Promise.resolve(this.known);
    this.detecting ??= this.detect().finally(() => { this.detecting = null; });
    return this.detecting;
  }

  private async detect(): Promise<ServerFlavour> {
    const [rows] = await this.pool.query('SELECT VERSION() AS v, @@version_comment AS c');
    const row = (rows as Array<{ v?: unknown; c?: unknown }>)[0];
    const f = flavourOf(String(row?.v ?? ''), String(row?.c ?? ''));
    this.known = f;
    // Synchronously, before any caller waiting for the flavour queues a statement on these connections.
    for (const conn of this.uninitialized.splice(0)) this.initSession(conn, f);
    return f;
  }

  /** Queued on the raw connection ahead of any statement of ours; a statement the server rejects is left out. */
  private initSession(conn: RawConnection, f: ServerFlavour): void {
    for (const sql of this.opts.sessionInit!(f)) conn.query(sql, () => {});
  }

  /** With a flavour-dependent session init, no statement runs before the flavour is known. */
  private async ready(): Promise<void> {
    if (this.opts.sessionInit && !this.known) await this.flavour();
  }

  /** One statement in autocommit mode. */
  run<R = Record<string, unknown>>(what: string, sql: string, params: Param[] = []): Promise<RunResult<R>> {
    return withRetry(what, async () => {
      await this.ready();
      const [res] = await this.pool.execute(sql, params);
      return toResult<R>(res);
    }, this.opts.retry);
  }

  /** A text-protocol statement (DDL, session control) that must not be prepared. */
  async raw(what: string, sql: string, params: Param[] = []): Promise<RunResult<Record<string, unknown>>> {
    return withRetry(what, async () => {
      await this.ready();
      const [res] = await this.pool.query(sql, params);
      return toResult(res);
    }, this.opts.retry);
  }

  /**
   * `fn` in one transaction on one connection; retried from the start on a
   * deadlock. Resolves only after COMMIT returned, with the GTID it was logged
   * under (with GTID tracking on). `readCommitted`: this
   * transaction reads the latest committed rows at every statement (after a
   * lock wait it sees what the lock holder committed), without gap locks.
   */
  tx<T>(what: string, fn: (tx: Tx) => Promise<T>, opts: { readCommitted?: boolean } = {}): Promise<{ value: T; gtid?: string }> {
    return withRetry(what, async () => {
      await this.ready();
      const conn = await this.pool.getConnection();
      let broken = false;
      try {
        if (opts.readCommitted) await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await conn.query('START TRANSACTION');
        const value = await fn({
          run: async <R>(sql: string, params: Param[] = []) => {
            const [res] = await conn.execute(sql, params);
            return toResult<R>(res);
          },
        });
        const [res] = await conn.query('COMMIT');
        return { value, gtid: lastGtid(res) };
      } catch (err) {
        broken = isFatal(err);
        if (!broken) await conn.query('ROLLBACK').catch(() => { broken = true; });
        throw err;
      } finally {
        if (broken) conn.destroy();
        else conn.release();
      }
    }, this.opts.retry);
  }

  /** Close every connection; bounded: mysql2 may never report the end of a pool whose server died under it. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.pool.end().catch(() => {}),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, 3000); }),
    ]);
    clearTimeout(timer);
  }
}
