import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { pino } from 'pino';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { MemoryControlHub, type MemoryControl } from '../../src/control/memory-control.js';
import { createCore, type Core } from '../../src/core.js';
import { closeBackends, createBackends } from '../../src/platform.js';
import type { Store } from '../../src/store/store.js';
import { cleanupTestEngines, prepareTestEngines, testOptions } from '../helpers/backends.js';
import { InProcTransport } from '../../src/transport/inproc-transport.js';
import type { Downstream, LinkSide, SessionInfo } from '../../src/transport/transport.js';

/** One "process": a core with its own control instance, transport and link. */
export interface Node {
  core: Core;
  control: MemoryControl;
  link: LinkSide;
  /** everything the node's dispatcher sent down to its link */
  downs: Downstream[];
}

export interface TwoCores {
  a: Node;
  b: Node;
  store: Store;
  appId: string;
  /** the token issuer both cores share, and the public keys to verify its tokens */
  tokens: TokenIssuer;
  publicJwks: JWK[];
  now(): number;
  /** open a session on a node's dispatcher, as its link would after verifying the token */
  open(node: Node, userId: string, opts?: { connId?: string; tokenIat?: number }): SessionInfo;
  close(): Promise<void>;
}

/**
 * Two cores (two dispatch/api processes) on ONE store, location, seq
 * allocator and bus — built once by the composition root (createBackends,
 * the test run's backends) — each with its own instance of ONE control hub:
 * the in-process stand-in for two processes on shared engines.
 */
export async function startTwoCores(): Promise<TwoCores> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  const clock = () => Date.now();
  const options = testOptions({ data_dir: dir });
  await prepareTestEngines(options);
  if (options.store === 'sqlite') options.sqlite_path = ':memory:';
  const shared = await createBackends(options, { clock });
  const { store } = shared;
  const keys = await loadOrCreateSigningKeys(join(dir, 'keys'));
  const tokens = new TokenIssuer({ keys, ttlSec: 3600, now: clock });
  // One "network" for the control plane, an instance per process (the shared backends' own control stays unused).
  const hub = new MemoryControlHub();
  const log = pino({ level: 'silent' });
  const transports: InProcTransport[] = [];

  const node = (name: string): Node => {
    const control = hub.instance();
    const transport = new InProcTransport();
    transports.push(transport);
    const link = transport.linkSide(`L${name}`);
    const downs: Downstream[] = [];
    link.onDown((m) => downs.push(m));
    const core = createCore({
      backends: { ...shared, control },
      transport: transport.dispatchSide, tokens,
      passwords: { hash: hashPassword, verify: verifyPassword },
      options: { commitWindowMs: 0, commitMaxBatch: 64, maxContentBytes: 16384 },
      clock, log,
    });
    return { core, control, link, downs };
  };
  const a = node('A');
  const b = node('B');
  const { app } = await a.core.apps.create('acme', 'Acme');
  let conns = 0;
  return {
    a, b, store, appId: app.app_id, tokens, publicJwks: keys.publicJwks, now: clock,
    open(n, userId, opts = {}) {
      const session: SessionInfo = {
        app_id: app.app_id, user_id: userId, conn_id: opts.connId ?? `c${++conns}`, link_id: n.link.linkId,
        platform: 'web', token_iat: opts.tokenIat ?? clock(), connected_at: clock(),
      };
      n.link.up({ kind: 'open', session });
      return session;
    },
    async close() {
      for (const n of [a, b]) {
        await n.core.dispatcher.drain();
        await n.core.committer.flush();
        await n.core.publisher.flush();
        await n.core.outbox.close();
        await n.link.close();
        await n.control.close();
      }
      for (const t of transports) await t.dispatchSide.close();
      for (const n of [a, b]) n.core.plane.close();
      await closeBackends(shared);
      await cleanupTestEngines(options);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll a condition (never a fixed sleep): generous bound for a loaded machine. */
export async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with the error code an operation fails with, or 'ok'. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

export function payloadsTo(downs: Downstream[], connId: string): any[] {
  return downs
    .filter((d) => (d.kind === 'push' && d.conn_ids.includes(connId)) || ((d.kind === 'send' || d.kind === 'kick') && d.conn_id === connId))
    .map((d) => ({ kind: d.kind, ...JSON.parse(d.payload) }));
}
