import { UDP_FLAG_MORE, UDP_MAX_PAYLOAD_BYTES, UdpType, encodeUdpDatagram, type UdpDatagram, type UdpTypeCode } from './udp-codec.js';

/**
 * Reliability of one UDP connection, both directions, the same code on the
 * server and in the SDK.
 *
 * Promises:
 * - every frame given to send() reaches the peer's deliver() once, whole and
 *   in send order, or gone() is called: DATA packets are resent with backoff
 *   until acknowledged, at most `maxResends` times each;
 * - duplicates (a resend whose ack was lost, a network duplicate) are dropped
 *   by packet number and acknowledged again;
 * - frames larger than one datagram are split into consecutive packets and
 *   reassembled; an incoming frame over `maxFrameBytes` is skipped whole and
 *   reported through oversize(), and the stream goes on after it;
 * - at most `window` (≤ 32) packets are unacknowledged at once, so every one
 *   of them fits in the ack bits and no ack is ever ambiguous.
 */
export interface UdpChannelOptions {
  /** first retransmission timeout before any round trip was measured (default 300 ms) */
  initialRtoMs: number;
  /** floor of the measured timeout (default 100 ms) */
  minRtoMs: number;
  /** ceiling of the timeout, backoff included (default 5000 ms) */
  maxRtoMs: number;
  /** resends of one packet before the peer is declared gone (default 8) */
  maxResends: number;
  /** unacknowledged packets allowed in flight, 1..32 (default 32) */
  window: number;
  /** largest frame reassembled from the peer (default 65536) */
  maxFrameBytes: number;
  /** acks wait this long for outgoing data to ride on (default 2 ms) */
  ackDelayMs: number;
}

export const DEFAULT_UDP_CHANNEL: UdpChannelOptions = {
  initialRtoMs: 300, minRtoMs: 100, maxRtoMs: 5000, maxResends: 8, window: 32, maxFrameBytes: 65536, ackDelayMs: 2,
};

export interface UdpChannelHooks {
  /** put one datagram on the wire */
  emit(datagram: Uint8Array): void;
  /** one whole frame from the peer, in order */
  deliver(frame: Uint8Array): void;
  /** the peer sent a frame over maxFrameBytes (skipped) */
  oversize(bytes: number): void;
  /** a packet stayed unacknowledged through every resend */
  gone(): void;
  /** nothing is queued or in flight any more */
  drained?(): void;
}

/** Counters of one channel, for metrics and tests. */
export interface UdpChannelStats {
  packetsSent: number;
  /** resends after a timeout or a hole in the acks */
  resends: number;
  /** resends whose ack came too soon to answer them: the first copy was only late */
  spuriousResends: number;
  /** packets of ours the peer acknowledged */
  acked: number;
  /** acknowledgements sent on their own (not riding on data) */
  acksSent: number;
  packetsReceived: number;
  duplicatesDropped: number;
  /** arrived ahead of a missing packet and held for ordering */
  reordered: number;
  framesDelivered: number;
}

interface Outgoing {
  flags: number;
  payload: Uint8Array;
  firstSentAt: number;
  sentAt: number;
  deadline: number;
  resends: number;
  /** timeouts in a row: the exponent of the backoff */
  backoff: number;
  /** the deadline was moved once for a stall since the last transmission */
  extended: boolean;
  /** resent already because later packets were acked */
  fastResent: boolean;
}

/** How far ahead of the next expected packet we keep anything (a sender keeps ≤ 32 in flight). */
const RECEIVE_HORIZON = 64;
/** Later packets acked before a missing one is resent without waiting for its timer. */
const FAST_RESEND_GAP = 3;

export class UdpChannel {
  readonly stats: UdpChannelStats = {
    packetsSent: 0, resends: 0, spuriousResends: 0, acked: 0, acksSent: 0, packetsReceived: 0, duplicatesDropped: 0, reordered: 0, framesDelivered: 0,
  };
  private readonly opts: UdpChannelOptions;
  /* sender */
  private nextPacket = 1;
  private readonly queue: { flags: number; payload: Uint8Array }[] = [];
  private readonly inflight = new Map<number, Outgoing>();
  private lowestUnacked = 1;
  private highestAcked = 0;
  private pendingBytes = 0;
  private srtt = 0;
  private rttvar = 0;
  private rto: number;
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private timerDue = 0;
  /* receiver */
  private cumAck = 0;
  private readonly held = new Map<number, UdpDatagram>();
  private fragments: Uint8Array[] = [];
  private fragmentBytes = 0;
  private skipping = false;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(readonly connId: string, options: Partial<UdpChannelOptions>, private readonly hooks: UdpChannelHooks) {
    this.opts = { ...DEFAULT_UDP_CHANNEL, ...options };
    if (!(this.opts.window >= 1 && this.opts.window <= 32)) throw new RangeError('window must be 1..32');
    this.rto = this.opts.initialRtoMs;
  }

  /** payload bytes accepted by send() and not yet acknowledged */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  get drained(): boolean {
    return this.queue.length === 0 && this.inflight.size === 0;
  }

  /** Queue one frame; it is split when larger than one datagram. */
  send(frame: Uint8Array): void {
    if (this.stopped) return;
    const pieces = Math.max(1, Math.ceil(frame.length / UDP_MAX_PAYLOAD_BYTES));
    for (let k = 0; k < pieces; k++) {
      const payload = frame.subarray(k * UDP_MAX_PAYLOAD_BYTES, (k + 1) * UDP_MAX_PAYLOAD_BYTES);
      this.queue.push({ flags: k < pieces - 1 ? UDP_FLAG_MORE : 0, payload });
    }
    this.pendingBytes += frame.length;
    this.pump();
  }

  /** An unnumbered datagram (ack, ping, close, ...) carrying the current ack fields. */
  control(type: UdpTypeCode, payload?: Uint8Array, padTo = 0): Uint8Array {
    if (type === UdpType.ack || type === UdpType.ping) this.cancelAck();
    return encodeUdpDatagram({ type, flags: 0, connId: this.connId, packet: 0, ...this.ackFields() }, payload, padTo);
  }

  /** A datagram of this connection from the peer (any type): its ack fields, then its data. */
  receive(d: UdpDatagram): void {
    if (this.stopped) return;
    this.applyAck(d.ack, d.ackBits);
    if (d.type === UdpType.data) this.receiveData(d);
  }

  /** Resend everything in flight now (the peer moved to a new address). */
  resendAll(): void {
    const now = Date.now();
    for (const [n, o] of this.inflight) this.transmit(n, o, now, 'moved');
    this.armResendTimer();
  }

  /** Stop every timer; nothing more is sent or delivered. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.resendTimer);
    this.cancelAck();
  }

  /* ---- sender ---- */

  private pump(): void {
    const now = Date.now();
    while (this.queue.length > 0 && this.nextPacket < this.lowestUnacked + this.opts.window) {
      const { flags, payload } = this.queue.shift()!;
      const o: Outgoing = { flags, payload, firstSentAt: now, sentAt: now, deadline: 0, resends: 0, backoff: 0, extended: false, fastResent: false };
      const n = this.nextPacket++;
      this.inflight.set(n, o);
      this.transmit(n, o, now, 'new');
    }
    this.armResendTimer();
  }

  /**
   * Put packet n on the wire. Only timeouts back off: a fast resend (later packets were
   * acked, so the path works) is checked again after about two round trips, since losing
   * it too would otherwise stall the whole window for a backed-off timeout.
   */
  private transmit(n: number, o: Outgoing, now: number, why: 'new' | 'fast' | 'timeout' | 'moved'): void {
    let wait = this.rto;
    if (why !== 'new') {
      o.resends++;
      this.stats.resends++;
    }
    if (why === 'timeout') wait = this.rto * 2 ** ++o.backoff;
    else if (why === 'fast' && this.srtt > 0) wait = Math.min(this.rto, Math.max(this.opts.minRtoMs / 2, 2 * this.srtt));
    o.sentAt = now;
    o.extended = false;
    o.deadline = now + Math.min(this.opts.maxRtoMs, wait);
    this.stats.packetsSent++;
    this.cancelAck(); // the ack rides on this packet
    this.hooks.emit(encodeUdpDatagram({ type: UdpType.data, flags: o.flags, connId: this.connId, packet: n, ...this.ackFields() }, o.payload));
  }

  private applyAck(ack: number, bits: number): void {
    if (this.inflight.size === 0 || ack >= this.nextPacket) return; // nothing to learn, or nonsense from the peer
    const now = Date.now();
    let any = false;
    const take = (n: number) => {
      const o = this.inflight.get(n);
      if (!o) return;
      this.inflight.delete(n);
      this.pendingBytes -= o.payload.length;
      this.stats.acked++;
      any = true;
      if (o.resends === 0) this.sampleRtt(now - o.sentAt); // Karn: only packets sent once
      else if (now - o.sentAt < this.srtt / 2) {
        // Acked too soon to answer the resend: the first copy was only late (a stalled peer
        // or event loop). Learn that delay, or the timeout stays too short and resends again.
        this.stats.spuriousResends++;
        this.sampleRtt(now - o.firstSentAt);
      }
      if (n > this.highestAcked) this.highestAcked = n;
    };
    for (let n = this.lowestUnacked; n <= ack; n++) take(n);
    for (let i = 0; i < 32; i++) if (bits & (1 << i)) take(ack + 2 + i);
    if (!any) return;
    while (this.lowestUnacked < this.nextPacket && !this.inflight.has(this.lowestUnacked)) this.lowestUnacked++;
    // A hole with several later packets acked is a loss, not a delay: resend it without waiting.
    for (const [n, o] of this.inflight) {
      if (n + FAST_RESEND_GAP > this.highestAcked) break;
      if (!o.fastResent) {
        o.fastResent = true;
        this.transmit(n, o, now, 'fast');
      }
    }
    this.pump();
    if (this.drained) this.hooks.drained?.();
  }

  private sampleRtt(ms: number): void {
    // RFC 6298 smoothing
    if (this.srtt === 0) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
    this.rto = Math.min(this.opts.maxRtoMs, Math.max(this.opts.minRtoMs, this.srtt + 4 * this.rttvar));
  }

  private armResendTimer(): void {
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
    if (this.stopped || this.inflight.size === 0) return;
    let first = Infinity;
    for (const o of this.inflight.values()) first = Math.min(first, o.deadline);
    this.timerDue = first;
    // After a stall of the event loop timers run before pending I/O is read; deferring the check
    // past the I/O phase lets acks already waiting in the socket count, instead of resending spuriously.
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined; // fired: never clear it again
      afterIo(() => this.onResendTimer());
    }, Math.max(1, first - Date.now()));
  }

  private onResendTimer(): void {
    if (this.stopped) return;
    const now = Date.now();
    // Fired late: we could not listen meanwhile (a stalled event loop), and the peer's answers
    // may still be on their way. Each transmission's deadline moves by such a stall once.
    const stall = Math.min(now - this.timerDue, this.opts.maxRtoMs);
    let moved = false;
    if (stall > this.rto / 2) {
      for (const o of this.inflight.values()) {
        if (o.deadline > now || o.extended) continue;
        o.extended = true;
        o.deadline += stall;
        moved = true;
      }
    }
    if (moved) return this.armResendTimer();
    for (const [n, o] of this.inflight) {
      if (o.deadline > now) continue;
      if (o.resends >= this.opts.maxResends) {
        this.stop();
        this.hooks.gone();
        return;
      }
      o.fastResent = false;
      this.transmit(n, o, now, 'timeout');
    }
    this.armResendTimer();
  }

  /* ---- receiver ---- */

  private receiveData(d: UdpDatagram): void {
    this.stats.packetsReceived++;
    this.scheduleAck();
    const n = d.packet;
    if (n <= this.cumAck || this.held.has(n)) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (n > this.cumAck + RECEIVE_HORIZON) return; // beyond any honest sender's window: let it be resent
    if (n !== this.cumAck + 1) {
      this.stats.reordered++;
      // The payload is a view into a buffer the socket may reuse: hold a copy.
      this.held.set(n, { ...d, payload: d.payload.slice() });
      return;
    }
    this.accept(d);
    for (let next = this.held.get(this.cumAck + 1); next; next = this.held.get(this.cumAck + 1)) {
      this.held.delete(this.cumAck + 1);
      this.accept(next);
    }
  }

  private accept(d: UdpDatagram): void {
    this.cumAck = d.packet;
    const more = (d.flags & UDP_FLAG_MORE) !== 0;
    if (!this.skipping) {
      this.fragmentBytes += d.payload.length;
      if (this.fragmentBytes > this.opts.maxFrameBytes) {
        this.skipping = true;
        this.fragments = [];
      } else {
        this.fragments.push(more ? d.payload.slice() : d.payload);
      }
    } else {
      this.fragmentBytes += d.payload.length;
    }
    if (more) return;
    const bytes = this.fragmentBytes;
    const parts = this.fragments;
    const skipped = this.skipping;
    this.fragments = [];
    this.fragmentBytes = 0;
    this.skipping = false;
    if (skipped) return this.hooks.oversize(bytes);
    this.stats.framesDelivered++;
    this.hooks.deliver(parts.length === 1 ? parts[0]! : concat(parts, bytes));
  }

  private ackFields(): { ack: number; ackBits: number } {
    let bits = 0;
    if (this.held.size > 0) {
      for (let i = 0; i < 32; i++) if (this.held.has(this.cumAck + 2 + i)) bits |= 1 << i;
    }
    return { ack: this.cumAck, ackBits: bits >>> 0 };
  }

  private scheduleAck(): void {
    if (this.ackTimer !== undefined || this.stopped) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (this.stopped) return;
      this.stats.acksSent++;
      this.hooks.emit(this.control(UdpType.ack));
    }, this.opts.ackDelayMs);
  }

  private cancelAck(): void {
    if (this.ackTimer === undefined) return;
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
  }
}

const afterIo: (f: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (f) => void (globalThis as unknown as { setImmediate(f: () => void): unknown }).setImmediate(f)
    : (f) => void setTimeout(f, 0);

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
