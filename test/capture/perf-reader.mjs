// Quick throughput check for the capture reader (not a unit test).
// Usage: npx tsc -p tsconfig.build.json && node test/capture/perf-reader.mjs [packets] [file]
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { readCaptureBuffer, readCaptureFile } from '../../dist/capture/reader.js';

const n = Number(process.argv[2] ?? 10_000_000);
const file = process.argv[3] ?? `/tmp/toa-perf-${n}.pcap`;
if (!existsSync(file)) {
  // small packets: 54-byte Ethernet/IPv4/TCP ACKs (some with a 12-byte TOA+TS option block)
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
for (let run = 0; run < 5; run++) {
  count = 0;
  bytes = 0;
  const t0 = process.hrtime.bigint();
  const s = await readCaptureFile(file, sink);
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `readCaptureFile: ${count} packets (${s.packets}) ${(size / 1e6).toFixed(0)} MB in ${dt.toFixed(3)} s = ${(count / dt / 1e6).toFixed(2)} M packets/s, ${(size / dt / 1e9).toFixed(2)} GB/s, ${bytes} captured bytes seen`,
  );
}
const { readFileSync } = await import('node:fs');
const buf = readFileSync(file);
for (let run = 0; run < 3; run++) {
  count = 0;
  const t0 = process.hrtime.bigint();
  readCaptureBuffer(buf, sink);
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`readCaptureBuffer (in memory): ${(count / dt / 1e6).toFixed(2)} M packets/s`);
}
console.log(`rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (buffer variant holds the whole file)`);
