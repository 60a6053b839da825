import Database from 'better-sqlite3';
import type { ConvType } from '@parley/protocol';
import {
  StoreError,
  type AddGroupMembersResult, type AppRow, type AppSettings, type CommitResult, type ConversationRow, type ConversationWithMembers,
  type GroupRow, type HistoryQuery, type MemberConversation, type MessageKey, type MemberPatch, type MemberRow, type RecallResult, type SearchQuery,
  type Store, type StoredMessage, type StoredMessageText, type TransferOwnershipResult, type UserRow,
} from '../store.js';
import { EventOutbox } from './event-outbox.js';
import { WriteGate } from './write-gate.js';
import { GroupWriter } from './group-writer.js';
import { MessageReader } from './message-reader.js';
import { MessageSearch, type SearchPlan } from './message-search.js';
import { InlineCommits, type MessageCommits } from './inline-commits.js';
import { DEFAULT_SEARCH_INDEXER, type SearchIndexerOptions } from './search-indexer.js';
import { WorkerCommitter } from './worker-committer.js';
import { runMigrations } from './migrations.js';
import { SeqMarks, type SeqBlock } from './seq-marks.js';
import {
  appFromSql, bool, conversationFromSql, groupFromSql, json, memberConversationFromSql, memberFromSql, userFromSql,
  type AppSql, type ConversationSql, type GroupSql, type MemberConversationSql, type MemberSql, type UserSql,
} from './rows.js';
import { guard } from './sqlite-errors.js';
import { likeContains, likePrefix } from './search-text.js';
import { patchParams, prepareDomainStatements, type DomainStatements } from './statements.js';
import { openDatabase, type SqlitePragmas, type SqliteStoreOptions } from './sqlite-options.js';

export type { SqlitePragmas, SqliteStoreOptions } from './sqlite-options.js';

interface Prepared {
  s: DomainStatements;
  reader: MessageReader;
  searcher: MessageSearch;
  /** group commits and the indexing after them: inline, or on a worker thread */
  commits: MessageCommits;
  groups: GroupWriter;
  marks: SeqMarks;
  outbox: EventOutbox;
}

/**
 * The embedded store: one SQLite file (DESIGN §2), better-sqlite3 12.
 *
 * Durability: WAL with synchronous=FULL, so a commit is fsynced before
 * `commitMessages` resolves and an acked message survives kill -9 and power
 * loss (as far as the disk honours fsync). NORMAL would only be crash-safe
 * for the process, not the machine: recent commits could vanish on power loss.
 *
 * Full-text indexing happens after the commit (SearchIndexer), in bigger
 * transactions; search is exact meanwhile (it scans what is not indexed yet).
 * With `commitOnWorker`, every write of the send path runs on a worker
 * thread with its own connection (WorkerCommitter: commits, that indexing,
 * seq reservations, outbox marks, read receipts) and WAL checkpoints on a
 * thread of their own: the event loop keeps serving frames while a batch is
 * written and fsynced; reads and the other writes run on this connection.
 *
 * Limits: one writer at a time (SQLite); meant for one process. Calls other
 * than commits are synchronous under an async interface — each promise is
 * already settled when returned, and a long search blocks the event loop while
 * it runs. A write on this connection waits for the worker's transaction in
 * progress to end; the worker starts no other meanwhile (WriteGate).
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly searchScanMaxMessages: number | undefined;
  private readonly searchIndexer: SearchIndexerOptions;
  private readonly path: string;
  private readonly busyTimeoutMs: number;
  private readonly commitOnWorker: boolean;
  private readonly walCheckpointMs: number;
  private gate: WriteGate | null = null;
  /**
   * With commits on the worker, later batches gather and queue while one is written
   * (Store.commitPipelineDepth); the worker writes the queued ones in one transaction.
   */
  readonly commitPipelineDepth: number;
  private prepared: Prepared | null = null;

  constructor(opts: SqliteStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.searchScanMaxMessages = opts.searchScanMaxMessages;
    this.searchIndexer = opts.searchIndexer ?? DEFAULT_SEARCH_INDEXER;
    this.path = opts.path;
    this.busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000));
    this.commitOnWorker = opts.path !== ':memory:' && opts.commitOnWorker === true;
    this.commitPipelineDepth = this.commitOnWorker ? 4 : 1;
    this.walCheckpointMs = opts.walCheckpointMs ?? 100;
    this.db = guard('open database', () => openDatabase(opts.path, this.busyTimeoutMs));
  }

  /**
   * A write on the main connection. With commits on the worker, the worker
   * holds off its next transaction meanwhile (WriteGate), so this write is not
   * starved of the lock by a stream of commits or index passes.
   */
  private write<T>(what: string, fn: () => T): T {
    const gate = this.gate;
    return gate ? gate.hold(() => guard(what, fn)) : guard(what, fn);
  }

  private get p(): Prepared {
    if (!this.prepared) throw new StoreError('unavailable', 'SqliteStore: call migrate() before using the store');
    return this.prepared;
  }

  pragmas(): SqlitePragmas {
    const get = (name: string) => this.db.pragma(name, { simple: true });
    return {
      journal_mode: String(get('journal_mode')), synchronous: Number(get('synchronous')),
      busy_timeout: Number(get('busy_timeout')), foreign_keys: Number(get('foreign_keys')),
    };
  }

  async migrate(): Promise<void> {
    guard('migrate', () => runMigrations(this.db, undefined, this.now));
    // Statements are prepared once, after the tables they name exist; the worker opens the file after them too.
    if (!this.prepared) {
      const commits = this.commitOnWorker ? await this.startWorker() : new InlineCommits(this.db, this.searchIndexer);
      this.prepared = {
        s: prepareDomainStatements(this.db),
        reader: new MessageReader(this.db),
        searcher: new MessageSearch(this.db, this.searchScanMaxMessages),
        groups: new GroupWriter(this.db),
        marks: new SeqMarks((reqs) => commits.reserveSeqBlocks(reqs)),
        outbox: new EventOutbox(this.db),
        commits,
      };
    }
    // Messages committed before a crash or a stop but not indexed yet.
    await this.prepared.commits.flushIndex();
  }

  private async startWorker(): Promise<MessageCommits> {
    try {
      const gate = new WriteGate();
      const commits = await WorkerCommitter.start({ path: this.path, busyTimeoutMs: this.busyTimeoutMs, indexer: this.searchIndexer, gate: gate.buffer }, this.walCheckpointMs);
      this.gate = gate;
      // the checkpoint worker copies the WAL back; a rare write here (a user, a group) must not do it on the event loop
      this.db.pragma('wal_autocheckpoint = 0');
      return commits;
    } catch (err) {
      throw new StoreError('unavailable', `could not start the commit worker: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    const p = this.prepared;
    await p?.marks.flush(); // reservations asked for before the close: answered, not left hanging
    this.prepared = null;
    try {
      await p?.commits.close();
    } catch {
      // the backlog is indexed on the next start
    }
    guard('close', () => {
      try {
        this.db.pragma('optimize');
      } catch {
        // advisory only: a failed ANALYZE must not fail shutdown or keep the file open
      }
      this.db.close();
    });
  }

  // apps

  async createApp(app: AppRow): Promise<void> {
    this.write('create app', () => this.p.s.insertApp.run({ ...app, settings: JSON.stringify(app.settings) }));
  }

  async getApp(appId: string): Promise<AppRow | null> {
    const r = guard('get app', () => this.p.s.getApp.get(appId)) as AppSql | undefined;
    return r ? appFromSql(r) : null;
  }

  async getAppByKeyHash(apiKeyHash: string): Promise<AppRow | null> {
    const r = guard('get app', () => this.p.s.getAppByKeyHash.get(apiKeyHash)) as AppSql | undefined;
    return r ? appFromSql(r) : null;
  }

  async listApps(): Promise<AppRow[]> {
    return (guard('list apps', () => this.p.s.listApps.all()) as AppSql[]).map(appFromSql);
  }

  async updateAppSettings(appId: string, settings: AppSettings): Promise<void> {
    const r = this.write('update app', () => this.p.s.updateAppSettings.run(JSON.stringify(settings), appId));
    if (r.changes === 0) throw new StoreError('not_found', `app ${appId} not found`);
  }

  // users

  async createUser(user: UserRow): Promise<void> {
    this.write('create user', () => this.p.s.insertUser.run({
      app_id: user.app_id, user_id: user.user_id, name: user.name, avatar: user.avatar ?? null, meta: json(user.meta),
      password_hash: user.password_hash ?? null, tokens_valid_after: user.tokens_valid_after, created_at: user.created_at,
    }));
  }

  async getUser(appId: string, userId: string): Promise<UserRow | null> {
    const r = guard('get user', () => this.p.s.getUser.get(appId, userId)) as UserSql | undefined;
    return r ? userFromSql(r) : null;
  }

  async getUsers(appId: string, userIds: string[]): Promise<UserRow[]> {
    if (userIds.length === 0) return [];
    return (guard('get users', () => this.p.s.getUsers.all(appId, JSON.stringify(userIds))) as UserSql[]).map(userFromSql);
  }

  async updateUser(appId: string, userId: string, patch: Partial<Pick<UserRow, 'name' | 'avatar' | 'meta' | 'password_hash' | 'tokens_valid_after'>>): Promise<void> {
    const params = patchParams(['name', 'avatar', 'meta', 'password_hash', 'tokens_valid_after'] as const, patch,
      (k, v) => (k === 'meta' ? json(v) : v));
    const r = this.write('update user', () => this.p.s.updateUser.run({ ...params, app_id: appId, user_id: userId }));
    if (r.changes === 0) throw new StoreError('not_found', `user ${userId} not found`);
  }

  async searchUsers(appId: string, query: string, limit: number): Promise<UserRow[]> {
    const n = Math.floor(limit);
    if (!(n > 0)) return [];
    const q = query.trim();
    const rows = guard('search users', () => this.p.s.searchUsers.all({
      app_id: appId, contains: likeContains(q), prefix: likePrefix(q), exact: q, limit: n,
    })) as UserSql[];
    return rows.map(userFromSql);
  }

  // friends and blocks

  async addFriend(appId: string, a: string, b: string, at: number): Promise<void> {
    this.write('add friend', () => this.db.transaction(() => {
      this.p.s.insertFriend.run(appId, a, b, at);
      this.p.s.insertFriend.run(appId, b, a, at);
    }).immediate());
  }

  async removeFriend(appId: string, a: string, b: string): Promise<void> {
    this.write('remove friend', () => this.db.transaction(() => {
      this.p.s.deleteFriend.run(appId, a, b);
      this.p.s.deleteFriend.run(appId, b, a);
    }).immediate());
  }

  async listFriends(appId: string, userId: string): Promise<string[]> {
    return guard('list friends', () => this.p.s.listFriends.all(appId, userId)) as string[];
  }

  async isFriend(appId: string, a: string, b: string): Promise<boolean> {
    return guard('is friend', () => this.p.s.isFriend.get(appId, a, b)) !== undefined;
  }

  async block(appId: string, blocker: string, blocked: string, at: number): Promise<void> {
    this.write('block', () => this.p.s.insertBlock.run(appId, blocker, blocked, at));
  }

  async unblock(appId: string, blocker: string, blocked: string): Promise<void> {
    this.write('unblock', () => this.p.s.deleteBlock.run(appId, blocker, blocked));
  }

  async listBlocked(appId: string, blocker: string): Promise<string[]> {
    return guard('list blocked', () => this.p.s.listBlocked.all(appId, blocker)) as string[];
  }

  async isBlocked(appId: string, blocker: string, blocked: string): Promise<boolean> {
    return guard('is blocked', () => this.p.s.isBlocked.get(appId, blocker, blocked)) !== undefined;
  }

  // groups

  async createGroup(group: GroupRow, convId: string, members: MemberRow[]): Promise<void> {
    this.write('create group', () => this.p.groups.createGroup(group, convId, members));
  }

  async getGroup(appId: string, groupId: string): Promise<GroupRow | null> {
    const r = guard('get group', () => this.p.s.getGroup.get(appId, groupId)) as GroupSql | undefined;
    return r ? groupFromSql(r) : null;
  }

  async getGroups(appId: string, groupIds: string[]): Promise<GroupRow[]> {
    if (groupIds.length === 0) return [];
    return (guard('get groups', () => this.p.s.getGroups.all(appId, JSON.stringify(groupIds))) as GroupSql[]).map(groupFromSql);
  }

  async addGroupMembers(appId: string, groupId: string, convId: string, users: string[], opts: { at: number; minJoinSeq: number }): Promise<AddGroupMembersResult> {
    return this.write('add group members', () => this.p.groups.addGroupMembers(appId, groupId, convId, users, opts.at, opts.minJoinSeq));
  }

  async transferOwnership(appId: string, groupId: string, convId: string, from: string, to: string): Promise<TransferOwnershipResult> {
    return this.write('transfer ownership', () => this.p.groups.transferOwnership(appId, groupId, convId, from, to));
  }

  async updateGroup(appId: string, groupId: string, patch: Partial<Pick<GroupRow, 'name' | 'avatar' | 'notice' | 'owner' | 'muted_all' | 'dismissed'>>): Promise<void> {
    const params = patchParams(['name', 'avatar', 'notice', 'owner', 'muted_all', 'dismissed'] as const, patch,
      (_k, v) => (typeof v === 'boolean' ? bool(v) : v));
    const r = this.write('update group', () => this.p.s.updateGroup.run({ ...params, app_id: appId, group_id: groupId }));
    if (r.changes === 0) throw new StoreError('not_found', `group ${groupId} not found`);
  }

  // conversations and members

  async ensureConversation(appId: string, convId: string, type: ConvType, at: number): Promise<ConversationRow> {
    return this.write('ensure conversation', () => {
      this.p.s.insertConversation.run(appId, convId, type, at, at);
      return conversationFromSql(this.p.s.getConversation.get(appId, convId) as ConversationSql);
    });
  }

  async ensureConversations(appId: string, convs: ConversationWithMembers[], at: number): Promise<void> {
    this.write('ensure conversations', () => this.p.groups.ensureConversations(appId, convs, at));
  }

  async getConversation(appId: string, convId: string): Promise<ConversationRow | null> {
    const r = guard('get conversation', () => this.p.s.getConversation.get(appId, convId)) as ConversationSql | undefined;
    return r ? conversationFromSql(r) : null;
  }

  async addMembers(rows: MemberRow[]): Promise<void> {
    if (rows.length === 0) return;
    this.write('add members', () => this.db.transaction(() => {
      for (const m of rows) {
        this.p.s.insertMember.run({ ...m, muted: bool(m.muted), pinned: bool(m.pinned), hidden: bool(m.hidden) });
      }
    }).immediate());
  }

  async removeMember(appId: string, convId: string, userId: string): Promise<void> {
    this.write('remove member', () => this.p.s.deleteMember.run(appId, convId, userId));
  }

  async getMember(appId: string, convId: string, userId: string): Promise<MemberRow | null> {
    const r = guard('get member', () => this.p.s.getMember.get(appId, convId, userId)) as MemberSql | undefined;
    return r ? memberFromSql(r) : null;
  }

  async getMemberRows(appId: string, keys: Array<{ conv_id: string; user_id: string }>): Promise<MemberRow[]> {
    if (keys.length === 0) return [];
    const pairs = JSON.stringify(keys.map((k) => [k.conv_id, k.user_id]));
    return (guard('get members', () => this.p.s.getMemberRows.all({ app_id: appId, keys: pairs })) as MemberSql[]).map(memberFromSql);
  }

  async listMembers(appId: string, convId: string): Promise<MemberRow[]> {
    return (guard('list members', () => this.p.s.listMembers.all(appId, convId)) as MemberSql[]).map(memberFromSql);
  }

  async countMembers(appId: string, convId: string): Promise<number> {
    return guard('count members', () => this.p.s.countMembers.get(appId, convId)) as number;
  }

  async updateMember(appId: string, convId: string, userId: string, patch: MemberPatch): Promise<void> {
    const params = patchParams(['role', 'muted_until', 'muted', 'pinned', 'hidden'] as const, patch,
      (_k, v) => (typeof v === 'boolean' ? bool(v) : v));
    const r = this.write('update member', () => this.p.s.updateMember.run({ ...params, app_id: appId, conv_id: convId, user_id: userId }));
    if (r.changes === 0) throw new StoreError('not_found', `${userId} is not a member of ${convId}`);
  }

  async markRead(appId: string, convId: string, userId: string, seq: number): Promise<number> {
    // where the message commits run: a read receipt never waits on the event loop for the worker's lock
    const r = await this.p.commits.markRead({ app_id: appId, conv_id: convId, user_id: userId, seq });
    if (r === undefined) throw new StoreError('not_found', `${userId} is not a member of ${convId}`);
    return r;
  }

  async listMemberConversations(appId: string, userId: string): Promise<MemberConversation[]> {
    const rows = guard('list conversations', () => this.p.s.listMemberConversations.all(appId, userId)) as MemberConversationSql[];
    return rows.map(memberConversationFromSql);
  }

  async readersAtLeast(appId: string, convId: string, seq: number): Promise<string[]> {
    return guard('read receipts', () => this.p.s.readersAtLeast.all(appId, convId, seq)) as string[];
  }

  // messages

  async maxSeq(appId: string, convId: string): Promise<number> {
    return guard('max seq', () => this.p.reader.maxSeq(appId, convId));
  }

  async reserveSeqBlock(appId: string, convId: string, size: number): Promise<SeqBlock> {
    return this.p.marks.reserveBlock(appId, convId, size);
  }

  async releaseSeqBlocks(blocks: Array<{ app_id: string; conv_id: string; last: number; used: number }>): Promise<void> {
    await this.p.commits.releaseSeqBlocks(blocks);
  }

  async commitMessages(messages: StoredMessage[]): Promise<CommitResult> {
    // MessageWriter dedups by cmid, reports seq conflicts and translates its own errors (inline or on the worker).
    return this.p.commits.commit(messages);
  }

  async pendingEvents(q: { olderThan: number; limit: number; after?: MessageKey }): Promise<StoredMessage[]> {
    return guard('pending events', () => this.p.outbox.pending(q));
  }

  async markEventsPublished(keys: readonly MessageKey[]): Promise<void> {
    await this.p.commits.markPublished(keys);
  }

  async findByCmid(appId: string, sender: string, cmid: string): Promise<StoredMessage | null> {
    return guard('find message', () => this.p.reader.findByCmid(appId, sender, cmid));
  }

  async getMessage(appId: string, convId: string, seq: number): Promise<StoredMessage | null> {
    return guard('get message', () => this.p.reader.get(appId, convId, seq));
  }

  async history(q: HistoryQuery): Promise<StoredMessage[]> {
    return guard('history', () => this.p.reader.history(q));
  }

  async historyText(q: HistoryQuery): Promise<StoredMessageText[]> {
    return guard('history', () => this.p.reader.historyText(q));
  }

  async recallMessage(appId: string, convId: string, seq: number, opts: { at: number; createdSince?: number }): Promise<RecallResult> {
    return this.write('recall message', () => this.p.reader.recall(appId, convId, seq, opts.at, opts.createdSince));
  }

  async hideMessageFor(appId: string, convId: string, seq: number, userId: string): Promise<void> {
    this.write('hide message', () => this.p.reader.hideFor(appId, convId, seq, userId, this.now()));
  }

  async search(q: SearchQuery): Promise<StoredMessage[]> {
    return guard('search', () => this.p.searcher.search(q));
  }

  async flushSearchIndex(): Promise<void> {
    await this.p.commits.flushIndex();
  }

  /** The plan `search` would use for `q` (diagnostics and tests; not part of Store). */
  searchPlan(q: SearchQuery): SearchPlan | null {
    return guard('search', () => this.p.searcher.plan(q));
  }
}
