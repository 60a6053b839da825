import { runLocationContract } from './contract/location-contract.js';
import { runSeqContract } from './contract/seq-contract.js';
import { runBusContract } from './contract/bus-contract.js';
import { runControlContract } from './contract/control-contract.js';
import { MemoryLocation } from '../src/location/memory-location.js';
import { MemorySeqAllocator } from '../src/seq/memory-seq-allocator.js';
import { MemoryEventBus } from '../src/bus/memory-event-bus.js';
import { MemoryControl, MemoryControlHub } from '../src/control/memory-control.js';

// The embedded implementations of the location, seq, bus and control seams against their contracts.
runLocationContract('memory', async () => {
  const location = new MemoryLocation();
  return { location, cleanup: () => location.close() };
});
runSeqContract('memory', async (seed) => {
  const seq = new MemorySeqAllocator(seed);
  return { seq, cleanup: () => seq.close() };
});
runBusContract('in-process', async () => {
  const bus = new MemoryEventBus();
  return { bus, cleanup: () => bus.close() };
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
