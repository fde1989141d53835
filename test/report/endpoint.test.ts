/**
 * The one endpoint text (src/endpoint.ts), RFC 5952 section 6: IPv6 in brackets only when a port follows.
 * Every renderer calls it, so the dashboard and the reports write the same client for the same TOA.
 */
import { describe, expect, it } from 'vitest';
import { formatEndpoint as fromDecode } from '../../src/decode/index.js';
import { formatEndpoint } from '../../src/endpoint.js';
import type { FlowRecord } from '../../src/flow/types.js';
import { realClient } from '../../src/tui/model.js';

describe('formatEndpoint', () => {
  it('brackets an IPv6 address only when a port follows', () => {
    expect(formatEndpoint('2001:db8::1', 80)).toBe('[2001:db8::1]:80');
    expect(formatEndpoint('2001:db8::1', null)).toBe('2001:db8::1');
    expect(formatEndpoint('192.0.2.7', 54321)).toBe('192.0.2.7:54321');
    expect(formatEndpoint('192.0.2.7', null)).toBe('192.0.2.7');
    expect(formatEndpoint('::ffff:192.0.2.7', 0)).toBe('[::ffff:192.0.2.7]:0');
  });

  it('is the function decode exports', () => {
    expect(fromDecode).toBe(formatEndpoint);
  });

  it('the dashboard writes a port-less IPv6 TOA client bare, as the reports do', () => {
    const f = { toa: { address: '2001:db8::81', port: null } } as unknown as FlowRecord;
    expect(realClient(f)).toBe('2001:db8::81');
  });
});
