import { StoreError } from '../store.js';

/**
 * mysql2 / server errors become backend-neutral StoreErrors here and nowhere
 * else (STYLE habit 6); callers never see a driver error.
 *
 * - duplicate key (1062, 1586) → `duplicate` (the commit path turns a reused
 *   seq into `conflict` itself);
 * - deadlock (1213) and lock wait timeout (1205) → retried by `withRetry`
 *   a bounded number of times, then `unavailable`;
 * - a row the schema rejects (too long, NULL, bad value) → `conflict`;
 * - read-only server (1290, 1792: a replica or a demoted primary), lost or
 *   refused connections, a closed pool, timeouts, too many connections and
 *   every other engine failure → `unavailable`: the operation did not happen
 *   (or, for a COMMIT cut off mid-flight, is not known to have happened), so
 *   the caller reports an error and never a false ack.
 */

interface DriverError {
  code?: string;
  errno?: number;
  fatal?: boolean;
  message?: string;
}

const DUPLICATE = new Set([1062, 1586]);
const RETRYABLE = new Set([1213, 1205]);
const CONFLICT = new Set([1048, 1364, 1366, 1406, 1264, 1265, 1292, 4025]);
const READ_ONLY = new Set([1290, 1792, 1836]);

function asDriverError(err: unknown): DriverError | null {
  if (!err || typeof err !== 'object' || err instanceof StoreError) return null;
  const e = err as DriverError;
  return typeof e.code === 'string' || typeof e.errno === 'number' ? e : null;
}

export function isDuplicateKey(err: unknown): boolean {
  const e = asDriverError(err);
  return e !== null && e.errno !== undefined && DUPLICATE.has(e.errno);
}

/** A deadlock or lock wait timeout: the transaction was (or must be) rolled back and may simply be run again. */
export function isRetryable(err: unknown): boolean {
  const e = asDriverError(err);
  return e !== null && e.errno !== undefined && RETRYABLE.has(e.errno);
}

/** The connection is unusable afterwards (lost, reset, protocol error): destroy it rather than return it to the pool. */
export function isFatal(err: unknown): boolean {
  const e = asDriverError(err);
  return e !== null && e.fatal === true;
}

/** The StoreError for a driver error; anything else (a bug in this folder, a StoreError) is returned as is. */
export function toStoreError(err: unknown, what: string): unknown {
  const e = asDriverError(err);
  if (!e) return err;
  const errno = e.errno ?? 0;
  if (DUPLICATE.has(errno)) return new StoreError('duplicate', `${what}: already exists`, err);
  if (CONFLICT.has(errno)) return new StoreError('conflict', `${what}: ${e.message ?? e.code}`, err);
  if (READ_ONLY.has(errno)) return new StoreError('unavailable', `${what}: the database is read-only (a replica or a demoted primary)`, err);
  if (RETRYABLE.has(errno)) return new StoreError('unavailable', `${what}: lock contention persisted after retries (${e.code})`, err);
  return new StoreError('unavailable', `${what}: database unavailable (${e.code ?? errno})`, err);
}

export interface RetryOptions {
  /** attempts in all, the first included (default 4) */
  attempts?: number;
  /** base pause between attempts, doubled each time (default 5 ms) */
  backoffMs?: number;
}

/** Run `fn`, again on a deadlock / lock wait timeout, at most `attempts` times; errors translated. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 4);
  const backoff = opts.backoffMs ?? 5;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isRetryable(err)) throw toStoreError(err, what);
      await new Promise((r) => setTimeout(r, backoff * 2 ** (i - 1) * (0.5 + Math.random())));
    }
  }
}
