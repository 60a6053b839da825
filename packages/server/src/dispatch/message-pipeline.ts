import { randomBytes } from 'node:crypto';
import {
  ParleyError,
  type ConvType, type NoticeContent, type SendAck, type SendableType,
} from '@parley/protocol';
import { checkContent } from '@parley/protocol/validate';
import type { Metrics } from '../metrics.js';
import type { SeqAllocator } from '../seq/seq-allocator.js';
import type { Clock } from '../services/clock.js';
import type { GroupChatService } from '../services/group-chat.js';
import type { Membership } from '../services/membership.js';
import type { NoticeWriter, Route } from '../services/notice-writer.js';
import type { SingleChatService } from '../services/single-chat.js';
import type { Store, StoredMessage } from '../store/store.js';
import type { GroupCommitter } from './group-commit.js';
import { OrderedSeq } from './ordered-seq.js';
import { RecentAcks } from './recent-acks.js';

export interface SendInput {
  app_id: string;
  sender: string;
  /** the sending connection: its own push is skipped (it gets the ack) */
  conn_id?: string;
  cmid: string;
  conv_type: 'single' | 'group';
  to: string;
  type: SendableType;
  content: unknown;
  mentions?: string[];
  reply_to?: number;
}

/** What `accept` hands back: the ack arrives once the message is committed. */
export interface Accepted {
  committed: Promise<SendAck>;
}

// A random per-process part plus a counter keeps ids unique across processes and restarts
// without paying for a crypto call per message (it showed in the send path's profile).
const processTag = randomBytes(4).toString('hex');
let counter = 0;
/** Time-ordered, unique server message id. */
export function newMsgId(now: number): string {
  counter = (counter + 1) % 0x1000000;
  return `m${now.toString(36)}${counter.toString(36).padStart(5, '0')}${processTag}`;
}

/**
 * The send path (DESIGN §4): check → seq → group commit (which dedups on
 * (app, sender, cmid)) → ack → push → event. `accept` does the ordered part
 * (everything up to handing the message to the committer) so a connection's
 * messages get seqs in the order they were sent; the returned promise settles
 * after the commit, so many messages of one connection can be in flight at once.
 *
 * Dedup costs no read on the common path: a resend of a message that is still
 * being committed joins it (the in-flight map); any other resend goes through
 * the access checks and gets a seq like a new message, and the commit finds
 * its cmid taken, stores nothing and hands back the original, whose ack is
 * returned (`duplicate: true`, nothing pushed). Its seq is left as a gap.
 * A resend after a lost ack usually comes within seconds, so recent acks are
 * kept in a bounded map and answered without a seq at all: gaps (which would
 * inflate unread counts) only come from resends that outlive the map or a restart.
 */
export class MessagePipeline implements NoticeWriter {
  /** sends handed to the committer but not yet committed, by app/sender/cmid: a resend joins the first */
  private readonly inflight = new Map<string, Promise<SendAck>>();
  /** acks of recently committed messages by app/sender/cmid, bounded in O(1) */
  private readonly recent = new RecentAcks(50_000);
  /** seqs of one conversation in the order the sends were accepted, whatever the allocator's answer order */
  private readonly seqs: OrderedSeq;

  constructor(
    private readonly deps: {
      store: Store;
      seq: SeqAllocator;
      committer: GroupCommitter;
      single: SingleChatService;
      groups: GroupChatService;
      membership: Membership;
      metrics?: Metrics;
      clock: Clock;
      maxContentBytes: number;
    },
  ) {
    this.seqs = new OrderedSeq(deps.seq);
  }

  async accept(input: SendInput): Promise<Accepted> {
    const { deps } = this;
    const contentError = checkContent(input.type, input.content);
    if (contentError) throw contentError;
    if (Buffer.byteLength(JSON.stringify(input.content)) > deps.maxContentBytes) {
      throw new ParleyError('content_too_large', `content exceeds ${deps.maxContentBytes} bytes`);
    }
    const key = `${input.app_id}\u0000${input.sender}\u0000${input.cmid}`;
    const joined = this.inflight.get(key);
    if (joined) return { committed: joined.then((ack) => ({ ...ack, duplicate: true })) };
    const done = this.recent.get(key);
    if (done) return { committed: Promise.resolve({ ...done, duplicate: true }) };

    const route = input.conv_type === 'single'
      ? await deps.single.route(input.app_id, input.sender, input.to)
      : await deps.groups.route(input.app_id, input.sender, input.to);
    if (input.mentions?.length || input.reply_to !== undefined) await this.checkReferences(input, route);
    await route.open?.();

    // Checked again: a resend on another connection may have got here during the awaits above.
    const again = this.inflight.get(key);
    if (again) return { committed: again.then((ack) => ({ ...ack, duplicate: true })) };
    const mentions = input.mentions?.length ? [...new Set(input.mentions)] : undefined;
    const committed = this.write(route, {
      app_id: input.app_id, conv_id: route.convId, sender: input.sender, cmid: input.cmid, type: input.type,
      content: input.content, mentions, reply_to: input.reply_to,
    }, input.conn_id);
    this.inflight.set(key, committed);
    committed.then(
      (ack) => {
        this.inflight.delete(key);
        this.remember(key, ack);
      },
      () => this.inflight.delete(key),
    );
    return { committed };
  }

  private remember(key: string, ack: SendAck): void {
    // kept as is: a hit is answered as a copy marked duplicate
    this.recent.set(key, ack);
  }

  /** Send and wait for the commit (the HTTP API's path). */
  async send(input: SendInput): Promise<SendAck> {
    return (await this.accept(input)).committed;
  }

  async postNotice(appId: string, convId: string, convType: ConvType, sender: string, content: NoticeContent): Promise<StoredMessage> {
    const members = await this.deps.membership.members(appId, convId);
    const route: Route = { convId, convType, recipients: [...members.keys()] };
    const cmid = `notice-${newMsgId(this.deps.clock())}`;
    let stored: StoredMessage | undefined;
    await this.write(route, { app_id: appId, conv_id: convId, sender, cmid, type: 'notice', content }, undefined, (m) => (stored = m));
    return stored!;
  }

  /**
   * Seq, then commit; the committer's after-commit step pushes and publishes
   * (in seq order per conversation). Resolves with the ack after the commit;
   * for a duplicate cmid, with the original's ack and nothing pushed or
   * published. A seq found taken at commit (another allocator handed it out)
   * gets a new seq and is committed again, a few times at most; it may then
   * land after messages enqueued behind it.
   */
  private async write(
    route: Route,
    m: Pick<StoredMessage, 'app_id' | 'conv_id' | 'sender' | 'cmid' | 'type' | 'content' | 'mentions' | 'reply_to'>,
    exceptConn: string | undefined,
    onStored?: (m: StoredMessage) => void,
  ): Promise<SendAck> {
    const { deps } = this;
    for (let attempt = 1; ; attempt++) {
      // Read before the seq is allocated: created_at ≤ the allocation, so the committer's deadline
      // counted from it is conservative, and a later seq's created_at bounds every earlier seq's deadline.
      const now = deps.clock();
      const seq = await this.seqs.next(m.app_id, route.convId);
      // Built field by field: an object spread here was the send path's hottest line (V8's slow clone path).
      const msg: StoredMessage = {
        app_id: m.app_id, conv_id: m.conv_id, seq, msg_id: newMsgId(now), sender: m.sender, cmid: m.cmid, type: m.type,
        content: m.content, mentions: m.mentions, reply_to: m.reply_to, status: 'normal', created_at: now,
      };
      const outcome = await deps.committer.enqueue(msg, { recipients: route.recipients, exceptConn });
      if (outcome.status === 'conflict') {
        deps.metrics?.seqConflicts.inc();
        if (attempt < MAX_SEQ_ATTEMPTS) continue;
        throw new ParleyError('unavailable', 'no free seq for the message; retry with the same cmid');
      }
      if (outcome.status === 'not_member') {
        // The store saw no member row (removed elsewhere, the invalidation not here yet): re-read the list next time.
        deps.membership.forget(m.app_id, route.convId);
        throw new ParleyError('not_member');
      }
      if (outcome.status === 'duplicate') {
        onStored?.(outcome.original);
        return { ...ackOf(outcome.original), duplicate: true };
      }
      // The commit advanced the sender's read position in the store; keep the cache in step.
      deps.membership.advanceRead(m.app_id, route.convId, m.sender, seq);
      onStored?.(msg);
      return ackOf(msg);
    }
  }

  private async checkReferences(input: SendInput, route: Route): Promise<void> {
    if (input.mentions?.length) {
      const members = new Set(route.recipients);
      const unknown = input.mentions.filter((u) => u !== 'all' && !members.has(u));
      if (unknown.length) throw new ParleyError('invalid_field', `mentions are not members: ${unknown.slice(0, 5).join(', ')}`);
    }
    if (input.reply_to !== undefined) {
      const quoted = await this.deps.store.getMessage(input.app_id, route.convId, input.reply_to);
      if (!quoted) throw new ParleyError('not_found', `reply_to: no message with seq ${input.reply_to}`);
    }
  }
}

/** Commits of one message that found its seq taken before giving up with `unavailable`. */
const MAX_SEQ_ATTEMPTS = 5;

function ackOf(m: StoredMessage): SendAck {
  return { cmid: m.cmid, msg_id: m.msg_id, conv_id: m.conv_id, seq: m.seq, created_at: m.created_at };
}
