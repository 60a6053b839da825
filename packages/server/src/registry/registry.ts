/**
 * Service registry seam: how links and dispatchers find each other (DESIGN §2).
 *
 * Guarantees:
 * - `announce` registers this process and keeps it registered (a heartbeat
 *   refreshes a TTL) until `close`; a process that stops heartbeating drops
 *   out within `ttlMs`.
 * - Every process start has a fresh `boot_id`; a member is identified by
 *   (id, boot_id), so routes of an earlier life of the same id can be told
 *   apart and fenced off (never pushed to).
 * - `watch` calls its handler with the full live list of a role whenever it
 *   changes (and once at the start); lists are sorted by id.
 * Limits: membership is eventually consistent (within a heartbeat period).
 */
export type ServiceRole = 'link' | 'dispatch' | 'api';

export interface ServiceMember {
  role: ServiceRole;
  id: string;
  boot_id: string;
  /** where peers reach it: host:port of its internal TCP listener ('' if none) */
  address: string;
  started_at: number;
}

export interface Registry {
  announce(self: ServiceMember): Promise<void>;
  members(role: ServiceRole): Promise<ServiceMember[]>;
  /** returns an unsubscribe function */
  watch(role: ServiceRole, handler: (members: ServiceMember[]) => void): () => void;
  close(): Promise<void>;
}
