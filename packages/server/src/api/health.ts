import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ParleyError } from '@parley/protocol';
import type { Metrics } from '../metrics.js';
import { sendError } from './errors.js';
import { opsRoute, responses } from './schemas.js';

export interface HealthOptions {
  metrics: Metrics;
  readiness: () => Promise<boolean>;
}

/**
 * Operations endpoints, unauthenticated and not rate-limited (probes and
 * scrapers must always get through): liveness, readiness (the composition
 * root decides what "ready" means, e.g. store reachable and not draining),
 * and the Prometheus text of this process's registry.
 */
export async function healthRoutes(app: FastifyInstance, { metrics, readiness }: HealthOptions): Promise<void> {
  app.get('/healthz', {
    schema: opsRoute({ summary: 'Liveness: the process answers', response: responses(200, Type.Object({ ok: Type.Literal(true) })) }),
  }, async () => ({ ok: true as const }));

  app.get('/readyz', {
    schema: opsRoute({
      summary: 'Readiness: 200 when this process should get traffic, 503 unavailable otherwise',
      response: responses(200, Type.Object({ ready: Type.Literal(true) })),
    }),
  }, async (req, reply) => {
    const ready = await readiness().catch((err: unknown) => {
      req.log.warn({ err }, 'readiness check failed');
      return false;
    });
    if (!ready) return sendError(reply, new ParleyError('unavailable', 'not ready'));
    return { ready: true as const };
  });

  app.get('/metrics', {
    schema: opsRoute({
      summary: 'Prometheus metrics of this process',
      response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } } },
    }),
  }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
