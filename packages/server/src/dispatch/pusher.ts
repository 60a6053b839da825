import type { ConnRef, Location } from '../location/location.js';
import type { DispatchSide } from '../transport/transport.js';

/**
 * Writes server frames to client connections through the transport: one
 * downstream message per link, the payload encoded once and the list of
 * target connections beside it (never one message per recipient). Each
 * message names the link's boot id the targets were registered under, so the
 * transport drops pushes to an earlier life of a restarted link.
 */
export class Pusher {
  constructor(private readonly transport: DispatchSide, private readonly location: Location) {}

  /** Push to every device of the given users, except one connection (the sender's). */
  async toUsers(appId: string, userIds: readonly string[], payload: string, exceptConnId?: string): Promise<number> {
    const conns = await this.location.lookup(appId, userIds);
    return this.toConns(conns, payload, exceptConnId);
  }

  toConns(conns: readonly ConnRef[], payload: string, exceptConnId?: string): number {
    const byLink = new Map<string, { link_id: string; boot_id?: string; conn_ids: string[] }>();
    // a big group's connections mostly come in runs of one link: skip the key's string for a run
    let last: { link_id: string; boot_id?: string; conn_ids: string[] } | undefined;
    for (const c of conns) {
      if (c.conn_id === exceptConnId) continue;
      if (!last || last.link_id !== c.link_id || last.boot_id !== c.boot_id) {
        const key = `${c.link_id}\u0000${c.boot_id ?? ''}`;
        last = byLink.get(key);
        if (!last) byLink.set(key, (last = { link_id: c.link_id, ...(c.boot_id ? { boot_id: c.boot_id } : {}), conn_ids: [] }));
      }
      last.conn_ids.push(c.conn_id);
    }
    let n = 0;
    for (const g of byLink.values()) {
      this.transport.down({ kind: 'push', ...g, payload });
      n += g.conn_ids.length;
    }
    return n;
  }

  sendTo(linkId: string, connId: string, payload: string, bootId?: string): void {
    this.transport.down({ kind: 'send', link_id: linkId, ...(bootId ? { boot_id: bootId } : {}), conn_id: connId, payload });
  }

  kick(conn: Pick<ConnRef, 'link_id' | 'conn_id' | 'boot_id'>, payload: string): void {
    this.transport.down({ kind: 'kick', link_id: conn.link_id, ...(conn.boot_id ? { boot_id: conn.boot_id } : {}), conn_id: conn.conn_id, payload });
  }
}
