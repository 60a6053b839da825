import { ConnectionLostError } from './errors.js';

/**
 * The one transport seam of the SDK: WebSocket (browser or `ws`), TCP, or a
 * test double. The client above it is written once for all of them.
 *
 * Promises a factory must keep:
 * - the returned promise resolves once the transport can carry frames and
 *   rejects if it never gets there;
 * - after it resolved, `handlers.message` gets each whole text frame in
 *   arrival order, and `handlers.close` is called exactly once when the
 *   transport is gone (whoever closed it), with `closed` resolving then;
 * - `destroy()` drops the transport at once and calls `handlers.close`
 *   promptly, without waiting for a closing handshake: it is what the client
 *   uses on a link it believes dead.
 */
export interface CloseInfo {
  /** WebSocket close code; TCP reports 1000 for an orderly end and 1006 otherwise */
  code: number;
  reason: string;
}

export interface ConnectionHandlers {
  message(text: string): void;
  close(info: CloseInfo): void;
}

export interface Connection {
  send(text: string): void;
  /** orderly close (WebSocket closing handshake, TCP end) */
  close(code?: number, reason?: string): void;
  destroy(): void;
  readonly closed: Promise<void>;
}

export type ConnectionFactory = (handlers: ConnectionHandlers) => Promise<Connection>;

/**
 * The part of the WebSocket API the SDK uses; the browser's WebSocket and the
 * `ws` package's both fit. Handler slots take `never` so that both classes'
 * differently typed handlers are assignable; we only ever write to them.
 */
export interface WebSocketLike {
  onopen: ((ev: never) => unknown) | null;
  onmessage: ((ev: never) => unknown) | null;
  onclose: ((ev: never) => unknown) | null;
  onerror: ((ev: never) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A connection over the global WebSocket (browsers, Node ≥ 22) or the class given. */
export function webSocketConnection(url: string, impl?: WebSocketConstructor): ConnectionFactory {
  const Ctor = impl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  // A setup mistake, not a network failure: say so now instead of retrying forever.
  if (!Ctor) throw new TypeError('no global WebSocket here; in Node import ParleyClient from @parley/sdk/node');
  return fromWebSocket(() => new Ctor(url));
}

const decoder = new TextDecoder();

/** Adapt any WebSocketLike (created lazily, once per connection attempt). */
export function fromWebSocket(create: () => WebSocketLike): ConnectionFactory {
  return (handlers) =>
    new Promise<Connection>((resolve, reject) => {
      const ws = create();
      let opened = false;
      let done = false;
      let markClosed!: () => void;
      const closed = new Promise<void>((r) => (markClosed = r));
      const finish = (info: CloseInfo) => {
        if (done) return;
        done = true;
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        markClosed();
        if (opened) handlers.close(info);
        else reject(new ConnectionLostError(`WebSocket failed to open (${info.code}${info.reason ? ` ${info.reason}` : ''})`, info.code));
      };
      const conn: Connection = {
        send: (text) => ws.send(text),
        close: (code = 1000, reason = '') => ws.close(code, reason),
        destroy: () => {
          // `ws` can drop the socket at once; a browser can only start the handshake, so we stop listening instead.
          const terminate = (ws as { terminate?: () => void }).terminate;
          if (typeof terminate === 'function') terminate.call(ws);
          else ws.close(4000, 'destroyed');
          finish({ code: 1006, reason: 'destroyed' });
        },
        closed,
      };
      ws.onopen = () => {
        opened = true;
        resolve(conn);
      };
      ws.onmessage = (ev: { data: unknown }) => {
        if (!done) handlers.message(textOf(ev.data));
      };
      // An error is always followed by a close event, which carries the code.
      ws.onerror = () => undefined;
      ws.onclose = (ev: { code?: number; reason?: string }) => finish({ code: ev.code ?? 1006, reason: ev.reason ?? '' });
    });
}

function textOf(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return decoder.decode(data);
  if (ArrayBuffer.isView(data)) return decoder.decode(data);
  return String(data);
}

/**
 * Resolve with the factory's connection unless `ms` pass first; a connection
 * that arrives too late is destroyed, so nothing leaks.
 */
export function openWithTimeout(open: Promise<Connection>, ms: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new ConnectionLostError(`connecting took longer than ${ms} ms`));
    }, ms);
    open.then(
      (conn) => {
        clearTimeout(timer);
        if (late) conn.destroy();
        else resolve(conn);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
