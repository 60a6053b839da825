import type { Socket } from 'node:net';
import { Packr, Unpackr } from 'msgpackr';

/**
 * Length-prefixed msgpack frames over one TCP socket (link ↔ dispatch).
 *
 * Each frame is a 4-byte big-endian length and a msgpack body. Writes are
 * coalesced per event-loop turn: everything sent in one turn leaves in one
 * `socket.write`, which is what made the client-facing link fast (a write
 * syscall per frame dominated its profile). Memory is bounded: a frame sent
 * while more than `maxBufferedBytes` are waiting (in our queue and in the
 * socket's) is dropped and counted — the seam is at-most-once, and a peer
 * that cannot keep up must not grow this process without bound.
 */
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false });

export interface FrameWriterStats {
  framesOut: number;
  bytesOut: number;
  dropped: number;
}

export class FrameWriter {
  private chunks: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private ended = false;
  readonly stats: FrameWriterStats = { framesOut: 0, bytesOut: 0, dropped: 0 };

  constructor(private readonly socket: Socket, private readonly maxBufferedBytes: number) {}

  /** Queue one frame; false when it was dropped (buffer bound reached, or the writer ended). */
  send(frame: unknown): boolean {
    if (this.ended || this.socket.destroyed) return false;
    const body = packr.pack(frame);
    if (this.queued + this.socket.writableLength + body.length + 4 > this.maxBufferedBytes) {
      this.stats.dropped++;
      return false;
    }
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.chunks.push(head, body);
    this.queued += body.length + 4;
    this.stats.framesOut++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Write what is queued now (also called before a graceful end). */
  flush(): void {
    this.scheduled = false;
    if (this.chunks.length === 0 || this.socket.destroyed) return;
    const data = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.queued);
    this.chunks = [];
    this.stats.bytesOut += this.queued;
    this.queued = 0;
    this.socket.write(data);
  }

  /** Flush, then half-close; resolves when the socket has closed (or after `timeoutMs`). */
  end(timeoutMs = 2000): Promise<void> {
    this.flush();
    this.ended = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, timeoutMs);
      t.unref();
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.socket.end();
    });
  }
}

export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly max: number) {
    super(`frame of ${size} bytes exceeds the ${max}-byte limit`);
    this.name = 'FrameTooLargeError';
  }
}

/** Splits a byte stream into frames; feed it every `data` chunk. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number, private readonly onFrame: (frame: unknown) => void) {}

  /** Throws FrameTooLargeError or a decode error: the caller drops the connection. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (this.buf.length - off >= 4) {
      const len = this.buf.readUInt32BE(off);
      if (len > this.maxFrameBytes) throw new FrameTooLargeError(len, this.maxFrameBytes);
      if (this.buf.length - off - 4 < len) break;
      const body = this.buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      this.onFrame(unpackr.unpack(body));
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }
}
