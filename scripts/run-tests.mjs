#!/usr/bin/env node
// Finds every *.test.ts under the packages' test folders and bench/test and runs them with
// node's test runner (Node 20's --test takes no globs). Extra args narrow the set by substring.
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
const res = spawnSync(process.execPath, [
  '--conditions=development', '--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=180000', ...selected,
], { stdio: 'inherit' });
process.exit(res.status ?? 1);
