/**
 * Replication positions of the two server flavours, behind one interface so
 * the replica router's rules (lag, read-your-writes, waits) are written once.
 *
 * - MariaDB: a GTID is `domain-server-seq`; a position is, per replication
 *   domain, the GTID with the highest seq (`@@gtid_binlog_pos`,
 *   `@@gtid_slave_pos`, `last_gtid`). Seqs grow within a domain
 *   (gtid_strict_mode), whichever server logged them.
 * - MySQL 8: a GTID is `source_uuid:n` (8.3+ also `source_uuid:tag:n`); a
 *   position is a GTID set, `uuid:1-5:7,uuid2:1-3`, as in
 *   `@@global.gtid_executed` (which breaks lines after its commas) and in the
 *   `session_track_gtids` tracker. UUIDs and tags are case-insensitive;
 *   intervals are kept sorted and merged.
 */

export type ServerFlavour = 'mariadb' | 'mysql';

/** The flavour from `SELECT VERSION(), @@version_comment` (MariaDB says so in one of them; MySQL, Percona, TiDB do not). */
export function flavourOf(version: string, versionComment: string): ServerFlavour {
  return /mariadb/i.test(version) || /mariadb/i.test(versionComment) ? 'mariadb' : 'mysql';
}

export interface GtidPosition {
  /** no transaction in it */
  readonly empty: boolean;
  /** every transaction of `need` is in this position */
  covers(need: GtidPosition): boolean;
  /** adds `other`'s transactions to this position (in place; `other` is not shared) */
  merge(other: GtidPosition): void;
  /** the server's text form (the wait functions' argument) */
  toString(): string;
}

export interface GtidDialect {
  readonly flavour: ServerFlavour;
  /** a position from the server's text; throws on text it cannot read ('' and null are the empty position) */
  parse(text: string | null | undefined): GtidPosition;
  /** one row, column `pos`: what the primary has logged */
  readonly primaryPositionSql: string;
  /** one row, column `pos`: what a replica has applied */
  readonly replicaPositionSql: string;
  /** one row, column `w`: 0 once the replica has applied position ?, within ? seconds */
  readonly waitSql: string;
  /** session statement after which every write's OK packet carries the GTID(s) it was logged under */
  readonly trackSql: string;
}

export class GtidParseError extends Error {}

// --- MariaDB ---

class MariadbPosition implements GtidPosition {
  readonly domains = new Map<number, { server: number; seq: number }>();

  get empty(): boolean {
    return this.domains.size === 0;
  }

  add(domain: number, g: { server: number; seq: number }): void {
    const cur = this.domains.get(domain);
    if (!cur || cur.seq < g.seq) this.domains.set(domain, { ...g });
  }

  covers(need: GtidPosition): boolean {
    if (!(need instanceof MariadbPosition)) return need.empty;
    for (const [d, g] of need.domains) if ((this.domains.get(d)?.seq ?? 0) < g.seq) return false;
    return true;
  }

  merge(other: GtidPosition): void {
    if (!(other instanceof MariadbPosition)) throw new GtidParseError('cannot merge a MySQL GTID set into a MariaDB position');
    for (const [d, g] of other.domains) this.add(d, g);
  }

  toString(): string {
    return [...this.domains].map(([d, g]) => `${d}-${g.server}-${g.seq}`).join(',');
  }
}

/** As the store always read MariaDB positions: parts that are not `d-s-n` are skipped. */
function parseMariadb(text: string | null | undefined): MariadbPosition {
  const p = new MariadbPosition();
  for (const part of (text ?? '').split(',')) {
    const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(part);
    if (m) p.add(Number(m[1]), { server: Number(m[2]), seq: Number(m[3]) });
  }
  return p;
}

// --- MySQL 8 ---

/** [first, last] sequence numbers, inclusive. */
type Interval = [number, number];

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const TAG = /^[a-z_][a-z0-9_]{0,31}$/i;
const INTERVAL = /^(\d+)(?:-(\d+))?$/;

/** Sorted, with overlapping and adjacent intervals joined (1-5 and 6-7 are 1-7). */
function normalize(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export class MysqlGtidSet implements GtidPosition {
  /** `uuid` or `uuid:tag` (lower case) → sorted, merged intervals */
  readonly sources = new Map<string, Interval[]>();

  get empty(): boolean {
    return this.sources.size === 0;
  }

  add(source: string, intervals: Interval[]): void {
    if (intervals.length === 0) return;
    this.sources.set(source, normalize([...(this.sources.get(source) ?? []), ...intervals.map(([a, b]): Interval => [a, b])]));
  }

  covers(need: GtidPosition): boolean {
    if (!(need instanceof MysqlGtidSet)) return need.empty;
    for (const [source, want] of need.sources) {
      const have = this.sources.get(source) ?? [];
      // `have` is merged, so a wanted interval is covered only by one interval of it.
      for (const [a, b] of want) if (!have.some(([x, y]) => x <= a && b <= y)) return false;
    }
    return true;
  }

  merge(other: GtidPosition): void {
    if (!(other instanceof MysqlGtidSet)) throw new GtidParseError('cannot merge a MariaDB position into a MySQL GTID set');
    for (const [source, list] of other.sources) this.add(source, list);
  }

  toString(): string {
    return [...this.sources].map(([source, list]) => `${source}:${list.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(':')}`).join(',');
  }
}

/**
 * `uuid:1-5:7,uuid2:1-3`, whitespace and line breaks allowed around members;
 * MySQL 8.3+ tags (`uuid:1-5:tag_a:1-2`: a tag applies to the intervals after
 * it). Text it cannot read throws: a position read wrong could claim
 * transactions a replica does not have.
 */
export function parseMysqlGtidSet(text: string | null | undefined): MysqlGtidSet {
  const set = new MysqlGtidSet();
  for (const raw of (text ?? '').split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const [uuid, ...rest] = member.split(':').map((s) => s.trim());
    if (!UUID.test(uuid!) || rest.length === 0) throw new GtidParseError(`not a GTID set member: ${JSON.stringify(member)}`);
    let source = uuid!.toLowerCase();
    let pending: Interval[] = [];
    for (const part of rest) {
      const m = INTERVAL.exec(part);
      if (m) {
        const a = Number(m[1]);
        const b = m[2] === undefined ? a : Number(m[2]);
        if (a < 1 || b < a || !Number.isSafeInteger(b)) throw new GtidParseError(`bad interval ${part} in ${JSON.stringify(member)}`);
        pending.push([a, b]);
      } else if (TAG.test(part)) {
        set.add(source, pending);
        pending = [];
        source = `${uuid!.toLowerCase()}:${part.toLowerCase()}`;
      } else {
        throw new GtidParseError(`bad part ${JSON.stringify(part)} in ${JSON.stringify(member)}`);
      }
    }
    set.add(source, pending);
  }
  return set;
}

// --- the two dialects ---

const MARIADB: GtidDialect = {
  flavour: 'mariadb',
  parse: parseMariadb,
  primaryPositionSql: 'SELECT @@gtid_binlog_pos AS pos',
  replicaPositionSql: 'SELECT @@gtid_slave_pos AS pos',
  // -1 on timeout
  waitSql: 'SELECT MASTER_GTID_WAIT(?, ?) AS w',
  // Appended to what the session already tracks; where it fails, the session just does not report GTIDs.
  trackSql: "SET SESSION session_track_system_variables = CONCAT_WS(',', NULLIF(@@session_track_system_variables, ''), 'last_gtid')",
};

const MYSQL: GtidDialect = {
  flavour: 'mysql',
  parse: parseMysqlGtidSet,
  primaryPositionSql: 'SELECT @@global.gtid_executed AS pos',
  replicaPositionSql: 'SELECT @@global.gtid_executed AS pos',
  // 1 on timeout; the timeout is read as a real number of seconds, and 0 would mean no timeout (the router never passes 0)
  waitSql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w',
  // OWN_GTID: the OK packet of a commit carries the GTIDs this session's transactions were assigned
  trackSql: 'SET SESSION session_track_gtids = OWN_GTID',
};

export function gtidDialect(flavour: ServerFlavour): GtidDialect {
  return flavour === 'mariadb' ? MARIADB : MYSQL;
}
