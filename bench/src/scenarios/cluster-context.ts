import { startProcCluster, type ClusterProc, type ProcCluster } from '../../../scripts/proc-cluster.js';
import { Admin } from '../lib/admin.js';
import { progress } from '../lib/log.js';

/**
 * A Parley cluster of separate processes for the cluster scenarios, started
 * by the same helper as `npm run cluster` (scripts/proc-cluster.ts: MariaDB
 * database, Redis prefix, NATS stream and subject prefix of its own, dropped
 * afterwards). The bench reaches it only as a client would: WebSocket URLs
 * of the links and the api's HTTP admin API.
 */
export interface BenchCluster {
  cluster: ProcCluster;
  admin: Admin;
  links: ClusterProc[];
  /** the links' WebSocket URLs, in link order */
  wsUrls: string[];
  /** every Parley process */
  pids: number[];
  stop(): Promise<void>;
}

export async function startBenchCluster(label: string, layout: { links: number; dispatchers: number; transport: 'tcp' | 'nats'; extraArgs?: string[] }): Promise<BenchCluster> {
  progress(`${label}: starting ${layout.links} links + ${layout.dispatchers} dispatchers + 1 api (transport ${layout.transport})`);
  const cluster = await startProcCluster({
    links: layout.links, dispatchers: layout.dispatchers, apis: 1,
    // the last --transport wins over the helper's own `--transport tcp`; frame and API rate
    // limits are lifted as for the single-process bench (lib/parley-server.ts): they protect
    // a server from abusive clients, and the bench's clients are many on a few source addresses
    extraArgs: ['--transport', layout.transport, '--rate-per-sec', '1000000', '--rate-burst', '1000000', '--api-rate-per-sec', '1000000', ...(layout.extraArgs ?? [])],
    startTimeoutMs: 180_000,
  });
  const api = cluster.procs.find((p) => p.role === 'api')!;
  if (!cluster.defaultApp) {
    await cluster.clean();
    throw new Error(`${label}: the api printed no default app key`);
  }
  const links = cluster.procs.filter((p) => p.role === 'link');
  return {
    cluster, links,
    admin: new Admin(api.addresses.http!, cluster.defaultApp.api_key),
    wsUrls: links.map((l) => l.addresses.ws!),
    pids: cluster.procs.map((p) => p.proc.pid!),
    async stop() {
      const codes = await cluster.stop().catch(() => []);
      const bad = codes.filter((c) => c.code !== 0);
      if (bad.length) progress(`${label}: unclean exits ${JSON.stringify(bad)}`);
      await cluster.clean();
    },
  };
}
