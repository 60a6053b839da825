import type { Options } from './config/options.js';
import { ConfigError } from './config/load-options.js';
import { closeBackends, createBackends } from './platform.js';
import { ControlPlane } from './control/control-plane.js';
import { AppService } from './services/app-service.js';
import { systemClock } from './services/clock.js';

/**
 * `parley app create <app_id> [name]` and `parley app list`: the platform
 * operator's way to add a business line. Works on the configured store
 * directly, so it runs beside (or without) a running server. Its backends
 * come from the composition root like the server's: the same store, and the
 * same control plane (so running servers hear of a changed app).
 */
export async function appCommand(args: string[], options: Options, out: NodeJS.WritableStream): Promise<void> {
  const backends = await createBackends(options);
  const { store } = backends;
  const plane = new ControlPlane(backends.control);
  try {
    const apps = new AppService(store, systemClock, plane);
    const [sub, id, ...nameParts] = args;
    if (sub === 'create' && id && /^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
      if (await store.getApp(id)) throw new ConfigError(`app ${id} already exists`);
      const { app, api_key } = await apps.create(id, nameParts.join(' ') || id);
      out.write(`created app ${app.app_id}\nAPI key: ${api_key}\n(shown once; only its hash is stored)\n`);
    } else if (sub === 'list') {
      for (const a of await apps.list()) out.write(`${a.app_id}\t${a.name}\t${JSON.stringify(a.settings)}\n`);
    } else {
      throw new ConfigError('usage: parley app create <app_id> [name] [options] | parley app list [options]');
    }
  } finally {
    plane.close();
    await closeBackends(backends);
  }
}
