import type Database from 'better-sqlite3';
import { parseConvId } from '@parley/protocol';
import { StoreError, type StoredMessage } from '../store.js';
import { isUniqueViolation, toStoreError } from './sqlite-errors.js';
import { messageToSql, previewJson } from './rows.js';
import { searchableText } from './search-text.js';

/**
 * Group commit of messages: one IMMEDIATE transaction per batch, so the batch
 * pays one fsync (synchronous=FULL) and is stored entirely or not at all.
 *
 * Per batch it inserts every message and its full-text row, moves each
 * conversation's last_seq/preview to the batch's highest seq (never
 * backwards: an older batch committed late does not rewind the list), and
 * advances each sender's own read_seq to what they sent.
 */
export class MessageWriter {
  private readonly insertMessage: Database.Statement;
  private readonly insertFts: Database.Statement;
  private readonly maxFtsId: Database.Statement;
  private readonly upsertConversation: Database.Statement;
  private readonly advanceSenderRead: Database.Statement;
  private readonly cmidExists: Database.Statement;
  private readonly commitTx: Database.Transaction<(batch: readonly StoredMessage[]) => void>;

  constructor(db: Database.Database) {
    this.insertMessage = db.prepare(`INSERT INTO messages
        (app_id, conv_id, seq, msg_id, sender, cmid, type, content, mentions, reply_to, status, created_at, edited_at, fts_id)
      VALUES (@app_id, @conv_id, @seq, @msg_id, @sender, @cmid, @type, @content, @mentions, @reply_to, @status, @created_at, @edited_at, @fts_id)`);
    this.insertFts = db.prepare('INSERT INTO message_fts (rowid, body) VALUES (?, ?)');
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
    this.cmidExists = db.prepare('SELECT 1 FROM messages WHERE app_id = ? AND sender = ? AND cmid = ?').pluck();
    this.commitTx = db.transaction((batch: readonly StoredMessage[]) => this.write(batch));
  }

  commit(batch: readonly StoredMessage[]): void {
    if (batch.length === 0) return;
    try {
      this.commitTx.immediate(batch);
    } catch (err) {
      throw this.translate(err, batch);
    }
  }

  private write(batch: readonly StoredMessage[]): void {
    let ftsId = this.maxFtsId.get() as number;
    const heads = new Map<string, StoredMessage>();
    const senders = new Map<string, { app_id: string; conv_id: string; user_id: string; seq: number }>();
    for (const m of batch) {
      const text = searchableText(m.type, m.content);
      const id = text === null ? null : ++ftsId;
      this.insertMessage.run(messageToSql(m, id));
      if (id !== null) this.insertFts.run(id, text);

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
  }

  /**
   * A unique violation is either a resent cmid (`duplicate`: the caller should
   * look the original up) or a reused seq (`conflict`: two allocators handed
   * out the same number). Told apart after the rollback, from the data, rather
   * than by parsing the driver's message.
   */
  private translate(err: unknown, batch: readonly StoredMessage[]): unknown {
    if (!isUniqueViolation(err)) return toStoreError(err, 'commit messages');
    const seen = new Set<string>();
    try {
      for (const m of batch) {
        const k = `${m.app_id}\u0000${m.sender}\u0000${m.cmid}`;
        if (seen.has(k) || this.cmidExists.get(m.app_id, m.sender, m.cmid)) {
          return new StoreError('duplicate', `message ${m.cmid} from ${m.sender} is already stored; nothing of the batch was stored`, err);
        }
        seen.add(k);
      }
    } catch (lookupErr) {
      return toStoreError(lookupErr, 'commit messages');
    }
    return new StoreError('conflict', 'a seq of the batch is already used in its conversation; nothing of the batch was stored', err);
  }
}
