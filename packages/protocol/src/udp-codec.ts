/**
 * UDP datagram layout for native clients on lossy networks (docs/protocol.md
 * "UDP"). Every datagram is a fixed 24-byte header, then a payload:
 *
 *   0      magic 0x50 ('P')
 *   1      version (high nibble, 1) | type (low nibble)
 *   2      flags (bit 0 MORE: the frame continues in the next packet)
 *   3      0 (reserved)
 *   4..11  connection id, 8 bytes chosen at random by the client
 *   12..15 packet number, uint32 BE; 0 on unnumbered types
 *   16..19 ack: every packet of the other direction numbered ≤ this arrived
 *   20..23 ack bits: bit i set = packet ack+2+i arrived too (ack+1 is missing)
 *
 * Only DATA is numbered (acknowledged, resent, deduplicated, delivered in
 * order); every type carries the ack fields, so acks ride on whatever goes
 * out. The handshakes (HELLO, REBIND) are repeated by the client until answered.
 * Works on Uint8Array so it runs in any JavaScript runtime.
 */
export const UDP_MAGIC = 0x50;
export const UDP_VERSION = 1;
export const UDP_HEADER_BYTES = 24;
/** Largest datagram either side sends: fits the IPv6 minimum MTU with room for tunnels. */
export const UDP_MAX_DATAGRAM_BYTES = 1200;
export const UDP_MAX_PAYLOAD_BYTES = UDP_MAX_DATAGRAM_BYTES - UDP_HEADER_BYTES;
/** A HELLO shorter than this is dropped: it pays for every reply sent before auth. */
export const UDP_HELLO_MIN_BYTES = UDP_MAX_DATAGRAM_BYTES;
export const UDP_CONN_ID_BYTES = 8;
/**
 * HELLO_OK and REBIND_OK carry a random cookie that the client echoes in a PING: proof that it
 * receives at the address it sends from. Until then the server sends that address no more
 * bytes than it received from it, whatever token the client showed.
 */
export const UDP_COOKIE_BYTES = 8;

export const UdpType = {
  /** client → server: open a connection (padded to UDP_HELLO_MIN_BYTES) */
  hello: 1,
  /** server → client: connection open; payload the address cookie (repeated while the client has not echoed it) */
  hello_ok: 2,
  /** a piece of one protocol frame (MessagePack), numbered */
  data: 3,
  /** acknowledgement only; header only */
  ack: 4,
  /** keepalive (NAT mapping); answered by an ack; payload the last cookie received (may be empty) */
  ping: 5,
  /** either side: the connection is over; payload uint16 close code + UTF-8 reason */
  close: 6,
  /** server → client: this connection id is unknown here; header only */
  reset: 7,
  /** server → client: a datagram of yours came from a new address; prove it is you */
  prove: 8,
  /** client → server: the session's token (UTF-8); switches the session to this address */
  rebind: 9,
  /** server → client: the new address is accepted; payload the cookie of the new address */
  rebind_ok: 10,
} as const;
export type UdpTypeCode = (typeof UdpType)[keyof typeof UdpType];
const MAX_TYPE = 10;

export const UDP_FLAG_MORE = 0x01;

export interface UdpHeader {
  type: UdpTypeCode;
  flags: number;
  /** 16 hex chars: easy to use as a map key */
  connId: string;
  packet: number;
  ack: number;
  ackBits: number;
}

export interface UdpDatagram extends UdpHeader {
  payload: Uint8Array;
}

/** Why a datagram was refused, as counted by the receiver. */
export type UdpGarbage = 'short' | 'magic' | 'version' | 'type' | 'flags';

export function encodeUdpDatagram(h: UdpHeader, payload: Uint8Array = EMPTY, padTo = 0): Uint8Array {
  const out = new Uint8Array(Math.max(UDP_HEADER_BYTES + payload.length, padTo));
  const v = new DataView(out.buffer);
  out[0] = UDP_MAGIC;
  out[1] = (UDP_VERSION << 4) | h.type;
  out[2] = h.flags;
  out[3] = 0;
  writeConnId(out, h.connId);
  v.setUint32(12, h.packet >>> 0, false);
  v.setUint32(16, h.ack >>> 0, false);
  v.setUint32(20, h.ackBits >>> 0, false);
  out.set(payload, UDP_HEADER_BYTES);
  return out;
}

/** Parse a datagram; a string says why it is garbage. The payload is a view, not a copy. */
export function decodeUdpDatagram(buf: Uint8Array): UdpDatagram | UdpGarbage {
  if (buf.length < UDP_HEADER_BYTES) return 'short';
  if (buf[0] !== UDP_MAGIC) return 'magic';
  if (buf[1]! >> 4 !== UDP_VERSION) return 'version';
  const type = buf[1]! & 0x0f;
  if (type < 1 || type > MAX_TYPE) return 'type';
  const flags = buf[2]!;
  if ((flags & ~UDP_FLAG_MORE) !== 0 || buf[3] !== 0) return 'flags';
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const packet = v.getUint32(12, false);
  if ((type === UdpType.data) !== (packet !== 0)) return 'flags';
  if (flags !== 0 && type !== UdpType.data) return 'flags';
  return {
    type: type as UdpTypeCode, flags, connId: readConnId(buf), packet,
    ack: v.getUint32(16, false), ackBits: v.getUint32(20, false),
    payload: buf.subarray(UDP_HEADER_BYTES),
  };
}

/** The close payload: code and a short reason. */
export function encodeUdpClose(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason.slice(0, 120));
  const out = new Uint8Array(2 + text.length);
  new DataView(out.buffer).setUint16(0, code, false);
  out.set(text, 2);
  return out;
}

export function decodeUdpClose(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1006, reason: '' };
  const code = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint16(0, false);
  return { code, reason: new TextDecoder().decode(payload.subarray(2)) };
}

export function randomCookie(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(UDP_COOKIE_BYTES));
}

export function randomConnId(): string {
  const b = new Uint8Array(UDP_CONN_ID_BYTES);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const EMPTY = new Uint8Array(0);

function writeConnId(out: Uint8Array, id: string): void {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new RangeError(`connection id must be 16 hex chars: ${id}`);
  for (let i = 0; i < UDP_CONN_ID_BYTES; i++) out[4 + i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
}

function readConnId(buf: Uint8Array): string {
  let s = '';
  for (let i = 4; i < 12; i++) s += buf[i]!.toString(16).padStart(2, '0');
  return s;
}
