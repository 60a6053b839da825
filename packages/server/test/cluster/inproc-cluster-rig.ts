import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { ParleyClient, tcpConnection } from '@parley/sdk/node';
import type { Platform } from '@parley/protocol';
import { buildApi } from '../../src/api/api-server.js';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { MemoryControlHub } from '../../src/control/memory-control.js';
import { createCore, type Backends, type Core } from '../../src/core.js';
import { LinkServer } from '../../src/link/link-server.js';
import { Metrics } from '../../src/metrics.js';
import { closeBackends, createBackends } from '../../src/platform.js';
import { StoreError, type Store } from '../../src/store/store.js';
import { InProcTransport } from '../../src/transport/inproc-transport.js';
import type { DispatchSide, LinkSide, Upstream } from '../../src/transport/transport.js';
import { cleanupTestEngines, prepareTestEngines, testOptions } from '../helpers/backends.js';

/**
 * The in-process cluster (issue 7's proof): 2 links × 2 dispatchers × 1 api
 * in ONE process, as separate "processes" would be wired — one transport
 * with several dispatch and link sides, the backends built once by the
 * composition root and shared (one store, location, seq allocator, bus), and
 * one control hub with an instance per process. Clients are the real SDK,
 * over WebSocket (link L1) and TCP (link L2). The backends are the test
 * run's (helpers/backends.ts): memory by default, Redis location and seq with
 * PARLEY_TEST_LOCATION=redis PARLEY_TEST_SEQ=redis (under a random key prefix).
 */
export interface DispatchNode {
  name: string;
  core: Core;
  side: DispatchSide;
  /** every upstream message this dispatcher received, in order */
  seen: Upstream[];
  /** link ids of the heartbeats it received */
  beats: string[];
  /** false once it left or crashed */
  alive: boolean;
  /** leave the cluster gracefully (Dispatcher.leave) */
  leave(): Promise<void>;
  /** die at once, as a killed process would: its store calls fail from now on and its transport side is gone */
  crash(): Promise<void>;
  /** hold its message commits (a slow store) until `release`; `entered` counts the batches held */
  holdCommits(): { entered(): number; release(): void };
}

export interface LinkNode {
  id: string;
  server: LinkServer;
  side: LinkSide;
  http: HttpServer;
  wsUrl: string;
  tcpPort: number;
}

export interface Cluster {
  backends: Backends;
  transport: InProcTransport;
  dispatchers: DispatchNode[];
  links: LinkNode[];
  api: FastifyInstance;
  apiCore: Core;
  appId: string;
  /** every link id Location.heartbeat was called with, in order */
  heartbeats: string[];
  admin<T = any>(method: string, url: string, body?: unknown): Promise<T>;
  users(...ids: string[]): Promise<Record<string, string>>;
  /** an SDK client on a link (L1 WebSocket, L2 TCP), connected unless `connect` is false (attach listeners first) */
  client(link: LinkNode, token: string, platform?: Platform, connect?: boolean): Promise<ParleyClient>;
  /** start one more dispatcher "process" on the shared backends */
  addDispatcher(name: string): DispatchNode;
  /** the dispatcher a connection's session is bound to now (its last `open`) */
  dispatcherOf(connId: string): DispatchNode | undefined;
  close(): Promise<void>;
}

const CORE_OPTIONS = { commitWindowMs: 1, commitMaxBatch: 64, maxContentBytes: 16384 };

export async function startCluster(opts: { commitDeadlineMs?: number } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-inproc-cluster-'));
  const log = pino({ level: 'silent' });
  const clock = () => Date.now();
  const options = testOptions({ data_dir: dir });
  await prepareTestEngines(options);
  if (options.store === 'sqlite') options.sqlite_path = ':memory:';
  const shared = await createBackends(options, { clock, log });
  const heartbeats: string[] = [];
  const beat = shared.location.heartbeat.bind(shared.location);
  shared.location.heartbeat = async (linkId) => {
    heartbeats.push(linkId);
    return beat(linkId);
  };
  const hub = new MemoryControlHub();
  const keys = await loadOrCreateSigningKeys(join(dir, 'keys'));
  const tokens = new TokenIssuer({ keys, ttlSec: 3600, now: clock });
  const verifier = new TokenVerifier(keys.publicJwks, { now: clock });
  // Heartbeats only on demand (heartbeatNow), so no test waits on a timer.
  const transport = new InProcTransport({ linkHeartbeatMs: 0 });
  const coreOn = (side: DispatchSide, store = shared.store) => createCore({
    backends: { ...shared, store, control: hub.instance() },
    transport: side, tokens, passwords: { hash: hashPassword, verify: verifyPassword },
    options: { ...CORE_OPTIONS, ...opts }, clock, log,
  });

  const dispatchers: DispatchNode[] = [];
  /** every session open in arrival order, with the dispatcher it reached */
  const opens: { connId: string; node: DispatchNode }[] = [];
  const addDispatcher = (name: string, side: DispatchSide = transport.addDispatchSide()): DispatchNode => {
    const store = crashable(shared.store);
    const node: DispatchNode = {
      name, side, seen: [], beats: [], core: coreOn(side, store.store), alive: true,
      async leave() {
        node.alive = false;
        await node.core.dispatcher.leave();
      },
      async crash() {
        node.alive = false;
        store.crash();
        await side.close();
      },
      holdCommits: () => store.holdCommits(),
    };
    side.onLinkHeartbeat((l) => node.beats.push(l));
    side.onUp((m) => {
      node.seen.push(m);
      if (m.kind === 'open') opens.push({ connId: m.session.conn_id, node });
    });
    dispatchers.push(node);
    return node;
  };
  addDispatcher('D1', transport.dispatchSide);
  addDispatcher('D2');

  // The api process pushes (API sends, kicks) but holds no sessions.
  const apiCore = coreOn(transport.addDispatchSide({ takesSessions: false }));
  const { app: appRow, api_key } = await apiCore.apps.create('acme', 'Acme');
  const api = await buildApi({
    core: apiCore, verifier, metrics: new Metrics({ defaultMetrics: false }), log,
    options: { uploadDir: join(dir, 'uploads'), uploadMaxBytes: 64 * 1024, apiRatePerSec: 100_000 },
    readiness: async () => true,
  });

  const links: LinkNode[] = [];
  for (const id of ['L1', 'L2']) {
    const side = transport.linkSide(id);
    const server = new LinkServer({
      transport: side, verifier, rateLimit: { perSec: 10_000, burst: 10_000 }, logger: log, commitDeadlineMs: opts.commitDeadlineMs,
    });
    const http = createServer();
    server.attachWebSocket(http, '/ws');
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const tcpPort = await server.listenTcp(0, '127.0.0.1');
    links.push({ id, server, side, http, wsUrl: `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws`, tcpPort });
  }

  const admin: Cluster['admin'] = async (method, url, body) => {
    const res = await api.inject({ method: method as any, url, headers: { authorization: `Bearer ${api_key}` }, payload: body as any });
    if (res.statusCode >= 400) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
    return res.body ? JSON.parse(res.body) : undefined;
  };
  const clients: ParleyClient[] = [];

  return {
    backends: shared, transport, dispatchers, links, api, apiCore, appId: appRow.app_id, heartbeats, admin,
    addDispatcher: (name) => addDispatcher(name),
    async users(...ids) {
      const out: Record<string, string> = {};
      for (const id of ids) {
        await admin('POST', '/v1/admin/users', { user_id: id, name: id });
        out[id] = (await admin('POST', `/v1/admin/users/${id}/tokens`, {})).token;
      }
      return out;
    },
    async client(link, token, platform = 'web', connect = true) {
      const reconnect = { minMs: 50, maxMs: 500, factor: 2, jitter: 0 };
      const c = link.id === 'L1'
        ? new ParleyClient({ url: link.wsUrl, token, platform, reconnect, requestTimeoutMs: 30_000 })
        : new ParleyClient({ url: '', connect: tcpConnection('127.0.0.1', link.tcpPort), token, platform, reconnect, requestTimeoutMs: 30_000 });
      clients.push(c);
      if (connect) await c.connect();
      return c;
    },
    dispatcherOf(connId) {
      return [...opens].reverse().find((o) => o.connId === connId)?.node;
    },
    async close() {
      for (const c of clients) await c.close().catch(() => {});
      for (const l of links) {
        await l.server.close();
        l.http.closeAllConnections();
        await new Promise((r) => l.http.close(r));
        await l.side.close();
      }
      await api.close();
      for (const core of [...dispatchers.map((d) => d.core), apiCore]) {
        await core.dispatcher.drain();
        await core.committer.flush();
        await core.publisher.flush();
        await core.outbox.close();
        core.plane.close();
        await core.backends.control.close();
      }
      for (const d of dispatchers) await d.side.close();
      await closeBackends(shared);
      await cleanupTestEngines(options);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One dispatcher's handle on the shared store that can "die": after `crash()`
 * every call fails as `unavailable` (a killed process writes nothing more);
 * calls made before it complete as usual.
 */
function crashable(store: Store): { store: Store; crash(): void; holdCommits(): { entered(): number; release(): void } } {
  let crashed = false;
  let gate: Promise<void> | undefined;
  let entered = 0;
  const proxy = new Proxy(store, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const call = (...args: unknown[]) => {
        if (crashed) return Promise.reject(new StoreError('unavailable', 'this process was killed'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
      if (prop !== 'commitMessages' || !gate) return call;
      const held = gate;
      return async (...args: unknown[]) => {
        entered++;
        await held;
        return call(...args);
      };
    },
  });
  return {
    store: proxy,
    crash: () => void (crashed = true),
    holdCommits() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      entered = 0;
      return { entered: () => entered, release: () => { gate = undefined; release(); } };
    },
  };
}

/** Poll until `pred` holds (never a fixed sleep); a generous bound for a loaded machine. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
