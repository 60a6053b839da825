import { ConfigError } from '../config/load-options.js';
import { StoreError } from '../store/store.js';
import { DataDirLockedError } from './data-dir-lock.js';

/** A start that cannot go on, for a reason the operator can fix; its message is one line naming the option. */
export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

/** Errors a start may hit that need no stack trace: the message says what to change. */
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

/**
 * The one line the CLI prints when a start fails, or undefined for an
 * unexpected error (then the stack is printed: that is a bug to report).
 */
export function describeStartError(err: unknown): string | undefined {
  if (err instanceof StartError || err instanceof ConfigError || err instanceof DataDirLockedError) return err.message;
  if (err instanceof StoreError) return `the store cannot be opened (${err.kind}: ${err.message.split('\n')[0]}); check --store and its options (--sqlite-path, --mysql-primary)`;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    if (e.syscall === 'listen') return `cannot listen on ${e.address ?? '?'}:${e.port ?? '?'} (${e.code}); check --host, --http-port and --tcp-port`;
    if (NETWORK.has(e.code)) return `a backend is unreachable (${e.code}${e.address ? ` ${e.address}:${e.port ?? ''}` : ''}); check --store, --mysql-primary, --redis-url and --nats-url`;
    if (e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOSPC' || e.code === 'ENOTDIR') {
      return `cannot write the data directory or database (${e.code}${e.path ? ` ${e.path}` : ''}); check --data-dir and --sqlite-path`;
    }
  }
  return undefined;
}
