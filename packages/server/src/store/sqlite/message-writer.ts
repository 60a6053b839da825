import type Database from 'better-sqlite3';
import { parseConvId } from '@parley/protocol';
import { StoreError, type StoredMessage } from '../store.js';
import { isUniqueViolation, toStoreError } from './sqlite-errors.js';
import { MESSAGE_COLUMNS, messageFromSql, messageToSql, previewJson, type MessageSql } from './rows.js';
import { foldForSearch } from './search-fold.js';
import { searchableText } from './search-text.js';

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
 * Dedup by (app, sender, cmid) happens here, at no extra read for a new cmid:
 * the insert does nothing on that unique key, and only for a message it
 * skipped (`changes` 0) is the original row read, in the same transaction (so
 * an original earlier in the same batch is seen). A skipped message moves no
 * last_seq, preview or read_seq. A reused seq still fails the batch.
 */
export class MessageWriter {
  private readonly insertMessage: Database.Statement;
  private readonly maxFtsId: Database.Statement;
  private readonly upsertConversation: Database.Statement;
  private readonly advanceSenderRead: Database.Statement;
  private readonly byCmid: Database.Statement;
  private readonly commitTx: Database.Transaction<(batch: readonly StoredMessage[]) => StoredMessage[]>;

  constructor(db: Database.Database) {
    this.insertMessage = db.prepare(`INSERT INTO messages
        (app_id, conv_id, seq, msg_id, sender, cmid, type, content, mentions, reply_to, status, created_at, edited_at, fts_id, search_text)
      VALUES (@app_id, @conv_id, @seq, @msg_id, @sender, @cmid, @type, @content, @mentions, @reply_to, @status, @created_at, @edited_at, @fts_id, @search_text)
      ON CONFLICT (app_id, sender, cmid) DO NOTHING`);
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
    this.commitTx = db.transaction((batch: readonly StoredMessage[]) => this.write(batch));
  }

  /** Commits the batch; returns the original rows of the messages skipped as duplicates, in batch order. */
  commit(batch: readonly StoredMessage[]): StoredMessage[] {
    if (batch.length === 0) return [];
    try {
      return this.commitTx.immediate(batch);
    } catch (err) {
      throw this.translate(err);
    }
  }

  private write(batch: readonly StoredMessage[]): StoredMessage[] {
    let ftsId = this.maxFtsId.get() as number;
    const duplicates: StoredMessage[] = [];
    const heads = new Map<string, StoredMessage>();
    const senders = new Map<string, { app_id: string; conv_id: string; user_id: string; seq: number }>();
    for (const m of batch) {
      const text = searchableText(m.type, m.content);
      const id = text === null ? null : ftsId + 1;
      if (this.insertMessage.run({ ...messageToSql(m, id), search_text: text === null ? null : foldForSearch(text) }).changes === 0) {
        // (app, sender, cmid) is taken: report the original, store and move nothing.
        duplicates.push(messageFromSql(this.byCmid.get(m.app_id, m.sender, m.cmid) as MessageSql));
        continue;
      }
      if (id !== null) ftsId = id;

      const conv = `${m.app_id}\u0000${m.conv_id}`;
      const head = heads.get(conv);
      if (!head || m.seq > head.seq) heads.set(conv, m);
      const sender = `${conv}\u0000${m.sender}`;
      const s = senders.get(sender);
      if (!s) senders.set(sender, { app_id: m.app_id, conv_id: m.conv_id, user_id: m.sender, seq: m.seq });
      else s.seq = Math.max(s.seq, m.seq);
    }
    for (const m of heads.values()) {
      this.upsertConversation.run({
        app_id: m.app_id, conv_id: m.conv_id, type: parseConvId(m.conv_id)?.type ?? 'single',
        seq: m.seq, preview: previewJson(m), at: m.created_at,
      });
    }
    // A sender who is not a member (a system notice) has no row to advance.
    for (const s of senders.values()) this.advanceSenderRead.run(s);
    return duplicates;
  }

  /**
   * A resent cmid never gets here (the insert skips it), so a unique violation
   * is a reused seq (`conflict`: two allocators handed out the same number).
   */
  private translate(err: unknown): unknown {
    if (!isUniqueViolation(err)) return toStoreError(err, 'commit messages');
    return new StoreError('conflict', 'a seq of the batch is already used in its conversation; nothing of the batch was stored', err);
  }
}
