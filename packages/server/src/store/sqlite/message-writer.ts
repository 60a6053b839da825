import type Database from 'better-sqlite3';
import { parseConvId } from '@parley/protocol';
import { needsMember, type StoredMessage } from '../store.js';
import { toStoreError } from './sqlite-errors.js';
import { messageOfRow, R, type CommitRow } from './commit-row.js';
import { MESSAGE_COLUMNS, messageFromSql, type MessageSql } from './rows.js';
import { foldForSearch } from './search-fold.js';

/**
 * MessageWriter's answer: the originals of the duplicates in batch order
 * (`duplicateIndexes[k]` is the batch position of `duplicates[k]`), and the
 * batch positions of seq conflicts and refused non-members.
 */
export interface RowCommitResult { duplicates: StoredMessage[]; duplicateIndexes: number[]; conflicts: number[]; not_members: number[] }

/**
 * Group commit of messages: one IMMEDIATE transaction per batch, so the batch
 * pays one fsync (synchronous=FULL) and is stored entirely or not at all.
 *
 * Per batch it inserts every message (with its fts_id and folded search
 * text; the full-text index itself is written afterwards, in bigger batches,
 * by SearchIndexer), moves each
 * conversation's last_seq/preview to the batch's highest seq (never
 * backwards: an older batch committed late does not rewind the list), and
 * advances each sender's own read_seq to what they sent.
 *
 * Dedup and seq conflicts cost no extra read for a new message: the insert
 * does nothing on any unique key (cmid or seq), and only for a message it
 * skipped (`changes` 0) is the row with its cmid looked up, in the same
 * transaction (so an original earlier in the same batch is seen): found, the
 * message is a duplicate of it; not found, its seq was taken (a conflict).
 * A skipped message moves no last_seq, preview or read_seq.
 *
 * Before that, a group message that is not a notice is stored only if its
 * sender has a member row now (a primary-key lookup, once per sender and
 * conversation per batch): inside the write transaction, so no removal can
 * slip between the check and the insert. Every stored message gets its
 * event-outbox row in the same transaction.
 */
export class MessageWriter {
  private readonly insertMessage: Database.Statement;
  private readonly maxFtsId: Database.Statement;
  private readonly upsertConversation: Database.Statement;
  private readonly advanceSenderRead: Database.Statement;
  private readonly byCmid: Database.Statement;
  private readonly isMember: Database.Statement;
  private readonly insertOutbox: Database.Statement;
  private readonly commitTx: Database.Transaction<(batch: readonly CommitRow[]) => RowCommitResult>;

  constructor(db: Database.Database) {
    this.insertMessage = db.prepare(`INSERT INTO messages
        (app_id, conv_id, seq, msg_id, sender, cmid, type, content, mentions, reply_to, status, created_at, edited_at, fts_id, search_text)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING`);
    this.maxFtsId = db.prepare('SELECT coalesce(max(fts_id), 0) FROM messages WHERE fts_id IS NOT NULL').pluck();
    // The conversation row is created if a caller committed before ensureConversation
    // (e.g. a notification timeline): an acked message must always be reachable
    // from the conversation list.
    this.upsertConversation = db.prepare(`INSERT INTO conversations (app_id, conv_id, type, last_seq, last_message, updated_at, created_at)
      VALUES (@app_id, @conv_id, @type, @seq, @preview, @at, @at)
      ON CONFLICT (app_id, conv_id) DO UPDATE SET
        last_message = CASE WHEN excluded.last_seq > last_seq THEN excluded.last_message ELSE last_message END,
        updated_at = CASE WHEN excluded.last_seq > last_seq THEN max(updated_at, excluded.updated_at) ELSE updated_at END,
        last_seq = max(last_seq, excluded.last_seq)`);
    this.advanceSenderRead = db.prepare(`UPDATE conversation_members SET read_seq = max(read_seq, @seq)
      WHERE app_id = @app_id AND conv_id = @conv_id AND user_id = @user_id`);
    this.byCmid = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.sender = ? AND m.cmid = ?`);
    this.isMember = db.prepare('SELECT 1 FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?').pluck();
    this.insertOutbox = db.prepare('INSERT INTO event_outbox (app_id, conv_id, seq, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.commitTx = db.transaction((batch: readonly CommitRow[]) => this.write(batch));
  }

  /** Commits the batch; reports the messages skipped as duplicates (their originals) and as seq conflicts, in batch order. */
  commit(batch: readonly CommitRow[]): RowCommitResult {
    if (batch.length === 0) return { duplicates: [], duplicateIndexes: [], conflicts: [], not_members: [] };
    try {
      return this.commitTx.immediate(batch);
    } catch (err) {
      throw toStoreError(err, 'commit messages');
    }
  }

  private write(batch: readonly CommitRow[]): RowCommitResult {
    let ftsId = this.maxFtsId.get() as number;
    const duplicates: StoredMessage[] = [];
    const duplicateIndexes: number[] = [];
    const conflicts: number[] = [];
    const notMembers: number[] = [];
    const membership = new Map<string, boolean>(); // per app/conv/sender, within this transaction
    const heads = new Map<string, CommitRow>();
    const senders = new Map<string, { app_id: string; conv_id: string; user_id: string; seq: number }>();
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const [appId, convId, seq, , sender, cmid, type] = r;
      if (needsMember({ conv_id: convId, type: type as StoredMessage['type'] })) {
        const k = `${appId}\u0000${convId}\u0000${sender}`;
        let member = membership.get(k);
        if (member === undefined) membership.set(k, (member = this.isMember.get(appId, convId, sender) !== undefined));
        if (!member) {
          notMembers.push(i);
          continue;
        }
      }
      const text = r[R.searchable];
      const id = text === null ? null : ftsId + 1;
      // positional parameters: binding fifteen named ones costs a lookup each, per message
      if (this.insertMessage.run(
        appId, convId, seq, r[R.msg_id], sender, cmid, type, r[R.content], r[R.mentions], r[R.reply_to], r[R.status],
        r[R.created_at], r[R.edited_at], id, text === null ? null : foldForSearch(text),
      ).changes === 0) {
        // Skipped: a taken cmid reports its original; otherwise the seq was taken. Either way nothing moves.
        const original = this.byCmid.get(appId, sender, cmid) as MessageSql | undefined;
        if (original) {
          duplicates.push(messageFromSql(original));
          duplicateIndexes.push(i);
        } else conflicts.push(i);
        continue;
      }
      if (id !== null) ftsId = id;
      this.insertOutbox.run(appId, convId, seq, r[R.created_at]);

      const conv = `${appId}\u0000${convId}`;
      const head = heads.get(conv);
      if (!head || seq > head[R.seq]) heads.set(conv, r);
      const key = `${conv}\u0000${sender}`;
      const s = senders.get(key);
      if (!s) senders.set(key, { app_id: appId, conv_id: convId, user_id: sender, seq });
      else s.seq = Math.max(s.seq, seq);
    }
    for (const r of heads.values()) {
      const m = messageOfRow(r);
      this.upsertConversation.run({
        app_id: m.app_id, conv_id: m.conv_id, type: parseConvId(m.conv_id)?.type ?? 'single',
        seq: m.seq, preview: JSON.stringify(m), at: m.created_at,
      });
    }
    // A sender who is not a member (a system notice) has no row to advance.
    for (const s of senders.values()) this.advanceSenderRead.run(s);
    return { duplicates, duplicateIndexes, conflicts, not_members: notMembers };
  }
}
