import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { opsRoute } from './schemas.js';

/**
 * The web client: the built single-page app served at /, with a fallback to
 * its index.html for client-side routes (a browser navigating to /chat/42).
 * Paths owned by the server never fall back, so an unknown API path stays a
 * JSON 404. Without a build, / explains how to make one.
 */
const SERVER_PATHS = /^\/(v1|docs|files|ws|metrics|healthz|readyz)(\/|$)/;

export function webClientDir(webDir: string | undefined): string | null {
  if (!webDir) return null;
  const root = resolve(webDir);
  return existsSync(join(root, 'index.html')) && statSync(root).isDirectory() ? root : null;
}

/** The not-found fallback: index.html for browser navigations outside the server's paths. */
export function spaFallback(root: string | null) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    if (!root || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const path = req.url.split('?')[0]!;
    if (SERVER_PATHS.test(path) || !String(req.headers.accept ?? '').includes('text/html')) return false;
    // Read on each fallback (rare: deep links only) so a rebuilt client is picked up without a restart.
    const html = await readFile(join(root, 'index.html'), 'utf8').catch(() => null);
    if (html === null) return false;
    await reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    return true;
  };
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Parley is running</h1>
<p>The web client is not built, so there is nothing to show here yet.</p>
<p>Build it from the repository root with <code>npm run build</code> (or <code>npm run build -w @parley/web</code>)
and reload, or point <code>--web-dir</code> / <code>PARLEY_WEB_DIR</code> at a built client.</p>
<p>The HTTP API is at <a href="/docs">/docs</a>; WebSocket clients connect to <code>/ws</code>.</p>
</body></html>
`;

export async function webRoutes(app: FastifyInstance, { root }: { root: string | null }): Promise<void> {
  if (root) {
    // Encapsulated here, so this reply.sendFile does not clash with the uploads plugin's.
    await app.register(fastifyStatic, { root, prefix: '/', wildcard: true, index: 'index.html', dotfiles: 'ignore' });
    return;
  }
  app.get('/', {
    schema: opsRoute({
      summary: 'The web client (here: a page saying it is not built)',
      response: { 200: { description: 'HTML', content: { 'text/html': { schema: Type.String() } } } },
    }),
  }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT));
}
