import { encodeTcpFrame, type ServerFrame } from '@parley/protocol';

/**
 * One server frame on its way to one or many connections. Each wire encoding
 * is made at most once and shared: a push to a thousand connections encodes
 * the UTF-8 body once and the TCP length prefix once.
 */
export class OutFrame {
  private utf8?: Buffer;
  private tcp?: Uint8Array;

  constructor(readonly text: string) {}

  static of(frame: ServerFrame): OutFrame {
    return new OutFrame(JSON.stringify(frame));
  }

  /** the JSON as UTF-8 (a WebSocket text frame's payload) */
  bytes(): Buffer {
    return (this.utf8 ??= Buffer.from(this.text, 'utf8'));
  }

  /** the JSON behind its 4-byte length prefix */
  tcpBytes(): Uint8Array {
    return (this.tcp ??= encodeTcpFrame(this.bytes()));
  }

  get byteLength(): number {
    return this.bytes().length;
  }
}
