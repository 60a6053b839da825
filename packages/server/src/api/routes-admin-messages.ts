import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id } from '@parley/protocol';
import { appOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { Cmid, SendAck, SendFields, adminRoute, described, responses } from './schemas.js';

const AdminSend = Type.Object({
  from: described(Id, 'the sending user (a system or service account of the business line, or any user)'),
  ...SendFields,
  cmid: Type.Optional(described(Cmid, 'idempotency key per sender; generated when absent (then a retry may duplicate)')),
}, { additionalProperties: false });

const Notify = Type.Object({
  user_ids: Type.Array(Id, { minItems: 1, maxItems: 1000 }),
  text: Type.String({ minLength: 1, maxLength: 10000 }),
  data: Type.Optional(described(Type.Unknown(), 'any JSON the business line wants the client to have')),
}, { additionalProperties: false });
const Notified = Type.Object({ delivered: Type.Array(Type.Object({ user_id: Type.String(), conv_id: Type.String(), seq: Type.Integer() })) });

/**
 * Business push: a message sent on behalf of a user of the app, through the
 * very path a WebSocket send takes (checks, seq, group commit, push, events).
 * Answers after the commit, like every ack.
 */
export async function adminMessageRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.apiKey);

  app.post<{ Body: Static<typeof AdminSend> }>('/messages', {
    schema: adminRoute({ summary: 'Send a message as a user', body: AdminSend, response: responses(200, SendAck) }),
  }, async (req) => {
    const appId = appOf(req).app_id;
    const { from, cmid, ...msg } = req.body;
    // The pipeline checks the recipient; the sender is trusted on the WebSocket path (token) but not here.
    await core.users.get(appId, from);
    return core.pipeline.send({ app_id: appId, sender: from, cmid: cmid ?? `api-${randomUUID()}`, ...msg });
  });

  app.post<{ Body: Static<typeof Notify> }>('/notifications', {
    schema: adminRoute({
      summary: 'Push a system notification to users',
      description: "Writes a `notice` (`kind: system`) into each user's notification conversation `n:<user_id>`: stored, unread, pushed to every device.",
      body: Notify, response: responses(200, Notified),
    }),
  }, async (req) => ({ delivered: await core.notifications.notify(appOf(req).app_id, req.body.user_ids, req.body.text, req.body.data) }));
}
