import { randomBytes } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer } from 'node:net';
import { pino, type Logger } from 'pino';
import { CLOSE_CODES, ParleyError } from '@parley/protocol';
import type { Downstream, LinkSide, Upstream } from '../transport/transport.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import { tallied } from './frame-tally.js';
import type { LinkMetrics } from './link-metrics.js';
import { OutFrame } from './out-frame.js';
import { Session, type SessionHost, type SessionLimits } from './session.js';
import { listenTcpWire } from './tcp-wire.js';
import { UdpListener, type UdpListenerOptions } from './udp-listener.js';
import type { Wire } from './wire.js';
import { attachWebSocketWire } from './ws-wire.js';

/**
 * The link gateway: holds client connections (WebSocket, TCP, UDP), admits them
 * by verifying their token locally, and relays frames between them and
 * dispatch through the transport. It knows connections, frames and the
 * transport — never the store or the domain services (DESIGN §7).
 */
export interface LinkServerOptions {
  /** this link's id; defaults to the transport's, and must match it */
  linkId?: string;
  transport: LinkSide;
  verifier: Pick<TokenVerifier, 'verify'>;
  /** largest client frame, bytes (default 65536) */
  maxFrameBytes?: number;
  /** clients ping at least this often; silent for twice this closes them (default 30000) */
  heartbeatMs?: number;
  /** dispatch's commit deadline, told to clients in the auth answer (default 5000; same as dispatch's) */
  commitDeadlineMs?: number;
  /** time to authenticate after connecting (default 10000) */
  authTimeoutMs?: number;
  /** token bucket per connection (defaults 50/s, burst 100, close after 50 consecutive violations) */
  rateLimit?: { perSec?: number; burst?: number; maxViolations?: number };
  /** unflushed bytes allowed per connection before it is closed as a slow consumer (default 4 MiB) */
  maxSendBufferBytes?: number;
  /** time a closing connection gets to flush before it is destroyed (default 5000) */
  closeGraceMs?: number;
  logger?: Logger;
  metrics?: LinkMetrics;
}

export class LinkServer implements SessionHost {
  readonly linkId: string;
  readonly limits: SessionLimits;
  readonly verifier: Pick<TokenVerifier, 'verify'>;
  readonly log: Logger;
  readonly metrics: LinkMetrics | undefined;
  private readonly maxFrameBytes: number;
  private readonly transport: LinkSide;
  /** every connection, authenticated or not */
  private readonly sessions = new Set<Session>();
  /** authenticated connections by conn id: where downstream messages go */
  private readonly byConn = new Map<string, Session>();
  private readonly detachers: (() => void)[] = [];
  private readonly tcpServers: NetServer[] = [];
  private readonly udpListeners: UdpListener[] = [];
  private closing = false;

  constructor(opts: LinkServerOptions) {
    if (opts.linkId !== undefined && opts.linkId !== opts.transport.linkId) {
      throw new Error(`link id ${opts.linkId} does not match the transport's ${opts.transport.linkId}`);
    }
    this.linkId = opts.transport.linkId;
    this.transport = opts.transport;
    this.verifier = opts.verifier;
    this.log = opts.logger ?? pino({ enabled: false });
    this.metrics = opts.metrics && tallied(opts.metrics);
    this.maxFrameBytes = opts.maxFrameBytes ?? 65536;
    this.limits = {
      heartbeatMs: opts.heartbeatMs ?? 30_000,
      commitDeadlineMs: opts.commitDeadlineMs ?? 5000,
      authTimeoutMs: opts.authTimeoutMs ?? 10_000,
      ratePerSec: opts.rateLimit?.perSec ?? 50,
      rateBurst: opts.rateLimit?.burst ?? 100,
      maxViolations: opts.rateLimit?.maxViolations ?? 50,
      maxSendBufferBytes: opts.maxSendBufferBytes ?? 4 * 1024 * 1024,
      closeGraceMs: opts.closeGraceMs ?? 5000,
    };
    this.transport.onDown((msg) => this.down(msg));
    // The dispatcher of these sessions went away (or they found none): the transport binds each re-open to a live one.
    this.transport.onSessionsLost((connIds) => {
      for (const id of connIds) this.byConn.get(id)?.reopen();
    });
  }

  /** Serve WebSocket clients on `path` of an HTTP server the caller owns (and closes). */
  attachWebSocket(httpServer: HttpServer, path = '/ws'): void {
    if (this.closing) throw new Error('link is closed');
    this.detachers.push(attachWebSocketWire(httpServer, path, this.maxFrameBytes, (w) => this.accept(w), this.wireError));
  }

  /** Listen for TCP clients; resolves with the bound port (port 0 picks a free one). */
  async listenTcp(port: number, host = '127.0.0.1'): Promise<number> {
    if (this.closing) throw new Error('link is closed');
    const { server, address } = await listenTcpWire(port, host, this.maxFrameBytes, (w) => this.accept(w), this.wireError);
    this.tcpServers.push(server);
    return address.port;
  }

  /** Listen for UDP clients (docs/protocol.md "UDP"); resolves with the bound port. */
  async listenUdp(port: number, host = '127.0.0.1', options: UdpListenerOptions = {}): Promise<number> {
    if (this.closing) throw new Error('link is closed');
    const count = (event: string, n = 1) => {
      if (n > 0) this.metrics?.udpEvents?.inc({ event }, n);
    };
    const l = await UdpListener.listen(port, host, options, {
      maxFrameBytes: this.maxFrameBytes, verifier: this.verifier, accept: (w) => this.accept(w), count, onError: this.wireError,
    });
    this.udpListeners.push(l);
    return l.port;
  }

  /** Reliability counters of the UDP listeners (resends, acks, duplicates dropped, ...). */
  udpStats(): ReturnType<UdpListener['stats']>[] {
    return this.udpListeners.map((l) => l.stats());
  }

  /** Open client connections, authenticated or not. */
  connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * Graceful shutdown: stop accepting, tell every client (`shutting_down`
   * error frame, then WebSocket close 1001 / TCP end), and resolve once every
   * connection is gone and its `close` went upstream. The transport and the
   * HTTP server belong to the caller, which closes them afterwards.
   */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const detach of this.detachers.splice(0)) detach();
    }
    const stopped = this.tcpServers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r())));
    // A UDP socket closes only after its connections are gone: their goodbyes go out through it.
    stopped.push(...this.udpListeners.splice(0).map((l) => l.close()));
    for (const s of this.sessions) s.close(CLOSE_CODES.going_away, 'server shutting down', new ParleyError('shutting_down'));
    // Each session is destroyed after closeGraceMs at the latest, so this settles.
    await Promise.all([...[...this.sessions].map((s) => s.closed), ...stopped]);
  }

  /* ---- SessionHost ---- */

  up(msg: Upstream): boolean {
    return this.transport.up(msg);
  }

  register(session: Session): string {
    let id: string;
    do id = randomBytes(12).toString('base64url');
    while (this.byConn.has(id));
    this.byConn.set(id, session);
    return id;
  }

  release(session: Session): void {
    this.sessions.delete(session);
    if (session.info) this.byConn.delete(session.info.conn_id);
    this.metrics?.connections.dec({ transport: session.wire.kind });
  }

  /* ---- internals ---- */

  private accept(wire: Wire): Session | undefined {
    if (this.closing) return undefined;
    const session = new Session(this, wire, wire.kind === 'ws' ? 'web' : 'desktop');
    this.sessions.add(session);
    this.metrics?.connections.inc({ transport: wire.kind });
    this.log.debug({ remote: wire.remote, transport: wire.kind }, 'connection accepted');
    return session;
  }

  /** Downstream from dispatch. Unknown conn ids are connections that already went away: ignored. */
  private down(msg: Downstream): void {
    switch (msg.kind) {
      case 'send': {
        const s = this.byConn.get(msg.conn_id);
        if (!s) return;
        s.answered(msg.payload);
        s.write(new OutFrame(msg.payload));
        return;
      }
      case 'push': {
        const frame = new OutFrame(msg.payload); // encoded once, written to every connection
        for (const id of msg.conn_ids) this.byConn.get(id)?.write(frame);
        return;
      }
      case 'kick': {
        const s = this.byConn.get(msg.conn_id);
        if (!s) return;
        s.write(new OutFrame(msg.payload));
        s.close(CLOSE_CODES.kicked, 'kicked');
        return;
      }
    }
  }

  private readonly wireError = (err: Error): void => {
    // Resets, bad UTF-8, oversize WebSocket frames: the 'close' that follows does the cleanup.
    this.log.debug({ err: err.message }, 'client connection error');
  };
}
