import { ParleyError, type UserProfile } from '@parley/protocol';
import { LruCache } from '../cache/lru-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import { StoreError, type Store, type UserRow } from '../store/store.js';
import type { AppService } from './app-service.js';
import type { Clock } from './clock.js';

/** What the user service needs from token issuing (auth/token-issuer.ts). */
export interface TokenIssuing {
  issue(appId: string, userId: string, opts?: { ttlSec?: number }): Promise<{ token: string; expires_at: number }>;
}

/** What the user service needs from password hashing (auth/password.ts). */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

export interface CreateUserInput {
  user_id: string;
  name?: string;
  avatar?: string;
  meta?: Record<string, unknown>;
  password?: string;
}

export function toProfile(u: UserRow): UserProfile {
  return { user_id: u.user_id, name: u.name, avatar: u.avatar, meta: u.meta, created_at: u.created_at };
}

/**
 * Users of an app: creation by a business backend, password registration and
 * login where the app allows it, token issuing, and revocation (logout/kick
 * moves `tokens_valid_after`, which dispatch checks when a connection opens).
 *
 * The watermark is cached per user (bounded) because every connection open
 * and every token-authenticated request checks it. It only ever grows, so
 * every write to the cache is a max-merge: a revocation (`user.revoked` on
 * the control plane, applied here before `revokeTokens` returns and in every
 * other process when it arrives) can never be undone by a store read that
 * was in flight, nor by messages arriving out of order. A process that may
 * have missed messages (control reset) forgets every watermark and re-reads.
 */
export class UserService {
  private readonly validAfter: LruCache<string, number>;

  constructor(
    private readonly store: Store,
    private readonly apps: AppService,
    private readonly tokens: TokenIssuing,
    private readonly passwords: PasswordHashing,
    private readonly clock: Clock,
    private readonly control: ControlPlane,
    opts: { maxEntries?: number } = {},
  ) {
    this.validAfter = new LruCache(opts.maxEntries ?? 100_000);
    control.on('user.revoked', (m) => {
      this.raise(`${m.app_id}\u0000${m.user_id}`, m.valid_after);
    });
    control.onReset(() => {
      this.validAfter.clear();
      this.generation++;
    });
  }

  /** bumped by a reset: a read that started before it must not fill the cache */
  private generation = 0;

  private raise(key: string, after: number): number {
    const v = Math.max(after, this.validAfter.peek(key) ?? 0);
    this.validAfter.set(key, v);
    return v;
  }

  async create(appId: string, input: CreateUserInput): Promise<UserRow> {
    const row: UserRow = {
      app_id: appId, user_id: input.user_id, name: input.name ?? input.user_id, avatar: input.avatar, meta: input.meta,
      password_hash: input.password ? await this.passwords.hash(input.password) : undefined,
      tokens_valid_after: 0, created_at: this.clock(),
    };
    try {
      await this.store.createUser(row);
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'duplicate') throw new ParleyError('already_exists', `user ${input.user_id} already exists`);
      throw err;
    }
    return row;
  }

  async get(appId: string, userId: string): Promise<UserRow> {
    const u = await this.store.getUser(appId, userId);
    if (!u) throw new ParleyError('not_found', `user ${userId} not found`);
    return u;
  }

  async exists(appId: string, userId: string): Promise<boolean> {
    return (await this.store.getUser(appId, userId)) !== null;
  }

  async getMany(appId: string, userIds: string[]): Promise<UserRow[]> {
    return userIds.length ? this.store.getUsers(appId, userIds) : [];
  }

  async update(appId: string, userId: string, patch: { name?: string; avatar?: string; meta?: Record<string, unknown>; password?: string }): Promise<UserRow> {
    await this.get(appId, userId);
    const { password, ...rest } = patch;
    await this.store.updateUser(appId, userId, { ...rest, ...(password ? { password_hash: await this.passwords.hash(password) } : {}) });
    return this.get(appId, userId);
  }

  async search(appId: string, query: string, limit: number): Promise<UserRow[]> {
    return this.store.searchUsers(appId, query, limit);
  }

  async issueToken(appId: string, userId: string, ttlSec?: number): Promise<{ token: string; expires_at: number }> {
    await this.get(appId, userId);
    return this.tokens.issue(appId, userId, ttlSec ? { ttlSec } : undefined);
  }

  async register(appId: string, input: CreateUserInput & { password: string }): Promise<{ user: UserRow; token: string; expires_at: number }> {
    const app = await this.apps.get(appId);
    if (!app.settings.allow_registration) throw new ParleyError('registration_disabled');
    const user = await this.create(appId, input);
    return { user, ...(await this.tokens.issue(appId, user.user_id)) };
  }

  async login(appId: string, userId: string, password: string): Promise<{ user: UserRow; token: string; expires_at: number }> {
    const user = await this.store.getUser(appId, userId);
    // Same error for unknown user and wrong password, so ids cannot be probed.
    if (!user || !user.password_hash || !(await this.passwords.verify(password, user.password_hash))) {
      throw new ParleyError('invalid_credentials');
    }
    return { user, ...(await this.tokens.issue(appId, userId)) };
  }

  /** Revoke every token issued to the user up to now. */
  async revokeTokens(appId: string, userId: string): Promise<void> {
    // +1 ms so that a token issued in this very millisecond is revoked too.
    const at = this.clock() + 1;
    await this.store.updateUser(appId, userId, { tokens_valid_after: at });
    this.control.publish({ type: 'user.revoked', app_id: appId, user_id: userId, valid_after: at });
  }

  /**
   * True when a token issued at `iatMs` was revoked since. `fresh` reads the
   * store even on a hit (dispatch, when a connection opens): then a
   * revocation that returned anywhere, on any process, is always seen —
   * there is no window while the control message travels. Without it (every
   * HTTP request) the cached watermark answers.
   */
  async isRevoked(appId: string, userId: string, iatMs: number, opts: { fresh?: boolean } = {}): Promise<boolean> {
    const k = `${appId}\u0000${userId}`;
    let after = opts.fresh ? undefined : this.validAfter.get(k);
    if (after === undefined) {
      const gen = this.generation;
      const u = await this.store.getUser(appId, userId);
      if (!u) return true; // deleted user: nothing they hold is valid
      // A revocation that arrived while the read was in flight stays: the larger watermark wins.
      after = gen === this.generation ? this.raise(k, u.tokens_valid_after) : Math.max(u.tokens_valid_after, this.validAfter.peek(k) ?? 0);
    }
    // JWT iat has second precision: a token issued in the same second as the revocation counts as revoked.
    return iatMs < after;
  }
}
