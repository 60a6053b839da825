import type { Logger } from 'pino';
import {CLOSE_CODES, ParleyError, type AuthFrame, type AuthOk, type ClientFrame, type ErrorFrame, type Platform, type ReqId, type ServerFrame} from '@parley/protocol';
import { parseClientFrame } from '@parley/protocol/validate';
import type { SessionInfo, Upstream } from '../transport/transport.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { LinkMetrics } from './link-metrics.js';
import { OutFrame } from './out-frame.js';
import { TokenBucket } from './token-bucket.js';
import { UnansweredFrames } from './unanswered.js';
import type { Wire } from './wire.js';

/**
 * One client connection, whatever its wire: auth, heartbeat, rate limit,
 * backpressure, and the hand-off of frames upstream.
 *
 * Promises:
 * - Nothing goes upstream before the token verified; the `open` goes up
 *   after the `ok` is written, then the connection's frames in arrival order
 *   (frames pipelined behind `auth` wait for the verification), then one
 *   `close` when the wire is gone.
 * - `ping` is answered here and never goes upstream.
 * - When the dispatcher holding the session goes away, `reopen` sends the
 *   `open` again (the transport binds it to another dispatcher) and re-sends
 *   the requests not yet answered, in their order, before any later frame.
 * - A request the transport refuses for backpressure (the queue to its
 *   dispatcher is full) is answered `unavailable` at once, never left to
 *   time out; the client retries it after a backoff.
 * - Bad input gets an error frame and the connection stays usable; only
 *   auth failure, silence, repeated rate-limit violations, a full send buffer,
 *   an oversize TCP frame, a kick and shutdown close it.
 */
export interface SessionLimits {
  heartbeatMs: number;
  /** told to clients in the auth answer (dispatch's commit deadline, for their hole rule) */
  commitDeadlineMs: number;
  authTimeoutMs: number;
  ratePerSec: number;
  rateBurst: number;
  /** consecutive rate-limited frames before the connection is closed */
  maxViolations: number;
  maxSendBufferBytes: number;
  /** how long a closing connection may take to flush before it is destroyed */
  closeGraceMs: number;
}

/** What a session needs from the link that owns it (and nothing more). */
export interface SessionHost {
  readonly linkId: string;
  readonly limits: SessionLimits;
  readonly verifier: Pick<TokenVerifier, 'verify'>;
  readonly log: Logger;
  readonly metrics: LinkMetrics | undefined;
  /** false: refused for backpressure (the way to the dispatcher is full), see LinkSide.up */
  up(msg: Upstream): boolean;
  /** index an authenticated session; returns its new, unique conn id */
  register(session: Session): string;
  /** the wire is gone: forget the session */
  release(session: Session): void;
}

type State = 'new' | 'verifying' | 'open' | 'closing' | 'closed';

/** Frames a client may pipeline behind `auth` before the verification answers. */
const MAX_PENDING = 32;

export class Session {
  /** set once authenticated */
  info: SessionInfo | undefined;
  /** resolves once the wire is closed and the `close` went upstream */
  readonly closed: Promise<void>;
  private state: State = 'new';
  private readonly bucket: TokenBucket;
  private violations = 0;
  private pending: ClientFrame[] = [];
  private readonly unanswered = new UnansweredFrames();
  private readonly silenceTimer: NodeJS.Timeout;
  private authTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;

  constructor(private readonly host: SessionHost, readonly wire: Wire, private readonly defaultPlatform: Platform) {
    const { limits } = host;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.bucket = new TokenBucket(limits.ratePerSec, limits.rateBurst);
    // Timers are refreshed, not recreated, on each frame; unref'd so they never hold the process.
    this.silenceTimer = setTimeout(() => this.close(CLOSE_CODES.heartbeat_timeout, 'heartbeat timeout'), 2 * limits.heartbeatMs).unref();
    this.authTimer = setTimeout(
      () => this.close(CLOSE_CODES.auth_failed, 'auth timeout', new ParleyError('unauthenticated', 'auth not received in time')),
      limits.authTimeoutMs,
    ).unref();
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** closing or closed: nothing more is read or written */
  private get ending(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /** Any sign of life (a frame, or a WebSocket ping) postpones the heartbeat timeout. */
  touch(): void {
    if (!this.ending) this.silenceTimer.refresh();
  }

  /** One whole text frame from the client. */
  receive(text: string): void {
    if (!this.admit(text)) return;
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.host.metrics?.framesIn?.inc({ op: '_invalid' });
      this.sendError(parsed.error, parsed.id);
      // An unusable auth is an auth failure: close with 4001 now rather than wait for the auth timeout.
      if (parsed.op === 'auth' && this.state === 'new') this.close(CLOSE_CODES.auth_failed, parsed.error.code);
      return;
    }
    this.host.metrics?.framesIn?.inc({ op: parsed.frame.op });
    this.handle(parsed.frame);
  }

  /** A frame the wire could not turn into text (binary WebSocket frame, bad UTF-8). */
  reject(err: ParleyError): void {
    if (!this.admit()) return;
    this.host.metrics?.framesIn?.inc({ op: '_invalid' });
    this.sendError(err);
  }

  /** The TCP stream announced a frame over the limit: it cannot be resynchronised, so answer and close. */
  tooLarge(limit: number): void {
    this.close(1009, 'frame too large', new ParleyError('frame_too_large', `frame exceeds ${limit} bytes`));
  }

  /** A reply from dispatch to this connection (written by the caller): its request is answered. */
  answered(payload: string): void {
    this.unanswered.answered(payload);
  }

  /** The dispatcher holding this session went away: open it again upstream and re-send what is unanswered. */
  reopen(): void {
    if (!this.isOpen) return;
    this.host.up({ kind: 'open', session: this.info! });
    for (const frame of this.unanswered.frames()) this.forward(frame);
  }

  /** One request upstream; refused for backpressure, it is answered `unavailable` now (the client retries) and forgotten. */
  private forward(frame: ClientFrame): void {
    if (this.host.up({ kind: 'frame', session: this.info!, frame })) return;
    const id = reqId(frame);
    if (id === undefined) return;
    this.unanswered.forget(id);
    this.sendError(new ParleyError('unavailable', 'the dispatcher is busy; retry'), id);
  }

  /** Write one frame, unless the client is not reading: then close it as a slow consumer. */
  write(frame: OutFrame): boolean {
    if (this.ending) return false;
    if (this.wire.bufferedBytes() + frame.byteLength > this.host.limits.maxSendBufferBytes) {
      this.host.log.warn({ conn: this.info?.conn_id, remote: this.wire.remote }, 'slow consumer: send buffer full, closing');
      this.close(CLOSE_CODES.policy, 'send buffer full');
      return false;
    }
    this.wire.write(frame);
    this.host.metrics?.framesOut.inc();
    return true;
  }

  /** Close after flushing; `notice` (an error frame without id) is written first when given. */
  close(code: number, reason: string, notice?: ParleyError): void {
    if (this.ending) return;
    if (notice) this.sendError(notice);
    if (this.ending) return; // writing the notice found a full buffer and closed already
    this.state = 'closing';
    this.clearTimers();
    this.host.log.debug({ conn: this.info?.conn_id, remote: this.wire.remote, code, reason }, 'closing connection');
    this.wire.close(code, reason);
    // A peer that never reads would keep a flushing socket forever.
    this.graceTimer = setTimeout(() => this.wire.destroy(), this.host.limits.closeGraceMs).unref();
  }

  /** Called by the wire, once, when the socket is gone. */
  wireClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimers();
    clearTimeout(this.graceTimer);
    this.pending = [];
    if (this.info) this.host.up({ kind: 'close', session: this.info });
    this.host.release(this);
    this.resolveClosed();
  }

  /** Common gate of every inbound frame: liveness, then the rate limit. */
  private admit(text?: string): boolean {
    if (this.ending) return false;
    this.silenceTimer.refresh();
    if (this.bucket.take()) {
      this.violations = 0;
      return true;
    }
    if (++this.violations >= this.host.limits.maxViolations) {
      this.host.log.info({ conn: this.info?.conn_id, remote: this.wire.remote }, 'rate limit exceeded repeatedly, closing');
      this.close(CLOSE_CODES.policy, 'rate limit exceeded', new ParleyError('rate_limited', 'too many frames; closing'));
    } else {
      // The request id lets the client fail that one request instead of waiting for a timeout.
      this.sendError(new ParleyError('rate_limited'), text === undefined ? undefined : peekId(text));
    }
    return false;
  }

  private handle(frame: ClientFrame): void {
    switch (this.state) {
      case 'new':
        if (frame.op === 'auth') void this.authenticate(frame);
        else this.sendError(new ParleyError('unauthenticated'), reqId(frame));
        return;
      case 'verifying':
        if (this.pending.length < MAX_PENDING) this.pending.push(frame);
        else this.sendError(new ParleyError('unauthenticated', 'authentication in progress'), reqId(frame));
        return;
      case 'open':
        if (frame.op === 'auth') this.sendError(new ParleyError('already_authenticated'), frame.id);
        else if (frame.op === 'ping') this.send(frame.id === undefined ? { op: 'pong', t: Date.now() } : { op: 'pong', id: frame.id, t: Date.now() });
        else {
          this.unanswered.track(frame);
          this.forward(frame);
        }
        return;
      default:
        return;
    }
  }

  private async authenticate(frame: AuthFrame): Promise<void> {
    this.state = 'verifying';
    let claims: Awaited<ReturnType<SessionHost['verifier']['verify']>>;
    try {
      claims = await this.host.verifier.verify(frame.token);
    } catch (err) {
      if (this.state !== 'verifying') return; // closed meanwhile (timeout, peer gone)
      const perr = err instanceof ParleyError ? err : new ParleyError('token_invalid');
      if (!(err instanceof ParleyError)) this.host.log.error({ err }, 'token verification failed unexpectedly');
      this.host.log.debug({ remote: this.wire.remote, code: perr.code }, 'auth failed');
      this.sendError(perr, frame.id);
      this.close(CLOSE_CODES.auth_failed, perr.code);
      return;
    }
    if (this.state !== 'verifying') return;
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    const now = Date.now();
    const info: SessionInfo = {
      app_id: claims.app_id,
      user_id: claims.user_id,
      conn_id: '', // assigned by register
      link_id: this.host.linkId,
      platform: frame.platform ?? this.defaultPlatform,
      token_iat: claims.iat_ms,
      connected_at: now,
    };
    if (frame.device_id !== undefined) info.device_id = frame.device_id;
    this.info = info;
    info.conn_id = this.host.register(this);
    this.state = 'open';
    const ok: AuthOk = {
      user_id: info.user_id, app_id: info.app_id, platform: info.platform, conn_id: info.conn_id,
      heartbeat_ms: this.host.limits.heartbeatMs, server_time: now, commit_deadline_ms: this.host.limits.commitDeadlineMs,
    };
    this.send({ op: 'ok', id: frame.id, data: ok });
    this.host.up({ kind: 'open', session: info });
    const pending = this.pending;
    this.pending = [];
    for (const f of pending) this.handle(f);
  }

  private send(frame: ServerFrame): void {
    this.write(OutFrame.of(frame));
  }

  private sendError(err: ParleyError, id?: ReqId): void {
    this.host.metrics?.frameErrors?.inc({ code: err.code });
    const frame: ErrorFrame = { op: 'error', code: err.code, message: err.message, retryable: err.retryable };
    if (id !== undefined) frame.id = id;
    this.send(frame);
  }

  private clearTimers(): void {
    clearTimeout(this.silenceTimer);
    clearTimeout(this.authTimer);
  }
}

function reqId(frame: ClientFrame): ReqId | undefined {
  return 'id' in frame ? frame.id : undefined;
}

function peekId(text: string): ReqId | undefined {
  const parsed = parseClientFrame(text);
  return parsed.ok ? reqId(parsed.frame) : parsed.id;
}
