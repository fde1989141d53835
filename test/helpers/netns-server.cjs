#!/usr/bin/env node
// A real TCP server for the live-capture tests. Runs inside the server network namespace
// (`ip netns exec <ns> node netns-server.cjs PORT`). Listens on [::]:PORT (dual stack), prints
// one JSON line per accepted connection and per request, answers every request with one line
// and closes. Prints {"ready":true} once listening.
const net = require('node:net');

const port = Number(process.argv[2] || 8080);
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

const server = net.createServer((sock) => {
  const remote = { address: sock.remoteAddress, port: sock.remotePort };
  out({ accepted: remote });
  sock.on('error', () => undefined);
  let got = false;
  sock.on('data', (d) => {
    if (got) return;
    got = true;
    out({ request: remote, bytes: d.length });
    sock.end(`OK ${remote.address} ${remote.port}\n`);
  });
});
server.on('error', (err) => {
  out({ error: err.message });
  process.exit(1);
});
server.listen({ port, host: '::', ipv6Only: false }, () => out({ ready: true, port }));
process.on('SIGTERM', () => process.exit(0));
