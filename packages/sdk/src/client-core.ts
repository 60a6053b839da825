import type { AuthOk, ClientFrame, KickedPush, Platform, ReplyData, ServerFrame } from '@parley/protocol';
import { Backoff, resolveBackoff, type BackoffOptions } from './backoff.js';
import { openWithTimeout, webSocketConnection, type CloseInfo, type Connection, type ConnectionFactory } from './connection.js';
import { ClientClosedError, ConnectionLostError, KickedError, errorFromClose, errorFromFrame, isFatal } from './errors.js';
import { Emitter, toError, type ClientEventHandler, type ClientEventName, type ClientEvents, type ClientState } from './events.js';
import { Heartbeat } from './heartbeat.js';
import { PendingRequests } from './requests.js';

export interface ParleyClientOptions {
  /** WebSocket URL, e.g. ws://127.0.0.1:8080/ws; ignored when `connect` is given */
  url?: string;
  /** transport factory (tcpConnection, wsConnection, a test double); wins over `url` */
  connect?: ConnectionFactory;
  /** a token, or a function asked again before every (re)connect so the app can refresh it */
  token: string | (() => string | Promise<string>);
  platform?: Platform;
  device_id?: string;
  /** ping interval; default half the server's heartbeat_ms from the auth answer */
  heartbeatMs?: number;
  /** default 10000 */
  requestTimeoutMs?: number;
  /** bound on opening the transport; default requestTimeoutMs */
  connectTimeoutMs?: number;
  /** backoff for reconnects and send retries, or false to never reconnect */
  reconnect?: Partial<BackoffOptions> | false;
}

/** Ops answered with `ok`/`error` that apps may call directly (auth is the client's business). */
export type RequestOp = Exclude<keyof ReplyData, 'auth'>;
/** The frame fields of `op` without `op` and `id`. */
export type RequestFields<K extends RequestOp> = Omit<Extract<ClientFrame, { op: K }>, 'op' | 'id'>;
export interface RequestOptions { timeoutMs?: number }

/**
 * Connection lifecycle shared by every client feature: opening and auth,
 * request/reply correlation, heartbeat, reconnect with backoff, kicks.
 *
 *   idle ─connect()→ connecting ─auth ok→ open ─link lost→ reconnecting ─auth ok→ open
 *   any ─close() / kicked / auth refused / reconnect:false and a failure→ closed
 *
 * `closed` is terminal for what is pending (requests and unacked sends are
 * rejected); connect() may start over from it. Auth refusals and kicks never
 * reconnect: retrying cannot change their answer.
 */
export abstract class ClientCore {
  private readonly emitter = new Emitter<ClientEvents>();
  private readonly requests = new PendingRequests();
  private readonly factory: ConnectionFactory;
  private readonly backoff: Backoff | undefined;
  protected readonly retryPolicy: BackoffOptions;
  protected readonly requestTimeoutMs: number;
  private _state: ClientState = 'idle';
  private conn: Connection | undefined;
  /** bumped whenever a connection is abandoned, so its late events are ignored */
  private gen = 0;
  private auth: AuthOk | undefined;
  private heartbeat: Heartbeat | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private failHandshake: ((err: Error) => void) | undefined;
  private waiter: { promise: Promise<void>; resolve(): void; reject(err: Error): void } | undefined;

  constructor(protected readonly options: ParleyClientOptions) {
    if (options.connect) this.factory = options.connect;
    else if (options.url) this.factory = webSocketConnection(options.url);
    else throw new TypeError('ParleyClient needs `url` or `connect`');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retryPolicy = resolveBackoff(options.reconnect || undefined);
    this.backoff = options.reconnect === false ? undefined : new Backoff(this.retryPolicy);
  }

  get state(): ClientState { return this._state; }
  get userId(): string | undefined { return this.auth?.user_id; }
  get appId(): string | undefined { return this.auth?.app_id; }
  /** the auth answer of the current (or last) connection */
  get session(): AuthOk | undefined { return this.auth; }

  on<K extends ClientEventName>(event: K, handler: ClientEventHandler<K>): () => void {
    return this.emitter.on(event, handler);
  }

  /** Resolves once authenticated. Transport failures are retried per `reconnect`; auth refusals reject at once. */
  connect(): Promise<void> {
    if (this._state === 'open') return Promise.resolve();
    if (this.waiter) return this.waiter.promise;
    let settlers!: { resolve(): void; reject(err: Error): void };
    const promise = new Promise<void>((resolve, reject) => (settlers = { resolve, reject }));
    this.waiter = { promise, ...settlers };
    if (this._state === 'reconnecting') {
      // Already trying: skip the backoff wait if one is running (the app knows the network is back).
      if (this.reconnectTimer !== undefined) {
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = undefined;
        this.attempt();
      }
      return promise;
    }
    this.backoff?.reset();
    this.setState('connecting');
    this.attempt();
    return promise;
  }

  /** Close deliberately: no reconnect; pending requests and unacked sends reject with ClientClosedError. */
  async close(): Promise<void> {
    const conn = this.conn;
    this.finish(new ClientClosedError(), true);
    if (!conn) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([conn.closed, new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
  }

  /** Any op with a reply, typed by op. Rejects at once with a retryable error when not open. */
  request<K extends RequestOp>(op: K, fields: RequestFields<K>, opts: RequestOptions = {}): Promise<ReplyData[K]> {
    return new Promise<ReplyData[K]>((resolve, reject) => {
      if (this._state !== 'open') return reject(new ConnectionLostError(`not connected (${this._state})`));
      this.sendRequest(op, fields, opts.timeoutMs ?? this.requestTimeoutMs, (d) => resolve(d as ReplyData[K]), reject);
    });
  }

  /* ---- hooks for the feature layer ---- */

  /** Authenticated: nothing from this connection was processed before this returns. */
  protected abstract onOpen(): void;
  /** A push other than `kicked`. */
  protected abstract onPush(frame: Exclude<ServerFrame, { op: 'ok' | 'error' | 'pong' | 'kicked' }>): void;
  /** The connection is gone (a reconnect may follow). */
  protected abstract onLost(): void;
  /** Terminal: abandon whatever is pending. */
  protected abstract onClosed(err: Error): void;

  protected emit<K extends ClientEventName>(event: K, payload: ClientEvents[K]): void {
    this.emitter.emit(event, payload);
  }

  /** Identifies the current connection; compare to tell whether it changed meanwhile. */
  protected get connectionGeneration(): number { return this.gen; }

  /** Fire-and-forget frames (ping, typing): dropped when not connected. */
  protected sendRaw(frame: ClientFrame): void {
    try {
      this.conn?.send(JSON.stringify(frame));
    } catch {
      // the close handler reports the broken connection
    }
  }

  /* ---- lifecycle ---- */

  private attempt(): void {
    const gen = ++this.gen;
    let settled = false;
    const fail = (err: Error) => {
      if (settled || gen !== this.gen) return;
      settled = true;
      this.failHandshake = undefined;
      this.dropConnection(err, false);
      this.attemptFailed(err);
    };
    this.failHandshake = fail;
    const run = async () => {
      const t = this.options.token;
      const token = typeof t === 'function' ? await t() : t;
      if (settled || gen !== this.gen) return;
      const conn = await openWithTimeout(this.factory(this.handlersFor(gen)), this.options.connectTimeoutMs ?? this.requestTimeoutMs);
      if (settled || gen !== this.gen) return conn.destroy();
      this.conn = conn;
      const { platform, device_id } = this.options;
      const fields = { token, ...(platform && { platform }), ...(device_id !== undefined && { device_id }) };
      // Handled synchronously on the `ok` frame, so frames behind it in the same chunk see an open client.
      this.sendRequest('auth', fields, this.requestTimeoutMs, (data) => {
        if (settled || gen !== this.gen) return;
        settled = true;
        this.failHandshake = undefined;
        this.opened(data as AuthOk);
      }, fail);
    };
    run().catch((err: unknown) => fail(toError(err)));
  }

  private handlersFor(gen: number) {
    return {
      message: (text: string) => { if (gen === this.gen) this.onText(text); },
      close: (info: CloseInfo) => { if (gen === this.gen) this.onConnClosed(info); },
    };
  }

  private opened(auth: AuthOk): void {
    this.auth = auth;
    this.backoff?.reset();
    const fromServer = auth.heartbeat_ms > 0 ? auth.heartbeat_ms / 2 : 15_000;
    this.heartbeat = new Heartbeat(this.options.heartbeatMs ?? fromServer,
      () => this.sendRaw({ op: 'ping' }),
      () => this.connectionLost(new ConnectionLostError('no frame from the server for two heartbeat intervals')));
    this.heartbeat.start();
    this.setState('open');
    this.waiter?.resolve();
    this.waiter = undefined;
    this.onOpen();
  }

  private attemptFailed(err: Error): void {
    if (!this.backoff || isFatal(err)) return this.finish(err, false);
    this.setState('reconnecting', err);
    this.scheduleReconnect();
  }

  private connectionLost(err: Error): void {
    this.dropConnection(err, false);
    this.onLost();
    if (!this.backoff) return this.finish(err, false);
    this.setState('reconnecting', err);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.attempt();
    }, this.backoff!.next());
  }

  /** Forget the current connection: ignore its events, stop its timers, fail what awaited it. */
  private dropConnection(err: Error, graceful: boolean): void {
    const conn = this.conn;
    this.conn = undefined;
    this.gen++;
    this.heartbeat?.stop();
    this.heartbeat = undefined;
    if (conn) {
      if (graceful) conn.close(1000, 'client closed');
      else conn.destroy();
    }
    this.requests.failAll(err);
  }

  private finish(err: Error, graceful: boolean): void {
    if (this._state === 'closed') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.failHandshake = undefined;
    this.dropConnection(err, graceful);
    this.onClosed(err);
    this.setState('closed', err);
    this.waiter?.reject(err);
    this.waiter = undefined;
  }

  private setState(state: ClientState, error?: Error): void {
    const prev = this._state;
    if (prev === state) return;
    this._state = state;
    this.emit('state', error ? { state, prev, error } : { state, prev });
  }

  /* ---- inbound ---- */

  private onConnClosed(info: CloseInfo): void {
    const err = errorFromClose(info.code, info.reason);
    if (err instanceof KickedError) this.emit('kicked', { reason: 'unknown' });
    if (this._state === 'open') {
      if (isFatal(err)) this.finish(err, false);
      else this.connectionLost(err);
    } else {
      this.failHandshake?.(err);
    }
  }

  private onText(text: string): void {
    this.heartbeat?.touch();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return this.emit('error', new ConnectionLostError('server sent a frame that is not JSON'));
    }
    if (frame === null || typeof frame !== 'object' || typeof frame.op !== 'string') return;
    switch (frame.op) {
      case 'ok':
        this.requests.settle(frame); // an unknown id is a late answer to a timed-out request
        return;
      case 'error':
        if (!this.requests.settle(frame)) this.emit('error', errorFromFrame(frame));
        return;
      case 'pong':
        return;
      case 'kicked':
        return this.kicked(frame);
      default:
        return this.onPush(frame);
    }
  }

  private kicked(frame: KickedPush): void {
    this.emit('kicked', { reason: frame.reason });
    this.finish(new KickedError(frame.reason), true);
  }

  private sendRequest(op: string, fields: object, timeoutMs: number, resolve: (d: unknown) => void, reject: (e: Error) => void): void {
    const conn = this.conn;
    if (!conn) return reject(new ConnectionLostError('not connected'));
    const id = this.requests.open(op, timeoutMs, resolve, reject);
    try {
      // op and id last: fields cannot override them.
      conn.send(JSON.stringify({ ...fields, op, id }));
    } catch (err) {
      this.requests.fail(id, new ConnectionLostError(`write failed: ${toError(err).message}`));
    }
  }
}
