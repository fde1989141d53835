import { describe, expect, it } from 'vitest';
import { IpAnonymizer } from '../../src/bundle/anonymize.js';
import { CaptureAnonymizer } from '../../src/bundle/anonymize-capture.js';
import type { Frame } from '../../src/capture/types.js';
import {
  ChecksumStatus,
  createDecodedPacket,
  type DecodedPacket,
  decodePacket,
  decodeToa,
  ipv4HeaderChecksumOk,
  TOA_VARIANTS,
  tcpChecksum,
} from '../../src/decode/index.js';
import { ipTcp, ipToBytes, linkWrap, MSS_OPT, NOP, TS_OPT, toaOption } from '../helpers/packets.js';

const KEY = Buffer.alloc(32, 7);

function frame(bytes: Buffer, linkType = 1, capLen = bytes.length): Frame {
  return {
    tsSec: 1,
    tsNsec: 0,
    linkType,
    capturedLength: capLen,
    originalLength: bytes.length,
    buf: Buffer.from(bytes),
    offset: 0,
    interfaceId: 0,
  };
}

function decode(f: Frame): DecodedPacket {
  return decodePacket(f, createDecodedPacket()) as DecodedPacket;
}

function toaAt(f: Frame, p: DecodedPacket) {
  return decodeToa(f.buf, p.opts.toaOffset, p.opts.toaVariant);
}

function variant(kind: number, len: number): number {
  return TOA_VARIANTS.findIndex((v) => v.kind === kind && v.length === len);
}

function run(bytes: Buffer, linkType = 1) {
  const ip = new IpAnonymizer(KEY);
  const anon = new CaptureAnonymizer(ip);
  const f = frame(bytes, linkType);
  const before = decode(f);
  const ckBefore = tcpChecksum(f, before);
  const ipOkBefore = before.ipVersion === 4 ? ipv4HeaderChecksumOk(f.buf, before.ipOffset, 20) : null;
  const kept = anon.apply(f, before);
  const after = decode(f);
  return { ip, anon, f, kept, after, ckBefore, ckAfter: tcpChecksum(f, after), ipOkBefore };
}

describe('capture anonymization', () => {
  it('rewrites IPv4 header and classic TOA addresses, keeps the checksums valid', () => {
    const bytes = linkWrap(
      'en10mb',
      ipTcp({
        src: '198.51.100.7',
        dst: '10.0.0.5',
        sport: 40000,
        dport: 80,
        flags: 'A',
        options: [...toaOption(200, '203.0.113.9', 51234), ...TS_OPT],
      }),
    );
    const { ip, f, kept, after, ckBefore, ckAfter } = run(bytes);
    expect(kept).toBe(true);
    expect(ckBefore).toBe(ChecksumStatus.OK);
    expect(ckAfter).toBe(ChecksumStatus.OK);
    expect(ipv4HeaderChecksumOk(f.buf, after.ipOffset, 20)).toBe(true);
    const t = toaAt(f, after);
    expect(t.address).toBe(ip.mapText('203.0.113.9'));
    expect(t.port).toBe(51234);
    expect(f.buf.includes(ipToBytes('198.51.100.7'))).toBe(false);
    expect(f.buf.includes(ipToBytes('203.0.113.9'))).toBe(false);
    expect(f.buf.includes(Buffer.from([0x00, 0x16, 0x3e, 0, 0, 1]))).toBe(false); // MAC rewritten
  });

  it('keeps a bad TCP checksum bad by the same amount', () => {
    const spec = {
      src: '198.51.100.7',
      dst: '10.0.0.5',
      sport: 40000,
      dport: 80,
      flags: 'A',
      options: toaOption(254, '203.0.113.9', 1),
    };
    const good = run(linkWrap('en10mb', ipTcp(spec)));
    const bad = run(linkWrap('en10mb', ipTcp({ ...spec, badChecksum: true })));
    expect(bad.ckBefore).toBe(ChecksumStatus.BAD);
    expect(bad.ckAfter).toBe(ChecksumStatus.BAD);
    const t = bad.after.tcpOffset + 16;
    const g = good.after.tcpOffset + 16;
    // the original bad value was good + 0x1111; the same offset survives
    expect((bad.f.buf.readUInt16BE(t) - good.f.buf.readUInt16BE(g) + 0x10000) & 0xffff).toBe(0x1111);
  });

  it('rewrites IPv6 headers and 20-byte TOA, and every address field of extended variants', () => {
    const v6 = run(
      linkWrap(
        'sll2',
        ipTcp({
          src: '2001:db8:1::10',
          dst: '2001:db8:2::20',
          sport: 1,
          dport: 443,
          flags: 'A',
          options: toaOption(254, '2001:db8:aaaa::1', 4242),
        }),
      ),
      276,
    );
    expect(v6.ckAfter).toBe(ChecksumStatus.OK);
    expect(toaAt(v6.f, v6.after).address).toBe(v6.ip.mapText('2001:db8:aaaa::1'));
    expect(v6.f.buf.includes(ipToBytes('2001:db8:1::10'))).toBe(false);

    // 252/20: client + VIP; TTGW 254/16: client + destination
    const opt252 = [
      252,
      20,
      0x10,
      0x00,
      ...ipToBytes('203.0.113.50'),
      0,
      0,
      0,
      9,
      ...ipToBytes('192.0.2.80'),
      0,
      80,
      0,
      0,
    ];
    const opt16 = [
      254,
      16,
      0x10,
      0x01,
      ...ipToBytes('203.0.113.51'),
      0,
      0,
      0x1f,
      0x90,
      ...ipToBytes('192.0.2.81'),
    ];
    for (const opt of [opt252, opt16]) {
      const r = run(
        linkWrap(
          'raw',
          ipTcp({ src: '100.64.0.1', dst: '10.0.0.5', sport: 1, dport: 80, flags: 'A', options: opt }),
        ),
        101,
      );
      expect(r.ckAfter).toBe(ChecksumStatus.OK);
      const d = decodeToa(r.f.buf, r.after.opts.toaOffset, variant(opt[0]!, opt[1]!));
      const extra = d.extra as Record<string, string>;
      expect(d.address).toBe(r.ip.mapText(opt === opt252 ? '203.0.113.50' : '203.0.113.51'));
      const second = extra.vip ?? extra.dstAddress;
      expect(second).toBe(r.ip.mapText(opt === opt252 ? '192.0.2.80' : '192.0.2.81'));
    }
  });

  it('handles kind-28 CDN TOA at an odd offset (checksum parity)', () => {
    const r = run(
      linkWrap(
        'en10mb',
        ipTcp({
          src: '100.64.0.1',
          dst: '10.0.0.5',
          sport: 1,
          dport: 80,
          flags: 'S',
          options: [NOP, 28, 7, 1, ...ipToBytes('203.0.113.77'), ...MSS_OPT],
        }),
      ),
    );
    expect(r.ckBefore).toBe(ChecksumStatus.OK);
    expect(r.ckAfter).toBe(ChecksumStatus.OK);
    expect(toaAt(r.f, r.after).address).toBe(r.ip.mapText('203.0.113.77'));
  });

  it('zeroes the payload, rewrites TOA after EOL, and drops non-TCP frames', () => {
    const r = run(
      linkWrap(
        'en10mb',
        ipTcp({
          src: '100.64.0.1',
          dst: '10.0.0.5',
          sport: 1,
          dport: 80,
          flags: 'PA',
          options: [0, 0, 0, 0, ...toaOption(200, '203.0.113.88', 7)],
          payload: 'GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.88\r\n\r\n',
        }),
      ),
    );
    expect(r.ckAfter).toBe(ChecksumStatus.OK);
    expect(r.f.buf.includes(Buffer.from('203.0.113.88'))).toBe(false);
    expect(r.f.buf.includes(ipToBytes('203.0.113.88'))).toBe(false);
    expect(r.after.payloadLength).toBeGreaterThan(0);
    expect(r.anon.stats.payloadBytesZeroed).toBe(r.after.payloadLength);

    const udp = ipTcp({ src: '100.64.0.1', dst: '10.0.0.5', sport: 1, dport: 53 });
    udp[9] = 17;
    const u = run(linkWrap('en10mb', udp));
    expect(u.kept).toBe(false);
  });

  it('blanks a TOA option cut by the snaplen', () => {
    const bytes = linkWrap(
      'en10mb',
      ipTcp({
        src: '100.64.0.1',
        dst: '10.0.0.5',
        sport: 1,
        dport: 80,
        flags: 'A',
        options: [...TS_OPT, ...toaOption(254, '2001:db8:ffff::99', 7)],
      }),
    );
    const ip = new IpAnonymizer(KEY);
    const anon = new CaptureAnonymizer(ip);
    const cut = 14 + 20 + 20 + 12 + 10; // inside the IPv6 address
    const f = frame(bytes, 1, cut);
    const p = decode(f);
    expect(anon.apply(f, p)).toBe(true);
    const orig = ipToBytes('2001:db8:ffff::99');
    expect(f.buf.subarray(0, cut).includes(orig.subarray(0, 6))).toBe(false);
  });
});
