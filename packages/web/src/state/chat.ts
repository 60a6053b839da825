import type { Conversation, Message, Presence } from '@parley/protocol';
import type { ConvEvent, KickedEvent, ParleyClient, ReadEvent, StateChange, TypingEvent } from '@parley/sdk';
import { Api } from '../api.js';
import { applyMessageToConv, placeholderConv } from '../logic/conversations.js';
import { changesGroup, noticeUsers } from '../logic/notices.js';
import { applyNotices, mergeMessages, EMPTY_TIMELINE, type Timeline } from '../logic/timeline.js';
import { unreadOf } from '../logic/unread.js';
import { store, type ConnState, type Credentials } from './app-state.js';
import { Directory } from './directory.js';
import { GroupActions } from './groups.js';
import { createBrowserClient, type BrowserClient } from './link.js';
import { MessageActions } from './messages.js';
import { withEntry } from './store.js';

/**
 * One signed-in session: the SDK client, its events folded into the store,
 * and the actions the UI calls. The server is the source of truth — on every
 * (re)connect the conversation list is fetched again, and the SDK pulls what
 * each known conversation missed.
 */
export interface SessionHooks {
  /** the server ended the session (logout elsewhere, revoked, expired) */
  ended(reason: string): void;
}

export class ChatController {
  readonly me: string;
  readonly api: Api;
  readonly client: ParleyClient;
  readonly directory: Directory;
  readonly messages: MessageActions;
  readonly groups: GroupActions;
  private readonly link: BrowserClient;
  private readonly offs: Array<() => void> = [];
  private readonly readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** the read position last sent to the server, per conversation */
  private readonly toldRead = new Map<string, number>();
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(readonly creds: Credentials, private readonly hooks: SessionHooks) {
    this.me = creds.user.user_id;
    this.api = new Api('', () => this.creds.token);
    this.link = createBrowserClient(creds.token);
    this.client = this.link.client;
    this.directory = new Directory(this);
    this.messages = new MessageActions(this);
    this.groups = new GroupActions(this);
  }

  start(): void {
    const c = this.client;
    this.offs.push(
      c.on('state', (e) => this.onState(e)),
      c.on('message', (m) => this.onMessage(m)),
      c.on('read', (e) => this.onRead(e)),
      c.on('typing', (e) => this.onTyping(e)),
      c.on('presence', (p) => this.onPresence(p)),
      c.on('conv', (e) => this.onConvSettings(e)),
      c.on('kicked', (e) => this.onKicked(e)),
      c.on('error', (e) => console.warn('[parley]', e.message)),
    );
    const net = () => this.showConn(this.client.state);
    window.addEventListener('online', net);
    window.addEventListener('offline', net);
    this.offs.push(() => window.removeEventListener('online', net), () => window.removeEventListener('offline', net));
    const vis = () => { if (document.visibilityState === 'visible' && store.get().active) this.markReadSoon(store.get().active!); };
    document.addEventListener('visibilitychange', vis);
    this.offs.push(() => document.removeEventListener('visibilitychange', vis));
    store.set({ users: withEntry(store.get().users, this.me, this.creds.user) });
    this.messages.restorePending();
    c.connect().catch(() => undefined); // failures arrive as 'state' events
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    for (const t of this.readTimers.values()) clearTimeout(t);
    clearTimeout(this.typingTimer);
    clearTimeout(this.refreshTimer);
    this.link.dispose();
    await this.client.close();
  }

  /** Display name; "You" for me. */
  nameOf = (userId: string): string => {
    if (userId === this.me) return 'You';
    return this.directory.name(userId);
  };

  /** Resolves once the connection is open (requests need it). */
  whenOpen(): Promise<void> {
    if (this.client.state === 'open') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.client.on('state', (e) => {
        if (e.state === 'open') { off(); resolve(); }
        if (e.state === 'closed') { off(); reject(e.error ?? new Error('closed')); }
      });
    });
  }

  /** A conversation's display name: a chat row made before the server listed it may only know the peer's id. */
  convName(c: Conversation): string {
    return c.conv_type === 'single' && (!c.name || c.name === c.peer) ? this.directory.name(c.peer) : c.name;
  }

  conv(convId: string): Conversation | undefined {
    return store.get().convs[convId];
  }

  updateConv(convId: string, f: (c: Conversation) => Conversation): void {
    const c = this.conv(convId);
    if (c) store.set((s) => ({ convs: withEntry(s.convs, convId, f(c)) }));
  }

  setTimeline(convId: string, f: (t: Timeline) => Timeline): void {
    store.set((s) => ({ timelines: withEntry(s.timelines, convId, f(s.timelines[convId] ?? EMPTY_TIMELINE)) }));
  }

  /** Whether the user is looking at the newest messages of this conversation right now. */
  readingNow(convId: string): boolean {
    const s = store.get();
    return s.active === convId && document.visibilityState === 'visible' && !(s.timelines[convId]?.hasNewer ?? false);
  }

  async refreshConversations(): Promise<void> {
    await this.whenOpen();
    const { conversations } = await this.client.conversations();
    const fresh: Record<string, Conversation> = {};
    for (const c of conversations) {
      fresh[c.conv_id] = c;
      // Seed the SDK's frontier for conversations it never saw; those it knows it catches up itself.
      if (this.client.lastSeq(c.conv_id) === undefined) this.client.trackConversation(c.conv_id, c.last_seq);
    }
    const s = store.get();
    // Keep rows made here that the server does not list yet: a chat with nothing sent so far,
    // a group whose creation notice is still on its way, and the open conversation.
    for (const c of Object.values(s.convs)) {
      if (!fresh[c.conv_id] && (c.last_seq === 0 || c.conv_id === s.active)) fresh[c.conv_id] = c;
    }
    store.set({ convs: fresh, convsLoaded: true });
    this.directory.ensure(conversations.flatMap((c) => (c.last_message ? [c.last_message.sender, ...noticeUsers(c.last_message.content)] : [])));
    this.directory.watchPresence(conversations.filter((c) => c.conv_type === 'single').map((c) => c.peer));
    if (s.active && (fresh[s.active]?.unread ?? 0) > 0) this.markReadSoon(s.active);
  }

  /** Mark the conversation read up to its newest message, a moment later (batches bursts). */
  markReadSoon(convId: string): void {
    clearTimeout(this.readTimers.get(convId));
    this.readTimers.set(convId, setTimeout(() => {
      this.readTimers.delete(convId);
      const c = this.conv(convId);
      if (!c || c.last_seq === 0 || !this.readingNow(convId) || this.client.state !== 'open') return;
      // The list row may already say "read" (a message arriving while reading); the server decides by what it was told.
      if (c.last_seq <= (this.toldRead.get(convId) ?? 0) && c.unread === 0) return;
      this.toldRead.set(convId, c.last_seq);
      this.updateConv(convId, (x) => ({ ...x, read_seq: Math.max(x.read_seq, c.last_seq), unread: 0 }));
      this.client.markRead(convId, c.last_seq).catch(() => this.toldRead.delete(convId));
    }, 250));
  }

  /** Tell the others I am typing: at most every 3 s. */
  typing(convId: string): void {
    if (this.typingTimer) return;
    this.client.typing(convId);
    this.typingTimer = setTimeout(() => (this.typingTimer = undefined), 3000);
  }

  async setConvFlags(convId: string, flags: { pinned?: boolean; muted?: boolean }): Promise<void> {
    this.updateConv(convId, (c) => ({ ...c, ...flags }));
    const r = await this.client.setConversation(convId, flags);
    this.updateConv(convId, (c) => ({ ...c, pinned: r.pinned, muted: r.muted, hidden: r.hidden }));
  }

  /* ---- events ---- */

  private showConn(state: string): void {
    const conn: ConnState = state !== 'open' && !navigator.onLine ? 'offline' : (state as ConnState);
    if (store.get().conn !== conn) store.set({ conn });
  }

  private onState(e: StateChange): void {
    this.showConn(e.state);
    if (e.state === 'open') {
      this.directory.rewatch();
      this.refreshConversations().catch((err) => console.warn('[parley] conversations', err));
      this.messages.onReconnected();
    }
    if (e.state === 'closed' && !this.stopped && e.error && 'code' in e.error) {
      const code = (e.error as { code: string }).code;
      if (code === 'unauthenticated' || code.startsWith('token_')) this.hooks.ended('Your session has expired. Please sign in again.');
    }
  }

  private onMessage(m: Message): void {
    const s = store.get();
    const reading = this.readingNow(m.conv_id);
    const existing = s.convs[m.conv_id];
    if (existing) {
      this.updateConv(m.conv_id, (c) => applyMessageToConv(c, m, this.me, reading));
    } else {
      const peer = m.conv_type === 'group' ? m.conv_id.slice(2) : m.sender === this.me ? '' : m.sender;
      store.set((st) => ({ convs: withEntry(st.convs, m.conv_id, placeholderConv(m, this.me, this.nameOf(peer || m.sender), peer)) }));
      this.scheduleRefresh();
    }
    const t = s.timelines[m.conv_id];
    if (t?.loaded && !t.hasNewer) {
      const hidden = new Set(s.hidden[m.conv_id] ?? []);
      this.setTimeline(m.conv_id, (x) => ({ ...x, messages: applyNotices(mergeMessages(x.messages, [m], hidden), [m]) }));
    }
    if (m.type === 'notice') {
      const c = m.content as { kind?: string; seq?: number };
      if (c?.kind === 'recall') {
        this.updateConv(m.conv_id, (x) => (x.last_message && x.last_message.seq === c.seq ? { ...x, last_message: { ...x.last_message, status: 'recalled', content: null } } : x));
      }
      if (m.conv_type === 'group' && changesGroup(m.content)) this.groups.changed(m.conv_id.slice(2), m.content);
      this.directory.ensure(noticeUsers(m.content));
    } else {
      this.directory.ensure([m.sender]);
    }
    this.clearTyping(m.conv_id, m.sender);
    if (reading) this.markReadSoon(m.conv_id);
  }

  /** A conversation appeared that the list does not know: fetch the list again (names, settings). */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refreshConversations().catch(() => undefined), 300);
  }

  private onRead(e: ReadEvent): void {
    const c = this.conv(e.conv_id);
    if (e.user_id === this.me) {
      if (c) this.updateConv(e.conv_id, (x) => ({ ...x, read_seq: Math.max(x.read_seq, e.seq), unread: unreadOf(x.last_seq, Math.max(x.read_seq, e.seq)) }));
    } else if (c?.conv_type === 'single') {
      this.updateConv(e.conv_id, (x) => ({ ...x, peer_read_seq: Math.max(x.peer_read_seq ?? 0, e.seq) }));
    } else if (e.conv_id.startsWith('g:')) {
      this.groups.memberRead(e.conv_id.slice(2), e.user_id, e.seq);
    }
  }

  private onTyping(e: TypingEvent): void {
    if (e.user_id === this.me) return;
    const until = Date.now() + 6000;
    store.set((s) => ({ typing: withEntry(s.typing, e.conv_id, { ...(s.typing[e.conv_id] ?? {}), [e.user_id]: until }) }));
    this.directory.ensure([e.user_id]);
    setTimeout(() => {
      if ((store.get().typing[e.conv_id]?.[e.user_id] ?? 0) <= Date.now()) this.clearTyping(e.conv_id, e.user_id);
    }, 6100);
  }

  private clearTyping(convId: string, userId: string): void {
    const t = store.get().typing[convId];
    if (!t || !(userId in t)) return;
    const { [userId]: _gone, ...rest } = t;
    store.set((s) => ({ typing: withEntry(s.typing, convId, rest) }));
  }

  private onPresence(p: Presence): void {
    store.set((s) => ({ online: withEntry(s.online, p.user_id, p.online) }));
  }

  private onConvSettings(e: ConvEvent): void {
    this.updateConv(e.conv_id, (c) => ({ ...c, pinned: e.pinned, muted: e.muted, hidden: e.hidden }));
  }

  private onKicked(e: KickedEvent): void {
    if (this.stopped) return;
    if (e.reason === 'replaced' || e.reason === 'unknown') store.set({ kicked: 'replaced' });
    else this.hooks.ended(e.reason === 'logout' ? 'You signed out on another device.' : 'Your session was ended by the server.');
  }
}
