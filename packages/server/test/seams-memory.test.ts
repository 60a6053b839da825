import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLocationContract } from './contract/location-contract.js';
import { runSeqContract } from './contract/seq-contract.js';
import { runBusContract, runGroupBusContract } from './contract/bus-contract.js';
import { runControlContract } from './contract/control-contract.js';
import { MemoryLocation } from '../src/location/memory-location.js';
import { MemorySeqAllocator } from '../src/seq/memory-seq-allocator.js';
import { MemoryEventBus } from '../src/bus/memory-event-bus.js';
import { runRegistryContract } from './contract/registry-contract.js';
import { MemoryRegistry, MemoryRegistryHub } from '../src/registry/memory-registry.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { MemoryControl, MemoryControlHub } from '../src/control/memory-control.js';

// The embedded implementations of the location, seq, bus and control seams against their contracts.
runLocationContract('memory', async () => {
  const location = new MemoryLocation();
  return { location, cleanup: () => location.close() };
});
runSeqContract('memory', async (reserve) => {
  const seq = new MemorySeqAllocator(reserve);
  return { seq, cleanup: () => seq.close() };
});
// Small blocks: most calls of the contract cross a block boundary.
runSeqContract('memory (blocks of 7)', async (reserve) => {
  const seq = new MemorySeqAllocator(reserve, { blockSize: 7 });
  return { seq, cleanup: () => seq.close() };
});
runBusContract('in-process', async () => {
  const bus = new MemoryEventBus();
  return { bus, cleanup: () => bus.close() };
});
runRegistryContract('memory hub', async (options) => {
  const hub = new MemoryRegistryHub();
  const made: MemoryRegistry[] = [];
  return {
    async instance() {
      const registry = new MemoryRegistry(hub, options);
      made.push(registry);
      return { registry, kill: async () => registry.simulateCrash() };
    },
    async cleanup() {
      for (const r of made) await r.close();
    },
  };
});
runGroupBusContract('in-process', async () => {
  const bus = new MemoryEventBus();
  return { a: bus, b: bus, cleanup: () => bus.close() };
});

describe('MemorySeqAllocator over the SQLite mark', () => {
  it('continues above the block after a crash, and without a gap after a graceful close', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const make = () => new MemorySeqAllocator((a, c, n) => store.reserveSeqBlock(a, c, n), {
      blockSize: 50, release: (blocks) => store.releaseSeqBlocks(blocks),
    });
    try {
      const crashed = make();
      for (let i = 1; i <= 3; i++) assert.equal(await crashed.next('app', 'g:c'), i);
      // never closed (a crash): its block 1..50 is lost, the next one starts above it
      const second = make();
      assert.equal(await second.current('app', 'g:c'), 50);
      assert.equal(await second.next('app', 'g:c'), 51);
      assert.equal(await second.next('app', 'g:c'), 52);
      await second.close(); // gives back 53..100
      const third = make();
      assert.equal(await third.next('app', 'g:c'), 53);
      await third.close();
    } finally {
      await store.close();
    }
  });
});

runControlContract('memory', async () => {
  const hub = new MemoryControlHub();
  const a = hub.instance();
  const b = hub.instance();
  return {
    a, b,
    loseSubscription: async (which) => (which as MemoryControl).simulateReset(),
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
});
