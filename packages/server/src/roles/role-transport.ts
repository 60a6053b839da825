import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Options } from '../config/options.js';
import type { Registry, ServiceMember } from '../registry/registry.js';
import type { DispatchSide, LinkSide } from '../transport/transport.js';
import { TcpLinkSide, type DispatcherAddress } from '../transport/tcp-link-side.js';
import { TcpDispatchSide } from '../transport/tcp-dispatch-side.js';
import { NatsLinkSide } from '../transport/nats-link-side.js';
import { NatsDispatchSide } from '../transport/nats-dispatch-side.js';
import { StartError } from '../startup/start-errors.js';

/**
 * The link ↔ dispatch transport of a separately started role, picked by
 * `--transport` (exhaustive). `tcp` is the cluster's transport (v2: direct
 * connections, the registry's addresses); `nats` is the seed's v1 (every
 * link ↔ dispatch message through NATS core, under `<nats_subject_prefix>.t.`),
 * kept to reproduce the seed's comparison (`npm run bench -- --cluster`).
 */
export type RoleLinkSide = LinkSide & { readyDispatchers(): string[] };

/** What a dispatcher or api holds, and the address to announce (empty when links need none). */
export interface RoleDispatchSide {
  side: DispatchSide;
  /** start receiving; resolves with host:port links dial, or '' */
  listen(): Promise<string>;
}

export async function roleLinkSide(o: Options, a: { id: string; bootId: string; registry: Registry; onError: (err: unknown) => void }): Promise<RoleLinkSide> {
  switch (o.transport) {
    case 'tcp':
      return new TcpLinkSide({ linkId: a.id, bootId: a.bootId, watchDispatchers: (h) => watchPushers(a.registry, h), onError: a.onError });
    case 'nats':
      return new NatsLinkSide({ nc: await connectNats(o), prefix: o.nats_subject_prefix, linkId: a.id, bootId: a.bootId, ownsConnection: true, onError: a.onError });
    case 'inproc':
      throw new Error('transport=inproc is one process (role=all)');
  }
}

/** `sessions: false` for the api role: it only pushes. */
export async function roleDispatchSide(o: Options, a: { id: string; bootId: string; sessions: boolean; onError: (err: unknown) => void }): Promise<RoleDispatchSide> {
  switch (o.transport) {
    case 'tcp': {
      const side = new TcpDispatchSide({ dispatchId: a.id, bootId: a.bootId, host: o.dispatch_host, port: o.dispatch_port, onError: a.onError });
      return { side, listen: () => side.listen() };
    }
    case 'nats': {
      const side = new NatsDispatchSide({ nc: await connectNats(o), prefix: o.nats_subject_prefix, dispatchId: a.id, bootId: a.bootId, sessions: a.sessions, ownsConnection: true, onError: a.onError });
      return { side, listen: async () => (await side.ready(), '') };
    }
    case 'inproc':
      throw new Error('transport=inproc is one process (role=all)');
  }
}

/** The transport's own NATS connection (not the event bus's: a busy bus must not delay pushes). */
async function connectNats(o: Options): Promise<NatsConnection> {
  try {
    return await connect({ servers: o.nats_url, name: 'parley-transport' });
  } catch (err) {
    throw new StartError(`--transport nats: cannot reach NATS at --nats-url ${o.nats_url}: ${(err as Error).message}`);
  }
}

/** Dispatchers (take sessions) and api processes (push only), as one list for the link's TCP transport. */
function watchPushers(registry: Registry, handler: (list: DispatcherAddress[]) => void): () => void {
  let dispatchers: ServiceMember[] = [];
  let apis: ServiceMember[] = [];
  const emit = () => handler([
    ...dispatchers.filter((m) => m.address).map((m) => ({ id: m.id, boot_id: m.boot_id, address: m.address })),
    ...apis.filter((m) => m.address).map((m) => ({ id: m.id, boot_id: m.boot_id, address: m.address, sessions: false })),
  ]);
  const offD = registry.watch('dispatch', (list) => ((dispatchers = list), emit()));
  const offA = registry.watch('api', (list) => ((apis = list), emit()));
  return () => (offD(), offA());
}
