import { findUrls } from './links.js';

/**
 * @mentions in the composer and in bubbles. The composer keeps the members
 * picked from the picker; a mention is sent for each one whose "@label" is
 * still in the text when it is sent ("@all" mentions everyone).
 */
export interface MentionCandidate { user_id: string; name: string }
export interface MentionQuery { start: number; query: string }

export const ALL: MentionCandidate = { user_id: 'all', name: 'all' };

/** The "@query" being typed just before the caret, if any. */
export function mentionQueryAt(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1]!)) return null;
  const query = before.slice(at + 1);
  if (query.length > 32 || /\s/.test(query)) return null;
  return { start: at, query };
}

/** Members matching the query: prefix matches of name or id first, then substrings. */
export function filterCandidates(list: MentionCandidate[], query: string, limit = 8): MentionCandidate[] {
  const q = query.toLowerCase();
  const scored: Array<[number, MentionCandidate]> = [];
  for (const c of list) {
    const name = c.name.toLowerCase();
    const id = c.user_id.toLowerCase();
    const score = name.startsWith(q) || id.startsWith(q) ? 0 : name.includes(q) || id.includes(q) ? 1 : -1;
    if (score >= 0) scored.push([score, c]);
  }
  return scored.sort((a, b) => a[0] - b[0]).slice(0, limit).map(([, c]) => c);
}

/** Replace "@query" before the caret by "@label " and say where the caret goes. */
export function insertMention(text: string, q: MentionQuery, caret: number, label: string): { text: string; caret: number } {
  const insert = `@${label} `;
  const next = text.slice(0, q.start) + insert + text.slice(caret).replace(/^ /, '');
  return { text: next, caret: q.start + insert.length };
}

/** User ids to send as `mentions`: picked members whose "@label" is still in the text. */
export function collectMentions(text: string, picked: MentionCandidate[]): string[] {
  const ids = new Set<string>();
  for (const p of picked) if (containsMention(text, p.name)) ids.add(p.user_id);
  if (containsMention(text, 'all')) ids.add('all');
  return [...ids];
}

function containsMention(text: string, label: string): boolean {
  const token = `@${label}`;
  let i = text.indexOf(token);
  while (i >= 0) {
    const before = i === 0 ? ' ' : text[i - 1]!;
    const after = text[i + token.length];
    if (/\s/.test(before) && (after === undefined || /[\s,.!?，。！？:：]/.test(after))) return true;
    i = text.indexOf(token, i + 1);
  }
  return false;
}

export function mentionsUser(mentions: string[] | undefined, userId: string): boolean {
  return !!mentions && (mentions.includes(userId) || mentions.includes('all'));
}

export type Segment = { kind: 'text' | 'link' | 'mention'; text: string };

/**
 * Split message text for rendering: links become anchors, "@label" of a
 * mentioned user (labels given by the caller, longest first) is highlighted.
 */
export function segmentText(text: string, labels: string[]): Segment[] {
  const out: Segment[] = [];
  const push = (kind: Segment['kind'], t: string) => {
    if (!t) return;
    const last = out[out.length - 1];
    if (last && last.kind === kind && kind === 'text') last.text += t;
    else out.push({ kind, text: t });
  };
  const sorted = [...new Set(labels)].filter(Boolean).sort((a, b) => b.length - a.length);
  const splitMentions = (chunk: string) => {
    let rest = chunk;
    while (rest) {
      let best: { at: number; label: string } | undefined;
      for (const l of sorted) {
        const at = rest.indexOf(`@${l}`);
        if (at >= 0 && (!best || at < best.at)) best = { at, label: l };
      }
      if (!best) return push('text', rest);
      push('text', rest.slice(0, best.at));
      push('mention', `@${best.label}`);
      rest = rest.slice(best.at + best.label.length + 1);
    }
  };
  let pos = 0;
  for (const u of findUrls(text)) {
    splitMentions(text.slice(pos, u.start));
    push('link', u.url);
    pos = u.end;
  }
  splitMentions(text.slice(pos));
  return out;
}
