import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { createCore, type Backends, type Core } from '../core.js';
import type { Metrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { loadOrCreateSigningKeys } from '../auth/keys.js';
import { TokenIssuer } from '../auth/token-issuer.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { systemClock } from '../services/clock.js';
import { WebhookSender } from '../services/webhook-sender.js';
import { buildApi } from '../api/api-server.js';
import { roleDispatchSide } from './role-transport.js';
import { PushOnlySide } from '../transport/push-only-side.js';
import { advertised, keysDir, newBootId, roleId, type RunningRole } from './running-role.js';

/**
 * `parley start --role api`: the HTTP API (admin and client routes,
 * uploads, web client) and the webhook consumer. It writes through the same
 * store and pipeline as a dispatcher and reaches clients through a
 * push-only TCP listener the links dial (announced as role `api`, never
 * given a session). The first api to start on an empty store creates the
 * default app. On stop: stop taking requests (fastify waits for those in
 * flight), flush the batch and the events, close the listener, deregister.
 */
export async function startApiRole(o: Options, deps: {
  backends: Backends; registry: Registry; log: Logger; metrics: Metrics; webDir: string;
  closeBackends: () => Promise<void>;
  ensureDefaultApp: (core: Core) => Promise<{ app_id: string; api_key: string; file: string } | undefined>;
}): Promise<RunningRole & { defaultApp?: { app_id: string; api_key: string; file: string } }> {
  const { backends, registry, log, metrics } = deps;
  const id = roleId(o.node_id, 'api');
  const bootId = newBootId();
  const keys = await loadOrCreateSigningKeys(keysDir(o));
  const { side: tcp, listen } = await roleDispatchSide(o, { id, bootId, sessions: false, onError: (err) => log.error({ err }, 'transport handler failed') });
  const core = createCore({
    backends, transport: new PushOnlySide(tcp), tokens: new TokenIssuer({ keys, ttlSec: o.token_ttl_sec }),
    passwords: { hash: hashPassword, verify: verifyPassword },
    options: { commitWindowMs: o.commit_window_ms, commitMaxBatch: o.commit_max_batch, commitDeadlineMs: o.commit_deadline_ms, maxContentBytes: o.max_content_bytes },
    clock: systemClock, log, metrics,
  });
  const defaultApp = await deps.ensureDefaultApp(core);
  // One consumer group across every api process: each webhook is sent once, not once per process.
  const webhooks = new WebhookSender(backends.bus, core.apps, log);
  await webhooks.start();
  // The api commits messages too (HTTP sends and notices): its relay publishes what any dead process left unpublished.
  core.outbox.start();

  let ready = true;
  const api = await buildApi({
    core, verifier: new TokenVerifier(keys.publicJwks), metrics, log,
    options: {
      uploadDir: join(o.data_dir, 'uploads'), uploadMaxBytes: o.upload_max_bytes, webDir: deps.webDir,
      apiRatePerSec: o.api_rate_per_sec, opsAccess: { token: o.ops_token },
    },
    readiness: async () => ready,
  });
  const bound = await listen();
  const dispatchAddress = bound && advertised(o, Number(bound.slice(bound.lastIndexOf(':') + 1)));
  await api.listen({ host: o.host, port: o.http_port });
  const a = api.server.address();
  const httpUrl = `http://${o.host === '0.0.0.0' ? '127.0.0.1' : o.host}:${typeof a === 'object' && a ? a.port : o.http_port}`;
  await registry.announce({ role: 'api', id, boot_id: bootId, address: dispatchAddress, started_at: Date.now() });
  log.info({ id, boot_id: bootId, http: httpUrl, push: dispatchAddress }, 'api role started');

  let stopping: Promise<void> | undefined;
  return {
    role: 'api', id, bootId, log, addresses: { http: httpUrl, ...(dispatchAddress ? { push: dispatchAddress } : {}) }, ...(defaultApp ? { defaultApp } : {}),
    stop() {
      stopping ??= (async () => {
        ready = false;
        await api.close();
        await core.committer.flush();
        await core.publisher.flush();
        await core.outbox.close();
        await tcp.close();
        await registry.close();
        await webhooks.stop();
        core.plane.close();
        await deps.closeBackends();
      })();
      return stopping;
    },
  };
}
