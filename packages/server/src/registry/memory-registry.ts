import type { Registry, ServiceMember, ServiceRole } from './registry.js';
import { RegistryWatcher } from './registry-watch.js';

/**
 * In-process registry: the embedded default, and how the links and
 * dispatchers of the in-process cluster test find each other.
 *
 * `new MemoryRegistryHub()` is the shared "Redis"; each `new
 * MemoryRegistry(hub)` is one process's view. Same rules as the Redis
 * registry: entries expire `ttlMs` after their last heartbeat, an announce
 * of an id with a new boot id replaces the old entry at once, a superseded
 * life stops heartbeating and its `close` leaves the new life alone.
 * Limits: one process only.
 */
export class MemoryRegistryHub {
  /** key `${role}\u0000${id}` */
  readonly entries = new Map<string, { member: ServiceMember; expiresAt: number }>();
  readonly instances = new Set<MemoryRegistry>();

  /** @internal announcements reach every instance's watcher */
  changed(role: ServiceRole): void {
    queueMicrotask(() => {
      for (const r of this.instances) r.poke(role);
    });
  }
}

export interface MemoryRegistryOptions {
  /** default 5000 */
  ttlMs?: number;
  /** default ttlMs / 3 */
  heartbeatMs?: number;
  /** how often watchers re-read the list (default 1000) */
  pollMs?: number;
  now?: () => number;
}

export class MemoryRegistry implements Registry {
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly now: () => number;
  private readonly watcher: RegistryWatcher;
  private readonly own = new Map<string, ServiceMember>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly hub: MemoryRegistryHub = new MemoryRegistryHub(), options: MemoryRegistryOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.ttlMs / 3));
    this.now = options.now ?? Date.now;
    this.watcher = new RegistryWatcher(async (role) => this.list(role), options.pollMs ?? 1000, () => {});
    hub.instances.add(this);
  }

  async announce(self: ServiceMember): Promise<void> {
    const k = `${self.role}\u0000${self.id}`;
    this.own.set(k, { ...self });
    this.hub.entries.set(k, { member: { ...self }, expiresAt: this.now() + this.ttlMs });
    this.hub.changed(self.role);
    if (!this.timer) {
      this.timer = setInterval(() => this.heartbeat(), this.heartbeatMs);
      this.timer.unref();
    }
  }

  private heartbeat(): void {
    for (const [k, m] of this.own) {
      const e = this.hub.entries.get(k);
      if (e && e.member.boot_id !== m.boot_id && e.expiresAt > this.now()) {
        this.own.delete(k); // superseded by a newer life of this id: fenced, stop heartbeating
        continue;
      }
      this.hub.entries.set(k, { member: { ...m }, expiresAt: this.now() + this.ttlMs });
    }
  }

  private list(role: ServiceRole): ServiceMember[] {
    const now = this.now();
    const out: ServiceMember[] = [];
    for (const [k, e] of this.hub.entries) {
      if (e.expiresAt <= now) this.hub.entries.delete(k);
      else if (e.member.role === role) out.push({ ...e.member });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async members(role: ServiceRole): Promise<ServiceMember[]> {
    return this.list(role);
  }

  watch(role: ServiceRole, handler: (members: ServiceMember[]) => void): () => void {
    return this.watcher.watch(role, handler);
  }

  /** @internal */
  poke(role: ServiceRole): void {
    this.watcher.poke(role);
  }

  /** Tests: stop heartbeating without deregistering, as a process killed with -9. */
  simulateCrash(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.own.clear();
    this.watcher.close();
    this.hub.instances.delete(this);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watcher.close();
    this.hub.instances.delete(this);
    for (const [k, m] of this.own) {
      const e = this.hub.entries.get(k);
      if (e && e.member.boot_id === m.boot_id) {
        this.hub.entries.delete(k);
        this.hub.changed(m.role);
      }
    }
    this.own.clear();
  }
}
