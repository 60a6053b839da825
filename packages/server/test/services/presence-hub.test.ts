import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane } from '../../src/control/control-plane.js';
import { MemoryControlHub } from '../../src/control/memory-control.js';
import { PresenceHub } from '../../src/dispatch/presence-hub.js';
import { Pusher } from '../../src/dispatch/pusher.js';
import { MemoryLocation } from '../../src/location/memory-location.js';
import type { ConnRef } from '../../src/location/location.js';
import type { DispatchSide, Downstream } from '../../src/transport/transport.js';

function hubWithDowns(location: MemoryLocation, plane: ControlPlane) {
  const downs: Downstream[] = [];
  // Only `down` is used by the pusher; the rest of the side is never called here.
  const transport = { down: (m: Downstream) => void downs.push(m) } as unknown as DispatchSide;
  return { presence: new PresenceHub(location, new Pusher(transport, location), plane), downs };
}

describe('presence hub', () => {
  const watcher: ConnRef = { app_id: 'a', user_id: 'w', conn_id: 'cw', link_id: 'L', platform: 'web', connected_at: 1 };

  it('pushes a change seen by another dispatcher to its own watchers', async () => {
    const location = new MemoryLocation();
    const hub = new MemoryControlHub();
    const here = hubWithDowns(location, new ControlPlane(hub.instance()));
    const there = hubWithDowns(location, new ControlPlane(hub.instance()));
    here.presence.watch(watcher, ['u']);
    await location.register({ ...watcher, user_id: 'u', conn_id: 'cu' }, 'unlimited');
    await there.presence.changed('a', 'u');
    const until = Date.now() + 20_000;
    while (here.downs.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    assert.equal(here.downs.length, 1);
    assert.deepEqual(JSON.parse((here.downs[0] as { payload: string }).payload), { op: 'presence', user_id: 'u', online: true, platforms: ['web'] });
    assert.equal(there.downs.length, 0, 'the other dispatcher has no watcher of u');
  });

  it('keeps at most 1,000 watched users per connection, the oldest dropped first', async () => {
    const location = new MemoryLocation();
    const { presence, downs } = hubWithDowns(location, new ControlPlane(new MemoryControlHub().instance()));
    presence.watch(watcher, Array.from({ length: 1001 }, (_, i) => `u${i}`));
    await presence.changed('a', 'u0'); // dropped: nobody is told
    await presence.changed('a', 'u1000');
    assert.equal(downs.length, 1);
    assert.equal(JSON.parse((downs[0] as { payload: string }).payload).user_id, 'u1000');
    presence.unwatchAll('cw');
    await presence.changed('a', 'u1000');
    assert.equal(downs.length, 1, 'nothing after unwatchAll');
  });
});
