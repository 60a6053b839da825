import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { Membership } from '../../src/services/membership.js';
import { ControlPlane } from '../../src/control/control-plane.js';
import { MemoryControl, MemoryControlHub } from '../../src/control/memory-control.js';
import type { MemberRow } from '../../src/store/store.js';

describe('membership cache', () => {
  it('reads the member list once; read positions and settings patch it in place; membership changes reload', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    let loads = 0;
    const list = store.listMembers.bind(store);
    store.listMembers = async (a, c) => {
      loads++;
      return list(a, c);
    };
    const row = (user: string): MemberRow => ({ app_id: 'a', conv_id: 'g:x', user_id: user, role: 'member', join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: 1 });
    await store.ensureConversation('a', 'g:x', 'group', 1);
    await store.addMembers([row('u1'), row('u2')]);
    const m = new Membership(store, new ControlPlane(new MemoryControl()));
    const [first, second] = await Promise.all([m.members('a', 'g:x'), m.members('a', 'g:x')]);
    assert.equal(first, second, 'concurrent callers share one load');
    assert.equal(loads, 1);
    m.patch('a', 'g:x', 'u1', { read_seq: 5, pinned: true, muted: undefined });
    m.patch('a', 'g:x', 'u1', { read_seq: 3 });
    const u1 = await m.member('a', 'g:x', 'u1');
    assert.equal(u1?.read_seq, 5, 'read_seq never moves back');
    assert.equal(u1?.pinned, true);
    assert.equal(u1?.muted, false, 'undefined fields change nothing');
    assert.equal(loads, 1, 'patches do not reload');
    await store.addMembers([row('u3')]);
    m.invalidate('a', 'g:x');
    assert.equal((await m.members('a', 'g:x')).size, 3);
    assert.equal(loads, 2);
    await store.close();
  });
});

describe('membership cache bound and control plane', () => {
  it('holds at most maxEntries lists, least recently used out; an invalidation from another process drops a list', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const loads: string[] = [];
    const list = store.listMembers.bind(store);
    store.listMembers = async (a, c) => {
      loads.push(c);
      return list(a, c);
    };
    const hub = new MemoryControlHub();
    const m = new Membership(store, new ControlPlane(hub.instance()), { maxEntries: 2 });
    const other = new Membership(store, new ControlPlane(hub.instance()));
    await m.members('a', 'g:1');
    await m.members('a', 'g:2');
    await m.members('a', 'g:1'); // g:1 is now the most recent
    await m.members('a', 'g:3'); // pushes g:2 out
    assert.deepEqual(loads, ['g:1', 'g:2', 'g:3']);
    await m.members('a', 'g:1');
    await m.members('a', 'g:2');
    assert.deepEqual(loads, ['g:1', 'g:2', 'g:3', 'g:2'], 'g:1 stayed, g:2 was reloaded');
    other.invalidate('a', 'g:2');
    await new Promise((r) => setImmediate(r));
    await m.members('a', 'g:2');
    assert.deepEqual(loads.slice(4), ['g:2'], 'the other process\'s invalidation dropped it here');
    await store.close();
  });
});
