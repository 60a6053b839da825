import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import type { Options } from './config/options.js';
import { ConfigError } from './config/load-options.js';
import { createCore, type Backends, type Core } from './core.js';
import { Metrics } from './metrics.js';
import { systemClock, type Clock } from './services/clock.js';
import { MemoryEventBus } from './bus/memory-event-bus.js';
import { MemoryLocation } from './location/memory-location.js';
import { MemorySeqAllocator } from './seq/memory-seq-allocator.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/store.js';
import { InProcTransport } from './transport/inproc-transport.js';
import { loadOrCreateSigningKeys } from './auth/keys.js';
import { TokenIssuer } from './auth/token-issuer.js';
import { TokenVerifier } from './auth/token-verifier.js';
import { hashPassword, verifyPassword } from './auth/password.js';
import { WebhookSender } from './services/webhook-sender.js';
import { buildApi } from './api/api-server.js';
import { LinkServer } from './link/link-server.js';
import type { FastifyInstance } from 'fastify';

export interface RunningPlatform {
  options: Options;
  core: Core;
  api: FastifyInstance;
  link: LinkServer;
  log: Logger;
  metrics: Metrics;
  /** where the HTTP/WebSocket and TCP listeners ended up (ports may be 0 in options) */
  httpUrl: string;
  wsUrl: string;
  tcpPort: number;
  /** first start only: the default app's credentials */
  defaultApp?: { app_id: string; api_key: string; file: string };
  stop(): Promise<void>;
}

/**
 * Only this function picks the backends (STYLE habit 4): each switch is
 * exhaustive and fails fast on a kind this build cannot run.
 */
function chooseStore(o: Options): Store {
  switch (o.store) {
    case 'sqlite':
      return new SqliteStore({ path: o.sqlite_path || join(o.data_dir, 'parley.db'), commitOnWorker: o.sqlite_commit === 'worker' });
    case 'mysql':
      throw new ConfigError('store=mysql: the MySQL/MariaDB store is not part of this build yet; use store=sqlite');
  }
}

function chooseBackends(o: Options, store: Store, log: Logger): Backends {
  if (o.location !== 'memory') throw new ConfigError(`location=${o.location}: not part of this build yet; use memory`);
  if (o.seq !== 'memory') throw new ConfigError(`seq=${o.seq}: not part of this build yet; use memory`);
  if (o.bus !== 'memory') throw new ConfigError(`bus=${o.bus}: not part of this build yet; use memory`);
  if (o.transport !== 'inproc') throw new ConfigError(`transport=${o.transport}: not part of this build yet; use inproc`);
  if (o.role !== 'all') throw new ConfigError(`role=${o.role}: separate roles need the tcp transport and shared backends, not part of this build yet; use role=all`);
  return {
    store,
    location: new MemoryLocation(),
    seq: new MemorySeqAllocator((app, conv) => store.maxSeq(app, conv)),
    bus: new MemoryEventBus((err, event) => log.warn({ err, event: event.type }, 'event subscriber failed')),
  };
}

function defaultWebDir(): string {
  // packages/server/{src,dist}/platform → packages/web/dist
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');
}

export async function startPlatform(given: Options, extra: { clock?: Clock; log?: Logger; quiet?: boolean } = {}): Promise<RunningPlatform> {
  // Paths are made absolute once, here: static file serving requires it, and the defaults are relative (./data).
  const options: Options = {
    ...given,
    data_dir: resolve(given.data_dir),
    sqlite_path: given.sqlite_path && resolve(given.sqlite_path),
    web_dir: given.web_dir && resolve(given.web_dir),
  };
  const clock = extra.clock ?? systemClock;
  const log = extra.log ?? pino({ level: options.log_level });
  const metrics = new Metrics();
  mkdirSync(options.data_dir, { recursive: true });

  const store = chooseStore(options);
  await store.migrate();
  const backends = chooseBackends(options, store, log);

  const keys = await loadOrCreateSigningKeys(join(options.data_dir, 'keys'));
  const issuer = new TokenIssuer({ keys, ttlSec: options.token_ttl_sec, now: clock });
  const verifier = new TokenVerifier(keys.publicJwks, { now: clock });

  const transport = new InProcTransport({ onHandlerError: (err) => log.error({ err }, 'transport handler failed') });
  const core = createCore({
    backends, transport: transport.dispatchSide, tokens: issuer,
    passwords: { hash: hashPassword, verify: verifyPassword },
    options: { commitWindowMs: options.commit_window_ms, commitMaxBatch: options.commit_max_batch, maxContentBytes: options.max_content_bytes },
    clock, log, metrics,
  });

  const defaultApp = await ensureDefaultApp(core, options, log, extra.quiet === true);
  const webhooks = new WebhookSender(backends.bus, core.apps, log);
  await webhooks.start();

  let ready = true;
  const api = await buildApi({
    core, verifier, metrics, log,
    options: {
      uploadDir: join(options.data_dir, 'uploads'), uploadMaxBytes: options.upload_max_bytes,
      webDir: options.web_dir || defaultWebDir(), apiRatePerSec: options.api_rate_per_sec,
    },
    readiness: async () => ready,
  });

  const linkId = options.link_id || `link-${randomBytes(4).toString('hex')}`;
  const link = new LinkServer({
    linkId,
    transport: transport.linkSide(linkId),
    verifier,
    maxFrameBytes: options.max_frame_bytes,
    heartbeatMs: options.heartbeat_ms,
    authTimeoutMs: options.auth_timeout_ms,
    rateLimit: { perSec: options.rate_per_sec, burst: options.rate_burst },
    maxSendBufferBytes: options.send_buffer_bytes,
    logger: log,
    metrics,
  });
  link.attachWebSocket(api.server, '/ws');
  await api.listen({ host: options.host, port: options.http_port });
  const tcpPort = await link.listenTcp(options.tcp_port, options.host);
  const addr = api.server.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : options.http_port;
  const httpUrl = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${httpPort}`;
  log.info({ http: httpUrl, tcp: tcpPort, data_dir: options.data_dir }, 'parley started');

  let stopped = false;
  return {
    options, core, api, link, log, metrics, httpUrl, wsUrl: `${httpUrl.replace('http', 'ws')}/ws`, tcpPort, defaultApp,
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      // Order matters: stop taking frames, let acks of what was accepted go out, then close sockets and the store.
      await core.dispatcher.drain();
      await core.committer.flush();
      await link.close();
      await api.close();
      await transport.dispatchSide.close();
      await webhooks.stop();
      await backends.bus.close();
      await backends.location.close();
      await backends.seq.close();
      await store.close();
    },
  };
}

/** On the very first start, create the default app and show its key once. */
async function ensureDefaultApp(core: Core, options: Options, log: Logger, quiet: boolean) {
  if ((await core.apps.list()).length > 0) return undefined;
  const { app, api_key } = await core.apps.create('default', 'Default app');
  const file = join(options.data_dir, 'default-app.json');
  writeFileSync(file, JSON.stringify({ app_id: app.app_id, api_key, created_at: app.created_at }, null, 2) + '\n', { mode: 0o600 });
  if (!quiet) {
    process.stdout.write(
      `\nParley created the default app on first start.\n  app id:  ${app.app_id}\n  API key: ${api_key}\n` +
      `The key is shown once; it is also stored in ${file} (mode 600).\n\n`,
    );
  }
  log.info({ app_id: app.app_id, file, exists: existsSync(file) }, 'default app created');
  return { app_id: app.app_id, api_key, file };
}
