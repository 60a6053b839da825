/**
 * @parley/sdk/node — everything of the browser entry, plus transports for
 * Node: WebSocket through `ws` and TCP through node:net with the protocol's
 * length-prefixed framing, and UDP (`udpConnection`, acknowledged and resent
 * datagrams). Its ParleyClient uses `ws` for `url`, since Node 20 has no global
 * WebSocket.
 */
import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';
import { FrameTooLargeError, TcpFrameDecoder, encodeTcpFrame } from '@parley/protocol';
import { ParleyClient as BaseClient, type ClientOptions } from './client.js';
import { fromWebSocket, type CloseInfo, type Connection, type ConnectionFactory } from './connection.js';
import { ConnectionLostError } from './errors.js';

export * from './index.js';

/** A WebSocket connection through the `ws` package (options: headers, TLS, ...). */
export function wsConnection(url: string, options?: WebSocket.ClientOptions): ConnectionFactory {
  // A short closing handshake (recent `ws` honours closeTimeout, older ones ignore it): never wait 30 s on a peer that stopped answering.
  const opts: WebSocket.ClientOptions & { closeTimeout?: number } = { closeTimeout: 2_000, perMessageDeflate: false, ...options };
  return fromWebSocket(() => new WebSocket(url, opts));
}

export interface TcpConnectionOptions {
  /** largest frame accepted from the server; default 1 MiB */
  maxFrameBytes?: number;
}

/** A TCP connection speaking 4-byte big-endian length + UTF-8 JSON frames (the native-client wire). */
export function tcpConnection(host: string, port: number, options: TcpConnectionOptions = {}): ConnectionFactory {
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  return (handlers) =>
    new Promise<Connection>((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true });
      const decoder = new TcpFrameDecoder(maxFrameBytes);
      const text = new TextDecoder();
      let opened = false;
      let done = false;
      let markClosed!: () => void;
      const closed = new Promise<void>((r) => (markClosed = r));
      const finish = (info: CloseInfo) => {
        if (done) return;
        done = true;
        markClosed();
        if (opened) handlers.close(info);
        else reject(new ConnectionLostError(`TCP connect to ${host}:${port} failed: ${info.reason}`));
      };
      let lastError = '';
      const conn: Connection = {
        send: (t) => void socket.write(encodeTcpFrame(t)),
        close: () => void socket.end(),
        destroy: () => {
          socket.destroy();
          finish({ code: 1006, reason: 'destroyed' });
        },
        closed,
      };
      socket.once('connect', () => {
        opened = true;
        resolve(conn);
      });
      socket.on('data', (chunk: Buffer) => {
        if (done) return;
        try {
          for (const frame of decoder.push(chunk)) handlers.message(text.decode(frame));
        } catch (err) {
          // An oversize frame cannot be skipped: the stream is out of sync from here on.
          lastError = err instanceof FrameTooLargeError ? err.message : String(err);
          socket.destroy();
        }
      });
      socket.on('error', (err) => (lastError = err.message));
      socket.on('close', (hadError) => finish({ code: hadError || lastError ? 1006 : 1000, reason: lastError }));
    });
}

/** ParleyClient whose `url` goes through `ws`; pass `connect: tcpConnection(...)` for TCP. */
export class ParleyClient extends BaseClient {
  constructor(options: ClientOptions) {
    super(options.connect || !options.url ? options : { ...options, connect: wsConnection(options.url) });
  }
}

export { udpConnection } from './udp-connection.js';
export type { UdpConnectionOptions, UdpConnectionFactory, UdpTransportStats } from './udp-connection.js';
