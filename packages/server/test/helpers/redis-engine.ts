import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from './child-server.js';
import { Redis, type RedisOptions } from 'ioredis';

/** The machine's shared Redis (CI and development); tests use a random prefix on it and delete only their keys. */
export const SHARED_REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const randomPrefix = (what: string): string => `parley-test:${what}:${randomBytes(5).toString('hex')}:`;

export function connectRedis(url = SHARED_REDIS_URL, options: RedisOptions = {}): Redis {
  // Tests fail fast instead of queueing commands forever when a server is gone.
  return new Redis(url, { maxRetriesPerRequest: 2, ...options });
}

/** Delete every key under `prefix` (SCAN, never FLUSHALL: the server is shared). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let round = 0; round < 100_000; round++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}

/**
 * A private redis-server on a free port (no persistence), for tests that
 * FLUSHALL, kill or restart an engine. `stop` kills it; `start` brings it
 * back on the same port (empty, as after a failover to a fresh replica).
 */
export class OwnRedisServer {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedisServer> {
    const s = new OwnRedisServer(await freePort());
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    const end = Date.now() + 20_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {}); // a refused probe before the server listens is expected: connect() rejects with it
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > end) throw new Error(`redis-server on port ${this.port} did not start`);
        if (child.exitCode !== null) throw new Error(`redis-server on port ${this.port} exited with ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        probe.disconnect();
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
