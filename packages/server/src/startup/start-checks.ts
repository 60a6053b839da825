import { createSocket } from 'node:dgram';
import { accessSync, constants, statSync } from 'node:fs';
import { createServer, isIPv6 } from 'node:net';
import { dirname } from 'node:path';
import { ConfigError } from '../config/load-options.js';
import { listOption, type Options } from '../config/options.js';
import { StartError } from './start-errors.js';

/**
 * Checks made before a start creates anything (data dir, database, keys,
 * default app): a start that would fail on its data directory or a port
 * fails first, with one line naming the option, and leaves nothing behind.
 * The ports are probed by binding and releasing them; a port taken in the
 * instant between probe and listen still fails the start (later, cleanly).
 */
export async function checkBeforeStart(o: Options): Promise<void> {
  checkDataDir(o.data_dir);
  checkEngineUrls(o);
  await checkPort(o.host, o.http_port, '--http-port');
  if (o.tcp_port !== o.http_port || o.tcp_port === 0) await checkPort(o.host, o.tcp_port, '--tcp-port');
  else throw new StartError(`--http-port and --tcp-port are both ${o.http_port}; give them different ports`);
  if (o.ops_port >= 0) await checkPort(o.ops_host, o.ops_port, '--ops-port');
  if (o.udp_port > 0) await checkUdpPort(o.host, o.udp_port);
}

/** The engines' URLs are URLs of the right kind (reachability is found when they are opened); a wrong one is a bad option (exit 2). */
export function checkEngineUrls(o: Options): void {
  if (o.store === 'mysql') {
    if (!o.mysql_primary) throw new ConfigError('store=mysql needs --mysql-primary mysql://user:pass@host:port/db');
    checkUrl('--mysql-primary', o.mysql_primary, ['mysql:']);
    for (const replica of listOption(o.mysql_replica)) checkUrl('--mysql-replica', replica, ['mysql:']);
  }
  if ([o.location, o.seq, o.control, o.registry].includes('redis')) checkUrl('--redis-url', o.redis_url, ['redis:', 'rediss:']);
}

function checkUrl(flag: string, value: string, protocols: string[]): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (!protocol || !protocols.includes(protocol)) throw new ConfigError(`${flag} ${JSON.stringify(value)}: not a ${protocols[0]}// URL`);
}

/** The directory exists and is writable, or can be created (its nearest existing ancestor is a writable directory). */
export function checkDataDir(dir: string): void {
  let probe = dir;
  for (;;) {
    let st;
    try {
      st = statSync(probe);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: some ancestor is a file; walking up finds it and names it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new StartError(`--data-dir ${dir}: cannot read ${probe} (${code})`);
      const up = dirname(probe);
      if (up === probe) throw new StartError(`--data-dir ${dir}: no existing parent directory`);
      probe = up;
      continue;
    }
    if (!st.isDirectory()) throw new StartError(`--data-dir ${dir}: ${probe} is not a directory`);
    try {
      accessSync(probe, constants.W_OK | constants.X_OK);
    } catch {
      throw new StartError(`--data-dir ${dir}: ${probe === dir ? 'the directory' : `cannot create it: ${probe}`} is not writable by this user`);
    }
    return;
  }
}

/** Bind and release the port; port 0 still checks that `host` is an address of this machine. */
export function checkPort(host: string, port: number, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => reject(new StartError(listenProblem(err, host, port, flag))));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

export function checkUdpPort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.close();
      reject(new StartError(listenProblem(err, host, port, '--udp-port')));
    });
    s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

/** One line for a listen failure, naming the option. */
export function listenProblem(err: NodeJS.ErrnoException, host: string, port: number, flag: string): string {
  switch (err.code) {
    case 'EADDRINUSE': return `${flag} ${port}: ${host}:${port} is already in use; stop the other process or choose another port`;
    case 'EACCES': return `${flag} ${port}: not allowed to listen on ${host}:${port} (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL': return `--host ${host}: not an address of this machine`;
    case 'ENOTFOUND': return `--host ${host}: cannot resolve this host name`;
    default: return `${flag} ${port}: cannot listen on ${host}:${port} (${err.code ?? err.message})`;
  }
}
