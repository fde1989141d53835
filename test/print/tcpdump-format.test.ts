/**
 * `toa-doctor print` against real `tcpdump -nn -S` output, byte for byte, for the tcpdump options
 * print supports: -v (tos/ECN, ttl, id, flags, proto, IPv6 class/flowlabel and payload length,
 * checksums `(correct)` and `(incorrect -> 0x....)`, IPv4 `bad cksum X (->Y)!`), -e (every link
 * type), -x/-xx/-X/-XX/-A dumps, -t..-ttttt timestamps, and the `-i any` interface/direction column.
 * Captures: real tcpdump captures from the fixtures that carry no TOA (tcpdump prints TOA as
 * `unknown-200 0x...`, which is the point of toa-doctor, so those lines differ on purpose), and a
 * generated set of plain connections on every link type print supports, with odd payload sizes,
 * a CR LF payload, ECN bits, an IPv6 flow label, a bad TCP and a bad IPv4 header checksum, and on
 * SLL2 outgoing packets of an interface index that does not exist (tcpdump: `?     Out`).
 * Payloads go to port 9000, which tcpdump has no application printer for.
 * Skips when tcpdump is missing (with the reason); under CI it fails instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recomputeChecksums } from '../../src/decode/index.js';
import {
  ipTcp,
  LINKTYPE,
  type Link,
  linkWrap,
  MSS_OPT,
  type Rec,
  TS_OPT,
  writePcap,
} from '../helpers/packets.js';
import { tcpdumpSkipReason } from '../helpers/tools.js';

const ROOT = join(import.meta.dirname, '../..');
const CAP = join(ROOT, 'fixtures/captures');
const BIN = join(ROOT, 'bin/toa-doctor.js');
const ENV = { ...process.env, TZ: 'UTC', NO_COLOR: '1', LC_ALL: 'C' };

const skip = tcpdumpSkipReason('tcpdump format test');

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
});

/** plain connections (no TOA) with the details -v shows */
function plainCapture(link: Link): Buffer {
  const recs: Rec[] = [];
  let t = 1_700_000_000.25;
  const v6 = link === 'ipv6';
  const pairs: Array<[string, string]> =
    link === 'ipv4'
      ? [['192.0.2.10', '10.0.0.5']]
      : v6
        ? [['2001:db8::10', '2001:db8:1::5']]
        : [
            ['192.0.2.10', '10.0.0.5'],
            ['2001:db8::10', '2001:db8:1::5'],
          ];
  let n = 0;
  for (const [c, s] of pairs) {
    const pkts = [
      {
        src: c,
        dst: s,
        sport: 41000,
        dport: 9000,
        flags: 'S',
        seq: 7,
        options: [...MSS_OPT, 4, 2, 1, 3, 3, 7],
      },
      { src: s, dst: c, sport: 9000, dport: 41000, flags: 'SA', seq: 9, ack: 8, options: [...MSS_OPT] },
      { src: c, dst: s, sport: 41000, dport: 9000, flags: 'A', seq: 8, ack: 10, options: [...TS_OPT] },
      {
        src: c,
        dst: s,
        sport: 41000,
        dport: 9000,
        flags: 'PA',
        seq: 8,
        ack: 10,
        payload: 'GET /x\r\nHost: a\r\n\r\n',
      },
      {
        src: s,
        dst: c,
        sport: 9000,
        dport: 41000,
        flags: 'PA',
        seq: 10,
        ack: 27,
        payload: 'odd-length\x01\x7f\r.',
      },
      { src: c, dst: s, sport: 41000, dport: 9000, flags: 'A', seq: 27, ack: 25, badChecksum: true },
      { src: c, dst: s, sport: 41000, dport: 9000, flags: 'FA', seq: 27, ack: 25, ipId: 4242 },
      { src: s, dst: c, sport: 9000, dport: 41000, flags: 'R', seq: 25 },
    ];
    for (const spec of pkts) {
      n++;
      const ip = ipTcp({ ...spec, ttl: 30 + n });
      if (ip[0]! >> 4 === 4 && n === 2) {
        ip[1] = 0x02; // ECT(0)
        recomputeChecksums(ip, 0, ip.length, 228);
      }
      if (ip[0]! >> 4 === 4 && n === 7) ip[10] ^= 0x5a; // bad IPv4 header checksum
      if (ip[0]! >> 4 === 6 && n % 2 === 0) {
        ip[1] = 0x2a; // traffic class 0x02, flow label 0xabcde
        ip[2] = 0xbc;
        ip[3] = 0xde;
      }
      t += 0.0123457;
      const data = linkWrap(link, ip);
      if (link === 'sll2' && n % 3 === 0) {
        data.writeUInt32BE(999_999, 4); // an interface index no system has: tcpdump shows '?'
        data[10] = 4; // outgoing
      }
      recs.push({ data, ts: t });
    }
  }
  return writePcap(recs, { linkType: LINKTYPE[link] });
}

function tcpdump(args: string[], file: string): string {
  const r = spawnSync('tcpdump', ['-nn', '-S', ...args, '-r', file], { env: ENV, maxBuffer: 64 << 20 });
  return r.stdout.toString('latin1');
}
function ours(args: string[], file: string): string {
  const r = spawnSync('node', [BIN, 'print', ...args, file], { env: ENV, maxBuffer: 64 << 20 });
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout.toString('latin1');
}

const OPTION_SETS = [
  [],
  ['-v'],
  ['-e'],
  ['-e', '-v'],
  ['-x'],
  ['-xx'],
  ['-X'],
  ['-XX'],
  ['-A'],
  ['-t'],
  ['-tt'],
  ['-ttt'],
  ['-tttt'],
  ['-ttttt'],
];

describe.skipIf(skip !== null)('print output equals tcpdump -nn -S', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toa-fmt-'));
  const files = ['real-tcpdump-lo.pcap', 'real-tcpdump-any-sll2.pcap'].map((f) => join(CAP, f));
  for (const link of [
    'en10mb',
    'vlan',
    'qinq',
    'sll',
    'sll2',
    'null',
    'loop',
    'raw',
    'ipv4',
    'ipv6',
  ] as const) {
    const p = join(dir, `plain-${link}.pcap`);
    writeFileSync(p, plainCapture(link));
    files.push(p);
  }

  it.each(OPTION_SETS.map((o) => [o.join(' ') || '(none)', o] as const))('%s', (_name, args) => {
    for (const f of files) {
      const want = tcpdump([...args], f);
      expect(want.length, f).toBeGreaterThan(0);
      expect(ours([...args], f), `${args.join(' ')} ${f}`).toBe(want);
    }
  });
});
