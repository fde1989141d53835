/**
 * Property tests: whatever bytes come in, every reader either returns a summary or throws CaptureError
 * (never anything else, never hangs), and chunking never changes the outcome.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer, readCaptureFile, StreamParser } from '../../src/capture/reader.js';
import { CaptureError, type FrameSink } from '../../src/capture/types.js';
import { connection, linkWrap, toaOption, writePcap, writePcapng } from '../helpers/packets.js';
import { collector, type Got } from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-capprop-'));

const ips = connection({
  client: '100.64.0.2',
  server: '10.0.0.5',
  cport: 40000,
  sport: 80,
  ackOptions: toaOption(200, '192.0.2.77', 54321),
}).map((p) => p.ip);
const eth = ips.map((ip) => ({ data: linkWrap('en10mb', ip) }));

const BASES: Buffer[] = [
  writePcap(eth),
  writePcap(eth, { bigEndian: true, nano: true }),
  writePcapng([{ linkType: 1 }], eth),
  writePcapng(
    [{ linkType: 1 }, { linkType: 101, tsresol: 0x80 | 20 }],
    ips.map((ip, i) => ({
      data: i % 2 ? ip : linkWrap('en10mb', ip),
      iface: i % 2,
      kind: i === 3 ? 'pb' : 'epb',
    })),
    { bigEndian: true, unknownBlocks: true },
  ),
  Buffer.concat([
    writePcapng([{ linkType: 113 }], [{ data: linkWrap('sll', ips[0]) }]),
    writePcapng([{ linkType: 101, snaplen: 30 }], [{ data: ips[1], kind: 'spb' }], { bigEndian: true }),
  ]),
];

type Outcome = { ok: true; got: Got[]; summary: unknown } | { ok: false; code: string; message: string };

function outcome(fn: (sink: FrameSink) => unknown): Outcome {
  const { sink, got } = collector();
  try {
    const summary = fn(sink);
    return { ok: true, got, summary };
  } catch (e) {
    if (e instanceof CaptureError) return { ok: false, code: e.code, message: e.message };
    throw e; // anything else is a bug: fails the property
  }
}

function chunked(buf: Buffer, sizes: number[]): Outcome {
  return outcome((sink) => {
    const p = new StreamParser('prop');
    let off = 0;
    let i = 0;
    while (off < buf.length) {
      const n = Math.max(1, sizes.length ? sizes[i++ % sizes.length] : buf.length);
      p.push(buf.subarray(off, off + n), sink);
      off += n;
    }
    return p.end();
  });
}

/** Same outcome: same frames and summary, or the same error (same message except the "looks like" text). */
function sameOutcome(a: Outcome, b: Outcome): void {
  expect(b.ok).toBe(a.ok);
  if (a.ok && b.ok) {
    expect(b.got).toEqual(a.got);
    expect(b.summary).toEqual(a.summary);
  } else if (!a.ok && !b.ok) {
    expect(b.code).toBe(a.code);
    if (a.code !== 'NOT_A_CAPTURE') expect(b.message).toBe(a.message);
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('set32' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(base: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'set32') {
      if (at + 4 <= b.length) b.writeUInt32LE(m.value, at);
    } else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert')
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
  }
  return b;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });

describe('readers never throw anything but CaptureError, and always terminate', () => {
  it('random bytes (with and without a valid magic in front)', () => {
    const prefixes = [
      Buffer.alloc(0),
      BASES[0].subarray(0, 24),
      BASES[1].subarray(0, 24),
      BASES[2].subarray(0, 28),
      BASES[3].subarray(0, 28),
      Buffer.from([0x1f, 0x8b, 8, 0]),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: prefixes.length - 1 }),
        fc.uint8Array({ maxLength: 2000 }),
        chunkSizes,
        (pi, bytes, sizes) => {
          const buf = Buffer.concat([prefixes[pi], Buffer.from(bytes)]);
          const whole = outcome((sink) => readCaptureBuffer(buf, sink, 'prop'));
          if (buf[0] !== 0x1f) sameOutcome(whole, chunked(buf, sizes));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('randomly mutated valid captures (pcap, pcapng, multi-section)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: BASES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        chunkSizes,
        (bi, ms, sizes) => {
          const buf = mutate(BASES[bi], ms);
          const whole = outcome((sink) => readCaptureBuffer(buf, sink, 'prop'));
          sameOutcome(whole, chunked(buf, sizes));
          sameOutcome(whole, chunked(buf, [1]));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('randomly mutated gzip captures', () => {
    const gzs = BASES.map((b) => gzipSync(b));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: gzs.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (bi, ms) => {
          const buf = mutate(gzs[bi], ms);
          outcome((sink) => readCaptureBuffer(buf, sink, 'prop'));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('readCaptureFile on mutated files (plain and gzip) agrees with readCaptureBuffer', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: BASES.length - 1 }),
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (bi, gz, ms) => {
          const buf = gz ? mutate(gzipSync(BASES[bi]), ms) : mutate(BASES[bi], ms);
          const p = join(dir, `m${k++}.bin`);
          writeFileSync(p, buf);
          const whole = outcome((sink) => readCaptureBuffer(buf, sink, p));
          const { sink, got } = collector();
          let file: Outcome;
          try {
            const summary = await readCaptureFile(p, sink, { chunkSize: 13 });
            file = { ok: true, got, summary };
          } catch (e) {
            if (!(e instanceof CaptureError)) throw e;
            file = { ok: false, code: e.code, message: e.message };
          }
          if (!gz) sameOutcome(whole, file);
          else if (file.ok && whole.ok) {
            // from a stream, zlib may withhold its last output chunk before an error; what came out agrees
            expect(whole.got.slice(0, file.got.length)).toEqual(file.got);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
