import Database from 'better-sqlite3';

/**
 * Case folding for the scope scan, identical to the FTS5 trigram tokenizer's
 * (`case_sensitive 0`), so `instr(search_text, fold(query))` finds exactly
 * what the trigram phrase finds.
 *
 * The tokenizer folds with SQLite's own table (an older Unicode than V8's:
 * it folds µ→μ, ς→σ, ſ→s, which toLowerCase does not, and leaves Cherokee or
 * Georgian Mtavruli alone, which toLowerCase changes), and its UTF-8 reader
 * turns U+FFFE/U+FFFF into U+FFFD. Rather than copy that table, it is read
 * once per process from the linked SQLite itself: the code points whose case
 * might fold are fed to a throwaway in-memory trigram index, and fts5vocab
 * reports what each became.
 */

/** Code points the tokenizer might change: anything with a case mapping, plus U+FFFE/U+FFFF. */
const CANDIDATE = /[\p{Changes_When_Casefolded}\p{Changes_When_Lowercased}\p{Changes_When_Uppercased}\p{Cased}\uFFFE\uFFFF]/u;

let foldTable: Map<number, number> | null = null;

/** code point → folded code point, for those that change (read from FTS5 once). */
export function ftsFoldTable(): ReadonlyMap<number, number> {
  if (foldTable) return foldTable;
  const candidates: number[] = [];
  // Planes 2-16 hold no cased characters (ideographs, tags, private use).
  for (let c = 1; c < 0x20000; c++) {
    if (c >= 0xd800 && c < 0xe000) continue; // lone surrogates never reach SQLite as themselves
    if (CANDIDATE.test(String.fromCodePoint(c))) candidates.push(c);
  }
  const db = new Database(':memory:');
  try {
    db.exec(`CREATE VIRTUAL TABLE f USING fts5(b, tokenize='trigram case_sensitive 0');
      CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance');`);
    // One document: token i is the trigram starting at character i, so its
    // first character is the folded form of candidates[i].
    db.prepare('INSERT INTO f (rowid, b) VALUES (1, ?)').run(`${String.fromCodePoint(...candidates)}##`);
    const table = new Map<number, number>();
    for (const [offset, term] of db.prepare('SELECT offset, term FROM v').raw().iterate() as Iterable<[number, string]>) {
      const from = candidates[offset];
      const to = term.codePointAt(0);
      if (from !== undefined && to !== undefined && from !== to) table.set(from, to);
    }
    foldTable = table;
    return table;
  } finally {
    db.close();
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/** `text` folded as the trigram tokenizer folds it (what search_text stores and queries compare with). */
export function foldForSearch(text: string): string {
  // ASCII folds A-Z only, which is exactly toLowerCase on ASCII text.
  if (ASCII.test(text)) return text.toLowerCase();
  const table = ftsFoldTable();
  let out = '';
  for (const ch of text) {
    const to = table.get(ch.codePointAt(0)!);
    out += to === undefined ? ch : String.fromCodePoint(to);
  }
  return out;
}
