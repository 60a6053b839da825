import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Options } from '../../src/config/options.js';
import { cleanupTestEngines, prepareTestEngines, testBackendEnv, testOptions } from './backends.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/**
 * The test run's backends as PARLEY_<OPTION>, with this child's own Redis
 * prefix and NATS stream (`engines`, deleted when it exits); the CLI refuses
 * unknown PARLEY_* names, so PARLEY_TEST_* stay behind.
 */
function childEnv(engines: Options): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_TEST_')));
  return {
    ...env, ...testBackendEnv(),
    PARLEY_REDIS_PREFIX: engines.redis_prefix, PARLEY_NATS_STREAM: engines.nats_stream, PARLEY_NATS_SUBJECT_PREFIX: engines.nats_subject_prefix,
    ...(engines.store === 'mysql' && { PARLEY_MYSQL_PRIMARY: engines.mysql_primary }),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  proc: ChildProcess;
  httpUrl: string;
  wsUrl: string;
  tcpPort: number;
  /** stderr and stdout so far, for failure messages */
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
}

/** Start `parley start` as a real child process and wait until it answers /readyz. */
export async function startChildServer(dataDir: string, extraArgs: string[] = [], timeoutMs = 30000): Promise<ChildServer> {
  const http = await freePort();
  const tcp = await freePort();
  const engines = testOptions({ data_dir: dataDir });
  await prepareTestEngines(engines);
  const proc = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, 'start',
    '--data-dir', dataDir, '--http-port', String(http), '--tcp-port', String(tcp), '--log-level', 'warn', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(engines),
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const httpUrl = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited early: ${out}`);
    try {
      const r = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server did not become ready: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc, httpUrl, wsUrl: `ws://127.0.0.1:${http}/ws`, tcpPort: tcp,
    output: () => out,
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
      await cleanupTestEngines(engines, { keepDatabase: true }); // a crash test starts it again on the same data dir
    },
    async stop() {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const code = await exited;
      clearTimeout(t);
      await cleanupTestEngines(engines);
      return code;
    },
  };
}

export function readDefaultApp(dataDir: string): { app_id: string; api_key: string } {
  return JSON.parse(readFileSync(`${dataDir}/default-app.json`, 'utf8'));
}

/** Admin API call against a running child server. */
export async function adminCall<T = any>(base: string, apiKey: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
