import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { listOption, type Options } from './config/options.js';
import { ConfigError } from './config/load-options.js';
import { createCore, type Backends, type Core } from './core.js';
import { Metrics } from './metrics.js';
import { systemClock, type Clock } from './services/clock.js';
import { MemoryEventBus } from './bus/memory-event-bus.js';
import { NatsEventBus } from './bus/nats-event-bus.js';
import type { EventBus } from './bus/event-bus.js';
import type { Location } from './location/location.js';
import { RedisLocation } from './location/redis-location.js';
import type { SeqAllocator, SeqReserve } from './seq/seq-allocator.js';
import { RedisSeqAllocator } from './seq/redis-seq-allocator.js';
import { openRedis } from './redis/redis-client.js';
import { MemoryControl } from './control/memory-control.js';
import type { Control } from './control/control.js';
import { RedisControl } from './control/redis-control.js';
import { MemoryLocation } from './location/memory-location.js';
import { MemorySeqAllocator } from './seq/memory-seq-allocator.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { MysqlStore } from './store/mysql/mysql-store.js';
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
import { checkBeforeStart } from './startup/start-checks.js';
import { acquireDataDirLock, makeDataDir } from './startup/data-dir-lock.js';
import { listenOps, newListenerSecret } from './api/ops-access.js';
import { checkDataDir, checkPort } from './startup/start-checks.js';
import type { Registry } from './registry/registry.js';
import { MemoryRegistry, MemoryRegistryHub } from './registry/memory-registry.js';
import { RedisRegistry } from './registry/redis-registry.js';
import type { RunningRole } from './roles/running-role.js';
import { startLinkRole } from './roles/start-link.js';
import { startDispatchRole } from './roles/start-dispatch.js';
import { startApiRole } from './roles/start-api.js';

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
  /** the ops listener serving /metrics and /docs, when ops_port ≥ 0 */
  opsUrl?: string;
  /** the UDP port, when `udp_port` is not -1 */
  udpPort?: number;
  /** first start only: the default app's credentials */
  defaultApp?: { app_id: string; api_key: string; file: string };
  stop(): Promise<void>;
}

/**
 * Only this module picks the backends (STYLE habit 4): each switch is
 * exhaustive and fails fast on a kind this build cannot run. The server, the
 * `parley app` command and the test suites all choose through
 * `createBackends`, so a suite run with PARLEY_TEST_STORE=mysql
 * (test/helpers/backends.ts) exercises the same wiring as production.
 */
export interface BackendExtras {
  /** the store's clock (tests move it) */
  clock?: Clock;
  log?: Logger;
}

function chooseStore(o: Options, extra: BackendExtras = {}): Store {
  switch (o.store) {
    case 'sqlite':
      return new SqliteStore({
        path: o.sqlite_path || join(o.data_dir, 'parley.db'), commitOnWorker: o.sqlite_commit === 'worker', ...(extra.clock && { now: extra.clock }),
      });
    case 'mysql':
      if (!o.mysql_primary) throw new ConfigError('store=mysql needs --mysql-primary mysql://user:pass@host:port/db');
      return new MysqlStore({
        primaryUrl: o.mysql_primary, replicaUrls: listOption(o.mysql_replica), poolSize: o.mysql_pool_size,
        replica: { maxLagMs: o.mysql_replica_max_lag_ms },
      });
  }
}

async function chooseBackends(o: Options, store: Store, log: Logger): Promise<Backends> {
  // Engines connect as they are chosen: one that fails closes those already open.
  const opened: Array<{ close(): Promise<void> }> = [];
  const open = async <T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> => {
    const b = await p;
    opened.push(b);
    return b;
  };
  try {
    const location = await open(chooseLocation(o));
    const seq = await open(chooseSeq(o, store));
    const bus = await open(chooseBus(o, log));
    const control = await open(chooseControl(o, log));
    return { store, location, seq, bus, control };
  } catch (err) {
    for (const b of opened.reverse()) await b.close().catch(() => {});
    throw err;
  }
}

/** location, seq, bus and control: the embedded default or the engine (cluster issue), each switch exhaustive. */
async function chooseLocation(o: Options): Promise<Location> {
  switch (o.location) {
    case 'memory':
      return new MemoryLocation();
    case 'redis':
      return new RedisLocation(await openRedis(o.redis_url), { prefix: o.redis_prefix, closeClient: true });
  }
}

async function chooseSeq(o: Options, store: Store): Promise<SeqAllocator> {
  const reserve: SeqReserve = (app, conv, size) => store.reserveSeqBlock(app, conv, size);
  switch (o.seq) {
    case 'memory':
      return new MemorySeqAllocator(reserve, { release: (blocks) => store.releaseSeqBlocks(blocks) });
    case 'redis':
      return new RedisSeqAllocator(await openRedis(o.redis_url), reserve, { prefix: o.redis_prefix, closeClient: true });
  }
}

async function chooseBus(o: Options, log: Logger): Promise<EventBus> {
  switch (o.bus) {
    case 'memory':
      return new MemoryEventBus((err, event) => log.warn({ err, event: event.type }, 'event subscriber failed'));
    case 'nats':
      return NatsEventBus.connect(o.nats_url, {
        stream: o.nats_stream, subjectPrefix: o.nats_subject_prefix,
        onHandlerError: (err, event, final) => log.warn({ err, event: event?.type, final }, 'event subscriber failed'),
      });
  }
}

async function chooseControl(o: Options, log: Logger): Promise<Control> {
  switch (o.control) {
    case 'memory':
      return new MemoryControl();
    case 'redis':
      return RedisControl.start(await openRedis(o.redis_url), {
        prefix: o.redis_prefix, closeClient: true,
        onHandlerError: (err, msg) => log.warn({ err, type: msg.type }, 'control handler failed'),
      });
  }
}

/** The configured store, migrated (its data directory created when it has one). */
export async function createStore(o: Options, extra: BackendExtras = {}): Promise<Store> {
  mkdirSync(o.data_dir, { recursive: true });
  const store = chooseStore(o, extra);
  await store.migrate();
  return store;
}

/** Every backend the options name, the store migrated; the caller closes them (closeBackends). */
export async function createBackends(o: Options, extra: BackendExtras = {}): Promise<Backends> {
  const log = extra.log ?? pino({ enabled: false });
  const store = await createStore(o, extra);
  try {
    return await chooseBackends(o, store, log);
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** Close what createBackends opened, the store last. */
export async function closeBackends(b: Backends): Promise<void> {
  await b.bus.close();
  await b.location.close();
  await b.seq.close();
  await b.control.close();
  await b.store.close();
}

/** role=all is one process on the in-process transport; separate roles (startRole) check their own needs. */
function checkTopology(o: Options): void {
  if (o.role !== 'all') throw new ConfigError(`role=${o.role}: start separate roles with startRole (parley start --role ${o.role})`);
  if (o.transport !== 'inproc') throw new ConfigError(`transport=${o.transport} with role=all: the roles of one process talk in-process; use --transport tcp with --role link|dispatch|api`);
}

/** What separate roles need: every process shares the engines, so none of them may be process-local. */
function checkRoleTopology(o: Options): void {
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new ConfigError(`role=${o.role}: ${what}`);
  };
  need(o.transport !== 'inproc', 'separate roles talk over TCP (or NATS, the v1 comparison); add --transport tcp');
  need(o.registry === 'redis', 'separate roles find each other in the registry; add --registry redis');
  if (o.role === 'link') return;
  need(o.store === 'mysql', 'dispatch and api processes share one store and SQLite cannot be shared between processes; use --store mysql --mysql-primary mysql://…');
  need(o.location === 'redis', 'the location must be shared by every dispatcher and api; add --location redis');
  need(o.seq === 'redis', 'sequence numbers must be shared by every dispatcher and api; add --seq redis');
  need(o.control === 'redis', 'cache invalidations must reach every process; add --control redis');
  need(o.bus === 'nats', 'events (webhooks, presence) must reach every process; add --bus nats');
}

/** The service registry the options name (exhaustive); its close also closes its connection. */
export async function createRegistry(o: Options, log: Logger): Promise<Registry> {
  switch (o.registry) {
    case 'memory':
      return new MemoryRegistry(new MemoryRegistryHub());
    case 'redis': {
      const redis = await openRedis(o.redis_url);
      const registry = new RedisRegistry(redis, { prefix: o.redis_prefix, onError: (err) => log.warn({ err }, 'registry heartbeat or watch failed') });
      const close = registry.close.bind(registry);
      registry.close = async () => {
        await close();
        redis.disconnect();
      };
      return registry;
    }
  }
}

/**
 * `parley start --role link|dispatch|api`: one role in this process, on
 * shared engines, over the TCP transport. A link opens no store (it needs
 * only the registry and the public keys); dispatch and api open every
 * backend. Each role's module (roles/start-*.ts) wires the rest.
 */
export async function startRole(given: Options, extra: { log?: Logger } = {}): Promise<RunningRole & { defaultApp?: { app_id: string; api_key: string; file: string } }> {
  const o: Options = { ...given, data_dir: resolve(given.data_dir), web_dir: given.web_dir && resolve(given.web_dir) };
  if (o.role === 'all') throw new ConfigError('role=all runs in one process: use startPlatform');
  checkRoleTopology(o);
  const log = (extra.log ?? pino({ level: o.log_level })).child({ role: o.role });
  const metrics = new Metrics();
  checkDataDir(o.data_dir);
  if (o.role !== 'dispatch') await checkPort(o.host, o.http_port, '--http-port');
  if (o.role === 'link') await checkPort(o.host, o.tcp_port, '--tcp-port');
  else await checkPort(o.dispatch_host, o.dispatch_port, '--dispatch-port');
  mkdirSync(o.data_dir, { recursive: true });
  const registry = await createRegistry(o, log);
  try {
    switch (o.role) {
      case 'link':
        return await startLinkRole(o, { registry, log, metrics });
      case 'dispatch':
      case 'api': {
        const backends = await createBackends(o, { log });
        try {
          const shared = { backends, registry, log, metrics, closeBackends: () => closeBackends(backends) };
          if (o.role === 'dispatch') return await startDispatchRole(o, shared);
          return await startApiRole(o, { ...shared, webDir: o.web_dir || defaultWebDir(), ensureDefaultApp: (core) => ensureDefaultApp(core, o, log) });
        } catch (err) {
          await closeBackends(backends).catch(() => {});
          throw err;
        }
      }
    }
  } catch (err) {
    await registry.close().catch(() => {});
    throw err;
  }
}

/** How often the link heartbeats to dispatch (which refreshes its location entries). */
const LINK_HEARTBEAT_MS = 5000;

function defaultWebDir(): string {
  // packages/server/{src,dist}/platform → packages/web/dist
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');
}

export async function startPlatform(given: Options, extra: { clock?: Clock; log?: Logger; /** accepted for callers; the platform itself prints nothing (the CLI prints the banner) */ quiet?: boolean } = {}): Promise<RunningPlatform> {
  // Paths are made absolute once, here: static file serving requires it, and the defaults are relative (./data).
  const options: Options = {
    ...given,
    data_dir: resolve(given.data_dir),
    sqlite_path: given.sqlite_path && given.sqlite_path !== ':memory:' ? resolve(given.sqlite_path) : given.sqlite_path,
    web_dir: given.web_dir && resolve(given.web_dir),
  };
  const clock = extra.clock ?? systemClock;
  const log = extra.log ?? pino({ level: options.log_level });
  const metrics = new Metrics();
  // Nothing is created before these pass; then the data dir is ours until the process ends (store=mysql keeps no per-message state there).
  await checkBeforeStart(options);
  checkTopology(options);
  const dataDir = makeDataDir(options.data_dir);
  const lock = options.store === 'sqlite' ? acquireDataDirLock(options.data_dir) : undefined;
  let backends: Backends;
  try {
    backends = await createBackends(options, { clock, log });
  } catch (err) {
    lock?.release();
    dataDir.undo();
    throw err;
  }

  const keys = await loadOrCreateSigningKeys(options.keys_dir ? resolve(options.keys_dir) : join(options.data_dir, 'keys'));
  const issuer = new TokenIssuer({ keys, ttlSec: options.token_ttl_sec, now: clock });
  const verifier = new TokenVerifier(keys.publicJwks, { now: clock });

  const transport = new InProcTransport({ onHandlerError: (err) => log.error({ err }, 'transport handler failed'), linkHeartbeatMs: LINK_HEARTBEAT_MS });
  const core = createCore({
    backends, transport: transport.dispatchSide, tokens: issuer,
    passwords: { hash: hashPassword, verify: verifyPassword },
    options: {
      commitWindowMs: options.commit_window_ms, commitMaxBatch: options.commit_max_batch, commitDeadlineMs: options.commit_deadline_ms,
      maxContentBytes: options.max_content_bytes,
    },
    clock, log, metrics,
  });

  const defaultApp = await ensureDefaultApp(core, options, log);
  const webhooks = new WebhookSender(backends.bus, core.apps, log);
  await webhooks.start();
  // Events a previous life committed but never published (killed after the ack) go out now, then every few seconds.
  core.outbox.start();

  let ready = true;
  const opsSecret = options.ops_port >= 0 ? newListenerSecret() : undefined;
  const api = await buildApi({
    core, verifier, metrics, log,
    options: {
      uploadDir: join(options.data_dir, 'uploads'), uploadMaxBytes: options.upload_max_bytes,
      webDir: options.web_dir || defaultWebDir(), apiRatePerSec: options.api_rate_per_sec,
      opsAccess: { token: options.ops_token, ...(opsSecret ? { listenerSecret: opsSecret } : {}) },
    },
    readiness: async () => ready,
  });

  const linkId = options.link_id || `link-${randomBytes(4).toString('hex')}`;
  const linkSide = transport.linkSide(linkId);
  const link = new LinkServer({
    linkId,
    transport: linkSide,
    verifier,
    maxFrameBytes: options.max_frame_bytes,
    heartbeatMs: options.heartbeat_ms,
    commitDeadlineMs: options.commit_deadline_ms,
    authTimeoutMs: options.auth_timeout_ms,
    rateLimit: { perSec: options.rate_per_sec, burst: options.rate_burst },
    maxSendBufferBytes: options.send_buffer_bytes,
    logger: log,
    metrics,
  });
  link.attachWebSocket(api.server, '/ws');
  await api.listen({ host: options.host, port: options.http_port });
  const tcpPort = await link.listenTcp(options.tcp_port, options.host);
  const ops = opsSecret ? await listenOps(api, opsSecret, options.ops_host, options.ops_port) : undefined;
  const udpPort = options.udp_port >= 0 ? await link.listenUdp(options.udp_port, options.host) : undefined;
  const addr = api.server.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : options.http_port;
  const httpUrl = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${httpPort}`;
  log.info({ http: httpUrl, tcp: tcpPort, udp: udpPort, data_dir: options.data_dir }, 'parley started');

  let stopped = false;
  return {
    options, core, api, link, log, metrics, httpUrl, wsUrl: `${httpUrl.replace('http', 'ws')}/ws`, tcpPort, defaultApp,
    ...(ops ? { opsUrl: `http://${options.ops_host}:${ops.port}` } : {}),
    ...(udpPort !== undefined && { udpPort }),
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      // Order matters: stop taking frames, let acks of what was accepted go out, then close sockets and the store.
      await core.dispatcher.drain();
      await core.committer.flush();
      await core.publisher.flush();
      await core.outbox.close();
      await link.close();
      if (ops) await new Promise((r) => (ops.server.close(r), ops.server.closeAllConnections()));
      await api.close();
      await linkSide.close();
      await transport.dispatchSide.close();
      await webhooks.stop();
      core.plane.close();
      await closeBackends(backends);
      lock?.release();
    },
  };
}

/** On the very first start, create the default app; the CLI's banner shows its key once, after the listeners are up. */
export async function ensureDefaultApp(core: Core, options: Options, log: Logger) {
  if ((await core.apps.list()).length > 0) return undefined;
  const { app, api_key } = await core.apps.create('default', 'Default app', { allow_registration: true });
  const file = join(options.data_dir, 'default-app.json');
  writeFileSync(file, JSON.stringify({ app_id: app.app_id, api_key, created_at: app.created_at }, null, 2) + '\n', { mode: 0o600 });
  log.info({ app_id: app.app_id, file, exists: existsSync(file) }, 'default app created');
  return { app_id: app.app_id, api_key, file };
}
