import { ParleyError } from '@parley/protocol';
import { timingSafeEqual } from 'node:crypto';
import { UDP_COOKIE_BYTES, UDP_HEADER_BYTES, UdpChannel, UdpType, encodeUdpClose, randomCookie, type UdpChannelOptions, type UdpDatagram } from '@parley/protocol/udp';
import type { OutFrame } from './out-frame.js';
import type { Session } from './session.js';
import { packOutFrame, unpackClientFrame } from './udp-frame-codec.js';
import type { Wire } from './wire.js';

export interface UdpAddress {
  address: string;
  port: number;
}

/** What a UDP wire needs from its listener. */
export interface UdpWireHost {
  channel: Partial<UdpChannelOptions>;
  /** a connection that sent nothing for this long is forgotten */
  idleMs: number;
  send(datagram: Uint8Array, to: UdpAddress): void;
  count(event: string, n?: number): void;
  /** the wire is gone: forget its connection id */
  forget(wire: UdpWire): void;
}

/**
 * One UDP client connection under a Session: the reliability channel turns
 * datagrams into ordered frames and back. Session does auth, heartbeat,
 * limits and routing exactly as for WebSocket and TCP.
 *
 * Anti-amplification: until the session is authenticated *and* its address is
 * validated, the bytes sent to the peer never exceed the bytes received from
 * it (the HELLO alone is 1,200 bytes, enough for the auth answer); a datagram
 * over that credit is not sent now and goes out with the channel's next
 * resend, once the client sent more. A token says who the client is, not that
 * it receives at the address it sends from: anyone with a token of their own
 * could otherwise spoof a victim's address and have the server send it large
 * answers. The address is validated when the client echoes, in a PING, the
 * random cookie of our HELLO_OK (REBIND_OK after a move); while data is held
 * back unvalidated, the cookie is sent again (HELLO_OK) once per datagram
 * received, and the last bytes of credit are kept for that reminder.
 */
export class UdpWire implements Wire {
  readonly kind = 'udp';
  readonly channel: UdpChannel;
  session: Session | undefined;
  private addr: UdpAddress;
  private credit = 0;
  private cookie = randomCookie();
  private validated = false;
  /** a cookie reminder went out since the peer's last datagram */
  private reminded = false;
  /** something was held back for lack of credit: resend it all once validated */
  private held = false;
  private closing: { code: number; reason: string } | undefined;
  private done = false;
  private readonly idleTimer: NodeJS.Timeout;

  constructor(readonly connId: string, addr: UdpAddress, private readonly host: UdpWireHost) {
    this.addr = addr;
    this.channel = new UdpChannel(connId, host.channel, {
      emit: (d) => this.emit(d),
      deliver: (bytes) => this.deliver(bytes),
      oversize: (bytes) => this.session?.reject(new ParleyError('frame_too_large', `frame of ${bytes} bytes exceeds ${host.channel.maxFrameBytes ?? 65536} bytes`)),
      gone: () => {
        this.host.count('gone');
        this.destroy();
      },
      drained: () => {
        if (this.closing) this.finish();
      },
    });
    this.idleTimer = setTimeout(() => {
      this.host.count('idle_expired');
      this.destroy();
    }, host.idleMs).unref();
  }

  get remote(): string {
    return `${this.addr.address}:${this.addr.port}`;
  }

  get address(): UdpAddress {
    return this.addr;
  }

  get authenticated(): boolean {
    return this.session?.info !== undefined;
  }

  /** sends are bounded by the credit: not yet both authenticated and at a validated address */
  private get limited(): boolean {
    return !this.validated || !this.authenticated;
  }

  /* ---- Wire ---- */

  bufferedBytes(): number {
    return this.channel.bufferedBytes;
  }

  write(frame: OutFrame): void {
    if (this.closing || this.done) return;
    this.channel.send(packOutFrame(frame));
  }

  close(code: number, reason: string): void {
    if (this.closing || this.done) return;
    this.closing = { code, reason };
    if (this.channel.drained) this.finish();
    // otherwise once the peer acked everything (drained), or the session's grace timer destroys us
  }

  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.channel.stop();
    clearTimeout(this.idleTimer);
    this.host.forget(this);
    this.session?.wireClosed();
  }

  /* ---- from the listener ---- */

  /** A datagram of this connection from its current address. */
  receive(d: UdpDatagram, size: number): void {
    if (this.done) return;
    this.idleTimer.refresh();
    if (this.limited) this.credit += size;
    this.reminded = false;
    switch (d.type) {
      case UdpType.data:
      case UdpType.ack:
        this.channel.receive(d);
        return;
      case UdpType.ping:
        this.channel.receive(d);
        this.session?.touch();
        if (!this.validated && d.payload.length === UDP_COOKIE_BYTES && timingSafeEqual(d.payload, this.cookie)) this.validate();
        this.emit(this.channel.control(UdpType.ack));
        return;
      case UdpType.hello: // our hello_ok was lost
        this.emit(this.channel.control(UdpType.hello_ok, this.cookie));
        return;
      case UdpType.rebind: // our rebind_ok was lost
        this.emit(this.channel.control(UdpType.rebind_ok, this.cookie));
        return;
      case UdpType.close:
        this.channel.receive(d);
        this.destroy();
        return;
      default:
        this.host.count('unexpected_type');
    }
  }

  /**
   * The session proved itself from a new address (a REBIND of `size` bytes): move there and
   * resend what is in flight, within the credit of the new address until it is validated.
   */
  moveTo(addr: UdpAddress, size: number): void {
    if (this.done) return;
    this.addr = addr;
    this.idleTimer.refresh();
    this.cookie = randomCookie();
    this.validated = false;
    this.credit = size;
    this.reminded = false;
    this.emit(this.channel.control(UdpType.rebind_ok, this.cookie));
    this.channel.resendAll();
  }

  private validate(): void {
    this.validated = true;
    this.host.count('address_validated');
    if (!this.held) return;
    this.held = false;
    this.channel.resendAll();
  }

  private finish(): void {
    if (this.done) return;
    const { code, reason } = this.closing!;
    const bye = this.channel.control(UdpType.close, encodeUdpClose(code, reason));
    // Unacknowledged: sent twice so one loss does not leave the client waiting for its heartbeat.
    this.emit(bye);
    this.emit(bye);
    this.destroy();
  }

  private emit(datagram: Uint8Array): void {
    if (this.limited) {
      // Unvalidated, the last bytes of credit are kept for the cookie reminder.
      const reserve = this.validated ? 0 : REMINDER_BYTES;
      if (datagram.length + reserve > this.credit) {
        this.host.count('amplification_held');
        this.held = true;
        this.remind();
        return;
      }
      this.credit -= datagram.length;
    }
    this.host.send(datagram, this.addr);
  }

  /** Held back for want of a validated address: send the cookie again, once per datagram received. */
  private remind(): void {
    if (this.validated || this.reminded || this.credit < REMINDER_BYTES) return;
    this.reminded = true;
    this.credit -= REMINDER_BYTES;
    this.host.count('cookie_resent');
    this.host.send(this.channel.control(UdpType.hello_ok, this.cookie), this.addr);
  }

  private deliver(bytes: Uint8Array): void {
    const s = this.session;
    if (!s) return;
    const text = unpackClientFrame(bytes);
    if (typeof text === 'string') s.receive(text);
    else {
      this.host.count('bad_frame');
      s.reject(text);
    }
  }
}

/** HELLO_OK with its cookie: header and 8 bytes */
const REMINDER_BYTES = UDP_HEADER_BYTES + UDP_COOKIE_BYTES;
