/**
 * Traffic for the exporter bench (src/bench/exporter.ts), run inside its network namespaces:
 *
 *   node dist/bench/exporter-load.js server                      sink on :5001, short HTTP-ish on :8080
 *   node dist/bench/exporter-load.js client ADDR SECONDS MBIT CPS  bulk to :5001 at MBIT Mbit/s, plus
 *                                                                 CPS new connections/s to :8080
 *
 * The client prints one JSON line at the end: connections established/completed/failed, bulk bytes.
 * Each short connection: connect, send a request, read the reply, the server closes (so the
 * TIME_WAIT stays on the server side and the client does not run out of ports).
 */
import { connect, createServer, type Socket } from 'node:net';

function server(): void {
  const sink = createServer((s) => {
    s.on('error', () => undefined);
    s.resume();
  });
  const short = createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => s.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  });
  let up = 0;
  const ready = () => {
    if (++up === 2) process.stdout.write('{"ready":true}\n');
  };
  sink.listen(5001, ready);
  short.listen({ port: 8080, backlog: 4096 }, ready);
}

function client(addr: string, seconds: number, mbit: number, cps: number): void {
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const st = { established: 0, completed: 0, failed: 0, bulkBytes: 0, inFlight: 0, maxInFlight: 0 };
  // ---- bulk: paced writes, never more than 4 MiB queued
  const bulk: Socket = connect(5001, addr);
  bulk.setNoDelay(false);
  bulk.on('error', () => undefined);
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  const bytesPerMs = (mbit * 1e6) / 8 / 1000;
  const pump = setInterval(() => {
    const due = (Date.now() - t0) * bytesPerMs;
    while (st.bulkBytes < due && bulk.writableLength < 4 * 1024 * 1024) {
      bulk.write(chunk);
      st.bulkBytes += chunk.length;
    }
  }, 5);
  // ---- new connections: CPS per second in 10 ms batches
  let started = 0;
  const opener = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * cps);
    while (started < due) {
      started++;
      st.inFlight++;
      st.maxInFlight = Math.max(st.maxInFlight, st.inFlight);
      const s = connect(8080, addr);
      let est = false;
      s.on('connect', () => {
        est = true;
        st.established++;
        s.write('GET / HTTP/1.0\r\n\r\n');
      });
      s.on('data', () => undefined);
      s.on('end', () => {
        st.completed++;
        s.end();
      });
      s.on('error', () => {
        if (!est) st.failed++;
      });
      s.on('close', () => {
        st.inFlight--;
      });
    }
  }, 10);
  const stop = setInterval(() => {
    if (Date.now() < end) return;
    clearInterval(stop);
    clearInterval(opener);
    clearInterval(pump);
    bulk.end();
    // let the last connections finish
    setTimeout(() => {
      process.stdout.write(`${JSON.stringify({ ...st, started, seconds: (Date.now() - t0) / 1000 })}\n`);
      process.exit(0);
    }, 3000);
  }, 100);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'server') server();
else if (mode === 'client') client(rest[0]!, Number(rest[1]), Number(rest[2]), Number(rest[3]));
else {
  process.stderr.write('usage: exporter-load.js server | client ADDR SECONDS MBIT CPS\n');
  process.exit(2);
}
