import type { SendAck, SendFrame } from '@parley/protocol';

/** What the app asks to send; `cmid` is generated when absent. */
export type SendInput = Omit<SendFrame, 'op' | 'id' | 'cmid'> & { cmid?: string };
/** A send as it sits in the outbox, with its final cmid. */
export type OutgoingMessage = Omit<SendFrame, 'op' | 'id'>;

/** A snapshot of one unacked send, for `pendingSends()`. */
export interface PendingSend {
  message: OutgoingMessage;
  /** how many times it was written to a connection so far */
  attempts: number;
  queuedAt: number;
}

export interface OutboxEntry {
  readonly message: OutgoingMessage;
  readonly promise: Promise<SendAck>;
  readonly queuedAt: number;
  attempts: number;
  /** a retry scheduled after a retryable error on a still-open connection */
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Settlers {
  resolve(ack: SendAck): void;
  reject(err: Error): void;
}

/**
 * Unacked sends in the order the app issued them (a Map iterates in insertion
 * order). An entry leaves only by its ack, a non-retryable refusal or the
 * client closing, so a resend after any disconnect carries the same cmid and
 * the server's dedup turns it into the original ack: at-least-once on the
 * wire, exactly-once for the app.
 */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry & Settlers>();

  /** Queue a message; a cmid already queued returns the existing entry (a double send is one send). */
  add(message: OutgoingMessage): { entry: OutboxEntry; added: boolean } {
    const existing = this.entries.get(message.cmid);
    if (existing) return { entry: existing, added: false };
    let settlers!: Settlers;
    const promise = new Promise<SendAck>((resolve, reject) => (settlers = { resolve, reject }));
    // An app that only watches 'ack' events must not get unhandled rejections.
    promise.catch(() => undefined);
    const entry = { message, promise, queuedAt: Date.now(), attempts: 0, retryTimer: undefined, ...settlers };
    this.entries.set(message.cmid, entry);
    return { entry, added: true };
  }

  has(cmid: string): boolean {
    return this.entries.has(cmid);
  }

  /** Resolve and remove; false when the cmid was already settled (a second ack of a resend). */
  ack(cmid: string, ack: SendAck): boolean {
    const e = this.take(cmid);
    if (!e) return false;
    e.resolve(ack);
    return true;
  }

  reject(cmid: string, err: Error): boolean {
    const e = this.take(cmid);
    if (!e) return false;
    e.reject(err);
    return true;
  }

  rejectAll(err: Error): void {
    for (const cmid of [...this.entries.keys()]) this.reject(cmid, err);
  }

  /** In issue order. */
  list(): OutboxEntry[] {
    return [...this.entries.values()];
  }

  clearRetries(): void {
    for (const e of this.entries.values()) {
      clearTimeout(e.retryTimer);
      e.retryTimer = undefined;
    }
  }

  snapshot(): PendingSend[] {
    return this.list().map((e) => ({ message: e.message, attempts: e.attempts, queuedAt: e.queuedAt }));
  }

  get size(): number {
    return this.entries.size;
  }

  private take(cmid: string): (OutboxEntry & Settlers) | undefined {
    const e = this.entries.get(cmid);
    if (!e) return undefined;
    this.entries.delete(cmid);
    clearTimeout(e.retryTimer);
    return e;
  }
}

let counter = 0;

/** A fresh client message id: a UUID where the platform has one, else time + randomness + a counter. */
export function newCmid(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  counter = (counter + 1) % 0x100000;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${counter.toString(36)}`;
}
