import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, IpAnonymizer, parseV6 } from '../../src/bundle/anonymize.js';
import { readArchive } from '../../src/bundle/archive.js';
import { createBundle } from '../../src/bundle/create.js';
import { readBundle } from '../../src/bundle/read.js';
import { runRead } from '../../src/cli/read.js';
import { decodeProcAddress, loadHostDir } from '../../src/host/index.js';
import { ipToBytes } from '../helpers/packets.js';
import { flowVerdicts, SAMPLE_ADDRESSES, sampleCapture, tmp } from './helpers.js';

const KEY = 'a-test-passphrase';
const ROOTS = ['tencent-healthy', 'dpvs-ipv6'].map(
  (n) => new URL(`../../fixtures/hosts/${n}`, import.meta.url).pathname,
);
const PRESERVED = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '255.255.255.255']);

let dir: string;
let pcap: string;

/** Addresses in a host fixture, found independently of the anonymizer (host parser + plain regexes). */
async function fixtureAddresses(root: string): Promise<string[]> {
  const out = new Set<string>();
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const t = await readFile(p, 'utf8');
        for (const m of t.matchAll(/\b\d{1,3}(\.\d{1,3}){3}\b/g)) out.add(m[0]);
        for (const m of t.matchAll(/(?<![\w:])[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}(?![\w:])/gi))
          if (parseV6(m[0])) out.add(m[0]);
        for (const m of t.matchAll(/\b([0-9A-F]{8}|[0-9A-F]{32}):[0-9A-F]{4}\b/g)) {
          const a = decodeProcAddress(m[0], 'le');
          if (a) out.add(a.address);
        }
      }
    }
  }
  await walk(root);
  // version numbers such as "TOA 2.0.0.0" are not addresses
  return [...out].filter((a) => !/^\d\.\d\.\d\.\d$/.test(a) && !PRESERVED.has(a));
}

/** every text form an address can take in our members */
function forms(a: string): string[] {
  if (!a.includes(':')) {
    const b = Buffer.from(a.split('.').map(Number));
    const le = b.readUInt32LE(0).toString(16).padStart(8, '0');
    // lowercase hex too: report.json / report.html carry option bytes as lowercase hex
    return [a, le.toUpperCase(), b.toString('hex').toUpperCase(), b.toString('hex')];
  }
  const buf = parseV6(a)!;
  let procLe = '';
  for (let i = 0; i < 4; i++)
    procLe += buf
      .readUInt32LE(i * 4)
      .toString(16)
      .padStart(8, '0')
      .toUpperCase();
  const full = [...Array(8)]
    .map((_, i) =>
      buf
        .readUInt16BE(i * 2)
        .toString(16)
        .padStart(4, '0'),
    )
    .join(':');
  const short = [...Array(8)].map((_, i) => buf.readUInt16BE(i * 2).toString(16)).join(':');
  return [a, full, short, procLe];
}

beforeAll(async () => {
  dir = await tmp('toa-anon-bundle-');
  pcap = join(dir, 'in.pcap');
  await writeFile(pcap, sampleCapture());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(ROOTS)('anonymized bundle of %s', (root) => {
  let out: string;
  beforeAll(async () => {
    out = join(dir, `anon-${root.split('/').pop()}.tar.gz`);
    await createBundle({
      root,
      fromPcap: pcap,
      out,
      anonymize: true,
      anonymizeKey: KEY,
      maxBytes: 50 * 1024 * 1024,
      full: true,
      commandLine: `toa-doctor bundle --anonymize --anonymize-key ${KEY} --from-pcap x --lb 203.0.113.9`,
      toolVersion: '0',
      analyze: async ({ capture, bundle }) => {
        const v = capture ? await flowVerdicts(capture) : [];
        // the real JSON report and HTML page of the anonymized bundle (they carry option bytes)
        const json: string[] = [];
        let html = '';
        await runRead([bundle], {
          format: 'json',
          flows: 'all',
          write: (c) => json.push(c),
          html: (page) => {
            html = page;
          },
        });
        return {
          json: `{"verdicts": ${JSON.stringify(v)}, "report": ${json.join('')}}`,
          markdown: v.map((x) => `${x.client} ${x.toa}`).join('\n'),
          html,
          errorFindings: 0,
        };
      },
    });
  });

  it('contains no original address in any form, in any member', async () => {
    const a = await readArchive(await readFile(out));
    const originals = [...SAMPLE_ADDRESSES, ...(await fixtureAddresses(root))];
    expect(originals.length).toBeGreaterThan(10);
    expect(a.members.get('report.html')!.data.toString()).toContain('<svg');
    const hits: string[] = [];
    for (const [name, m] of a.members) {
      const text = m.data.toString('latin1');
      for (const addr of originals) {
        for (const f of forms(addr)) if (text.includes(f)) hits.push(`${name}: ${f} (${addr})`);
        // binary forms (capture): the 4/16 address bytes
        if (name === 'capture.pcap' && m.data.includes(ipToBytes(addr)))
          hits.push(`${name}: bytes of ${addr}`);
      }
      if (text.includes('clb-rs-01') || text.includes('dpvs-rs')) hits.push(`${name}: host name`);
      if (text.includes(KEY)) hits.push(`${name}: the key`);
    }
    expect(hits).toEqual([]);
  });

  it('yields the same verdicts, on consistently mapped addresses', async () => {
    const ip = new IpAnonymizer(deriveKey(KEY).key);
    const raw = await flowVerdicts(pcap);
    const mapEp = (ep: string) => {
      const i = ep.lastIndexOf(':');
      return `${ip.mapText(ep.slice(0, i))}${ep.slice(i)}`;
    };
    const expected = raw
      .map((v) => ({
        ...v,
        client: mapEp(v.client),
        server: mapEp(v.server),
        toa: v.toa && ip.mapText(v.toa),
      }))
      .sort((x, y) => x.client.localeCompare(y.client) || x.server.localeCompare(y.server));
    const b = await readBundle(out);
    try {
      expect(b.problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(b.manifest!.anonymized).toBe(true);
      expect(b.manifest!.anonymization!.keySource).toBe('passphrase');
      expect(b.manifest!.commandLine).toContain('--anonymize-key <redacted>');
      expect(b.manifest!.commandLine).toContain(`--lb ${ip.mapText('203.0.113.9')}`);
      expect(await flowVerdicts(b.capture!)).toEqual(expected);
      // the host evidence still parses the same way: same listeners (ports, families, wildcard)
      const orig = await loadHostDir(root);
      const anon = await loadHostDir(b.hostDir!);
      const shape = (e: typeof orig) =>
        e.snapshot.listeners.listeners
          .map(
            (l) =>
              `${l.family} ${l.port} ${l.dualStack} ${l.address === '0.0.0.0' || l.address === '::' ? l.address : '*'}`,
          )
          .sort();
      expect(shape(anon)).toEqual(shape(orig));
      expect(anon.snapshot.stats.map((s) => s.totals)).toEqual(orig.snapshot.stats.map((s) => s.totals));
      expect(anon.snapshot.dmesg.events.map((e) => e.pattern)).toEqual(
        orig.snapshot.dmesg.events.map((e) => e.pattern),
      );
      expect(anon.snapshot.toaTable?.entries ?? null).toEqual(orig.snapshot.toaTable?.entries ?? null);
      // the same listener address is mapped the same way in proc and in the capture
      const srv = orig.snapshot.listeners.listeners.find((l) => l.address === '10.0.0.5');
      if (srv)
        expect(anon.snapshot.listeners.listeners.some((l) => l.address === ip.mapText('10.0.0.5'))).toBe(
          true,
        );
      expect(anon.snapshot.hostname).toMatch(/^host-[0-9a-f]{8}$/);
    } finally {
      await b.close();
    }
  });
});

describe('anonymized host evidence keeps every host finding (all fixture hosts)', async () => {
  const { cp, readdir: rd } = await import('node:fs/promises');
  const { anonymizeHostDir } = await import('../../src/bundle/anonymize-host.js');
  const { diagnoseHost } = await import('../../src/diagnose/host-rules.js');
  const base = new URL('../../fixtures/hosts', import.meta.url).pathname;
  const names = (await rd(base, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  it.each(names)('%s', async (name) => {
    const work = await tmp('toa-anon-host-');
    try {
      await cp(join(base, name), work, { recursive: true });
      const ip = new IpAnonymizer(deriveKey('fixture key').key);
      await anonymizeHostDir(work, ip, { hostname: null, pseudonym: 'host-x' });
      const orig = await loadHostDir(join(base, name));
      const anon = await loadHostDir(work);
      const key = (e: typeof orig) =>
        diagnoseHost(e)
          .map((f) => `${f.code} ${f.severity} ${f.flows}`)
          .sort();
      expect(key(anon)).toEqual(key(orig));
      expect(anon.implementations).toEqual(orig.implementations);
      expect(anon.snapshot.container).toEqual(orig.snapshot.container);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
