/**
 * What a file that is not a capture looks like: its first bytes are matched against known
 * signatures (zip, bzip2, ELF, JSON, text, tcpdump's text output ...) so the error can say
 * "looks like a zip archive" instead of "bad magic". Only the format's name reaches a message,
 * never the file's bytes. The pcap/pcapng magic numbers themselves are read by parser.ts; the gzip
 * magic by gzip.ts isGzip().
 */
import { hex32, u32be } from './bytes.js';

export const EMPTY_HINT =
  'nothing was captured; if tcpdump wrote it, stop tcpdump with Ctrl-C (not kill -9) so it flushes, or use `tcpdump -U -w FILE`';

export const NOT_CAPTURE_HINT =
  'toa-doctor reads pcap, pcapng and gzip-compressed pcap/pcapng; write one with `tcpdump -w FILE` ' +
  '(not `tcpdump > FILE`, which saves text)';

/**
 * Known file signatures (magic numbers at offset 0) that are not captures: one row per format. Only
 * the format's name ever reaches the message, never the file's bytes (a file given by mistake may
 * hold secrets: password hashes, keys).
 */
const NOT_CAPTURE_MAGIC: ReadonlyArray<{ magic: number[]; what: string; hint?: string }> = [
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'looks like a zip archive', hint: 'unzip it first' },
  {
    magic: [0x42, 0x5a, 0x68],
    what: 'looks bzip2-compressed',
    hint: 'decompress it first (`bunzip2`); only gzip is read directly',
  },
  { magic: [0xfd, 0x37, 0x7a, 0x58], what: 'looks xz-compressed', hint: 'decompress it first (`unxz`)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'looks zstd-compressed', hint: 'decompress it first (`unzstd`)' },
  { magic: [0x37, 0x7a, 0xbc, 0xaf], what: 'looks like a 7-Zip archive', hint: 'extract it first (`7z x`)' },
  { magic: [0x7f, 0x45, 0x4c, 0x46], what: 'looks like an executable (ELF)' },
  { magic: [0x4d, 0x5a], what: 'looks like a Windows executable (PE)' },
  { magic: [0x89, 0x50, 0x4e, 0x47], what: 'looks like a PNG image' },
  { magic: [0xff, 0xd8, 0xff], what: 'looks like a JPEG image' },
  { magic: [0x25, 0x50, 0x44, 0x46], what: 'looks like a PDF document' },
  { magic: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'looks like an SQLite database' },
];

/** What kind of text (never the text itself). */
function describeText(b: Buffer): string {
  const head = b.toString('latin1', 0, Math.min(b.length, 512));
  const t = head.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (/^\d\d:\d\d:\d\d\.\d+ /.test(t) || /^tcpdump: /.test(t) || /^\d+\.\d+ IP6? /.test(t))
    return "looks like tcpdump's text output";
  if (t.startsWith('{') || t.startsWith('[')) return 'looks like JSON text';
  if (/^<(\?xml|!doctype html|html)/i.test(t)) return 'looks like XML/HTML text';
  if (t.startsWith('#!')) return 'looks like a script (text)';
  if (t.startsWith('-----BEGIN ')) return 'looks like a PEM key or certificate (text)';
  return 'looks like text';
}

/**
 * Say what a non-capture input looks like (for the NOT_A_CAPTURE message): a format name from the
 * first bytes, or the magic number in hex. The content itself is never quoted.
 */
export function describeBytes(b: Buffer): { what: string; hint: string } {
  if (b.length < 4) {
    return {
      what: `too short to be a capture (${b.length} byte${b.length === 1 ? '' : 's'})`,
      hint: NOT_CAPTURE_HINT,
    };
  }
  const m = u32be(b, 0);
  if (m === 0xa1b2cd34 || m === 0x34cdb2a1)
    return {
      what: 'a "modified" (Kuznetzov) pcap, which is not supported',
      hint: 'convert it with `editcap -F pcap IN OUT` or `tcpdump -r IN -w OUT`',
    };
  for (const row of NOT_CAPTURE_MAGIC) {
    if (b.length >= row.magic.length && row.magic.every((x, i) => b[i] === x))
      return { what: row.what, hint: row.hint ?? NOT_CAPTURE_HINT };
  }
  if (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar')
    return {
      what: 'looks like a tar archive',
      hint: 'extract it first; a toa-doctor support bundle is read with `toa-doctor read BUNDLE.tar.gz`',
    };
  const n = Math.min(b.length, 64);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13 || c >= 0x80) printable++;
  }
  if (printable === n) {
    const what = describeText(b);
    if (what === "looks like tcpdump's text output")
      return { what, hint: 'save packets, not text: `tcpdump -i IFACE -w FILE.pcap`' };
    return { what, hint: NOT_CAPTURE_HINT };
  }
  return { what: `unknown magic number ${hex32(m)}`, hint: NOT_CAPTURE_HINT };
}
