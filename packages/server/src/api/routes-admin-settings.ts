import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { appOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { AppSettings, adminRoute, responses } from './schemas.js';

const SettingsPatch = Type.Partial(AppSettings, { additionalProperties: false });
const WebhookInfo = Type.Object({ webhook_url: Type.Union([Type.String(), Type.Null()]), webhook_secret: Type.String() });

/** Business backend: its app's feature switches (registration, receipts, recall window, ...). */
export async function adminSettingsRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.apiKey);

  app.get('/settings', {
    schema: adminRoute({ summary: "Get the app's settings", response: responses(200, AppSettings) }),
  }, async (req) => (await core.apps.get(appOf(req).app_id)).settings);

  app.get('/webhook', {
    schema: adminRoute({
      summary: 'Webhook endpoint and signing secret',
      description: 'Events are POSTed to `webhook_url` with header `parley-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`.',
      response: responses(200, WebhookInfo),
    }),
  }, async (req) => {
    const a = await core.apps.get(appOf(req).app_id);
    return { webhook_url: a.settings.webhook_url ?? null, webhook_secret: a.webhook_secret };
  });

  app.patch<{ Body: Static<typeof SettingsPatch> }>('/settings', {
    schema: adminRoute({ summary: "Change some of the app's settings", body: SettingsPatch, response: responses(200, AppSettings) }),
  }, async (req) => core.apps.updateSettings(appOf(req).app_id, req.body));
}
