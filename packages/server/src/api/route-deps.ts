import { ParleyError } from '@parley/protocol';
import type { Core } from '../core.js';
import type { AuthHooks } from './auth.js';

/** What every route plugin receives from api-server.ts. */
export interface RouteDeps {
  core: Core;
  auth: AuthHooks;
}

/** not_found unless every user exists in the app (relations are not checked by the store). */
export async function requireUsers(core: Core, appId: string, userIds: string[]): Promise<void> {
  const found = new Set((await core.users.getMany(appId, userIds)).map((u) => u.user_id));
  const missing = userIds.filter((u) => !found.has(u));
  if (missing.length) throw new ParleyError('not_found', `user ${missing.join(', ')} not found`);
}

/**
 * Friends and blocks, shared by the admin routes (any user of the app) and
 * the client routes (the caller). Each change answers with the updated list.
 */
export const relationsOf = (core: Core) => ({
  async friends(appId: string, user: string) {
    return { friends: await core.relations.listFriends(appId, user) };
  },
  async addFriend(appId: string, user: string, other: string) {
    await requireUsers(core, appId, [user, other]);
    await core.relations.addFriend(appId, user, other);
    return this.friends(appId, user);
  },
  async removeFriend(appId: string, user: string, other: string) {
    await core.relations.removeFriend(appId, user, other);
    return this.friends(appId, user);
  },
  async blocked(appId: string, user: string) {
    return { blocked: await core.relations.listBlocked(appId, user) };
  },
  async block(appId: string, user: string, other: string) {
    await requireUsers(core, appId, [user, other]);
    await core.relations.block(appId, user, other);
    return this.blocked(appId, user);
  },
  async unblock(appId: string, user: string, other: string) {
    await core.relations.unblock(appId, user, other);
    return this.blocked(appId, user);
  },
});
