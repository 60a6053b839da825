import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/api/api-server.js';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { createCore, type Core } from '../../src/core.js';
import { Metrics } from '../../src/metrics.js';
import { closeBackends, createBackends } from '../../src/platform.js';
import type { AppSettings } from '../../src/store/store.js';
import { cleanupTestEngines, prepareTestEngines, testOptions } from '../helpers/backends.js';
import { InProcTransport } from '../../src/transport/inproc-transport.js';
import type { Downstream } from '../../src/transport/transport.js';
import type { Platform } from '@parley/protocol';

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
  text: string;
}

export interface ApiHarness {
  app: FastifyInstance;
  core: Core;
  appId: string;
  apiKey: string;
  metrics: Metrics;
  dir: string;
  /** frames the dispatcher sent to the fake link `L` (pushes to registered fake connections) */
  downs: Downstream[];
  /** move the platform clock (recall windows, mutes, token iat) */
  advance(ms: number): void;
  now(): number;
  setReady(v: boolean): void;
  /** any request; JSON body by default */
  req<T = any>(method: string, url: string, opts?: { token?: string; apiKey?: string; body?: unknown; headers?: Record<string, string>; payload?: InjectOptions['payload'] }): Promise<Res<T>>;
  /** admin call with this app's key; throws on an error status */
  admin<T = any>(method: string, url: string, body?: unknown): Promise<T>;
  /** client call with a user token; returns the response (status included) */
  as<T = any>(token: string, method: string, url: string, body?: unknown): Promise<Res<T>>;
  /** create users (name = id) and issue a token each */
  users(...ids: string[]): Promise<Record<string, string>>;
  /** register a fake live connection so presence, kicks and pushes have a target */
  connect(userId: string, platform?: Platform): Promise<string>;
  createApp(appId: string, settings?: Partial<AppSettings>): Promise<string>;
  close(): Promise<void>;
}

let connSeq = 0;

/**
 * The api role over the test run's backends (helpers/backends.ts; by default
 * an in-memory SQLite store and the in-process backends), built by the
 * composition root's switch, with the clock under test control.
 */
export async function startApi(opts: Partial<ApiOptions> & { settings?: Partial<AppSettings> } = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-api-'));
  let offset = 0;
  const clock = () => Date.now() + offset;
  const log = pino({ level: 'silent' });
  const metrics = new Metrics({ defaultMetrics: false });
  const options = testOptions({ data_dir: dir });
  await prepareTestEngines(options);
  // SQLite in memory: the fastest store, and nothing to clean up.
  if (options.store === 'sqlite') options.sqlite_path = ':memory:';
  const backends = await createBackends(options, { clock, log });
  const keys = await loadOrCreateSigningKeys(join(dir, 'keys'));
  const issuer = new TokenIssuer({ keys, ttlSec: 3600, now: clock });
  const verifier = new TokenVerifier(keys.publicJwks, { now: clock });
  const transport = new InProcTransport();
  const downs: Downstream[] = [];
  const link = transport.linkSide('L');
  link.onDown((m) => downs.push(m));
  const core = createCore({
    backends,
    transport: transport.dispatchSide,
    tokens: issuer,
    passwords: { hash: hashPassword, verify: verifyPassword },
    options: { commitWindowMs: 0, commitMaxBatch: 64, maxContentBytes: 16384 },
    clock, log, metrics,
  });
  const { app: appRow, api_key } = await core.apps.create('acme', 'Acme', { allow_registration: true, ...opts.settings });
  let ready = true;
  const app = await buildApi({
    core, verifier, metrics, log,
    options: { uploadDir: join(dir, 'uploads'), uploadMaxBytes: 64 * 1024, apiRatePerSec: 10_000, ...opts },
    readiness: async () => ready,
  });

  const req: ApiHarness['req'] = async (method, url, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.apiKey) headers['x-api-key'] = o.apiKey;
    const res = await app.inject({ method: method as any, url, headers, payload: o.payload ?? (o.body as any) });
    let body: any;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body, headers: res.headers, text: res.body };
  };
  const admin: ApiHarness['admin'] = async (method, url, body) => {
    const r = await req(method, url, { apiKey: api_key, body });
    if (r.status >= 400) throw new Error(`${method} ${url} → ${r.status} ${r.text}`);
    return r.body;
  };

  return {
    app, core, appId: appRow.app_id, apiKey: api_key, metrics, dir, downs,
    advance: (ms) => void (offset += ms),
    now: clock,
    setReady: (v) => void (ready = v),
    req, admin,
    as: (token, method, url, body) => req(method, url, { token, body }),
    async users(...ids) {
      const out: Record<string, string> = {};
      for (const id of ids) {
        await admin('POST', '/v1/admin/users', { user_id: id, name: id });
        out[id] = (await admin('POST', `/v1/admin/users/${id}/tokens`, {})).token;
      }
      return out;
    },
    async connect(userId, platform = 'ios') {
      const conn_id = `c${++connSeq}`;
      await core.backends.location.register({ app_id: appRow.app_id, user_id: userId, conn_id, link_id: 'L', platform, connected_at: clock() }, 'unlimited');
      return conn_id;
    },
    async createApp(appId, settings) {
      return (await core.apps.create(appId, appId, settings)).api_key;
    },
    async close() {
      await app.close();
      await core.committer.flush();
      await core.publisher.flush();
      await core.outbox.close();
      await link.close();
      await transport.dispatchSide.close();
      await closeBackends(backends);
      await cleanupTestEngines(options);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Let queued in-process deliveries (pushes through the transport) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Pushes of one kind addressed to a connection. */
export function pushesTo(downs: Downstream[], connId: string): any[] {
  return downs
    .filter((d) => (d.kind === 'push' && d.conn_ids.includes(connId)) || ((d.kind === 'send' || d.kind === 'kick') && d.conn_id === connId))
    .map((d) => JSON.parse(d.payload));
}
