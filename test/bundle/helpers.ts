/** Shared helpers for bundle tests: a capture with known flows, verdict extraction, archive surgery. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { listFiles, memberOrder, readArchive, writeArchive } from '../../src/bundle/archive.js';
import { readCaptureFile } from '../../src/capture/reader.js';
import { Analyzer } from '../../src/flow/analyzer.js';
import {
  cdnToaOption,
  connection,
  ipTcp,
  linkWrap,
  MSS_OPT,
  NOP,
  TS_OPT,
  toaOption,
  writePcap,
} from '../helpers/packets.js';

export const FIXTURE_ROOT = new URL('../../fixtures/hosts/tencent-healthy', import.meta.url).pathname;

/** Original addresses used by sampleCapture (for leak checks). */
export const SAMPLE_ADDRESSES = [
  '198.51.100.23',
  '198.51.100.24',
  '10.0.0.5',
  '203.0.113.9',
  '203.0.113.10',
  '203.0.113.11',
  '192.0.2.44',
  '2001:db8:77::1',
  '2001:db8:77::2',
  '2001:db8:10::25',
];

/**
 * Flows: TOA OK (200 on ACK), TOA missing, SYN-only (kind 28 on the SYN), bad ACK checksum,
 * IPv6 TOA (253/20), plus a long transfer (many data segments and ACKs) that reduction trims.
 */
export function sampleCapture(): Buffer {
  const conns = [
    connection({
      client: '198.51.100.23',
      server: '10.0.0.5',
      cport: 40001,
      sport: 80,
      ackOptions: [...toaOption(200, '203.0.113.9', 51234), ...TS_OPT],
      dataOptions: [...toaOption(200, '203.0.113.9', 51234)],
      t0: 1_700_000_000,
    }),
    connection({ client: '198.51.100.23', server: '10.0.0.5', cport: 40002, sport: 80, t0: 1_700_000_001 }),
    connection({
      client: '198.51.100.24',
      server: '10.0.0.5',
      cport: 40003,
      sport: 80,
      synOptions: [...MSS_OPT, NOP, ...cdnToaOption('203.0.113.10')],
      t0: 1_700_000_002,
    }),
    connection({
      client: '198.51.100.24',
      server: '10.0.0.5',
      cport: 40004,
      sport: 80,
      ackOptions: toaOption(200, '203.0.113.11', 4444),
      badAckChecksum: true,
      t0: 1_700_000_003,
    }),
    connection({
      client: '2001:db8:77::1',
      server: '2001:db8:77::2',
      cport: 40005,
      sport: 443,
      ackOptions: toaOption(253, '2001:db8:10::25', 51234),
      t0: 1_700_000_004,
    }),
  ];
  const recs = conns.flat().map((p) => ({ data: linkWrap('en10mb', p.ip), ts: p.ts }));
  // a long transfer after a TOA-OK handshake: 40 server segments, client ACKs
  const bulk = connection({
    client: '192.0.2.44',
    server: '10.0.0.5',
    cport: 40006,
    sport: 80,
    ackOptions: toaOption(200, '203.0.113.9', 1000),
    skip: ['fin'],
    t0: 1_700_000_005,
  });
  for (const p of bulk) recs.push({ data: linkWrap('en10mb', p.ip), ts: p.ts });
  let t = 1_700_000_006;
  for (let i = 0; i < 40; i++) {
    t += 0.001;
    recs.push({
      data: linkWrap(
        'en10mb',
        ipTcp({
          src: '10.0.0.5',
          dst: '192.0.2.44',
          sport: 80,
          dport: 40006,
          flags: 'A',
          seq: 6000 + i * 1000,
          ack: 1019,
          payload: Buffer.alloc(1000, 0x41),
        }),
      ),
      ts: t,
    });
    recs.push({
      data: linkWrap(
        'en10mb',
        ipTcp({
          src: '192.0.2.44',
          dst: '10.0.0.5',
          sport: 40006,
          dport: 80,
          flags: 'A',
          seq: 1019,
          ack: 7000 + i * 1000,
        }),
      ),
      ts: t + 0.0001,
    });
  }
  recs.sort((a, b) => a.ts - b.ts);
  return writePcap(recs, { linkType: 1 });
}

export interface FlowVerdict {
  client: string;
  server: string;
  verdict: string;
  toa: string | null;
}

export async function flowVerdicts(path: string): Promise<FlowVerdict[]> {
  const a = new Analyzer({});
  await readCaptureFile(path, (f) => a.push(f));
  const r = a.finish();
  const out: FlowVerdict[] = [];
  for (const f of r.flows)
    out.push({
      client: `${f.client.address}:${f.client.port}`,
      server: `${f.server.address}:${f.server.port}`,
      verdict: f.verdict,
      toa: f.toa?.address ?? null,
    });
  return out.sort((x, y) => x.client.localeCompare(y.client) || x.server.localeCompare(y.server));
}

export async function tmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Rewrite an archive through `edit` (members map: path → data; delete/modify freely). */
export async function editArchive(
  src: Buffer,
  out: string,
  edit: (m: Map<string, Buffer>) => void,
): Promise<void> {
  const a = await readArchive(src);
  const m = new Map<string, Buffer>();
  for (const [k, v] of a.members) m.set(k, v.data);
  edit(m);
  const stage = await tmp('toa-edit-');
  for (const [k, v] of m) {
    await mkdir(dirname(join(stage, k)), { recursive: true });
    await writeFile(join(stage, k), v);
  }
  await writeArchive(out, stage, memberOrder(await listFiles(stage)));
}
