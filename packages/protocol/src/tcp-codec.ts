/**
 * TCP framing for native clients: each frame is a 4-byte big-endian length
 * followed by that many bytes of UTF-8 JSON (the same JSON as a WebSocket
 * text frame). Works on Uint8Array so browser and Node code share it.
 */
export const LENGTH_PREFIX_BYTES = 4;

const encoder = new TextEncoder();

export function encodeTcpFrame(json: string | Uint8Array): Uint8Array {
  const body = typeof json === 'string' ? encoder.encode(json) : json;
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, LENGTH_PREFIX_BYTES);
  return out;
}

export class FrameTooLargeError extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`frame of ${length} bytes exceeds limit ${limit}`);
  }
}

/**
 * Incremental decoder: push chunks as they arrive, get whole frame bodies out.
 * A length above `maxFrameBytes` throws FrameTooLargeError before any buffering,
 * since the stream cannot be resynchronised after it.
 */
export class TcpFrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (this.buf.length - off >= LENGTH_PREFIX_BYTES) {
      const len = new DataView(this.buf.buffer, this.buf.byteOffset + off, 4).getUint32(0, false);
      if (len > this.maxFrameBytes) throw new FrameTooLargeError(len, this.maxFrameBytes);
      if (this.buf.length - off - LENGTH_PREFIX_BYTES < len) break;
      frames.push(this.buf.subarray(off + LENGTH_PREFIX_BYTES, off + LENGTH_PREFIX_BYTES + len));
      off += LENGTH_PREFIX_BYTES + len;
    }
    this.buf = off === 0 ? this.buf : this.buf.slice(off);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
