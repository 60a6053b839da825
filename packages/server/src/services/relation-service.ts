import { ParleyError } from '@parley/protocol';
import { LoadingCache } from '../cache/loading-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

/**
 * Friends (mutual, stored both ways) and block lists (directed). Every
 * single-chat send asks whether the recipient blocked the sender, so block
 * lists are cached per user (bounded). Block and unblock write the store,
 * then drop the list in every process (`blocks.changed` on the control
 * plane: here before the call returns, elsewhere when it arrives), which
 * re-read it on next use. A list read before the change is never cached
 * after it (cache/loading-cache.ts).
 */
export class RelationService {
  private readonly blocks: LoadingCache<string, Set<string>>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly control: ControlPlane,
    opts: { maxEntries?: number } = {},
  ) {
    this.blocks = new LoadingCache(opts.maxEntries ?? 100_000);
    control.on('blocks.changed', (m) => this.blocks.invalidate(this.key(m.app_id, m.blocker)));
    control.onReset(() => this.blocks.clear());
  }

  private key(appId: string, blocker: string): string {
    return `${appId}\u0000${blocker}`;
  }

  private async blockList(appId: string, blocker: string): Promise<Set<string>> {
    const list = await this.blocks.get(this.key(appId, blocker), async () => new Set(await this.store.listBlocked(appId, blocker)));
    return list!;
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
    this.control.publish({ type: 'blocks.changed', app_id: appId, blocker });
  }

  async unblock(appId: string, blocker: string, blocked: string): Promise<void> {
    await this.store.unblock(appId, blocker, blocked);
    this.control.publish({ type: 'blocks.changed', app_id: appId, blocker });
  }

  listBlocked(appId: string, blocker: string): Promise<string[]> {
    return this.store.listBlocked(appId, blocker);
  }

  async isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean> {
    return (await this.blockList(appId, blocker)).has(blocked);
  }
}
