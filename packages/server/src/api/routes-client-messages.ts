import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ConvId, Id, SendableType } from '@parley/protocol';
import { userOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import { Cmid, SearchResult, SendAck, SendFields, clientRoute, described, responses } from './schemas.js';

const ClientSend = Type.Object({
  cmid: described(Cmid, 'client message id, unique per sender: a resend with the same cmid returns the original ack'),
  ...SendFields,
}, { additionalProperties: false });
const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: 200, description: 'substring match over text, file names and link titles; Chinese included' }),
  conv_id: Type.Optional(ConvId),
  sender: Type.Optional(Id),
  type: Type.Optional(SendableType),
  since: Type.Optional(Type.Integer({ minimum: 0, description: 'ms epoch' })),
  until: Type.Optional(Type.Integer({ minimum: 0, description: 'ms epoch' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

/** Sending over HTTP (the same path as a WebSocket send) and searching my conversations. */
export async function clientMessageRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.user);

  app.post<{ Body: Static<typeof ClientSend> }>('/messages', {
    schema: clientRoute({
      summary: 'Send a message',
      description: 'Answers once the message is durably stored; every device of the sender and recipients gets it pushed.',
      body: ClientSend, response: responses(200, SendAck),
    }),
  }, async (req) => {
    const me = userOf(req);
    return core.pipeline.send({ app_id: me.app_id, sender: me.user_id, ...req.body });
  });

  app.get<{ Querystring: Static<typeof SearchQuery> }>('/search', {
    schema: clientRoute({ summary: 'Search messages in my conversations', querystring: SearchQuery, response: responses(200, SearchResult) }),
  }, async (req) => {
    const me = userOf(req);
    return core.box.search(me.app_id, me.user_id, req.query);
  });
}
