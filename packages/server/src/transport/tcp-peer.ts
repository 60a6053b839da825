import type { Socket } from 'node:net';
import { FrameReader, FrameWriter } from './tcp-framing.js';

/**
 * One framed, heartbeated TCP connection between a link and a dispatcher;
 * the same code on both ends. Each side sends `{ t: 'hb' }` every
 * `heartbeatMs`; a connection that has received nothing for `deadAfterMs`
 * is destroyed (a half-open TCP connection is otherwise never noticed),
 * which fires `onClose` like any other loss.
 */
export interface PeerOptions {
  heartbeatMs: number;
  deadAfterMs: number;
  maxBufferedBytes: number;
  maxFrameBytes: number;
}

export const DEFAULT_PEER_OPTIONS: PeerOptions = {
  heartbeatMs: 1000,
  deadAfterMs: 5000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxFrameBytes: 16 * 1024 * 1024,
};

export type WireFrame = { t: string; [k: string]: unknown };

export class FramedPeer {
  readonly writer: FrameWriter;
  private readonly reader: FrameReader;
  private lastSeen = Date.now();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly socket: Socket,
    opts: PeerOptions,
    handlers: { onFrame: (f: WireFrame) => void; onHeartbeat?: () => void; onClose: (reason: string) => void },
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, opts.deadAfterMs);
    this.writer = new FrameWriter(socket, opts.maxBufferedBytes);
    this.reader = new FrameReader(opts.maxFrameBytes, (raw) => {
      const f = raw as WireFrame;
      if (!f || typeof f !== 'object' || typeof f.t !== 'string') throw new Error('malformed transport frame');
      if (f.t === 'hb') {
        handlers.onHeartbeat?.();
        return;
      }
      handlers.onFrame(f);
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastSeen = Date.now();
      try {
        this.reader.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
      }
    });
    let reason = 'closed';
    socket.on('error', (err) => (reason = err.message));
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      clearInterval(this.timer);
      handlers.onClose(reason);
    });
    this.timer = setInterval(() => {
      if (Date.now() - this.lastSeen > opts.deadAfterMs) {
        reason = `no frame for ${opts.deadAfterMs} ms`;
        socket.destroy();
        return;
      }
      this.writer.send({ t: 'hb' });
    }, opts.heartbeatMs);
    this.timer.unref();
  }

  send(frame: WireFrame): boolean {
    return this.writer.send(frame);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Flush and close gracefully. */
  async end(): Promise<void> {
    clearInterval(this.timer);
    await this.writer.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
