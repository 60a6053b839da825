import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildServer } from '../helpers/child-server.js';
import { runCrashScenario } from '../helpers/crash-scenario.js';

/**
 * The durability promise: every acked message survives a kill -9 of the
 * server, in order, without duplicates, and seq continues without reuse.
 */
describe('crash: kill -9 mid-stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
  let server: ChildServer | undefined;
  after(async () => {
    await server?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acked message and never reuses a seq', async () => {
    await runCrashScenario(dir, [], (s) => { server = s; });
  });
});
