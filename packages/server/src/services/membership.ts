import type { MemberRow, Store } from '../store/store.js';

/**
 * Member rows per conversation, cached: every send to a group needs the
 * member list (access check and push fan-out), and reading 2,000 rows per
 * message would dominate the send path. Every membership or member-setting
 * change goes through `invalidate`. Limits: the cache is per process; with
 * several dispatchers, group changes must also be broadcast (distributed issue).
 */
export class Membership {
  private readonly cache = new Map<string, Promise<Map<string, MemberRow>>>();
  private readonly maxEntries: number;

  constructor(private readonly store: Store, opts: { maxEntries?: number } = {}) {
    this.maxEntries = opts.maxEntries ?? 20000;
  }

  private key(appId: string, convId: string): string {
    return `${appId}\u0000${convId}`;
  }

  members(appId: string, convId: string): Promise<Map<string, MemberRow>> {
    const k = this.key(appId, convId);
    let p = this.cache.get(k);
    if (!p) {
      p = this.store.listMembers(appId, convId).then((rows) => new Map(rows.map((r) => [r.user_id, r])));
      p.catch(() => this.cache.delete(k));
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, p);
    }
    return p;
  }

  async member(appId: string, convId: string, userId: string): Promise<MemberRow | undefined> {
    return (await this.members(appId, convId)).get(userId);
  }

  invalidate(appId: string, convId: string): void {
    this.cache.delete(this.key(appId, convId));
  }
}
