import { createHash, randomBytes } from 'node:crypto';
import { ParleyError } from '@parley/protocol';
import { LoadingCache } from '../cache/loading-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { AppRow, AppSettings, Store } from '../store/store.js';
import type { Clock } from './clock.js';

/** Settings of a new app. Password registration is off (safe default): an app switch turns it on; the quick-start default app turns it on itself. */
export const DEFAULT_APP_SETTINGS: AppSettings = {
  allow_registration: false,
  require_friendship: false,
  read_receipts: true,
  recall_window_sec: 120,
  max_group_members: 2000,
  login_policy: 'one_per_platform',
};

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Apps (business lines): creation with a one-time API key, lookup by key,
 * settings. Apps are read on every request, so they are cached (bounded);
 * a settings change drops the row in every process (`app.changed` on the
 * control plane), which reload it from the store on next use. Until a
 * peer's copy of the message arrives it may answer with the old settings.
 */
export class AppService {
  private readonly byId: LoadingCache<string, AppRow>;
  private readonly byKeyHash: LoadingCache<string, AppRow>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly control: ControlPlane,
    opts: { maxEntries?: number } = {},
  ) {
    this.byId = new LoadingCache(opts.maxEntries ?? 10_000);
    this.byKeyHash = new LoadingCache(opts.maxEntries ?? 10_000);
    control.on('app.changed', (m) => {
      this.byId.invalidate(m.app_id);
      this.byKeyHash.invalidate(m.api_key_hash);
    });
    control.onReset(() => {
      this.byId.clear();
      this.byKeyHash.clear();
    });
  }

  async create(appId: string, name: string, settings: Partial<AppSettings> = {}): Promise<{ app: AppRow; api_key: string }> {
    const api_key = `pk_${randomBytes(24).toString('base64url')}`;
    const app: AppRow = {
      app_id: appId, name, api_key_hash: hashApiKey(api_key),
      webhook_secret: randomBytes(24).toString('base64url'),
      settings: { ...DEFAULT_APP_SETTINGS, ...settings }, created_at: this.clock(),
    };
    await this.store.createApp(app);
    this.remember(app);
    return { app, api_key };
  }

  async get(appId: string): Promise<AppRow> {
    const app = await this.byId.get(appId, async () => (await this.store.getApp(appId)) ?? undefined);
    if (!app) throw new ParleyError('not_found', `app ${appId} not found`);
    return app;
  }

  async authenticate(apiKey: string | undefined): Promise<AppRow> {
    if (!apiKey) throw new ParleyError('api_key_invalid');
    const h = hashApiKey(apiKey);
    const app = await this.byKeyHash.get(h, async () => (await this.store.getAppByKeyHash(h)) ?? undefined);
    if (!app) throw new ParleyError('api_key_invalid');
    return app;
  }

  async list(): Promise<AppRow[]> {
    return this.store.listApps();
  }

  async updateSettings(appId: string, patch: Partial<AppSettings>): Promise<AppSettings> {
    const app = await this.get(appId);
    const settings = { ...app.settings, ...patch };
    await this.store.updateAppSettings(appId, settings);
    // Dropped, not replaced: a row merged from a possibly stale copy must never be cached.
    this.control.publish({ type: 'app.changed', app_id: appId, api_key_hash: app.api_key_hash });
    return settings;
  }

  private remember(app: AppRow): void {
    this.byId.set(app.app_id, app);
    this.byKeyHash.set(app.api_key_hash, app);
  }
}
