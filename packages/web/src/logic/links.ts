/**
 * Links in message text. A URL ends at whitespace; trailing punctuation that
 * usually closes a sentence is left out, as is a closing bracket without an
 * opening one inside the URL.
 */
const URL_RE = /\bhttps?:\/\/[^\s<>"'`，。！？、；：（）【】]+/gi;
const TRAILING = /[.,;:!?'"…]+$/;

export interface UrlMatch { url: string; start: number; end: number }

function trimUrl(raw: string): string {
  let url = raw.replace(TRAILING, '');
  for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']] as const) {
    while (url.endsWith(close) && count(url, open) < count(url, close)) url = url.slice(0, -1).replace(TRAILING, '');
  }
  return url;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

export function findUrls(text: string): UrlMatch[] {
  const out: UrlMatch[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const url = trimUrl(m[0]);
    if (url.length > 'https://'.length) out.push({ url, start: m.index!, end: m.index! + url.length });
  }
  return out;
}

export function firstUrl(text: string): string | undefined {
  return findUrls(text)[0]?.url;
}

/** host and path for a link card made on this side (the server does not unfurl). */
export function describeUrl(url: string): { host: string; path: string } {
  try {
    const u = new URL(url);
    const path = `${u.pathname === '/' ? '' : u.pathname}${u.search}`;
    return { host: u.host.replace(/^www\./, ''), path: path.length > 60 ? `${path.slice(0, 57)}…` : path };
  } catch {
    return { host: url, path: '' };
  }
}

/** Only http(s) links are made clickable or used as image sources. */
export function safeHref(url: string): string | undefined {
  if (url.startsWith('/')) return url.startsWith('//') ? undefined : url;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
