import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './child-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';

/**
 * A private nats-server with JetStream on a free port and its own store
 * directory, for tests that kill and restart NATS. The store survives
 * `stop`/`start` (as a restarted server's disk does); `destroy` deletes it.
 */
export class OwnNatsServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'parley-nats-'));
  private constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnNatsServer> {
    const s = new OwnNatsServer(await freePort());
    await s.start();
    return s;
  }

  async start(): Promise<void> {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], { stdio: 'ignore' });
    this.child = child;
    const end = Date.now() + 20_000;
    for (;;) {
      try {
        const nc = await connect({ servers: this.url, reconnect: false, timeout: 1000 });
        await nc.close();
        return;
      } catch {
        if (Date.now() > end) throw new Error(`nats-server on port ${this.port} did not start`);
        if (child.exitCode !== null) throw new Error(`nats-server on port ${this.port} exited with ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 50));
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

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
