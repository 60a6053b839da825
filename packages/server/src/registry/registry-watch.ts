import type { ServiceMember, ServiceRole } from './registry.js';

/**
 * `Registry.watch` written once for every implementation: polls a role's
 * live list every `pollMs` (a member that stops heartbeating has no event of
 * its own: it just expires) and on `poke` (an announcement), and calls the
 * handlers when the list changed, and once at the start. Fetches of one
 * role never overlap; a failed fetch is reported and retried at the next
 * tick, keeping the last list.
 */
export class RegistryWatcher {
  private readonly roles = new Map<ServiceRole, RoleState>();
  private closed = false;

  constructor(
    private readonly fetch: (role: ServiceRole) => Promise<ServiceMember[]>,
    private readonly pollMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  watch(role: ServiceRole, handler: (members: ServiceMember[]) => void): () => void {
    let state = this.roles.get(role);
    if (!state) {
      state = { handlers: new Set(), last: undefined, lastList: [], running: false, again: false, timer: undefined };
      this.roles.set(role, state);
      const s = state;
      s.timer = setInterval(() => void this.refresh(role, s), this.pollMs);
      s.timer.unref();
    }
    const s = state;
    s.handlers.add(handler);
    if (s.last !== undefined) {
      // A late watcher gets the current list at once (asynchronously, like the first call of the first one).
      const list = s.lastList;
      queueMicrotask(() => s.handlers.has(handler) && handler(list));
    } else {
      void this.refresh(role, s);
    }
    return () => {
      s.handlers.delete(handler);
      if (s.handlers.size === 0) {
        clearInterval(s.timer);
        this.roles.delete(role);
      }
    };
  }

  /** something changed for this role (an announcement): refresh now */
  poke(role: ServiceRole): void {
    const s = this.roles.get(role);
    if (s) void this.refresh(role, s);
  }

  private async refresh(role: ServiceRole, s: RoleState): Promise<void> {
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    try {
      do {
        s.again = false;
        let list: ServiceMember[];
        try {
          list = await this.fetch(role);
        } catch (err) {
          this.onError(err);
          return;
        }
        const sig = JSON.stringify(list.map((m) => [m.id, m.boot_id, m.address]));
        if (this.closed || sig === s.last) continue;
        s.last = sig;
        s.lastList = list;
        for (const h of [...s.handlers]) {
          try {
            h(list);
          } catch (err) {
            this.onError(err);
          }
        }
      } while (s.again && !this.closed);
    } finally {
      s.running = false;
    }
  }

  close(): void {
    this.closed = true;
    for (const s of this.roles.values()) clearInterval(s.timer);
    this.roles.clear();
  }
}

interface RoleState {
  handlers: Set<(members: ServiceMember[]) => void>;
  /** signature of the last list handed out (undefined: none yet) */
  last: string | undefined;
  lastList: ServiceMember[];
  running: boolean;
  again: boolean;
  timer: NodeJS.Timeout | undefined;
}
