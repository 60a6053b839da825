import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI 3 document (/docs/json, /docs/yaml) and Swagger UI (/docs).
 * @fastify/swagger collects every route's schema as it is added, so it must be
 * registered before the route plugins; the document is then exactly the
 * schemas fastify validates with.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    // Shared schemas appear under their own $id (components/schemas/ErrorBody), not def-0.
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Parley HTTP API',
        version: '1',
        description:
          'Business backends call /v1/admin/* with their app\'s API key; clients call /v1/* with a user token. ' +
          'Every error is `{ "error": { "code", "message", "retryable" } }` with a code from the one catalogue (docs/protocol.md). ' +
          'Real-time messaging is the WebSocket at /ws (docs/protocol.md).',
      },
      tags: [
        { name: 'admin', description: 'business backend, API key (X-Api-Key or Authorization: Bearer)' },
        { name: 'client', description: 'end users, user token (Authorization: Bearer <JWT>)' },
        { name: 'ops', description: 'health, readiness, metrics, web client' },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: "an app's API key (also accepted as a bearer token)" },
          bearer: { type: 'http', scheme: 'bearer', description: 'a user token (JWT) on client routes, or the API key on admin routes' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
