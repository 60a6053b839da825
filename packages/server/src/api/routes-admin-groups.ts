import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id } from '@parley/protocol';
import { appOf } from './auth.js';
import { registerSharedGroupRoutes } from './group-routes.js';
import type { RouteDeps } from './route-deps.js';
import { Avatar, GroupInfo, Name, adminRoute, described, responses } from './schemas.js';

const CreateGroup = Type.Object({
  group_id: Type.Optional(described(Id, 'default: a random id')),
  name: Name,
  owner: Id,
  members: Type.Array(Id, { maxItems: 2000, description: 'besides the owner' }),
  notice: Type.Optional(Type.String({ maxLength: 2000 })),
  avatar: Type.Optional(Avatar),
}, { additionalProperties: false });

/** Business backend: every group of its app, acting as the app itself (all permissions). */
export async function adminGroupRoutes(app: FastifyInstance, { core, auth }: RouteDeps): Promise<void> {
  app.addHook('onRequest', auth.apiKey);

  app.post<{ Body: Static<typeof CreateGroup> }>('/groups', {
    schema: adminRoute({ summary: 'Create a group', body: CreateGroup, response: responses(201, GroupInfo) }),
  }, async (req, reply) => {
    const info = await core.groups.create(appOf(req).app_id, { system: true }, req.body);
    return reply.code(201).send(info);
  });

  registerSharedGroupRoutes(app, core, {
    schema: adminRoute,
    appId: (req) => appOf(req).app_id,
    actor: () => ({ system: true }),
    viewer: () => undefined,
  });
}
