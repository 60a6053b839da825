import { runLocationContract } from './contract/location-contract.js';
import { runSeqContract } from './contract/seq-contract.js';
import { runBusContract, runGroupBusContract } from './contract/bus-contract.js';
import { MemoryLocation } from '../src/location/memory-location.js';
import { MemorySeqAllocator } from '../src/seq/memory-seq-allocator.js';
import { MemoryEventBus } from '../src/bus/memory-event-bus.js';
import { MemoryControlHub } from '../src/control/memory-control.js';
import { runControlClusterCases } from './contract/control-contract-redis-cases.js';
import { runRegistryContract } from './contract/registry-contract.js';
import { MemoryRegistry, MemoryRegistryHub } from '../src/registry/memory-registry.js';

// The embedded implementations of the location, seq and bus seams against their contracts.
runLocationContract('memory', async () => {
  const location = new MemoryLocation();
  return { location, cleanup: () => location.close() };
});
runSeqContract('memory', async (durable) => {
  const seq = new MemorySeqAllocator(durable.seed);
  return { seq, cleanup: () => seq.close() };
});
runBusContract('in-process', async () => {
  const bus = new MemoryEventBus();
  return { bus, cleanup: () => bus.close() };
});
runControlClusterCases('memory hub', async () => {
  const hub = new MemoryControlHub();
  return { instance: async () => hub.instance(), cleanup: async () => {} };
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
