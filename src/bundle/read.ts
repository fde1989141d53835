/**
 * Reading a support bundle back (`toa-doctor read BUNDLE.tar.gz`): recognise it by content, unpack
 * it into a temporary directory (streamed and bounded: unpack.ts), check every member against the manifest (present, complete, sha256),
 * and hand the capture and host snapshot to the normal `read` pipeline. A damaged bundle is read as
 * far as it goes: each problem names the member, and whatever is left is analysed.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { isGzip } from '../capture/gzip.js';
import { CaptureError } from '../capture/types.js';
import { cannotReadText } from '../errors.js';
import { BUNDLE_SCHEMA, type BundleManifest, isTarHeader } from './archive.js';
import { checkManifest } from './manifest.js';
import { makeTempDir, removeTempDir } from './tempdir.js';
import {
  DEFAULT_LIMITS,
  shortName,
  sizeText,
  type UnpackedMember,
  type UnpackLimits,
  type UnpackResult,
  unpackArchive,
} from './unpack.js';

export type BundleProblemKind =
  | 'truncated-archive'
  | 'no-manifest'
  | 'bad-manifest'
  | 'unknown-schema'
  | 'missing'
  | 'partial'
  | 'bad-sha256'
  | 'bad-size'
  | 'unverified'
  | 'unlisted'
  /** a field of manifest.json is of the wrong type or too long: ignored or cut, the rest is used */
  | 'bad-field'
  /** a member with an impossible name, a name clash, or not a regular file: skipped */
  | 'damaged-member'
  /** a size or count limit was reached: what fits is read (README "Reading a bundle: limits") */
  | 'limit'
  /** a member could not be written to the temp directory (disk full...) */
  | 'unwritable'
  /** capture.pcap is not a readable capture: the host snapshot is analysed without it */
  | 'bad-capture';

export interface BundleProblem {
  kind: BundleProblemKind;
  /** the member concerned, null for the archive as a whole */
  member: string | null;
  /** 'error': content lost or not what was bundled; 'warning': cannot verify; 'info': fine but worth saying */
  severity: 'error' | 'warning' | 'info';
  message: string;
}

export interface OpenedBundle {
  path: string;
  manifest: BundleManifest | null;
  /** temporary directory holding the unpacked members (removed by close()) */
  dir: string;
  /** capture file to analyse, null when the bundle has none (or it is unusable) */
  capture: string | null;
  /** directory for loadHostDir (host/ with before+after, or the one snapshot present), or null */
  hostDir: string | null;
  /** the report.json written when the bundle was made (parsed), null if absent/unreadable */
  report: unknown | null;
  /** analysis settings the bundled report used (profile, --lb), null when not recorded */
  analysis: { profile: string; lb: string[] } | null;
  problems: BundleProblem[];
  /** one line: which host, when, how it was made */
  description: string;
  /** something (capture or host evidence) can be analysed */
  analysable: boolean;
  close(): Promise<void>;
}

/**
 * Does a file start like a bundle: gzip whose inflated start is a tar header? Never throws. Only a
 * regular file can be a bundle here: peeking at a FIFO or a terminal would consume (or wait for) the
 * bytes the capture reader needs next, so those are read as a capture (a bundle is a file to open).
 */
export async function looksLikeBundle(path: string): Promise<boolean> {
  if (path === '-') return false;
  let head: Buffer;
  try {
    if (!statSync(path).isFile()) return false;
    const fd = openSync(path, 'r');
    try {
      head = Buffer.alloc(64 * 1024);
      head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return isBundleStart(head);
}

/** Same test on bytes already read (the start of a file): gzip → first 512 inflated bytes are a tar header. */
export async function isBundleStart(head: Buffer): Promise<boolean> {
  if (!isGzip(head)) return false;
  const raw = await inflateHead(head, 512);
  return isTarHeader(raw);
}

function inflateHead(gz: Buffer, want: number): Promise<Buffer> {
  return new Promise((res) => {
    const z = createGunzip();
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      z.removeAllListeners();
      z.on('error', () => undefined);
      z.destroy();
      res(Buffer.concat(chunks));
    };
    z.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= want) finish();
    });
    z.on('error', finish);
    z.on('end', finish);
    z.end(gz);
  });
}

function describe(path: string, m: BundleManifest | null): string {
  if (!m) return `reading bundle ${basename(path)} (no manifest: host and time unknown)`;
  const by = m.generator === 'collector-script' ? 'collector script' : `toa-doctor ${m.toolVersion}`;
  const cap =
    m.capture.source === 'none'
      ? 'no capture'
      : m.capture.source === 'file'
        ? 'capture from a file'
        : `capture on ${m.capture.interface ?? '?'}${m.capture.durationActual !== null ? ` for ${m.capture.durationActual}s` : ''}${m.capture.interrupted ? ' (ended early)' : ''}`;
  return (
    `reading bundle ${basename(path)} from host ${m.hostname ?? 'unknown'}, ` +
    `${m.startedAt} to ${m.endedAt} (${by}; ${cap}${m.anonymized ? '; addresses anonymized' : ''})`
  );
}

/** At most this many problems are listed; the rest are counted in one last line. */
export const MAX_PROBLEMS = 100;

/**
 * Open a bundle. Throws CaptureError only when the file cannot be read at all or is not a bundle;
 * every other defect is reported in `problems`. The temp directory is removed by close(), and on
 * every exit path (tempdir.ts) if close() never runs.
 */
export async function readBundle(path: string, opts: { limits?: UnpackLimits } = {}): Promise<OpenedBundle> {
  try {
    const st = await stat(path);
    if (!st.isFile())
      throw new CaptureError(
        st.isDirectory() ? 'IS_DIRECTORY' : 'NOT_A_FILE',
        `${path}: not a regular file`,
        'give the .tar.gz file written by `toa-doctor bundle` or the collector script',
      );
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    throw readError(path, err);
  }
  const dir = makeTempDir('toa-doctor-read-');
  const base = resolve(dir);
  let content: UnpackResult;
  try {
    content = await unpackArchive(path, base, {
      limits: opts.limits,
      keep: new Set(['manifest.json', 'report.json']),
    });
  } catch (err) {
    await removeTempDir(dir);
    throw readError(path, err);
  }
  try {
    return await examine(path, dir, content, opts.limits ?? DEFAULT_LIMITS);
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

/** the hints a bundle reader gives for a file it cannot open; the words are src/errors.ts's */
const READ_HINTS: Readonly<Record<string, string>> = {
  ENOENT: 'check the path; a bundle is the .tar.gz written by `toa-doctor bundle`',
  EACCES: 'make the file readable for this user (or run as its owner)',
  EPERM: 'make the file readable for this user (or run as its owner)',
};

function readError(path: string, err: unknown): CaptureError {
  const t = cannotReadText(path, err, READ_HINTS, 'check that the file is a complete copy of the bundle');
  return new CaptureError(t.code, t.message, t.hint);
}

async function examine(
  path: string,
  dir: string,
  content: UnpackResult,
  limits: UnpackLimits,
): Promise<OpenedBundle> {
  const problems: BundleProblem[] = [];
  let dropped = 0;
  const add = (
    kind: BundleProblemKind,
    member: string | null,
    severity: BundleProblem['severity'],
    message: string,
  ) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ kind, member, severity, message });
    else dropped++;
  };

  // one top-level directory around everything (tar czf out.tgz dir/): unwrap it
  let members = content.members;
  let root = resolve(dir);
  const names = [...members.keys()];
  if (names.length && !members.has('manifest.json')) {
    const top = names[0]!.split('/')[0]!;
    if (names.every((n) => n.startsWith(`${top}/`)) && members.has(`${top}/manifest.json`)) {
      const unwrapped = new Map<string, UnpackedMember>();
      for (const [k, v] of members)
        unwrapped.set(k.slice(top.length + 1), { ...v, path: k.slice(top.length + 1) });
      members = unwrapped;
      root = join(root, top);
    }
  }

  if (members.size === 0) {
    const why = content.gzipError ?? content.tarErrors[0] ?? content.issues[0]?.message ?? 'no members';
    throw new CaptureError(
      'NOT_A_BUNDLE',
      `${path}: not a readable toa-doctor bundle (${clipText(why, 200)})`,
      'a bundle is the .tar.gz written by `toa-doctor bundle` or the collector script; re-download or re-create it',
    );
  }
  if (content.gzipError)
    add(
      'truncated-archive',
      null,
      'error',
      `the archive is cut or damaged (${content.gzipError}); members after that point are lost`,
    );
  for (const i of content.issues)
    add(
      i.kind === 'bad-name' || i.kind === 'name-clash' || i.kind === 'not-a-file'
        ? 'damaged-member'
        : i.kind === 'unwritable'
          ? 'unwritable'
          : 'limit',
      i.member,
      i.kind === 'not-a-file' ? 'warning' : 'error',
      i.message,
    );

  // ---- manifest
  let manifest: BundleManifest | null = null;
  const mm = members.get('manifest.json');
  if (!mm)
    add('no-manifest', 'manifest.json', 'error', 'manifest.json is missing: members cannot be verified');
  else if (mm.cut || !mm.data)
    add(
      'bad-manifest',
      'manifest.json',
      'error',
      `manifest.json is larger than ${sizeText(limits.memberBytes.manifest)} (the manifest limit): not read, members cannot be verified`,
    );
  else {
    let v: unknown;
    let parsed = true;
    try {
      v = JSON.parse(mm.data.toString('utf8'));
    } catch {
      parsed = false;
      add(
        'bad-manifest',
        'manifest.json',
        'error',
        `manifest.json is ${mm.partial ? 'cut short' : 'not valid JSON'}`,
      );
    }
    if (parsed) {
      const checked = checkManifest(v);
      if (!checked.manifest)
        add(
          'bad-manifest',
          'manifest.json',
          'error',
          `manifest.json is not a bundle manifest (${checked.fatal})`,
        );
      manifest = checked.manifest;
      for (const i of checked.issues)
        add('bad-field', 'manifest.json', 'warning', `manifest.json: ${i.message}`);
    }
  }
  if (manifest && manifest.schema !== BUNDLE_SCHEMA)
    add(
      'unknown-schema',
      'manifest.json',
      'warning',
      `unknown manifest schema ${manifest.schema}; reading it as ${BUNDLE_SCHEMA}`,
    );

  // ---- members against the manifest
  const bad = new Set<string>();
  if (manifest) {
    const listed = new Set<string>();
    let unverified = 0;
    for (const e of manifest.members) {
      if (listed.has(e.path)) continue;
      listed.add(e.path);
      const got = members.get(e.path);
      const name = shortName(e.path);
      if (!got) {
        add('missing', e.path, 'error', `${name} is listed in the manifest but missing from the archive`);
        bad.add(e.path);
        continue;
      }
      if (got.cut) continue; // reported with the limit that cut it
      if (got.partial) {
        add('partial', e.path, 'error', `${name} is cut short (${got.written} of ${got.size} bytes)`);
        continue;
      }
      if (e.sha256) {
        if (got.sha256 !== e.sha256) {
          add(
            'bad-sha256',
            e.path,
            'error',
            `${name} does not match its sha256 in the manifest (changed or damaged)`,
          );
          bad.add(e.path);
        }
      } else unverified++;
      if (e.size >= 0 && e.size !== got.written && !bad.has(e.path))
        add('bad-size', e.path, 'error', `${name} is ${got.written} bytes, the manifest says ${e.size}`);
    }
    if (unverified)
      add(
        'unverified',
        null,
        'info',
        `${unverified} members have no sha256 in the manifest (collector without sha256sum)`,
      );
    let unlisted = 0;
    for (const name of members.keys())
      if (name !== 'manifest.json' && !listed.has(name)) {
        if (unlisted++ < 20)
          add('unlisted', name, 'warning', `${shortName(name)} is not listed in the manifest (not verified)`);
      }
    if (unlisted > 20)
      add(
        'unlisted',
        null,
        'warning',
        `${unlisted - 20} more members are not listed in the manifest (not verified)`,
      );
  }

  // ---- what can be analysed
  const capMember = members.get('capture.pcap');
  let capture: string | null = null;
  if (capMember && capMember.written >= 24) {
    capture = join(root, 'capture.pcap');
    if (bad.has('capture.pcap'))
      add(
        'bad-sha256',
        'capture.pcap',
        'warning',
        'capture.pcap is analysed anyway: its results may not be what the host saw',
      );
  } else if (capMember)
    add('partial', 'capture.pcap', 'error', 'capture.pcap is too short to hold a capture');
  else if (
    manifest &&
    manifest.capture.source !== 'none' &&
    !manifest.members.some((e) => e.path === 'capture.pcap')
  )
    add('missing', 'capture.pcap', 'info', 'the bundle was made without packets (none were captured)');

  const all = [...members.keys()];
  const hasBefore = all.some((n) => n.startsWith('host/before/'));
  const hasAfter = all.some((n) => n.startsWith('host/after/'));
  const hostDir =
    hasBefore && hasAfter
      ? join(root, 'host')
      : hasAfter
        ? join(root, 'host/after')
        : hasBefore
          ? join(root, 'host/before')
          : null;
  if (manifest && !hostDir && manifest.members.some((e) => e.path.startsWith('host/')))
    add('missing', 'host/', 'error', 'the host snapshot is missing: host findings cannot be made');
  else if (
    hasBefore !== hasAfter &&
    manifest?.members.some((e) => e.path.startsWith(hasBefore ? 'host/after/' : 'host/before/'))
  )
    add(
      'missing',
      hasBefore ? 'host/after/' : 'host/before/',
      'error',
      `the ${hasBefore ? 'after' : 'before'} host snapshot is missing: no counter deltas`,
    );

  let report: unknown | null = null;
  const rj = members.get('report.json');
  if (rj?.data && !rj.cut && !bad.has('report.json')) {
    try {
      report = JSON.parse(rj.data.toString('utf8'));
    } catch {
      report = null;
    }
  }
  if (dropped)
    problems.push({
      kind: 'limit',
      member: null,
      severity: 'warning',
      message: `${dropped} more problems are not listed (at most ${MAX_PROBLEMS} are)`,
    });

  const analysable = capture !== null || hostDir !== null;
  if (!analysable && !manifest)
    throw new CaptureError(
      'NOT_A_BUNDLE',
      `${path}: a tar.gz without a manifest, capture.pcap or host/ snapshot: not a toa-doctor bundle`,
      'a bundle is the .tar.gz written by `toa-doctor bundle` or the collector script',
    );

  return {
    path,
    manifest,
    dir,
    capture,
    hostDir,
    report,
    analysis: manifest?.analysis
      ? { profile: manifest.analysis.profile, lb: [...manifest.analysis.lb] }
      : null,
    problems,
    description: describe(path, manifest),
    analysable,
    close: () => removeTempDir(dir),
  };
}

function clipText(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** One line per problem, for stderr: "bundle: capture.pcap: ..." */
export function formatProblems(problems: BundleProblem[]): string[] {
  return problems.map((p) => `bundle ${p.severity}: ${p.message}`);
}
