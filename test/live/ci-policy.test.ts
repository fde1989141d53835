/** The skip policy itself: under CI the live tests never skip silently. */
import { describe, expect, it } from 'vitest';
import { liveSkipReason, underCi } from '../helpers/netns.js';
import { toolSkipReason } from '../helpers/tools.js';

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

  it("reads the environment only: CI=true or TOA_DOCTOR_CI=true (vitest.config.ts passes the runner's CI on)", () => {
    const saved = { ci: process.env.CI, t: process.env.TOA_DOCTOR_CI };
    try {
      process.env.CI = 'false';
      delete process.env.TOA_DOCTOR_CI;
      expect(underCi()).toBe(false);
      process.env.CI = 'true';
      expect(underCi()).toBe(true);
    } finally {
      if (saved.ci === undefined) delete process.env.CI;
      else process.env.CI = saved.ci;
      if (saved.t === undefined) delete process.env.TOA_DOCTOR_CI;
      else process.env.TOA_DOCTOR_CI = saved.t;
    }
  });

  it('oracle tools (tcpdump, tshark): a printed skip outside CI, a failure under CI', () => {
    const saved = process.env.TOA_DOCTOR_CI;
    const printed: string[] = [];
    try {
      process.env.TOA_DOCTOR_CI = 'true';
      expect(() => toolSkipReason(['tshark is not installed'], (l) => printed.push(l), 'oracle')).toThrow(
        /oracle cannot be skipped under CI: tshark is not installed/,
      );
      expect(printed).toEqual([]);
      expect(toolSkipReason([null, null], (l) => printed.push(l))).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.TOA_DOCTOR_CI;
      else process.env.TOA_DOCTOR_CI = saved;
    }
    if (!underCi()) {
      const r = toolSkipReason([null, 'example-tool is not installed'], (l) => printed.push(l), 'oracle');
      expect(r).toBe('example-tool is not installed');
      expect(printed).toEqual(['[oracle skipped] example-tool is not installed\n']);
    }
  });
});
