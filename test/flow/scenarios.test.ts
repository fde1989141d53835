import { describe, expect, it } from 'vitest';
import type { AnalysisResult } from '../../src/flow/result.js';
import type { FlowRecord, ProfileName } from '../../src/flow/types.js';
import { captureOf, SCENARIOS, scenarioConns } from '../helpers/scenarios.js';
import { analyze } from './util.js';

function only(r: AnalysisResult): FlowRecord {
  const flows = [...r.flows];
  expect(flows).toHaveLength(1);
  return flows[0]!;
}

describe('every scenario gets its verdict', () => {
  for (const s of SCENARIOS) {
    it(`${s.name} → ${s.verdict} (auto)`, () => {
      const f = only(analyze(captureOf(scenarioConns(s.name))));
      expect(f.verdict, f.reason).toBe(s.verdict);
      expect(f.family).toBe(s.family);
      expect(f.reason.length).toBeGreaterThan(5);
    });
    if (s.profile) {
      it(`${s.name} → ${s.profileVerdict} (--profile ${s.profile})`, () => {
        const f = only(analyze(captureOf(scenarioConns(s.name)), { profile: s.profile as ProfileName }));
        expect(f.verdict, f.reason).toBe(s.profileVerdict);
      });
    }
  }
});

describe('flow record facts', () => {
  it('records the handshake, TOA sightings, option room and the client rule', () => {
    const f = only(analyze(captureOf(scenarioConns('ok-254'))));
    expect(f.clientRule).toBe('syn');
    expect(f.client).toEqual({ address: '10.0.0.1', port: 30000 });
    expect(f.server).toEqual({ address: '10.0.1.5', port: 80 });
    expect(f.syn?.seq).toBe(1000);
    expect(f.synAck?.seq).toBe(5000);
    expect(f.handshakeAck?.ack).toBe(5001);
    expect(f.handshakeAck?.toa).toEqual([
      { variant: 'toa-254-8', kind: 254, length: 8, family: 'ipv4', address: '203.0.113.1', port: 40000 },
    ]);
    expect(f.handshakeAck?.optionAreaLength).toBe(20);
    expect(f.handshakeAck?.optionBytesFree).toBe(20);
    expect(f.firstData?.payloadLength).toBeGreaterThan(0);
    expect(f.firstData?.toa[0]?.address).toBe('203.0.113.1');
    expect(f.toa?.packets).toEqual(['ack', 'data']);
    expect(f.fin).toBe(true);
    expect(f.packets).toEqual({ toServer: 4, toClient: 2 });
  });

  it('marks TFO and reads the SYN', () => {
    const f = only(analyze(captureOf(scenarioConns('ok-tfo-syn'))));
    expect(f.tfo).toBe(true);
    expect(f.syn?.tfo).toBe(true);
    expect(f.toa?.packets).toContain('syn');
  });

  it('a 254/8 TOA with client port 0xF989 is a TOA, not a TFO cookie, on the ACK', () => {
    const f = only(analyze(captureOf(scenarioConns('ok-254-port-63881'))));
    expect(f.toa).toMatchObject({ kind: 254, length: 8, port: 63881, packets: ['ack'] });
    expect(f.tfo).toBe(false);
    expect(f.reason).toMatch(/0xF989/);
  });

  it('server-speaks-first', () => {
    const f = only(analyze(captureOf(scenarioConns('server-first-ok'))));
    expect(f.serverSpokeFirst).toBe(true);
    expect(f.handshakeAck?.toa).toHaveLength(1);
  });

  it('malformed: marks where the option list broke', () => {
    const f = only(analyze(captureOf(scenarioConns('malformed-break'))));
    expect(f.handshakeAck?.breakReason).toBe('zero-length');
    expect(f.handshakeAck?.toaAfterBreak).toBe(true);
    expect(f.toa).toMatchObject({ kind: 200, length: 8, address: '203.0.113.1', packets: ['ack'] });
    expect(f.handshakeAck?.toa).toEqual([]);
    expect(f.reason).toMatch(/breaks \(zero-length\) before TOA 200\/8/);
    const g = only(analyze(captureOf(scenarioConns('malformed-eol'))));
    expect(g.handshakeAck?.toaAfterEol).toBe(true);
    expect(g.toa?.address).toBe('203.0.113.1');
    expect(g.reason).toMatch(/TOA 200\/8 sits after EOL/);
  });

  it('one-direction capture: the handshake ACK is inferred from the SYN', () => {
    const r = analyze(captureOf(scenarioConns('one-direction-ok')));
    expect(r.stats.inferredAcks).toBe(1);
    expect(r.stats.oneDirection).toBe(1);
  });

  it('no-room MISSING mentions the free option bytes', () => {
    const f = only(analyze(captureOf(scenarioConns('missing-no-room'))));
    expect(f.handshakeAck?.optionBytesFree).toBe(4);
    expect(f.reason).toMatch(/4 option bytes free/);
  });

  it('bad checksum is recorded on the ACK', () => {
    const f = only(analyze(captureOf(scenarioConns('bad-checksum'))));
    expect(f.handshakeAck?.checksum).toBe(2);
  });
});
