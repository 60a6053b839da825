import type { MsgPush, NoticeContent } from '@parley/protocol';
import type { Logger } from 'pino';
import type { ParleyEvent } from '../bus/event-bus.js';
import type { ConnRef, Location } from '../location/location.js';
import type { Metrics } from '../metrics.js';
import { toWire } from '../services/message-view.js';
import type { StoredMessage } from '../store/store.js';
import type { EventPublisher } from './event-publisher.js';
import type { OutboxRelay } from './outbox-relay.js';
import type { Pusher } from './pusher.js';

/** Who gets a committed message pushed: the conversation's members, except the sending connection (it gets the ack). */
export interface Delivery {
  recipients: readonly string[];
  exceptConn?: string;
}

export interface CommittedMessage {
  msg: StoredMessage;
  delivery: Delivery;
}

/**
 * What happens after a batch is committed (DESIGN §4): one location lookup
 * per app for the union of the batch's recipients, then, message by message
 * in the order given (the committer gives seq order within each
 * conversation), the push — one downstream message per link, the payload
 * encoded once — and the event, published in the same order per conversation
 * (EventPublisher). Nothing here depends on how fast the location or the bus
 * answers: the order is that of the loop, not of promise resolution. Each
 * event the bus took is reported to the outbox relay (its row goes); one it
 * refused stays in the outbox and a later sweep publishes it again.
 *
 * Pushes are best effort: a failed lookup is logged and counted and the batch
 * is not pushed (clients gap-fill); its events are still published.
 */
export class AfterCommit {
  constructor(
    private readonly d: { location: Location; pusher: Pusher; publisher: EventPublisher; outbox?: OutboxRelay; log?: Logger; metrics?: Metrics },
  ) {}

  async run(items: readonly CommittedMessage[]): Promise<void> {
    if (items.length === 0) return;
    const started = performance.now();
    const conns = await this.lookup(items);
    for (const { msg, delivery } of items) {
      const push: MsgPush = { op: 'msg', msg: toWire(msg) };
      const byUser = conns.get(msg.app_id);
      if (byUser) {
        const targets: ConnRef[] = [];
        for (const u of delivery.recipients) {
          const list = byUser.get(u);
          if (list) for (const c of list) targets.push(c);
        }
        this.d.pusher.toConns(targets, JSON.stringify(push), delivery.exceptConn);
      }
      const published = this.d.publisher.publish(messageEvent(msg, push.msg), `${msg.app_id}\u0000${msg.conv_id}`);
      const outbox = this.d.outbox;
      if (outbox) void published.then((ok) => ok && outbox.published(msg));
    }
    this.d.metrics?.pushSeconds.observe((performance.now() - started) / 1000);
  }

  /** app → user → connections, for every recipient of the batch, in one lookup per app. */
  private async lookup(items: readonly CommittedMessage[]): Promise<Map<string, Map<string, ConnRef[]>>> {
    const users = new Map<string, Set<string>>();
    for (const { msg, delivery } of items) {
      let set = users.get(msg.app_id);
      if (!set) users.set(msg.app_id, (set = new Set()));
      for (const u of delivery.recipients) set.add(u);
    }
    const out = new Map<string, Map<string, ConnRef[]>>();
    await Promise.all([...users].map(async ([app, set]) => {
      try {
        const found = await this.d.location.lookup(app, [...set]);
        const byUser = new Map<string, ConnRef[]>();
        for (const c of found) {
          const list = byUser.get(c.user_id);
          if (list) list.push(c);
          else byUser.set(c.user_id, [c]);
        }
        out.set(app, byUser);
      } catch (err) {
        this.d.metrics?.deliveryFailures.inc();
        this.d.log?.error({ err, app }, 'location lookup failed; the batch is committed but not pushed');
      }
    }));
    return out;
  }
}

/** A stored message's event; its id is the message id (the bus's and consumers' de-dup id). */
export function messageEvent(msg: StoredMessage, wire: MsgPush['msg'] = toWire(msg)): ParleyEvent {
  const recall = msg.type === 'notice' && (msg.content as NoticeContent).kind === 'recall';
  return { id: msg.msg_id, type: recall ? 'message.recalled' : 'message.created', app_id: msg.app_id, at: msg.created_at, data: { message: wire } };
}
