import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer, readCaptureFile, StreamParser } from '../../src/capture/reader.js';
import type { CaptureError } from '../../src/capture/types.js';
import { writePcap, writePcapng } from '../helpers/packets.js';
import {
  captureError,
  captureErrorAsync,
  collector,
  epb,
  feedChunks,
  idb,
  rawBlock,
  shb,
  u32,
} from './util.js';

const dir = mkdtempSync(join(tmpdir(), 'toa-caperr-'));
const file = (name: string, data: Buffer | string) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};
const NOT_CAPTURE =
  'toa-doctor reads pcap, pcapng and gzip-compressed pcap/pcapng; write one with `tcpdump -w FILE` ' +
  '(not `tcpdump > FILE`, which saves text)';
const sixty = (i: number) => Buffer.alloc(60, i);
const good = writePcap([0, 1, 2, 3].map((i) => ({ data: sixty(i) })));

/** One line, no stack trace, says the file. */
function oneLine(e: CaptureError, source: string) {
  expect(e.message).not.toContain('\n');
  expect(e.message).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(e.message.startsWith(`${source}:`)).toBe(true);
  expect(e.hint && e.hint.length > 10).toBe(true);
}

describe('file-system problems', () => {
  it('missing file', async () => {
    const p = join(dir, 'nope.pcap');
    const e = await captureErrorAsync(readCaptureFile(p, () => {}));
    expect(e.code).toBe('NO_SUCH_FILE');
    expect(e.message).toBe(`${p}: no such file`);
    expect(e.hint).toContain("'-'");
    oneLine(e, p);
  });

  it('a directory', async () => {
    const d = join(dir, 'adir');
    mkdirSync(d);
    const e = await captureErrorAsync(readCaptureFile(d, () => {}));
    expect(e.code).toBe('IS_DIRECTORY');
    expect(e.message).toBe(`${d}: is a directory, not a capture file`);
    oneLine(e, d);
  });

  it('zero-length file', async () => {
    const p = file('empty.pcap', Buffer.alloc(0));
    const e = await captureErrorAsync(readCaptureFile(p, () => {}));
    expect(e.code).toBe('EMPTY_FILE');
    expect(e.message).toBe(`${p}: is empty (0 bytes)`);
    expect(e.hint).toContain('Ctrl-C');
    const e2 = captureError(() => readCaptureBuffer(Buffer.alloc(0), () => {}, 'buf'));
    expect(e2.message).toBe('buf: is empty (0 bytes)');
  });

  const dist = join(process.cwd(), 'dist/capture/reader.js');
  const hasSetpriv = (() => {
    try {
      execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.runIf(process.getuid?.() !== 0 || (hasSetpriv && existsSync(dist)))('no permission', async () => {
    const p = file('secret.pcap', good);
    chmodSync(p, 0o600);
    if (process.getuid?.() !== 0) {
      chmodSync(p, 0o000);
      const e = await captureErrorAsync(readCaptureFile(p, () => {}));
      expect(e.code).toBe('PERMISSION_DENIED');
      expect(e.message).toBe(`${p}: permission denied`);
      return;
    }
    // root reads anything: run the (built) reader as nobody
    chmodSync(dir, 0o755);
    const script = `import('${dist}').then((m) => m.readCaptureFile(${JSON.stringify(p)}, () => {})).then(
      () => console.log('read'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })))`;
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script],
      {
        encoding: 'utf8',
      },
    );
    const out = JSON.parse(r.stdout.trim());
    expect(out.code).toBe('PERMISSION_DENIED');
    expect(out.message).toBe(`${p}: permission denied`);
    expect(out.hint).toMatch(/sudo/);
  });
});

describe('not a capture', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    [
      'text',
      Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n'),
      /: not a pcap or pcapng file: looks like text$/,
    ],
    [
      'tcpdump text output',
      Buffer.from('12:34:56.789012 IP 10.0.0.1.80 > 10.0.0.2.5555: Flags [S], seq 1\n'),
      /looks like tcpdump's text output$/,
    ],
    [
      'random bytes',
      Buffer.from('8a13f0c2deadbeef0011', 'hex'),
      /: not a pcap or pcapng file: unknown magic number 0x8a13f0c2$/,
    ],
    ['3 bytes', Buffer.from('abc'), /: not a pcap or pcapng file: too short to be a capture \(3 bytes\)$/],
    ['zip', Buffer.from('504b0304140000000800', 'hex'), /looks like a zip archive$/],
    ['xz', Buffer.from('fd377a585a000004e6d6', 'hex'), /looks xz-compressed$/],
    ['modified pcap', Buffer.concat([Buffer.from('34cdb2a1', 'hex'), Buffer.alloc(40)]), /Kuznetzov/],
    [
      'bad pcapng byte-order magic',
      Buffer.concat([Buffer.from('0a0d0d0a1c00000012345678', 'hex'), Buffer.alloc(16)]),
      /not a pcapng file: section header has byte-order magic 0x78563412/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    it(`${name}: says what it looks like`, async () => {
      const p = file(`${name.replace(/\W/g, '_')}.bin`, bytes);
      const e = await captureErrorAsync(readCaptureFile(p, () => {}));
      expect(e.code).toBe('NOT_A_CAPTURE');
      expect(e.message).toMatch(re);
      oneLine(e, p);
      // the same from a buffer and fed one byte at a time
      expect(captureError(() => readCaptureBuffer(bytes, () => {}, p)).message).toBe(e.message);
      expect(captureError(() => feedChunks(bytes, () => 1, p)).code).toBe('NOT_A_CAPTURE');
    });
  }

  it('never echoes the content: a shadow file, a key, JSON, binaries and gzip of text give only a format name', async () => {
    const secret = 'root:$6$Zx9.saltsalt$H4shedPasswordV4lue/abcdefghij:19000:0:99999:7:::';
    const samples: Array<[string, Buffer, string]> = [
      ['shadow', Buffer.from(`${secret}\ndaemon:*:19000:0:99999:7:::\n`), 'looks like text'],
      [
        'key',
        Buffer.from(`-----BEGIN OPENSSH PRIVATE KEY-----\n${secret}\n`),
        'looks like a PEM key or certificate (text)',
      ],
      ['json', Buffer.from(`  {"password": "${secret}"}`), 'looks like JSON text'],
      ['html', Buffer.from(`<!DOCTYPE html><p>${secret}</p>`), 'looks like XML/HTML text'],
      ['script', Buffer.from(`#!/bin/sh\necho ${secret}\n`), 'looks like a script (text)'],
      [
        'elf',
        Buffer.concat([Buffer.from('7f454c46', 'hex'), Buffer.from(secret)]),
        'looks like an executable (ELF)',
      ],
      ['pe', Buffer.concat([Buffer.from('MZ'), Buffer.from(secret)]), 'looks like a Windows executable (PE)'],
      [
        'png',
        Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(secret)]),
        'looks like a PNG image',
      ],
      ['sqlite', Buffer.from(`SQLite format 3\0${secret}`), 'looks like an SQLite database'],
      [
        'binary',
        Buffer.concat([Buffer.from('0102030405', 'hex'), Buffer.from(secret)]),
        'unknown magic number 0x01020304',
      ],
      ['gzip of text', gzipSync(Buffer.from(`${secret}\n`)), 'gzip-compressed, inside: looks like text'],
    ];
    for (const [name, bytes, what] of samples) {
      const p = file(`secret-${name.replace(/\W/g, '_')}`, bytes);
      const e = await captureErrorAsync(readCaptureFile(p, () => {}));
      expect(e.code, name).toBe('NOT_A_CAPTURE');
      expect(e.message, name).toBe(`${p}: not a pcap or pcapng file: ${what}`);
      for (const piece of ['root', 'saltsalt', 'H4shed', 'password', 'echo', 'daemon'])
        expect(`${e.message}\n${e.hint}`, name).not.toContain(piece);
    }
    // through the CLI too: the two lines on stderr carry no byte of the file
    const p = file('shadow-cli', Buffer.from(`${secret}\n`));
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/toa-doctor.js'), 'read', p], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `toa-doctor: ${p}: not a pcap or pcapng file: looks like text\n  hint: ${NOT_CAPTURE}\n`,
    );
  });

  it('tcpdump text output gets a hint to use -w', () => {
    const e = captureError(() =>
      readCaptureBuffer(Buffer.from('12:00:00.000001 IP 1.2.3.4.1 > 5.6.7.8.2: Flags [S]'), () => {}),
    );
    expect(e.hint).toContain('-w');
  });
});

describe('cut inside the header', () => {
  it('classic pcap cut inside the 24-byte global header', async () => {
    const p = file('cut-gh.pcap', good.subarray(0, 10));
    const e = await captureErrorAsync(readCaptureFile(p, () => {}));
    expect(e.code).toBe('TRUNCATED_HEADER');
    expect(e.message).toBe(`${p}: file is cut inside the pcap global header (10 of 24 bytes in the input)`);
    oneLine(e, p);
    expect(captureError(() => feedChunks(good.subarray(0, 23), () => 1, 'f')).message).toBe(
      'f: file is cut inside the pcap global header (23 of 24 bytes in the input)',
    );
  });

  it('pcapng cut inside the section header block', async () => {
    const ng = writePcapng([{ linkType: 1 }], [{ data: sixty(1) }]);
    for (const n of [4, 11, 20, 27]) {
      const e = captureError(() => readCaptureBuffer(ng.subarray(0, n), () => {}, 'cut.pcapng'));
      expect(e.code).toBe('TRUNCATED_HEADER');
      expect(e.message).toBe(
        `cut.pcapng: file is cut inside the pcapng section header block (${n} of 28 bytes in the input)`,
      );
    }
  });

  it('unsupported pcap version', () => {
    const b = Buffer.from(good);
    b.writeUInt16LE(3, 4);
    expect(captureError(() => readCaptureBuffer(b, () => {}, 'v.pcap')).message).toBe(
      'v.pcap: unsupported pcap version 3.4 (expected 2.x)',
    );
  });
});

describe('corrupt records', () => {
  for (const caplen of [0xffffffff, 262145, 1_000_000]) {
    it(`record with captured length ${caplen}: names the record and the byte offset; earlier packets were delivered`, async () => {
      const b = Buffer.from(good);
      b.writeUInt32LE(caplen, 24 + 2 * 76 + 8); // record #3 starts at 24 + 2 * (16 + 60) = 176
      const p = file(`caplen-${caplen}.pcap`, b);
      const { sink, got } = collector();
      const e = await captureErrorAsync(readCaptureFile(p, sink));
      expect(e.code).toBe('BAD_RECORD');
      expect(e.message).toBe(
        `${p}: record #3 at byte offset 176 has captured length ${caplen} (more than 262144): the file is corrupt from there on`,
      );
      oneLine(e, p);
      expect(got.length).toBe(2);
      // chunked: same message
      expect(captureError(() => feedChunks(b, () => 5, p)).message).toBe(e.message);
    });
  }

  it('a big-endian record header is checked the same way', () => {
    const b = writePcap([{ data: sixty(0) }, { data: sixty(1) }], { bigEndian: true });
    b.writeUInt32BE(0x7fffffff, 24 + 76 + 8);
    expect(captureError(() => readCaptureBuffer(b, () => {}, 'be.pcap')).message).toMatch(
      /^be\.pcap: record #2 at byte offset 100 has captured length 2147483647/,
    );
  });

  it('captured length of exactly 262144 is accepted', () => {
    const b = writePcap([{ data: Buffer.alloc(262144) }]);
    const { summary, got } = (() => {
      const c = collector();
      return { summary: readCaptureBuffer(b, c.sink), got: c.got };
    })();
    expect(summary.packets).toBe(1);
    expect(got[0].capturedLength).toBe(262144);
  });
});

describe('corrupt pcapng blocks', () => {
  const base = Buffer.concat([shb(), idb(101)]); // 28 + 20 bytes
  const pkt = epb(0, 1n, sixty(1)); // 92 bytes

  for (const len of [13, 8, 0, 30]) {
    it(`block length ${len} is rejected with the block number and offset`, () => {
      const bad = Buffer.from(pkt);
      bad.writeUInt32LE(len, 4);
      const e = captureError(() => readCaptureBuffer(Buffer.concat([base, pkt, bad]), () => {}, 'b.pcapng'));
      expect(e.code).toBe('BAD_BLOCK');
      expect(e.message).toBe(
        `b.pcapng: pcapng block #4 at byte offset 140: block length ${len} is invalid (must be a multiple of 4 and at least 12)`,
      );
      oneLine(e, 'b.pcapng');
    });
  }

  it('trailing length that differs from the leading one', () => {
    const bad = Buffer.from(pkt);
    bad.writeUInt32LE(88, bad.length - 4);
    const { sink, got } = collector();
    const e = captureError(() => readCaptureBuffer(Buffer.concat([base, pkt, bad, pkt]), sink, 't.pcapng'));
    expect(e.message).toBe(
      't.pcapng: pcapng block #4 at byte offset 140: trailing block length 88 does not match the leading length 92',
    );
    expect(got.length).toBe(1);
  });

  it('an absurd block length (4 GB) is fatal, not a truncated tail', () => {
    const bad = Buffer.from(pkt);
    bad.writeUInt32LE(0xfffffffc, 4);
    const e = captureError(() => readCaptureBuffer(Buffer.concat([base, bad]), () => {}, 'a.pcapng'));
    expect(e.message).toMatch(/block #3 at byte offset 48: block length 4294967292 is larger than 16777216/);
  });

  it('an EPB whose captured length does not fit its block', () => {
    const bad = Buffer.from(pkt);
    bad.writeUInt32LE(500, 20);
    const e = captureError(() => readCaptureBuffer(Buffer.concat([base, bad]), () => {}, 'c.pcapng'));
    expect(e.message).toBe(
      'c.pcapng: pcapng block #3 at byte offset 48: captured length 500 does not fit in the block (length 92)',
    );
  });

  it('a packet before any interface description', () => {
    const e = captureError(() => readCaptureBuffer(Buffer.concat([shb(), pkt]), () => {}, 'i.pcapng'));
    expect(e.message).toMatch(
      /block #2 at byte offset 28: packet refers to interface 0 but 0 interfaces are described/,
    );
  });

  it('a pcapng major version other than 1', () => {
    const e = captureError(() =>
      readCaptureBuffer(Buffer.concat([shb(false, 2), idb(1)]), () => {}, 'v.pcapng'),
    );
    expect(e.message).toBe(
      'v.pcapng: pcapng block #1 at byte offset 0: unsupported pcapng version 2.0 (expected 1.x)',
    );
  });

  it('a short SHB length', () => {
    const b = Buffer.concat([shb(), idb(1)]);
    b.writeUInt32LE(24, 4);
    expect(captureError(() => readCaptureBuffer(b, () => {}, 's.pcapng')).message).toMatch(
      /block #1 at byte offset 0: section header block length 24 is too small/,
    );
  });

  it('a second SHB with a bad byte-order magic', () => {
    const b = Buffer.concat([
      base,
      pkt,
      rawBlock(0x0a0d0d0a, Buffer.concat([u32(0x11223344, false), Buffer.alloc(12)])),
    ]);
    expect(captureError(() => readCaptureBuffer(b, () => {}, 'm.pcapng')).message).toBe(
      'm.pcapng: pcapng block #4 at byte offset 140: section header has byte-order magic 0x11223344 instead of 0x1a2b3c4d',
    );
  });
});

describe('truncated final record: a warning, earlier packets kept', () => {
  const cuts: Array<[string, number, RegExp]> = [
    [
      'inside the body',
      good.length - 10,
      /the last record \(#4 at byte offset 252\) is cut short \(66 of 76 bytes\); the 3 packets before it were read$/,
    ],
    [
      'inside the record header',
      252 + 9,
      /the last record \(#4 at byte offset 252\) is cut inside its header \(9 of 16 bytes\); the 3 packets before it were read$/,
    ],
  ];
  for (const [name, n, re] of cuts)
    it(`classic pcap cut ${name}`, async () => {
      const p = file(`tail-${n}.pcap`, good.subarray(0, n));
      const { sink, got } = collector();
      const s = await readCaptureFile(p, sink);
      expect(s.packets).toBe(3);
      expect(got.map((g) => g.hex)).toEqual([0, 1, 2].map((i) => sixty(i).toString('hex')));
      expect(s.warnings).toHaveLength(1);
      expect(s.warnings[0].code).toBe('TRUNCATED_TAIL');
      expect(s.warnings[0].message).toMatch(re);
      expect(s.warnings[0].message.startsWith(`${p}: `)).toBe(true);
      // and in 1-byte chunks
      const r = feedChunks(good.subarray(0, n), () => 1, p);
      expect(r.summary.warnings).toEqual(s.warnings);
      expect(r.got).toEqual(got);
    });

  it('a single packet before the cut uses the singular', () => {
    const b = writePcap([{ data: sixty(0) }, { data: sixty(1) }]).subarray(0, 24 + 76 + 20);
    const { summary } = (() => {
      const c = collector();
      return { summary: readCaptureBuffer(b, c.sink, 'one') };
    })();
    expect(summary.warnings[0].message).toBe(
      'one: the last record (#2 at byte offset 100) is cut short (20 of 76 bytes); the 1 packet before it was read',
    );
  });

  it('pcapng cut inside the last block', () => {
    const ng = Buffer.concat([shb(), idb(101), epb(0, 1n, sixty(1)), epb(0, 2n, sixty(2))]);
    const { sink, got } = collector();
    const s = readCaptureBuffer(ng.subarray(0, ng.length - 30), sink, 'n.pcapng');
    expect(got.length).toBe(1);
    expect(s.warnings).toEqual([
      {
        code: 'TRUNCATED_TAIL',
        message:
          'n.pcapng: the last block (#4 at byte offset 140) is cut short (62 of 92 bytes); the 1 packet before it was read',
      },
    ]);
  });

  it('StreamParser.end() reports the tail; pushing after end() is ignored', () => {
    const p = new StreamParser('s');
    const { sink, got } = collector();
    p.push(good.subarray(0, good.length - 1), sink);
    const s = p.end();
    expect(s.warnings[0].code).toBe('TRUNCATED_TAIL');
    p.push(good, sink);
    expect(p.end().packets).toBe(3);
    expect(got.length).toBe(3);
  });
});
