import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache, LruSet } from '../../src/cache/lru-cache.js';
import { LoadingCache } from '../../src/cache/loading-cache.js';
import { ControlPlane } from '../../src/control/control-plane.js';
import { MemoryControlHub } from '../../src/control/memory-control.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('LruCache', () => {
  it('evicts the least recently used entry, counting reads as use', () => {
    const evicted: string[] = [];
    const c = new LruCache<string, number>(3, (k) => evicted.push(k));
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    assert.equal(c.get('a'), 1); // a is now the newest
    c.set('d', 4);
    assert.deepEqual(evicted, ['b']);
    assert.equal(c.has('b'), false);
    assert.deepEqual([...c.keys()], ['d', 'a', 'c']);
    assert.equal(c.peek('c'), 3); // peek does not refresh
    c.set('e', 5);
    assert.deepEqual(evicted, ['b', 'c']);
    assert.equal(c.size, 3);
    assert.equal(c.delete('a'), true);
    assert.equal(c.delete('a'), false);
    assert.deepEqual([...c.keys()], ['e', 'd']);
    c.clear();
    assert.equal(c.size, 0);
    assert.deepEqual([...c.keys()], []);
  });

  it('matches a reference model over a long mix of gets, sets and deletes', () => {
    const c = new LruCache<number, number>(50);
    // Reference: a Map in recency order (oldest first), refreshed by delete + set; slow but obviously right.
    const ref = new Map<number, number>();
    let x = 12345;
    for (let i = 0; i < 50_000; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const k = x % 200;
      const op = x % 5;
      if (op === 0) {
        c.delete(k);
        ref.delete(k);
      } else if (op === 1) {
        const v = ref.get(k);
        if (v !== undefined) {
          ref.delete(k);
          ref.set(k, v);
        }
        assert.equal(c.get(k), v);
      } else {
        ref.delete(k);
        ref.set(k, i);
        if (ref.size > 50) ref.delete(ref.keys().next().value!);
        c.set(k, i);
      }
      if (i % 997 === 0) assert.deepEqual([...c.keys()], [...ref.keys()].reverse(), `same order after step ${i}`);
    }
    assert.equal(c.size, ref.size);
    assert.ok(c.size <= 50);
  });

  it('LruSet holds at most its bound', () => {
    const s = new LruSet<string>(2);
    s.add('x');
    s.add('y');
    assert.ok(s.has('x'));
    s.add('z');
    assert.equal(s.has('y'), false);
    assert.equal(s.size, 2);
  });
});

describe('LoadingCache', () => {
  it('shares one load between concurrent misses and caches its value', async () => {
    const c = new LoadingCache<string, string>(10);
    let loads = 0;
    const load = async () => `v${++loads}`;
    const [a, b] = await Promise.all([c.get('k', load), c.get('k', load)]);
    assert.equal(a, 'v1');
    assert.equal(b, 'v1');
    assert.equal(await c.get('k', load), 'v1');
    assert.equal(loads, 1);
  });

  it('never caches a load that an invalidation overtook; later callers load afresh', async () => {
    const c = new LoadingCache<string, string>(10);
    const slow = deferred<string>();
    const early = c.get('k', () => slow.promise);
    c.invalidate('k');
    const late = c.get('k', async () => 'fresh');
    slow.resolve('stale');
    assert.equal(await early, 'stale', 'a caller from before the change gets what it asked for');
    assert.equal(await late, 'fresh');
    assert.equal(await c.get('k', async () => 'again'), 'fresh', 'the fresh value is what stays cached');
  });

  it('clear drops values and in-flight loads; undefined and failures are not cached', async () => {
    const c = new LoadingCache<string, string>(10);
    const slow = deferred<string>();
    const p = c.get('k', () => slow.promise);
    c.clear();
    slow.resolve('old');
    await p;
    assert.equal(c.peek('k'), undefined);
    assert.equal(await c.get('missing', async () => undefined), undefined);
    assert.equal(c.size, 0);
    await assert.rejects(c.get('bad', async () => {
      throw new Error('down');
    }));
    assert.equal(await c.get('bad', async () => 'ok'), 'ok', 'a failed load is retried');
  });
});

describe('ControlPlane', () => {
  it('applies here at once, elsewhere on delivery, skips its own echo, and reports failures', async () => {
    const hub = new MemoryControlHub();
    const errors: string[] = [];
    const a = new ControlPlane(hub.instance(), { onError: (_e, stage, type) => errors.push(`${stage}:${type}`) });
    const cb = hub.instance();
    const b = new ControlPlane(cb);
    const atA: string[] = [];
    const atB: string[] = [];
    a.on('group.changed', (m, from) => void atA.push(`${from}:${m.group_id}`));
    b.on('group.changed', (m, from) => void atB.push(`${from}:${m.group_id}`));
    a.on('blocks.changed', () => {
      throw new Error('handler bug');
    });
    a.publish({ type: 'group.changed', app_id: 'x', group_id: 'g1' });
    assert.deepEqual(atA, ['self:g1'], 'applied before publish returns');
    assert.deepEqual(atB, []);
    a.publish({ type: 'blocks.changed', app_id: 'x', blocker: 'u' });
    assert.deepEqual(errors, ['handler:blocks.changed'], 'a throwing handler is reported, not thrown');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(atB, ['peer:g1']);
    assert.deepEqual(atA, ['self:g1'], 'the echo of its own message is not applied twice');
    // An unknown type (a newer version beside this one) is ignored.
    await cb.publish({ type: 'from.the.future', x: 1 });
    await cb.close();
    // Publishing to a closed seam fails; the plane reports it and the change still holds here.
    const lonely = hub.instance();
    const c = new ControlPlane(lonely, { onError: (_e, stage, type) => errors.push(`${stage}:${type}`) });
    const atC: string[] = [];
    c.on('group.changed', (m) => void atC.push(m.group_id));
    await lonely.close();
    c.publish({ type: 'group.changed', app_id: 'x', group_id: 'g2' });
    assert.deepEqual(atC, ['g2']);
    await new Promise((r) => setImmediate(r));
    assert.ok(errors.includes('publish:group.changed'));
  });
});
