import { describe, expect, it } from 'vitest';
import { createDecodedPacket } from '../../src/decode/index.js';
import { FlowTable } from '../../src/flow/table.js';

/** a decoded-packet stand-in: addresses in `buf`, ports on the packet (all lookup() reads) */
function v4(buf: Buffer, src: number, dst: number, sp: number, dp: number) {
  const pkt = createDecodedPacket();
  buf.writeUInt32BE(src >>> 0, 0);
  buf.writeUInt32BE(dst >>> 0, 4);
  pkt.ipVersion = 4;
  pkt.srcAddrOffset = 0;
  pkt.dstAddrOffset = 4;
  pkt.srcPort = sp;
  pkt.dstPort = dp;
  pkt.flags = 2; // SYN: always admitted
  return pkt;
}

describe('flow table hash index (tagged buckets)', () => {
  for (const maxFlows of [5000, 1 << 20, 2 ** 31 - 1]) {
    it(`finds every flow from both directions through growth and removals (maxFlows ${maxFlows})`, () => {
      const t = new FlowTable(maxFlows, () => {}, 64);
      const buf = Buffer.alloc(8);
      const n = 3000;
      const slots: number[] = [];
      const key = (k: number): [number, number, number, number] => [
        0x0a000000 + (k % 97),
        0xc0a80000 + Math.floor(k / 97),
        1024 + (k % 7),
        80,
      ];
      for (let k = 0; k < n; k++) {
        const [s, d, sp, dp] = key(k);
        slots.push(t.lookup(buf, v4(buf, s, d, sp, dp), k));
      }
      expect(new Set(slots).size).toBe(n);
      expect(t.count).toBe(n);
      for (let k = 0; k < n; k++) {
        const [s, d, sp, dp] = key(k);
        expect(t.lookup(buf, v4(buf, d, s, dp, sp), 0)).toBe(slots[k]);
        expect(t.srcIsA).toBe(s > d);
      }
      // remove every other flow (backward-shift deletion), then look the rest up again
      for (let k = 0; k < n; k += 2) t.remove(slots[k]!);
      expect(t.count).toBe(n / 2);
      for (let k = 1; k < n; k += 2) {
        const [s, d, sp, dp] = key(k);
        expect(t.lookup(buf, v4(buf, s, d, sp, dp), 0)).toBe(slots[k]);
      }
      // removed keys come back as new flows
      for (let k = 0; k < n; k += 2) {
        const [s, d, sp, dp] = key(k);
        expect(slots.includes(t.lookup(buf, v4(buf, s, d, sp, dp), 0))).toBe(true);
      }
      expect(t.count).toBe(n);
    });
  }
});
