/**
 * A Parley cluster of separate processes on this machine's engines: MariaDB
 * (a fresh database), Redis (a fresh key prefix) and NATS JetStream (a fresh
 * stream and subject prefix). Used by `npm run cluster` (scripts/cluster.ts)
 * and by the process cluster test; it starts `parley start --role …` child
 * processes from the sources (no build needed) and knows how to stop them.
 *
 * Start order: the api first (it creates the schema, the signing keys and
 * the default app), then the dispatchers, then the links (which need the
 * public keys the api wrote and wait for a dispatcher in the registry).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CLI = join(ROOT, 'packages/server/src/cli.ts');

export interface ClusterLayout {
  links: number;
  dispatchers: number;
  apis?: number;
  /** MariaDB server, root rights to create a database (default mysql://root@127.0.0.1:3306) */
  mysqlAdminUrl?: string;
  /** a database made by the caller (e.g. on a primary + replica pair): used as it is, neither created nor dropped */
  database?: { name: string; primaryUrl: string; replicaUrl?: string };
  redisUrl?: string;
  natsUrl?: string;
  /** where data dirs and keys go (default ./data/cluster-<tag>) */
  dataDir?: string;
  logLevel?: string;
  /** extra flags for every process */
  extraArgs?: string[];
  /** HTTP port of the first api (default: a free one; the others take the next ports) */
  apiPort?: number;
  /** first link's HTTP/WebSocket port; its TCP port is the next one, and each further link takes the next two (default: free ones) */
  linkPort?: number;
  /** how long one process may take to come up (default 90 s: a loaded machine is slow to compile) */
  startTimeoutMs?: number;
}

export interface ClusterProc {
  role: 'link' | 'dispatch' | 'api';
  id: string;
  proc: ChildProcess;
  /** ws, tcp, http, dispatch, push: from the process's start lines */
  addresses: Record<string, string>;
  exited: Promise<number | null>;
  output(): string;
}

export interface ProcCluster {
  tag: string;
  database: string;
  mysqlUrl: string;
  redisPrefix: string;
  natsStream: string;
  natsSubjectPrefix: string;
  dataDir: string;
  defaultApp?: { app_id: string; api_key: string };
  procs: ClusterProc[];
  /** the flags every process of this cluster gets */
  commonArgs: string[];
  /** SIGTERM every process (links, then dispatchers, then apis); resolves with each exit code */
  stop(): Promise<Array<{ id: string; code: number | null }>>;
  /** drop the database, the Redis keys, the stream and the data dir */
  clean(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function freeUdpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => res(port));
    });
  });
}

export async function startProcCluster(layout: ClusterLayout): Promise<ProcCluster> {
  const tag = randomBytes(4).toString('hex');
  const adminUrl = layout.mysqlAdminUrl ?? 'mysql://root@127.0.0.1:3306';
  const given = layout.database;
  const database = given?.name ?? `parley_c_${tag}`;
  if (!given) {
    const admin = await mysql.createConnection(adminUrl);
    try {
      await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    } finally {
      await admin.end();
    }
  }
  const mysqlUrl = given?.primaryUrl ?? `${adminUrl.replace(/\/+$/, '')}/${database}`;
  const redisUrl = layout.redisUrl ?? 'redis://127.0.0.1:6379';
  const natsUrl = layout.natsUrl ?? 'nats://127.0.0.1:4222';
  const dataDir = resolve(layout.dataDir ?? join('data', `cluster-${tag}`));
  mkdirSync(dataDir, { recursive: true });
  const commonArgs = [
    '--store', 'mysql', '--mysql-primary', mysqlUrl, ...(given?.replicaUrl ? ['--mysql-replica', given.replicaUrl] : []),
    '--location', 'redis', '--seq', 'redis', '--control', 'redis', '--registry', 'redis', '--redis-url', redisUrl, '--redis-prefix', `parley-c-${tag}:`,
    '--bus', 'nats', '--nats-url', natsUrl, '--nats-stream', `PARLEY_C_${tag}`, '--nats-subject-prefix', `parley_c_${tag}`,
    '--transport', 'tcp', '--keys-dir', join(dataDir, 'keys'), '--log-level', layout.logLevel ?? 'warn',
    ...(layout.extraArgs ?? []),
  ];
  const procs: ClusterProc[] = [];
  const cluster: ProcCluster = {
    tag, database, mysqlUrl, redisPrefix: `parley-c-${tag}:`, natsStream: `PARLEY_C_${tag}`, natsSubjectPrefix: `parley_c_${tag}`,
    dataDir, procs, commonArgs,
    async stop() {
      const order = ['link', 'dispatch', 'api'] as const;
      const codes: Array<{ id: string; code: number | null }> = [];
      for (const role of order) {
        const these = procs.filter((p) => p.role === role);
        for (const p of these) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGTERM');
        for (const p of these) codes.push({ id: p.id, code: await p.exited });
      }
      return codes;
    },
    async clean() {
      for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      if (!given) {
        const c = await mysql.createConnection(adminUrl);
        await c.query(`DROP DATABASE IF EXISTS \`${database}\``).finally(() => c.end());
      }
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
      try {
        let cursor = '0';
        for (let round = 0; round < 100_000; round++) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${cluster.redisPrefix}*`, 'COUNT', 500);
          if (keys.length) await redis.unlink(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
      } finally {
        redis.disconnect();
      }
      const nc = await connect({ servers: natsUrl });
      try {
        await (await jetstreamManager(nc)).streams.delete(cluster.natsStream).catch(() => false);
      } finally {
        await nc.close();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const timeout = layout.startTimeoutMs ?? 90_000;
  try {
    for (let i = 1; i <= (layout.apis ?? 1); i++) {
      const p = await startRoleProc('api', `api-${i}`, [...commonArgs, '--data-dir', join(dataDir, `api-${i}`), '--http-port', String(layout.apiPort ? layout.apiPort + i - 1 : await freePort())], timeout);
      procs.push(p);
      const key = /default app (\S+), API key (\S+)/.exec(p.output());
      if (key) cluster.defaultApp = { app_id: key[1]!, api_key: key[2]! };
    }
    const starting: Promise<ClusterProc>[] = [];
    for (let i = 1; i <= layout.dispatchers; i++) {
      starting.push(startRoleProc('dispatch', `dispatch-${i}`, [...commonArgs, '--data-dir', join(dataDir, `dispatch-${i}`)], timeout));
    }
    procs.push(...(await Promise.all(starting)));
    const links: Promise<ClusterProc>[] = [];
    for (let i = 1; i <= layout.links; i++) {
      links.push(startRoleProc('link', `link-${i}`, [...commonArgs, '--data-dir', join(dataDir, `link-${i}`),
        '--http-port', String(layout.linkPort ? layout.linkPort + 2 * (i - 1) : await freePort()),
        '--tcp-port', String(layout.linkPort ? layout.linkPort + 2 * (i - 1) + 1 : await freePort()),
        // UDP for native clients on lossy networks is on in the cluster (off by default elsewhere); same number as the TCP port.
        '--udp-port', String(layout.linkPort ? layout.linkPort + 2 * (i - 1) + 1 : await freeUdpPort())], timeout));
    }
    procs.push(...(await Promise.all(links)));
    for (const l of procs.filter((p) => p.role === 'link')) await waitReady(l, timeout);
  } catch (err) {
    await cluster.clean().catch(() => {});
    throw err;
  }
  return cluster;
}

/** Start one role and wait for its "is running" lines (the addresses follow on the lines after it). */
export async function startRoleProc(role: ClusterProc['role'], id: string, args: string[], timeoutMs: number): Promise<ClusterProc> {
  const idFlag = role === 'link' ? '--link-id' : '--node-id';
  const proc = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, 'start', '--role', role, idFlag, id, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_'))),
  });
  let out = '';
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const up = new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${id} did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      // The banner ends with the last address line; the api adds its default app line when it made one.
      if (/is running\n(?:  .*\n)+/.test(out) && out.trimEnd().split('\n').length >= 2) {
        clearTimeout(t);
        setTimeout(res, 50); // the rest of the banner is in the same write; let it arrive
      }
    };
    proc.stdout!.on('data', (d) => ((out += d), check()));
    proc.stderr!.on('data', (d) => (out += d));
    void exited.then((code) => (clearTimeout(t), rej(new Error(`${id} exited (${code}) while starting:\n${out}`))));
  });
  await up;
  const addresses: Record<string, string> = {};
  for (const m of out.matchAll(/^ {2}(ws|tcp|udp|http|dispatch|push) +(\S+)$/gm)) addresses[m[1]!] = m[2]!;
  return { role, id, proc, addresses, exited, output: () => out };
}

async function waitReady(p: ClusterProc, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      const r = await fetch(`${p.addresses.http}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** i)));
  }
  throw new Error(`${p.id} found no dispatcher within ${timeoutMs} ms:\n${p.output()}`);
}
