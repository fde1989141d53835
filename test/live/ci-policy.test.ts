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
    // a made-up reason, kept out of the test output: printing it would tell the reader that a tool
    // is missing when it is not
    const printed: string[] = [];
    if (!underCi()) {
      const made = 'example-tool is not installed';
      const r = liveSkipReason([made], (l) => printed.push(l));
      if (r === made) expect(printed).toEqual([`[live tests skipped] ${made}\n`]);
      else expect(printed).toEqual([`[live tests skipped] ${r}\n`]); // not root: that reason comes first
    }
  });
});
