import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { userOf } from './auth.js';
import { relationsOf, type RouteDeps } from './route-deps.js';
import { Blocked, Friends, UserIdBody, UserIdParams, clientRoute, responses } from './schemas.js';

type UP = Static<typeof UserIdParams>;
type UB = Static<typeof UserIdBody>;

/** My friends (mutual) and my block list (a blocked user's single-chat sends to me fail with `blocked`). */
export async function clientRelationRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.user);
  const rel = relationsOf(core);

  app.get('/friends', {
    schema: clientRoute({ summary: 'My friends', response: responses(200, Friends) }),
  }, async (req) => rel.friends(userOf(req).app_id, userOf(req).user_id));

  app.post<{ Body: UB }>('/friends', {
    schema: clientRoute({ summary: 'Add a friend', body: UserIdBody, response: responses(200, Friends) }),
  }, async (req) => rel.addFriend(userOf(req).app_id, userOf(req).user_id, req.body.user_id));

  app.delete<{ Params: UP }>('/friends/:user_id', {
    schema: clientRoute({ summary: 'Remove a friend', params: UserIdParams, response: responses(200, Friends) }),
  }, async (req) => rel.removeFriend(userOf(req).app_id, userOf(req).user_id, req.params.user_id));

  app.get('/blocks', {
    schema: clientRoute({ summary: 'Users I block', response: responses(200, Blocked) }),
  }, async (req) => rel.blocked(userOf(req).app_id, userOf(req).user_id));

  app.post<{ Body: UB }>('/blocks', {
    schema: clientRoute({ summary: 'Block a user', body: UserIdBody, response: responses(200, Blocked) }),
  }, async (req) => rel.block(userOf(req).app_id, userOf(req).user_id, req.body.user_id));

  app.delete<{ Params: UP }>('/blocks/:user_id', {
    schema: clientRoute({ summary: 'Unblock a user', params: UserIdParams, response: responses(200, Blocked) }),
  }, async (req) => rel.unblock(userOf(req).app_id, userOf(req).user_id, req.params.user_id));
}
