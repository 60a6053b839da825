import { parseConvId } from '@parley/protocol';
import { needsMember, type StoredMessage } from '../store.js';
import { MESSAGE_COLUMNS, messageFromSql, messageToSql, previewJson, type MessageSql } from '../sqlite/rows.js';
import { searchableText } from '../sqlite/search-text.js';
import { indexColumns } from './search-tokens.js';
import type { Param, SqlPool, Tx } from './sql-pool.js';
import { cutPadded, cutWithPadding, placeholders, shapeCache } from './statement-shapes.js';

/**
 * Group commit on the primary: one transaction per batch on one pooled
 * connection (READ COMMITTED, changed-rows counting), resolved only after
 * COMMIT returned.
 *
 * - messages: multi-row INSERTs in fixed shapes (64/16/4/1 rows) with
 *   ON DUPLICATE KEY UPDATE as a no-op, so neither unique key raises. A
 *   short piece is padded with copies of its last row, which collide with
 *   that row and change nothing. The connection counts changed rows, so a
 *   piece whose affected count equals its real rows stored every one of them
 *   (the usual case, no extra read). Otherwise its
 *   rows are read back by (app, sender, cmid): a row with our conv/seq/msg_id
 *   is ours; another row is the original of a duplicate (reported, nothing
 *   moved); no row means our insert collided on (app, conv, seq): a seq
 *   conflict, reported per message (nothing moved; the rest is stored).
 * - conversations: last_seq / preview moved forward only (multi-row upsert);
 * - senders' read_seq advanced (one UPDATE joined to the batch's rows);
 * - event_outbox: a row per stored message (multi-row, a duplicate key a no-op);
 * both in the same transaction, in a sorted order so concurrent batches take
 * row locks in the same order (fewer deadlocks; those that happen are retried).
 *
 * First of all, the member rows of the senders of group messages (not
 * notices) are read with FOR UPDATE, in key order: a sender without one is
 * refused (not_members); a removal in another transaction waits for this
 * commit or was committed before the read, so no message is stored from a
 * member removed before its commit. The lock is the one the read_seq update
 * below takes anyway, so it adds no lock upgrade.
 */

const MSG_COLS = ['app_id', 'conv_id', 'seq', 'msg_id', 'sender', 'cmid', 'type', 'content', 'mentions', 'reply_to',
  'status', 'created_at', 'edited_at', 'search_text', 'search_tokens'] as const;

const insertSql = shapeCache((n) => `INSERT INTO messages (${MSG_COLS.join(', ')}) VALUES ${placeholders(n, MSG_COLS.length)}
  ON DUPLICATE KEY UPDATE seq = seq`);
const readbackSql = shapeCache((n) => `SELECT ${MESSAGE_COLUMNS} FROM messages m
  WHERE (m.app_id, m.sender, m.cmid) IN (${placeholders(n, 3)})`);
// Assignments run left to right and see earlier ones: last_seq must come last.
const upsertConversationSql = shapeCache((n) => `INSERT INTO conversations (app_id, conv_id, type, last_seq, last_message, updated_at, created_at)
  VALUES ${placeholders(n, 7)}
  ON DUPLICATE KEY UPDATE
    last_message = IF(VALUES(last_seq) > last_seq, VALUES(last_message), last_message),
    updated_at = IF(VALUES(last_seq) > last_seq, GREATEST(updated_at, VALUES(updated_at)), updated_at),
    last_seq = GREATEST(last_seq, VALUES(last_seq))`);
const lockMembersSql = shapeCache((n) => `SELECT app_id, conv_id, user_id FROM conversation_members
  WHERE (app_id, conv_id, user_id) IN (${placeholders(n, 3)}) FOR UPDATE`);
const insertOutboxSql = shapeCache((n) => `INSERT INTO event_outbox (app_id, conv_id, seq, created_at) VALUES ${placeholders(n, 4)}
  ON DUPLICATE KEY UPDATE seq = seq`);
const advanceReadSql = shapeCache((n) => `UPDATE conversation_members cm JOIN (
    ${Array.from({ length: n }, (_, i) => (i === 0 ? 'SELECT ? AS app_id, ? AS conv_id, ? AS user_id, ? AS seq' : 'SELECT ?, ?, ?, ?')).join(' UNION ALL ')}
  ) v ON cm.app_id = v.app_id AND cm.conv_id = v.conv_id AND cm.user_id = v.user_id
  SET cm.read_seq = GREATEST(cm.read_seq, v.seq)`);

interface Head { app_id: string; conv_id: string; seq: number; m: StoredMessage }

const key3 = (a: string, b: string, c: string) => `${a}\u0000${b}\u0000${c}`;
const byKey = <T extends { app_id: string; conv_id: string }>(x: T, y: T) =>
  x.app_id < y.app_id ? -1 : x.app_id > y.app_id ? 1 : x.conv_id < y.conv_id ? -1 : x.conv_id > y.conv_id ? 1 : 0;

export interface WriteOutcome {
  duplicates: StoredMessage[];
  conflicts: StoredMessage[];
  /** group messages whose sender had no member row (see CommitResult.not_members) */
  not_members: StoredMessage[];
  /** the messages stored (for read-your-writes bookkeeping) */
  stored: StoredMessage[];
  gtid?: string;
}

export class MessageWriter {
  constructor(private readonly pool: SqlPool) {}

  async commit(batch: readonly StoredMessage[]): Promise<WriteOutcome> {
    if (batch.length === 0) return { duplicates: [], conflicts: [], not_members: [], stored: [] };
    const rows = batch.map((m) => {
      const r = messageToSql(m, null);
      const ix = indexColumns(searchableText(m.type, m.content));
      return { m, params: [r.app_id, r.conv_id, r.seq, r.msg_id, r.sender, r.cmid, r.type, r.content, r.mentions, r.reply_to,
        r.status, r.created_at, r.edited_at, ix.search_text, ix.search_tokens] as Param[] };
    });
    const { value, gtid } = await this.pool.tx('commit messages', (tx) => this.write(tx, rows));
    return { ...value, gtid };
  }

  private async write(tx: Tx, given: Array<{ m: StoredMessage; params: Param[] }>): Promise<Omit<WriteOutcome, 'gtid'>> {
    const duplicates: StoredMessage[] = [];
    const conflicts: StoredMessage[] = [];
    const stored: StoredMessage[] = [];
    const members = await this.lockSenders(tx, given.map((r) => r.m));
    const not_members: StoredMessage[] = [];
    const rows = given.filter(({ m }) => {
      if (!needsMember(m) || members.has(key3(m.app_id, m.conv_id, m.sender))) return true;
      not_members.push(m);
      return false;
    });
    for (const { real: piece, padded } of cutWithPadding(rows)) {
      const { affected } = await tx.run(insertSql(padded.length), padded.flatMap((r) => r.params));
      if (affected === piece.length) {
        stored.push(...piece.map((r) => r.m));
        continue;
      }
      const keys = cutPadded(piece.map((r) => [r.m.app_id, r.m.sender, r.m.cmid] as Param[]));
      const found = new Map<string, MessageSql>();
      for (const k of keys) {
        const { rows: got } = await tx.run<MessageSql>(readbackSql(k.length), k.flat());
        for (const g of got) found.set(key3(g.app_id, g.sender, g.cmid), g);
      }
      const claimed = new Set<string>();
      for (const { m } of piece) {
        const k = key3(m.app_id, m.sender, m.cmid);
        const row = found.get(k);
        if (!row) {
          conflicts.push(m);
          continue;
        }
        if (!claimed.has(k) && row.conv_id === m.conv_id && row.seq === m.seq && row.msg_id === m.msg_id) {
          claimed.add(k);
          stored.push(m);
        } else {
          duplicates.push(messageFromSql(row));
        }
      }
    }
    if (stored.length === 0) return { duplicates, conflicts, not_members, stored };

    const heads = new Map<string, Head>();
    const senders = new Map<string, { app_id: string; conv_id: string; user_id: string; seq: number }>();
    for (const m of stored) {
      const conv = `${m.app_id}\u0000${m.conv_id}`;
      const h = heads.get(conv);
      if (!h || m.seq > h.seq) heads.set(conv, { app_id: m.app_id, conv_id: m.conv_id, seq: m.seq, m });
      const sk = `${conv}\u0000${m.sender}`;
      const s = senders.get(sk);
      if (!s) senders.set(sk, { app_id: m.app_id, conv_id: m.conv_id, user_id: m.sender, seq: m.seq });
      else s.seq = Math.max(s.seq, m.seq);
    }
    const convRows = [...heads.values()].sort(byKey).map((h) => [h.app_id, h.conv_id, parseConvId(h.conv_id)?.type ?? 'single',
      h.seq, previewJson(h.m), h.m.created_at, h.m.created_at] as Param[]);
    for (const piece of cutPadded(convRows)) await tx.run(upsertConversationSql(piece.length), piece.flat());
    // A sender who is not a member (a system notice) has no row to advance.
    const readRows = [...senders.values()].sort((a, b) => byKey(a, b) || (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0))
      .map((s) => [s.app_id, s.conv_id, s.user_id, s.seq] as Param[]);
    for (const piece of cutPadded(readRows)) await tx.run(advanceReadSql(piece.length), piece.flat());
    const outboxRows = [...stored].sort((a, b) => byKey(a, b) || a.seq - b.seq).map((m) => [m.app_id, m.conv_id, m.seq, m.created_at] as Param[]);
    for (const piece of cutPadded(outboxRows)) await tx.run(insertOutboxSql(piece.length), piece.flat());
    return { duplicates, conflicts, not_members, stored };
  }

  /** The (app, conv, user) keys of the senders of group messages that have a member row, locked until the commit. */
  private async lockSenders(tx: Tx, batch: readonly StoredMessage[]): Promise<Set<string>> {
    const keys = new Map<string, [string, string, string]>();
    for (const m of batch) if (needsMember(m)) keys.set(key3(m.app_id, m.conv_id, m.sender), [m.app_id, m.conv_id, m.sender]);
    const found = new Set<string>();
    if (keys.size === 0) return found;
    const sorted = [...keys.keys()].sort().map((k) => keys.get(k)! as Param[]);
    for (const piece of cutPadded(sorted)) {
      const { rows } = await tx.run<{ app_id: string; conv_id: string; user_id: string }>(lockMembersSql(piece.length), piece.flat());
      for (const r of rows) found.add(key3(r.app_id, r.conv_id, r.user_id));
    }
    return found;
  }
}
