import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connection, pcapOf, TS_OPT, toaOption } from './packets.js';
import { commandMissingReason, toolSkipReason } from './tools.js';

// a missing tcpdump is a printed skip, and a failure under CI (tools.ts)
const NO_TCPDUMP = toolSkipReason(
  [commandMissingReason('tcpdump')],
  undefined,
  'packet builder tcpdump check',
);

describe('test packet builder', () => {
  it.skipIf(NO_TCPDUMP !== null)(
    'builds packets tcpdump accepts with valid checksums and the TOA bytes we asked for',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'toa-pk-'));
      const f = join(dir, 'c.pcap');
      const c = connection({
        client: '100.64.0.2',
        server: '10.0.0.5',
        cport: 40000,
        sport: 80,
        ackOptions: [...toaOption(200, '192.0.2.77', 54321), ...TS_OPT],
      });
      writeFileSync(f, pcapOf([c]));
      const out = execFileSync('tcpdump', ['-nn', '-v', '-r', f], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      expect(out).toContain('unknown-200 0xd431c000024d');
      expect(out).not.toContain('incorrect');
      expect(out.match(/cksum 0x[0-9a-f]+ \(correct\)/g)?.length).toBe(6);
    },
  );
});
