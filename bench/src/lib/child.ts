import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Children (load generators, ceiling servers) are TypeScript run through tsx,
 * exactly as the root `bench` script runs the CLI. The flags are explicit
 * rather than inherited, because under `node --test` the parent's execArgv
 * carries test-runner flags a child must not get.
 */
export const TS_EXEC_ARGV = ['--conditions=development', '--import', 'tsx'];

/** Path of a script in bench/src, from a path relative to this folder (lib/). */
export function benchScript(rel: string): string {
  return fileURLToPath(new URL(`../${rel}`, import.meta.url));
}

export interface ChildMsg { type: string; [k: string]: unknown }

/** A forked child speaking {type, ...} messages over IPC. */
export class Child {
  readonly proc: ChildProcess;
  private readonly listeners = new Set<(m: ChildMsg) => void>();
  private exitCode: number | null | undefined = undefined;
  private readonly exited: Promise<void>;

  constructor(readonly script: string, args: string[] = [], execArgv: string[] = []) {
    this.proc = fork(benchScript(script), args, { execArgv: [...TS_EXEC_ARGV, ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m) => {
      for (const l of [...this.listeners]) l(m as ChildMsg);
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => {
      this.exitCode = code;
      for (const l of [...this.listeners]) l({ type: '__exit', code });
      resolve();
    }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(msg: ChildMsg): void {
    if (this.exitCode === undefined) this.proc.send(msg);
  }

  on(type: string, fn: (m: ChildMsg) => void): () => void {
    const l = (m: ChildMsg) => { if (m.type === type) fn(m); };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The next message of `type`; rejects on a child `error` message, exit or timeout. */
  waitFor<T = ChildMsg>(type: string, timeoutMs: number): Promise<T & ChildMsg> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.script}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const l = (m: ChildMsg) => {
        if (m.type === type) done(null, m);
        else if (m.type === 'error') done(new Error(`${this.script}: ${String(m.message)}`));
        else if (m.type === '__exit') done(new Error(`${this.script} exited (code ${String(m.code)}) before "${type}"`));
      };
      const done = (err: Error | null, m?: ChildMsg) => {
        clearTimeout(timer);
        this.listeners.delete(l);
        if (err) reject(err);
        else resolve(m as T & ChildMsg);
      };
      if (this.exitCode !== undefined) return done(new Error(`${this.script} already exited`));
      this.listeners.add(l);
    });
  }

  /** Ask politely, then kill: every child is bounded in time. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.send({ type: 'stop' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Child side: handle parent messages; report crashes as `error` so waitFor fails fast. */
export function childMain(onMessage: (m: ChildMsg) => void | Promise<void>): void {
  const fail = (err: unknown) => {
    process.send?.({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
    setTimeout(() => process.exit(1), 100);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m) => {
    const msg = m as ChildMsg;
    if (msg.type === 'stop') {
      process.exit(0);
    }
    if (msg.type === 'runtime') {
      // every child answers with its event loop's cumulative idle and active time, for the row's ELU
      const elu = performance.eventLoopUtilization();
      reply({ type: 'runtime', idle_ms: elu.idle, active_ms: elu.active });
      return;
    }
    Promise.resolve(onMessage(msg)).catch(fail);
  });
}

export function reply(msg: ChildMsg): void {
  process.send?.(msg);
}

/** Run `fn` over items with at most `n` in flight. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}
