import type { Platform } from '@parley/protocol';

/**
 * Location, presence and multi-login seam: which connections a user has, on
 * which link process, on which platform.
 *
 * Guarantees:
 * - `register` applies the app's login policy atomically for the user and
 *   returns the connections that must be kicked (the caller kicks them), and
 *   whether this is the user's first connection (presence goes online).
 *   Registering a conn id that is already registered (a session re-opened on
 *   another dispatcher) replaces its entry: it is never kicked for itself and
 *   is not a first connection.
 * - `lookup` returns every registered connection of the given users
 *   (across the cluster for distributed implementations); it may include a
 *   connection that has just gone away — pushes to it are dropped by its link.
 * - Entries of a link that stops heartbeating expire (distributed only; the
 *   memory implementation lives and dies with its process).
 */
export interface ConnRef {
  app_id: string;
  user_id: string;
  conn_id: string;
  link_id: string;
  /** the link process's boot id: entries of an earlier life of the link are fenced off */
  boot_id?: string;
  platform: Platform;
  connected_at: number;
}

export type LoginPolicy = 'one_per_platform' | 'one_total' | 'unlimited';

export interface Location {
  register(conn: ConnRef, policy: LoginPolicy): Promise<{ kicked: ConnRef[]; first: boolean }>;
  /**
   * remove one connection; returns true when the user has no connection left. Shared
   * implementations (RedisLocation) remove it only if this instance registered it last: a
   * dispatcher that lost a link must not undo the registration of the dispatcher the link
   * re-opened the session on (same connection id).
   */
  unregister(appId: string, userId: string, connId: string): Promise<boolean>;
  lookup(appId: string, userIds: readonly string[]): Promise<ConnRef[]>;
  /** all connections of one link (used when a link disconnects from a dispatcher) */
  connectionsOfLink(linkId: string): Promise<ConnRef[]>;
  /** keep a link's entries alive (no-op in memory) */
  heartbeat(linkId: string): Promise<void>;
  close(): Promise<void>;
}
