import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id } from '@parley/protocol';
import { toProfile } from '../services/user-service.js';
import { appOf } from './auth.js';
import { relationsOf, type RouteDeps } from './route-deps.js';
import {
  Avatar, Blocked, Friends, Meta, Name, Password, TokenResult, UserIdBody, UserIdParams, UserProfile, adminRoute, responses,
} from './schemas.js';

const CreateUser = Type.Object({
  user_id: Id, name: Type.Optional(Name), avatar: Type.Optional(Avatar), meta: Type.Optional(Meta),
  password: Type.Optional(Type.String({ minLength: 6, maxLength: 128, description: 'lets the user log in with POST /v1/auth/login' })),
}, { additionalProperties: false });
const PatchUser = Type.Object({
  name: Type.Optional(Name), avatar: Type.Optional(Avatar), meta: Type.Optional(Meta), password: Type.Optional(Password),
}, { additionalProperties: false });
const TokenBody = Type.Object({
  ttl_sec: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000, description: 'default: the platform token_ttl_sec' })),
}, { additionalProperties: false });
const PairParams = Type.Object({ user_id: Id, other_id: Id });

type UserParams = Static<typeof UserIdParams>;
type Pair = Static<typeof PairParams>;

/** Business backend: users of its app, their tokens, kicks, friends and blocks. */
export async function adminUserRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.apiKey);
  const rel = relationsOf(core);
  // Relations of a user that does not exist are a 404, not an empty list (core.users.get throws not_found).
  const known = async (req: { params: UserParams & { other_id?: string } }, appId: string): Promise<string> => {
    await core.users.get(appId, req.params.user_id);
    if (req.params.other_id !== undefined) await core.users.get(appId, req.params.other_id);
    return appId;
  };

  app.post<{ Body: Static<typeof CreateUser> }>('/users', {
    schema: adminRoute({ summary: 'Create a user', body: CreateUser, response: responses(201, UserProfile) }),
  }, async (req, reply) => {
    const user = await core.users.create(appOf(req).app_id, req.body);
    return reply.code(201).send(toProfile(user));
  });

  app.get<{ Params: UserParams }>('/users/:user_id', {
    schema: adminRoute({ summary: 'Get a user', params: UserIdParams, response: responses(200, UserProfile) }),
  }, async (req) => toProfile(await core.users.get(appOf(req).app_id, req.params.user_id)));

  app.patch<{ Params: UserParams; Body: Static<typeof PatchUser> }>('/users/:user_id', {
    schema: adminRoute({ summary: 'Update a user', params: UserIdParams, body: PatchUser, response: responses(200, UserProfile) }),
  }, async (req) => toProfile(await core.users.update(appOf(req).app_id, req.params.user_id, req.body)));

  app.post<{ Params: UserParams; Body: Static<typeof TokenBody> }>('/users/:user_id/tokens', {
    schema: adminRoute({ summary: 'Issue a user token', params: UserIdParams, body: TokenBody, response: responses(200, TokenResult) }),
  }, async (req) => core.users.issueToken(appOf(req).app_id, req.params.user_id, req.body.ttl_sec));

  app.post<{ Params: UserParams }>('/users/:user_id/kick', {
    schema: adminRoute({
      summary: 'Revoke every token of a user and close their connections',
      params: UserIdParams, response: responses(200, Type.Object({ kicked: Type.Integer({ description: 'connections closed' }) })),
    }),
  }, async (req) => {
    const appId = appOf(req).app_id;
    const userId = req.params.user_id;
    await core.users.get(appId, userId);
    // Revoke first: a client reconnecting right after the kick must be refused.
    await core.users.revokeTokens(appId, userId);
    return { kicked: await core.ops.kickUser(appId, userId, 'admin') };
  });

  app.get<{ Params: UserParams }>('/users/:user_id/friends', {
    schema: adminRoute({ summary: "List a user's friends", params: UserIdParams, response: responses(200, Friends) }),
  }, async (req) => rel.friends(await known(req, appOf(req).app_id), req.params.user_id));

  app.post<{ Params: UserParams; Body: Static<typeof UserIdBody> }>('/users/:user_id/friends', {
    schema: adminRoute({ summary: 'Make two users friends (both ways)', params: UserIdParams, body: UserIdBody, response: responses(200, Friends) }),
  }, async (req) => rel.addFriend(await known(req, appOf(req).app_id), req.params.user_id, req.body.user_id));

  app.delete<{ Params: Pair }>('/users/:user_id/friends/:other_id', {
    schema: adminRoute({ summary: 'End a friendship (both ways)', params: PairParams, response: responses(200, Friends) }),
  }, async (req) => rel.removeFriend(await known(req, appOf(req).app_id), req.params.user_id, req.params.other_id));

  app.get<{ Params: UserParams }>('/users/:user_id/blocks', {
    schema: adminRoute({ summary: 'List the users a user blocks', params: UserIdParams, response: responses(200, Blocked) }),
  }, async (req) => rel.blocked(await known(req, appOf(req).app_id), req.params.user_id));

  app.post<{ Params: UserParams; Body: Static<typeof UserIdBody> }>('/users/:user_id/blocks', {
    schema: adminRoute({ summary: 'Block a user on behalf of a user', params: UserIdParams, body: UserIdBody, response: responses(200, Blocked) }),
  }, async (req) => rel.block(await known(req, appOf(req).app_id), req.params.user_id, req.body.user_id));

  app.delete<{ Params: Pair }>('/users/:user_id/blocks/:other_id', {
    schema: adminRoute({ summary: 'Unblock a user', params: PairParams, response: responses(200, Blocked) }),
  }, async (req) => rel.unblock(await known(req, appOf(req).app_id), req.params.user_id, req.params.other_id));
}
