import type { UserProfile } from '@parley/protocol';
import { store } from './app-state.js';
import type { ChatController } from './chat.js';

/**
 * Who people are: profiles fetched once per session and cached in the store,
 * and presence subscriptions (the server pushes changes for users this
 * connection asked about, so the set is asked again after each reconnect).
 */
export class Directory {
  private readonly inflight = new Set<string>();
  private readonly watched = new Set<string>();

  constructor(private readonly chat: ChatController) {}

  name(userId: string): string {
    const s = store.get();
    const u = s.users[userId];
    if (u) return u.name || userId;
    const single = Object.values(s.convs).find((c) => c.conv_type === 'single' && c.peer === userId);
    return single?.name || userId;
  }

  /** Fetch profiles not known yet (fire and forget; the store updates when they arrive). */
  ensure(ids: Iterable<string>): void {
    const users = store.get().users;
    const missing = [...new Set(ids)].filter((id) => id && id !== 'all' && !users[id] && !this.inflight.has(id));
    for (const id of missing) {
      this.inflight.add(id);
      this.chat.api.user(id).then(
        (u) => {
          const { online, platforms: _p, ...profile } = u;
          store.set((s) => ({ users: { ...s.users, [id]: profile as UserProfile }, online: id in s.online ? s.online : { ...s.online, [id]: online } }));
        },
        () => undefined,
      ).finally(() => this.inflight.delete(id));
    }
  }

  remember(users: UserProfile[]): void {
    if (users.length === 0) return;
    store.set((s) => {
      const next = { ...s.users };
      for (const u of users) next[u.user_id] = u;
      return { users: next };
    });
  }

  /** Subscribe to presence of these users (and learn their current state). */
  watchPresence(ids: string[]): void {
    const fresh = ids.filter((id) => id && id !== this.chat.me);
    for (const id of fresh) this.watched.add(id);
    void this.askPresence(fresh);
  }

  /** After a reconnect the new connection has no subscriptions: ask for all again. */
  rewatch(): void {
    void this.askPresence([...this.watched]);
  }

  private async askPresence(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 200) {
      const batch = unique.slice(i, i + 200);
      try {
        const { users } = await this.chat.client.presence(batch);
        store.set((s) => {
          const online = { ...s.online };
          for (const p of users) online[p.user_id] = p.online;
          return { online };
        });
      } catch {
        return; // not connected: the next open asks again
      }
    }
  }
}
