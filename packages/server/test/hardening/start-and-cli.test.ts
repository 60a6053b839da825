import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startChildServer, type ChildServer } from '../helpers/child-server.js';
import { oneLine, runCli } from './cli-helpers.js';

async function outputContains(s: ChildServer, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!s.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the output: ${s.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The CLI as an operator meets it: real child processes, one line per failed start, nothing left behind. */
describe('parley start and the CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  const servers: ChildServer[] = [];
  let busy: Server | undefined;
  after(async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    busy?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('prints a readable banner with the key once, then where the key is; a second server on the same data dir is refused', async () => {
    const dir = join(root, 'main');
    const first = await startChildServer(dir, [], 90_000);
    servers.push(first);
    // /readyz answers as soon as HTTP listens; the banner follows once every listener is up.
    await outputContains(first, 'Next:');
    const out1 = first.output();
    assert.match(out1, /Parley is running/);
    assert.match(out1, /API key: pk_/);
    assert.match(out1, /Password registration is on for the default app/);
    assert.match(out1, /Next:/);
    assert.equal(await first.stop(), 0);
    servers.pop();

    const again = await startChildServer(dir, [], 90_000);
    servers.push(again);
    await outputContains(again, 'Next:');
    assert.doesNotMatch(again.output(), /API key: pk_/, 'the key is shown on the first start only');
    assert.match(again.output(), new RegExp(`API key of the default app: in .*default-app\\.json`));

    const [http, tcp] = [await freePort(), await freePort()];
    const second = await runCli(['start', '--data-dir', dir, '--http-port', String(http), '--tcp-port', String(tcp)]);
    assert.equal(second.code, 1);
    assert.match(oneLine(second), /^parley: --data-dir .* is in use by another Parley server \(pid \d+\)/);
    // The first server still works.
    assert.equal((await fetch(`${again.httpUrl}/readyz`, { signal: AbortSignal.timeout(10_000) })).status, 200);
  });

  it('a port in use: one line naming the option, and nothing created', async () => {
    busy = createServer();
    await new Promise<void>((r) => busy!.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const dir = join(root, 'never-port');
    const r = await runCli(['start', '--data-dir', dir, '--http-port', String(port), '--tcp-port', String(await freePort())]);
    assert.equal(r.code, 1);
    assert.match(oneLine(r), new RegExp(`^parley: --http-port ${port}: 127\\.0\\.0\\.1:${port} is already in use`));
    assert.equal(existsSync(dir), false, 'no data dir created');
    assert.doesNotMatch(r.stdout, /API key/);
  });

  it('a bad data dir: one line naming --data-dir, nothing created', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const r = await runCli(['start', '--data-dir', join(file, 'data'), '--http-port', '0', '--tcp-port', '0']);
    assert.equal(r.code, 1);
    assert.match(oneLine(r), /^parley: --data-dir .*a-file\/data: .*a-file is not a directory/);
    assert.doesNotMatch(r.stdout, /API key/);
  });

  it('an unknown --log-level names the option and the allowed values', async () => {
    const dir = join(root, 'never-log');
    const r = await runCli(['start', '--data-dir', dir, '--log-level', 'verbose']);
    assert.equal(r.code, 2);
    assert.equal(oneLine(r), 'parley: invalid --log-level (log_level, PARLEY_LOG_LEVEL): got "verbose"; allowed: one of fatal, error, warn, info, debug, trace, silent');
    assert.equal(existsSync(dir), false);
  });

  it('--store mysql that cannot be used: one line about the store, no app made, no key printed', async () => {
    const dir = join(root, 'never-mysql');
    const r = await runCli(['start', '--data-dir', dir, '--http-port', '0', '--tcp-port', '0', '--store', 'mysql', '--mysql-primary', 'mysql://root@127.0.0.1:1/parley_none']);
    assert.notEqual(r.code, 0);
    assert.match(oneLine(r), /^parley: .*mysql/i);
    assert.equal(existsSync(join(dir, 'default-app.json')), false);
    assert.doesNotMatch(r.stdout, /API key/);
  });

  it('`parley` with no command prints the help (allowed values and defaults) and starts nothing', async () => {
    const r = await runCli([], 30_000);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: parley start/);
    assert.match(r.stdout, /--log-level .*default: "info"/);
    assert.match(r.stdout, /allowed: one of fatal, error, warn, info, debug, trace, silent/);
    assert.match(r.stdout, /--http-port .*default: 8080[\s\S]*allowed: an integer from 0 to 65535/);
    assert.equal(existsSync(join(process.cwd(), 'data', 'parley.lock')), false);
  });

  it('`app create` with a bad id says why, in one line', async () => {
    const dir = join(root, 'apps');
    const r = await runCli(['app', 'create', 'bad id!', '--data-dir', dir], 30_000);
    assert.equal(r.code, 2);
    assert.match(oneLine(r), /^parley: app id "bad id!" is not valid: use 1 to 64 characters, each a letter, digit/);
    assert.equal(existsSync(dir), false);
  });
});
