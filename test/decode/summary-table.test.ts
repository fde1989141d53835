import { describe, expect, it } from 'vitest';
import { createOptionSummary, summarizeOptions } from '../../src/decode/tcp.js';
import { TFO_EXID, TOA_VARIANTS, toaVariantAt } from '../../src/decode/toa.js';

describe('summarizeOptions: the (kind, length) table agrees with the TOA table and the kind flags', () => {
  it('every kind 2..255 with lengths 2..44, with and without the TFO ExID', () => {
    const s = createOptionSummary();
    for (let k = 2; k < 256; k++)
      for (let n = 2; n <= 44; n++)
        for (const exid of [0x1234, TFO_EXID]) {
          const buf = new Uint8Array(n).fill(0x11);
          buf[0] = k;
          buf[1] = n;
          if (n >= 4) {
            buf[2] = exid >> 8;
            buf[3] = exid & 0xff;
          }
          summarizeOptions(buf, 0, n, n, s);
          const vi = toaVariantAt(buf, 0, k, n);
          expect(s.toaVariant).toBe(vi);
          expect(s.toaCount).toBe(vi >= 0 && TOA_VARIANTS[vi].carriesClient ? 1 : 0);
          expect(s.toaExtCount).toBe(vi >= 0 && !TOA_VARIANTS[vi].carriesClient ? 1 : 0);
          expect(s.toaKind).toBe(vi >= 0 ? k : -1);
          expect(s.hasMss).toBe(k === 2);
          expect(s.hasTimestamps).toBe(k === 8);
          expect(s.hasMd5).toBe(k === 19);
          expect(s.hasAo).toBe(k === 29);
          expect(s.hasMptcp).toBe(k === 30);
          expect(s.hasTfo).toBe(k === 34 || (k === 254 && n >= 4 && exid === TFO_EXID));
          expect(s.optionBytesUsed).toBe(n);
        }
  });
});
