import { closeSync, openSync } from 'node:fs';

/**
 * Create the database file readable and writable by its owner only (0600),
 * before SQLite opens it. SQLite gives the -wal and -shm files it creates the
 * permissions of the database file, so all three stay private, like
 * default-app.json. An existing file keeps the mode the operator gave it.
 */
export function createPrivateFile(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
