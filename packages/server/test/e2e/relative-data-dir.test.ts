import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { relative, join } from 'node:path';
import { tmpdir } from 'node:os';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';

/** The default data dir is relative (./data): the start must work with relative paths. */
describe('relative data directory', () => {
  const abs = join(tmpdir(), `parley-rel-${randomBytes(4).toString('hex')}`);
  const rel = relative(process.cwd(), abs);
  let server: ChildServer | undefined;
  after(async () => {
    await server?.stop().catch(() => {});
    rmSync(abs, { recursive: true, force: true });
  });

  it('starts, serves / and /healthz with --data-dir given relative to the working directory', async () => {
    assert.ok(!rel.startsWith('/'), `path ${rel} is relative`);
    server = await startChildServer(rel);
    const health = await fetch(`${server.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(health.status, 200);
    const home = await fetch(`${server.httpUrl}/`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(5000) });
    assert.equal(home.status, 200);
    assert.match(await home.text(), /<html/i);
  });
});
