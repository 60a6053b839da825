import type { Message } from '@parley/protocol';

/**
 * What a generator needs from a pushed message. Pushes are parsed with
 * indexOf on the JSON text instead of JSON.parse: the generator shares two
 * cores with the server, and at tens of thousands of pushes a second a full
 * parse of every frame would make the client, not the server, the limit.
 * Both servers produce the text with JSON.stringify (no whitespace) and the
 * bench's own message texts contain no quotes or backslashes, so the fast
 * path is exact; anything else falls back to JSON.parse (and the unit test
 * checks the two agree).
 */
export interface MsgLite { conv_id: string; seq: number; sender: string; text: string }

const MSG_PREFIX = '{"op":"msg",';

function str(t: string, key: string): string | null {
  const k = t.indexOf(key);
  if (k < 0) return null;
  const start = k + key.length;
  const end = t.indexOf('"', start);
  if (end < 0) return null;
  const s = t.slice(start, end);
  return s.includes('\\') ? null : s;
}

function int(t: string, key: string): number | null {
  const k = t.indexOf(key);
  if (k < 0) return null;
  let i = k + key.length;
  let n = 0;
  let digits = 0;
  for (; i < t.length; i++, digits++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return digits > 0 ? n : null;
}

export function liteOf(m: Message): MsgLite {
  const c = m.content as { text?: unknown } | null;
  return { conv_id: m.conv_id, seq: m.seq, sender: m.sender, text: typeof c?.text === 'string' ? c.text : '' };
}

/** A push as MsgLite, or null if the frame is not a `msg` push (then the caller JSON.parses it). */
export function parseMsgFast(t: string): MsgLite | null {
  if (!t.startsWith(MSG_PREFIX)) return null;
  const conv_id = str(t, '"conv_id":"');
  const seq = int(t, '"seq":');
  const sender = str(t, '"sender":"');
  const text = str(t, '"text":"');
  if (conv_id === null || seq === null || sender === null || text === null) {
    const f = JSON.parse(t) as { op: string; msg?: Message };
    return f.msg ? liteOf(f.msg) : null;
  }
  return { conv_id, seq, sender, text };
}

const OK_PREFIX = '{"op":"ok","id":';

/**
 * The numeric request id of an `ok` answer, or null for anything else. The
 * generators need no more from an ack (they derive conversation ids
 * themselves), and skipping its parse is a third of the client's work.
 */
export function parseOkIdFast(t: string): number | null {
  if (!t.startsWith(OK_PREFIX)) return null;
  const id = int(t, OK_PREFIX);
  if (id === null) return null;
  return t.charCodeAt(OK_PREFIX.length + String(id).length) === 44 /* , */ ? id : null;
}

/**
 * Bench message texts: `<n>|<send time µs>|<filler>`, n counting from 1 per
 * sender and conversation, so a recipient checks order and measures latency
 * from the text alone.
 */
export function benchText(n: number, tUs: number, filler: string): string {
  return `${n}|${tUs}|${filler}`;
}

export function parseBenchText(text: string): { n: number; tUs: number } | null {
  const a = text.indexOf('|');
  const b = text.indexOf('|', a + 1);
  if (a <= 0 || b <= a) return null;
  return { n: Number(text.slice(0, a)), tUs: Number(text.slice(a + 1, b)) };
}

/** Filler so a message is about `bytes` long on the wire, like a short chat line. */
export function filler(bytes: number): string {
  const words = 'the quick brown fox jumps over the lazy dog while ';
  let s = '';
  while (s.length < bytes) s += words;
  return s.slice(0, Math.max(1, bytes)).trim() || 'x';
}
