import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, IpAnonymizer, parseV6 } from '../../src/bundle/anonymize.js';
import { readArchive } from '../../src/bundle/archive.js';
import { createBundle } from '../../src/bundle/create.js';
import { readBundle } from '../../src/bundle/read.js';
import { runRead } from '../../src/cli/read.js';
import { decodeProcAddress, loadHostDir } from '../../src/host/index.js';
import { REPO } from '../helpers/netns.js';
import { ipTcp, ipToBytes, linkWrap, writePcap } from '../helpers/packets.js';
import { flowVerdicts, SAMPLE_ADDRESSES, sampleCapture, tmp } from './helpers.js';

const KEY = 'a-test-passphrase';
const BIN = join(REPO, 'bin/toa-doctor.js');
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

/**
 * Issue 16 items 13-16: a hostile host for the leak test. Addresses in MPTCP ADD_ADDR (v4, v6), in
 * the IPv4 timestamp option (prespecified addresses) and in IPv6 routing headers (type 0, SRH);
 * MAC addresses as text in every notation; a host name (an FQDN) in any case, in file names and
 * paths; the passphrase with spaces on the command line. None of it may be in any member, in any form.
 */
describe('anonymized bundle of a hostile host (MPTCP, IP options, routing headers, MAC text, host names, the key)', () => {
  const HOST = 'zebra-web-17.corp.example.com';
  const PASSPHRASE = 'my secret passphrase zebra';
  const HIDDEN_V4 = ['198.51.100.77', '198.51.100.88', '198.51.100.89'];
  const HIDDEN_V6 = ['2001:db8:99::77', '2001:db8:99::88', '2001:db8:99::99', '2001:db8:99::aa'];
  const MACS = [
    '52:54:00:aa:bb:01',
    '52:54:00:aa:bb:02',
    '52:54:00:cc:dd:03',
    '52-54-00-AA-BB-04',
    '5254.00aa.bb05',
  ];
  let out: string;
  let cap: string;
  let members: Map<string, Buffer>;

  /** an IPv6 packet with a routing header (type, addresses, segments left) before TCP */
  function withRoutingHeader(
    type: number,
    addrs: string[],
    left: number,
    lastEntry = addrs.length - 1,
  ): Buffer {
    // the TCP checksum covers the final destination (RFC 8200 8.1): the last address, SRH segment 0
    const final = left > 0 ? (type === 4 ? addrs[0]! : addrs.at(-1)!) : '2001:db8:77::2';
    const p = ipTcp({ src: '2001:db8:77::1', dst: final, sport: 40100 + type, dport: 443, flags: 'S' });
    ipToBytes('2001:db8:77::2').copy(p, 24);
    const rh = Buffer.alloc(8 + 16 * addrs.length);
    rh[0] = 6;
    rh[1] = addrs.length * 2;
    rh[2] = type;
    rh[3] = left;
    if (type === 4) rh[4] = lastEntry;
    for (const [i, a] of addrs.entries()) ipToBytes(a).copy(rh, 8 + 16 * i);
    const ip = Buffer.from(p.subarray(0, 40));
    ip[6] = 43;
    ip.writeUInt16BE(rh.length + p.length - 40, 4);
    return Buffer.concat([ip, rh, p.subarray(40)]);
  }

  beforeAll(async () => {
    const root = join(dir, 'hostile-root');
    const { cp } = await import('node:fs/promises');
    await cp(ROOTS[0]!, root, { recursive: true });
    await writeFile(join(root, 'proc/sys/kernel/hostname'), `${HOST}\n`);
    const meta = JSON.parse(await readFile(join(root, 'meta.json'), 'utf8')) as Record<string, unknown>;
    meta.hostname = HOST;
    await writeFile(join(root, 'meta.json'), JSON.stringify(meta));
    const dmesg = await readFile(join(root, 'dmesg.txt'), 'utf8');
    await writeFile(
      join(root, 'dmesg.txt'),
      `${dmesg}[  900.100000] virtio_net eth0: link up, MAC ${MACS[0]}\n` +
        `[  900.200000] IN=eth0 OUT= MAC=${MACS[1]}:${MACS[2]}:08:00 SRC=10.0.0.9 DST=10.0.0.5\n` +
        `[  900.300000] dhcp lease for ${MACS[3]} (${MACS[3]!.toLowerCase()})\n` +
        `[  900.400000] switch port 5254.00AA.BB05 / ${MACS[4]}\n` +
        `[  900.500000] ZEBRA-WEB-17 kernel: Zebra-Web-17 ${HOST.toUpperCase()} /var/log/zebra-web-17/app.log zebra-web-17.corp.example.com\n`,
    );
    // packets
    const mptcp4 = [30, 10, 0x30, 1, ...ipToBytes(HIDDEN_V4[0]!), 0x1f, 0x90];
    const mptcp6 = [30, 30, 0x30, 2, ...ipToBytes(HIDDEN_V6[0]!), 0x1f, 0x90, ...Array(8).fill(0xab)];
    const ts = [68, 12, 13, 3, ...ipToBytes(HIDDEN_V4[1]!), 0, 0, 0, 0];
    const tsRecorded = [68, 12, 5, 1, ...ipToBytes(HIDDEN_V4[2]!), 0, 0, 1, 0];
    const recs = [
      ipTcp({ src: '198.51.100.23', dst: '10.0.0.5', sport: 40200, dport: 80, flags: 'S', options: mptcp4 }),
      ipTcp({
        src: '2001:db8:77::1',
        dst: '2001:db8:77::2',
        sport: 40201,
        dport: 443,
        flags: 'S',
        options: mptcp6,
      }),
      ipTcp({ src: '198.51.100.23', dst: '10.0.0.5', sport: 40202, dport: 80, flags: 'S', ipOptions: ts }),
      ipTcp({
        src: '198.51.100.23',
        dst: '10.0.0.5',
        sport: 40203,
        dport: 80,
        flags: 'S',
        ipOptions: tsRecorded,
      }),
      withRoutingHeader(0, [HIDDEN_V6[1]!], 0),
      withRoutingHeader(4, [HIDDEN_V6[2]!, HIDDEN_V6[3]!], 1),
    ].map((ip, i) => ({ data: linkWrap('en10mb', ip), ts: 1_700_000_100 + i }));
    cap = join(dir, 'hostile.pcap');
    const base = sampleCapture();
    await writeFile(cap, Buffer.concat([base, writePcap(recs, { linkType: 1 }).subarray(24)]));
    out = join(dir, 'zebra-web-17-ticket.tar.gz');
    const r = spawnSync(
      process.execPath,
      [BIN, 'bundle', '--from-pcap', cap, '--root', root, '--anonymize-key', PASSPHRASE, '-o', out, '--full'],
      { encoding: 'utf8' },
    );
    expect([0, 1], r.stderr).toContain(r.status);
    const a = await readArchive(await readFile(out));
    members = new Map([...a.members].map(([k, v]) => [k, v.data]));
  });

  it('no hidden address, MAC, host name or key word is in any member, in any form', () => {
    const hits: string[] = [];
    const macForms = (m: string) => {
      const hex = m.replace(/[^0-9a-f]/gi, '').toLowerCase();
      const pairs = hex.match(/../g)!;
      return [pairs.join(':'), pairs.join('-'), hex.match(/..../g)!.join('.'), hex];
    };
    for (const [name, data] of members) {
      const text = data.toString('latin1');
      const lower = text.toLowerCase();
      for (const a of [...HIDDEN_V4, ...HIDDEN_V6]) {
        for (const f of forms(a)) if (lower.includes(f.toLowerCase())) hits.push(`${name}: ${f}`);
        if (data.includes(ipToBytes(a))) hits.push(`${name}: bytes of ${a}`);
      }
      for (const m of MACS) {
        for (const f of macForms(m)) if (lower.includes(f)) hits.push(`${name}: MAC ${f}`);
        if (data.includes(Buffer.from(m.replace(/[^0-9a-f]/gi, ''), 'hex')))
          hits.push(`${name}: MAC bytes ${m}`);
      }
      for (const w of ['zebra', 'corp.example', 'example.com', 'secret', PASSPHRASE])
        if (lower.includes(w))
          hits.push(
            `${name}: "${w}" at ${lower.indexOf(w)}: ${JSON.stringify(text.slice(Math.max(0, lower.indexOf(w) - 40), lower.indexOf(w) + 40))}`,
          );
    }
    expect(hits).toEqual([]);
  });

  it('the manifest says what was done to option addresses and never records the key', () => {
    const m = JSON.parse(members.get('manifest.json')!.toString('utf8')) as {
      commandLine: string;
      anonymization: { options: string[] };
    };
    expect(m.commandLine).toMatch(/--anonymize-key <redacted> -o \S*host-[0-9a-f]{8}-ticket\.tar\.gz/);
    expect(m.anonymization.options.join('\n')).toMatch(/MPTCP ADD_ADDR addresses mapped in 2 options/);
    expect(m.anonymization.options.join('\n')).toMatch(/IPv4 timestamp option addresses mapped: 2/);
    expect(m.anonymization.options.join('\n')).toMatch(/IPv6 routing header addresses mapped: 3/);
  });

  it('checksums stay as they were: the same packets verify before and after', async () => {
    const { readCaptureBuffer } = await import('../../src/capture/reader.js');
    const { verifyChecksums } = await import('../../src/decode/checksum.js');
    const statuses = (pcap: Buffer) => {
      const out: string[] = [];
      readCaptureBuffer(pcap, (f) => {
        const st = verifyChecksums(f.buf, f.offset, f.capturedLength, f.linkType);
        out.push(`${st.ip}/${st.tcp}`);
      });
      return out;
    };
    const before = statuses(await readFile(cap));
    const after = statuses(members.get('capture.pcap')!);
    expect(after).toEqual(before);
    expect(before.some((x) => x.endsWith('/2'))).toBe(true); // the bad ACK is there, and stays bad
  });
});
