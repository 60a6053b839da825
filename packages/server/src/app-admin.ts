import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Options } from './config/options.js';
import { ConfigError } from './config/load-options.js';
import { closeBackends, createBackends } from './platform.js';
import { ControlPlane } from './control/control-plane.js';
import { AppService } from './services/app-service.js';
import { systemClock } from './services/clock.js';

const APP_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const USAGE = 'usage: parley app create <app_id> [name] [--json] [options] | parley app list [--json] [options]';

/**
 * `parley app create <app_id> [name]` and `parley app list`: the platform
 * operator's way to add a business line. Works on the configured store
 * directly, so it runs beside (or without) a running server. Its backends
 * come from the composition root like the server's: the same store, and the
 * same control plane (so running servers hear of a changed app). `list`
 * never creates a database: a SQLite data dir without one is reported, not
 * initialised.
 */
export async function appCommand(args: string[], options: Options, out: NodeJS.WritableStream, flags: { json?: boolean } = {}): Promise<void> {
  const [sub, id, ...nameParts] = args;
  if (sub !== 'create' && sub !== 'list') throw new ConfigError(USAGE);
  if (sub === 'create' && id === undefined) throw new ConfigError(`parley app create: give the app id (${USAGE})`);
  if (sub === 'create' && !APP_ID.test(id!)) {
    throw new ConfigError(`app id ${JSON.stringify(id)} is not valid: use 1 to 64 characters, each a letter, digit, "_", "." or "-"`);
  }
  if (options.store === 'sqlite') {
    const dataDir = resolve(options.data_dir);
    const path = options.sqlite_path ? resolve(options.sqlite_path) : join(dataDir, 'parley.db');
    if (sub === 'list' && !existsSync(path)) {
      throw new ConfigError(`no Parley data in ${dataDir} (${path} does not exist); start the server once, or pass the right --data-dir`);
    }
  }
  const backends = await createBackends(options);
  const { store } = backends;
  const plane = new ControlPlane(backends.control);
  try {
    const apps = new AppService(store, systemClock, plane);
    if (sub === 'create') {
      if (await store.getApp(id!)) throw new ConfigError(`app ${id} already exists`);
      const { app, api_key } = await apps.create(id!, nameParts.join(' ') || id!);
      out.write(flags.json
        ? JSON.stringify({ app_id: app.app_id, name: app.name, api_key, settings: app.settings, created_at: app.created_at }) + '\n'
        : `created app ${app.app_id}\nAPI key: ${api_key}\n(shown once; only its hash is stored)\n` +
          'password registration is off for this app; turn it on with PATCH /v1/admin/settings {"allow_registration":true}\n');
    } else {
      const list = await apps.list();
      if (flags.json) out.write(JSON.stringify(list.map((a) => ({ app_id: a.app_id, name: a.name, settings: a.settings, created_at: a.created_at }))) + '\n');
      else for (const a of list) out.write(`${a.app_id}\t${a.name}\t${JSON.stringify(a.settings)}\n`);
    }
  } finally {
    plane.close();
    await closeBackends(backends);
  }
}
