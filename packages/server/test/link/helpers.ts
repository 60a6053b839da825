import { createServer, type Server as HttpServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { encodeTcpFrame, TcpFrameDecoder } from '@parley/protocol';
import { loadOrCreateSigningKeys } from '../../src/auth/keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { InProcTransport } from '../../src/transport/inproc-transport.js';
import type { Downstream, Upstream } from '../../src/transport/transport.js';
import { LinkServer, type LinkServerOptions } from '../../src/link/link-server.js';

export const WAIT_MS = 3000;

/** Reject after `ms`: every wait in these tests is bounded. */
export function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function waitUntil(pred: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Frame = any;

/**
 * A test-local dispatcher on the in-process transport: records everything
 * that comes up and answers each frame with `{op:'ok', id, data:{op}}`.
 */
export class FakeDispatcher {
  readonly seen: Upstream[] = [];
  constructor(private readonly t: InProcTransport) {
    t.dispatchSide.onUp((msg) => {
      this.seen.push(msg);
      if (msg.kind === 'frame' && 'id' in msg.frame && msg.frame.id !== undefined) {
        this.down({ kind: 'send', link_id: msg.session.link_id, conn_id: msg.session.conn_id, payload: JSON.stringify({ op: 'ok', id: msg.frame.id, data: { op: msg.frame.op } }) });
      }
    });
  }
  down(msg: Downstream): void {
    this.t.dispatchSide.down(msg);
  }
  of(kind: Upstream['kind']): Upstream[] {
    return this.seen.filter((m) => m.kind === kind);
  }
}

/** One client, over either wire, with a queue of received frames. */
export interface TestClient {
  readonly kind: 'ws' | 'tcp';
  send(frame: unknown): void;
  sendRaw(data: string | Uint8Array): void;
  next(what?: string, ms?: number): Promise<Frame>;
  /** frames received and not yet taken by next() */
  readonly queued: Frame[];
  /** resolves on close with the WebSocket close code (TCP: undefined) */
  readonly closed: Promise<number | undefined>;
  isClosed(): boolean;
  end(): void;
}

class Queue {
  readonly items: Frame[] = [];
  private waiters: ((f: Frame) => void)[] = [];
  push(f: Frame): void {
    const w = this.waiters.shift();
    if (w) w(f);
    else this.items.push(f);
  }
  next(what: string, ms: number): Promise<Frame> {
    if (this.items.length) return Promise.resolve(this.items.shift());
    return within(new Promise<Frame>((r) => this.waiters.push(r)), what, ms).catch((err) => {
      this.waiters.shift();
      throw err;
    });
  }
}

export async function wsClient(port: number, path = '/ws'): Promise<TestClient & { ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const q = new Queue();
  let isClosed = false;
  ws.on('message', (d) => q.push(JSON.parse(d.toString())));
  ws.on('error', () => {});
  const closed = new Promise<number | undefined>((r) => ws.on('close', (code) => { isClosed = true; r(code); }));
  await within(once(ws, 'open'), 'ws open');
  return {
    kind: 'ws', ws, closed, queued: q.items,
    send: (f) => ws.send(JSON.stringify(f)),
    sendRaw: (d) => ws.send(d, { binary: typeof d !== 'string' }),
    next: (what = 'a frame', ms = WAIT_MS) => q.next(what, ms),
    isClosed: () => isClosed,
    end: () => ws.terminate(),
  };
}

export async function tcpClient(port: number): Promise<TestClient & { socket: Socket }> {
  const socket = connect(port, '127.0.0.1');
  const q = new Queue();
  const decoder = new TcpFrameDecoder(16 * 1024 * 1024);
  let isClosed = false;
  socket.on('data', (chunk) => {
    for (const body of decoder.push(chunk)) q.push(JSON.parse(Buffer.from(body).toString('utf8')));
  });
  socket.on('error', () => {});
  const closed = new Promise<number | undefined>((r) => socket.on('close', () => { isClosed = true; r(undefined); }));
  await within(once(socket, 'connect'), 'tcp connect');
  return {
    kind: 'tcp', socket, closed, queued: q.items,
    send: (f) => socket.write(encodeTcpFrame(JSON.stringify(f))),
    sendRaw: (d) => socket.write(d),
    next: (what = 'a frame', ms = WAIT_MS) => q.next(what, ms),
    isClosed: () => isClosed,
    end: () => socket.destroy(),
  };
}

export interface Rig {
  link: LinkServer;
  transport: InProcTransport;
  dispatcher: FakeDispatcher;
  issuer: TokenIssuer;
  http: HttpServer;
  wsPort: number;
  tcpPort: number;
  connect(kind: 'ws' | 'tcp'): Promise<TestClient>;
  /** connect and authenticate; resolves with the client and its AuthOk */
  login(kind: 'ws' | 'tcp', userId?: string, extra?: Record<string, unknown>): Promise<{ c: TestClient; ok: Frame }>;
  token(userId?: string, ttlSec?: number): Promise<string>;
  close(): Promise<void>;
}

/** A link on real sockets (127.0.0.1, random ports) in front of a fake dispatcher. */
export async function startRig(opts: Partial<Omit<LinkServerOptions, 'transport' | 'verifier'>> = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-link-'));
  const keys = await loadOrCreateSigningKeys(dir);
  const issuer = new TokenIssuer({ keys, ttlSec: 3600 });
  const verifier = new TokenVerifier(keys.publicJwks);
  const transport = new InProcTransport();
  const dispatcher = new FakeDispatcher(transport);
  const link = new LinkServer({ transport: transport.linkSide('L1'), verifier, ...opts });
  const http = createServer((_, res) => res.end('http'));
  link.attachWebSocket(http, '/ws');
  http.listen(0, '127.0.0.1');
  await within(once(http, 'listening'), 'http listen');
  const wsPort = (http.address() as { port: number }).port;
  const tcpPort = await link.listenTcp(0, '127.0.0.1');
  const clients: TestClient[] = [];
  const rig: Rig = {
    link, transport, dispatcher, issuer, http, wsPort, tcpPort,
    async connect(kind) {
      const c = kind === 'ws' ? await wsClient(wsPort) : await tcpClient(tcpPort);
      clients.push(c);
      return c;
    },
    async login(kind, userId = 'alice', extra = {}) {
      const c = await rig.connect(kind);
      c.send({ op: 'auth', id: 'a1', token: await rig.token(userId), ...extra });
      const ok = await c.next('auth ok');
      if (ok.op !== 'ok') throw new Error(`auth failed: ${JSON.stringify(ok)}`);
      return { c, ok };
    },
    token: async (userId = 'alice', ttlSec?: number) => (await issuer.issue('app1', userId, ttlSec === undefined ? {} : { ttlSec })).token,
    async close() {
      for (const c of clients) c.end();
      await within(link.close(), 'link close');
      http.closeAllConnections();
      await within(new Promise((r) => http.close(r)), 'http close');
      await transport.dispatchSide.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
