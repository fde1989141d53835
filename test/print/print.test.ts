import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import { runPrint } from '../../src/cli/print.js';
import {
  createDecodedPacket,
  type DecodedPacket,
  DecodeStatus,
  decodeOptions,
  decodePacket,
} from '../../src/decode/index.js';
import { packetJson } from '../../src/report/packet-json.js';
import { VARIANT_FIXTURES } from '../decode/fixtures.js';
import { ipTcp, linkWrap, writePcap } from '../helpers/packets.js';

const ROOT = join(import.meta.dirname, '../..');
const CAP = join(ROOT, 'fixtures/captures');
const BIN = join(ROOT, 'bin/toa-doctor.js');
const ENV = { ...process.env, TZ: 'UTC', NO_COLOR: '', FORCE_COLOR: '0' };

function run(args: string[], input?: Buffer) {
  const r = spawnSync('node', [BIN, ...args], { env: ENV, input, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}
const lines = (s: string) => s.split('\n').filter(Boolean);
/** one entry per packet: tcpdump's -v puts an IPv4 packet's TCP part on a second, indented line */
const packets = (s: string) =>
  s
    .replace(/\n {4}/g, ' ')
    .split('\n')
    .filter(Boolean);

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js')))
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
});

describe('toa-doctor print (text)', () => {
  it('prints every TOA variant tcpdump-style with the decoded address', () => {
    const r = run(['print', join(CAP, 'toa-variants.pcap')]);
    expect(r.code).toBe(0);
    const out = r.out;
    for (const want of [
      'toa 192.0.2.77:54321 (200/8)',
      'toa 192.0.2.78:12345 (254/8)',
      'toa 192.0.2.79:23456 (253/8)',
      'toa [2001:db8::77]:34567 (253/20)',
      'toa [2001:db8::78]:45678 (254/20)',
      'toa 192.0.2.80:40000 dst 10.1.2.3:8080 (254/16)',
      'toa 192.0.2.81 (28/7)',
      'toa 2001:db8::81 (28/19)',
      'toa vpc 1234567 (201/6)',
      'toa vip 10.0.0.100:80 (202/8)',
      'toa vip 10.0.0.101:443 (250/8)',
      'toa 192.0.2.82:5555 vpc 77 vip 10.9.8.7:8443 (252/20)',
      'toa [2001:db8::83]:6000 vpc 66051 vip 2001:db8:ffff::1 (249/40)',
      'options [mss 1460,uto 300s]',
      'options [mss 1460,exp-tfo cookie 01020304]',
    ])
      expect(out).toContain(want);
    expect(lines(out)[0]).toBe(
      '22:13:20.000500 IP 100.64.0.2.40000 > 10.0.0.5.80: Flags [S], seq 1000, win 64240, options [mss 1460], length 0',
    );
    expect(out).toContain(
      '22:13:20.001500 IP 100.64.0.2.40000 > 10.0.0.5.80: Flags [.], ack 5001, win 64240, options [toa 192.0.2.77:54321 (200/8),nop,nop,TS val 1 ecr 2], length 0',
    );
    expect(out).toContain(
      'IP 100.64.0.2.40000 > 10.0.0.5.80: Flags [P.], seq 1001:1019, ack 5001, win 64240, length 18',
    );
    expect(out).toContain('IP6 2001:db8:100::2.40004 > 2001:db8:200::5.80: Flags [.]');
    expect(out).not.toMatch(/\x1b\[/);
  });

  it('marks malformed lists [bad opt] and truncation [|tcp]; -v adds IP details and checksum words', () => {
    const r = run(['print', '-v', join(CAP, 'malformed-options.pcap')]);
    expect(r.code).toBe(0);
    const l = packets(r.out);
    expect(l[0]).toContain('options [nop,nop,[bad opt] [after bad opt: toa 192.0.2.1:1 (200/8) at +4]]');
    expect(l[0]).toContain('IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 52)');
    expect(l[0]).toContain('cksum 0x');
    expect(l[0]).toContain('(correct)');
    expect(l[4]).toContain('eol [after eol: toa 192.0.2.2:2 (200/8)]');
    expect(l[7]).toContain('[bad hdr length 16 - too short, < 20]');
    // a cut segment cannot be verified: no cksum at all, as tcpdump
    expect(l[9]).not.toContain('cksum');
    expect(l[9]).toMatch(/options \[nop,nop,TS val 1 ecr 2,\[\|tcp\]\]$/);
    expect(l[10]).toMatch(/: \[\|tcp\]$/);
    expect(l[11]).toContain('fragment offset 800');
    expect(l[12]).toContain('bad cksum 3380 (->cc80)!');
    expect(l[13]).toContain('cksum 0xf989 (incorrect -> 0xe878)');
    // -v: the decode-problem summary goes to stderr
    expect(r.err).toMatch(/14 packets read, 14 printed; decode problems: .*5 malformed-options/);
  });

  it('-c N stops after N packets; -n is accepted', () => {
    const r = run(['print', '-n', '-c', '3', join(CAP, 'toa-variants.pcap')]);
    expect(lines(r.out)).toHaveLength(3);
    expect(r.err).toBe('');
  });

  it('filters: --port, --host (v4, v6), --toa-only', () => {
    const f = join(CAP, 'toa-variants.pcap');
    const port = lines(run(['print', '--port', '40003', f]).out);
    expect(port).toHaveLength(6);
    expect(port.every((l) => l.includes('.40003'))).toBe(true);
    expect(lines(run(['print', '--host', '2001:db8:200::5', f]).out)).toHaveLength(3 * 6);
    expect(lines(run(['print', '--host', '10.0.0.5', '--port', '40000', f]).out)).toHaveLength(6);
    const toa = lines(run(['print', '--toa-only', f]).out);
    expect(toa).toHaveLength(VARIANT_FIXTURES.length + 2);
    expect(toa.every((l) => l.includes('toa '))).toBe(true);
    const mal = lines(run(['print', '--toa-only', join(CAP, 'malformed-options.pcap')]).out);
    expect(mal.some((l) => l.includes('after eol'))).toBe(true);
    expect(mal.some((l) => l.includes('after bad opt'))).toBe(true);
  });

  it('reads standard input with "-"', () => {
    const r = run(['print', '-', '-c', '1'], readFileSync(join(CAP, 'link-sll2.pcap')));
    expect(r.code).toBe(0);
    expect(lines(r.out)).toHaveLength(1);
  });

  it('every link-type fixture prints TOA lines', () => {
    for (const l of ['en10mb', 'vlan', 'qinq', 'sll', 'sll2', 'raw', 'null', 'loop', 'ipv4', 'ipv6']) {
      const out = run(['print', '--toa-only', join(CAP, `link-${l}.pcap`)]).out;
      expect(lines(out).length, l).toBe(l === 'ipv4' || l === 'ipv6' ? 1 : 2);
    }
  });

  it('bad input: one line, exit 2, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-print-'));
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello, this is not a capture\n');
    for (const f of [join(dir, 'missing.pcap'), txt]) {
      const r = run(['print', f]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(/^toa-doctor: /);
      expect(r.err).not.toMatch(/at .*\.js:\d+/);
      expect(r.out).toBe('');
    }
    expect(run(['print', '--port', 'http', join(CAP, 'link-raw.pcap')]).code).toBe(2);
    expect(run(['print', '--host', 'example.com', join(CAP, 'link-raw.pcap')]).code).toBe(2);
  });

  it('help mentions the filters and that BPF applies to live capture', () => {
    const r = run(['print', '--help']);
    expect(r.code).toBe(0);
    for (const w of ['--json', '--port', '--host', '--toa-only', '--no-color', '-c, --count', 'BPF'])
      expect(r.out).toContain(w);
  });

  it('a closed pipe (| head -1) ends quietly with exit 0', () => {
    const r = spawnSync('bash', ['-c', `node ${BIN} print ${join(CAP, 'toa-variants.pcap')} | head -1`], {
      env: ENV,
    });
    expect(r.status).toBe(0);
    expect(r.stdout.toString().split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr.toString()).toBe('');
  });
});

describe('toa-doctor print --json', () => {
  it('one object per packet with link/ip/tcp and every TOA decoded', () => {
    const r = run(['print', '--json', join(CAP, 'toa-variants.pcap')]);
    expect(r.code).toBe(0);
    const objs = lines(r.out).map((l) => JSON.parse(l));
    expect(objs).toHaveLength((VARIANT_FIXTURES.length + 4) * 6);
    const first = objs[0];
    expect(first).toMatchObject({
      ts: 1700000000.0005,
      link: 'EN10MB',
      status: 'ok',
      ip: { version: 4, src: '100.64.0.2', dst: '10.0.0.5', ttl: 64, checksum: 'ok' },
      tcp: {
        sport: 40000,
        dport: 80,
        seq: 1000,
        ack: 0,
        flags: 'S',
        win: 64240,
        truncated: false,
        checksum: 'ok',
      },
    });
    expect(first.tcp.options).toEqual([{ kind: 2, length: 4, name: 'mss', raw: '020405b4', mss: 1460 }]);
    const toas = objs.flatMap((o) => o.tcp.options.filter((x: { toa?: unknown }) => x.toa));
    const byVariant = Object.fromEntries(toas.reverse().map((t) => [t.toa.variant, t])); // first wins
    expect(Object.keys(byVariant).sort()).toEqual(VARIANT_FIXTURES.map((v) => v.id).sort());
    expect(byVariant['toa-200-8']).toEqual({
      kind: 200,
      length: 8,
      name: 'toa',
      raw: 'c808d431c000024d',
      toa: { variant: 'toa-200-8', kind: 200, length: 8, family: 'ipv4', address: '192.0.2.77', port: 54321 },
    });
    expect(byVariant['toa-28-7'].toa).toMatchObject({
      address: '192.0.2.81',
      port: null,
      extra: { version: 1 },
    });
    expect(byVariant['toa-254-16'].toa.extra).toEqual({ dstPort: 8080, dstAddress: '10.1.2.3' });
    expect(byVariant['toa-249-40'].toa).toMatchObject({
      family: 'ipv6',
      address: '2001:db8::83',
      port: 6000,
    });
  });

  it('malformed marker, afterEol list, truncated flag, statuses for undecodable frames', () => {
    const objs = lines(run(['print', '--json', join(CAP, 'malformed-options.pcap')]).out).map((l) =>
      JSON.parse(l),
    );
    expect(objs[0].tcp.malformed).toEqual({ kind: 99, length: 0, malformed: 'zero-length', at: 2 });
    expect(objs[4].tcp.malformed.malformed).toBe('after-eol');
    expect(objs[4].tcp.afterEol[0].toa.address).toBe('192.0.2.2');
    expect(objs[7].status).toBe('bad-tcp');
    expect(objs[9].tcp.truncated).toBe(true);
    expect(objs[9].tcp.checksum).toBe('unverifiable');
    expect(objs[10]).toMatchObject({ status: 'truncated', tcp: { sport: 40000, truncated: true } });
    expect(objs[11]).toMatchObject({ status: 'ip-fragment', ip: { fragOffset: 800 } });
    expect(objs[11].tcp).toBeUndefined();
    expect(objs[12].ip.checksum).toBe('bad');
    expect(objs[13].tcp.checksum).toBe('bad');
    // an unknown link type still gets a line
    const dir = mkdtempSync(join(tmpdir(), 'toa-print-'));
    const f = join(dir, 'lt147.pcap');
    writeFileSync(f, writePcap([{ data: Buffer.alloc(40, 1) }], { linkType: 147 }));
    const u = JSON.parse(run(['print', '--json', f]).out);
    expect(u).toMatchObject({ link: 'LINKTYPE_147', status: 'unknown-linktype' });
    expect(run(['print', f]).out).toContain('[link type 147 not supported]');
  });

  it('tcp.options in the JSON equal decodeOptions (fast path == allocated path), random lists', () => {
    const pkt = createDecodedPacket() as DecodedPacket;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom([1], [0], [2, 4, 5, 0xb4], [3, 3, 7], [4, 2], [8, 10, 1, 2, 3, 4, 5, 6, 7, 8]),
            fc.constantFrom([200, 8, 0, 80, 1, 2, 3, 4], [28, 7, 1, 1, 2, 3, 4], [254, 4, 0xf9, 0x89]),
            fc.uint8Array({ maxLength: 6 }).map((a) => [...a]),
          ),
          { maxLength: 10 },
        ),
        fc.nat(60),
        (parts, cut) => {
          const o = parts.flat().slice(0, 40);
          const bytes = linkWrap(
            'en10mb',
            ipTcp({ src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 2, options: o }),
          );
          const caplen = Math.max(14 + 20 + 20, bytes.length - cut);
          let checked = false;
          readCaptureBuffer(writePcap([{ data: bytes.subarray(0, caplen), origLen: bytes.length }]), (f) => {
            decodePacket(f, pkt);
            if (pkt.status !== DecodeStatus.OK) return;
            const j = JSON.parse(packetJson(f, pkt));
            const d = decodeOptions(f.buf, pkt.tcpOffset + 20, pkt.dataOffset * 4 - 20, pkt.capturedEnd);
            const want: Record<string, unknown> = { options: JSON.parse(JSON.stringify(d.options)) };
            if (d.malformed) want.malformed = d.malformed;
            if (d.afterEol.length) want.afterEol = JSON.parse(JSON.stringify(d.afterEol));
            want.truncated = d.truncated;
            const got = {
              options: j.tcp.options,
              malformed: j.tcp.malformed,
              afterEol: j.tcp.afterEol,
              truncated: j.tcp.truncated,
            };
            for (const k of Object.keys(got) as Array<keyof typeof got>)
              if (got[k] === undefined) delete got[k];
            expect(got).toEqual(want);
            checked = true;
          });
          expect(checked).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('worker-parallel printing (large unfiltered files)', () => {
  it('prints the same bytes, in order, as the single-threaded path (text and --json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-print-'));
    // many batches: the variants capture repeated 60 times (~6000 packets)
    const one = readFileSync(join(CAP, 'toa-variants.pcap'));
    const recs: Array<{ data: Buffer; ts: number }> = [];
    readCaptureBuffer(one, (f) => {
      recs.push({
        data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.capturedLength)),
        ts: f.tsSec + f.tsNsec / 1e9,
      });
    });
    const big = join(dir, 'big.pcap');
    writeFileSync(big, writePcap(Array.from({ length: 60 }, () => recs).flat(), { linkType: 1 }));
    for (const args of [['--json'], [], ['-v'], ['-e', '-X', '-tt']]) {
      const seq = spawnSync('node', [BIN, 'print', ...args, big], {
        env: { ...ENV, TOA_DOCTOR_PRINT_WORKERS: '0' },
        maxBuffer: 256 << 20,
      });
      const par = spawnSync('node', [BIN, 'print', ...args, big], {
        env: { ...ENV, TOA_DOCTOR_PRINT_WORKERS: '2' },
        maxBuffer: 256 << 20,
      });
      expect(par.status).toBe(0);
      // one packet line each (starting with its timestamp; -v and -X add indented lines)
      expect(lines(par.stdout.toString()).filter((l) => /^[\d{]/.test(l))).toHaveLength(recs.length * 60);
      expect(par.stdout.equals(seq.stdout), `print ${args.join(' ')}`).toBe(true);
    }
  });
  it('a closed pipe stops the workers quietly', () => {
    const r = spawnSync(
      'bash',
      ['-c', `node ${BIN} print --json ${join(CAP, 'toa-variants.pcap')} | head -2`],
      {
        env: { ...ENV, TOA_DOCTOR_PRINT_WORKERS: '2' },
      },
    );
    expect(r.status).toBe(0);
    expect(lines(r.stdout.toString())).toHaveLength(2);
    expect(r.stderr.toString()).toBe('');
  });
});

describe('colours', () => {
  async function printTo(opts: Parameters<typeof runPrint>[1], colorCapable: boolean): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'toa-print-'));
    const out = join(dir, 'out.txt');
    const fd = openSync(out, 'w');
    try {
      await runPrint(join(CAP, 'toa-variants.pcap'), opts, {
        fd,
        colorCapable,
        stderrTty: false,
        stderr: () => {},
      });
    } finally {
      closeSync(fd);
    }
    return readFileSync(out, 'utf8');
  }
  it('only on a colour-capable terminal, and never with --no-color or --json', async () => {
    expect(await printTo({}, true)).toMatch(/\x1b\[32mtoa 192\.0\.2\.77:54321 \(200\/8\)\x1b\[39m/);
    expect(await printTo({}, false)).not.toMatch(/\x1b\[/);
    expect(await printTo({ color: false }, true)).not.toMatch(/\x1b\[/);
    expect(await printTo({ json: true }, true)).not.toMatch(/\x1b\[/);
  });
  it('NO_COLOR in the environment disables colours even on a TTY (process default)', () => {
    const r = spawnSync(
      'script',
      ['-qec', `NO_COLOR=1 TZ=UTC node ${BIN} print -c 2 ${join(CAP, 'toa-variants.pcap')}`, '/dev/null'],
      { env: ENV },
    );
    if (r.error) return; // util-linux `script` not installed: covered by the in-process test
    expect(r.stdout.toString()).not.toMatch(/\x1b\[3/);
    const colored = spawnSync(
      'script',
      ['-qec', `TZ=UTC node ${BIN} print --toa-only -c 1 ${join(CAP, 'toa-variants.pcap')}`, '/dev/null'],
      { env: { ...process.env, NO_COLOR: '' } },
    );
    expect(colored.stdout.toString()).toMatch(/\x1b\[32mtoa/);
  });
});
