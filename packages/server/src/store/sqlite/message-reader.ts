import type Database from 'better-sqlite3';
import { StoreError, type HistoryQuery, type RecallResult, type StoredMessage, type StoredMessageText } from '../store.js';
import { MESSAGE_COLUMNS, messageFromSql, messageTextFromSql, type MessageSql } from './rows.js';

/** The reader's delete-for-me rows hide a message from them only. */
export const NOT_HIDDEN_FOR_READER = `NOT EXISTS (SELECT 1 FROM message_hidden h
  WHERE h.app_id = m.app_id AND h.conv_id = m.conv_id AND h.user_id = @user_id AND h.seq = m.seq)`;

/**
 * Timeline reads and per-message changes. History joins the reader's member
 * row, so a non-member gets nothing and a member never sees below their
 * join_seq, in one statement (one snapshot) per call.
 */
export class MessageReader {
  private readonly getStmt: Database.Statement;
  private readonly byCmid: Database.Statement;
  private readonly maxSeqStmt: Database.Statement;
  private readonly newestFirst: Database.Statement;
  private readonly oldestFirst: Database.Statement;
  private readonly setStatus: Database.Statement;
  private readonly setPreviewStatus: Database.Statement;
  private readonly insertHidden: Database.Statement;
  private readonly recallTx: Database.Transaction<(appId: string, convId: string, seq: number, at: number, createdSince: number | undefined) => RecallResult>;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.conv_id = ? AND m.seq = ?`);
    this.byCmid = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = ? AND m.sender = ? AND m.cmid = ?`);
    this.maxSeqStmt = db.prepare('SELECT coalesce(max(seq), 0) FROM messages WHERE app_id = ? AND conv_id = ?').pluck();
    const fromMember = `FROM conversation_members cm
      JOIN messages m ON m.app_id = cm.app_id AND m.conv_id = cm.conv_id AND m.seq >= cm.join_seq
      WHERE cm.app_id = @app_id AND cm.conv_id = @conv_id AND cm.user_id = @user_id AND ${NOT_HIDDEN_FOR_READER}`;
    this.newestFirst = db.prepare(`SELECT ${MESSAGE_COLUMNS} ${fromMember} AND m.seq < @before ORDER BY m.seq DESC LIMIT @limit`);
    this.oldestFirst = db.prepare(`SELECT ${MESSAGE_COLUMNS} ${fromMember} AND m.seq > @after ORDER BY m.seq ASC LIMIT @limit`);
    this.setStatus = db.prepare('UPDATE messages SET status = ?, status_at = ? WHERE app_id = ? AND conv_id = ? AND seq = ?');
    // Keep the conversation-list preview truthful when its message is recalled.
    this.setPreviewStatus = db.prepare(`UPDATE conversations SET last_message = json_set(last_message, '$.status', ?)
      WHERE app_id = ? AND conv_id = ? AND last_message IS NOT NULL AND json_extract(last_message, '$.seq') = ?`);
    this.insertHidden = db.prepare(`INSERT INTO message_hidden (app_id, conv_id, user_id, seq, hidden_at)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    // Checks and update under the write lock: two recalls of one message cannot both pass.
    this.recallTx = db.transaction((appId: string, convId: string, seq: number, at: number, createdSince: number | undefined): RecallResult => {
      const message = this.get(appId, convId, seq);
      if (!message) return { ok: false, reason: 'not_found' };
      if (message.type === 'notice') return { ok: false, reason: 'notice', message };
      if (message.status === 'recalled') return { ok: false, reason: 'already_recalled', message };
      if (createdSince !== undefined && message.created_at < createdSince) return { ok: false, reason: 'expired', message };
      this.setStatus.run('recalled', at, appId, convId, seq);
      this.setPreviewStatus.run('recalled', appId, convId, seq);
      return { ok: true, message };
    });
  }

  get(appId: string, convId: string, seq: number): StoredMessage | null {
    const r = this.getStmt.get(appId, convId, seq) as MessageSql | undefined;
    return r ? messageFromSql(r) : null;
  }

  findByCmid(appId: string, sender: string, cmid: string): StoredMessage | null {
    const r = this.byCmid.get(appId, sender, cmid) as MessageSql | undefined;
    return r ? messageFromSql(r) : null;
  }

  maxSeq(appId: string, convId: string): number {
    return this.maxSeqStmt.get(appId, convId) as number;
  }

  history(q: HistoryQuery): StoredMessage[] {
    return this.historyRows(q).map(messageFromSql);
  }

  /** history with the content left as its stored JSON text */
  historyText(q: HistoryQuery): StoredMessageText[] {
    return this.historyRows(q).map(messageTextFromSql);
  }

  private historyRows(q: HistoryQuery): MessageSql[] {
    const limit = Math.floor(q.limit);
    if (!(limit > 0)) return [];
    const base = { app_id: q.app_id, conv_id: q.conv_id, user_id: q.user_id, limit };
    const rows = q.after != null
      ? this.oldestFirst.all({ ...base, after: q.after })
      : this.newestFirst.all({ ...base, before: q.before ?? Number.MAX_SAFE_INTEGER });
    return rows as MessageSql[];
  }

  recall(appId: string, convId: string, seq: number, at: number, createdSince?: number): RecallResult {
    return this.recallTx.immediate(appId, convId, seq, at, createdSince);
  }

  hideFor(appId: string, convId: string, seq: number, userId: string, at: number): void {
    if (!this.getStmt.get(appId, convId, seq)) throw new StoreError('not_found', `message ${convId}#${seq} not found`);
    this.insertHidden.run(appId, convId, userId, seq, at);
  }
}
