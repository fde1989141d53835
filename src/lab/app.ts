/**
 * The lab's backend application: waits for `listen <host> <port>` on stdin (so the parent can put
 * it into the reader's cgroup first), then accepts connections and prints, for each, one JSON line
 * with what getpeername() returned — the truth the lab compares toa-doctor's verdicts with.
 * It answers every request with a short response (a server that accepted data).
 */
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

let seq = 0;
const server = createServer((sock) => {
  const entry = {
    event: 'accepted',
    n: seq++,
    peer: sock.remoteAddress ?? '',
    peerPort: sock.remotePort ?? 0,
    local: sock.localPort ?? 0,
  };
  process.stdout.write(`${JSON.stringify(entry)}\n`);
  sock.on('data', () => sock.end('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  sock.on('error', () => undefined);
  sock.setTimeout(5000, () => sock.destroy());
});

const rl = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid })}\n`);
rl.on('line', (line) => {
  const [cmd, host, port] = line.trim().split(' ');
  if (cmd !== 'listen') return;
  server.listen({ host, port: Number(port), ipv6Only: false }, () => {
    process.stdout.write(`${JSON.stringify({ event: 'listening', host, port: Number(port) })}\n`);
  });
});
rl.on('close', () => process.exit(0));
