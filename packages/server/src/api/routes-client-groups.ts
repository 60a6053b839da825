import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id } from '@parley/protocol';
import { userOf } from './auth.js';
import { registerSharedGroupRoutes } from './group-routes.js';
import type { RouteDeps } from './route-deps.js';
import { Avatar, GroupInfo, GroupParams, Name, clientRoute, responses } from './schemas.js';

const CreateGroup = Type.Object({
  name: Name,
  members: Type.Array(Id, { maxItems: 2000, description: 'besides me (I become the owner)' }),
  notice: Type.Optional(Type.String({ maxLength: 2000 })),
  avatar: Type.Optional(Avatar),
}, { additionalProperties: false });
const Left = Type.Object({ group_id: Type.String(), left: Type.Literal(true) });

/** Groups as a member sees them: every change is checked against my role. */
export async function clientGroupRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.user);

  app.post<{ Body: Static<typeof CreateGroup> }>('/groups', {
    schema: clientRoute({ summary: 'Create a group (I am the owner)', body: CreateGroup, response: responses(201, GroupInfo) }),
  }, async (req, reply) => {
    const me = userOf(req);
    return reply.code(201).send(await core.groups.create(me.app_id, { user: me.user_id }, req.body));
  });

  app.post<{ Params: Static<typeof GroupParams> }>('/groups/:group_id/leave', {
    schema: clientRoute({ summary: 'Leave a group', params: GroupParams, response: responses(200, Left) }),
  }, async (req) => {
    const me = userOf(req);
    await core.groups.leave(me.app_id, req.params.group_id, me.user_id);
    return { group_id: req.params.group_id, left: true as const };
  });

  registerSharedGroupRoutes(app, core, {
    schema: (s) => clientRoute(s),
    appId: (req) => userOf(req).app_id,
    actor: (req) => ({ user: userOf(req).user_id }),
    viewer: (req) => userOf(req).user_id,
  });
}
