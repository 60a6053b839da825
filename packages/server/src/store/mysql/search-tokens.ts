/**
 * Application-side tokens for the MySQL/MariaDB full-text index.
 *
 * MariaDB has no ngram parser, and InnoDB's default parser drops tokens
 * shorter than innodb_ft_min_token_size (3), longer than
 * innodb_ft_max_token_size (84) and the default stopwords, and it sees a run
 * of Chinese characters as one word. So the application writes its own tokens
 * into messages.search_tokens, every one an ASCII [a-z0-9] word of 3..84
 * characters starting with `z` (no default stopword starts with z):
 *
 * - the text is folded first (`foldForIndex`: NFKC, then case folding);
 * - a CJK run (Han, Hiragana, Katakana, Hangul) becomes its overlapping
 *   bigrams, `zc` + two 5-digit hex code points; a lone CJK character,
 *   `zu` + its code point;
 * - any other word (letters, marks, digits) is kept whole, short ones too:
 *   `zw` + the word when it is ASCII, `zx` + hex of its UTF-8 otherwise,
 *   cut at 84 characters.
 *
 * A query is tokenized the same way and searched as one boolean-mode phrase
 * ("tok1 tok2 ..."), so its bigrams must appear adjacent and in order: 京北
 * never matches 北京. The phrase only narrows the candidates; the search then
 * requires the folded query to be a substring of search_text (INSTR), so the
 * index can never add a match that the plain substring rule would not.
 */

const MAX_TOKEN = 84;
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const ASCII_WORD = /^[a-z0-9]+$/;

/** NFKC + full case folding (upper then lower approximates Unicode case folding: ß→ss, ς→σ). */
export function foldForIndex(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

const hex5 = (ch: string) => ch.codePointAt(0)!.toString(16).padStart(5, '0');

function wordToken(word: string): string {
  if (ASCII_WORD.test(word)) return `zw${word}`.slice(0, MAX_TOKEN);
  return `zx${Buffer.from(word, 'utf8').toString('hex')}`.slice(0, MAX_TOKEN);
}

export interface Tokenized {
  tokens: string[];
  /** a lone CJK character occurred (a query with one cannot be answered from bigrams) */
  hasLoneCjk: boolean;
}

/** Tokens of already folded text, in text order. */
export function tokenize(folded: string): Tokenized {
  const tokens: string[] = [];
  let hasLoneCjk = false;
  for (const [run] of folded.matchAll(WORD)) {
    let word = '';
    let cjk: string[] = [];
    const flushCjk = () => {
      if (cjk.length === 1) {
        tokens.push(`zu${hex5(cjk[0]!)}`);
        hasLoneCjk = true;
      }
      for (let i = 0; i + 1 < cjk.length; i++) tokens.push(`zc${hex5(cjk[i]!)}${hex5(cjk[i + 1]!)}`);
      cjk = [];
    };
    for (const ch of run) {
      if (CJK.test(ch)) {
        if (word) tokens.push(wordToken(word));
        word = '';
        cjk.push(ch);
      } else {
        if (cjk.length) flushCjk();
        word += ch;
      }
    }
    if (word) tokens.push(wordToken(word));
    if (cjk.length) flushCjk();
  }
  return { tokens, hasLoneCjk };
}

/** What a message stores for search: the folded text and its tokens (space-separated). */
export function indexColumns(text: string | null): { search_text: string | null; search_tokens: string | null } {
  if (text === null) return { search_text: null, search_tokens: null };
  const folded = foldForIndex(text);
  return { search_text: folded, search_tokens: tokenize(folded).tokens.join(' ') };
}

/**
 * The boolean-mode phrase for a query, or null when the index cannot answer
 * it (no word characters, or a lone CJK character, which only a scan finds).
 */
export function queryPhrase(query: string): string | null {
  const { tokens, hasLoneCjk } = tokenize(foldForIndex(query));
  if (tokens.length === 0 || hasLoneCjk) return null;
  return `"${tokens.join(' ')}"`;
}
