import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// semver is what npm itself uses to check `engines`; it is in the tree through several packages.
const require = createRequire(import.meta.url);
const semver = require('semver') as { minVersion(range: string): { version: string } | null; satisfies(v: string, range: string): boolean };

const root = (p: string) => fileURLToPath(new URL(`../../../../${p}`, import.meta.url));

/** `npm install` on the stated minimum Node prints EBADENGINE for any locked package whose engines.node it does not satisfy. */
describe('npm install on the minimum Node version', () => {
  it('every package in package-lock.json accepts the minimum Node version of the root package.json', () => {
    const pkg = JSON.parse(readFileSync(root('package.json'), 'utf8')) as { engines: { node: string } };
    const min = semver.minVersion(pkg.engines.node);
    assert.ok(min, `engines.node ${pkg.engines.node} has a minimum`);
    assert.equal(min.version.split('.')[0], '20', 'the stated minimum is Node 20');
    const lock = JSON.parse(readFileSync(root('package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: unknown }> };
    const refused = Object.entries(lock.packages)
      .filter(([, p]) => p.engines && typeof (p.engines as { node?: unknown }).node === 'string')
      .filter(([, p]) => !semver.satisfies(min.version, (p.engines as { node: string }).node))
      .map(([name, p]) => `${name}@${p.version} needs node ${(p.engines as { node: string }).node}`);
    assert.deepEqual(refused, []);
  });

  it('better-sqlite3 stays on major 12', () => {
    const lock = JSON.parse(readFileSync(root('package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    assert.match(lock.packages['node_modules/better-sqlite3']?.version ?? '', /^12\./);
  });
});
