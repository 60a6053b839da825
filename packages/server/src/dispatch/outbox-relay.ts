import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Clock } from '../services/clock.js';
import type { MessageKey, MessageStore, StoredMessage } from '../store/store.js';
import { messageEvent } from './after-commit.js';
import type { EventPublisher } from './event-publisher.js';

export interface OutboxRelayOptions {
  /** a message whose event is still unconfirmed this long after its creation is re-published by a sweep (ms) */
  ageMs: number;
  /** how often the sweep runs (ms); the first runs at `start` */
  sweepMs: number;
  /** outbox rows read per page, and done marks written per store call */
  batch: number;
  /** at most this many events re-published per sweep (the next sweep goes on) */
  maxPerSweep: number;
  /** done marks wait at most this long to be written together (ms) */
  markMs: number;
}

export const DEFAULT_OUTBOX_RELAY: OutboxRelayOptions = { ageMs: 5000, sweepMs: 5000, batch: 500, maxPerSweep: 20_000, markMs: 100 };

/**
 * The outbox's two halves around the store (MessageStore.commitMessages
 * writes a row per stored message in the commit's transaction):
 * - `published(msg)`: the after-commit step published the message's event;
 *   the row is removed, batched (one store call per `batch` marks or per
 *   `markMs`).
 * - the sweep, at `start` and every `sweepMs`: every message whose row is
 *   older than `ageMs` — its process died between commit and publish, or the
 *   bus refused it — is published again, per conversation in seq order, and
 *   marked once the bus took it. A page is published before the next is read,
 *   so a sweep holds at most `batch` events in flight; at most `maxPerSweep`.
 *
 * Guarantee: every committed message's event is published at least once, as
 * long as some process with a relay runs on the store and the bus accepts it
 * eventually. It may be published more than once (a crash after the publish
 * and before the mark; two processes sweeping the same rows; a slow first
 * publish overtaken by a sweep): the event id is the message id, so NATS
 * JetStream drops a repeat within its duplicate window (Nats-Msg-Id) and
 * consumers dedup by id after that. A re-published event may reach the bus
 * after later events of its conversation (the message's seq tells its place),
 * and carries the message as stored now (e.g. already recalled).
 */
export class OutboxRelay {
  private marks: MessageKey[] = [];
  private markTimer: NodeJS.Timeout | null = null;
  private marking: Promise<void> = Promise.resolve();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;
  private stopping = false;
  private closed = false;
  private readonly o: OutboxRelayOptions;

  constructor(
    private readonly d: {
      store: Pick<MessageStore, 'pendingEvents' | 'markEventsPublished'>;
      publisher: EventPublisher;
      clock: Clock;
      log?: Logger;
      metrics?: Metrics;
      options?: Partial<OutboxRelayOptions>;
    },
  ) {
    this.o = { ...DEFAULT_OUTBOX_RELAY, ...d.options };
  }

  /** The message's event is on the bus: its outbox row may go. */
  published(msg: MessageKey): void {
    if (this.closed) return;
    this.marks.push({ app_id: msg.app_id, conv_id: msg.conv_id, seq: msg.seq });
    if (this.marks.length >= this.o.batch) this.writeMarks();
    else this.markTimer ??= setTimeout(() => this.writeMarks(), this.o.markMs);
  }

  /** Sweep now, then every `sweepMs` (the timer does not keep the process alive). */
  start(): void {
    if (this.stopping || this.sweepTimer) return;
    void this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.o.sweepMs);
    this.sweepTimer.unref();
  }

  /**
   * Re-publish what is older than `ageMs` and still unmarked; resolves with
   * how many events it re-published. A sweep already running is joined.
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.runSweep().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  private async runSweep(): Promise<number> {
    const o = this.o;
    const olderThan = this.d.clock() - o.ageMs;
    let after: MessageKey | undefined;
    let count = 0;
    try {
      while (!this.stopping && count < o.maxPerSweep) {
        const page = await this.d.store.pendingEvents({ olderThan, limit: Math.min(o.batch, o.maxPerSweep - count), after });
        if (page.length === 0) break;
        await Promise.all(page.map((m) => this.republish(m)));
        count += page.length;
        const last = page[page.length - 1]!;
        after = { app_id: last.app_id, conv_id: last.conv_id, seq: last.seq };
        if (page.length < o.batch) break;
      }
    } catch (err) {
      this.d.log?.error({ err }, 'outbox sweep failed; the next sweep retries');
    }
    if (count) {
      this.d.metrics?.outboxRepublished.inc(count);
      this.d.log?.warn({ count }, 'outbox: re-published events not confirmed in time');
    }
    return count;
  }

  private async republish(m: StoredMessage): Promise<void> {
    if (await this.d.publisher.publish(messageEvent(m), `${m.app_id}\u0000${m.conv_id}`)) this.published(m);
  }

  /** Write the done marks gathered so far; resolves once the store answered. */
  async flushMarks(): Promise<void> {
    this.writeMarks();
    await this.marking;
  }

  private writeMarks(): void {
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = null;
    const keys = this.marks;
    if (keys.length === 0) return;
    this.marks = [];
    // One store call at a time, in order; a failure leaves the rows for a sweep (a repeat, deduped downstream).
    this.marking = this.marking.then(() => this.d.store.markEventsPublished(keys)).catch((err: unknown) => {
      this.d.log?.warn({ err, count: keys.length }, 'outbox: marking events published failed; a sweep re-publishes them');
    });
  }

  /** Stop sweeping and write the marks gathered so far (graceful shutdown: after the publisher's flush). */
  async close(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.sweeping;
    this.closed = true;
    await this.flushMarks();
  }
}
