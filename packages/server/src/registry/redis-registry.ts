import type { Redis } from 'ioredis';
import type { Registry, ServiceMember, ServiceRole } from './registry.js';
import { RegistryWatcher } from './registry-watch.js';
import { defineScript, type RedisScript } from '../redis/redis-script.js';

/**
 * Service registry in Redis: links and dispatchers announce themselves with
 * a TTL heartbeat and a boot id and find each other without static lists.
 *
 * Key layout (P = the configured prefix):
 *
 *   P reg:{role}:{id}   STRING JSON ServiceMember, PX ttlMs (refreshed every heartbeatMs)
 *   P reg:{role}        SET    ids announced for the role (an index; ids whose key expired are removed on read)
 *   channel P registry  pub/sub: the role name, published on every announce and close
 *
 * A member that stops heartbeating disappears when its key expires (within
 * `ttlMs`); watchers notice at their next poll (`pollMs`), and see announces
 * and clean closes at once through the channel (no keyspace notifications
 * needed). An announce with a new boot id overwrites the id's key, so a
 * restarted process replaces its earlier life at once; the earlier life, if
 * it is still running (a partition), finds a foreign boot id at its next
 * heartbeat and stops (fenced), and its `close` deletes only its own entry.
 * Limits: one Redis primary, not Redis Cluster (scripts read keys of ids
 * found in the index).
 */
export interface RedisRegistryOptions {
  prefix: string;
  /** default 5000 */
  ttlMs?: number;
  /** default ttlMs / 3 */
  heartbeatMs?: number;
  /** how often watchers re-read a role's list (default 1000) */
  pollMs?: number;
  /** heartbeat and watch failures (Redis unreachable); retried at the next tick */
  onError?: (err: unknown) => void;
}

/** KEYS[1] member key, KEYS[2] role index; ARGV: json, boot id, ttlMs → 0 when another life holds the id */
const HEARTBEAT_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur).boot_id ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], cjson.decode(ARGV[1]).id)
return 1
`;

/** KEYS[1] role index; ARGV[1] member key prefix → JSON of each live member */
const MEMBERS_LUA = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], id) end
end
return out
`;

/** KEYS[1] member key, KEYS[2] role index; ARGV[1] boot id → 1 if this life's entry was removed */
const LEAVE_LUA = `
local cur = redis.call('GET', KEYS[1])
if cur and cjson.decode(cur).boot_id == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], cjson.decode(cur).id)
  return 1
end
return 0
`;

export class RedisRegistry implements Registry {
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly heartbeatScript: RedisScript;
  private readonly membersScript: RedisScript;
  private readonly leaveScript: RedisScript;
  private readonly watcher: RegistryWatcher;
  private readonly own = new Map<string, ServiceMember>();
  private timer: NodeJS.Timeout | undefined;
  private sub: Redis | undefined;
  private closed = false;

  /** `redis` is owned by the caller; a duplicate connection for announcements is opened on the first `watch`. */
  constructor(private readonly redis: Redis, options: RedisRegistryOptions) {
    this.prefix = options.prefix;
    this.ttlMs = options.ttlMs ?? 5000;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.ttlMs / 3));
    this.onError = options.onError ?? (() => {});
    this.heartbeatScript = defineScript(redis, 'parleyRegistryHeartbeat', 2, HEARTBEAT_LUA);
    this.membersScript = defineScript(redis, 'parleyRegistryMembers', 1, MEMBERS_LUA);
    this.leaveScript = defineScript(redis, 'parleyRegistryLeave', 2, LEAVE_LUA);
    this.watcher = new RegistryWatcher((role) => this.members(role), options.pollMs ?? 1000, this.onError);
  }

  private memberKey(role: ServiceRole, id: string): string {
    return `${this.prefix}reg:${role}:${id}`;
  }

  async announce(self: ServiceMember): Promise<void> {
    if (this.closed) throw new Error('registry closed');
    const member = { ...self };
    // An announce always wins: it is the newest life of this id.
    await this.redis
      .multi()
      .set(this.memberKey(member.role, member.id), JSON.stringify(member), 'PX', this.ttlMs)
      .sadd(`${this.prefix}reg:${member.role}`, member.id)
      .publish(`${this.prefix}registry`, member.role)
      .exec();
    this.own.set(`${member.role}\u0000${member.id}`, member);
    if (!this.timer) {
      this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
      this.timer.unref();
    }
  }

  private async heartbeat(): Promise<void> {
    for (const [k, m] of [...this.own]) {
      try {
        const ok = await this.heartbeatScript.run(
          this.memberKey(m.role, m.id), `${this.prefix}reg:${m.role}`, JSON.stringify(m), m.boot_id, this.ttlMs,
        );
        if (ok === 0) {
          this.own.delete(k);
          this.onError(new Error(`registry: ${m.role} ${m.id} was taken over by another boot; this life stops heartbeating`));
        }
      } catch (err) {
        this.onError(err);
      }
    }
  }

  async members(role: ServiceRole): Promise<ServiceMember[]> {
    const raw = (await this.membersScript.run(`${this.prefix}reg:${role}`, `${this.prefix}reg:${role}:`)) as string[];
    return raw.map((r) => JSON.parse(r) as ServiceMember).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  watch(role: ServiceRole, handler: (members: ServiceMember[]) => void): () => void {
    if (!this.sub && !this.closed) this.listen();
    return this.watcher.watch(role, handler);
  }

  private listen(): void {
    const sub = this.redis.duplicate();
    this.sub = sub;
    const channel = `${this.prefix}registry`;
    sub.on('message', (ch: string, role: string) => {
      if (ch === channel) this.watcher.poke(role as ServiceRole);
    });
    sub.on('error', (err) => this.onError(err));
    sub.subscribe(channel).catch((err) => this.onError(err));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.watcher.close();
    this.sub?.disconnect();
    for (const m of this.own.values()) {
      try {
        const left = await this.leaveScript.run(this.memberKey(m.role, m.id), `${this.prefix}reg:${m.role}`, m.boot_id);
        if (left === 1) await this.redis.publish(`${this.prefix}registry`, m.role);
      } catch (err) {
        this.onError(err); // unreachable Redis: the entry expires by itself
      }
    }
    this.own.clear();
  }
}
