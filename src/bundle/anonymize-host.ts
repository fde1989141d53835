/**
 * Anonymize a host snapshot directory in place (the layout writeHostSnapshot writes and loadHostDir
 * reads), so that re-reading it gives the same evidence with the addresses replaced:
 *  - /proc/net/* (tcp, tcp6, udp..., toa_table): `HEX:PORT` addresses in host byte order, and for
 *    toa_table also bare 8/32-digit hex words; plus every dotted / IPv6 text address;
 *  - dmesg.txt: text addresses and keyword-prefixed hex (`sip 0a00000a`);
 *  - meta.json and every other text file: text addresses and the host name.
 * Version files under sys/module are left alone ("2.0.0.0" is a version there).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  anonymizeKernelHex,
  anonymizeMacText,
  anonymizeProcHex,
  anonymizeText,
  type Endianness,
  type IpAnonymizer,
  mapProcHex,
} from './anonymize.js';
import { listFiles } from './archive.js';

export interface HostAnonOptions {
  /** the real host name (replaced everywhere it appears) */
  hostname: string | null;
  /** its pseudonym */
  pseudonym: string;
  /** byte order of proc hex words; default: meta.json's endianness, else 'le' */
  endianness?: Endianness;
}

const BARE_HEX_WORD = /(?<![0-9A-Za-z:])([0-9A-Fa-f]{32}|[0-9A-Fa-f]{8})(?![0-9A-Za-z:])/g;

/** Rewrite one file's text according to its path inside the snapshot. */
export function anonymizeHostFile(
  relPath: string,
  text: string,
  ip: IpAnonymizer,
  o: HostAnonOptions & { endianness: Endianness },
): string {
  // relPath may carry a snapshot prefix (before/, after/): match on path components
  const p = `/${relPath.replace(/^\/+/, '')}`;
  if (/\/sys\/module\/[^/]+\/(version|srcversion)$/.test(p)) return text;
  let out = text;
  if (p.includes('/proc/net/')) {
    out = anonymizeProcHex(out, o.endianness, ip);
    if (p.endsWith('/proc/net/toa_table'))
      out = out.replace(BARE_HEX_WORD, (w: string) => (/^0+$/.test(w) ? w : mapProcHex(w, o.endianness, ip)));
  }
  if (/\/dmesg[^/]*$|journal/.test(p)) out = anonymizeKernelHex(out, o.endianness, ip);
  out = anonymizeMacText(out, ip);
  out = anonymizeText(out, ip);
  out = ip.scrubHostname(out, o.hostname, o.pseudonym);
  if (p.endsWith('/meta.json')) {
    try {
      const meta = JSON.parse(out) as Record<string, unknown>;
      meta.hostname = o.hostname === null && meta.hostname === null ? null : o.pseudonym;
      meta.anonymized = true;
      out = `${JSON.stringify(meta, null, 2)}\n`;
    } catch {
      /* keep the scrubbed text */
    }
  }
  return out;
}

/** Anonymize every file below `dir`. Returns the files rewritten. */
export async function anonymizeHostDir(dir: string, ip: IpAnonymizer, o: HostAnonOptions): Promise<string[]> {
  const files = await listFiles(dir);
  const metaFile = files.find((f) => f === 'meta.json' || f.endsWith('/meta.json'));
  let endianness: Endianness = o.endianness ?? 'le';
  if (!o.endianness && metaFile) {
    try {
      const m = JSON.parse(await readFile(join(dir, metaFile), 'utf8')) as { endianness?: string };
      if (m.endianness === 'be') endianness = 'be';
    } catch {
      /* default */
    }
  }
  const changed: string[] = [];
  for (const f of files) {
    const abs = join(dir, f);
    const text = await readFile(abs, 'utf8');
    const out = anonymizeHostFile(f, text, ip, { ...o, endianness });
    if (out !== text) {
      await writeFile(abs, out);
      changed.push(f);
    }
  }
  return changed;
}
