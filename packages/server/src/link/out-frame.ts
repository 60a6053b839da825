import { encodeTcpFrame, type ServerFrame } from '@parley/protocol';
import * as wsModule from 'ws';

// ws exports its Sender at run time; @types/ws does not declare it.
type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

/**
 * One server frame on its way to one or many connections. Each wire encoding
 * is made at most once and shared: a push to a thousand connections encodes
 * the UTF-8 body once and the TCP length prefix once.
 */
export class OutFrame {
  private utf8?: Buffer;
  private tcp?: Buffer;
  private ws?: Buffer;

  constructor(readonly text: string) {}

  static of(frame: ServerFrame): OutFrame {
    return new OutFrame(JSON.stringify(frame));
  }

  /** the JSON as UTF-8 (a WebSocket text frame's payload) */
  bytes(): Buffer {
    return (this.utf8 ??= Buffer.from(this.text, 'utf8'));
  }

  /**
   * The JSON behind its 4-byte length prefix, as a Buffer: a plain
   * Uint8Array would be wrapped in a new Buffer by every socket.write.
   */
  tcpBytes(): Buffer {
    if (!this.tcp) {
      const f = encodeTcpFrame(this.bytes());
      this.tcp = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
    }
    return this.tcp;
  }

  /**
   * The whole WebSocket text frame a server sends (FIN, opcode 1, unmasked),
   * header and payload in one buffer: a push to many connections frames it
   * once, and each socket gets one chunk per frame instead of two. Built by
   * `ws`'s own Sender.frame, so it is the frame `ws.send` would write.
   */
  wsFrameBytes(): Buffer {
    if (!this.ws) {
      const parts = Sender.frame(this.bytes(), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false });
      this.ws = Buffer.concat(parts);
    }
    return this.ws;
  }

  get byteLength(): number {
    return this.bytes().length;
  }
}
