/**
 * One name table per wire enum, next to the enum: each table names every value of its enum, once.
 */
import { describe, expect, it } from 'vitest';
import { LINKTYPE_NAMES, LinkType, linkTypeName } from '../../src/capture/types.js';
import {
  CHECKSUM_STATUS_NAMES,
  ChecksumStatus,
  DECODE_STATUS_COUNTERS,
  DECODE_STATUS_NAMES,
  DecodeStatus,
  decodeLink,
  type LinkResult,
  OPTION_BREAKS,
  type OptionBreak,
  optionBreakIndex,
  stopReason,
  WalkStop,
} from '../../src/decode/index.js';
import { DECODE_STATUS_KEYS, emptyDecodeCounters } from '../../src/flow/result.js';

/** the numeric members of a TypeScript enum */
function members(e: Record<string, string | number>): number[] {
  return Object.values(e).filter((v): v is number => typeof v === 'number');
}

describe('name tables', () => {
  it('DECODE_STATUS_NAMES names every DecodeStatus, each with its own word', () => {
    const all = members(DecodeStatus);
    expect(Object.keys(DECODE_STATUS_NAMES).map(Number).sort()).toEqual(all.sort());
    expect(new Set(all.map((s) => DECODE_STATUS_NAMES[s as DecodeStatus])).size).toBe(all.length);
  });

  it('DECODE_STATUS_COUNTERS gives every DecodeStatus its own decode counter', () => {
    const all = members(DecodeStatus);
    expect(Object.keys(DECODE_STATUS_COUNTERS).map(Number).sort()).toEqual(all.sort());
    const counters = Object.keys(emptyDecodeCounters()).filter(
      (k) => k !== 'unknownLinkTypes' && k !== 'checksums',
    );
    expect(all.map((s) => DECODE_STATUS_KEYS[s as DecodeStatus]).sort()).toEqual(counters.sort());
  });

  it('CHECKSUM_STATUS_NAMES names every ChecksumStatus, each with its own word', () => {
    const all = members(ChecksumStatus);
    expect(Object.keys(CHECKSUM_STATUS_NAMES).map(Number).sort()).toEqual(all.sort());
    expect(new Set(all.map((s) => CHECKSUM_STATUS_NAMES[s as ChecksumStatus])).size).toBe(all.length);
  });

  it('OPTION_BREAKS lists every OptionBreak once, and optionBreakIndex is its inverse', () => {
    // a Record over the union: the compiler fails here when a reason is added to OptionBreak
    const every: Record<OptionBreak, true> = {
      none: true,
      'zero-length': true,
      'length-one': true,
      overrun: true,
      'no-length': true,
      truncated: true,
    };
    expect([...OPTION_BREAKS].sort()).toEqual(Object.keys(every).sort());
    expect(OPTION_BREAKS.map(optionBreakIndex)).toEqual(OPTION_BREAKS.map((_, i) => i));
  });

  it('every WalkStop code names a break reason from OPTION_BREAKS (END: none)', () => {
    for (const code of Object.values(WalkStop)) expect(OPTION_BREAKS).toContain(stopReason(code));
    expect(stopReason(WalkStop.END)).toBe('none');
  });

  it('LINKTYPE_NAMES names every LinkType by its own key, and decodeLink knows each one', () => {
    const r: LinkResult = { status: DecodeStatus.OK, offset: 0, ipVersion: 0, vlans: 0, proto: -1 };
    const bytes = new Uint8Array(64);
    for (const [name, n] of Object.entries(LinkType)) {
      expect(LINKTYPE_NAMES[n]).toBe(name);
      expect(linkTypeName(n)).toBe(name);
      decodeLink(bytes, 0, bytes.length, n, r);
      expect(r.status, name).not.toBe(DecodeStatus.UNKNOWN_LINKTYPE);
    }
    expect(Object.keys(LINKTYPE_NAMES)).toHaveLength(Object.keys(LinkType).length);
    expect(linkTypeName(147)).toBe('LINKTYPE_147');
  });
});
