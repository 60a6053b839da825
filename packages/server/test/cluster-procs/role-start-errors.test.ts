import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `parley start --role …` refuses a layout it cannot run, with one line naming what to add. */
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function start(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-role-'));
  try {
    const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, 'start', '--data-dir', dir, '--http-port', '0', '--tcp-port', '0', ...args], {
      encoding: 'utf8', timeout: 90_000,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_'))),
    });
    return { code: r.status, stderr: r.stderr, files: readdirSync(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('separate roles refuse what they cannot run', { timeout: 300_000 }, () => {
  it('a dispatcher without the TCP transport, then without a shared store: exit 2, naming the option', () => {
    const a = start(['--role', 'dispatch']);
    assert.equal(a.code, 2, a.stderr);
    assert.match(a.stderr, /^parley: role=dispatch: .*add --transport tcp\n$/);
    const b = start(['--role', 'api', '--transport', 'tcp', '--registry', 'redis']);
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /SQLite cannot be shared between processes; use --store mysql/);
    assert.deepEqual(b.files, [], 'nothing was created');
  });

  it('a link without the public key set: exit 1, saying where it looked', () => {
    const r = start(['--role', 'link', '--transport', 'tcp', '--registry', 'redis', '--redis-prefix', `parley-test:roles:${process.pid}:`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^parley: --keys-dir \S+keys: no public\.jwks\.json in .*start the api first\)\n$/);
  });
});
