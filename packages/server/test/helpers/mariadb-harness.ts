import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './child-server.js';

/**
 * A private MariaDB primary and GTID replica for tests: two `mariadbd
 * --no-defaults` processes on free ports, each with its own temp data
 * directory, torn down by `stop()`. Start it once per test file (it costs
 * seconds).
 *
 * - utf8mb4 server charset (--no-defaults alone would give latin1);
 * - log-bin, binlog_format=ROW, gtid_strict_mode, distinct server ids;
 * - the replica is read_only and replicates with MASTER_USE_GTID=slave_pos;
 * - Parley connects as `app`, a user without SUPER / READ ONLY ADMIN, so
 *   read_only holds for it on the replica (root would ignore it).
 */
export interface MariaDbPair {
  primaryPort: number;
  replicaPort: number;
  /** a fresh database (created on the primary, replicated) and its URLs for the app user */
  createDatabase(prefix?: string): Promise<{ name: string; primaryUrl: string; replicaUrl: string }>;
  /** root on the primary / replica (for test control: stopping replication, reading positions) */
  primaryRoot(): Promise<mysql.Connection>;
  replicaRoot(): Promise<mysql.Connection>;
  /** stop / start the replica's SQL thread (induces lag: the IO thread still fetches) */
  stopReplicaSql(): Promise<void>;
  startReplicaSql(): Promise<void>;
  /** freeze (SIGSTOP) or thaw (SIGCONT) a server: a host that stops answering without closing its connections */
  freeze(which: 'primary' | 'replica', frozen: boolean): void;
  /** SIGKILL one of the servers (a server dying under the store); not restarted */
  kill(which: 'primary' | 'replica'): Promise<void>;
  /** wait until the replica has applied everything the primary has logged */
  waitReplicaCaughtUp(timeoutSec?: number): Promise<void>;
  stop(): Promise<void>;
}

const APP_USER = 'app';
const APP_PASSWORD = 'apppw';

function haveMariaDb(): boolean {
  return spawnSync('mariadbd', ['--version'], { stdio: 'ignore' }).status === 0;
}

const gone = (proc: ChildProcess) => proc.exitCode !== null || proc.signalCode !== null;

async function waitPing(port: number, proc: ChildProcess, errLog: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone(proc)) throw new Error(`mariadbd on ${port} exited: ${safeRead(errLog)}`);
    try {
      const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2000 });
      await c.end();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`mariadbd on ${port} did not answer: ${safeRead(errLog)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

export interface MariaDbPairOptions {
  /** InnoDB buffer pool of each server (default 64 MB: tests; the bench asks for more) */
  bufferPoolMb?: number;
}

export async function startMariaDbPair(opts: MariaDbPairOptions = {}): Promise<MariaDbPair> {
  if (!haveMariaDb()) throw new Error('mariadbd is not installed on this machine');
  const base = mkdtempSync(join(tmpdir(), 'parley-mariadb-'));
  const user = userInfo().username;
  // A private tmpdir: bootstraps sharing /tmp trip over temporary-table files left by an earlier one with the same pid.
  const tmp = join(base, 'tmp');
  mkdirSync(tmp);
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--user=${user}`, `--datadir=${join(base, 'p')}`,
    '--auth-root-authentication-method=normal', '--skip-test-db', `--tmpdir=${tmp}`], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  // The replica starts from the same freshly installed system tables (faster than a second install).
  cpSync(join(base, 'p'), join(base, 'r'), { recursive: true });

  const procs: ChildProcess[] = [];
  const start = (name: string, port: number, serverId: number, extra: string[]) => {
    const errLog = join(base, `${name}.err`);
    const proc = spawn('mariadbd', ['--no-defaults', `--user=${user}`, `--datadir=${join(base, name)}`,
      `--socket=${join(base, `${name}.sock`)}`, `--tmpdir=${tmp}`, `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${join(base, `${name}.pid`)}`,
      `--server-id=${serverId}`, `--log-bin=${join(base, name, 'binlog')}`, '--binlog-format=ROW', '--gtid-strict-mode=1',
      '--log-slave-updates=1', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci', '--skip-name-resolve',
      `--innodb-buffer-pool-size=${opts.bufferPoolMb ?? 64}M`, '--innodb-log-file-size=48M', '--max-connections=300', `--log-error=${errLog}`, ...extra],
    { stdio: 'ignore' });
    procs.push(proc);
    return { proc, errLog };
  };
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const p = start('p', primaryPort, 1, []);
  const r = start('r', replicaPort, 2, ['--read-only=1', '--slave-parallel-threads=4']);
  const killed = new Set<'primary' | 'replica'>();
  const kill = () => {
    for (const proc of procs) if (!gone(proc)) proc.kill('SIGKILL');
  };
  try {
    await Promise.all([waitPing(primaryPort, p.proc, p.errLog), waitPing(replicaPort, r.proc, r.errLog)]);
    const root = (port: number) => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', multipleStatements: true });
    const pc = await root(primaryPort);
    await pc.query(`CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'replpw'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
      CREATE USER '${APP_USER}'@'127.0.0.1' IDENTIFIED BY '${APP_PASSWORD}'; GRANT ALL ON \`parley%\`.* TO '${APP_USER}'@'127.0.0.1';`);
    await pc.end();
    const rc = await root(replicaPort);
    await rc.query(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primaryPort}, MASTER_USER='repl', MASTER_PASSWORD='replpw',
      MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;`);
    await rc.end();
  } catch (err) {
    kill();
    rmSync(base, { recursive: true, force: true });
    throw err;
  }

  const url = (port: number, db: string) => `mysql://${APP_USER}:${APP_PASSWORD}@127.0.0.1:${port}/${db}`;
  const rootOn = (port: number) => mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
  const pair: MariaDbPair = {
    primaryPort, replicaPort,
    async createDatabase(prefix = 'parley_t') {
      const name = `${prefix}_${randomBytes(5).toString('hex')}`;
      const c = await mysql.createConnection({ host: '127.0.0.1', port: primaryPort, user: APP_USER, password: APP_PASSWORD });
      try {
        await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      } finally {
        await c.end();
      }
      await pair.waitReplicaCaughtUp();
      return { name, primaryUrl: url(primaryPort, name), replicaUrl: url(replicaPort, name) };
    },
    primaryRoot: () => rootOn(primaryPort),
    replicaRoot: () => rootOn(replicaPort),
    async stopReplicaSql() {
      const c = await rootOn(replicaPort);
      try {
        await c.query('STOP SLAVE SQL_THREAD');
      } finally {
        await c.end();
      }
    },
    async startReplicaSql() {
      const c = await rootOn(replicaPort);
      try {
        await c.query('START SLAVE SQL_THREAD');
      } finally {
        await c.end();
      }
    },
    freeze(which, frozen) {
      const proc = (which === 'primary' ? p : r).proc;
      if (!gone(proc)) proc.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async kill(which) {
      killed.add(which);
      const proc = (which === 'primary' ? p : r).proc;
      if (gone(proc)) return;
      const exited = new Promise<void>((res) => proc.once('exit', () => res()));
      proc.kill('SIGKILL');
      await exited;
    },
    async waitReplicaCaughtUp(timeoutSec = 30) {
      if (killed.size > 0) throw new Error(`the ${[...killed].join(' and ')} was killed`);
      const pc = await rootOn(primaryPort);
      const rc = await rootOn(replicaPort);
      try {
        const [[row]] = await pc.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
        if (!row.pos) return;
        const [[w]] = await rc.query('SELECT MASTER_GTID_WAIT(?, ?) AS r', [row.pos, timeoutSec]) as unknown as [[{ r: number }]];
        if (Number(w.r) !== 0) throw new Error(`replica did not reach ${row.pos} within ${timeoutSec} s`);
      } finally {
        await pc.end();
        await rc.end();
      }
    },
    async stop() {
      const exits = procs.map((proc) => (gone(proc) ? Promise.resolve() : new Promise<void>((res) => proc.once('exit', () => res()))));
      for (const proc of procs) {
        if (gone(proc)) continue;
        proc.kill('SIGCONT'); // a frozen server must run to handle SIGTERM
        proc.kill('SIGTERM');
      }
      const t = setTimeout(kill, 15_000);
      await Promise.all(exits);
      clearTimeout(t);
      rmSync(base, { recursive: true, force: true });
    },
  };
  return pair;
}

/**
 * A throwaway database on the machine's shared MariaDB (127.0.0.1:3306,
 * root, no password) for simple cases; dropped by `drop()`.
 */
export async function sharedMariaDbDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await c.end();
  }
  return {
    name, url: `mysql://root@127.0.0.1:3306/${name}`,
    async drop() {
      const d = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      try {
        await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await d.end();
      }
    },
  };
}
