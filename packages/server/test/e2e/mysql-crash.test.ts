import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildServer } from '../helpers/child-server.js';
import { runCrashScenario } from '../helpers/crash-scenario.js';
import { startMariaDbPair, type MariaDbPair } from '../helpers/mariadb-harness.js';

/**
 * The crash test on MySQL: kill -9 of the Parley process under load and a
 * restart on the same MariaDB database (primary and replica of the harness):
 * every acked message present once, in order, no seq reused.
 */
describe('crash on MySQL: kill -9 of Parley mid-stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-mysql-crash-'));
  let server: ChildServer | undefined;
  let pair: MariaDbPair | undefined;
  before(async () => {
    pair = await startMariaDbPair();
  });
  after(async () => {
    await server?.stop().catch(() => {});
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acked message and never reuses a seq', async () => {
    const db = await pair!.createDatabase();
    const args = ['--store', 'mysql', '--mysql-primary', db.primaryUrl, '--mysql-replica', db.replicaUrl];
    await runCrashScenario(dir, args, (s) => { server = s; });
  });
});
