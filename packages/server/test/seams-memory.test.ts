import { runLocationContract } from './contract/location-contract.js';
import { runSeqContract } from './contract/seq-contract.js';
import { runBusContract } from './contract/bus-contract.js';
import { MemoryLocation } from '../src/location/memory-location.js';
import { MemorySeqAllocator } from '../src/seq/memory-seq-allocator.js';
import { MemoryEventBus } from '../src/bus/memory-event-bus.js';

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
