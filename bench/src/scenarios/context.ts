import { join } from 'node:path';
import { Child } from '../lib/child.js';
import { startParley, type ParleyServer } from '../lib/parley-server.js';
import { progress } from '../lib/log.js';
import type { Args } from '../args.js';
import type { Creds } from '../gen/transports.js';
import type { Row } from '../report/types.js';
import type { EventLoopTimes, Target } from './drive.js';

/** What every scenario gets: the flags, a run tag for unique ids, and where rows and notes go. */
export interface Ctx {
  args: Args;
  runTag: string;
  rows: Row[];
  notes: string[];
  /** Parley's closed-loop maximum from scenario 1, reused by scenario 2 */
  parleyMaxSends?: number;
  /** directory for CPU profiles when --profile is on */
  profileDir?: string;
}

/** A ceiling or peer server child: it reports its URL once listening. */
export interface PlainServer { url: string; pid: number; runtime(): Promise<EventLoopTimes>; stop(): Promise<void> }

export async function startPlain(script: string, args: string[] = []): Promise<PlainServer> {
  const c = new Child(script, args);
  const { url } = await c.waitFor<{ url: string }>('listening', 30_000);
  // one reading at a time: replies carry no request id, so two overlapping
  // requests (a short window's start and end) would both take the first reply
  let last: Promise<unknown> = Promise.resolve();
  return {
    url, pid: c.pid, stop: () => c.stop(),
    runtime() {
      const next = last.then(() => {
        const wait = c.waitFor<EventLoopTimes>('runtime', 10_000);
        c.send({ type: 'runtime' });
        return wait;
      });
      last = next.catch(() => undefined);
      return next;
    },
  };
}

/** How drive.ts reaches a server for its diagnostics. */
export function parleyTarget(server: ParleyServer): Pick<Target, 'pid' | 'admin' | 'runtime'> {
  return { pid: server.pid, admin: server.admin, runtime: async () => (await server.admin.runtime()).event_loop };
}

export function plainTarget(server: PlainServer): Pick<Target, 'pid' | 'runtime'> {
  return { pid: server.pid, runtime: () => server.runtime() };
}

export async function parley(ctx: Ctx, label: string, args: string[] = []): Promise<ParleyServer> {
  progress(`${label}: starting Parley`);
  // one profile directory per server run, named after the scenario, so each profile says what it measured
  const profileDir = ctx.args.profile && ctx.profileDir ? join(ctx.profileDir, label.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')) : undefined;
  return startParley({ args, fromSource: ctx.args.fromSource, profileDir });
}

/** Users `<prefix>0..n-1` with tokens on Parley; plain servers take the user id as the token. */
export async function makeUsers(server: ParleyServer | null, prefix: string, n: number): Promise<Creds[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  if (!server) return ids.map((user) => ({ user, token: user }));
  return server.admin.users(ids, { concurrency: 16 });
}

export function pairsOf(creds: Creds[]): { from: Creds; to: Creds }[] {
  const half = creds.length / 2;
  return Array.from({ length: half }, (_, i) => ({ from: creds[i], to: creds[half + i] }));
}

export function summary(row: Row): string {
  const c = row.correctness;
  const corr = c ? `${c.ok ? 'OK' : 'FAIL'} sent=${c.sent} acked=${c.acked} stored=${c.stored ?? '–'} delivered=${c.delivered}/${c.expected_deliveries} order-violations=${c.order_violations}${c.note ? ` (${c.note})` : ''}` : '';
  const n = (x: number | null) => (x === null ? '–' : x.toLocaleString('en-US'));
  return `${row.system}: ${n(row.sends_per_s)} sends/s, ${n(row.deliveries_per_s)} deliveries/s, p50/p99/p99.9 ${row.p50_ms}/${row.p99_ms}/${row.p999_ms} ms, ` +
    `${row.cpu_s_per_1k ?? '–'} CPU-s/1k msgs, RSS ${row.server_rss_mb ?? '–'} MB | ${corr}`;
}
