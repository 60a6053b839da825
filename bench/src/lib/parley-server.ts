import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from './admin.js';

/**
 * Parley under test: `parley start` as a child process on a fresh data dir,
 * ports chosen by the kernel (0) and read back from its banner. The built
 * CLI (dist) is preferred — `npm run bench` builds first — so the server runs
 * as it would in production; without a build it runs from source through tsx.
 * Frame and API rate limits are lifted: they protect a server from abusive
 * clients, and the bench is the abusive client on purpose.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST_CLI = join(ROOT, 'packages/server/dist/cli.js');
const SRC_CLI = join(ROOT, 'packages/server/src/cli.ts');

export interface ParleyOpts {
  dataDir?: string;
  /** extra `parley start` flags, e.g. ['--heartbeat-ms', '120000'] */
  args?: string[];
  /** write a V8 CPU profile of the server into this directory (node --cpu-prof) */
  profileDir?: string;
  fromSource?: boolean;
}

export interface ParleyServer {
  pid: number;
  httpUrl: string;
  wsUrl: string;
  /** Parley's TCP listener for native clients, tcp://host:port */
  tcpUrl: string;
  dataDir: string;
  admin: Admin;
  apiKey: string;
  stop(): Promise<void>;
}

export const BENCH_SERVER_ARGS = [
  // UDP is on, as a deployment for native clients has it (any free port); the rows measure WebSocket.
  '--udp-port', '0',
  '--log-level', 'warn', '--rate-per-sec', '1000000', '--rate-burst', '1000000', '--api-rate-per-sec', '1000000',
];

export function serverEntry(fromSource = false): { argv: string[]; label: string } {
  if (!fromSource && existsSync(DIST_CLI)) return { argv: [DIST_CLI], label: 'packages/server/dist/cli.js' };
  return { argv: ['--conditions=development', '--import', 'tsx', SRC_CLI], label: 'packages/server/src/cli.ts (tsx)' };
}

export async function startParley(opts: ParleyOpts = {}): Promise<ParleyServer> {
  const own = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const entry = serverEntry(opts.fromSource);
  const prof = opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [];
  const argv = [...prof, ...entry.argv, 'start', '--data-dir', dataDir, '--http-port', '0', '--tcp-port', '0', ...BENCH_SERVER_ARGS, ...(opts.args ?? [])];
  const proc: ChildProcess = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 20000) err = err.slice(-10000);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const urls = await new Promise<{ http: string; ws: string; tcp: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parley did not start within 60 s:\n${out}\n${err}`)), 60000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const ws = /WebSocket (ws:\/\/\S+)/.exec(out);
      const http = /HTTP API (http:\/\/\S+?)\/?\s/.exec(out);
      const tcp = /TCP (\S+:\d+)/.exec(out);
      if (ws && http && tcp) {
        clearTimeout(timer);
        resolve({ http: http[1], ws: ws[1], tcp: `tcp://${tcp[1]}` });
      }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`parley exited (${code}) before listening:\n${out}\n${err}`)); });
  }).catch((e: unknown) => {
    // a server that never came up leaves neither a process nor a data dir behind
    proc.kill('SIGKILL');
    if (own) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const app = JSON.parse(readFileSync(join(dataDir, 'default-app.json'), 'utf8')) as { api_key: string };
  return {
    pid: proc.pid!, httpUrl: urls.http, wsUrl: urls.ws, tcpUrl: urls.tcp, dataDir, apiKey: app.api_key,
    admin: new Admin(urls.http, app.api_key),
    async stop() {
      // SIGTERM drains and flushes; --cpu-prof writes its profile on that exit
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 20000);
      await exited;
      clearTimeout(t);
      if (own) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
