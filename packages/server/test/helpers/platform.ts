import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type RunningPlatform } from '../../src/platform.js';
import type { Options } from '../../src/config/options.js';
import { cleanupTestEngines, prepareTestEngines, testOptions } from './backends.js';

export interface TestPlatform extends RunningPlatform {
  apiKey: string;
  appId: string;
  dataDir: string;
  /** stop and delete the data directory */
  destroy(): Promise<void>;
  /** call the admin API with the default app's key */
  admin<T = any>(method: string, url: string, body?: unknown): Promise<T>;
  /** create users (name = id) and return a token per user */
  users(...ids: string[]): Promise<Record<string, string>>;
}

/** A whole platform in this process, on a fresh data dir and free ports, on the test run's backends (helpers/backends.ts). */
export async function startTestPlatform(overrides: Partial<Options> = {}, dataDir?: string): Promise<TestPlatform> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const options = testOptions({ data_dir: dir, http_port: 0, tcp_port: 0, log_level: 'warn', api_rate_per_sec: 100000, ...overrides });
  await prepareTestEngines(options);
  const p = await startPlatform(options, { quiet: true });
  // Stopping also deletes what this start left in a shared engine (its own Redis prefix).
  const stopPlatform = p.stop.bind(p);
  p.stop = async () => {
    await stopPlatform();
    // A restart test starts again on the same data dir: its MySQL database stays (scripts/run-tests.mjs drops them all after the run).
    await cleanupTestEngines(options, { keepDatabase: true });
  };
  // A reused data dir (restart tests) keeps the credentials written on its first start.
  const creds = p.defaultApp ?? JSON.parse(readFileSync(join(dir, 'default-app.json'), 'utf8'));
  const apiKey: string = creds.api_key;
  const admin = async (method: string, url: string, body?: unknown) => {
    const res = await p.api.inject({ method: method as any, url, headers: { authorization: `Bearer ${apiKey}` }, payload: body as any });
    const json = res.body ? JSON.parse(res.body) : undefined;
    if (res.statusCode >= 400) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
    return json;
  };
  return Object.assign(p, {
    apiKey, appId: creds.app_id as string, dataDir: dir, admin,
    async users(...ids: string[]) {
      const out: Record<string, string> = {};
      for (const id of ids) {
        await admin('POST', '/v1/admin/users', { user_id: id, name: id });
        out[id] = (await admin('POST', `/v1/admin/users/${id}/tokens`, {})).token;
      }
      return out;
    },
    async destroy() {
      await p.stop();
      if (dataDir) return; // the caller's data dir (restart tests): its data stays
      rmSync(dir, { recursive: true, force: true });
      await cleanupTestEngines(options); // its data dir is gone, so its MySQL database goes too
    },
  });
}
