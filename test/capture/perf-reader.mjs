// Quick throughput check for the capture reader alone (not a unit test): frames are counted, nothing decoded.
// Usage: npx tsc -p tsconfig.build.json && node test/capture/perf-reader.mjs [packets] [file]
// Without [file] it generates /tmp/toa-perf-<packets>.pcap (66-byte Ethernet/IPv4/TCP packets).
// Any pcap/pcapng/.gz file can be given instead. Prints wall-clock and CPU-time rates (the machine may be busy).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { readCaptureBuffer, readCaptureFile } from '../../dist/capture/reader.js';

const n = Number(process.argv[2] ?? 10_000_000);
const file = process.argv[3] ?? `/tmp/toa-perf-${n}.pcap`;
if (!existsSync(file)) {
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(1, 20);
  const per = 16 + 66;
  const out = Buffer.alloc(24 + n * per);
  gh.copy(out, 0);
  let p = 24;
  for (let i = 0; i < n; i++) {
    out.writeUInt32LE(1_700_000_000 + Math.floor(i / 1e6), p);
    out.writeUInt32LE(i % 1e6, p + 4);
    out.writeUInt32LE(66, p + 8);
    out.writeUInt32LE(66, p + 12);
    out[p + 16 + 12] = 0x08;
    out[p + 16 + 14] = 0x45;
    p += per;
  }
  writeFileSync(file, out);
}
const size = statSync(file).size;
let count = 0;
let bytes = 0;
const sink = (f) => {
  count++;
  bytes += f.capturedLength;
};
const rate = (pk, s) => `${(pk / s / 1e6).toFixed(2)} M packets/s`;
console.log(`load average ${loadavg()[0].toFixed(2)} (2 cores)`);
for (let run = 0; run < 5; run++) {
  count = 0;
  bytes = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const s = await readCaptureFile(file, sink);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cu = process.cpuUsage(c0);
  const cpu = (cu.user + cu.system) / 1e6;
  console.log(
    `readCaptureFile ${s.format}${s.gzip ? '.gz' : ''}: ${count} packets, ${(size / 1e6).toFixed(0)} MB: wall ${wall.toFixed(3)} s = ${rate(count, wall)}; cpu ${cpu.toFixed(3)} s = ${rate(count, cpu)} (${bytes} captured bytes)`,
  );
}
console.log(
  `rss after streaming reads: ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (file ${(size / 1e6).toFixed(0)} MB)`,
);
if (!process.env.SKIP_BUFFER) {
  const buf = readFileSync(file);
  for (let run = 0; run < 3; run++) {
    count = 0;
    const t0 = process.hrtime.bigint();
    readCaptureBuffer(buf, sink);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`readCaptureBuffer (whole file in memory): ${rate(count, wall)}`);
  }
}
