import type { MessageType } from '@parley/protocol';

/**
 * What of a message is searchable, and how user query text is made safe for
 * SQLite. One definition, used when indexing (commit: the FTS row and
 * messages.search_text) and by the search_text backfill, so the index and the
 * scope scan can never disagree.
 */

/** Shortest query the trigram tokenizer can match (it indexes 3-character windows). */
export const TRIGRAM_MIN_CHARS = 3;

/**
 * The indexed text of a message, or null when the type is not indexed.
 * Notices are server bookkeeping and custom payloads are opaque to us, so
 * neither is searchable; images have no text.
 */
export function searchableText(type: MessageType | string, content: unknown): string | null {
  if (content === null || typeof content !== 'object') return null;
  const c = content as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  let text: string;
  switch (type) {
    case 'text': text = str(c.text); break;
    case 'file': text = str(c.name); break;
    case 'link': text = [str(c.title), str(c.description)].filter(Boolean).join('\n'); break;
    default: return null;
  }
  return text.length > 0 ? text : null;
}

/** Same as searchableText but from the stored JSON (the search_text backfill). */
export function searchableTextOfJson(type: string, contentJson: string): string | null {
  try {
    return searchableText(type, JSON.parse(contentJson));
  } catch {
    return null;
  }
}

/** Length in characters (code points), which is what the trigram tokenizer counts. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * The query as one FTS5 phrase: a phrase of trigrams matches the text as a
 * substring, and quoting makes operators (AND, NEAR, *, parentheses, column
 * filters) literal, so no user input is an FTS5 syntax error.
 */
export function ftsPhrase(query: string): string {
  return `"${query.replaceAll('"', '""')}"`;
}

/** A LIKE pattern matching `query` as a literal substring (used with ESCAPE '\'). */
export function likeContains(query: string): string {
  return `%${query.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/** A LIKE pattern matching `query` as a literal prefix (used with ESCAPE '\'). */
export function likePrefix(query: string): string {
  return `${query.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}
