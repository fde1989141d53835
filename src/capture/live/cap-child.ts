/**
 * The cap capture loop in its own process: `node cap-child.js IFACE BUFSIZE FILTER` opens the
 * interface with cap (libpcap), copies every packet out of cap's shared buffer, stamps it at
 * receipt and writes classic pcap (ns timestamps) to stdout in batches. Running apart from the
 * analysis means a busy main thread (analysis, dashboard, GC) never stalls the ring reader, and
 * libpcap's own stderr messages land in a pipe the parent reads instead of on the terminal.
 *
 * stderr protocol (like tcpdump's): `listening on IFACE, link-type N` once open; on SIGUSR1 or
 * exit `N packets captured, 0 packets dropped by kernel` is NOT printed (cap cannot tell drops):
 * `N packets captured` only. Errors: `cap-child: error: MESSAGE` and exit 2.
 * SIGINT/SIGTERM: deliver what is readable, flush, exit 0.
 */
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { capLinkType, loadCap } from './cap-engine.js';

const FLUSH_BYTES = 1 << 20;
const FLUSH_MS = 20;

function writeAll(fd: number, buf: Buffer, len: number): void {
  let off = 0;
  while (off < len) {
    try {
      off += writeSync(fd, buf, off, len - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}

async function main(): Promise<void> {
  const [iface, bufSizeArg, filter] = process.argv.slice(2);
  if (!iface || !bufSizeArg || filter === undefined) {
    process.stderr.write('cap-child: error: usage: cap-child IFACE BUFSIZE FILTER\n');
    process.exit(2);
  }
  const pkg = await loadCap();
  const c = new pkg.Cap();
  const rx = Buffer.allocUnsafe(65535);
  let linkName: string;
  try {
    linkName = c.open(iface, filter, Number(bufSizeArg), rx);
  } catch (e) {
    process.stderr.write(`cap-child: error: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const lt = capLinkType(linkName);
  if (lt === null) {
    process.stderr.write(`cap-child: error: unsupported link type ${linkName}\n`);
    process.exit(2);
  }
  const out = Buffer.allocUnsafe(FLUSH_BYTES + 65535 + 16);
  // pcap header, nanosecond magic
  out.writeUInt32LE(0xa1b23c4d, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(lt, 20);
  let used = 24;
  let packets = 0;
  let lastFlush = performance.now();
  const flush = () => {
    if (used > 0) writeAll(1, out, used);
    used = 0;
    lastFlush = performance.now();
  };
  flush();
  process.stderr.write(`listening on ${iface}, link-type ${lt}\n`);
  c.on('packet', (n: number) => {
    const ms = performance.timeOrigin + performance.now();
    const sec = Math.floor(ms / 1000);
    out.writeUInt32LE(sec >>> 0, used);
    out.writeUInt32LE(Math.min(999_999_999, Math.round((ms - sec * 1000) * 1e6)), used + 4);
    out.writeUInt32LE(n, used + 8);
    out.writeUInt32LE(n, used + 12);
    rx.copy(out, used + 16, 0, n);
    used += 16 + n;
    packets++;
    if (used >= FLUSH_BYTES) flush();
  });
  const timer = setInterval(() => {
    if (used > 0 && performance.now() - lastFlush >= FLUSH_MS) flush();
  }, FLUSH_MS);
  const stats = () => process.stderr.write(`${packets} packets captured\n`);
  process.on('SIGUSR1', stats);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // packets already readable are dispatched by libuv before the close
    setImmediate(() =>
      setTimeout(() => {
        c.removeAllListeners('packet');
        c.close();
        clearInterval(timer);
        flush();
        stats();
        process.exit(0);
      }, 30),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: Error) => {
  process.stderr.write(`cap-child: error: ${e.message}\n`);
  process.exit(2);
});
