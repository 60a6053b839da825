import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';

/** One separately started role (`parley start --role link|dispatch|api`). */
export interface RunningRole {
  role: 'link' | 'dispatch' | 'api';
  /** registry id and boot id of this life */
  id: string;
  bootId: string;
  log: Logger;
  /** label → address, for the start banner and scripts (e.g. `ws`, `tcp`, `dispatch`, `http`) */
  addresses: Record<string, string>;
  /** drain, flush the batch in flight, deregister, close; idempotent */
  stop(): Promise<void>;
}

/** A fresh boot id per start: routes of an earlier life of the same id are fenced by it. */
export function newBootId(): string {
  return randomBytes(8).toString('hex');
}

export function roleId(given: string, role: string): string {
  return given || `${role}-${randomBytes(4).toString('hex')}`;
}

/** Where the signing keys live (`--keys-dir`, default `<data_dir>/keys`). */
export function keysDir(o: Options): string {
  return resolve(o.keys_dir || join(o.data_dir, 'keys'));
}

/** host:port other processes dial for a listener bound at `o.dispatch_host`. */
export function advertised(o: Options, port: number): string {
  const host = o.advertise_host || (o.dispatch_host === '0.0.0.0' || o.dispatch_host === '::' ? '127.0.0.1' : o.dispatch_host);
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
