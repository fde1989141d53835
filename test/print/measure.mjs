#!/usr/bin/env node
// Quick throughput measurement for the decoder and `print` (not a unit test).
//   npx tsc -p tsconfig.build.json && node test/print/measure.mjs [packets]
// Generates a bench capture with the bench generator (dist/bench/generate.js) if needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const N = Number(process.argv[2] ?? 1_000_000);
const file = join(tmpdir(), `toa-measure-${N}.pcap`);
const { generatePcap } = await import(join(root, 'dist/bench/generate.js'));
if (!existsSync(file)) generatePcap({ packets: N, flows: Math.round(N / 5), out: file });
const { readCaptureFile } = await import(join(root, 'dist/capture/reader.js'));
const { createDecodedPacket, decodePacket, tcpChecksum } = await import(join(root, 'dist/decode/index.js'));
const { ByteSink } = await import(join(root, 'dist/report/byte-writer.js'));
const { writePacketJson } = await import(join(root, 'dist/report/packet-json.js'));
const { writePacketText } = await import(join(root, 'dist/report/packet-text.js'));

async function time(name, sink) {
  const t0 = process.hrtime.bigint();
  const s = await readCaptureFile(file, sink);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${name.padEnd(38)} ${(s.packets / sec / 1e6).toFixed(2)} M packets/s  (${sec.toFixed(3)} s, ${s.packets} packets)`,
  );
  return sec;
}
const pkt = createDecodedPacket();
let toa = 0;
await time('reader alone', () => {});
await time('reader + decodePacket', (f) => {
  decodePacket(f, pkt);
  if (pkt.opts.toaVariant >= 0) toa++;
});
await time('reader + decodePacket + tcpChecksum', (f) => {
  decodePacket(f, pkt);
  tcpChecksum(f, pkt);
});
// In memory, best of many short batches: what the code costs when the CPU is not shared
// (wall-clock runs above swing 3x on a busy 2-core machine).
{
  const frames = [];
  await readCaptureFile(file, (f) => {
    if (frames.length < 50_000)
      frames.push({
        ...f,
        buf: Buffer.from(f.buf.subarray(f.offset, f.offset + f.capturedLength)),
        offset: 0,
      });
  });
  const out = new ByteSink(() => {});
  const B = 100;
  const bestOf = (name, fn, runs = 3000) => {
    const ts = [];
    for (let r = 0; r < runs; r++) {
      const s0 = (r % (frames.length / B)) * B;
      const t = process.hrtime.bigint();
      fn(s0);
      ts.push(Number(process.hrtime.bigint() - t) / B);
    }
    ts.sort((a, b) => a - b);
    console.log(
      `${`${name} (in memory, best batch)`.padEnd(38)} ${(1e3 / ts[0]).toFixed(2)} M packets/s  (median batch ${(1e3 / ts[runs >> 1]).toFixed(2)})`,
    );
  };
  bestOf('decodePacket', (s0) => {
    for (let i = s0; i < s0 + B; i++) decodePacket(frames[i], pkt);
  });
  bestOf('decodePacket + tcpChecksum', (s0) => {
    for (let i = s0; i < s0 + B; i++) {
      decodePacket(frames[i], pkt);
      tcpChecksum(frames[i], pkt);
    }
  });
  bestOf('decode + JSON line (print --json)', (s0) => {
    for (let i = s0; i < s0 + B; i++) {
      decodePacket(frames[i], pkt);
      writePacketJson(out, frames[i], pkt);
    }
  });
  bestOf('decode + text line (print)', (s0) => {
    for (let i = s0; i < s0 + B; i++) {
      decodePacket(frames[i], pkt);
      writePacketText(out, frames[i], pkt, {});
    }
  });
}
console.log(`(TOA on ${toa} packets)`);
// CPU time is reported too: on a loaded 2-core machine wall time mostly measures the neighbours.
for (const args of [['--json'], [], ['-v']]) {
  const cmd = `TIMEFORMAT='%R %U %S'; time node ${join(root, 'bin/toa-doctor.js')} print ${args.join(' ')} ${file} > /dev/null`;
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
  const [wall, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  const cpu = user + sys;
  console.log(
    `${`print ${args.join(' ')} > /dev/null`.padEnd(38)} ${(N / wall / 1e6).toFixed(2)} M packets/s wall (${wall.toFixed(2)} s), ${(N / cpu / 1e6).toFixed(2)} M packets/s CPU (${cpu.toFixed(2)} s), exit ${r.status}`,
  );
}
