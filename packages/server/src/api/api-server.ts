import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Core } from '../core.js';
import type { Metrics } from '../metrics.js';
import { createAuthHooks, type TokenVerifying } from './auth.js';
import { registerDocs } from './docs.js';
import { installErrorHandling, MAX_PARAM_LENGTH } from './errors.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { healthRoutes } from './health.js';
import { installOpsAccess, type OpsAccessOptions } from './ops-access.js';
import type { LoginThrottleOptions } from '../auth/login-throttle.js';
import { RateLimiter } from './rate-limit.js';
import { SHARED_SCHEMAS } from './schemas.js';
import type { RouteDeps } from './route-deps.js';
import { adminDiagnosticsRoutes } from './routes-admin-diagnostics.js';
import { adminGroupRoutes } from './routes-admin-groups.js';
import { adminMessageRoutes } from './routes-admin-messages.js';
import { adminSettingsRoutes } from './routes-admin-settings.js';
import { adminUserRoutes } from './routes-admin-users.js';
import { clientAuthRoutes } from './routes-client-auth.js';
import { clientConversationRoutes } from './routes-client-conversations.js';
import { clientGroupRoutes } from './routes-client-groups.js';
import { clientMessageRoutes } from './routes-client-messages.js';
import { clientRelationRoutes } from './routes-client-relations.js';
import { clientUserRoutes } from './routes-client-users.js';
import { uploadRoutes } from './uploads.js';
import { refuseNullBody, typeboxValidatorCompiler } from './validation.js';
import { spaFallback, webClientDir, webRoutes } from './web.js';

export interface ApiOptions {
  /** where uploads are stored (created if missing) */
  uploadDir: string;
  /** largest upload accepted, bytes */
  uploadMaxBytes: number;
  /** a built web client to serve at /; absent or not built → a page explaining how to build it */
  webDir?: string;
  /** requests per second per API key, per user token, and per address for register/login */
  apiRatePerSec: number;
  /** JSON request bodies above this are refused with frame_too_large (default 1 MiB) */
  bodyLimit?: number;
  /** who may read /metrics and /docs (ops-access.ts); default: anyone on the HTTP port */
  opsAccess?: OpsAccessOptions;
  /** login throttling (auth/login-throttle.ts); defaults there */
  loginThrottle?: LoginThrottleOptions;
}

export interface ApiDeps {
  core: Core;
  /** user-token verification (auth/token-verifier.ts); throws ParleyError token_invalid / token_expired */
  verifier: TokenVerifying;
  metrics: Metrics;
  log: Logger;
  options: ApiOptions;
  /** GET /readyz answers 200 while this resolves true */
  readiness: () => Promise<boolean>;
}

const MiB = 1024 * 1024;

/**
 * The api role's HTTP surface (DESIGN §1): admin routes for business
 * backends, client routes for users, uploads, health/metrics, the OpenAPI
 * document and the web client, each a plugin in its own file. Returns the
 * instance ready to listen but not listening: the caller listens and attaches
 * the WebSocket server to `app.server` at /ws.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { core, metrics, options } = deps;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; typing it as such keeps the instance the default FastifyInstance.
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? MiB,
    // Request counts and latencies live in /metrics; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors, clientErrorHandler,
  });
  // Only JSON (and multipart on /v1/uploads) bodies: text/plain answers bad_frame like any unsupported type.
  app.removeContentTypeParser('text/plain');

  app.setValidatorCompiler(typeboxValidatorCompiler);
  app.addHook('preValidation', refuseNullBody);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  const webRoot = webClientDir(options.webDir);
  installErrorHandling(app, { notFoundFallback: spaFallback(webRoot) });

  const limiter = new RateLimiter(options.apiRatePerSec);
  const auth = createAuthHooks(app, { apps: core.apps, users: core.users, verifier: deps.verifier, limiter });
  app.addHook('onClose', async () => limiter.clear());

  // Labelled by route pattern, never the raw URL, so ids in paths cannot blow up the series count.
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  installOpsAccess(app, options.opsAccess ?? {});
  await registerDocs(app);
  await app.register(healthRoutes, { metrics, readiness: deps.readiness });

  const r: RouteDeps = { core, auth };
  await app.register(adminUserRoutes, { prefix: '/v1/admin', ...r });
  await app.register(adminGroupRoutes, { prefix: '/v1/admin', ...r });
  await app.register(adminMessageRoutes, { prefix: '/v1/admin', ...r });
  await app.register(adminSettingsRoutes, { prefix: '/v1/admin', ...r });
  await app.register(adminDiagnosticsRoutes, { prefix: '/v1/admin', ...r });

  await app.register(clientAuthRoutes, { prefix: '/v1', ...r, ...(options.loginThrottle ? { loginThrottle: options.loginThrottle } : {}) });
  await app.register(clientUserRoutes, { prefix: '/v1', ...r });
  await app.register(clientConversationRoutes, { prefix: '/v1', ...r });
  await app.register(clientMessageRoutes, { prefix: '/v1', ...r });
  await app.register(clientRelationRoutes, { prefix: '/v1', ...r });
  await app.register(clientGroupRoutes, { prefix: '/v1', ...r });

  await app.register(uploadRoutes, { ...r, uploadDir: options.uploadDir, uploadMaxBytes: options.uploadMaxBytes });
  await app.register(webRoutes, { root: webRoot });
  return app;
}
