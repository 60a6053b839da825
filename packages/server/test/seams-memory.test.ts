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
