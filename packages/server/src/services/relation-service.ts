import { ParleyError } from '@parley/protocol';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

/**
 * Friends (mutual, stored both ways) and block lists (directed). Every
 * single-chat send asks whether the recipient blocked the sender, so block
 * lists are cached per user and kept in step by block/unblock. Limits: per
 * process (several dispatchers need an invalidation broadcast).
 */
export class RelationService {
  private readonly blocks = new Map<string, Promise<Set<string>>>();

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  private blockList(appId: string, blocker: string): Promise<Set<string>> {
    const k = `${appId}\u0000${blocker}`;
    let p = this.blocks.get(k);
    if (!p) {
      if (this.blocks.size >= 100_000) this.blocks.delete(this.blocks.keys().next().value!);
      p = this.store.listBlocked(appId, blocker).then((l) => new Set(l));
      p.catch(() => this.blocks.delete(k));
      this.blocks.set(k, p);
    }
    return p;
  }

  async addFriend(appId: string, a: string, b: string): Promise<void> {
    if (a === b) throw new ParleyError('invalid_field', 'cannot befriend yourself');
    await this.store.addFriend(appId, a, b, this.clock());
  }

  removeFriend(appId: string, a: string, b: string): Promise<void> {
    return this.store.removeFriend(appId, a, b);
  }

  listFriends(appId: string, userId: string): Promise<string[]> {
    return this.store.listFriends(appId, userId);
  }

  isFriend(appId: string, a: string, b: string): Promise<boolean> {
    return this.store.isFriend(appId, a, b);
  }

  async block(appId: string, blocker: string, blocked: string): Promise<void> {
    if (blocker === blocked) throw new ParleyError('invalid_field', 'cannot block yourself');
    await this.store.block(appId, blocker, blocked, this.clock());
    (await this.blockList(appId, blocker)).add(blocked);
  }

  async unblock(appId: string, blocker: string, blocked: string): Promise<void> {
    await this.store.unblock(appId, blocker, blocked);
    (await this.blockList(appId, blocker)).delete(blocked);
  }

  listBlocked(appId: string, blocker: string): Promise<string[]> {
    return this.store.listBlocked(appId, blocker);
  }

  async isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean> {
    return (await this.blockList(appId, blocker)).has(blocked);
  }
}
