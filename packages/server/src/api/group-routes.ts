import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { groupConvId, ParleyError } from '@parley/protocol';
import type { Core } from '../core.js';
import type { Actor } from '../services/group-chat.js';
import {
  GroupInfo, GroupMembers, GroupParams, GroupPatch, GroupUserParams, MuteBody, RoleBody, UserIdsBody, responses,
} from './schemas.js';

/**
 * The group routes the business backend and clients share. They differ only
 * in who acts (the app itself, with every permission, or the calling user,
 * whose role GroupChatService checks) and in who may look: a client sees
 * groups it belongs to, the backend sees every group of its app.
 */
export interface GroupSide {
  schema<T extends object>(s: T): T;
  appId(req: FastifyRequest): string;
  actor(req: FastifyRequest): Actor;
  /** the user whose membership gates reading, or undefined for the backend */
  viewer(req: FastifyRequest): string | undefined;
}

type P = Static<typeof GroupParams>;
type PU = Static<typeof GroupUserParams>;

export function registerSharedGroupRoutes(app: FastifyInstance, core: Core, side: GroupSide): void {
  const { groups } = core;

  app.get<{ Params: P }>('/groups/:group_id', {
    schema: side.schema({ summary: 'Get a group', params: GroupParams, response: responses(200, GroupInfo) }),
  }, async (req) => {
    const appId = side.appId(req);
    const viewer = side.viewer(req);
    const info = await groups.info(appId, req.params.group_id);
    if (viewer !== undefined && !(await core.membership.member(appId, groupConvId(req.params.group_id), viewer))) {
      throw new ParleyError('not_member', 'you are not a member of this group');
    }
    return info;
  });

  app.get<{ Params: P }>('/groups/:group_id/members', {
    schema: side.schema({ summary: 'List the members of a group', params: GroupParams, response: responses(200, GroupMembers) }),
  }, async (req) => ({ members: await groups.members(side.appId(req), req.params.group_id, side.viewer(req)) }));

  app.post<{ Params: P; Body: Static<typeof UserIdsBody> }>('/groups/:group_id/members', {
    schema: side.schema({ summary: 'Add members', params: GroupParams, body: UserIdsBody, response: responses(200, GroupInfo) }),
  }, async (req) => groups.addMembers(side.appId(req), side.actor(req), req.params.group_id, req.body.user_ids));

  app.delete<{ Params: PU }>('/groups/:group_id/members/:user_id', {
    schema: side.schema({ summary: 'Remove a member', params: GroupUserParams, response: responses(200, GroupInfo) }),
  }, async (req) => {
    const appId = side.appId(req);
    await groups.removeMember(appId, side.actor(req), req.params.group_id, req.params.user_id);
    return groups.info(appId, req.params.group_id);
  });

  app.patch<{ Params: P; Body: Static<typeof GroupPatch> }>('/groups/:group_id', {
    schema: side.schema({ summary: 'Rename, set the notice or avatar', params: GroupParams, body: GroupPatch, response: responses(200, GroupInfo) }),
  }, async (req) => groups.update(side.appId(req), side.actor(req), req.params.group_id, req.body));

  app.delete<{ Params: P }>('/groups/:group_id', {
    schema: side.schema({ summary: 'Dismiss a group', params: GroupParams, response: responses(200, GroupInfo) }),
  }, async (req) => {
    const appId = side.appId(req);
    await groups.dismiss(appId, side.actor(req), req.params.group_id);
    return groups.info(appId, req.params.group_id);
  });

  app.post<{ Params: P; Body: Static<typeof MuteBody> }>('/groups/:group_id/mute', {
    schema: side.schema({
      summary: 'Mute a member until a time, or the whole group',
      description: 'Give `user_id` with `until` (ms epoch, 0 lifts the mute), and/or `all` (true mutes every ordinary member).',
      params: GroupParams, body: MuteBody, response: responses(200, GroupInfo),
    }),
  }, async (req) => {
    const appId = side.appId(req);
    const { user_id, until, all } = req.body;
    if (user_id === undefined && all === undefined) throw new ParleyError('invalid_field', 'body: give user_id with until, or all');
    if (user_id !== undefined && until === undefined) throw new ParleyError('invalid_field', 'body/until: required with user_id (0 lifts the mute)');
    if (user_id !== undefined) await groups.muteMember(appId, side.actor(req), req.params.group_id, user_id, until!);
    if (all !== undefined) await groups.muteAll(appId, side.actor(req), req.params.group_id, all);
    return groups.info(appId, req.params.group_id);
  });

  app.put<{ Params: PU; Body: Static<typeof RoleBody> }>('/groups/:group_id/members/:user_id/role', {
    schema: side.schema({
      summary: "Set a member's role",
      description: 'Only the owner (or the backend) may; `owner` transfers ownership and the old owner becomes an admin.',
      params: GroupUserParams, body: RoleBody, response: responses(200, GroupInfo),
    }),
  }, async (req) => {
    const appId = side.appId(req);
    await groups.setRole(appId, side.actor(req), req.params.group_id, req.params.user_id, req.body.role);
    return groups.info(appId, req.params.group_id);
  });
}
