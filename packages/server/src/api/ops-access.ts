import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ParleyError } from '@parley/protocol';
import { errorBody } from './errors.js';

/**
 * Who may read /metrics and /docs (the Prometheus text and the OpenAPI
 * document describe the whole platform). Two independent options:
 * - a token: those paths then need `Authorization: Bearer <ops_token>`;
 * - a separate listener (e.g. on 127.0.0.1 only): those paths then answer
 *   404 on the public HTTP port and are served on the ops listener, which
 *   forwards each request to the API in-process with a per-process secret.
 * /healthz and /readyz stay open on the HTTP port: probes must get through.
 */
export interface OpsAccessOptions {
  /** '' or undefined: no token needed */
  token?: string;
  /** set when an ops listener serves these paths: requests without this secret get 404 */
  listenerSecret?: string;
}

const OPS_HEADER = 'x-parley-ops-listener';

export function isOpsPath(url: string): boolean {
  const path = url.split('?')[0]!;
  return path === '/metrics' || path === '/docs' || path.startsWith('/docs/');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Install before the docs and health plugins so it covers their routes. */
export function installOpsAccess(app: FastifyInstance, o: OpsAccessOptions): void {
  if (!o.token && !o.listenerSecret) return;
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (!isOpsPath(req.url)) return;
    if (o.listenerSecret) {
      const given = req.headers[OPS_HEADER];
      if (typeof given !== 'string' || !same(given, o.listenerSecret)) {
        throw new ParleyError('not_found', `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`);
      }
    }
    if (o.token) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !same(m[1]!, o.token)) throw new ParleyError('unauthenticated', 'this endpoint needs the ops token: Authorization: Bearer <ops_token>');
    }
  });
}

export function newListenerSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** The ops listener: GET/HEAD of /metrics and /docs*, forwarded to the API; everything else 404. */
export async function listenOps(api: FastifyInstance, secret: string, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !isOpsPath(url)) {
      const body = JSON.stringify(errorBody(new ParleyError('not_found', 'the ops listener serves GET /metrics and /docs only')));
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    const headers: IncomingHttpHeaders = { ...req.headers, [OPS_HEADER]: secret };
    api.inject({ method: req.method, url, headers: headers as Record<string, string> }).then(
      (r) => {
        res.writeHead(r.statusCode, r.headers as Record<string, string>);
        res.end(r.rawPayload);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}
