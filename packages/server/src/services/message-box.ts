import {
  ParleyError, parseConvId, peerOf,
  type Conversation, type ConvListResult, type HistoryResult, type Message, type ReadResult, type ReceiptsResult, type SearchResult,
} from '@parley/protocol';
import type { MemberPatch, MemberRow, Store } from '../store/store.js';
import type { AppService } from './app-service.js';
import type { Clock } from './clock.js';
import type { Membership } from './membership.js';
import { asText, convTypeOf, toWire, toWireAs, toWireJson } from './message-view.js';
import type { NoticeWriter } from './notice-writer.js';

/** A history request's page: newest first below `before`, or oldest first above `after` (wins), both exclusive. */
export interface HistoryPage {
  before?: number;
  after?: number;
  limit?: number;
}

/**
 * The message box: everything a user reads from their own timelines — history,
 * the conversation list with unread counts, read positions and receipts,
 * recall and delete-for-me, search — always limited to conversations the user
 * belongs to (from their join seq).
 */
export class MessageBox {
  constructor(
    private readonly store: Store,
    private readonly apps: AppService,
    private readonly membership: Membership,
    private readonly notices: NoticeWriter,
    private readonly clock: Clock,
  ) {}

  /** The caller's member row, or not_member. Used by every per-conversation operation. */
  async requireMember(appId: string, convId: string, userId: string): Promise<MemberRow> {
    const m = await this.membership.member(appId, convId, userId);
    if (!m) throw new ParleyError('not_member');
    return m;
  }

  async history(appId: string, userId: string, convId: string, q: HistoryPage): Promise<HistoryResult> {
    await this.requireMember(appId, convId, userId);
    const limit = Math.min(q.limit ?? 50, 200);
    // Read before the rows: whatever committed before this instant is in the answer (clients' hole rule).
    const server_time = this.clock();
    const rows = await this.store.history({ app_id: appId, conv_id: convId, user_id: userId, before: q.before, after: q.after, limit: limit + 1 });
    const has_more = rows.length > limit;
    const type = convTypeOf(convId);
    const messages = new Array<Message>(Math.min(rows.length, limit));
    for (let i = 0; i < messages.length; i++) messages[i] = toWireAs(rows[i]!, type);
    return { messages, has_more, server_time };
  }

  /**
   * `history` as the JSON text of its HistoryResult (the HTTP route's reply),
   * each message's stored content spliced in without a parse and a
   * re-stringify: the same checks, the same rows, the same bytes.
   */
  async historyJson(appId: string, userId: string, convId: string, q: HistoryPage): Promise<string> {
    await this.requireMember(appId, convId, userId);
    const limit = Math.min(q.limit ?? 50, 200);
    const server_time = this.clock();
    const query = { app_id: appId, conv_id: convId, user_id: userId, before: q.before, after: q.after, limit: limit + 1 };
    const rows = this.store.historyText ? await this.store.historyText(query) : (await this.store.history(query)).map(asText);
    const type = convTypeOf(convId);
    let out = '{"messages":[';
    for (let i = 0, n = Math.min(rows.length, limit); i < n; i++) out += (i ? ',' : '') + toWireJson(rows[i]!, type);
    return `${out}],"has_more":${rows.length > limit},"server_time":${server_time}}`;
  }

  async conversations(appId: string, userId: string, opts: { includeHidden?: boolean } = {}): Promise<ConvListResult> {
    const rows = await this.store.listMemberConversations(appId, userId);
    const peers = rows.map((r) => peerOf(r.conv_id, userId)).filter((p): p is string => !!p);
    const groupIds = rows.map((r) => parseConvId(r.conv_id)?.groupId).filter((g): g is string => !!g);
    // One batched read each for the peers' names, the groups' names and the peers' read positions.
    const singles = rows.filter((r) => r.type === 'single');
    const [userRows, groupRows, peerRows] = await Promise.all([
      this.store.getUsers(appId, peers),
      this.store.getGroups(appId, groupIds),
      this.store.getMemberRows(appId, singles.map((r) => ({ conv_id: r.conv_id, user_id: peerOf(r.conv_id, userId) ?? userId }))),
    ]);
    const users = new Map(userRows.map((u) => [u.user_id, u]));
    const groups = new Map<string, { name: string; avatar?: string }>(groupRows.map((g) => [g.group_id, g]));
    const peerRead = new Map(peerRows.map((m) => [m.conv_id, m.read_seq]));
    const conversations: Conversation[] = [];
    let total_unread = 0;
    for (const r of rows) {
      const unreadNow = r.last_seq - Math.max(r.read_seq, r.join_seq - 1);
      // A hidden conversation reappears as soon as it has something unread.
      if (r.hidden && unreadNow <= 0 && !opts.includeHidden) continue;
      const p = parseConvId(r.conv_id);
      const peer = r.type === 'group' ? p?.groupId ?? '' : r.type === 'notification' ? 'system' : peerOf(r.conv_id, userId) ?? userId;
      const named = r.type === 'group' ? groups.get(peer) : r.type === 'notification' ? { name: 'Notifications' } : users.get(peer);
      const unread = Math.max(0, r.last_seq - Math.max(r.read_seq, r.join_seq - 1));
      const c: Conversation = {
        conv_id: r.conv_id, conv_type: r.type, peer, name: named?.name ?? peer, avatar: named?.avatar,
        last_seq: r.last_seq, read_seq: r.read_seq, unread,
        last_message: r.last_message && r.last_message.seq >= r.join_seq ? toWire(r.last_message) : undefined,
        pinned: r.pinned, muted: r.muted, hidden: r.hidden, updated_at: r.updated_at,
      };
      if (r.type === 'single') c.peer_read_seq = peerRead.get(r.conv_id) ?? 0;
      if (!r.muted) total_unread += unread;
      conversations.push(c);
    }
    conversations.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updated_at - a.updated_at);
    return { conversations, total_unread };
  }

  async markRead(appId: string, userId: string, convId: string, seq: number): Promise<ReadResult> {
    await this.requireMember(appId, convId, userId);
    const read_seq = await this.store.markRead(appId, convId, userId, seq);
    this.membership.patch(appId, convId, userId, { read_seq });
    const conv = await this.store.getConversation(appId, convId);
    return { conv_id: convId, read_seq, unread: Math.max(0, (conv?.last_seq ?? 0) - read_seq) };
  }

  async receipts(appId: string, userId: string, convId: string, seq: number): Promise<ReceiptsResult> {
    await this.requireMember(appId, convId, userId);
    const app = await this.apps.get(appId);
    if (!app.settings.read_receipts) throw new ParleyError('forbidden', 'read receipts are turned off for this app');
    const members = await this.membership.members(appId, convId);
    const msg = await this.store.getMessage(appId, convId, seq);
    // Only members who could see the message count: not its sender, not members who joined after it
    // (their read_seq starts just below their join seq, which would otherwise look like a read).
    const senderOf = msg?.sender;
    const eligible = new Set([...members.values()].filter((m) => m.user_id !== senderOf && m.join_seq <= seq).map((m) => m.user_id));
    const readers = (await this.store.readersAtLeast(appId, convId, seq)).filter((u) => eligible.has(u));
    return { conv_id: convId, seq, read_count: readers.length, member_count: eligible.size, read_by: readers };
  }

  /** Recall: marks the original and writes a recall notice with its own seq. */
  async recall(appId: string, userId: string, convId: string, seq: number) {
    const me = await this.requireMember(appId, convId, userId);
    const msg = await this.store.getMessage(appId, convId, seq);
    if (!msg || msg.seq < me.join_seq) throw new ParleyError('not_found', 'message not found');
    if (msg.type === 'notice') throw new ParleyError('forbidden', 'system notices cannot be recalled');
    const isAdmin = me.role === 'owner' || me.role === 'admin';
    if (msg.sender !== userId && !(isAdmin && parseConvId(convId)?.type === 'group')) throw new ParleyError('forbidden', 'you can only recall your own messages');
    const app = await this.apps.get(appId);
    const now = this.clock();
    // One conditional update decides: not already recalled and, for one's own message, within the window.
    const createdSince = msg.sender === userId ? now - app.settings.recall_window_sec * 1000 : undefined;
    const r = await this.store.recallMessage(appId, convId, seq, { at: now, createdSince });
    if (!r.ok) {
      if (r.reason === 'already_recalled') throw new ParleyError('conflict', 'the message was already recalled');
      if (r.reason === 'expired') throw new ParleyError('recall_expired');
      if (r.reason === 'notice') throw new ParleyError('forbidden', 'system notices cannot be recalled');
      throw new ParleyError('not_found', 'message not found');
    }
    return this.notices.postNotice(appId, convId, parseConvId(convId)!.type, userId, { kind: 'recall', seq, by: userId });
  }

  async deleteForMe(appId: string, userId: string, convId: string, seq: number): Promise<{ conv_id: string; seq: number }> {
    const me = await this.requireMember(appId, convId, userId);
    const msg = await this.store.getMessage(appId, convId, seq);
    if (!msg || msg.seq < me.join_seq) throw new ParleyError('not_found', 'message not found');
    await this.store.hideMessageFor(appId, convId, seq, userId);
    return { conv_id: convId, seq };
  }

  async setConversation(appId: string, userId: string, convId: string, patch: Pick<MemberPatch, 'pinned' | 'muted' | 'hidden'>) {
    await this.requireMember(appId, convId, userId);
    await this.store.updateMember(appId, convId, userId, patch);
    this.membership.patch(appId, convId, userId, patch);
    const m = await this.requireMember(appId, convId, userId);
    return { conv_id: convId, pinned: m.pinned, muted: m.muted, hidden: m.hidden };
  }

  async search(appId: string, userId: string, q: { q: string; conv_id?: string; sender?: string; type?: string; since?: number; until?: number; limit?: number }): Promise<SearchResult> {
    if (q.conv_id) await this.requireMember(appId, q.conv_id, userId);
    const rows = await this.store.search({
      app_id: appId, user_id: userId, text: q.q, conv_id: q.conv_id, sender: q.sender, type: q.type,
      since: q.since, until: q.until, limit: Math.min(q.limit ?? 20, 100),
    });
    return { hits: rows.map(toWire) };
  }
}
