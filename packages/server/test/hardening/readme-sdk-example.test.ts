import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '../../../../README.md'), 'utf8');

/** The README's SDK example, exactly as written, but for the test server's port. */
function exampleCode(): string {
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes("from '@parley/sdk'"));
  assert.ok(block, 'the README has a TypeScript example importing @parley/sdk');
  return block;
}

function run(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe("the README's SDK example on Node 20 (no global WebSocket)", () => {
  let p: TestPlatform;
  let token: string;
  const file = join(here, `.readme-example-${randomBytes(4).toString('hex')}.mts`);
  before(async () => {
    p = await startTestPlatform();
    token = (await p.users('alice', 'bob')).alice!;
  });
  after(async () => {
    rmSync(file, { force: true });
    await p?.destroy();
  });

  it('runs as written: connects, sends, lists, reads history, marks read', async () => {
    const code = exampleCode().replaceAll('ws://127.0.0.1:8080/ws', p.wsUrl);
    writeFileSync(file, [
      // Node 20 has no global WebSocket; take it away on newer Node too, so the test means the same everywhere.
      'delete (globalThis as { WebSocket?: unknown }).WebSocket;',
      'const token = process.env.PARLEY_EXAMPLE_TOKEN!;',
      code,
      'console.log("RESULT " + JSON.stringify({ seq: ack.seq, conv: ack.conv_id, total_unread, convs: conversations.length, history: messages.length }));',
      'await client.close();',
    ].join('\n'));
    const r = await run(['--conditions=development', '--import', 'tsx', file], here, { PARLEY_EXAMPLE_TOKEN: token });
    assert.equal(r.code, 0, r.out);
    const result = JSON.parse(/RESULT (.*)/.exec(r.out)?.[1] ?? 'null');
    assert.deepEqual(result, { seq: 1, conv: 's:alice:bob', total_unread: 0, convs: 1, history: 1 });
  });

  it('resolves @parley/sdk to the Node entry (ws) for Node, built or from source', async () => {
    const probe = "console.log(import.meta.resolve('@parley/sdk'))";
    const built = await run(['--input-type=module', '-e', probe], here, {});
    assert.match(built.out.trim(), /packages\/sdk\/dist\/node\.js$/, built.out);
    const dev = await run(['--conditions=development', '--input-type=module', '-e', probe], here, {});
    assert.match(dev.out.trim(), /packages\/sdk\/src\/node\.ts$/, dev.out);
  });
});
