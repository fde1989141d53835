import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDecodedPacket,
  type DecodedPacket,
  DecodeStatus,
  decodeOptions,
  decodePacket,
  optionText,
  TOA_VARIANTS,
  tcpChecksum,
} from '../../src/decode/index.js';
import { ipTcp, linkWrap } from '../helpers/packets.js';
import { frameOf } from './util.js';

const LINKS = [0, 1, 101, 108, 113, 228, 229, 276, 147];

describe('decoders never throw and always terminate', () => {
  it('random bytes into decodePacket with every link type', () => {
    const pkt = createDecodedPacket();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(...LINKS),
        fc.nat(300),
        (bytes, lt, cut) => {
          const b = Buffer.from(bytes);
          const f = frameOf(b, lt, { caplen: Math.min(cut, b.length), origLen: b.length });
          decodePacket(f, pkt);
          tcpChecksum(f, pkt);
          expect(pkt.capturedEnd).toBeLessThanOrEqual(f.offset + f.capturedLength);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('valid headers + random option area / random tail bytes', () => {
    const pkt = createDecodedPacket() as DecodedPacket;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 15 }),
        fc.nat(100),
        (opt, v6, doff, cut) => {
          const spec = v6
            ? { src: '2001:db8::1', dst: '2001:db8::2', sport: 1, dport: 2 }
            : { src: '192.0.2.1', dst: '192.0.2.2', sport: 1, dport: 2 };
          const ip = ipTcp({ ...spec, options: Buffer.from(opt) });
          const t = v6 ? 40 : 20;
          ip[t + 12] = (doff << 4) | (ip[t + 12] & 0x0f);
          const f = frameOf(linkWrap('en10mb', ip), 1, { caplen: Math.max(0, 14 + ip.length - cut) });
          decodePacket(f, pkt);
          if (pkt.status === DecodeStatus.OK) {
            // the allocated list and the summary agree
            const area = pkt.dataOffset * 4 - 20;
            const d = decodeOptions(f.buf, pkt.tcpOffset + 20, area, pkt.capturedEnd);
            const s = pkt.opts;
            const clientToa = d.options.find(
              (o) => o.toa && TOA_VARIANTS.find((v) => v.id === o.toa?.variant)?.carriesClient,
            );
            const anyToa = d.options.find((o) => o.toa);
            const first = clientToa ?? anyToa;
            expect(s.toaKind).toBe(first ? first.kind : -1);
            expect(s.toaCount).toBe(
              d.options.filter(
                (o) => o.toa && TOA_VARIANTS.find((v) => v.id === o.toa?.variant)?.carriesClient,
              ).length,
            );
            expect(s.toaAfterEol).toBe(d.afterEol.some((o) => o.toa));
            const brk = d.malformed && d.malformed.malformed !== 'after-eol' ? d.malformed.malformed : 'none';
            expect(s.breakReason === 'truncated' ? 'none' : s.breakReason).toBe(brk);
            expect(d.truncated).toBe(pkt.tcpTruncated);
            expect(s.eolOffset >= 0).toBe(d.options.some((o) => o.kind === 0));
            for (const o of d.options)
              expect(typeof optionText(Buffer.from(o.raw, 'hex'), 0, o.kind, o.length)).toBe('string');
          }
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('random bytes into decodeOptions with random bounds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(90), fc.nat(90), fc.nat(90), (bytes, s, l, c) => {
        const b = Buffer.from(bytes);
        const d = decodeOptions(b, Math.min(s, b.length), l, c);
        JSON.stringify(d);
        for (const o of d.options) expect(o.length).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 20_000 },
    );
  });
});
