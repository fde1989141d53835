import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demoPcap } from '../helpers/scenarios.js';

const PATH = new URL('../../fixtures/samples/demo.pcap', import.meta.url);

describe('fixtures/samples/demo.pcap', () => {
  it('is the output of demoPcap() (regenerate with UPDATE_DEMO=1 npx vitest run test/read/demo.test.ts)', () => {
    const want = demoPcap();
    if (process.env.UPDATE_DEMO || !existsSync(PATH)) writeFileSync(PATH, want);
    expect(readFileSync(PATH).equals(want)).toBe(true);
  });
});
