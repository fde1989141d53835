/** The skip policy itself: under CI the live tests never skip silently. */
import { describe, expect, it } from 'vitest';
import { liveSkipReason, underCi } from '../helpers/netns.js';

describe('live test skip policy', () => {
  it('skips with a reason outside CI, throws under CI', () => {
    const saved = process.env.TOA_DOCTOR_CI;
    try {
      process.env.TOA_DOCTOR_CI = 'true';
      expect(underCi()).toBe(true);
      expect(() => liveSkipReason(['libpcap is missing'])).toThrow(/cannot run under CI: libpcap is missing/);
      if (process.getuid?.() === 0) expect(liveSkipReason([null])).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.TOA_DOCTOR_CI;
      else process.env.TOA_DOCTOR_CI = saved;
    }
    if (!underCi()) expect(liveSkipReason(['tcpdump is not installed'])).toBe('tcpdump is not installed');
  });
});
