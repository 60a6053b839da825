import { createHash, randomBytes } from 'node:crypto';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, JetStreamApiError, jetstream, jetstreamManager, RetentionPolicy, StorageType,
  type ConsumerConfig, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg,
} from '@nats-io/jetstream';
import type { EventBus, EventHandler, ParleyEvent, SubscribeOptions } from './event-bus.js';
import { StartError } from '../startup/start-errors.js';

/**
 * The event bus on NATS JetStream: durable, at-least-once, shared by every
 * process of the cluster.
 *
 * Layout: ONE stream (`stream`, default PARLEY_EVENTS) with a subject per
 * app, `<subjectPrefix>.<app>.events` (app id with '.' written as '~', which
 * ids never contain). One stream rather than one per app because apps are
 * created at run time by the API: a stream per app would need an admin
 * operation (and server resources, limits, monitoring) per app, while one
 * stream with per-app subjects gives per-app consumers through subject
 * filters, '*' through a wildcard filter, and one place for retention.
 *
 * - `publish` waits for the stream's ack and sets the event id as the
 *   de-duplication id (Nats-Msg-Id): an event published twice within the
 *   stream's duplicate window (a retry, an outbox re-sent after a crash) is
 *   stored once.
 * - `subscribe` with a `group`: a durable pull consumer named for the group
 *   and app, shared by every process subscribing with that group — each
 *   event goes to one of them (webhooks are sent once per cluster, not once
 *   per process) and events published while all were down wait for them. A
 *   new group starts with events published after it was first created.
 * - `subscribe` without a group: a consumer of its own (every such
 *   subscription sees every event published after it subscribed), deleted
 *   on unsubscribe, and by the server after `inactiveMs` if the process died.
 * - A handler that throws or rejects gets the event again after
 *   `retryDelayMs` × attempt, up to `maxDeliver` deliveries in all; then the
 *   event is terminated and reported (never an endless loop). A process that
 *   dies mid-handler leaves the event to be redelivered after `ackWaitMs`;
 *   a live but slow handler keeps its event (progress is reported every
 *   ackWaitMs / 2).
 *   One subscription handles its events one at a time, in stream order
 *   (redeliveries come later, out of order).
 * Limits: app ids must be protocol ids ([A-Za-z0-9_.-]).
 */
export interface NatsEventBusOptions {
  /** JetStream stream name (default PARLEY_EVENTS) */
  stream?: string;
  /** first subject token (default `parley`); two streams on one server need different prefixes */
  subjectPrefix?: string;
  /** how long the stream keeps events (default 7 days) */
  maxAgeMs?: number;
  /** de-duplication window for event ids (default 2 min) */
  duplicateWindowMs?: number;
  /** an unacked delivery is redelivered after this long (default 30 s) */
  ackWaitMs?: number;
  /** deliveries per event at most, first included (default 5) */
  maxDeliver?: number;
  /** delay before redelivering a failed event, times the attempt number (default 1 s) */
  retryDelayMs?: number;
  /** an ungrouped subscription's consumer is removed this long after its process stopped pulling (default 1 h) */
  inactiveMs?: number;
  /** events fetched per pull (default 16): small, so a group's members share the load */
  batch?: number;
  /** handler failures (with `final` when the event will not be redelivered) */
  onHandlerError?: (err: unknown, event: ParleyEvent | undefined, final: boolean) => void;
}

const APP_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const GROUP = /^[A-Za-z0-9_-]{1,64}$/;

export class NatsEventBus implements EventBus {
  private readonly subs = new Set<ConsumerMessages>();
  private closed = false;
  private ownConnection: NatsConnection | undefined;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly prefix: string,
    private readonly o: Required<Omit<NatsEventBusOptions, 'stream' | 'subjectPrefix' | 'onHandlerError'>> & Pick<NatsEventBusOptions, 'onHandlerError'>,
  ) {}

  /** Connects to `url` and starts; `close` then closes the connection too (the composition root's way). */
  static async connect(url: string, options: NatsEventBusOptions = {}): Promise<NatsEventBus> {
    const nc = await connect({ servers: url, name: 'parley' }).catch((err: Error & { code?: string }) => {
      throw new StartError(`--nats-url ${url}: NATS did not answer (${err.code ?? err.message}); check that it runs and the URL`);
    });
    try {
      const bus = await NatsEventBus.start(nc, options);
      bus.ownConnection = nc;
      return bus;
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** Creates the stream if it does not exist (an existing one is used as configured). `nc` is owned by the caller. */
  static async start(nc: NatsConnection, options: NatsEventBusOptions = {}): Promise<NatsEventBus> {
    const stream = options.stream ?? 'PARLEY_EVENTS';
    const prefix = options.subjectPrefix ?? 'parley';
    const jsm = await jetstreamManager(nc);
    const o = {
      maxAgeMs: options.maxAgeMs ?? 7 * 86_400_000,
      duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      maxDeliver: options.maxDeliver ?? 5,
      retryDelayMs: options.retryDelayMs ?? 1000,
      inactiveMs: options.inactiveMs ?? 3_600_000,
      batch: options.batch ?? 16,
      onHandlerError: options.onHandlerError,
    };
    try {
      await jsm.streams.info(stream);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add({
        name: stream, subjects: [`${prefix}.*.events`], retention: RetentionPolicy.Limits, storage: StorageType.File,
        max_age: nanos(o.maxAgeMs), duplicate_window: nanos(o.duplicateWindowMs),
      });
    }
    return new NatsEventBus(jetstream(nc), jsm, stream, prefix, o);
  }

  private subject(appId: string): string {
    if (appId === '*') return `${this.prefix}.*.events`;
    if (!APP_ID.test(appId)) throw new Error(`event bus: app id ${JSON.stringify(appId)} is not a protocol id`);
    return `${this.prefix}.${appId.replaceAll('.', '~')}.events`;
  }

  async publish(event: ParleyEvent): Promise<void> {
    if (this.closed) throw new Error('event bus closed');
    await this.js.publish(this.subject(event.app_id), JSON.stringify(event), { msgID: event.id });
  }

  async subscribe(appId: string, handler: EventHandler, options: SubscribeOptions = {}): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('event bus closed');
    const filter = this.subject(appId);
    const config: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, filter_subject: filter,
      ack_wait: nanos(this.o.ackWaitMs), max_deliver: this.o.maxDeliver,
    };
    let name: string;
    if (options.group !== undefined) {
      if (!GROUP.test(options.group)) throw new Error(`event bus: group ${JSON.stringify(options.group)} must match ${GROUP}`);
      name = `${options.group}_${createHash('sha256').update(appId).digest('hex').slice(0, 16)}`;
      await this.ensureDurable(name, { ...config, durable_name: name, description: `parley ${options.group} for app ${appId}` });
    } else {
      name = `sub_${randomBytes(8).toString('hex')}`;
      await this.jsm.consumers.add(this.stream, { ...config, name, inactive_threshold: nanos(this.o.inactiveMs) });
    }
    const consumer = await this.js.consumers.get(this.stream, name);
    const messages = await consumer.consume({ max_messages: this.o.batch });
    this.subs.add(messages);
    const done = (async () => {
      for await (const m of messages) await this.handle(m, handler);
    })().catch((err) => this.o.onHandlerError?.(err, undefined, true));
    return async () => {
      if (!this.subs.delete(messages)) return;
      messages.stop();
      await done;
      if (options.group === undefined) await this.jsm.consumers.delete(this.stream, name).catch(() => {});
    };
  }

  /** Two processes may create a group's consumer at once: creating an identical one again is not an error for JetStream. */
  private async ensureDurable(name: string, config: Partial<ConsumerConfig>): Promise<void> {
    try {
      await this.jsm.consumers.info(this.stream, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.jsm.consumers.add(this.stream, config);
    }
  }

  private async handle(m: JsMsg, handler: EventHandler): Promise<void> {
    let event: ParleyEvent | undefined;
    // A slow handler (a webhook with retries) tells the server it is still working, so the event is not redelivered meanwhile.
    const working = setInterval(() => m.working(), Math.max(100, Math.floor(this.o.ackWaitMs / 2)));
    try {
      event = m.json<ParleyEvent>();
      await handler(event);
      m.ack();
    } catch (err) {
      const attempt = m.info.deliveryCount;
      const final = event === undefined || attempt >= this.o.maxDeliver;
      if (final) m.term(event === undefined ? 'not a parley event' : 'handler failed on every delivery');
      else m.nak(this.o.retryDelayMs * attempt);
      this.o.onHandlerError?.(err, event, final);
    } finally {
      clearInterval(working);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const m of this.subs) m.stop();
    this.subs.clear();
    // drain: publishes and acks in flight reach the server before the connection closes
    if (this.ownConnection) await this.ownConnection.drain().catch(() => this.ownConnection?.close());
  }
}

function isNotFound(err: unknown): boolean {
  // 10059: stream not found, 10014: consumer not found
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}
