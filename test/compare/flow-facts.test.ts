/**
 * The flow/ facts compare needs (AnalyzerOptions.compareFacts): the captured option bytes of the
 * SYN, handshake ACK and first data, and a digest of the first request; absent unless asked for,
 * and kept correctly when the table grows past its first allocation.
 */
import { describe, expect, it } from 'vitest';
import { createFrame, type Frame } from '../../src/capture/types.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import type { FlowRecord } from '../../src/flow/types.js';
import { LINKTYPE, linkWrap } from '../helpers/packets.js';
import { leg, type Pkt, withToa } from './gen.js';

function frames(pkts: Pkt[]): Frame[] {
  return pkts.map((p) => {
    const f = createFrame(linkWrap('en10mb', p.ip), LINKTYPE.en10mb);
    f.capturedLength = f.originalLength = f.buf.length;
    f.tsSec = Math.floor(p.ts);
    f.tsNsec = Math.round((p.ts - f.tsSec) * 1e9);
    return f;
  });
}

function analyse(pkts: Pkt[], compareFacts: boolean, initialSlots?: number): FlowRecord[] {
  const a = new Analyzer({ compareFacts, initialSlots });
  for (const f of frames(pkts)) a.push(f);
  return [...a.finish().flows];
}

const toa = withToa('203.0.113.7', 55555);

describe('compare facts in flow records', () => {
  it('keeps option bytes per packet and a first-request digest', () => {
    const pk = leg({
      client: '10.0.0.7',
      cport: 2000,
      server: '10.0.1.5',
      sport: 80,
      t0: 1e9,
      ackOptions: toa,
      request: 'GET /a HTTP/1.0\r\n\r\n',
    });
    const [r] = analyse(pk, true);
    expect(r!.handshakeAck!.optionBytes).toBe(Buffer.from(toa).toString('hex'));
    expect(r!.syn!.optionBytes).toBe('020405b401010402');
    expect(r!.firstData!.payloadDigest).toMatch(/^[0-9a-f]{16}\/19$/);
    expect(r!.handshakeAck!.payloadDigest).toBeUndefined();
    // another request, another digest; the same request, the same digest
    const [r2] = analyse(
      leg({
        client: '10.0.0.8',
        cport: 2001,
        server: '10.0.1.5',
        sport: 80,
        t0: 1e9,
        request: 'GET /b HTTP/1.0\r\n\r\n',
      }),
      true,
    );
    const [r3] = analyse(
      leg({
        client: '10.0.0.9',
        cport: 2002,
        server: '10.0.1.5',
        sport: 80,
        t0: 1e9,
        request: 'GET /a HTTP/1.0\r\n\r\n',
      }),
      true,
    );
    expect(r2!.firstData!.payloadDigest).not.toBe(r!.firstData!.payloadDigest);
    expect(r3!.firstData!.payloadDigest).toBe(r!.firstData!.payloadDigest);
  });

  it('adds nothing to the records of a plain analysis (read)', () => {
    const [r] = analyse(
      leg({ client: '10.0.0.7', cport: 2000, server: '10.0.1.5', sport: 80, t0: 1e9, ackOptions: toa }),
      false,
    );
    expect(r!.handshakeAck).not.toHaveProperty('optionBytes');
    expect(r!.firstData).not.toHaveProperty('payloadDigest');
  });

  it('survives the table growing (slots copied with their facts)', () => {
    const pk: Pkt[] = [];
    for (let i = 0; i < 40; i++)
      pk.push(
        ...leg({
          client: `10.0.${i >> 8}.${i & 255}`,
          cport: 3000 + i,
          server: '10.0.1.5',
          sport: 80,
          t0: 1e9 + i * 0.01,
          ackOptions: withToa(`203.0.113.${i + 1}`, 1000 + i),
          request: `GET /${i} HTTP/1.0\r\n\r\n`,
        }),
      );
    pk.sort((x, y) => x.ts - y.ts);
    const recs = analyse(pk, true, 4);
    expect(recs).toHaveLength(40);
    for (const r of recs) {
      const i = r.client.port - 3000;
      expect(r.handshakeAck!.optionBytes).toBe(
        Buffer.from(withToa(`203.0.113.${i + 1}`, 1000 + i)).toString('hex'),
      );
      expect(r.firstData!.payloadDigest!.endsWith(`/${`GET /${i} HTTP/1.0\r\n\r\n`.length}`)).toBe(true);
    }
  });
});
