/**
 * Reading a support bundle back (`toa-doctor read BUNDLE.tar.gz`): recognise it by content, unpack
 * it into a temporary directory, check every member against the manifest (present, complete, sha256),
 * and hand the capture and host snapshot to the normal `read` pipeline. A damaged bundle is read as
 * far as it goes: each problem names the member, and whatever is left is analysed.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { CaptureError } from '../capture/types.js';
import {
  type ArchiveMember,
  BUNDLE_SCHEMA,
  type BundleManifest,
  isGzip,
  isTarHeader,
  readArchive,
  sha256,
} from './archive.js';

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
  | 'unlisted';

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

/** Does a file start like a bundle: gzip whose inflated start is a tar header? Never throws. */
export async function looksLikeBundle(path: string): Promise<boolean> {
  if (path === '-') return false;
  let head: Buffer;
  try {
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

function safeJoin(base: string, rel: string): string | null {
  if (rel === '' || rel.split('/').some((s) => s === '..' || s === '')) return null;
  const p = resolve(base, rel);
  return p.startsWith(base + sep) ? p : null;
}

function describe(path: string, m: BundleManifest | null): string {
  if (!m) return `reading bundle ${basename(path)} (no manifest: host and time unknown)`;
  const by = m.generator === 'collector-script' ? 'collector script' : `toa-doctor ${m.toolVersion}`;
  const cap =
    m.capture?.source === 'none' || !m.capture
      ? 'no capture'
      : m.capture.source === 'file'
        ? 'capture from a file'
        : `capture on ${m.capture.interface ?? '?'}${m.capture.durationActual !== null ? ` for ${m.capture.durationActual}s` : ''}${m.capture.interrupted ? ' (ended early)' : ''}`;
  return (
    `reading bundle ${basename(path)} from host ${m.hostname ?? 'unknown'}, ` +
    `${m.startedAt} to ${m.endedAt} (${by}; ${cap}${m.anonymized ? '; addresses anonymized' : ''})`
  );
}

function validManifest(v: unknown): v is BundleManifest {
  if (!v || typeof v !== 'object') return false;
  const m = v as Partial<BundleManifest>;
  return typeof m.schema === 'string' && Array.isArray(m.members);
}

/**
 * Open a bundle. Throws CaptureError only when the file cannot be read at all or is not a bundle;
 * every other defect is reported in `problems`.
 */
export async function readBundle(path: string): Promise<OpenedBundle> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CaptureError(
      code ?? 'READ_ERROR',
      code === 'ENOENT'
        ? `no such file: ${path}`
        : `${path}: cannot read (${code ?? (err as Error).message})`,
    );
  }
  const content = await readArchive(buf);
  const problems: BundleProblem[] = [];
  const add = (
    kind: BundleProblemKind,
    member: string | null,
    severity: BundleProblem['severity'],
    message: string,
  ) => problems.push({ kind, member, severity, message });

  if (content.members.size === 0)
    throw new CaptureError(
      'NOT_A_BUNDLE',
      `${path}: not a readable toa-doctor bundle (${content.gzipError ?? content.tarErrors[0] ?? 'no members'})`,
      'a bundle is the .tar.gz written by `toa-doctor bundle` or the collector script; re-download or re-create it',
    );
  if (content.gzipError)
    add(
      'truncated-archive',
      null,
      'error',
      `the archive is cut or damaged (${content.gzipError}); members after that point are lost`,
    );

  // ---- manifest
  let manifest: BundleManifest | null = null;
  const mm = content.members.get('manifest.json');
  if (!mm)
    add('no-manifest', 'manifest.json', 'error', 'manifest.json is missing: members cannot be verified');
  else {
    try {
      const v = JSON.parse(mm.data.toString('utf8')) as unknown;
      if (validManifest(v)) manifest = v;
      else add('bad-manifest', 'manifest.json', 'error', 'manifest.json is not a bundle manifest');
    } catch {
      add(
        'bad-manifest',
        'manifest.json',
        'error',
        `manifest.json is ${mm.partial ? 'cut short' : 'not valid JSON'}`,
      );
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
      listed.add(e.path);
      const got: ArchiveMember | undefined = content.members.get(e.path);
      if (!got) {
        add('missing', e.path, 'error', `${e.path} is listed in the manifest but missing from the archive`);
        bad.add(e.path);
        continue;
      }
      if (got.partial) {
        add('partial', e.path, 'error', `${e.path} is cut short (${got.data.length} of ${got.size} bytes)`);
        continue;
      }
      if (typeof e.sha256 === 'string' && e.sha256) {
        if (sha256(got.data) !== e.sha256.toLowerCase()) {
          add(
            'bad-sha256',
            e.path,
            'error',
            `${e.path} does not match its sha256 in the manifest (changed or damaged)`,
          );
          bad.add(e.path);
        }
      } else unverified++;
      if (typeof e.size === 'number' && e.size !== got.data.length && !bad.has(e.path))
        add(
          'bad-size',
          e.path,
          'error',
          `${e.path} is ${got.data.length} bytes, the manifest says ${e.size}`,
        );
    }
    if (unverified)
      add(
        'unverified',
        null,
        'info',
        `${unverified} members have no sha256 in the manifest (collector without sha256sum)`,
      );
    for (const name of content.members.keys())
      if (name !== 'manifest.json' && !listed.has(name))
        add('unlisted', name, 'warning', `${name} is not listed in the manifest (not verified)`);
  }

  // ---- unpack
  const dir = await mkdtemp(join(tmpdir(), 'toa-doctor-read-'));
  const base = resolve(dir);
  for (const m of content.members.values()) {
    const target = safeJoin(base, m.path);
    if (!target) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, m.data);
  }

  // ---- what can be analysed
  const has = (p: string) => content.members.has(p);
  const capMember = content.members.get('capture.pcap');
  let capture: string | null = null;
  if (capMember && capMember.data.length >= 24) {
    capture = join(base, 'capture.pcap');
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
    manifest?.capture &&
    manifest.capture.source !== 'none' &&
    !manifest.members.some((e) => e.path === 'capture.pcap')
  )
    add('missing', 'capture.pcap', 'info', 'the bundle was made without packets (none were captured)');

  const names = [...content.members.keys()];
  const hasBefore = names.some((n) => n.startsWith('host/before/'));
  const hasAfter = names.some((n) => n.startsWith('host/after/'));
  const hostDir =
    hasBefore && hasAfter
      ? join(base, 'host')
      : hasAfter
        ? join(base, 'host/after')
        : hasBefore
          ? join(base, 'host/before')
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
  if (has('report.json') && !bad.has('report.json')) {
    try {
      report = JSON.parse(content.members.get('report.json')!.data.toString('utf8'));
    } catch {
      report = null;
    }
  }

  const analysable = capture !== null || hostDir !== null;
  if (!analysable && !manifest) {
    await rm(dir, { recursive: true, force: true });
    throw new CaptureError(
      'NOT_A_BUNDLE',
      `${path}: a tar.gz without a manifest, capture.pcap or host/ snapshot: not a toa-doctor bundle`,
      'a bundle is the .tar.gz written by `toa-doctor bundle` or the collector script',
    );
  }

  return {
    path,
    manifest,
    dir,
    capture,
    hostDir,
    report,
    analysis:
      manifest?.analysis &&
      typeof manifest.analysis.profile === 'string' &&
      Array.isArray(manifest.analysis.lb)
        ? {
            profile: manifest.analysis.profile,
            lb: manifest.analysis.lb.filter((x) => typeof x === 'string'),
          }
        : null,
    problems,
    description: describe(path, manifest),
    analysable,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** One line per problem, for stderr: "bundle: capture.pcap: ..." */
export function formatProblems(problems: BundleProblem[]): string[] {
  return problems.map((p) => `bundle ${p.severity}: ${p.message}`);
}
