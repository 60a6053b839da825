import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { readPublicJwks } from '../auth/keys.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { LinkServer } from '../link/link-server.js';
import { roleLinkSide } from './role-transport.js';
import { StartError } from '../startup/start-errors.js';
import { keysDir, newBootId, roleId, type RunningRole } from './running-role.js';

/**
 * `parley start --role link`: the client gateway (WebSocket at /ws on the
 * HTTP port, TCP on the TCP port, UDP when `udp_port` is set). It holds no store and no private key:
 * tokens are verified with `public.jwks.json` from the keys directory. It
 * dials every dispatcher and api the registry lists (one connection each,
 * both directions; with --transport nats it reaches them through NATS
 * instead, see role-transport.ts), binds each new session round-robin to a live
 * dispatcher (never to an api: those only push), and re-opens the sessions
 * of a dispatcher that goes away on another. The HTTP port also answers
 * GET /healthz, and GET /readyz with 200 once a dispatcher is ready.
 * On stop: clients are closed (their sessions are closed at dispatch), the
 * dispatcher connections are flushed and closed, then it deregisters.
 */
export async function startLinkRole(o: Options, deps: { registry: Registry; log: Logger; metrics: Metrics }): Promise<RunningRole> {
  const { registry, log, metrics } = deps;
  const id = roleId(o.link_id, 'link');
  const bootId = newBootId();
  let jwks;
  try {
    jwks = await readPublicJwks(keysDir(o));
  } catch (err) {
    throw new StartError(`--keys-dir ${keysDir(o)}: ${(err as Error).message}; a link needs the public key set the api wrote there (copy public.jwks.json, or start the api first)`);
  }
  const side = await roleLinkSide(o, { id, bootId, registry, onError: (err) => log.error({ err }, 'transport handler failed') });
  const link = new LinkServer({
    linkId: id, transport: side, verifier: new TokenVerifier(jwks),
    maxFrameBytes: o.max_frame_bytes, heartbeatMs: o.heartbeat_ms, authTimeoutMs: o.auth_timeout_ms,
    // clients learn the deadline from the auth answer; give every process of a cluster the same value
    commitDeadlineMs: o.commit_deadline_ms,
    rateLimit: { perSec: o.rate_per_sec, burst: o.rate_burst }, maxSendBufferBytes: o.send_buffer_bytes,
    logger: log, metrics,
  });
  const http = createServer((req, res) => {
    const ready = side.readyDispatchers().length > 0;
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (path === '/readyz') return void res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready, dispatchers: side.readyDispatchers() }));
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}');
  });
  link.attachWebSocket(http, '/ws');
  await listen(http, o.host, o.http_port);
  const tcpPort = await link.listenTcp(o.tcp_port, o.host);
  const udpPort = o.udp_port >= 0 ? await link.listenUdp(o.udp_port, o.host) : undefined;
  const a = http.address();
  const host = o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  const httpUrl = `http://${host}:${typeof a === 'object' && a ? a.port : o.http_port}`;
  await registry.announce({ role: 'link', id, boot_id: bootId, address: '', started_at: Date.now() });
  log.info({ id, boot_id: bootId, ws: `${httpUrl.replace('http', 'ws')}/ws`, tcp: tcpPort }, 'link role started');

  let stopping: Promise<void> | undefined;
  return {
    role: 'link', id, bootId, log,
    addresses: { ws: `${httpUrl.replace('http', 'ws')}/ws`, tcp: `${host}:${tcpPort}`, ...(udpPort !== undefined ? { udp: `${host}:${udpPort}` } : {}), http: httpUrl },
    stop() {
      stopping ??= (async () => {
        await link.close();
        await new Promise<void>((r) => (http.close(() => r()), http.closeAllConnections()));
        await side.close();
        await registry.close();
      })();
      return stopping;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => (server.off('error', reject), resolve()));
  });
}
