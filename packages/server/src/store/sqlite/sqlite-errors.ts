import Database from 'better-sqlite3';
import { StoreError, type StoreErrorKind } from '../store.js';

/**
 * Driver errors become backend-neutral StoreErrors here and nowhere else
 * (STYLE habit 6). Callers must never see a SqliteError.
 *
 * Codes are matched on their primary part (SQLITE_IOERR_WRITE → SQLITE_IOERR).
 * Every failure of the engine or the disk is `unavailable`: the operation did
 * not happen (SQLite rolls the transaction back) and the caller reports an
 * error instead of a false ack. Errors that are not SqliteErrors (a TypeError
 * from binding a bad value) are bugs in this folder and pass through unchanged.
 */
const KIND_BY_PRIMARY_CODE: Record<string, StoreErrorKind> = {
  SQLITE_BUSY: 'unavailable',
  SQLITE_LOCKED: 'unavailable',
  SQLITE_FULL: 'unavailable',
  SQLITE_IOERR: 'unavailable',
  SQLITE_READONLY: 'unavailable',
  SQLITE_CANTOPEN: 'unavailable',
  SQLITE_NOMEM: 'unavailable',
  SQLITE_PROTOCOL: 'unavailable',
  SQLITE_CORRUPT: 'unavailable',
  SQLITE_NOTADB: 'unavailable',
  SQLITE_INTERRUPT: 'unavailable',
  SQLITE_ABORT: 'unavailable',
  SQLITE_PERM: 'unavailable',
  SQLITE_NOLFS: 'unavailable',
};

function primaryCode(code: string): string {
  const parts = code.split('_');
  return parts.length > 2 ? `${parts[0]}_${parts[1]}` : code;
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Database.SqliteError
    && (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** The StoreError for a driver error; anything else is returned as is. */
export function toStoreError(err: unknown, what: string): unknown {
  if (err instanceof StoreError || !(err instanceof Database.SqliteError)) return err;
  if (isUniqueViolation(err)) return new StoreError('duplicate', `${what}: already exists`, err);
  const primary = primaryCode(err.code);
  // Other constraint failures (NOT NULL, CHECK) mean the row contradicts the schema.
  if (primary === 'SQLITE_CONSTRAINT') return new StoreError('conflict', `${what}: ${err.message}`, err);
  // Unknown engine errors (SQLITE_ERROR: e.g. a missing table before migrate) leave the store unusable, not the input wrong.
  const kind = KIND_BY_PRIMARY_CODE[primary] ?? 'unavailable';
  return new StoreError(kind, `${what}: database unavailable (${err.code})`, err);
}

/** Run a synchronous driver call, translating its errors. */
export function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err, what);
  }
}
