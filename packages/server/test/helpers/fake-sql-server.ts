import type { ServerFlavour } from '../../src/store/mysql/gtid-positions.js';
import type { SqlPool } from '../../src/store/mysql/sql-pool.js';

/**
 * A stand-in for one server as the replica router sees it (no database):
 * its flavour, its GTID position (`pos()`, answered to any position query)
 * and the answer of its GTID wait function (`waitResult()`). Every
 * statement is recorded in `calls`, its parameters in `params`.
 */
export function fakeServer(flavour: ServerFlavour, pos: () => string, waitResult: () => number = () => -1) {
  const calls: string[] = [];
  const params: unknown[][] = [];
  const pool = {
    async flavour() {
      return flavour;
    },
    async raw(_what: string, sql: string, p: unknown[] = []) {
      calls.push(sql);
      params.push(p);
      if (/WAIT/i.test(sql)) return { rows: [{ w: waitResult() }], affected: 0 };
      return { rows: [{ pos: pos() }], affected: 0 };
    },
  } as unknown as SqlPool;
  return { pool, calls, params };
}
