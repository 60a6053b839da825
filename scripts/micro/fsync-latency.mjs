// fdatasync latency of this machine's temp directory after a 64 KiB write (bounded: 3,000 calls or 60 s):
//   node scripts/micro/fsync-latency.mjs
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSync, writeSync, fdatasyncSync, closeSync, rmSync } from 'node:fs';
const fd = openSync(join(tmpdir(), `parley-fsync-${process.pid}.bin`), 'w'); const buf = Buffer.alloc(64 * 1024, 1); const lat = [];
const t0 = Date.now();
for (let i = 0; i < 3000 && Date.now() - t0 < 60000; i++) { writeSync(fd, buf, 0, buf.length, (i % 64) * buf.length); const s = process.hrtime.bigint(); fdatasyncSync(fd); lat.push(Number(process.hrtime.bigint() - s) / 1e6); }
closeSync(fd); rmSync(join(tmpdir(), `parley-fsync-${process.pid}.bin`));
lat.sort((a, b) => a - b); const q = (x) => lat[Math.floor(lat.length * x)].toFixed(2);
console.log(`fdatasync after a 64 KiB write, ${lat.length} calls: p50 ${q(0.5)} ms, p90 ${q(0.9)}, p99 ${q(0.99)}, p99.9 ${q(0.999)}, max ${lat[lat.length - 1].toFixed(1)}`);
