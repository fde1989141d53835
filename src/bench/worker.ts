/**
 * Bench worker: one measurement in its own process, so its peak RSS is its own.
 *
 *   node dist/bench/worker.js reader|decode|analyze|floor FILE [maxFlows]
 *
 * `floor` is a lower bound for any flow table, not a toa-doctor code path: the file's TCP 5-tuples
 * are decoded first (not timed), then only the smallest per-packet work a flow table must do is
 * timed: hash the tuple, find or create its 64-byte row in an open-addressing index, bump a
 * counter and store one word. IPv6 tuples are folded to IPv4-sized keys (cheaper: still a bound).
 *
 * Prints one JSON line: {mode, packets, seconds, ...counts, maxRssKB}. `seconds` is the time inside
 * the process (no Node start-up). Each mode imports only the modules it runs (dynamic imports), so
 * a `reader` run's peak RSS does not include the decoder or the flow table.
 */
import { pathToFileURL } from 'node:url';
import type { CaptureSummary, Frame, FrameSink } from '../capture/types.js';
import type { DecodedPacket } from '../decode/types.js';

type ReadCaptureFile = (path: string, sink: FrameSink, opts?: object) => Promise<CaptureSummary>;
interface DecodeModule {
  createDecodedPacket(): DecodedPacket;
  decodePacket(frame: Frame, out: DecodedPacket): DecodedPacket;
}

export interface WorkerResult {
  mode: string;
  packets: number;
  seconds: number;
  /** user + system CPU seconds of the whole process over the same span */
  cpuSeconds: number;
  maxRssKB: number;
  summaryPackets?: number;
  tcpOk?: number;
  withToa?: number;
  flows?: number;
  error?: string;
}

export async function runWorker(mode: string, file: string, maxFlows?: number): Promise<WorkerResult> {
  const { readCaptureFile } = await import('../capture/reader.js');
  let packets = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let summary: CaptureSummary;
  const extra: Partial<WorkerResult> = {};
  if (mode === 'reader') {
    summary = await readCaptureFile(file, () => {
      packets++;
    });
  } else if (mode === 'decode') {
    const dec = await import('../decode/index.js');
    const pkt = dec.createDecodedPacket();
    let ok = 0;
    let toa = 0;
    summary = await readCaptureFile(file, (f) => {
      packets++;
      dec.decodePacket(f, pkt);
      if (pkt.status === 0) {
        ok++;
        if (pkt.opts.toaVariant >= 0) toa++;
      }
    });
    extra.tcpOk = ok;
    extra.withToa = toa;
  } else if (mode === 'analyze') {
    const { Analyzer } = await import('../flow/analyzer.js');
    const an = new Analyzer(maxFlows ? { maxFlows } : {});
    summary = await readCaptureFile(file, (f) => {
      packets++;
      an.push(f);
    });
    extra.flows = an.finish().flows.size;
  } else if (mode === 'floor') {
    return floorKernel(file, readCaptureFile, await import('../decode/index.js'));
  } else {
    throw new Error(`unknown worker mode ${mode}`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return {
    mode,
    packets,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    summaryPackets: summary.packets,
    maxRssKB: process.resourceUsage().maxRSS,
    ...extra,
  };
}

// The floor hashes exactly as src/flow/table.ts does (same mixer, same key words), so the bound it
// measures pays the same hash cost; it is kept local because this worker compiles and runs on its
// own while the flow area changes (see the header).
function mixBits(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function word(b: Buffer, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** folded key word of an address: IPv4 as is, IPv6 as the XOR of its four words */
function addrWord(b: Buffer, o: number, v4: boolean): number {
  return v4 ? word(b, o) : (word(b, o) ^ word(b, o + 4) ^ word(b, o + 8) ^ word(b, o + 12)) >>> 0;
}

async function floorKernel(
  file: string,
  readCaptureFile: ReadCaptureFile,
  dec: DecodeModule,
): Promise<WorkerResult> {
  const pkt = dec.createDecodedPacket();
  let ka = new Uint32Array(1 << 20);
  let kb = new Uint32Array(1 << 20);
  let kp = new Uint32Array(1 << 20);
  let n = 0;
  const summary = await readCaptureFile(file, (f) => {
    dec.decodePacket(f, pkt);
    if (pkt.status !== 0) return;
    if (n === ka.length) {
      const grow = (a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> => {
        const b = new Uint32Array(a.length * 2);
        b.set(a);
        return b;
      };
      ka = grow(ka);
      kb = grow(kb);
      kp = grow(kp);
    }
    const v4 = pkt.ipVersion === 4;
    const s = addrWord(f.buf, pkt.srcAddrOffset, v4);
    const d = addrWord(f.buf, pkt.dstAddrOffset, v4);
    const sIsA = s < d || (s === d && pkt.srcPort <= pkt.dstPort);
    ka[n] = sIsA ? s : d;
    kb[n] = sIsA ? d : s;
    kp[n] = (sIsA ? (pkt.srcPort << 16) | pkt.dstPort : (pkt.dstPort << 16) | pkt.srcPort) >>> 0;
    n++;
  });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const W = 16; // 64 bytes per flow
  // Sized up front (a real table cannot know its file): one row per packet is room for every
  // flow, and the index is sized for the bench file's 5 packets per flow (it grows if there are
  // more flows), so nothing is copied inside the timed loop on that file.
  const rows = new Uint32Array(Math.max(1, n) * W);
  let index = new Int32Array(1 << Math.max(17, Math.ceil(Math.log2((n / 5) * 1.5 + 1))));
  let mask = index.length - 1;
  let flows = 0;
  for (let i = 0; i < n; i++) {
    const a = ka[i]!;
    const b = kb[i]!;
    const p = kp[i]!;
    const h = mixBits((mixBits(a ^ 0x9e3779b9) + Math.imul(b, 0x85ebca6b) + p) | 0);
    let j = h & mask;
    let slot = -1;
    for (;;) {
      const e = index[j]!;
      if (e === 0) break;
      const o = (e - 1) * W;
      if (rows[o] === a && rows[o + 1] === b && rows[o + 2] === p) {
        slot = e - 1;
        break;
      }
      j = (j + 1) & mask;
    }
    if (slot < 0) {
      slot = flows++;
      const o = slot * W;
      rows[o] = a;
      rows[o + 1] = b;
      rows[o + 2] = p;
      rows[o + 3] = h;
      index[j] = slot + 1;
      if (flows * 10 > index.length * 7) {
        index = new Int32Array(index.length * 2);
        mask = index.length - 1;
        for (let s = 0; s < flows; s++) {
          let k = rows[s * W + 3]! & mask;
          while (index[k] !== 0) k = (k + 1) & mask;
          index[k] = s + 1;
        }
      }
    }
    const o = slot * W;
    rows[o + 4] = rows[o + 4]! + 1;
    rows[o + 5 + (i & 7)] = i;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return {
    mode: 'floor',
    packets: n,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    summaryPackets: summary.packets,
    maxRssKB: process.resourceUsage().maxRSS,
    flows,
  };
}

const [, script, mode, file, maxFlows] = process.argv;
if (script && import.meta.url === pathToFileURL(script).href && mode && file) {
  runWorker(mode, file, maxFlows ? Number(maxFlows) : undefined).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: Error) => {
      const r: WorkerResult = {
        mode,
        packets: 0,
        seconds: 0,
        cpuSeconds: 0,
        maxRssKB: process.resourceUsage().maxRSS,
        error: (err?.message ?? String(err)).split('\n')[0],
      };
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exitCode = 1;
    },
  );
}
