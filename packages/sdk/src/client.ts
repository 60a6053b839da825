import {
  ParleyError,
  type ConvListResult, type HistoryResult, type Message, type PresenceResult, type ReadResult, type ReceiptsResult,
  type ReplyData, type SearchFrame, type SearchResult, type SendAck, type ServerFrame,
} from '@parley/protocol';
import { backoffDelay } from './backoff.js';
import { ClientCore, type ParleyClientOptions } from './client-core.js';
import { ClientClosedError } from './errors.js';
import { toError } from './events.js';
import { DEFAULT_GAP_FILL, GapFiller, type GapFillOptions } from './gap-filler.js';
import { GapTracker } from './gap-tracker.js';
import { ConversationSeed } from './conversation-seed.js';
import { Outbox, newCmid, type OutboxEntry, type PendingSend, type SendInput } from './outbox.js';

export interface ClientOptions extends ParleyClientOptions {
  /** gap filling: history page size, how long a message past a hole is held, retries (see GapFillOptions) */
  gapFill?: Partial<GapFillOptions>;
  /** (conv_id, seq) pairs remembered to drop duplicate deliveries; default 10000 */
  dedupCapacity?: number;
  /** client message id generator; default crypto.randomUUID */
  createCmid?: () => string;
}

export interface SendTextOptions {
  conv_type?: 'single' | 'group';
  cmid?: string;
  mentions?: string[];
  reply_to?: number;
}

export interface HistoryQuery { before?: number; after?: number; limit?: number }
export type SearchFilters = Omit<SearchFrame, 'op' | 'id' | 'q'>;
export interface ConversationSettings { pinned?: boolean; muted?: boolean; hidden?: boolean }

/**
 * The Parley client: the connection lifecycle of ClientCore plus the
 * delivery guarantees of DESIGN §4 as seen from a client —
 * - sends go through an ordered outbox and are resent with the same cmid
 *   until acked, across reconnects; the app's promise settles once;
 * - incoming messages are gap-filled and deduped per conversation, so
 *   'message' fires once per (conv_id, seq), in seq order.
 */
export class ParleyClient extends ClientCore {
  private readonly outbox = new Outbox();
  private readonly tracker: GapTracker;
  private readonly filler: GapFiller;
  private readonly seed: ConversationSeed;
  private readonly createCmid: () => string;

  constructor(options: ClientOptions) {
    super(options);
    this.createCmid = options.createCmid ?? newCmid;
    this.tracker = new GapTracker({ dedupCapacity: options.dedupCapacity ?? 10_000, maxAhead: 1_000 });
    this.filler = new GapFiller({
      tracker: this.tracker,
      options: { ...DEFAULT_GAP_FILL, ...options.gapFill },
      fetchAfter: (conv_id, after, limit) => this.request('history', { conv_id, after, limit }),
      deliver: (msg) => this.emit('message', msg),
      deadlineMs: () => this.session?.commit_deadline_ms,
      isOpen: () => this.state === 'open',
      report: (err) => this.emit('error', err),
    });
    this.seed = new ConversationSeed({
      tracker: this.tracker,
      filler: this.filler,
      list: () => this.conversations(),
      fetchAfter: (conv_id, after, limit) => this.request('history', { conv_id, after, limit }),
      connectedAt: () => this.session?.server_time,
      deadlineMs: () => this.session?.commit_deadline_ms ?? DEFAULT_GAP_FILL.commitDeadlineMs,
      report: (err) => { if (this.state === 'open') this.emit('error', toError(err)); },
    });
  }

  /* ---- sending ---- */

  /**
   * Send a message. Resolves with the server's ack once the message is durably
   * stored, however many reconnects that takes; rejects on a non-retryable
   * refusal (not_member, blocked, ...) or when the client closes first.
   * Sends made while disconnected (or before connect()) queue and go out in order.
   */
  send(input: SendInput): Promise<SendAck> {
    if (this.state === 'closed') return Promise.reject(new ClientClosedError());
    const { cmid, ...rest } = input;
    const { entry, added } = this.outbox.add({ ...rest, cmid: cmid ?? this.createCmid() });
    if (added && this.state === 'open') this.transmit(entry);
    return entry.promise;
  }

  sendText(to: string, text: string, opts: SendTextOptions = {}): Promise<SendAck> {
    const { conv_type = 'single', ...rest } = opts;
    return this.send({ conv_type, to, type: 'text', content: { text }, ...rest });
  }

  /** Unacked sends, oldest first. */
  pendingSends(): PendingSend[] {
    return this.outbox.snapshot();
  }

  /* ---- requests ---- */

  /** A page of history; its messages count as seen (no 'message' event for them later). */
  async history(conv_id: string, q: HistoryQuery = {}): Promise<HistoryResult> {
    const res = await this.request('history', { conv_id, ...q });
    // All of the page first, then release what it made contiguous: none of it comes again as an event.
    for (const m of [...res.messages].sort((a, b) => a.seq - b.seq)) this.tracker.record(m.conv_id, m.seq);
    this.filler.advanced(conv_id);
    return res;
  }

  conversations(): Promise<ConvListResult> {
    return this.request('convs', {});
  }

  markRead(conv_id: string, seq: number): Promise<ReadResult> {
    return this.request('read', { conv_id, seq });
  }

  /** Recall one of your messages; the ack is that of the recall notice (a new seq). */
  async recall(conv_id: string, seq: number): Promise<SendAck> {
    const ack = await this.request('recall', { conv_id, seq });
    this.seed.noteSeen(ack.conv_id, ack.seq);
    return ack;
  }

  deleteForMe(conv_id: string, seq: number): Promise<ReplyData['delete']> {
    return this.request('delete', { conv_id, seq });
  }

  setConversation(conv_id: string, settings: ConversationSettings): Promise<ReplyData['conv_set']> {
    return this.request('conv_set', { conv_id, ...settings });
  }

  receipts(conv_id: string, seq: number): Promise<ReceiptsResult> {
    return this.request('receipts', { conv_id, seq });
  }

  presence(user_ids: string[]): Promise<PresenceResult> {
    return this.request('presence', { user_ids });
  }

  search(q: string, filters: SearchFilters = {}): Promise<SearchResult> {
    return this.request('search', { q, ...filters });
  }

  /** Tell the conversation you are typing; best effort, dropped when not connected. */
  typing(conv_id: string): void {
    if (this.state === 'open') this.sendRaw({ op: 'typing', conv_id });
  }

  /** Revoke this login's token on the server, then close. */
  async logout(): Promise<ReplyData['logout']> {
    const res = await this.request('logout', {});
    await this.close();
    return res;
  }

  /* ---- sequence tracking ---- */

  /** Highest seq of the conversation this client has delivered or been told about. */
  lastSeq(conv_id: string): number | undefined {
    return this.tracker.lastSeq(conv_id);
  }

  /**
   * Tell the SDK the app already has the conversation up to `seq` (loaded from
   * history or a local cache): later pushes past it are gap-filled from there,
   * and reconnects catch up from there.
   */
  trackConversation(conv_id: string, seq: number): void {
    this.tracker.jumpTo(conv_id, seq);
    this.filler.advanced(conv_id);
  }

  /** Resolves when no gap fill is running or queued. */
  settled(): Promise<void> {
    return this.filler.idle();
  }

  /* ---- ClientCore hooks ---- */

  protected override onOpen(): void {
    // Resend first, in issue order, with the same cmids: the server dedups.
    for (const entry of this.outbox.list()) this.transmit(entry);
    this.filler.resume();
    // Where unseen conversations start, and what seen ones missed while away.
    void this.seed.run();
  }

  protected override onLost(): void {
    // Scheduled retries would go to a dead connection; the next open resends everything.
    this.outbox.clearRetries();
  }

  protected override onClosed(err: Error): void {
    this.outbox.rejectAll(err);
    this.filler.halt();
  }

  protected override onPush(frame: Exclude<ServerFrame, { op: 'ok' | 'error' | 'pong' | 'kicked' }>): void {
    switch (frame.op) {
      case 'msg':
        return this.seed.push(frame.msg);
      case 'read':
        return this.emit('read', { conv_id: frame.conv_id, user_id: frame.user_id, seq: frame.seq });
      case 'typing':
        return this.emit('typing', { conv_id: frame.conv_id, user_id: frame.user_id });
      case 'presence':
        return this.emit('presence', { user_id: frame.user_id, online: frame.online, platforms: frame.platforms });
      case 'conv':
        return this.emit('conv', { conv_id: frame.conv_id, pinned: frame.pinned, muted: frame.muted, hidden: frame.hidden });
      default:
        return; // an op newer than this SDK: ignore, do not fail
    }
  }

  /* ---- internals ---- */

  private transmit(entry: OutboxEntry): void {
    clearTimeout(entry.retryTimer);
    entry.retryTimer = undefined;
    entry.attempts++;
    const gen = this.connectionGeneration;
    const { message } = entry;
    this.request('send', message).then(
      (ack) => this.acked(ack, message.cmid),
      (err: unknown) => this.sendFailed(entry, toError(err), gen),
    );
  }

  private acked(ack: SendAck, cmid: string): void {
    // A second ack (a resend answered as duplicate) finds the entry gone and changes nothing.
    if (!this.outbox.ack(cmid, ack)) return;
    this.seed.noteSeen(ack.conv_id, ack.seq);
    this.emit('ack', ack);
  }

  private sendFailed(entry: OutboxEntry, err: Error, gen: number): void {
    const cmid = entry.message.cmid;
    if (!this.outbox.has(cmid)) return;
    if (err instanceof ParleyError && !err.retryable) {
      this.outbox.reject(cmid, err);
      return;
    }
    // Same connection still up (timeout, rate_limited, unavailable): retry after a backoff.
    // Otherwise the connection is gone and the next open resends it in order.
    if (this.state === 'open' && gen === this.connectionGeneration && entry.retryTimer === undefined) {
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = undefined;
        if (this.outbox.has(cmid) && this.state === 'open') this.transmit(entry);
      }, backoffDelay(this.retryPolicy, entry.attempts - 1));
    }
  }
}

export type { Message };
