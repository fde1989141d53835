/**
 * Differential tests: the same files read by pcap-parser, tcpdump and tshark, compared record by record.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pcapParser from 'pcap-parser';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/reader.js';
import { ipTcp, linkWrap, type NgPacket, type Rec, writePcap, writePcapng } from '../helpers/packets.js';
import { commandMissingReason, toolSkipReason } from '../helpers/tools.js';
import { collector, rng } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-oracle-'));

// a missing oracle is a printed skip, and a failure under CI (test/helpers/tools.ts)
const NO_TCPDUMP = toolSkipReason([commandMissingReason('tcpdump')], undefined, 'tcpdump oracle tests');
const NO_TSHARK = toolSkipReason([commandMissingReason('tshark')], undefined, 'tshark oracle tests');
const IS_ROOT = process.getuid?.() === 0;

/** Random records: sizes 0..1600, random µs, some snaplen-cut. */
function randomRecs(n: number, seed: number): Rec[] {
  const r = rng(seed);
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.floor(r() * 1600);
    const data = Buffer.alloc(len);
    for (let j = 0; j < len; j++) data[j] = Math.floor(r() * 256);
    const ts = 1_600_000_000 + Math.floor(r() * 1e8) + Math.floor(r() * 1e6) / 1e6;
    out.push({ data, ts, origLen: r() < 0.2 ? len + Math.floor(r() * 5000) : len });
  }
  return out;
}

function write(name: string, b: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

async function ours(path: string) {
  const { sink, got } = collector();
  const summary = await readCaptureFile(path, sink);
  return { summary, got };
}

describe('pcap-parser oracle (classic pcap)', () => {
  for (const bigEndian of [false, true])
    it(`every record matches pcap-parser (${bigEndian ? 'big' : 'little'}-endian, 2000 random records)`, async () => {
      const path = write(
        `oracle-${bigEndian}.pcap`,
        writePcap(randomRecs(2000, 42), { bigEndian, linkType: 1 }),
      );
      const theirs: Array<{ s: number; us: number; cap: number; orig: number; hex: string }> = [];
      await new Promise<void>((resolve, reject) => {
        const p = pcapParser.parse(createReadStream(path));
        p.on('packet', ({ header, data }) =>
          theirs.push({
            s: header.timestampSeconds,
            us: header.timestampMicroseconds,
            cap: header.capturedLength,
            orig: header.originalLength,
            hex: data.toString('hex'),
          }),
        );
        p.on('end', () => resolve());
        p.on('error', reject);
      });
      const { got, summary } = await ours(path);
      expect(theirs.length).toBe(2000);
      expect(summary.packets).toBe(2000);
      expect(
        got.map((g) => ({
          s: g.tsSec,
          us: g.tsNsec / 1000,
          cap: g.capturedLength,
          orig: g.originalLength,
          hex: g.hex,
        })),
      ).toEqual(theirs);
    });
});

/** tcpdump's own count of a file. */
function tcpdumpCount(path: string): number {
  const out = execFileSync('tcpdump', ['-r', path, '-nn', '--count'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
  const m = /(\d+) packets?/.exec(out);
  if (!m) throw new Error(`unexpected tcpdump output: ${out}`);
  return Number(m[1]);
}

/** tshark's per-frame view: epoch time (string, exact), cap_len, len, interface id, encapsulation. */
function tsharkFrames(path: string): Array<{ t: string; cap: number; len: number; ifc: number }> {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      path,
      '-T',
      'fields',
      '-e',
      'frame.time_epoch',
      '-e',
      'frame.cap_len',
      '-e',
      'frame.len',
      '-e',
      'frame.interface_id',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 },
  ).toString();
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [t, cap, len, ifc] = line.split('\t');
      return { t, cap: Number(cap), len: Number(len), ifc: Number(ifc || 0) };
    })
    .filter((f) => f.t !== ''); // tshark lists pcapng custom blocks (0x00000bad) as frames without a time
}
/** our timestamp in tshark's epoch format (9 fraction digits) */
const epoch = (s: number, ns: number) => `${s}.${String(ns).padStart(9, '0')}`;

describe.skipIf(NO_TCPDUMP !== null)('tcpdump-written files', () => {
  it('a file rewritten by tcpdump -r/-w reads the same, and the counts agree', async () => {
    const src = write('gen.pcap', writePcap(randomRecs(500, 7), { linkType: 1 }));
    const out = join(dir, 'tcpdump-rewritten.pcap');
    execFileSync('tcpdump', ['-r', src, '-w', out], { stdio: 'ignore' });
    const a = await ours(src);
    const b = await ours(out);
    expect(b.got).toEqual(a.got);
    expect(b.summary.packets).toBe(tcpdumpCount(out));
  });

  it('tcpdump --time-stamp-precision=nano rewrites into a nanosecond pcap that reads the same', async () => {
    const src = write('gen2.pcap', writePcap(randomRecs(200, 8), { linkType: 1 }));
    const out = join(dir, 'tcpdump-nano.pcap');
    execFileSync('tcpdump', ['--time-stamp-precision=nano', '-r', src, '-w', out], { stdio: 'ignore' });
    const b = await ours(out);
    expect(b.summary.format).toBe('pcap-ns');
    expect(b.got).toEqual((await ours(src)).got);
  });

  it.runIf(IS_ROOT)(
    'a real loopback capture (tcpdump -i lo, HTTP over 127.0.0.1): count matches tcpdump and tshark',
    async () => {
      const server = createServer((_req, res) => res.end('hello from toa-doctor tests\n'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const results: Array<{ file: string; link: number }> = [];
      try {
        for (const [iface, extra, link] of [
          ['lo', [], 1],
          ['any', ['--time-stamp-precision=nano'], 276],
        ] as const) {
          const file = join(dir, `lo-${iface}.pcap`);
          // --immediate-mode: on this VM's kernel a TPACKET_V3 ring block is never handed to tcpdump
          // before it exits, so without it the file stays empty ("0 packets captured")
          const td = spawn(
            'tcpdump',
            [
              '-i',
              iface,
              '--immediate-mode',
              '-U',
              '-s',
              '0',
              ...extra,
              '-w',
              file,
              'tcp',
              'port',
              String(port),
            ],
            {
              stdio: ['ignore', 'ignore', 'pipe'],
            },
          );
          const exited = new Promise((r) => td.on('exit', r));
          await new Promise<void>((resolve, reject) => {
            let err = '';
            td.stderr.on('data', (d) => {
              err += d;
              if (err.includes('listening on')) resolve();
            });
            td.on('exit', () => reject(new Error(`tcpdump exited: ${err}`)));
          });
          for (let i = 0; i < 5; i++) {
            const res = await fetch(`http://127.0.0.1:${port}/${i}`, { headers: { connection: 'close' } });
            await res.text();
          }
          await new Promise((r) => setTimeout(r, 300));
          td.kill('SIGINT');
          await exited;
          results.push({ file, link });
        }
      } finally {
        server.close();
      }
      for (const { file, link } of results) {
        const { summary, got } = await ours(file);
        expect(summary.packets).toBeGreaterThanOrEqual(25); // 5 connections: handshake, request, response, close
        expect(summary.linkTypes).toEqual({ [link]: summary.packets });
        expect(summary.packets).toBe(tcpdumpCount(file));
        if (NO_TSHARK === null) {
          const t = tsharkFrames(file);
          expect(
            got.map((g) => ({
              t: epoch(g.tsSec, g.tsNsec),
              cap: g.capturedLength,
              len: g.originalLength,
              ifc: 0,
            })),
          ).toEqual(t);
        }
      }
    },
  );
});

describe.skipIf(NO_TSHARK !== null)('tshark oracle (pcapng)', () => {
  const ip4 = ipTcp({ src: '192.0.2.1', dst: '198.51.100.2', sport: 1234, dport: 80, flags: 'S' });
  const ip6 = ipTcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 1234, dport: 443, flags: 'SA' });

  for (const bigEndian of [false, true])
    it(`two interfaces (µs Ethernet + ns SLL2), ${bigEndian ? 'big' : 'little'}-endian: every frame matches tshark`, async () => {
      const r = rng(99);
      const pkts: NgPacket[] = [];
      for (let i = 0; i < 300; i++) {
        const iface = r() < 0.5 ? 0 : 1;
        pkts.push({
          data: linkWrap(iface ? 'sll2' : 'en10mb', r() < 0.3 ? ip6 : ip4),
          iface,
          ts: 1_700_000_000 + i + Math.floor(r() * 1e6) / 1e6,
          kind: r() < 0.1 ? 'pb' : 'epb',
        });
      }
      const path = write(
        `two-if-${bigEndian}.pcapng`,
        writePcapng(
          [
            { linkType: 1, tsresol: 6 },
            { linkType: 276, tsresol: 9 },
          ],
          pkts,
          { bigEndian, unknownBlocks: true },
        ),
      );
      const { got, summary } = await ours(path);
      const t = tsharkFrames(path);
      expect(t.length).toBe(300);
      expect(summary.packets).toBe(300);
      expect(
        got.map((g) => ({
          t: epoch(g.tsSec, g.tsNsec),
          cap: g.capturedLength,
          len: g.originalLength,
          ifc: g.interfaceId,
        })),
      ).toEqual(t);
    });

  it('a multi-section file made by mergecap/editcap (Wireshark writer) matches tshark', async () => {
    const a = write('m-a.pcap', writePcap(randomRecs(100, 1), { linkType: 1 }));
    const b = write('m-b.pcap', writePcap(randomRecs(100, 2), { linkType: 101, nano: true }));
    const merged = join(dir, 'merged.pcapng');
    execFileSync('mergecap', ['-F', 'pcapng', '-w', merged, a, b], { stdio: 'ignore' });
    const an = join(dir, 'a.pcapng');
    execFileSync('editcap', ['-F', 'pcapng', a, an], { stdio: 'ignore' });
    const { got, summary } = await ours(merged);
    expect(summary.linkTypes).toEqual({ 1: 100, 101: 100 });
    expect(
      got.map((g) => ({
        t: epoch(g.tsSec, g.tsNsec),
        cap: g.capturedLength,
        len: g.originalLength,
        ifc: g.interfaceId,
      })),
    ).toEqual(tsharkFrames(merged));
    expect((await ours(an)).got.map((g) => g.hex)).toEqual((await ours(a)).got.map((g) => g.hex));
  });
});
