import { after, before } from 'node:test';
import { MysqlStore } from '../src/store/mysql/mysql-store.js';
import { runStoreContract } from './contract/store-contract.js';
import { startMariaDbPair, type MariaDbPair } from './helpers/mariadb-harness.js';

/**
 * The Store contract on MariaDB: the same suite as SQLite, against the
 * harness's own primary (no replica here: the contract's reads are all
 * read-your-writes of other users too; replica routing is mysql-replica.test.ts).
 */
let pair: MariaDbPair;
before(async () => {
  pair = await startMariaDbPair();
});
after(async () => {
  await pair?.stop();
});

runStoreContract('mysql (MariaDB primary)', async () => {
  const db = await pair.createDatabase();
  const store = new MysqlStore({ primaryUrl: db.primaryUrl });
  // A second handle on the same database stands for a second process.
  return { store, cleanup: () => store.close(), openAnother: async () => new MysqlStore({ primaryUrl: db.primaryUrl }) };
});
