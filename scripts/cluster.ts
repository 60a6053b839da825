/**
 * `npm run cluster -- --links 2 --dispatchers 2 [--apis 1] [--api-port 8080]
 * [--link-port 8090] [--keep]`: a
 * cluster of separate Parley processes on this machine's MariaDB, Redis and
 * NATS (a fresh database, key prefix, stream and subject prefix), printed
 * with every address; Ctrl-C stops every process (SIGTERM, links first) and,
 * unless --keep, drops what it created.
 */
import { parseArgs } from 'node:util';
import { startProcCluster } from './proc-cluster.js';

const { values } = parseArgs({
  options: {
    links: { type: 'string', default: '2' },
    dispatchers: { type: 'string', default: '2' },
    apis: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'api-port': { type: 'string', default: '0' },
    'link-port': { type: 'string', default: '0' },
    'mysql-admin-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'nats-url': { type: 'string', default: 'nats://127.0.0.1:4222' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const count = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > 16) {
    process.stderr.write(`cluster: --${name} must be an integer from ${min} to 16\n`);
    process.exit(2);
  }
  return n;
};
const port = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65000) {
    process.stderr.write(`cluster: --${name} must be a port number (0: free ones)\n`);
    process.exit(2);
  }
  return n || undefined;
};
const layout = {
  apiPort: port('api-port', values['api-port']), linkPort: port('link-port', values['link-port']),
  links: count('links', values.links, 1), dispatchers: count('dispatchers', values.dispatchers, 1), apis: count('apis', values.apis, 1),
  mysqlAdminUrl: values['mysql-admin-url']!, redisUrl: values['redis-url']!, natsUrl: values['nats-url']!, logLevel: values['log-level']!,
};
process.stdout.write(`starting ${layout.apis} api, ${layout.dispatchers} dispatchers and ${layout.links} links…\n`);
const cluster = await startProcCluster(layout);
const lines = [
  `Parley cluster ${cluster.tag} is up (Ctrl-C stops it${values.keep ? '' : ' and drops what it created'})`,
  `  database       ${cluster.mysqlUrl}`,
  `  redis prefix   ${cluster.redisPrefix}`,
  `  nats stream    ${cluster.natsStream} (subjects ${cluster.natsSubjectPrefix}.<app>.events)`,
  `  data dir       ${cluster.dataDir}`,
];
for (const p of cluster.procs) {
  const a = p.addresses;
  if (p.role === 'api') lines.push(`  ${p.id.padEnd(13)}  API ${a.http}   (push listener ${a.push})`);
  if (p.role === 'dispatch') lines.push(`  ${p.id.padEnd(13)}  internal TCP ${a.dispatch}`);
  if (p.role === 'link') lines.push(`  ${p.id.padEnd(13)}  WebSocket ${a.ws}   TCP ${a.tcp}   UDP ${a.udp}`);
}
if (cluster.defaultApp) lines.push(`  default app    ${cluster.defaultApp.app_id}, API key ${cluster.defaultApp.api_key}`, `                 (also in ${cluster.dataDir}/api-1/default-app.json)`);
process.stdout.write(lines.join('\n') + '\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping…\n');
  const codes = await cluster.stop();
  for (const c of codes) process.stdout.write(`  ${c.id} exited ${c.code}\n`);
  if (!values.keep) await cluster.clean();
  process.exit(codes.every((c) => c.code === 0) ? 0 : 1);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const p of cluster.procs) {
  void p.exited.then((code) => {
    if (!stopping) process.stderr.write(`cluster: ${p.id} exited unexpectedly (${code}):\n${p.output().slice(-2000)}\n`);
  });
}
