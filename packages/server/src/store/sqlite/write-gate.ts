/**
 * Lets the main connection's rare writes (users, groups, relations) get
 * SQLite's write lock while the commit worker is busy. SQLite's busy handler
 * only polls, with sleeps of up to 100 ms, and a worker writing transaction
 * after transaction leaves the lock free for moments only: a poll may miss
 * every one of them until the busy timeout fails the write. So the main
 * thread raises a shared counter around each such write, and the worker
 * checks it before every transaction and waits while it is raised: the
 * write then gets the lock as soon as the worker's current transaction ends.
 */
export class WriteGate {
  private readonly count: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.count = new Int32Array(buffer);
  }

  /** Main side: run a synchronous write with the worker held off. */
  hold<T>(fn: () => T): T {
    Atomics.add(this.count, 0, 1);
    try {
      return fn();
    } finally {
      Atomics.sub(this.count, 0, 1);
      Atomics.notify(this.count, 0);
    }
  }

  /** Worker side, before a transaction: wait while a main-side write is waiting or running (never longer than `maxWaitMs`). */
  pass(maxWaitMs = 10_000): void {
    const until = Date.now() + maxWaitMs;
    for (let v = Atomics.load(this.count, 0); v > 0; v = Atomics.load(this.count, 0)) {
      const left = until - Date.now();
      if (left <= 0) return; // a main thread stuck inside a write must not stop the commits for good
      Atomics.wait(this.count, 0, v, Math.min(left, 100));
    }
  }
}
