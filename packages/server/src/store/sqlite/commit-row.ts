import type { StoredMessage } from '../store.js';
import { json, messageFromSql } from './rows.js';
import { searchableText } from './search-text.js';

/**
 * A message on its way into MessageWriter: its column values in insert order,
 * content and mentions already JSON, and the text the search column is folded
 * from. Flat primitives rather than a StoredMessage, because a batch crosses
 * to the commit worker by structured clone, which copies an array of strings
 * and numbers at about half the cost of objects with a nested content object,
 * and the worker then needs no JSON.stringify of its own.
 */
export type CommitRow = [
  app_id: string, conv_id: string, seq: number, msg_id: string, sender: string, cmid: string, type: string,
  content: string, mentions: string | null, reply_to: number | null, status: string, created_at: number, edited_at: number | null,
  searchable: string | null,
];

export const R = {
  app_id: 0, conv_id: 1, seq: 2, msg_id: 3, sender: 4, cmid: 5, type: 6,
  content: 7, mentions: 8, reply_to: 9, status: 10, created_at: 11, edited_at: 12, searchable: 13,
} as const;

export function toCommitRow(m: StoredMessage): CommitRow {
  return [
    m.app_id, m.conv_id, m.seq, m.msg_id, m.sender, m.cmid, m.type,
    // the columns as messageToSql makes them (content null is stored as JSON null), without its object per message
    JSON.stringify(m.content ?? null), json(m.mentions), m.reply_to ?? null, m.status, m.created_at, m.edited_at ?? null,
    searchableText(m.type, m.content),
  ];
}

/** The message as stored (what a read of the row gives back): the row read as its columns. */
export function messageOfRow(r: CommitRow): StoredMessage {
  return messageFromSql({
    app_id: r[R.app_id], conv_id: r[R.conv_id], seq: r[R.seq], msg_id: r[R.msg_id], sender: r[R.sender], cmid: r[R.cmid], type: r[R.type],
    content: r[R.content], mentions: r[R.mentions], reply_to: r[R.reply_to], status: r[R.status], created_at: r[R.created_at], edited_at: r[R.edited_at],
  });
}
