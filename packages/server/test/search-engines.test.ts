import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MysqlStore } from '../src/store/mysql/mysql-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { MemberRow, Store, StoredMessage } from '../src/store/store.js';
import { startMariaDbPair, type MariaDbPair } from './helpers/mariadb-harness.js';

/**
 * The same Chinese / mixed-language search cases on SQLite (FTS5 trigram) and
 * on MariaDB (application tokens under an InnoDB FULLTEXT index), each on
 * both of its plans: the scope scan and the full-text index (forced with a
 * scan limit of 0). 2- and 3-character Chinese phrases, Chinese mixed with
 * English, and phrases whose characters are all present but out of order.
 */
const T0 = 1_700_000_000_000;
const member = (app_id: string, conv_id: string, user_id: string): MemberRow => ({
  app_id, conv_id, user_id, role: 'member', join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: T0,
});
const text = (app_id: string, seq: number, body: string): StoredMessage => ({
  app_id, conv_id: 'g:c', seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${seq}`, type: 'text', content: { text: body }, status: 'normal', created_at: T0 + seq,
});

const DOCS = [
  '我们明天去北京开会', // 1
  '北京烤鸭很好吃', // 2
  '南京的天气不错', // 3
  'iPhone15发布会在上海举行', // 4
  'Parley测试版本 release notes', // 5
  '会议 meeting 明天下午三点', // 6
  'hello世界', // 7
];

function searchCases(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>) {
  describe(`search cases: ${name}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    const app = `s${Math.random().toString(36).slice(2, 10)}`;
    const find = async (q: string) => (await store.search({ app_id: app, user_id: 'u1', text: q, limit: 50 })).map((m) => m.seq);

    before(async () => {
      ({ store, close } = await open());
      await store.migrate();
      await store.ensureConversations(app, [{ conv_id: 'g:c', type: 'group', members: [member(app, 'g:c', 'u1')] }], T0);
      await store.commitMessages(DOCS.map((d, i) => text(app, i + 1, d)));
    });
    after(() => close());

    it('2-character Chinese words', async () => {
      assert.deepEqual(await find('北京'), [2, 1]);
      assert.deepEqual(await find('明天'), [6, 1]);
      assert.deepEqual(await find('烤鸭'), [2]);
      assert.deepEqual(await find('广州'), []);
    });

    it('3-character (and longer) Chinese phrases', async () => {
      assert.deepEqual(await find('去北京'), [1]);
      assert.deepEqual(await find('北京开会'), [1]);
      assert.deepEqual(await find('天气不错'), [3]);
      assert.deepEqual(await find('北京天气'), [], 'both words occur, but not as this phrase');
    });

    it('Chinese mixed with English', async () => {
      assert.deepEqual(await find('iphone15发布会'), [4]);
      assert.deepEqual(await find('IPHONE15'), [4]);
      assert.deepEqual(await find('Parley测试'), [5]);
      assert.deepEqual(await find('测试版本 release'), [5]);
      assert.deepEqual(await find('meeting 明天'), [6]);
      assert.deepEqual(await find('hello世界'), [7]);
      assert.deepEqual(await find('release 测试'), [], 'words of the message in another order');
    });

    it('a phrase never matches its characters out of order', async () => {
      assert.deepEqual(await find('京北'), []);
      assert.deepEqual(await find('开会北京'), []);
      assert.deepEqual(await find('鸭烤'), []);
      assert.deepEqual(await find('界世'), []);
      assert.deepEqual(await find('天明'), []);
    });
  });
}

searchCases('sqlite (scan)', async () => sqliteStore(undefined));
searchCases('sqlite (index)', async () => sqliteStore(0));

async function sqliteStore(searchScanMaxMessages: number | undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'parley-search-'));
  const store = new SqliteStore({ path: join(dir, 'parley.db'), searchScanMaxMessages });
  return { store, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

let pair: MariaDbPair | undefined;
before(async () => {
  pair = await startMariaDbPair();
});
after(async () => {
  await pair?.stop();
});
const mariadb = (searchScanMaxMessages: number | undefined) => async () => {
  const db = await pair!.createDatabase();
  const store = new MysqlStore({ primaryUrl: db.primaryUrl, searchScanMaxMessages });
  return { store, close: () => store.close() };
};
searchCases('mariadb (scan)', mariadb(undefined));
searchCases('mariadb (FULLTEXT index)', mariadb(0));
