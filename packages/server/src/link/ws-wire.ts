import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { ParleyError } from '@parley/protocol';
import type { OutFrame } from './out-frame.js';
import type { Session } from './session.js';
import type { Wire } from './wire.js';
import { corkForTurn } from './write-batcher.js';
import type { Socket } from 'node:net';

/**
 * WebSocket framing (the `ws` package, noServer mode on an existing HTTP
 * server). Text frames carry JSON; everything else is Session's business.
 *
 * Oversize frames: `maxPayload` is the frame limit, so `ws` rejects a frame
 * from its header, before buffering it, and closes with 1009 (Message Too
 * Big) by itself. It starts the closing handshake before telling us, so no
 * `frame_too_large` error frame can be sent first on WebSocket: the 1009
 * close code is the answer. (TCP clients do get the error frame.)
 */
export type AcceptWire = (wire: Wire) => Session | undefined;

class WsWire implements Wire {
  readonly kind = 'ws';

  constructor(private readonly ws: WebSocket, readonly remote: string) {}

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  write(frame: OutFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // `ws` keeps its net.Socket in `_socket`; corking it merges this turn's frames into one write.
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (!socket) return;
    corkForTurn(socket);
    // The frame made once for every connection of a push, written as `ws.send` would write it: the server
    // negotiates no extension (perMessageDeflate is off) and sends no Blobs, so ws's sender never queues,
    // and its own frames (pong, close) go through the same socket in order. bufferedAmount still counts it.
    socket.write(frame.wsFrameBytes());
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason.slice(0, 120));
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/**
 * Serve WebSocket upgrades for `path` on `server`; other paths are left to
 * other 'upgrade' listeners. Returns a function that stops serving.
 */
export function attachWebSocketWire(
  server: HttpServer,
  path: string,
  maxFrameBytes: number,
  accept: AcceptWire,
  onError: (err: Error) => void,
): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req.url) !== path) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const wire = new WsWire(ws, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`);
      const session = accept(wire);
      if (!session) {
        ws.close(1001, 'shutting down');
        return;
      }
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (isBinary) session.reject(new ParleyError('bad_frame', 'binary frames are not supported; send JSON text'));
        else session.receive(toText(data));
      });
      ws.on('ping', () => session.touch());
      // 'error' precedes 'close' (bad UTF-8, oversize frame, reset); the close does the cleanup.
      ws.on('error', onError);
      ws.on('close', () => session.wireClosed());
    });
  };

  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    wss.close();
  };
}

function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q === -1 ? (url ?? '/') : url!.slice(0, q);
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
