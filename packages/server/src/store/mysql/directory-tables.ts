import {
  StoreError,
  type AppRow, type AppSettings, type AppStore, type RelationStore, type UserRow, type UserStore,
} from '../store.js';
import { appFromSql, json, userFromSql, type AppSql, type UserSql } from '../sqlite/rows.js';
import { likeContains, likePrefix } from '../sqlite/search-text.js';
import { patchParams, SQL } from './domain-sql.js';
import { cutPadded } from './statement-shapes.js';
import type { Param, SqlPool } from './sql-pool.js';

export const one = <T>(rows: T[]): T | null => rows[0] ?? null;

/**
 * Apps, users, friends and blocks: plain tables, every read and write on the
 * primary (authorization and registration decide on the latest rows). The
 * base of MysqlStore, which adds the conversation, group and message tables
 * with their replica routing.
 */
export class MysqlDirectoryTables implements AppStore, UserStore, RelationStore {
  constructor(protected readonly primary: SqlPool) {}

  protected async rows<R>(what: string, sql: string, params: Param[]): Promise<R[]> {
    return (await this.primary.run<R>(what, sql, params)).rows;
  }
  protected async exists(what: string, sql: string, params: Param[]): Promise<boolean> {
    return (await this.primary.run(what, sql, params)).rows.length > 0;
  }
  // apps

  async createApp(a: AppRow): Promise<void> {
    await this.primary.run('create app', SQL.insertApp, [a.app_id, a.name, a.api_key_hash, a.webhook_secret, JSON.stringify(a.settings), a.created_at]);
  }

  async getApp(appId: string): Promise<AppRow | null> {
    const r = one(await this.rows<AppSql>('get app', SQL.getApp, [appId]));
    return r ? appFromSql(r) : null;
  }

  async getAppByKeyHash(apiKeyHash: string): Promise<AppRow | null> {
    const r = one(await this.rows<AppSql>('get app', SQL.getAppByKeyHash, [apiKeyHash]));
    return r ? appFromSql(r) : null;
  }

  async listApps(): Promise<AppRow[]> {
    return (await this.rows<AppSql>('list apps', SQL.listApps, [])).map(appFromSql);
  }

  async updateAppSettings(appId: string, settings: AppSettings): Promise<void> {
    const r = await this.primary.run('update app', SQL.updateAppSettings, [JSON.stringify(settings), appId]);
    if (r.affected === 0) throw new StoreError('not_found', `app ${appId} not found`);
  }

  // users

  async createUser(u: UserRow): Promise<void> {
    await this.primary.run('create user', SQL.insertUser, [u.app_id, u.user_id, u.name, u.avatar ?? null, json(u.meta),
      u.password_hash ?? null, u.tokens_valid_after, u.created_at]);
  }

  async getUser(appId: string, userId: string): Promise<UserRow | null> {
    const r = one(await this.rows<UserSql>('get user', SQL.getUser, [appId, userId]));
    return r ? userFromSql(r) : null;
  }

  async getUsers(appId: string, userIds: string[]): Promise<UserRow[]> {
    if (userIds.length === 0) return [];
    const seen = new Map<string, UserRow>();
    for (const piece of cutPadded([...new Set(userIds)])) {
      for (const r of await this.rows<UserSql>('get users', SQL.getUsers(piece.length), [appId, ...piece])) seen.set(r.user_id, userFromSql(r));
    }
    return [...seen.values()].sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
  }

  async updateUser(appId: string, userId: string, patch: Partial<Pick<UserRow, 'name' | 'avatar' | 'meta' | 'password_hash' | 'tokens_valid_after'>>): Promise<void> {
    const params = patchParams(['name', 'avatar', 'meta', 'password_hash', 'tokens_valid_after'] as const, patch,
      (k, v) => (k === 'meta' ? json(v) : (v as string | number)));
    const r = await this.primary.run('update user', SQL.updateUser, [...params, appId, userId]);
    if (r.affected === 0) throw new StoreError('not_found', `user ${userId} not found`);
  }

  async searchUsers(appId: string, query: string, limit: number): Promise<UserRow[]> {
    const n = Math.floor(limit);
    if (!(n > 0)) return [];
    const q = query.trim();
    const [contains, prefix] = [likeContains(q), likePrefix(q)];
    return (await this.rows<UserSql>('search users', SQL.searchUsers, [appId, contains, contains, q, prefix, prefix, n])).map(userFromSql);
  }

  // friends and blocks

  async addFriend(appId: string, a: string, b: string, at: number): Promise<void> {
    await this.primary.run('add friend', SQL.insertFriend, [appId, a, b, at, appId, b, a, at]);
  }

  async removeFriend(appId: string, a: string, b: string): Promise<void> {
    await this.primary.run('remove friend', SQL.deleteFriend, [appId, a, b, b, a]);
  }

  async listFriends(appId: string, userId: string): Promise<string[]> {
    return (await this.rows<{ friend_id: string }>('list friends', SQL.listFriends, [appId, userId])).map((r) => r.friend_id);
  }

  async isFriend(appId: string, a: string, b: string): Promise<boolean> {
    return this.exists('is friend', SQL.isFriend, [appId, a, b]);
  }

  async block(appId: string, blocker: string, blocked: string, at: number): Promise<void> {
    await this.primary.run('block', SQL.insertBlock, [appId, blocker, blocked, at]);
  }

  async unblock(appId: string, blocker: string, blocked: string): Promise<void> {
    await this.primary.run('unblock', SQL.deleteBlock, [appId, blocker, blocked]);
  }

  async listBlocked(appId: string, blocker: string): Promise<string[]> {
    return (await this.rows<{ blocked: string }>('list blocked', SQL.listBlocked, [appId, blocker])).map((r) => r.blocked);
  }

  async isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean> {
    return this.exists('is blocked', SQL.isBlocked, [appId, blocker, blocked]);
  }
}
