import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Seq, type ReplyData } from '@parley/protocol';
import type { SessionInfo } from '../transport/transport.js';
import { userOf } from './auth.js';
import type { RouteDeps } from './route-deps.js';
import {
  ConvList, ConvParams, ConvSeqParams, ConvSettings, History, ReadResult, Receipts, SendAck, clientRoute, responses,
} from './schemas.js';

const ListQuery = Type.Object({ include_hidden: Type.Optional(Type.Boolean({ default: false })) });
const HistoryQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 0, description: 'newest first, strictly below this seq' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'oldest first, strictly above this seq (gap fill); wins over before' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
const ReadBody = Type.Object({ seq: Seq }, { additionalProperties: false });
const ReceiptsQuery = Type.Object({ seq: Seq });
const ConvPatch = Type.Object({
  pinned: Type.Optional(Type.Boolean()), muted: Type.Optional(Type.Boolean({ description: 'do not disturb: not counted in total_unread' })),
  hidden: Type.Optional(Type.Boolean({ description: 'hidden from the list until something new arrives' })),
}, { additionalProperties: false });
const Deleted = Type.Object({ conv_id: Type.String(), seq: Type.Integer() });

type CP = Static<typeof ConvParams>;
type CSP = Static<typeof ConvSeqParams>;

/**
 * An HTTP request has no connection, but the client ops that push side
 * effects (read positions, settings sync) take a session: this one names no
 * real connection, so every device of the user hears of the change.
 */
function httpSession(req: FastifyRequest): SessionInfo {
  const me = userOf(req);
  return {
    app_id: me.app_id, user_id: me.user_id, conn_id: `http:${req.id}`, link_id: 'http', platform: 'web',
    token_iat: me.iat_ms, connected_at: Date.now(),
  };
}

/** The caller's conversations: list, history, read state, receipts, settings, recall, delete-for-me. */
export async function clientConversationRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.user);
  const { box, ops } = core;

  app.get<{ Querystring: Static<typeof ListQuery> }>('/conversations', {
    schema: clientRoute({ summary: 'My conversation list with unread counts', querystring: ListQuery, response: responses(200, ConvList) }),
  }, async (req) => {
    const me = userOf(req);
    return box.conversations(me.app_id, me.user_id, { includeHidden: req.query.include_hidden === true });
  });

  app.get<{ Params: CP; Querystring: Static<typeof HistoryQuery> }>('/conversations/:conv_id/messages', {
    schema: clientRoute({ summary: 'Message history', params: ConvParams, querystring: HistoryQuery, response: responses(200, History) }),
  }, async (req, reply) => {
    const me = userOf(req);
    // Already JSON (stored content spliced in, the serializer's own field order): sent as is, past the serializer.
    const json = await box.historyJson(me.app_id, me.user_id, req.params.conv_id, req.query);
    return reply.type('application/json; charset=utf-8').send(json);
  });

  app.post<{ Params: CP; Body: Static<typeof ReadBody> }>('/conversations/:conv_id/read', {
    schema: clientRoute({ summary: 'Mark read up to a seq', params: ConvParams, body: ReadBody, response: responses(200, ReadResult) }),
  }, async (req) => {
    const r = await ops.handle(httpSession(req), { op: 'read', id: 0, conv_id: req.params.conv_id, seq: req.body.seq });
    return r as ReplyData['read'];
  });

  app.get<{ Params: CP; Querystring: Static<typeof ReceiptsQuery> }>('/conversations/:conv_id/receipts', {
    schema: clientRoute({ summary: 'Who has read a message', params: ConvParams, querystring: ReceiptsQuery, response: responses(200, Receipts) }),
  }, async (req) => {
    const me = userOf(req);
    return box.receipts(me.app_id, me.user_id, req.params.conv_id, req.query.seq);
  });

  app.patch<{ Params: CP; Body: Static<typeof ConvPatch> }>('/conversations/:conv_id', {
    schema: clientRoute({ summary: 'Pin, mute or hide a conversation', params: ConvParams, body: ConvPatch, response: responses(200, ConvSettings) }),
  }, async (req) => {
    const r = await ops.handle(httpSession(req), { op: 'conv_set', id: 0, conv_id: req.params.conv_id, ...req.body });
    return r as ReplyData['conv_set'];
  });

  app.post<{ Params: CSP }>('/conversations/:conv_id/messages/:seq/recall', {
    schema: clientRoute({
      summary: 'Recall a message',
      description: "Within the app's recall window for your own messages; group owners and admins may recall anyone's. Answers with the ack of the recall notice.",
      params: ConvSeqParams, response: responses(200, SendAck),
    }),
  }, async (req) => {
    const r = await ops.handle(httpSession(req), { op: 'recall', id: 0, conv_id: req.params.conv_id, seq: req.params.seq });
    return r as ReplyData['recall'];
  });

  app.delete<{ Params: CSP }>('/conversations/:conv_id/messages/:seq', {
    schema: clientRoute({ summary: 'Delete a message for me only', params: ConvSeqParams, response: responses(200, Deleted) }),
  }, async (req) => {
    const me = userOf(req);
    return box.deleteForMe(me.app_id, me.user_id, req.params.conv_id, req.params.seq);
  });
}
