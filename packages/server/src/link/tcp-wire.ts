import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameTooLargeError, ParleyError, TcpFrameDecoder } from '@parley/protocol';
import type { OutFrame } from './out-frame.js';
import type { AcceptWire } from './ws-wire.js';
import type { Wire } from './wire.js';
import { corkForTurn } from './write-batcher.js';

/**
 * TCP framing for native clients: 4-byte big-endian length + UTF-8 JSON
 * (the protocol package's codec). An announced length over the limit gets a
 * `frame_too_large` error frame and the connection ends — the stream cannot
 * be resynchronised after it.
 */
class TcpWire implements Wire {
  readonly kind = 'tcp';

  constructor(private readonly socket: Socket, readonly remote: string) {}

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  write(frame: OutFrame): void {
    if (!this.socket.writable) return;
    corkForTurn(this.socket);
    this.socket.write(frame.tcpBytes());
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Listen for TCP clients; resolves with the bound address once listening. */
export function listenTcpWire(
  port: number,
  host: string,
  maxFrameBytes: number,
  accept: AcceptWire,
  onError: (err: Error) => void,
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer({ noDelay: true }, (socket) => {
    const wire = new TcpWire(socket, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`);
    // Handlers first: a socket closed before accept() returns must still be cleaned up.
    socket.on('error', onError);
    const session = accept(wire);
    if (!session) {
      socket.destroy();
      return;
    }
    const decoder = new TcpFrameDecoder(maxFrameBytes);
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    let broken = false;
    socket.on('data', (chunk: Buffer) => {
      if (broken) return;
      let bodies: Uint8Array[];
      try {
        bodies = decoder.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameTooLargeError)) throw err;
        broken = true;
        session.tooLarge(maxFrameBytes);
        return;
      }
      for (const body of bodies) {
        let text: string;
        try {
          text = utf8.decode(body);
        } catch {
          session.reject(new ParleyError('bad_frame', 'frame is not valid UTF-8'));
          continue;
        }
        session.receive(text);
      }
    });
    socket.on('close', () => session.wireClosed());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve({ server, address: server.address() as AddressInfo });
    });
  });
}
