import { ParleyError } from '@parley/protocol';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

/** Friends (mutual, stored both ways) and block lists (directed). */
export class RelationService {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

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
  }

  unblock(appId: string, blocker: string, blocked: string): Promise<void> {
    return this.store.unblock(appId, blocker, blocked);
  }

  listBlocked(appId: string, blocker: string): Promise<string[]> {
    return this.store.listBlocked(appId, blocker);
  }

  isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean> {
    return this.store.isBlocked(appId, blocker, blocked);
  }
}
