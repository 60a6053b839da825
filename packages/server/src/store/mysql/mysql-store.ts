import type { ConvType } from '@parley/protocol';
import {
  StoreError,
  type AddGroupMembersResult, type CommitResult, type ConversationRow, type ConversationWithMembers,
  type GroupRow, type HistoryQuery, type MemberConversation, type MemberPatch, type MessageKey, type MemberRow, type RecallResult, type SearchQuery,
  type Store, type StoredMessage, type TransferOwnershipResult,
} from '../store.js';
import {
  bool, conversationFromSql, groupFromSql, memberConversationFromSql, memberFromSql, messageFromSql,
  type ConversationSql, type GroupSql, type MemberConversationSql, type MemberSql, type MessageSql,
} from '../sqlite/rows.js';
import { patchParams, SQL } from './domain-sql.js';
import { MysqlEventOutbox } from './event-outbox.js';
import { GroupOps, insertMembers } from './group-ops.js';
import { MSQL } from './message-sql.js';
import { MysqlDirectoryTables, one } from './directory-tables.js';
import { MessageSearch, type SearchPlan } from './message-search.js';
import { MessageWriter } from './message-writer.js';
import { runMysqlMigrations } from './migrations.js';
import { gtidDialect, type ServerFlavour } from './gtid-positions.js';
import { ReplicaRouter, type ReplicaRouterOptions, type ReplicaStatus } from './replica-router.js';
import { cutPadded } from './statement-shapes.js';
import { SeqMarks, type SeqBlock } from './seq-marks.js';
import { SqlPool, type Param } from './sql-pool.js';

export interface MysqlStoreOptions {
  /** mysql://user:pass@host:port/db of the primary: every write, and reads that must see the latest state */
  primaryUrl: string;
  /** replicas for lag-tolerant reads (history pages, search, conversation list); none: the primary serves them */
  replicaUrls?: string[];
  /** connections per server for statements (default 10) */
  poolSize?: number;
  /** connections for group commits (default 4) */
  writerPoolSize?: number;
  /** prepared statements cached per connection (default 64) */
  maxPreparedStatements?: number;
  replica?: ReplicaRouterOptions;
  /** largest search scope answered by a scan instead of the FULLTEXT index (default 50,000; 0: index whenever it can) */
  searchScanMaxMessages?: number;
  /** clock for rows the interface gives no time for (delete-for-me, schema_version) */
  now?: () => number;
}

// GTID tracking gives every write's GTID for read-your-writes (MariaDB last_gtid, MySQL 8 OWN_GTID); where it fails, the session just does not track it.
const trackGtids = (f: ServerFlavour) => [gtidDialect(f).trackSql];

const userKey = (app: string, user: string) => `u\u0000${app}\u0000${user}`;
const convKey = (app: string, conv: string) => `c\u0000${app}\u0000${conv}`;

/**
 * The distributed store (DESIGN §2): MySQL 8 / MariaDB 10.11 through mysql2.
 * Writes and consistency-critical reads on the primary; history pages,
 * search and the conversation list on replicas when one is healthy and has
 * the caller's own writes (ReplicaRouter, docs/mysql.md). Durable when a
 * promise resolves as far as the server's own settings make COMMIT durable
 * (innodb_flush_log_at_trx_commit=1, sync_binlog=1 for that promise).
 */
export class MysqlStore extends MysqlDirectoryTables implements Store {
  private readonly writerPool: SqlPool;
  private readonly replicaPools: SqlPool[];
  private readonly router: ReplicaRouter;
  private readonly writer: MessageWriter;
  private readonly searcher: MessageSearch;
  private readonly groups: GroupOps;
  private readonly marks: SeqMarks;
  private readonly outbox: MysqlEventOutbox;
  private readonly now: () => number;
  private migrated = false;

  constructor(private readonly opts: MysqlStoreOptions) {
    super(new SqlPool({ url: opts.primaryUrl, connectionLimit: opts.poolSize ?? 10, maxPreparedStatements: opts.maxPreparedStatements ?? 64, sessionInit: trackGtids }));
    this.now = opts.now ?? Date.now;
    const maxPreparedStatements = opts.maxPreparedStatements ?? 64;
    this.writerPool = new SqlPool({
      url: opts.primaryUrl, connectionLimit: opts.writerPoolSize ?? 4, maxPreparedStatements, changedRows: true,
      // READ COMMITTED: no gap locks on the unique keys, so concurrent batches rarely deadlock.
      // A batch waits at most 10 s for a row lock (default 50 s), then fails unavailable: no ack, the client resends.
      sessionInit: (f) => [...trackGtids(f), 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', 'SET SESSION innodb_lock_wait_timeout = 10'],
    });
    this.replicaPools = (opts.replicaUrls ?? []).map((url) => new SqlPool({ url, connectionLimit: opts.poolSize ?? 10, maxPreparedStatements }));
    this.router = new ReplicaRouter(this.primary, this.replicaPools.map((pool, i) => ({ pool, url: opts.replicaUrls![i]! })), opts.replica);
    this.writer = new MessageWriter(this.writerPool);
    this.searcher = new MessageSearch(opts.searchScanMaxMessages);
    this.groups = new GroupOps(this.primary);
    this.marks = new SeqMarks(this.primary);
    this.outbox = new MysqlEventOutbox(this.primary);
  }

  async migrate(): Promise<void> {
    await runMysqlMigrations(this.opts.primaryUrl, undefined, this.now);
    if (!this.migrated) await this.router.start();
    this.migrated = true;
  }

  async close(): Promise<void> {
    this.router.stop();
    await this.marks.flush(); // reservations asked for before the close: answered, not left hanging
    await Promise.all([this.primary, this.writerPool, ...this.replicaPools].map((p) => p.close()));
  }

  /** Replica health as last checked (diagnostics, tests). */
  replicaStatus(): ReplicaStatus[] {
    return this.router.status();
  }

  /** Run a health check of the replicas now (tests; the timer runs one every second). */
  checkReplicas(): Promise<void> {
    return this.router.checkNow();
  }

  /** How many lag-tolerant reads went to a replica and to the primary (diagnostics, tests). */
  readCounts(): { replica: number; primary: number } {
    return { replica: this.router.replicaReads, primary: this.router.primaryReads };
  }

  /**
   * A write on the primary whose GTID is remembered for the keys' next
   * lag-tolerant reads. (The primary pool counts matched rows, so `affected`
   * is also "the row exists" for updates.)
   */
  private async write(what: string, sql: string, params: Param[], keys: string[]): Promise<number> {
    const r = await this.primary.run(what, sql, params);
    if (r.affected > 0) this.router.recordWrite(keys, r.gtid);
    return r.affected;
  }

  /** A lag-tolerant read: a healthy, caught-up replica, else the primary; a replica failing mid-read hands over to the primary. */
  private async replicaRead<T>(keys: string[], fn: (pool: SqlPool) => Promise<T>): Promise<T> {
    const pool = await this.router.poolFor(keys);
    try {
      return await this.router.bounded(pool, fn(pool));
    } catch (err) {
      if (!this.router.isReplica(pool) || !(err instanceof StoreError) || err.kind !== 'unavailable') throw err;
      this.router.readFailed(pool, err);
      return fn(this.primary);
    }
  }

  // groups

  async createGroup(g: GroupRow, convId: string, members: MemberRow[]): Promise<void> {
    const gtid = await this.groups.createGroup(g, convId, members);
    this.router.recordWrite([convKey(g.app_id, convId), ...members.map((m) => userKey(m.app_id, m.user_id))], gtid);
  }

  async getGroup(appId: string, groupId: string): Promise<GroupRow | null> {
    const r = one(await this.rows<GroupSql>('get group', SQL.getGroup, [appId, groupId]));
    return r ? groupFromSql(r) : null;
  }

  async getGroups(appId: string, groupIds: string[]): Promise<GroupRow[]> {
    const found = new Map<string, GroupRow>();
    for (const piece of cutPadded([...new Set(groupIds)])) {
      for (const r of await this.rows<GroupSql>('get groups', SQL.getGroups(piece.length), [appId, ...piece])) found.set(r.group_id, groupFromSql(r));
    }
    return [...found.values()];
  }

  async addGroupMembers(appId: string, groupId: string, convId: string, users: string[], opts: { at: number; minJoinSeq: number }): Promise<AddGroupMembersResult> {
    const { result, gtid } = await this.groups.addGroupMembers(appId, groupId, convId, users, opts.at, opts.minJoinSeq);
    if (result.ok) this.router.recordWrite([convKey(appId, convId), ...result.added.map((u) => userKey(appId, u))], gtid);
    return result;
  }

  async transferOwnership(appId: string, groupId: string, convId: string, from: string, to: string): Promise<TransferOwnershipResult> {
    const { result, gtid } = await this.groups.transferOwnership(appId, groupId, convId, from, to);
    if (result.ok) this.router.recordWrite([userKey(appId, from), userKey(appId, to)], gtid);
    return result;
  }

  async updateGroup(appId: string, groupId: string, patch: Partial<Pick<GroupRow, 'name' | 'avatar' | 'notice' | 'owner' | 'muted_all' | 'dismissed'>>): Promise<void> {
    const params = patchParams(['name', 'avatar', 'notice', 'owner', 'muted_all', 'dismissed'] as const, patch,
      (_k, v) => (typeof v === 'boolean' ? bool(v) : (v as string)));
    const r = await this.primary.run('update group', SQL.updateGroup, [...params, appId, groupId]);
    if (r.affected === 0) throw new StoreError('not_found', `group ${groupId} not found`);
  }

  // conversations and members

  async ensureConversation(appId: string, convId: string, type: ConvType, at: number): Promise<ConversationRow> {
    await this.write('ensure conversation', SQL.insertConversation, [appId, convId, type, at, at], [convKey(appId, convId)]);
    const r = await this.getConversation(appId, convId);
    if (!r) throw new StoreError('unavailable', `ensure conversation: ${convId} vanished after insert`);
    return r;
  }

  async ensureConversations(appId: string, convs: ConversationWithMembers[], at: number): Promise<void> {
    const gtid = await this.groups.ensureConversations(appId, convs, at);
    this.router.recordWrite(convs.flatMap((c) => [convKey(appId, c.conv_id), ...c.members.map((m) => userKey(appId, m.user_id))]), gtid);
  }

  async getConversation(appId: string, convId: string): Promise<ConversationRow | null> {
    const r = one(await this.rows<ConversationSql>('get conversation', SQL.getConversation, [appId, convId]));
    return r ? conversationFromSql(r) : null;
  }

  async addMembers(rows: MemberRow[]): Promise<void> {
    if (rows.length === 0) return;
    const keys = rows.flatMap((m) => [userKey(m.app_id, m.user_id), convKey(m.app_id, m.conv_id)]);
    const { gtid } = await this.primary.tx('add members', (tx) => insertMembers(tx, rows));
    this.router.recordWrite(keys, gtid);
  }

  async removeMember(appId: string, convId: string, userId: string): Promise<void> {
    await this.write('remove member', SQL.deleteMember, [appId, convId, userId], [userKey(appId, userId), convKey(appId, convId)]);
  }

  async getMember(appId: string, convId: string, userId: string): Promise<MemberRow | null> {
    const r = one(await this.rows<MemberSql>('get member', SQL.getMember, [appId, convId, userId]));
    return r ? memberFromSql(r) : null;
  }

  async getMemberRows(appId: string, keys: Array<{ conv_id: string; user_id: string }>): Promise<MemberRow[]> {
    const found = new Map<string, MemberRow>();
    for (const piece of cutPadded(keys)) {
      const params = [appId, ...piece.flatMap((k) => [k.conv_id, k.user_id])];
      for (const r of await this.rows<MemberSql>('get members', SQL.getMemberRows(piece.length), params)) {
        found.set(`${r.conv_id}\u0000${r.user_id}`, memberFromSql(r));
      }
    }
    return [...found.values()];
  }

  async listMembers(appId: string, convId: string): Promise<MemberRow[]> {
    return (await this.rows<MemberSql>('list members', SQL.listMembers, [appId, convId])).map(memberFromSql);
  }

  async countMembers(appId: string, convId: string): Promise<number> {
    return Number(one(await this.rows<{ n: number }>('count members', SQL.countMembers, [appId, convId]))?.n ?? 0);
  }

  async updateMember(appId: string, convId: string, userId: string, patch: MemberPatch): Promise<void> {
    const params = patchParams(['role', 'muted_until', 'muted', 'pinned', 'hidden'] as const, patch,
      (_k, v) => (typeof v === 'boolean' ? bool(v) : (v as string | number)));
    const n = await this.write('update member', SQL.updateMember, [...params, appId, convId, userId], [userKey(appId, userId)]);
    if (n === 0) throw new StoreError('not_found', `${userId} is not a member of ${convId}`);
  }

  async markRead(appId: string, convId: string, userId: string, seq: number): Promise<number> {
    await this.write('mark read', SQL.markRead, [seq, appId, convId, userId], [userKey(appId, userId), convKey(appId, convId)]);
    const r = one(await this.rows<{ read_seq: number }>('mark read', SQL.readSeq, [appId, convId, userId]));
    if (!r) throw new StoreError('not_found', `${userId} is not a member of ${convId}`);
    return r.read_seq;
  }

  async listMemberConversations(appId: string, userId: string): Promise<MemberConversation[]> {
    return this.replicaRead([userKey(appId, userId)], async (pool) =>
      (await pool.run<MemberConversationSql>('list conversations', SQL.listMemberConversations, [appId, userId])).rows.map(memberConversationFromSql));
  }

  async readersAtLeast(appId: string, convId: string, seq: number): Promise<string[]> {
    // Read receipts right after a read must show it: primary.
    return (await this.rows<{ user_id: string }>('read receipts', SQL.readersAtLeast, [appId, convId, seq])).map((r) => r.user_id);
  }

  // messages

  async maxSeq(appId: string, convId: string): Promise<number> {
    return Number(one(await this.rows<{ n: number }>('max seq', MSQL.maxSeq, [appId, convId]))?.n ?? 0);
  }

  async reserveSeqBlock(appId: string, convId: string, size: number): Promise<SeqBlock> {
    return this.marks.reserveBlock(appId, convId, size);
  }

  async releaseSeqBlocks(blocks: Array<{ app_id: string; conv_id: string; last: number; used: number }>): Promise<void> {
    await this.marks.release(blocks);
  }

  async commitMessages(messages: StoredMessage[]): Promise<CommitResult> {
    const out = await this.writer.commit(messages);
    if (out.stored.length > 0) {
      const keys = new Set<string>();
      for (const m of out.stored) keys.add(userKey(m.app_id, m.sender)).add(convKey(m.app_id, m.conv_id));
      this.router.recordWrite([...keys], out.gtid);
    }
    return { duplicates: out.duplicates, conflicts: out.conflicts, not_members: out.not_members };
  }

  async pendingEvents(q: { olderThan: number; limit: number; after?: MessageKey }): Promise<StoredMessage[]> {
    return this.outbox.pending(q);
  }

  async markEventsPublished(keys: readonly MessageKey[]): Promise<void> {
    await this.outbox.markPublished(keys);
  }

  async findByCmid(appId: string, sender: string, cmid: string): Promise<StoredMessage | null> {
    const r = one(await this.rows<MessageSql>('find message', MSQL.byCmid, [appId, sender, cmid]));
    return r ? messageFromSql(r) : null;
  }

  async getMessage(appId: string, convId: string, seq: number): Promise<StoredMessage | null> {
    const r = one(await this.rows<MessageSql>('get message', MSQL.get, [appId, convId, seq]));
    return r ? messageFromSql(r) : null;
  }

  async history(q: HistoryQuery): Promise<StoredMessage[]> {
    const limit = Math.floor(q.limit);
    if (!(limit > 0)) return [];
    const base: Param[] = [q.app_id, q.conv_id, q.user_id];
    // Sync forward (after) must not miss anything just committed: primary. Pages back in time tolerate lag.
    if (q.after != null) {
      return (await this.rows<MessageSql>('history', MSQL.oldestFirst, [...base, q.after, limit])).map(messageFromSql);
    }
    const before = q.before ?? Number.MAX_SAFE_INTEGER;
    if (this.replicaPools.length > 0 && !(await this.memberOnPrimary(base))) return [];
    return this.replicaRead([userKey(q.app_id, q.user_id), convKey(q.app_id, q.conv_id)], async (pool) =>
      (await pool.run<MessageSql>('history', MSQL.newestFirst, [...base, before, limit])).rows.map(messageFromSql));
  }

  /**
   * A lagging replica may still hold the member row of a user just removed on
   * the primary, so the primary says first whether the reader is a member (one
   * primary-key read). With the primary down the replica's row decides: its
   * lag is bounded (maxLagMs), and reads go on while writes cannot.
   */
  private async memberOnPrimary(key: Param[]): Promise<boolean> {
    try {
      return await this.exists('history', SQL.getMember, key);
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'unavailable') return true;
      throw err;
    }
  }

  async recallMessage(appId: string, convId: string, seq: number, opts: { at: number; createdSince?: number }): Promise<RecallResult> {
    const { value, gtid } = await this.primary.tx('recall message', async (tx): Promise<RecallResult> => {
      const row = (await tx.run<MessageSql>(MSQL.getForUpdate, [appId, convId, seq])).rows[0];
      if (!row) return { ok: false, reason: 'not_found' };
      const message = messageFromSql(row);
      if (message.type === 'notice') return { ok: false, reason: 'notice', message };
      if (message.status === 'recalled') return { ok: false, reason: 'already_recalled', message };
      if (opts.createdSince !== undefined && message.created_at < opts.createdSince) return { ok: false, reason: 'expired', message };
      await tx.run(MSQL.setStatus, ['recalled', opts.at, appId, convId, seq]);
      await tx.run(MSQL.setPreviewStatus, ['recalled', appId, convId, seq]);
      return { ok: true, message };
    }, { readCommitted: true });
    if (value.ok) this.router.recordWrite([convKey(appId, convId)], gtid);
    return value;
  }

  async hideMessageFor(appId: string, convId: string, seq: number, userId: string): Promise<void> {
    if (!(await this.exists('hide message', MSQL.get, [appId, convId, seq]))) throw new StoreError('not_found', `message ${convId}#${seq} not found`);
    await this.write('hide message', MSQL.insertHidden, [appId, convId, userId, seq, this.now()], [userKey(appId, userId)]);
  }

  async search(q: SearchQuery): Promise<StoredMessage[]> {
    return this.replicaRead([userKey(q.app_id, q.user_id)], (pool) => this.searcher.search(pool, q));
  }

  /** The plan `search` would use for `q` (diagnostics and tests; not part of Store). */
  searchPlan(q: SearchQuery): Promise<SearchPlan | null> {
    return this.searcher.plan(this.primary, q);
  }

}
