import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { appOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { AppSettings, adminRoute, responses } from './schemas.js';

const SettingsPatch = Type.Partial(AppSettings, { additionalProperties: false });

/** Business backend: its app's feature switches (registration, receipts, recall window, ...). */
export async function adminSettingsRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.apiKey);

  app.get('/settings', {
    schema: adminRoute({ summary: "Get the app's settings", response: responses(200, AppSettings) }),
  }, async (req) => (await core.apps.get(appOf(req).app_id)).settings);

  app.patch<{ Body: Static<typeof SettingsPatch> }>('/settings', {
    schema: adminRoute({ summary: "Change some of the app's settings", body: SettingsPatch, response: responses(200, AppSettings) }),
  }, async (req) => core.apps.updateSettings(appOf(req).app_id, req.body));
}
