#!/usr/bin/env node
// Finds every *.test.ts under the packages' test folders and bench/test and runs them with
// node's test runner (Node 20's --test takes no globs). Extra args narrow the set by substring.
// A full run (no args) then runs a representative subset of the API and end-to-end suites
// once more on MariaDB (PARLEY_TEST_STORE=mysql, the machine's server at PARLEY_TEST_MYSQL_URL,
// default 127.0.0.1:3306): the same tests, the store chosen by the composition root.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['packages/protocol/test', 'packages/sdk/test', 'packages/server/test', 'packages/web/test', 'bench/test'];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
for (const r of roots) if (existsSync(r)) walk(r);
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const run = (list, env = process.env) => spawnSync(process.execPath, [
  '--conditions=development', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=180000', ...list,
], { stdio: 'inherit', env }).status ?? 1;

let status = run(selected);
if (filters.length === 0 && process.env.PARLEY_TEST_SKIP_MYSQL_PASS !== '1') {
  const onMysql = ['packages/server/test/api/', 'test/e2e/messaging', 'test/e2e/crash.test', 'test/e2e/access', 'test/e2e/membership-regressions',
    'test/e2e/notifications', 'test/e2e/group-fanout', 'test/e2e/outbox-crash', 'test/cluster/inproc-cluster.test', 'test/cluster/membership-at-commit'];
  const list = files.filter((f) => onMysql.some((x) => f.includes(x)));
  const url = process.env.PARLEY_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test';
  console.log(`\n# the API and end-to-end subset again on MariaDB (PARLEY_TEST_STORE=mysql, ${list.length} files)`);
  // Run even when the first pass failed (its own failures must not hide behind the first pass's).
  const onMariaDb = run(list, { ...process.env, PARLEY_TEST_STORE: 'mysql', PARLEY_TEST_MYSQL_URL: url });
  status ||= onMariaDb;
  // Test platforms keep their database for restart tests; drop every one this pass made.
  const drop = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import mysql from 'mysql2/promise';
    const u = new URL(${JSON.stringify(url)}); u.pathname = '/';
    const c = await mysql.createConnection(u.toString());
    const [rows] = await c.query("SELECT schema_name AS n FROM information_schema.schemata WHERE schema_name LIKE 'parley\\\\_t\\\\_%'");
    for (const r of rows) await c.query('DROP DATABASE \`' + r.n + '\`');
    await c.end();`], { stdio: 'inherit', cwd: 'packages/server' });
  if (drop.status !== 0) console.error('could not drop the test databases');
}
process.exit(status);
