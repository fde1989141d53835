/**
 * Unpacking a bundle someone else made: streamed, bounded, never trusting a name.
 *
 * The archive is read from disk in chunks, inflated by a zlib stream and parsed by tar's streaming
 * Parser; each member is written straight to the temp directory while its sha256 is computed, so
 * memory stays flat whatever the archive inflates to. Every limit below is checked as bytes arrive;
 * a member over its limit is kept up to the limit and reported (by name of the limit), and the
 * archive stops being read at the total limit or the member-count limit: what fits is read.
 *
 * Names: only regular files are unpacked; a name is used only when it is a plain relative path
 * (no '..', '.', empty segment, NUL or other control character, no segment over 255 bytes, at most
 * 4096 bytes in all). A name clash (a file and a directory of the same name, or the same name twice)
 * keeps the first and reports the rest as damaged. Nothing is ever created outside `dir`.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { isGzip } from '../capture/gzip.js';
import { normalizeMemberPath } from './archive.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** What a member is for; each role has its own size limit (README "Reading a bundle: limits"). */
export type MemberRole = 'manifest' | 'report' | 'host' | 'capture' | 'other';

export interface UnpackLimits {
  /** inflated bytes read from the archive in all (headers and skipped data included) */
  totalBytes: number;
  /** entries of any type */
  members: number;
  /** per member, by role */
  memberBytes: Record<MemberRole, number>;
  /** all host/ members together */
  hostBytes: number;
  /** bytes of one member kept in memory (manifest.json, report.json) */
  keepInMemory: number;
}

/** The documented defaults (README "Reading a bundle: limits"). */
export const DEFAULT_LIMITS: Readonly<UnpackLimits> = Object.freeze({
  totalBytes: 1 * GiB,
  members: 10_000,
  memberBytes: Object.freeze({
    manifest: 1 * MiB,
    report: 64 * MiB,
    host: 64 * MiB,
    // a capture's analysis time grows with its size: 512 MiB of the worst records (16-byte empty
    // packets) reads in about 10 s on a busy 2-core machine; `bundle` writes 50 MiB by default
    capture: 512 * MiB,
    other: 16 * MiB,
  }),
  hostBytes: 256 * MiB,
  keepInMemory: 1 * MiB,
}) as Readonly<UnpackLimits>;

export const NAME_MAX_BYTES = 255;
export const PATH_MAX_BYTES = 4096;

export function memberRole(path: string): MemberRole {
  if (path === 'manifest.json') return 'manifest';
  if (path === 'report.json' || path === 'report.md') return 'report';
  if (path === 'capture.pcap') return 'capture';
  if (path.startsWith('host/')) return 'host';
  return 'other';
}

/** Human size for messages: 1 GiB, 64 MiB, 512 KiB, 100 bytes. */
export function sizeText(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}

export interface UnpackedMember {
  /** name inside the archive (after normalisation; before unwrapping a top directory) */
  path: string;
  /** where it was written (absolute) */
  file: string;
  /** bytes the tar header announced */
  size: number;
  /** bytes written */
  written: number;
  /** the archive ended inside this member */
  partial: boolean;
  /** the member was larger than its limit: only `written` bytes were kept */
  cut: string | null;
  sha256: string;
  /** the content, when it fitted in keepInMemory and was asked for */
  data: Buffer | null;
}

export type UnpackIssueKind =
  | 'bad-name'
  | 'name-clash'
  | 'not-a-file'
  | 'member-limit'
  | 'total-limit'
  | 'count-limit'
  | 'host-limit'
  | 'unwritable';

export interface UnpackIssue {
  kind: UnpackIssueKind;
  /** the member name as it came (for display: escape before printing) */
  member: string | null;
  message: string;
}

export interface UnpackResult {
  members: Map<string, UnpackedMember>;
  issues: UnpackIssue[];
  /** the gzip stream ended early or is corrupt after some point */
  gzipError: string | null;
  /** tar-level problems (bad header, unexpected end) */
  tarErrors: string[];
  /** inflated bytes read */
  bytes: number;
  /** entries seen (all types) */
  entries: number;
  /** reading stopped at a limit before the end of the archive */
  stoppedAt: string | null;
}

/** Why a member name cannot be used, or null when it can. */
export function badName(name: string): string | null {
  if (name === '') return 'an empty name';
  if (Buffer.byteLength(name, 'utf8') > PATH_MAX_BYTES) return `a name over ${PATH_MAX_BYTES} bytes`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'control characters in its name';
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return `a '${seg || '//'}' path segment`;
    if (Buffer.byteLength(seg, 'utf8') > NAME_MAX_BYTES) return `a name segment over ${NAME_MAX_BYTES} bytes`;
  }
  return null;
}

/** Keep the first part of a long name for messages (the full name may be megabytes). */
export function shortName(name: string): string {
  return name.length > 120 ? `${name.slice(0, 100)}…(${name.length} characters)` : name;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/**
 * Stream `archivePath` (gzip-compressed or plain tar) into `dir`. Never throws for anything the
 * archive holds; only a failure to open `archivePath` rejects. `keep` names members whose content
 * is also returned in memory (up to limits.keepInMemory).
 */
export async function unpackArchive(
  archivePath: string,
  dir: string,
  opts: { limits?: UnpackLimits; keep?: ReadonlySet<string> } = {},
): Promise<UnpackResult> {
  const L = opts.limits ?? DEFAULT_LIMITS;
  const keep = opts.keep ?? new Set(['manifest.json']);
  const head = Buffer.alloc(3);
  const fd = openSync(archivePath, 'r');
  let headLen = 0;
  try {
    headLen = readSync(fd, head, 0, 3, 0);
  } finally {
    closeSync(fd);
  }
  const gz = isGzip(head.subarray(0, headLen));

  const members = new Map<string, UnpackedMember>();
  const issues: UnpackIssue[] = [];
  const tarErrors: string[] = [];
  const files = new Set<string>();
  const dirs = new Set<string>();
  let gzipError: string | null = null;
  let bytes = 0;
  let entries = 0;
  let hostBytes = 0;
  let stoppedAt: string | null = null;
  let hostLimitReported = false;
  /** members being written: finished when their entry ends, or when reading stops */
  const openRecs = new Set<() => void>();

  const issue = (kind: UnpackIssueKind, member: string | null, message: string) =>
    issues.push({ kind, member, message });

  return await new Promise<UnpackResult>((resolveAll) => {
    const input = createReadStream(archivePath, { highWaterMark: 256 * KiB });
    const inflater = gz ? createGunzip({ chunkSize: 64 * KiB }) : null;
    let finished = false;
    let stopping = false;

    const finish = () => {
      if (finished) return;
      finished = true;
      for (const done of [...openRecs]) done();
      input.destroy();
      inflater?.destroy();
      resolveAll({ members, issues, gzipError, tarErrors, bytes, entries, stoppedAt });
    };

    const parser = new tar.Parser({
      strict: false,
      // pax / long-name headers are kept in memory by the parser: keep them small
      maxMetaEntrySize: 64 * KiB,
      // the archive is inflated here, where its bytes are counted: a gzip or zstd stream inside it
      // (a nested bomb) must not be inflated again by the parser behind the limits' back
      zstd: false,
      maxDecompressionRatio: 1,
      onwarn: (code: string, message: string | Error) => {
        if (tarErrors.length < 20)
          tarErrors.push(`${code}: ${typeof message === 'string' ? message : message.message}`);
      },
      onReadEntry: (entry: tar.ReadEntry) => {
        entries++;
        if (stopping) {
          entry.resume();
          return;
        }
        if (entries > L.members) {
          stoppedAt = `more than ${L.members} members (member-count limit)`;
          issue(
            'count-limit',
            null,
            `the archive holds more than ${L.members} members (the member-count limit): the rest are not read`,
          );
          stop();
          entry.resume();
          return;
        }
        const raw = String(entry.path ?? '');
        const path = normalizeMemberPath(raw);
        if (entry.type === 'Directory' || entry.type === 'GNUDumpDir') {
          entry.resume();
          return;
        }
        if (!FILE_TYPES.has(entry.type)) {
          issue('not-a-file', path, `${shortName(path)} is a ${entry.type}, not a regular file: skipped`);
          entry.resume();
          return;
        }
        const why = badName(path);
        if (why) {
          issue('bad-name', path, `a member with ${why} was skipped: ${shortName(path)}`);
          entry.resume();
          return;
        }
        const segs = path.split('/');
        let clash: string | null = null;
        if (files.has(path)) clash = 'a second member with the same name';
        else if (dirs.has(path)) clash = 'a file where another member has a directory of that name';
        else
          for (let i = 1; i < segs.length && !clash; i++)
            if (files.has(segs.slice(0, i).join('/')))
              clash = `a member below ${shortName(segs.slice(0, i).join('/'))}, which is a file`;
        if (clash) {
          issue(
            'name-clash',
            path,
            `${shortName(path)} is damaged (${clash}): skipped, the first one is kept`,
          );
          entry.resume();
          return;
        }
        files.add(path);
        for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));

        const role = memberRole(path);
        let limit = L.memberBytes[role];
        const target = join(dir, ...segs);
        let out: number | null = null;
        try {
          if (segs.length > 1) mkdirSync(join(dir, ...segs.slice(0, -1)), { recursive: true });
          out = openSync(target, 'wx', 0o600);
        } catch (err) {
          issue(
            'unwritable',
            path,
            `${shortName(path)} could not be unpacked (${(err as NodeJS.ErrnoException).code ?? 'error'}): skipped`,
          );
          entry.resume();
          return;
        }
        const hash: Hash = createHash('sha256');
        const kept: Buffer[] | null = keep.has(path) ? [] : null;
        const rec: UnpackedMember = {
          path,
          file: target,
          size: entry.size ?? 0,
          written: 0,
          partial: true,
          cut: null,
          sha256: '',
          data: null,
        };
        members.set(path, rec);
        let got = 0;
        const done = () => {
          if (out !== null) closeSync(out);
          out = null;
          openRecs.delete(done);
          rec.partial = got < rec.size;
          rec.sha256 = hash.digest('hex');
          if (kept && rec.written <= L.keepInMemory) rec.data = Buffer.concat(kept);
        };
        openRecs.add(done);
        entry.on('data', (c: Buffer) => {
          got += c.length;
          if (out === null) return;
          let room = limit - rec.written;
          if (role === 'host') room = Math.min(room, L.hostBytes - hostBytes);
          const take = Math.min(room, c.length);
          if (take > 0) {
            const part = take === c.length ? c : c.subarray(0, take);
            try {
              writeSync(out, part);
            } catch (err) {
              issue(
                'unwritable',
                path,
                `${shortName(path)}: writing it failed (${(err as NodeJS.ErrnoException).code ?? 'error'}); kept ${rec.written} bytes`,
              );
              limit = rec.written;
              return;
            }
            hash.update(part);
            if (kept && rec.written + take <= L.keepInMemory) kept.push(Buffer.from(part));
            rec.written += take;
            if (role === 'host') hostBytes += take;
          }
          if (take < c.length && rec.cut === null) {
            if (role === 'host' && hostBytes >= L.hostBytes && rec.written < limit) {
              rec.cut = `the host-files limit (${sizeText(L.hostBytes)} for all host/ members)`;
              if (!hostLimitReported) {
                hostLimitReported = true;
                issue(
                  'host-limit',
                  path,
                  `host/ members pass ${sizeText(L.hostBytes)} (the host-files limit): ${shortName(path)} and the rest are cut`,
                );
              }
            } else {
              rec.cut = `the ${role} member limit (${sizeText(L.memberBytes[role])})`;
              issue(
                'member-limit',
                path,
                `${shortName(path)} is larger than ${sizeText(L.memberBytes[role])} (the limit for ${role === 'other' ? 'unknown' : role} members): the first ${sizeText(rec.written)} are read`,
              );
            }
          }
        });
        entry.on('end', done);
      },
    });

    const stop = () => {
      stopping = true;
      input.destroy();
      inflater?.destroy();
      // entries still open end as partial
      parser.end();
    };

    parser.on('end', finish);
    parser.on('close', finish);
    parser.on('error', (e: Error) => {
      if (tarErrors.length < 20) tarErrors.push(e.message);
      finish();
    });

    const feed = (c: Buffer) => {
      if (stopping) return;
      bytes += c.length;
      if (bytes > L.totalBytes) {
        const room = c.length - (bytes - L.totalBytes);
        if (room > 0) parser.write(c.subarray(0, room));
        bytes = L.totalBytes;
        stoppedAt = `${sizeText(L.totalBytes)} unpacked (total limit)`;
        issue(
          'total-limit',
          null,
          `the archive unpacks to more than ${sizeText(L.totalBytes)} (the total limit): reading stopped there, later members are not read`,
        );
        stop();
        return;
      }
      if (!parser.write(c)) (inflater ?? input).pause();
    };
    parser.on('drain', () => (inflater ?? input).resume());

    input.on('error', (e) => {
      if (!stopping) gzipError = gzipError ?? e.message;
      parser.end();
    });
    if (inflater) {
      input.pipe(inflater);
      inflater.on('data', feed);
      inflater.on('error', (e) => {
        if (stopping) return;
        gzipError = e.message;
        parser.end();
      });
      inflater.on('end', () => parser.end());
    } else {
      input.on('data', (c) => feed(c as Buffer));
      input.on('end', () => parser.end());
    }
  });
}
