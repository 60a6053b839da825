import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * compose.yaml is accepted by a compose client (`docker compose config`, or
 * Debian's `docker-compose config`) and describes the documented layout.
 * Skipped, saying so, when neither client is installed.
 */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function composeClient(): string[] | undefined {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return undefined;
}

const client = composeClient();

describe('compose.yaml', () => {
  it('is accepted by the compose client and has the three-role layout on MariaDB, Redis and NATS', { skip: client ? false : 'no docker compose / docker-compose client on this machine' }, () => {
    const run = (...args: string[]) => spawnSync(client![0]!, [...client!.slice(1), '-f', 'compose.yaml', 'config', ...args], { cwd: ROOT, encoding: 'utf8' });
    const full = run();
    assert.equal(full.status, 0, full.stderr);
    const services = run('--services');
    assert.equal(services.status, 0, services.stderr);
    assert.deepEqual(services.stdout.trim().split('\n').sort(), [
      'api', 'dispatch-1', 'dispatch-2', 'link-1', 'link-2', 'mariadb-primary', 'mariadb-replica', 'nats', 'redis',
    ]);
    const out = full.stdout;
    for (const role of ['api', 'dispatch', 'link']) assert.match(out, new RegExp(`command: start --role ${role}`));
    // Every Parley process gets the shared engines (the composed file repeats them per service).
    assert.equal(out.match(/PARLEY_TRANSPORT: tcp/g)?.length, 5);
    assert.equal(out.match(/PARLEY_REGISTRY: redis/g)?.length, 5);
    assert.equal(out.match(/PARLEY_MYSQL_REPLICA: mysql:\/\/parley:parley@mariadb-replica/g)?.length, 5);
    // Links get the keys volume read-only: they verify tokens with the public key set only.
    // (short syntax `keys:/keys:ro` in docker-compose 1.x, `read_only: true` in the long form of the compose plugin)
    assert.equal((out.match(/keys:\/keys:ro|read_only: true/g) ?? []).length, 2, out);
  });
});
