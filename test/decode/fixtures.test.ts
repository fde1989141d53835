import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../../src/capture/reader.js';
import {
  createDecodedPacket,
  type DecodedPacket,
  DecodeStatus,
  decodeOptions,
  decodePacket,
  TOA_VARIANTS,
} from '../../src/decode/index.js';
import { allFixtures, FIXTURE_LINKS, malformedCases, VARIANT_FIXTURES } from './fixtures.js';

const DIR = join(import.meta.dirname, '../../fixtures/captures');

function decodeAll(file: string) {
  const pkts: Array<{ pkt: DecodedPacket; options: ReturnType<typeof decodeOptions> | null }> = [];
  readCaptureBuffer(readFileSync(join(DIR, file)), (f) => {
    const pkt = decodePacket(f, createDecodedPacket()) as DecodedPacket;
    const options =
      pkt.status === DecodeStatus.OK
        ? decodeOptions(f.buf, pkt.tcpOffset + 20, pkt.dataOffset * 4 - 20, pkt.capturedEnd)
        : null;
    pkts.push({ pkt: structuredClone(pkt), options });
  });
  return pkts;
}

describe('fixture captures', () => {
  it('are the bytes the builders make (UPDATE_FIXTURES=1 rewrites them)', () => {
    for (const [name, bytes] of Object.entries(allFixtures())) {
      const path = join(DIR, name);
      if (process.env.UPDATE_FIXTURES) writeFileSync(path, bytes);
      expect(existsSync(path), name).toBe(true);
      expect(readFileSync(path).equals(bytes), name).toBe(true);
    }
  });

  for (const link of FIXTURE_LINKS) {
    it(`link-${link}.pcap: every packet decodes as TCP; the ACKs carry TOA`, () => {
      const pkts = decodeAll(`link-${link}.pcap`);
      expect(pkts.length).toBe(link === 'ipv4' || link === 'ipv6' ? 6 : 12);
      for (const { pkt } of pkts) expect(pkt.status).toBe(DecodeStatus.OK);
      const toas = pkts
        .filter((p) => p.pkt.opts.toaVariant >= 0)
        .map((p) => TOA_VARIANTS[p.pkt.opts.toaVariant].id);
      expect(new Set(toas)).toEqual(
        new Set(
          link === 'ipv4' ? ['toa-200-8'] : link === 'ipv6' ? ['toa-253-20'] : ['toa-200-8', 'toa-253-20'],
        ),
      );
    });
  }

  it('toa-variants.pcap carries every variant of the table, decoded', () => {
    const pkts = decodeAll('toa-variants.pcap');
    const seen = new Set<string>();
    for (const { options } of pkts)
      for (const o of options?.options ?? []) if (o.toa) seen.add(o.toa.variant);
    expect([...seen].sort()).toEqual(
      TOA_VARIANTS.filter((v) => !v.carrier)
        .map((v) => v.id)
        .sort(),
    );
    expect(VARIANT_FIXTURES.map((v) => v.id).sort()).toEqual(
      TOA_VARIANTS.filter((v) => !v.carrier)
        .map((v) => v.id)
        .sort(),
    );
  });

  it('mixed-links.pcapng decodes across interfaces with different link types', () => {
    const pkts = decodeAll('mixed-links.pcapng');
    expect(pkts).toHaveLength(6);
    for (const { pkt } of pkts) expect(pkt.status).toBe(DecodeStatus.OK);
  });

  it('malformed-options.pcap: each case decodes to the expected value', () => {
    const pkts = decodeAll('malformed-options.pcap');
    const names = malformedCases().map((c) => c.name);
    expect(pkts).toHaveLength(names.length);
    const by = Object.fromEntries(names.map((n, i) => [n, pkts[i]]));
    expect(by['zero-length'].pkt.opts.breakReason).toBe('zero-length');
    expect(by['zero-length'].pkt.opts.toaAfterBreak).toBe(true);
    expect(by['length-one'].pkt.opts.breakReason).toBe('length-one');
    expect(by.overrun.pkt.opts.breakReason).toBe('overrun');
    expect(by['no-length'].pkt.opts.breakReason).toBe('no-length');
    expect(by['toa-after-eol'].pkt.opts.toaAfterEol).toBe(true);
    expect(by['toa-after-eol'].pkt.opts.toaKind).toBe(-1);
    expect(by['toa-before-break'].pkt.opts.toaKind).toBe(254);
    expect(by['second-toa'].pkt.opts.toaCount).toBe(2);
    expect(by['data-offset-4'].pkt.status).toBe(DecodeStatus.BAD_TCP);
    expect(by['data-offset-past-segment'].pkt.status).toBe(DecodeStatus.BAD_TCP);
    expect(by['snaplen-options'].pkt.tcpTruncated).toBe(true);
    expect(by['snaplen-options'].options?.truncated).toBe(true);
    expect(by['snaplen-tcp-header'].pkt.status).toBe(DecodeStatus.TRUNCATED);
    expect(by['ip-fragment'].pkt.status).toBe(DecodeStatus.IP_FRAGMENT);
    expect(by['bad-ip-checksum'].pkt.ipChecksum).toBe(2);
  });

  it('real tcpdump captures (loopback EN10MB, -i any SLL2, -s 60) decode', () => {
    const lo = decodeAll('real-tcpdump-lo.pcap');
    expect(lo.length).toBeGreaterThan(10);
    expect(lo.every((p) => p.pkt.status === DecodeStatus.OK)).toBe(true);
    expect(lo.some((p) => p.pkt.ipVersion === 6)).toBe(true);
    expect(lo[0].pkt.opts.hasMss && lo[0].pkt.opts.hasTimestamps).toBe(true);
    const any = decodeAll('real-tcpdump-any-sll2.pcap');
    expect(any.every((p) => p.pkt.status === DecodeStatus.OK)).toBe(true);
    const snap = decodeAll('real-tcpdump-lo-snap60.pcap');
    expect(snap[0].pkt.tcpTruncated).toBe(true);
    expect(snap[0].pkt.opts.breakReason).toBe('truncated');
  });
});
