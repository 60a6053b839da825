import { ParleyError, type Message, type MessageType, type SendAck } from '@parley/protocol';
import { ClientClosedError, newCmid } from '@parley/sdk';
import { errorText } from '../api.js';
import { applyMessageToConv, placeholderConv } from '../logic/conversations.js';
import { noticeUsers } from '../logic/notices.js';
import { dropPending, loadPending, pendingKey, savePending, upsertPending, type PendingRecord } from '../logic/pending-store.js';
import {
  addLocal, applyAck, markLocal, mergeMessages, newestSeq, oldestSeq, removeMessage, EMPTY_TIMELINE, type ChatMessage,
} from '../logic/timeline.js';
import { store, toast } from './app-state.js';
import type { ChatController } from './chat.js';
import { withEntry } from './store.js';

const PAGE = 40;

export interface SendOptions { mentions?: string[]; reply_to?: number }

/**
 * A conversation's messages: loading pages (latest, older on scroll up,
 * newer after a jump), sending with local echo, retry, recall and
 * delete-for-me. Unacked sends are also written to localStorage, so a
 * refresh resends them with the same cmid (the server dedups).
 */
export class MessageActions {
  private pending: PendingRecord[];
  private readonly key: string;

  constructor(private readonly chat: ChatController) {
    this.key = pendingKey(chat.creds.app_id, chat.me);
    this.pending = loadPending(localStorage, this.key);
  }

  /* ---- loading ---- */

  async open(convId: string): Promise<void> {
    const s = store.get();
    if (s.active !== convId) store.set({ active: convId, replyTo: s.replyTo?.conv_id === convId ? s.replyTo : null });
    const conv = this.chat.conv(convId);
    if (conv?.conv_type === 'single') {
      this.chat.directory.ensure([conv.peer]);
      this.chat.directory.watchPresence([conv.peer]);
    } else if (conv?.conv_type === 'group') {
      void this.chat.groups.load(conv.peer);
    }
    const t = store.get().timelines[convId];
    if (conv?.conv_type === 'single' && conv.last_seq === 0) {
      // A chat started here that has no message yet does not exist on the server: nothing to load.
      // (Asking anyway would also make the server cache "not a member" for it; see docs/web-client.md.)
      if (!t?.loaded) this.chat.setTimeline(convId, (x) => ({ ...x, hasOlder: false, hasNewer: false, loaded: true }));
    } else if (!t?.loaded && t?.busy !== 'latest') {
      await this.loadLatest(convId);
    }
    this.chat.markReadSoon(convId);
  }

  async loadLatest(convId: string): Promise<void> {
    this.chat.setTimeline(convId, (t) => ({ ...t, busy: 'latest' }));
    try {
      const page = await this.page(convId, { limit: PAGE });
      this.chat.setTimeline(convId, (t) => ({
        messages: mergeMessages(t.messages.filter((m) => m.local !== undefined), page.messages, this.hidden(convId)),
        hasOlder: page.has_more, hasNewer: false, loaded: true,
      }));
    } catch (err) {
      this.chat.setTimeline(convId, (t) => ({ ...t, busy: undefined }));
      toast(`Could not load messages: ${errorText(err)}`, 'error');
    }
  }

  async loadOlder(convId: string): Promise<void> {
    const t = store.get().timelines[convId];
    if (!t?.loaded || !t.hasOlder || t.busy) return;
    const before = oldestSeq(t.messages);
    if (before === undefined || before <= 1) return this.chat.setTimeline(convId, (x) => ({ ...x, hasOlder: false }));
    this.chat.setTimeline(convId, (x) => ({ ...x, busy: 'older' }));
    try {
      const page = await this.page(convId, { before, limit: PAGE });
      this.chat.setTimeline(convId, (x) => ({ ...x, messages: mergeMessages(x.messages, page.messages, this.hidden(convId)), hasOlder: page.has_more, busy: undefined }));
    } catch {
      this.chat.setTimeline(convId, (x) => ({ ...x, busy: undefined }));
    }
  }

  async loadNewer(convId: string): Promise<void> {
    const t = store.get().timelines[convId];
    if (!t?.loaded || !t.hasNewer || t.busy) return;
    const after = newestSeq(t.messages) ?? 0;
    this.chat.setTimeline(convId, (x) => ({ ...x, busy: 'newer' }));
    try {
      const page = await this.page(convId, { after, limit: 100 });
      this.chat.setTimeline(convId, (x) => ({ ...x, messages: mergeMessages(x.messages, page.messages, this.hidden(convId)), hasNewer: page.has_more, busy: undefined }));
      if (!page.has_more) this.chat.markReadSoon(convId);
    } catch {
      this.chat.setTimeline(convId, (x) => ({ ...x, busy: undefined }));
    }
  }

  /** Open a conversation at one message (a search hit, a quote), loading the pages around it. */
  async jumpTo(convId: string, seq: number): Promise<void> {
    await this.open(convId);
    const t = store.get().timelines[convId];
    if (!t?.messages.some((m) => m.seq === seq && m.local === undefined)) {
      try {
        const [older, newer] = await Promise.all([
          this.page(convId, { before: seq + 1, limit: 25 }),
          this.page(convId, { after: seq, limit: 25 }),
        ]);
        this.chat.setTimeline(convId, (x) => ({
          messages: mergeMessages(x.messages.filter((m) => m.local !== undefined), [...older.messages, ...newer.messages], this.hidden(convId)),
          hasOlder: older.has_more, hasNewer: newer.has_more, loaded: true,
        }));
      } catch (err) {
        return toast(`Could not open the message: ${errorText(err)}`, 'error');
      }
    }
    store.set({ highlight: { conv_id: convId, seq, at: Date.now() } });
  }

  /** Back to the newest messages after a jump. */
  async toLatest(convId: string): Promise<void> {
    await this.loadLatest(convId);
    this.chat.markReadSoon(convId);
  }

  private async page(convId: string, q: { before?: number; after?: number; limit: number }) {
    await this.chat.whenOpen();
    try {
      const res = await this.chat.client.history(convId, q);
      this.chat.directory.ensure(res.messages.flatMap((m) => (m.type === 'notice' ? noticeUsers(m.content) : [m.sender])));
      return res;
    } catch (err) {
      // A chat opened from the user search has no timeline on the server until its first message.
      if (err instanceof ParleyError && (err.code === 'not_found' || err.code === 'not_member')) return { messages: [] as Message[], has_more: false };
      throw err;
    }
  }

  private hidden(convId: string): Set<number> {
    return new Set(store.get().hidden[convId] ?? []);
  }

  /* ---- sending ---- */

  send(convId: string, type: MessageType, content: unknown, opts: SendOptions = {}): void {
    const conv = this.chat.conv(convId);
    if (!conv || conv.conv_type === 'notification') return;
    const rec: PendingRecord = {
      cmid: newCmid(), conv_id: convId, conv_type: conv.conv_type, to: conv.peer,
      type: type as PendingRecord['type'], content, created_at: Date.now(),
      ...(opts.mentions?.length ? { mentions: opts.mentions } : {}),
      ...(opts.reply_to !== undefined ? { reply_to: opts.reply_to } : {}),
    };
    this.pending = upsertPending(this.pending, rec);
    savePending(localStorage, this.key, this.pending);
    this.chat.setTimeline(convId, (t) => ({ ...t, messages: addLocal(t.messages, this.localOf(rec)) }));
    this.dispatch(rec);
  }

  sendText(convId: string, text: string, opts: SendOptions = {}): void {
    this.send(convId, 'text', { text }, opts);
  }

  async sendFile(convId: string, file: File): Promise<void> {
    const uploaded = await this.chat.api.upload(file);
    if (file.type.startsWith('image/')) {
      const { width, height } = await imageSize(file);
      this.send(convId, 'image', { url: uploaded.url, size: uploaded.size, width, height });
    } else {
      this.send(convId, 'file', { url: uploaded.url, name: uploaded.name || file.name, size: uploaded.size, mime: uploaded.mime });
    }
  }

  retry(convId: string, cmid: string): void {
    const local = store.get().timelines[convId]?.messages.find((m) => m.local === 'failed' && m.cmid === cmid);
    if (!local) return;
    const rec: PendingRecord = {
      cmid, conv_id: convId, conv_type: local.conv_type as PendingRecord['conv_type'], to: this.chat.conv(convId)?.peer ?? '',
      type: local.type as PendingRecord['type'], content: local.content, created_at: local.created_at,
      ...(local.mentions ? { mentions: local.mentions } : {}), ...(local.reply_to !== undefined ? { reply_to: local.reply_to } : {}),
    };
    this.pending = upsertPending(this.pending, rec);
    savePending(localStorage, this.key, this.pending);
    this.chat.setTimeline(convId, (t) => ({ ...t, messages: markLocal(t.messages, cmid, 'sending') }));
    this.dispatch(rec);
  }

  /** Sends left unacked by the previous page load (or session) go out again, same cmid, in order. */
  restorePending(): void {
    for (const rec of this.pending) {
      this.chat.setTimeline(rec.conv_id, (t) => ({ ...t, messages: addLocal(t.messages, this.localOf(rec)) }));
      this.dispatch(rec);
    }
  }

  onReconnected(): void {
    // The SDK resends its outbox itself; nothing queued here is lost across reconnects.
  }

  private localOf(rec: PendingRecord): ChatMessage {
    return {
      msg_id: '', conv_id: rec.conv_id, conv_type: rec.conv_type, seq: 0, sender: this.chat.me, cmid: rec.cmid,
      type: rec.type, content: rec.content, status: 'normal', created_at: rec.created_at, local: 'sending',
      ...(rec.mentions ? { mentions: rec.mentions } : {}), ...(rec.reply_to !== undefined ? { reply_to: rec.reply_to } : {}),
    };
  }

  private dispatch(rec: PendingRecord): void {
    const { conv_id: _c, created_at: _t, ...frame } = rec;
    this.chat.client.send(frame).then((ack) => this.acked(rec, ack), (err: unknown) => this.failed(rec, err));
  }

  private acked(rec: PendingRecord, ack: SendAck): void {
    this.pending = dropPending(this.pending, rec.cmid);
    savePending(localStorage, this.key, this.pending);
    const stored: Message = { ...this.localOf(rec), seq: ack.seq, msg_id: ack.msg_id, created_at: ack.created_at, conv_id: ack.conv_id };
    delete (stored as ChatMessage).local;
    this.chat.setTimeline(rec.conv_id, (t) => ({ ...t, messages: applyAck(t.messages, ack, this.chat.me) }));
    if (this.chat.conv(rec.conv_id)) this.chat.updateConv(rec.conv_id, (c) => applyMessageToConv(c, stored, this.chat.me, true));
    else store.set((s) => ({ convs: withEntry(s.convs, rec.conv_id, placeholderConv(stored, this.chat.me, rec.to, rec.to)) }));
  }

  private failed(rec: PendingRecord, err: unknown): void {
    // Closed by sign-out or a kick: keep it stored, the next session sends it.
    if (err instanceof ClientClosedError) return;
    this.pending = dropPending(this.pending, rec.cmid);
    savePending(localStorage, this.key, this.pending);
    this.chat.setTimeline(rec.conv_id, (t) => ({ ...t, messages: markLocal(t.messages, rec.cmid, 'failed', errorText(err)) }));
    toast(`Not sent: ${errorText(err)}`, 'error');
  }

  /* ---- recall, delete ---- */

  async recall(convId: string, seq: number): Promise<void> {
    try {
      const ack = await this.chat.client.recall(convId, seq);
      const notice: Message = {
        msg_id: ack.msg_id, conv_id: convId, conv_type: this.chat.conv(convId)?.conv_type ?? 'single', seq: ack.seq,
        sender: this.chat.me, cmid: ack.cmid, type: 'notice', content: { kind: 'recall', seq, by: this.chat.me },
        status: 'normal', created_at: ack.created_at,
      };
      this.chat.setTimeline(convId, (t) => ({
        ...t, messages: mergeMessages(t.messages, [notice]).map((m) => (m.seq === seq && m.local === undefined ? { ...m, status: 'recalled' as const, content: null } : m)),
      }));
      this.chat.updateConv(convId, (c) => applyMessageToConv(c, notice, this.chat.me, true));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async deleteForMe(convId: string, seq: number): Promise<void> {
    try {
      await this.chat.client.deleteForMe(convId, seq);
      store.set((s) => ({ hidden: withEntry(s.hidden, convId, [...(s.hidden[convId] ?? []), seq]) }));
      this.chat.setTimeline(convId, (t) => ({ ...t, messages: removeMessage(t.messages, seq) }));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  /** Forget a local send that failed. */
  discard(convId: string, cmid: string): void {
    this.chat.setTimeline(convId, (t) => ({ ...t, messages: t.messages.filter((m) => !(m.local === 'failed' && m.cmid === cmid)) }));
  }
}

export function timelineOf(convId: string) {
  return store.get().timelines[convId] ?? EMPTY_TIMELINE;
}

function imageSize(file: File): Promise<{ width: number; height: number }> {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => { resolve({ width: img.naturalWidth, height: img.naturalHeight }); URL.revokeObjectURL(url); };
    img.onerror = () => { resolve({ width: 0, height: 0 }); URL.revokeObjectURL(url); };
    img.src = url;
  });
}
