#!/usr/bin/env node
// Crafted-handshake injector for the live-capture tests. Runs inside the CLIENT network namespace
// (`ip netns exec <ns> node netns-injector.cjs SPEC.json`) and uses cap (libpcap) on the client
// veth end both to send the frames and to see the server's SYN-ACKs.
//
// For each flow of the spec: send the SYN; learn the server ISN from its SYN-ACK; patch
// ack = ISN+1 (and the TCP checksum) into the prepared ACK and data frames and send them, so the
// server kernel really completes the handshake with the TOA-carrying ACK; wait for the server's
// answer; end the flow with an RST. The client addresses used are owned by no interface in the
// client namespace (the server has static neighbour entries for them), so the client kernel
// drops the SYN-ACKs silently instead of answering them with an RST.
//
// Spec (JSON): { iface, timeoutMs?, flows: [{ name, cport, sport, syn, ack, data?, rst }] } where
// syn/ack/data/rst are hex Ethernet frames. Output: one JSON line per flow
// { name, synAck, serverIsn, replied, fin } and a final { done: true }.
const { readFileSync } = require('node:fs');
const capPkg = require('cap');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const timeoutMs = spec.timeoutMs ?? 2000;

function sum16(buf, start, end, acc) {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += buf.readUInt16BE(i);
  if (i < end) s += buf[i] << 8;
  return s;
}

/** Locate IP/TCP in an Ethernet frame (no VLAN, no IPv6 extension headers in our frames). */
function tcpAt(buf) {
  const etype = buf.readUInt16BE(12);
  if (etype === 0x0800) {
    const ihl = (buf[14] & 0x0f) * 4;
    const total = buf.readUInt16BE(16);
    if (buf[23] !== 6) return null;
    return { v6: false, ip: 14, tcp: 14 + ihl, tcpLen: total - ihl };
  }
  if (etype === 0x86dd) {
    if (buf[20] !== 6) return null;
    return { v6: true, ip: 14, tcp: 54, tcpLen: buf.readUInt16BE(18) };
  }
  return null;
}

function fixChecksum(buf) {
  const t = tcpAt(buf);
  buf.writeUInt16BE(0, t.tcp + 16);
  let s;
  if (t.v6) {
    s = sum16(buf, t.ip + 8, t.ip + 40, 0);
    s += (t.tcpLen >>> 16) + (t.tcpLen & 0xffff) + 6;
  } else {
    s = sum16(buf, t.ip + 12, t.ip + 20, 0);
    s += 6 + t.tcpLen;
  }
  s = sum16(buf, t.tcp, t.tcp + t.tcpLen, s);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  buf.writeUInt16BE(~s & 0xffff, t.tcp + 16);
}

function patchAck(buf, ack) {
  const t = tcpAt(buf);
  buf.writeUInt32BE(ack >>> 0, t.tcp + 8);
  fixChecksum(buf);
}

const cap = new capPkg.Cap();
const rx = Buffer.alloc(65535);
cap.open(spec.iface, spec.filter ?? 'tcp', 4 * 1024 * 1024, rx);

/** waiters keyed by client port */
const waiters = new Map();
cap.on('packet', (nbytes) => {
  const t = tcpAt(rx);
  if (!t || nbytes < t.tcp + 20) return;
  const sport = rx.readUInt16BE(t.tcp);
  const dport = rx.readUInt16BE(t.tcp + 2);
  const w = waiters.get(dport);
  if (!w || w.sport !== sport) return;
  const flags = rx[t.tcp + 13];
  const doff = (rx[t.tcp + 12] >> 4) * 4;
  w.onPacket({ flags, seq: rx.readUInt32BE(t.tcp + 4), payload: t.tcpLen - doff });
});

function waitFor(cport, sport, pred) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(cport);
      resolve(null);
    }, timeoutMs);
    waiters.set(cport, {
      sport,
      onPacket: (p) => {
        if (!pred(p)) return;
        clearTimeout(timer);
        waiters.delete(cport);
        resolve(p);
      },
    });
  });
}

const send = (hex) => {
  const b = Buffer.isBuffer(hex) ? hex : Buffer.from(hex, 'hex');
  cap.send(b, b.length);
};

async function runFlow(f) {
  const res = { name: f.name, synAck: false, serverIsn: null, replied: false, fin: false };
  let synAck = null;
  for (let attempt = 0; attempt < 2 && !synAck; attempt++) {
    const p = waitFor(f.cport, f.sport, (q) => (q.flags & 0x12) === 0x12);
    send(f.syn);
    synAck = await p;
  }
  if (!synAck) return res;
  res.synAck = true;
  res.serverIsn = synAck.seq;
  const ack = (synAck.seq + 1) >>> 0;
  const ackFrame = Buffer.from(f.ack, 'hex');
  patchAck(ackFrame, ack);
  if (f.badAckChecksum) {
    // the kernel drops this ACK; the data segment (good checksum) completes the handshake
    const t = tcpAt(ackFrame);
    ackFrame.writeUInt16BE(ackFrame.readUInt16BE(t.tcp + 16) ^ 0x1111, t.tcp + 16);
  }
  if (f.data) {
    const dataFrame = Buffer.from(f.data, 'hex');
    patchAck(dataFrame, ack);
    const reply = waitFor(f.cport, f.sport, (q) => q.payload > 0 || (q.flags & 0x01) !== 0);
    send(ackFrame);
    send(dataFrame);
    const r = await reply;
    if (r) {
      res.replied = r.payload > 0;
      res.fin = (r.flags & 0x01) !== 0;
    }
  } else {
    send(ackFrame);
    await new Promise((r) => setTimeout(r, 20));
  }
  send(f.rst);
  return res;
}

(async () => {
  for (const f of spec.flows) {
    const r = await runFlow(f);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ done: true })}\n`);
  cap.close();
  process.exit(0);
})().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: String(err?.message ?? err) })}\n`);
  process.exit(1);
});
