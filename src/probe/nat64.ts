/**
 * getsockopt(fd, IPPROTO_IP, 4096) on an accepted socket — the NAT64 API of the TOA modules that
 * support IPv6 clients on IPv4 sockets (iqiyi/dpvs kmod/toa/toa.c TOA_SO_GET_LOOKUP, registered
 * with nf_register_sockopt for 4096; struct toa_nat64_peer { struct in6_addr saddr; uint16_t
 * sport; }; the Tencent NAT64 build documents the same call). Without a module answering it the
 * kernel says ENOPROTOOPT. Node.js
 * cannot call a raw getsockopt, so the socket's descriptor is handed to a two-line python3 helper
 * (stdio fd 3); without python3 the check is reported as not run, with that reason.
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { ipv6ToString } from '../decode/addr.js';
import { findTool } from './bpf.js';

export type Nat64Answer =
  | { kind: 'peer'; address: string; port: number }
  | { kind: 'errno'; errno: number; name: string }
  | { kind: 'untested'; reason: string };

const HELPER = [
  'import socket, sys',
  's = socket.socket(fileno=3)',
  'try:',
  '    print("OK " + s.getsockopt(socket.IPPROTO_IP, 4096, 20).hex())',
  'except OSError as e:',
  '    print("ERR %d %s" % (e.errno, e.strerror))',
  's.detach()',
].join('\n');

export function nat64Available(): string | null {
  return findTool('python3')
    ? null
    : 'python3 is not installed (Node.js cannot call getsockopt(IPPROTO_IP, 4096) itself)';
}

export function parseNat64Answer(line: string): Nat64Answer {
  const ok = /^OK ([0-9a-f]+)$/.exec(line.trim());
  if (ok) {
    const b = Buffer.from(ok[1]!, 'hex');
    if (b.length >= 18) return { kind: 'peer', address: ipv6ToString(b, 0), port: b.readUInt16BE(16) };
    return { kind: 'errno', errno: 0, name: `short answer (${b.length} bytes)` };
  }
  const err = /^ERR (\d+) (.*)$/.exec(line.trim());
  if (err) return { kind: 'errno', errno: Number(err[1]), name: err[2]! };
  return { kind: 'untested', reason: `the helper said: ${line.trim().slice(0, 80) || 'nothing'}` };
}

export function getsockopt4096(sock: Socket): Promise<Nat64Answer> {
  const missing = nat64Available();
  if (missing) return Promise.resolve({ kind: 'untested', reason: missing });
  return new Promise((resolve) => {
    let out = '';
    const child = spawn('python3', ['-c', HELPER], { stdio: ['ignore', 'pipe', 'ignore', sock] });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('error', (e) => {
      clearTimeout(t);
      resolve({ kind: 'untested', reason: `python3: ${e.message}` });
    });
    child.on('close', () => {
      clearTimeout(t);
      resolve(parseNat64Answer(out.split('\n')[0] ?? ''));
    });
  });
}
