import { closeSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One server per data directory. The SQLite store and the in-memory seq
 * allocator of a process assume nobody else writes the same file: a second
 * server on it would run, and the first would then fail every send on seq
 * conflicts. So a start takes `<data_dir>/parley.lock` (created exclusively,
 * holding the pid) and keeps it for the life of the process.
 *
 * Limits: a lock left by a process that died (kill -9, power loss) is taken
 * over when that pid no longer runs; a reused pid makes a stale lock look
 * live (remove the file by hand). Local file systems only: a pid means
 * nothing on another host.
 */
export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`--data-dir ${dataDir} is in use by another Parley server (pid ${pid}); stop it or choose another --data-dir`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly file: string;
  /** give the directory up (idempotent); also done when the process exits */
  release(): void;
}

/** Directories this process holds: a second start in the same process is refused too. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Take the lock of `dataDir` (which must exist); throws DataDirLockedError when another live server holds it. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = join(dataDir, 'parley.lock');
  if (held.has(file)) throw new DataDirLockedError(dataDir, process.pid);
  // Two tries: the second after removing a lock whose owner is gone.
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const pid = readPid(file);
      if (pid !== undefined && alive(pid)) throw new DataDirLockedError(dataDir, pid);
      unlinkSync(file);
    }
  }
  held.add(file);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(file);
    process.off('exit', release);
    // Only our own lock: never remove one another process took over meanwhile.
    if (readPid(file) === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', release);
  return { file, release };
}

/**
 * Create the data directory (and missing parents). `undo` removes what this
 * call created, so a first start that fails after creating its database
 * (an engine unreachable) leaves nothing behind; an existing directory is never removed.
 */
export function makeDataDir(dir: string): { undo(): void } {
  const created = mkdirSync(dir, { recursive: true });
  return { undo: () => created !== undefined && rmSync(created, { recursive: true, force: true }) };
}
