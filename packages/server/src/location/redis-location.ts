import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Platform } from '@parley/protocol';
import type { ConnRef, Location, LoginPolicy } from './location.js';
import { defineScript, type RedisScript } from '../redis/redis-script.js';

/**
 * Location, presence and multi-login in Redis, shared by every dispatcher.
 *
 * Key layout (P = the configured prefix, e.g. `parley:`; ids never contain
 * ':' — protocol `Id` — so every key below is unambiguous):
 *
 *   P loc:{app}:{user}   HASH  conn_id → JSON {l: link_id, b: boot_id, p: platform, t: connected_at}
 *   P link:{link}        STRING "1", PX linkTtlMs — the link is alive; set by `heartbeat` and `register`
 *   P linkboot:{link}    STRING boot id of the link's newest life (set by `register`), PX retainMs
 *   P linkconns:{link}   SET   JSON [app, user, conn] of every connection registered on the link, PX retainMs
 *
 * A connection is live when its link's `link:` key exists and its boot id is
 * the link's newest (`linkboot:`): entries of a link that stopped
 * heartbeating expire with its key (no sweeper needed), and entries of an
 * earlier life of a restarted link are fenced off as soon as the new life
 * registers its first connection. `lookup` and `register` skip entries that
 * are not live; `register` and `unregister` also delete the user's dead
 * entries. Leftovers of a link that never comes back vanish with the
 * `linkconns:`/`linkboot:` TTL (`retainMs`), and a user hash holding only
 * dead entries is pruned at that user's next login or logout.
 *
 * Repair after data loss: each instance remembers the connections it
 * registered (its dispatcher's sessions) until they unregister or are
 * kicked. When a heartbeat finds the link's `linkconns:` set gone while this
 * instance holds connections of that link (FLUSHALL, a failover to an empty
 * replica), it writes them back (without overwriting anything newer), so
 * pushes resume within one heartbeat instead of at the clients' next
 * reconnect.
 *
 * Atomicity: `register` (login policy) and `unregister` are Lua scripts, so
 * two dispatchers logging the same user in at once both see each other.
 * Limits: one Redis primary (a replica or Sentinel for failover is fine), not
 * Redis Cluster — the scripts read link keys that are not among their KEYS.
 * A partial loss (a failover that lost recent writes but kept the link's set)
 * is not detected: those connections are found again when their clients
 * reconnect. The repair mirror costs one ConnRef per registered connection.
 */
export interface RedisLocationOptions {
  /** key prefix, e.g. `parley:` (a random one per test run) */
  prefix: string;
  /** a link whose heartbeat stops is dead after this long (default 15 s; links heartbeat every few seconds) */
  linkTtlMs?: number;
  /** how long the per-link index outlives the link's last heartbeat (default 1 h) */
  retainMs?: number;
  /** `close` also closes the client (the composition root hands over a connection of its own) */
  closeClient?: boolean;
}

/** Shared by the scripts: is entry `e` (decoded) live? Memoised per link within one call. */
const LIVE_LUA = `
local prefix = ARGV[1]
local liveCache = {}
local function isLive(e)
  local key = e.l .. '\\0' .. (e.b or '')
  local v = liveCache[key]
  if v == nil then
    v = redis.call('EXISTS', prefix .. 'link:' .. e.l) == 1
    if v and e.b and e.b ~= '' then
      local cur = redis.call('GET', prefix .. 'linkboot:' .. e.l)
      if cur and cur ~= e.b then v = false end
    end
    liveCache[key] = v
  end
  return v
end
local function forget(hash, cid, e, app, user)
  redis.call('HDEL', hash, cid)
  redis.call('SREM', prefix .. 'linkconns:' .. e.l, cjson.encode({app, user, cid}))
end
`;

/** KEYS[1] user hash; ARGV: prefix, app, user, conn, entry JSON, policy, link, boot, linkTtlMs, retainMs → {first, kicked cid, kicked entry, ...} */
const REGISTER_LUA = `${LIVE_LUA}
local app, user, conn, entry, policy, link, boot = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local ttl, retain = tonumber(ARGV[9]), tonumber(ARGV[10])
local platform = cjson.decode(entry).p
redis.call('SET', prefix .. 'link:' .. link, '1', 'PX', ttl)
if boot ~= '' then redis.call('SET', prefix .. 'linkboot:' .. link, boot, 'PX', retain) end
local all = redis.call('HGETALL', KEYS[1])
local out = {0}
local live = 0
for i = 1, #all, 2 do
  local cid, raw = all[i], all[i + 1]
  local e = cjson.decode(raw)
  if not isLive(e) then
    forget(KEYS[1], cid, e, app, user)
  else
    live = live + 1
    if cid ~= conn and (policy == 'one_total' or (policy == 'one_per_platform' and e.p == platform)) then
      forget(KEYS[1], cid, e, app, user)
      out[#out + 1] = cid
      out[#out + 1] = raw
    end
  end
end
redis.call('HSET', KEYS[1], conn, entry)
local set = prefix .. 'linkconns:' .. link
redis.call('SADD', set, cjson.encode({app, user, conn}))
redis.call('PEXPIRE', set, retain)
-- first: the user had no live connection (a replaced one keeps them online)
if live == 0 then out[1] = 1 end
return out
`;

/**
 * KEYS[1] user hash; ARGV: prefix, app, user, conn, owner → 1 when the user has no live connection left.
 * The connection's entry goes only when this instance wrote it (or nobody stamped it): one registered since
 * by another dispatcher (the link re-opened the session there) stays.
 */
const UNREGISTER_LUA = `${LIVE_LUA}
local app, user, conn, owner = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local all = redis.call('HGETALL', KEYS[1])
local left = 0
for i = 1, #all, 2 do
  local cid, raw = all[i], all[i + 1]
  local e = cjson.decode(raw)
  if not isLive(e) or (cid == conn and (e.o == nil or e.o == owner)) then forget(KEYS[1], cid, e, app, user) else left = left + 1 end
end
if left == 0 then return 1 end
return 0
`;

/** KEYS: user hashes; ARGV: prefix, link, boot, linkTtlMs, retainMs, then app, user, conn, entry per KEY → number restored */
const RESTORE_LUA = `
local prefix, link, boot = ARGV[1], ARGV[2], ARGV[3]
local ttl, retain = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('SET', prefix .. 'link:' .. link, '1', 'PX', ttl)
if boot ~= '' then redis.call('SET', prefix .. 'linkboot:' .. link, boot, 'PX', retain, 'NX') end
local set = prefix .. 'linkconns:' .. link
local n = 0
for k = 1, #KEYS do
  local a = 5 + (k - 1) * 4
  if redis.call('HSETNX', KEYS[k], ARGV[a + 3], ARGV[a + 4]) == 1 then n = n + 1 end
  redis.call('SADD', set, cjson.encode({ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]}))
end
redis.call('PEXPIRE', set, retain)
return n
`;

/** KEYS: user hashes; ARGV: prefix → {key index, cid, entry, ...} of live entries only */
const LOOKUP_LUA = `${LIVE_LUA}
local out = {}
for k = 1, #KEYS do
  local all = redis.call('HGETALL', KEYS[k])
  for i = 1, #all, 2 do
    if isLive(cjson.decode(all[i + 1])) then
      out[#out + 1] = k
      out[#out + 1] = all[i]
      out[#out + 1] = all[i + 1]
    end
  end
end
return out
`;

interface Entry {
  l: string;
  b: string;
  p: Platform;
  t: number;
  /** the RedisLocation instance (dispatcher) that wrote it: only that one's unregister removes it */
  o?: string;
}

/** users per lookup script call (all calls go in one pipeline): bounds how long one call holds Redis */
const LOOKUP_CHUNK = 256;

export class RedisLocation implements Location {
  private readonly prefix: string;
  private readonly linkTtlMs: number;
  private readonly retainMs: number;
  private readonly registerScript: RedisScript;
  private readonly unregisterScript: RedisScript;
  private readonly lookupScript: RedisScript;
  private readonly restoreScript: RedisScript;
  /** connections registered through this instance, by link, then `${app}\u0000${user}\u0000${conn}` (for repair) */
  private readonly mine = new Map<string, Map<string, ConnRef>>();
  /** stamped on the entries this instance writes (see UNREGISTER_LUA) */
  private readonly owner = randomBytes(8).toString('hex');

  /** `redis` stays the caller's unless `closeClient`. */
  constructor(private readonly redis: Redis, private readonly options: RedisLocationOptions) {
    this.prefix = options.prefix;
    this.linkTtlMs = options.linkTtlMs ?? 15_000;
    this.retainMs = Math.max(options.retainMs ?? 3_600_000, this.linkTtlMs);
    this.registerScript = defineScript(redis, 'parleyLocationRegister', 1, REGISTER_LUA);
    this.unregisterScript = defineScript(redis, 'parleyLocationUnregister', 1, UNREGISTER_LUA);
    this.lookupScript = defineScript(redis, 'parleyLocationLookup', undefined, LOOKUP_LUA);
    this.restoreScript = defineScript(redis, 'parleyLocationRestore', undefined, RESTORE_LUA);
  }

  private userKey(appId: string, userId: string): string {
    return `${this.prefix}loc:${appId}:${userId}`;
  }

  async register(conn: ConnRef, policy: LoginPolicy): Promise<{ kicked: ConnRef[]; first: boolean }> {
    const entry: Entry = { l: conn.link_id, b: conn.boot_id ?? '', p: conn.platform, t: conn.connected_at, o: this.owner };
    const out = (await this.registerScript.run(
      this.userKey(conn.app_id, conn.user_id), this.prefix, conn.app_id, conn.user_id, conn.conn_id,
      JSON.stringify(entry), policy, conn.link_id, conn.boot_id ?? '', this.linkTtlMs, this.retainMs,
    )) as (number | string)[];
    const kicked: ConnRef[] = [];
    for (let i = 1; i < out.length; i += 2) kicked.push(toRef(conn.app_id, conn.user_id, out[i] as string, out[i + 1] as string));
    for (const k of kicked) this.forget(k.link_id, k.app_id, k.user_id, k.conn_id);
    let links = this.mine.get(conn.link_id);
    if (!links) this.mine.set(conn.link_id, (links = new Map()));
    links.set(`${conn.app_id}\u0000${conn.user_id}\u0000${conn.conn_id}`, { ...conn });
    return { kicked, first: out[0] === 1 };
  }

  private forget(linkId: string, appId: string, userId: string, connId: string): void {
    const links = this.mine.get(linkId);
    if (!links) return;
    links.delete(`${appId}\u0000${userId}\u0000${connId}`);
    if (links.size === 0) this.mine.delete(linkId);
  }

  async unregister(appId: string, userId: string, connId: string): Promise<boolean> {
    for (const linkId of [...this.mine.keys()]) this.forget(linkId, appId, userId, connId);
    const none = await this.unregisterScript.run(this.userKey(appId, userId), this.prefix, appId, userId, connId, this.owner);
    return none === 1;
  }

  async lookup(appId: string, userIds: readonly string[]): Promise<ConnRef[]> {
    const users = [...new Set(userIds)];
    if (users.length === 0) return [];
    const pipeline = this.redis.pipeline();
    const chunks: string[][] = [];
    for (let i = 0; i < users.length; i += LOOKUP_CHUNK) {
      const chunk = users.slice(i, i + LOOKUP_CHUNK);
      chunks.push(chunk);
      this.lookupScript.queue(pipeline, chunk.length, ...chunk.map((u) => this.userKey(appId, u)), this.prefix);
    }
    const results = (await pipeline.exec()) ?? [];
    const refs: ConnRef[] = [];
    results.forEach(([err, res], c) => {
      if (err) throw err;
      const flat = res as (number | string)[];
      for (let i = 0; i < flat.length; i += 3) {
        refs.push(toRef(appId, chunks[c][(flat[i] as number) - 1], flat[i + 1] as string, flat[i + 2] as string));
      }
    });
    return refs;
  }

  /**
   * Every connection registered on the link and not yet unregistered,
   * whether or not the link is still alive (the caller is cleaning up
   * after a link that went away). Entries of an earlier life are excluded.
   */
  async connectionsOfLink(linkId: string): Promise<ConnRef[]> {
    const [members, boot] = await Promise.all([
      this.redis.smembers(`${this.prefix}linkconns:${linkId}`),
      this.redis.get(`${this.prefix}linkboot:${linkId}`),
    ]);
    if (members.length === 0) return [];
    const ids = members.map((m) => JSON.parse(m) as [string, string, string]);
    const pipeline = this.redis.pipeline();
    for (const [app, user, conn] of ids) pipeline.hget(this.userKey(app, user), conn);
    const results = (await pipeline.exec()) ?? [];
    const refs: ConnRef[] = [];
    results.forEach(([err, raw], i) => {
      if (err) throw err;
      if (typeof raw !== 'string') return;
      const ref = toRef(ids[i][0], ids[i][1], ids[i][2], raw);
      if (ref.link_id === linkId && (!boot || !ref.boot_id || ref.boot_id === boot)) refs.push(ref);
    });
    return refs;
  }

  async heartbeat(linkId: string): Promise<void> {
    const res = await this.redis
      .multi()
      .set(`${this.prefix}link:${linkId}`, '1', 'PX', this.linkTtlMs)
      .pexpire(`${this.prefix}linkboot:${linkId}`, this.retainMs)
      .pexpire(`${this.prefix}linkconns:${linkId}`, this.retainMs)
      .exec();
    const setExisted = res?.[2]?.[1] === 1;
    const held = this.mine.get(linkId);
    if (!setExisted && held && held.size > 0) await this.restore(linkId, [...held.values()]);
  }

  /** Write back this instance's connections of a link whose entries Redis lost. */
  private async restore(linkId: string, conns: ConnRef[]): Promise<void> {
    const boot = [...conns].reverse().find((c) => c.boot_id)?.boot_id ?? ''; // the newest registration's life
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < conns.length; i += LOOKUP_CHUNK) {
      const chunk = conns.slice(i, i + LOOKUP_CHUNK);
      const args: (string | number)[] = [chunk.length, ...chunk.map((c) => this.userKey(c.app_id, c.user_id)), this.prefix, linkId, boot, this.linkTtlMs, this.retainMs];
      for (const c of chunk) {
        const entry: Entry = { l: c.link_id, b: c.boot_id ?? '', p: c.platform, t: c.connected_at, o: this.owner };
        args.push(c.app_id, c.user_id, c.conn_id, JSON.stringify(entry));
      }
      this.restoreScript.queue(pipeline, ...args);
    }
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }

  async close(): Promise<void> {
    if (this.options.closeClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function toRef(appId: string, userId: string, connId: string, raw: string): ConnRef {
  const e = JSON.parse(raw) as Entry;
  const ref: ConnRef = { app_id: appId, user_id: userId, conn_id: connId, link_id: e.l, platform: e.p, connected_at: e.t };
  if (e.b) ref.boot_id = e.b;
  return ref;
}
